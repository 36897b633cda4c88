/* vigil-farm on real VMs (issue 7): a manifest of 10 jobs over both image
 * flavors at concurrency 2 through a vigild started by the harness.
 * Benign jobs pass (uploads, a directory, an artifact, an expected
 * non-zero status); a wrong exit status fails after its retry; a command
 * past its timeout fails; two jobs misbehave (read /etc/shadow, write
 * outside /tmp, connect to a loopback port) and are demoted, one of them
 * into paranoid with a hop, which the summary shows; the JUnit XML is
 * parsed by python3 (check-junit.py) and matches the summary. Then SIGINT
 * in the middle of a run, once while commands run and once while Reserves
 * wait for boots: exit 130 and no sandbox of the run left in List.
 *
 * Jobs with image "debian" run when a tier boots that image; until the
 * disk flavor exists they are skipped, and the test checks the skip. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "test-farm.h"

struct vd vd;
char work[256];

/* Short rounds; only a sensitive read and a denial cost trust, so each
 * outcome does not depend on how events fall into rounds: a job at 0.7
 * starts in medium at 0.6, one sensitive read takes it to 0.45 (high);
 * a job at 0.4 starts in high at 0.3 and any denial takes it below 0.22
 * (paranoid, a hop tier). Nothing rises; a silent agent (TCG on a loaded
 * host) costs nothing. */
static const char adjust_policy[] =
        "{\"period_ms\": 1000,"
        " \"rise\": {\"probation_rounds\": 100000, \"step\": 0.0},"
        " \"fall\": {\"max_step\": 0.5},"
        " \"penalty\": {\"tags\": {\"network_access\": 0, \"external_api_call\": 0,"
        "   \"file_write\": 0, \"sensitive_data_access\": 0.15, \"process_spawn\": 0,"
        "   \"privilege_change\": 0, \"resource_burst\": 0, \"policy_violation\": 0.1},"
        "   \"count_cap\": 1, \"denial\": 0, \"anomaly\": {\"weight\": 0},"
        "   \"risk\": {\"weight\": 0}, \"agent_silent\": 0},"
        " \"high_severity\": {\"tags\": [], \"penalty\": 0, \"max_step\": 0.5}}";

/* Programs by full path: busybox's sh runs bare applet names through
 * /proc/self/exe, which the strict tiers' exec allow-lists count as a
 * violation, and the benign jobs must stay clean. */
static const char manifest[] =
        "{\"version\": 1, \"suite\": \"farm-it\", \"concurrency\": 2,\n"
        " \"defaults\": {\"timeout_s\": 600},\n"
        " \"jobs\": [\n"
        "  {\"name\": \"hello\", \"desired_trust_level\": 0.8,\n"
        "   \"command\": \"echo hello-farm; /bin/cat /tmp/in/data.txt; echo to-stderr >&2; "
        "echo artifact-body > /tmp/result.txt\",\n"
        "   \"files\": [{\"src\": \"data.txt\", \"dest\": \"/tmp/in/data.txt\"}],\n"
        "   \"artifacts\": [\"/tmp/result.txt\"]},\n"
        "  {\"name\": \"tree\", \"desired_trust_level\": 0.6,\n"
        "   \"command\": [\"/bin/sh\", \"/tmp/tree/run.sh\"],\n"
        "   \"directory\": {\"src\": \"tree\", \"dest\": \"/tmp/tree\"}},\n"
        "  {\"name\": \"expect-seven\", \"desired_trust_level\": 0.6, \"command\": \"exit 7\",\n"
        "   \"expect_exit\": 7},\n"
        "  {\"name\": \"wrong-exit\", \"desired_trust_level\": 0.8, \"retries\": 1,\n"
        "   \"command\": \"echo attempt; exit 3\"},\n"
        "  {\"name\": \"too-slow\", \"desired_trust_level\": 0.8, \"timeout_s\": 3,\n"
        "   \"command\": \"/bin/sleep 120\"},\n"
        "  {\"name\": \"misbehave-demote\", \"desired_trust_level\": 0.7,\n"
        "   \"command\": \"/bin/cat /etc/shadow >/dev/null; echo x > /etc/farm-x; "
        "/usr/bin/nc -w 1 127.0.0.1 9 </dev/null; /bin/sleep 5; echo done; true\"},\n"
        "  {\"name\": \"misbehave-hop\", \"desired_trust_level\": 0.4,\n"
        "   \"command\": \"/bin/cat /etc/shadow; echo x > /etc/farm-x; "
        "/usr/bin/nc -w 1 127.0.0.1 9 </dev/null; /bin/sleep 10; "
        "/usr/bin/nc -w 1 127.0.0.1 9 </dev/null; echo after-the-hop; true\"},\n"
        "  {\"name\": \"disk-hello\", \"image\": \"debian\", \"desired_trust_level\": 0.8,\n"
        "   \"command\": \"cat /etc/os-release\"},\n"
        "  {\"name\": \"disk-misbehave\", \"image\": \"debian\", \"desired_trust_level\": 0.7,\n"
        "   \"command\": \"cat /etc/shadow; echo x > /etc/farm-x; sleep 5; true\"},\n"
        "  {\"name\": \"disk-benign\", \"image\": \"debian\", \"desired_trust_level\": 0.6,\n"
        "   \"command\": \"uname -a\"}\n"
        " ]}\n";

static struct json_object *summary;
static char out_dir[320];

/* ---- JSON helpers ---- */

static struct json_object *at(struct json_object *o, const char *path)
{
        char buf[256], *save = NULL;

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
                if (k[0] >= '0' && k[0] <= '9')
                        o = json_object_array_get_idx(o, (size_t)atoi(k));
                else if (!json_object_object_get_ex(o, k, &o))
                        return NULL;
        }
        return o;
}

static const char *s_at(struct json_object *o, const char *path)
{
        struct json_object *v = at(o, path);

        return v ? json_object_get_string(v) : "";
}

static struct json_object *job(const char *name)
{
        struct json_object *jobs = at(summary, "jobs");

        for (size_t i = 0; i < json_object_array_length(jobs); i++)
                if (!strcmp(s_at(json_object_array_get_idx(jobs, i), "name"), name))
                        return json_object_array_get_idx(jobs, i);
        fail_msg("no job %s in the summary", name);
        return NULL;
}

static char *read_file(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf = calloc(1, 1 << 20);

        if (f && buf)
                buf[fread(buf, 1, (1 << 20) - 1, f)] = '\0';
        if (f)
                fclose(f);
        return buf;
}

/* ---- the manifest run ---- */

static void write_inputs(void)
{
        _cleanup_free_ char *tree = vd_printf("%s/tree", work),
                            *sub = vd_printf("%s/tree/sub", work);

        farm_write("manifest.json", manifest);
        farm_write("data.txt", "data-from-the-host\n");
        assert_int_equal(mkdir(tree, 0755), 0);
        assert_int_equal(mkdir(sub, 0755), 0);
        farm_write("tree/run.sh", "read x < /tmp/tree/sub/value.txt; echo \"tree says $x\"\n");
        farm_write("tree/sub/value.txt", "forty-two\n");
}

static void test_run_manifest(void **state)
{
        _cleanup_free_ char *m = vd_printf("%s/manifest.json", work);
        _cleanup_free_ char *sum = vd_printf("%s/summary.json", out_dir);
        const char *const args[] = {"-o",        out_dir, "--progress", "plain", "--run-id",
                                    "farm-it-1", "-j",    "2",          m,       NULL};
        pid_t pid;
        int fd, st;

        write_inputs();
        assert_int_equal(farm_spawn(args, &pid, &fd), 0);
        st = farm_finish(pid, fd, FARM_GUARD_S);
        if (st != 1)
                vd_dump_log(&vd, 60);
        assert_int_equal(st, 1); /* wrong-exit and too-slow fail */
        summary = json_object_from_file(sum);
        assert_non_null(summary);
        assert_int_equal(json_object_get_int(at(summary, "totals.jobs")), 10);
        assert_int_equal(json_object_get_int(at(summary, "concurrency")), 2);
        assert_false(json_object_get_boolean(at(summary, "interrupted")));
        assert_int_equal(farm_leftovers("farm-it-1", NULL), 0);
}

/* The file at OUT_DIR/rel, read whole (caller frees). */
static char *read_out(const char *rel)
{
        _cleanup_free_ char *p = vd_printf("%s/%s", out_dir, rel);

        return p ? read_file(p) : NULL;
}

static void test_benign(void **state)
{
        _cleanup_free_ char *out = NULL, *art = NULL, *tree = NULL;
        struct json_object *j;

        if (!summary)
                skip();
        j = job("hello");
        assert_string_equal(s_at(j, "status"), "passed");
        assert_string_equal(s_at(j, "trust.tier_start"), "low");
        assert_int_equal(json_object_array_length(at(j, "trust.tier_changes")), 0);
        out = read_out(s_at(j, "attempts.0.stdout"));
        assert_string_equal(out, "hello-farm\ndata-from-the-host\n");
        art = read_out(s_at(j, "attempts.0.artifacts.0.file"));
        assert_string_equal(art, "artifact-body\n");

        j = job("tree");
        assert_string_equal(s_at(j, "status"), "passed");
        tree = read_out("jobs/tree/attempt-1/stdout.log");
        assert_string_equal(tree, "tree says forty-two\n");

        j = job("expect-seven");
        assert_string_equal(s_at(j, "status"), "passed");
        assert_int_equal(json_object_get_int(at(j, "exit.code")), 7);
        for (const char *const *n = (const char *const[]){"hello", "tree", "expect-seven", NULL};
             *n; n++) {
                j = job(*n);
                fprintf(stderr, "# %s: %s, trust %s -> %s, violations %d\n", *n,
                        s_at(j, "trust.tier_start"), s_at(j, "trust.trust_start"),
                        s_at(j, "trust.trust_end"),
                        json_object_get_int(at(j, "trust.policy_violations")));
                assert_int_equal(json_object_get_int(at(j, "trust.hops")), 0);
        }
}

static void test_failures(void **state)
{
        struct json_object *j;

        if (!summary)
                skip();
        j = job("wrong-exit");
        assert_string_equal(s_at(j, "status"), "failed");
        assert_int_equal(json_object_get_int(at(j, "attempts_made")), 2);
        assert_string_equal(s_at(j, "attempts.0.kind"), "ExitStatus");
        assert_string_equal(s_at(j, "attempts.1.kind"), "ExitStatus");
        assert_string_equal(s_at(j, "reason"), "exit status 3, expected 0");
        assert_string_not_equal(s_at(j, "attempts.0.sandbox"), s_at(j, "attempts.1.sandbox"));

        j = job("too-slow");
        assert_string_equal(s_at(j, "status"), "failed");
        assert_string_equal(s_at(j, "attempts.0.kind"), "Timeout");
        assert_string_equal(s_at(j, "exit.status"), "timeout");
}

static void print_trust(const char *name, struct json_object *j)
{
        fprintf(stderr, "# %s: %s, %s -> %s, trust %s -> %s, hops %d, violations %d, denials %s\n",
                name, s_at(j, "status"), s_at(j, "trust.tier_start"), s_at(j, "trust.tier_end"),
                s_at(j, "trust.trust_start"), s_at(j, "trust.trust_end"),
                json_object_get_int(at(j, "trust.hops")),
                json_object_get_int(at(j, "trust.policy_violations")), s_at(j, "trust.denials"));
}

static void test_misbehaving(void **state)
{
        struct json_object *j;

        if (!summary)
                skip();
        /* demoted: out of medium, with the change in tier_changes */
        j = job("misbehave-demote");
        print_trust("misbehave-demote", j);
        assert_string_equal(s_at(j, "status"), "passed");
        assert_string_equal(s_at(j, "trust.tier_start"), "medium");
        assert_string_not_equal(s_at(j, "trust.tier_end"), "medium");
        assert_true(json_object_get_double(at(j, "trust.trust_end")) <
                    json_object_get_double(at(j, "trust.trust_start")));
        assert_string_equal(s_at(j, "trust.tier_changes.0.from"), "medium");
        assert_string_equal(s_at(j, "trust.tier_changes.0.kind"), "demote");
        assert_true(json_object_array_length(at(j, "trust.trajectory")) >= 3);
        assert_true(json_object_get_int(at(j, "trust.behaviour_tags.sensitive_data_access")) > 0);

        /* hopped into paranoid; its command ran on and its output came back */
        j = job("misbehave-hop");
        print_trust("misbehave-hop", j);
        assert_string_equal(s_at(j, "status"), "passed");
        assert_string_equal(s_at(j, "trust.tier_start"), "high");
        assert_string_equal(s_at(j, "trust.tier_end"), "paranoid");
        assert_true(json_object_get_int(at(j, "trust.hops")) >= 1);
        assert_string_equal(s_at(j, "trust.hop_history.0.tier_after"), "paranoid");
        assert_true(json_object_get_int(at(j, "trust.policy_violations")) > 0);
        assert_true(json_object_get_int(at(j, "trust.denials")) > 0);
        {
                _cleanup_free_ char *p = vd_printf("%s/jobs/misbehave-hop/output.log", out_dir);
                _cleanup_free_ char *log = read_file(p);
                assert_non_null(strstr(log, "after-the-hop"));
        }
}

static void test_disk_flavor(void **state)
{
        static const char *const disk[] = {"disk-hello", "disk-misbehave", "disk-benign"};

        if (!summary)
                skip();
        for (size_t i = 0; i < ELEMENTSOF(disk); i++) {
                struct json_object *j = job(disk[i]);
                if (!strcmp(s_at(j, "status"), "skipped")) {
                        assert_non_null(strstr(s_at(j, "reason"),
                                               "no tier of vigild boots image 'debian'"));
                        fprintf(stderr, "# %s skipped: the disk flavor is not available (%s)\n",
                                disk[i], s_at(j, "reason"));
                        continue;
                }
                print_trust(disk[i], j);
                assert_string_equal(s_at(j, "status"), "passed");
        }
}

static void test_junit(void **state)
{
        _cleanup_free_ char *cmd = NULL;
        const char *src = getenv("VIGIL_SOURCE_ROOT");
        int st;

        if (!summary)
                skip();
        if (system("command -v python3 >/dev/null") != 0) {
                fprintf(stderr, "# skipped: no python3 to parse the XML\n");
                skip();
        }
        cmd = vd_printf("python3 %s/tests/integration-farm/check-junit.py %s/junit.xml "
                        "%s/summary.json %s",
                        src ? src : ".", out_dir, out_dir, out_dir);
        st = system(cmd);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- Ctrl-C ---- */

static void interrupt_case(const char *run, const char *jobs, const char *wait_for, int lines)
{
        _cleanup_free_ char *m = vd_printf("%s/%s.json", work, run);
        _cleanup_free_ char *dir = vd_printf("%s/%s", work, run);
        _cleanup_free_ char *sum = vd_printf("%s/summary.json", dir);
        _cleanup_free_ char *text =
                vd_printf("{\"suite\": \"%s\", \"defaults\": {\"timeout_s\": 900}, \"jobs\": [%s]}",
                          run, jobs);
        const char *const args[] = {"-o", dir,  "--progress", "plain", "--run-id",
                                    run,  "-j", "2",          m,       NULL};
        struct json_object *s;
        int fd, st, reserved = -1;
        pid_t pid;

        _cleanup_free_ char *name = vd_printf("%s.json", run);
        farm_write(name, text);
        assert_int_equal(farm_spawn(args, &pid, &fd), 0);
        if (!farm_wait_lines(fd, wait_for, lines, FARM_GUARD_S)) {
                kill(pid, SIGKILL);
                farm_finish(pid, fd, 60);
                fail_msg("vigil-farm did not print %d '%s' lines", lines, wait_for);
        }
        assert_int_equal(kill(pid, SIGINT), 0);
        st = farm_finish(pid, fd, FARM_GUARD_S);
        assert_int_equal(st, 130);
        assert_int_equal(farm_leftovers(run, &reserved), 0);
        assert_int_equal(reserved, 0);
        s = json_object_from_file(sum);
        assert_non_null(s);
        assert_true(json_object_get_boolean(at(s, "interrupted")));
        assert_int_equal(json_object_get_int(at(s, "totals.passed")), 0);
        assert_int_equal(json_object_get_int(at(s, "totals.interrupted")), 4);
        json_object_put(s);
}

/* SIGINT while two commands run: both sandboxes released. */
static void test_interrupt_running(void **state)
{
        interrupt_case("farm-it-int1",
                       "{\"name\": \"a\", \"desired_trust_level\": 0.6, \"command\": \"/bin/sleep "
                       "600\"}, {\"name\": \"b\", \"desired_trust_level\": 0.3, \"command\": "
                       "\"/bin/sleep 600\"}, {\"name\": \"c\", \"desired_trust_level\": 0.6, "
                       "\"command\": \"true\"}, {\"name\": \"d\", \"desired_trust_level\": 0.6, "
                       "\"command\": \"true\"}",
                       "RUN ", 2);
}

/* SIGINT while both Reserves wait for cold boots (low has no pool). */
static void test_interrupt_reserving(void **state)
{
        interrupt_case("farm-it-int2",
                       "{\"name\": \"a\", \"desired_trust_level\": 0.9, \"command\": \"true\"}, "
                       "{\"name\": \"b\", \"desired_trust_level\": 0.9, \"command\": \"true\"}, "
                       "{\"name\": \"c\", \"desired_trust_level\": 0.9, \"command\": \"true\"}, "
                       "{\"name\": \"d\", \"desired_trust_level\": 0.9, \"command\": \"true\"}",
                       "suite farm-it-int2:", 1);
}

/* ---- setup ---- */

static int group_setup(void **state)
{
        static const char *const extra[] = {"--agent-silence", "120", NULL};
        const struct vd_pool pools[] = {{"medium", 1}, {"high", 1}};
        struct vgl_error e = {};

        snprintf(work, sizeof(work), "/tmp/vigil-farm-it-XXXXXX");
        if (!mkdtemp(work))
                return -1;
        snprintf(out_dir, sizeof(out_dir), "%s/out", work);
        if (vd_start_adjust(&vd, pools, ELEMENTSOF(pools), extra, adjust_policy, 120, &e) < 0) {
                fprintf(stderr, "# starting vigild: %s\n", e.msg);
                return -1;
        }
        fprintf(stderr, "# vigild %d on %s; work in %s\n", (int)vd.pid, vd.sock, work);
        return 0;
}

static int group_teardown(void **state)
{
        _cleanup_free_ char *cmd = vd_printf("rm -rf %s", work);

        if (!vd_alive(&vd))
                vd_dump_log(&vd, 40);
        vd_stop(&vd);
        json_object_put(summary);
        if (!getenv("VIGIL_KEEP_TEST_DIR") && cmd && system(cmd) != 0)
                fprintf(stderr, "# could not remove %s\n", work);
        return 0;
}

static int check_alive(void **state)
{
        if (!vd_alive(&vd)) {
                vd_dump_log(&vd, 40);
                fail_msg("vigild is gone");
        }
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_run_manifest, check_alive),
                cmocka_unit_test(test_benign),
                cmocka_unit_test(test_failures),
                cmocka_unit_test(test_misbehaving),
                cmocka_unit_test(test_disk_flavor),
                cmocka_unit_test(test_junit),
                cmocka_unit_test_setup(test_interrupt_running, check_alive),
                cmocka_unit_test_setup(test_interrupt_reserving, check_alive),
        };
        struct vgl_error e = {};
        char path[4096];

        if (geteuid() != 0) {
                printf("SKIP: needs root (qemu:///embed)\n");
                return 77;
        }
        if (access(farm_path(), X_OK) < 0) {
                printf("SKIP: no vigil-farm at %s\n", farm_path());
                return 77;
        }
        if (vd_find_vigild(path, sizeof(path), &e) < 0) {
                printf("SKIP: %s\n", e.msg);
                return 77;
        }
        if (vd_find_image(path, sizeof(path), &e) < 0) {
                printf("SKIP: no microVM image: %s\n", e.msg);
                return 77;
        }
        return cmocka_run_group_tests_name("vigil-farm", tests, group_setup, group_teardown) ? 1
                                                                                             : 0;
}
