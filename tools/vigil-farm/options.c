/* vigil-farm's command line and --help (the reference for the manifest
 * until the man page exists). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "options.h"
#include "vigil-config.h"

static void usage(FILE *f)
{
        fputs("Usage: vigil-farm [OPTIONS] MANIFEST\n"
              "\n"
              "Runs the jobs of MANIFEST (JSON) in vigil sandboxes through vigild, at most N at\n"
              "a time: each attempt reserves a sandbox, uploads the job's files, runs its\n"
              "command with the output streamed to per-job logs, judges the exit status,\n"
              "fetches its artifacts, reads the sandbox's trust profile and releases it.\n"
              "Every sandbox is released, also after an error or Ctrl-C. Writes JUnit XML\n"
              "and a JSON summary with each job's trust trajectory, tier changes, hops and\n"
              "denials.\n"
              "\n"
              "Options:\n"
              "  -c, --connect SOCKET   vigild's socket (default: $VIGIL_SOCKET, else\n"
              "                         /run/vigil/vigild.sock, else for non-root callers\n"
              "                         $XDG_RUNTIME_DIR/vigil/vigild.sock)\n"
              "  -j, --concurrency N    jobs at once, 1..64 (default: the manifest's, else 1)\n"
              "  -o, --output DIR       logs, artifacts and reports (default: vigil-farm-out)\n"
              "      --junit FILE       JUnit XML (default: DIR/junit.xml)\n"
              "      --summary FILE     JSON summary (default: DIR/summary.json)\n"
              "      --progress MODE    auto (default: tty on a terminal, else plain), tty (a\n"
              "                         status block redrawn in place), plain (one line per\n"
              "                         event), none\n"
              "      --stream           with plain progress, also print the jobs' output,\n"
              "                         each line prefixed with [JOB]\n"
              "      --run-id ID        value of the label vigil.farm/run on every sandbox\n"
              "                         ([A-Za-z0-9_.-]{1,32}; default: 12 random hex digits)\n"
              "      --reserve-timeout S  how long a Reserve may wait for a VM (default 900)\n"
              "      --no-settle        no Adjust round after each command (see settle)\n"
              "      --check            validate the manifest (sources included) and exit\n"
              "  -h, --help             this help\n"
              "  -V, --version          the version\n",
              f);
        fputs("\n"
              "Manifest:\n"
              "  {\"version\": 1, \"suite\": \"nightly\", \"concurrency\": 2,\n"
              "   \"defaults\": {\"desired_trust_level\": 0.6, \"timeout_s\": 300},\n"
              "   \"jobs\": [{\"name\": \"unit\", \"command\": \"make -C /tmp/src check\",\n"
              "             \"directory\": {\"src\": \"src\", \"dest\": \"/tmp/src\"},\n"
              "             \"artifacts\": [\"/tmp/src/report.xml\"]}]}\n"
              "  Top level: version (1), suite (default: the file name), concurrency, defaults\n"
              "  (any job field but name, command, files, directory, artifacts), jobs.\n"
              "  Job fields:\n"
              "    name                 [A-Za-z0-9_.-]{1,64}, unique; names the logs\n"
              "    command              a string (run by /bin/sh -c) or an argv array\n"
              "    desired_trust_level  [0, 1]; required here or in defaults\n"
              "    image                default \"microvm\"; the tier is picked to boot it\n"
              "                         (the tier serving the trust level if it does, else\n"
              "                         the nearest tier that does); no such tier: skipped\n"
              "    tier                 ask for this tier (must boot the image)\n"
              "    files                [{\"src\": LOCAL, \"dest\": GUEST, \"mode\": 493}],\n"
              "                         at most 760 KiB each; src relative to the manifest\n"
              "    directory            {\"src\": LOCAL_DIR, \"dest\": GUEST_DIR}, recursive\n"
              "    env, cwd             {\"NAME\": \"value\"}, an absolute guest path\n"
              "    timeout_s            1..86400 (default 600): the command is killed after it\n"
              "    expect_exit          0..255 (default 0): the exit status that passes\n"
              "    retries              0..10 (default 0): fresh sandboxes after a failure\n"
              "    artifacts            guest files fetched into the attempt's artifacts/\n"
              "    labels               {\"key\": \"value\"} added to the sandbox's labels\n"
              "    ttl_s                reservation TTL (default: timeout_s + 600)\n"
              "    wrap                 true (default): run under a sh wrapper that keeps a\n"
              "                         copy of the output and exit status in the guest, so\n"
              "                         a job survives a hop (which ends the Exec stream);\n"
              "                         a command killed by signal N then exits 128+N\n"
              "    settle               true (default): an Adjust round after the command,\n"
              "                         so the profile includes everything the job did\n",
              f);
        fputs("\n"
              "Output (DIR): junit.xml, summary.json, jobs/NAME/output.log (all attempts),\n"
              "jobs/NAME/attempt-N/{stdout.log,stderr.log,artifacts/GUEST_PATH}.\n"
              "Sandboxes carry the labels vigil.farm/run, vigil.farm/job, vigil.farm/image\n"
              "and vigil.farm/attempt.\n"
              "\n"
              "Exit status:\n"
              "  0    every job passed (or was skipped)\n"
              "  1    a job failed or could not run\n"
              "  2    usage error or invalid manifest\n"
              "  3    vigild cannot be reached, or the reports cannot be written\n"
              "  130  interrupted by SIGINT or SIGTERM (every sandbox released first)\n",
              f);
}

static int parse_int(const char *s, int min, int max, int *ret)
{
        char *end = NULL;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

static int parse_progress(const char *s, enum farm_progress_mode *ret)
{
        static const char *const names[] = {"auto", "tty", "plain", "none"};

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (!strcmp(s, names[i])) {
                        *ret = (enum farm_progress_mode)i;
                        return 0;
                }
        return -EINVAL;
}

static bool run_id_valid(const char *s)
{
        size_t n = strlen(s);

        return n > 0 && n <= 32 &&
               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static void random_run_id(char *buf, size_t size)
{
        unsigned char b[6] = {0};

        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
                for (size_t i = 0; i < sizeof(b); i++)
                        b[i] = (unsigned char)rand();
        snprintf(buf, size, "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

enum {
        OPT_JUNIT = 256,
        OPT_SUMMARY,
        OPT_PROGRESS,
        OPT_STREAM,
        OPT_RUN_ID,
        OPT_RESERVE_TIMEOUT,
        OPT_NO_SETTLE,
        OPT_CHECK
};

static int bad(const char *what)
{
        fprintf(stderr, "vigil-farm: %s\n", what);
        return -EINVAL;
}

static int option(int c, const char *arg, struct farm_cli *cli)
{
        struct farm_opts *o = &cli->opts;

        if (c == 'c')
                o->socket = arg;
        else if (c == 'o')
                o->out_dir = arg;
        else if (c == OPT_JUNIT)
                o->junit_path = arg;
        else if (c == OPT_SUMMARY)
                o->summary_path = arg;
        else if (c == OPT_STREAM)
                o->stream = true;
        else if (c == OPT_NO_SETTLE)
                o->no_settle = true;
        else if (c == OPT_CHECK)
                cli->check = true;
        else if (c == 'j' && parse_int(arg, 1, FARM_MAX_CONCURRENCY, &o->concurrency) < 0)
                return bad("--concurrency: an integer in 1..64");
        else if (c == OPT_RESERVE_TIMEOUT && parse_int(arg, 1, 86400, &o->reserve_timeout_s) < 0)
                return bad("--reserve-timeout: seconds in 1..86400");
        else if (c == OPT_PROGRESS && parse_progress(arg, &o->progress) < 0)
                return bad("--progress: auto, tty, plain or none");
        else if (c == OPT_RUN_ID && !run_id_valid(arg))
                return bad("--run-id: [A-Za-z0-9_.-]{1,32}");
        else if (c == OPT_RUN_ID)
                snprintf(o->run_id, sizeof(o->run_id), "%s", arg);
        else if (c != 'j' && c != OPT_RESERVE_TIMEOUT && c != OPT_PROGRESS)
                return -EINVAL;
        return 0;
}

int farm_cli_parse(int argc, char **argv, struct farm_cli *cli)
{
        static const struct option longopts[] = {
                {"connect", required_argument, NULL, 'c'},
                {"concurrency", required_argument, NULL, 'j'},
                {"output", required_argument, NULL, 'o'},
                {"junit", required_argument, NULL, OPT_JUNIT},
                {"summary", required_argument, NULL, OPT_SUMMARY},
                {"progress", required_argument, NULL, OPT_PROGRESS},
                {"stream", no_argument, NULL, OPT_STREAM},
                {"run-id", required_argument, NULL, OPT_RUN_ID},
                {"reserve-timeout", required_argument, NULL, OPT_RESERVE_TIMEOUT},
                {"no-settle", no_argument, NULL, OPT_NO_SETTLE},
                {"check", no_argument, NULL, OPT_CHECK},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        int c;

        *cli = (struct farm_cli){.opts = {.out_dir = "vigil-farm-out", .reserve_timeout_s = 900}};
        while ((c = getopt_long(argc, argv, "c:j:o:hV", longopts, NULL)) != -1) {
                if (c == 'h') {
                        usage(stdout);
                        return 0;
                }
                if (c == 'V') {
                        printf("vigil-farm %s\n", VIGIL_VERSION);
                        return 0;
                }
                if (c == '?' || option(c, optarg, cli) < 0) {
                        fputs("Try 'vigil-farm --help'.\n", stderr);
                        return -EINVAL;
                }
        }
        if (optind != argc - 1) {
                fputs("vigil-farm: one MANIFEST is needed\nTry 'vigil-farm --help'.\n", stderr);
                return -EINVAL;
        }
        cli->manifest = argv[optind];
        if (!cli->opts.run_id[0])
                random_run_id(cli->opts.run_id, sizeof(cli->opts.run_id));
        return 1;
}
