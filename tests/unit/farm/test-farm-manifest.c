/* The manifest: a full valid one, defaults, commands, uploads resolved
 * against the manifest's directory; and one error per rule, each naming
 * the file, the job and the field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "manifest.h"

static char dir[64];
static char path[128];

static void put(const char *name, const char *text, int mode)
{
        char p[256];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        f = fopen(p, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        chmod(p, (mode_t)mode);
}

static int setup(void **state)
{
        char p[256];

        snprintf(dir, sizeof(dir), "/tmp/farm-manifest-XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        snprintf(path, sizeof(path), "%s/suite.json", dir);
        put("run.sh", "#!/bin/sh\necho hi\n", 0755);
        snprintf(p, sizeof(p), "%s/tree", dir);
        mkdir(p, 0755);
        snprintf(p, sizeof(p), "%s/tree/sub", dir);
        mkdir(p, 0755);
        put("tree/b.txt", "b", 0644);
        put("tree/a.txt", "a", 0600);
        put("tree/sub/c.txt", "c", 0644);
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static int parse(const char *text, struct farm_manifest *m, struct vgl_error *e)
{
        *m = (struct farm_manifest){0};
        *e = (struct vgl_error){0};
        return farm_manifest_parse(path, text, m, e);
}

static void test_valid(void **state)
{
        struct farm_manifest m;
        struct vgl_error e;
        const struct farm_job *j;
        const char *text =
                "{\"version\": 1, \"concurrency\": 3,\n"
                " \"defaults\": {\"desired_trust_level\": 0.6, \"timeout_s\": 30, \"retries\": 1,\n"
                "               \"env\": {\"CI\": \"1\"}, \"labels\": {\"team\": \"qa\"}},\n"
                " \"jobs\": [\n"
                "  {\"name\": \"a\", \"command\": \"echo hi | wc -c\",\n"
                "   \"files\": [{\"src\": \"run.sh\", \"dest\": \"/tmp/run.sh\"},\n"
                "             {\"src\": \"tree/a.txt\", \"dest\": \"/tmp/x/a\", \"mode\": 420}],\n"
                "   \"artifacts\": [\"/tmp/out.xml\"]},\n"
                "  {\"name\": \"b.2_x-y\", \"command\": [\"/bin/true\", \"x y\"], \"image\": "
                "\"debian\",\n"
                "   \"tier\": \"high\", \"desired_trust_level\": 1, \"expect_exit\": 3,\n"
                "   \"retries\": 0, \"wrap\": false, \"settle\": false, \"cwd\": \"/tmp\",\n"
                "   \"env\": {\"A_1\": \"x=y\"}, \"ttl_s\": 100,\n"
                "   \"directory\": {\"src\": \"tree\", \"dest\": \"/tmp/t/\"}}]}\n";

        assert_int_equal(parse(text, &m, &e), 0);
        assert_string_equal(m.suite, "suite");
        assert_int_equal(m.concurrency, 3);
        assert_int_equal(m.n_jobs, 2);
        j = &m.jobs[0];
        assert_string_equal(j->name, "a");
        assert_string_equal(j->image, "microvm");
        assert_null(j->tier);
        assert_true(j->trust == 0.6);
        assert_string_equal(j->argv[0], "/bin/sh");
        assert_string_equal(j->argv[1], "-c");
        assert_string_equal(j->argv[2], "echo hi | wc -c");
        assert_null(j->argv[3]);
        assert_int_equal(j->timeout_s, 30);
        assert_int_equal(j->retries, 1);
        assert_int_equal(j->expect_exit, 0);
        assert_true(j->wrap && j->settle);
        assert_string_equal(j->env[0], "CI=1");
        assert_int_equal(j->n_labels, 1);
        assert_string_equal(j->labels[0].key, "team");
        assert_int_equal(j->n_files, 2);
        assert_non_null(strstr(j->files[0].src, "/run.sh"));
        assert_string_equal(j->files[0].dest, "/tmp/run.sh");
        assert_int_equal(j->files[0].mode, 0755);
        assert_int_equal(j->files[1].mode, 0644);
        assert_int_equal(j->files[1].size, 1);
        assert_int_equal(j->n_artifacts, 1);

        j = &m.jobs[1];
        assert_string_equal(j->image, "debian");
        assert_string_equal(j->tier, "high");
        assert_true(j->trust == 1.0);
        assert_string_equal(j->argv[1], "x y");
        assert_null(j->argv[2]);
        assert_int_equal(j->expect_exit, 3);
        assert_int_equal(j->retries, 0);
        assert_false(j->wrap || j->settle);
        assert_string_equal(j->cwd, "/tmp");
        assert_string_equal(j->env[0], "A_1=x=y"); /* a job's env replaces the defaults' */
        assert_null(j->env[1]);
        assert_int_equal(j->ttl_s, 100);
        /* the directory, walked in name order, the trailing slash dropped */
        assert_int_equal(j->n_files, 3);
        assert_string_equal(j->files[0].dest, "/tmp/t/a.txt");
        assert_int_equal(j->files[0].mode, 0600);
        assert_string_equal(j->files[1].dest, "/tmp/t/b.txt");
        assert_string_equal(j->files[2].dest, "/tmp/t/sub/c.txt");
        farm_manifest_done(&m);
}

struct bad_case {
        const char *text;
        const char *want; /* a substring of the message */
};

#define JOB(x) "{\"defaults\": {\"desired_trust_level\": 0.5}, \"jobs\": [" x "]}"

static const struct bad_case bad[] = {
        {"", "not valid JSON"},
        {"{\"jobs\": [}", "not valid JSON"},
        {"{\"jobs\": []} x", "not valid JSON"},
        {"[]", "must be a JSON object"},
        {"{}", "jobs: missing"},
        {"{\"jobs\": []}", "jobs: must hold 1.."},
        {"{\"jobs\": {}}", "jobs: must be an array"},
        {"{\"version\": 2, \"jobs\": []}", "version: must be 1"},
        {"{\"concurrency\": 0, \"jobs\": []}", "concurrency: must be an integer in 1..64"},
        {"{\"suite\": \"\", \"jobs\": []}", "suite: must be a string"},
        {"{\"extra\": 1, \"jobs\": []}", "extra: unknown field"},
        {"{\"defaults\": {\"name\": \"x\"}, \"jobs\": []}", "defaults.name: unknown field"},
        {"{\"defaults\": {\"timeout_s\": 0}, \"jobs\": []}", "defaults.timeout_s: must be"},
        {JOB("3"), "jobs[0]: job: must be an object"},
        {JOB("{\"command\": \"x\"}"), "jobs[0]: name: missing"},
        {JOB("{\"name\": \".x\", \"command\": \"x\"}"), "jobs[0]: name: must be"},
        {JOB("{\"name\": \"a/b\", \"command\": \"x\"}"), "jobs[0]: name: must be"},
        {JOB("{\"name\": \"a\", \"command\": \"x\"}, {\"name\": \"a\", \"command\": \"y\"}"),
         "jobs[1]: name: 'a' is also the name of jobs[0]"},
        {JOB("{\"name\": \"a\"}"), "job 'a' (jobs[0]): command: missing"},
        {JOB("{\"name\": \"a\", \"command\": []}"), "job 'a' (jobs[0]): command: must be"},
        {JOB("{\"name\": \"a\", \"command\": [\"\"]}"), "command: [0]: must be"},
        {JOB("{\"name\": \"a\", \"command\": [\"x\", 3]}"), "command: [1]: must be"},
        {JOB("{\"name\": \"a\", \"command\": \"\"}"), "command: must be 1.."},
        {"{\"jobs\": [{\"name\": \"a\", \"command\": \"x\"}]}",
         "job 'a' (jobs[0]): desired_trust_level: missing"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"desired_trust_level\": 1.5}"),
         "desired_trust_level: must be a number in [0, 1]"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"timeout_s\": 3.5}"),
         "timeout_s: must be an integer in 1..86400"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"retries\": -1}"), "retries: must be"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"retries\": 11}"), "retries: must be"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"expect_exit\": 256}"), "expect_exit: must"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"wrap\": 1}"), "wrap: must be true or false"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"image\": \"a b\"}"), "image: must be"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"cwd\": \"tmp\"}"),
         "cwd: must be an absolute"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"cwd\": \"/a/../b\"}"), "cwd: must be"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"env\": {\"1A\": \"x\"}}"),
         "env: '1A' is not a variable name"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"env\": {\"A\": 1}}"), "env: A: must be"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"labels\": {\"vigil.farm/run\": \"x\"}}"),
         "labels: 'vigil.farm/run'"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"labels\": {\"k\": 2}}"), "labels: k: must"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"artifacts\": [\"rel\"]}"),
         "artifacts: [0]: must be"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"artifacts\": [\"/a\", \"/a\"]}"),
         "artifacts: [1]: '/a' is listed twice"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"bogus\": 1}"),
         "job 'a' (jobs[0]): bogus: unknown field"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"files\": [{\"src\": \"run.sh\"}]}"),
         "files[0]: dest: must be"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"files\": [{\"src\": \"nope\", "
             "\"dest\": \"/tmp/n\"}]}"),
         "No such file or directory"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"files\": [{\"src\": \"tree\", "
             "\"dest\": \"/tmp/n\"}]}"),
         "not a regular file"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"files\": [{\"src\": \"run.sh\", "
             "\"dest\": \"/tmp/n\", \"mode\": 9999}]}"),
         "files[0]: mode: must be"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"files\": [{\"src\": \"run.sh\", "
             "\"dest\": \"/tmp/n\", \"own\": 1}]}"),
         "files[0]: unknown field 'own'"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"files\": [{\"src\": \"run.sh\", "
             "\"dest\": \"/tmp/n\"}, {\"src\": \"tree/a.txt\", \"dest\": \"/tmp/n\"}]}"),
         "two uploads go to /tmp/n"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"directory\": {\"src\": \"run.sh\", "
             "\"dest\": \"/tmp/d\"}}"),
         "not a directory"},
        {JOB("{\"name\": \"a\", \"command\": \"x\", \"directory\": {\"src\": \"tree\", "
             "\"dest\": \"/\"}}"),
         "directory: dest: must be"},
};

static void test_errors(void **state)
{
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct farm_manifest m;
                struct vgl_error e;
                int r = parse(bad[i].text, &m, &e);

                if (r >= 0 || !strstr(e.msg, bad[i].want) || strncmp(e.msg, path, strlen(path)))
                        fail_msg("case %zu (%s): r %d, message \"%s\", want \"%s\"", i, bad[i].text,
                                 r, e.msg, bad[i].want);
                assert_int_equal(m.n_jobs, 0);
                assert_null(m.jobs);
        }
}

static void test_big_file(void **state)
{
        char p[256], text[512];
        struct farm_manifest m;
        struct vgl_error e;
        FILE *f;

        snprintf(p, sizeof(p), "%s/big.bin", dir);
        f = fopen(p, "we");
        assert_non_null(f);
        assert_int_equal(fseek(f, FARM_MAX_FILE_SIZE, SEEK_SET), 0);
        fputc('x', f);
        fclose(f);
        snprintf(text, sizeof(text),
                 JOB("{\"name\": \"a\", \"command\": \"x\", \"files\": [{\"src\": \"big.bin\", "
                     "\"dest\": \"/tmp/b\"}]}"));
        assert_true(parse(text, &m, &e) < 0);
        assert_non_null(strstr(e.msg, "more than the"));
        unlink(p);
}

static void test_load(void **state)
{
        struct farm_manifest m = {};
        struct vgl_error e = {};

        put("suite.json", JOB("{\"name\": \"a\", \"command\": \"x\"}"), 0644);
        assert_int_equal(farm_manifest_load(path, &m, &e), 0);
        assert_int_equal(m.n_jobs, 1);
        farm_manifest_done(&m);
        assert_true(farm_manifest_load("/nonexistent/m.json", &m, &e) < 0);
        assert_non_null(strstr(e.msg, "/nonexistent/m.json"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_big_file),
                cmocka_unit_test(test_load),
        };

        return cmocka_run_group_tests_name("farm manifest", tests, setup, teardown);
}
