/* vigil-farm: the test-farm runner (see --help and README.md): load and
 * check the manifest, learn vigild's tiers, pick each job's tier for its
 * image, run, write the reports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "farm.h"
#include "options.h"
#include "report.h"
#include "util.h"

enum {
        EXIT_USAGE = 2,
        EXIT_VIGILD = 3,
};

/* vigild's tiers (names, images, trust ranges) for picking by image. */
static int load_tiers(struct farm *f, struct vgl_error *err)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_client_tier *t = NULL;
        size_t n = 0;
        int r;

        if ((r = vgl_client_connect(f->o->socket, &c, err)) < 0)
                return r;
        vgl_client_set_timeout(c, 60 * 1000);
        if ((r = vgl_client_list_tiers(c, &t, &n, err)) < 0)
                return r;
        f->tiers = calloc(n ? n : 1, sizeof(*f->tiers));
        if (!f->tiers) {
                vgl_client_tiers_free(t, n);
                return vgl_error_set(err, ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
                snprintf(f->tiers[i].name, sizeof(f->tiers[i].name), "%s", t[i].name);
                snprintf(f->tiers[i].image, sizeof(f->tiers[i].image), "%s", t[i].image);
                f->tiers[i].min_trust = t[i].min_trust;
                f->tiers[i].max_trust = t[i].max_trust;
        }
        f->n_tiers = n;
        vgl_client_tiers_free(t, n);
        return 0;
}

/* Decides before the start what cannot run: images no tier boots
 * (skipped), tiers that do not exist or boot another image (errors). */
static void pick_tiers(struct farm *f)
{
        for (size_t i = 0; i < f->m->n_jobs; i++) {
                const struct farm_job *j = &f->m->jobs[i];
                struct farm_result *r = &f->res[i];
                enum farm_pick p =
                        farm_pick_tier(f->tiers, f->n_tiers, j->image, j->tier, j->trust,
                                       r->tier_pick, r->skip_reason, sizeof(r->skip_reason));
                if (p == FARM_PICK_OK)
                        continue;
                r->status = p == FARM_PICK_SKIP ? FARM_SKIPPED : FARM_ERROR;
                r->phase = FARM_DONE;
                f->finished++;
                farm_say(f, "%-5s %s: %s", p == FARM_PICK_SKIP ? "SKIP" : "ERROR", j->name,
                         r->skip_reason);
        }
}

static int write_reports(struct farm *f, const struct farm_run_info *info, const char *junit,
                         const char *summary)
{
        struct vgl_error e = {};

        if (farm_junit_write(junit, info, f->m, f->res, &e) < 0 ||
            farm_summary_write(summary, info, f->m, f->res, &e) < 0) {
                fprintf(stderr, "vigil-farm: %s\n", e.msg);
                return -EIO;
        }
        return 0;
}

static int run(struct farm_cli *cli, const struct farm_manifest *m)
{
        _cleanup_free_ char *junit = NULL, *summary = NULL;
        struct farm f = {.m = m, .o = &cli->opts, .lock = PTHREAD_MUTEX_INITIALIZER};
        struct vgl_error e = {};
        int status;

        if ((!cli->opts.junit_path && asprintf(&junit, "%s/junit.xml", cli->opts.out_dir) < 0) ||
            (!cli->opts.summary_path &&
             asprintf(&summary, "%s/summary.json", cli->opts.out_dir) < 0))
                return fprintf(stderr, "vigil-farm: out of memory\n"), EXIT_VIGILD;
        if (!cli->opts.concurrency)
                cli->opts.concurrency = m->concurrency;
        if (!cli->opts.socket)
                cli->opts.socket = strdupa(vgl_client_default_socket());
        if (farm_mkdir_p(cli->opts.out_dir, &e) < 0 || load_tiers(&f, &e) < 0) {
                fprintf(stderr, "vigil-farm: %s\n", e.msg);
                free(f.tiers);
                return EXIT_VIGILD;
        }
        gethostname(f.hostname, sizeof(f.hostname) - 1);
        f.res = farm_results_new(m);
        f.progress = farm_progress_new(cli->opts.progress, stdout);
        f.started = farm_wall_s();
        f.started_mono = farm_mono_s();
        if (!f.res || !f.progress) {
                fprintf(stderr, "vigil-farm: out of memory\n");
                status = EXIT_VIGILD;
                goto out;
        }
        farm_say(&f, "suite %s: %zu jobs, concurrency %d, run %s, vigild %s", m->suite, m->n_jobs,
                 cli->opts.concurrency, cli->opts.run_id, cli->opts.socket);
        pick_tiers(&f);
        status = farm_run(&f);
        {
                struct farm_run_info info = {
                        .suite = m->suite,
                        .run_id = cli->opts.run_id,
                        .hostname = f.hostname,
                        .socket = cli->opts.socket,
                        .out_dir = cli->opts.out_dir,
                        .concurrency = cli->opts.concurrency,
                        .started = f.started,
                        .ended = farm_wall_s(),
                        .interrupted = f.signal != 0,
                };
                const char *jp = cli->opts.junit_path ? cli->opts.junit_path : junit;
                const char *sp = cli->opts.summary_path ? cli->opts.summary_path : summary;
                if (write_reports(&f, &info, jp, sp) < 0 && status != 130)
                        status = EXIT_VIGILD;
                if (f.progress && cli->opts.progress != FARM_PROGRESS_NONE)
                        farm_report(stdout, &info, m, f.res, jp, sp);
        }
out:
        farm_results_free(f.res, m->n_jobs);
        farm_progress_free(f.progress);
        free(f.tiers);
        free(f.workers);
        return status;
}

int main(int argc, char **argv)
{
        _cleanup_(farm_manifest_done) struct farm_manifest m = {};
        struct farm_cli cli;
        struct vgl_error e = {};
        int r = farm_cli_parse(argc, argv, &cli);

        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        if (farm_manifest_load(cli.manifest, &m, &e) < 0) {
                fprintf(stderr, "vigil-farm: %s\n", e.msg);
                return EXIT_USAGE;
        }
        if (cli.check) {
                size_t files = 0;
                for (size_t i = 0; i < m.n_jobs; i++)
                        files += m.jobs[i].n_files;
                printf("%s: %zu jobs, %zu files to upload: valid\n", cli.manifest, m.n_jobs, files);
                return 0;
        }
        return run(&cli, &m);
}
