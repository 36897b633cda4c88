/* vigilctl's command line, table-driven: argv -> parsed struct, help, or a
 * usage error, for every verb; and the global options and dispatch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vigilctl.h"

#define MAX_ARGS 24
#define H        VGL_CTL_HELP
#define USAGE    (-EINVAL)

/* getopt permutes argv: give it a mutable copy. Returns argc. */
static int copy_argv(const char *const *in, char **out)
{
        int n = 0;

        while (in[n]) {
                out[n] = (char *)in[n];
                n++;
        }
        out[n] = NULL;
        return n;
}

/* ---- plain verbs: list, tiers (no ID), release, info (one ID) ---- */

struct plain_case {
        int n_ids;
        const char *argv[MAX_ARGS];
        int result;
        const char *id;
        bool json;
};

static const struct plain_case plain_cases[] = {
        {0, {"list"}, 0, NULL, false},
        {0, {"list", "--json"}, 0, NULL, true},
        {0, {"tiers", "--help"}, H},
        {0, {"list", "-h"}, H},
        {0, {"list", "abc"}, USAGE},
        {0, {"list", "--bogus"}, USAGE},
        {0, {"list", "-x"}, USAGE},
        {1, {"info", "abc"}, 0, "abc", false},
        {1, {"info", "abc", "--json"}, 0, "abc", true},
        {1, {"info", "--json", "abc"}, 0, "abc", true},
        {1, {"info"}, USAGE},
        {1, {"release", "a", "b"}, USAGE},
        {1, {"release", "--", "-odd-id"}, 0, "-odd-id", false},
};

static void test_parse_plain(void **state)
{
        for (size_t i = 0; i < sizeof(plain_cases) / sizeof(plain_cases[0]); i++) {
                const struct plain_case *c = &plain_cases[i];
                struct vgl_ctl_plain_args a = {0};
                struct vgl_error err = {0};
                char *argv[MAX_ARGS];
                int argc = copy_argv(c->argv, argv);

                print_message("case %zu: %s\n", i, c->argv[0]);
                assert_int_equal(vgl_ctl_parse_plain(argc, argv, c->n_ids, &a, &err), c->result);
                if (c->result == USAGE)
                        assert_true(strlen(err.msg) > 0);
                if (c->result != 0)
                        continue;
                assert_int_equal(a.json, c->json);
                if (c->id)
                        assert_string_equal(a.id, c->id);
                else
                        assert_null(a.id);
        }
}

/* ---- reserve ---- */

struct reserve_case {
        const char *argv[MAX_ARGS];
        int result;
        double trust;
        const char *tier;
        int64_t ttl_s;
        size_t n_labels;
        const char *key0, *value0, *key1, *value1;
        bool json;
};

static const struct reserve_case reserve_cases[] = {
        {{"reserve", "--trust", "0.5"}, 0, 0.5},
        {{"reserve", "--trust=1"}, 0, 1.0},
        {{"reserve", "--trust", "0"}, 0, 0.0},
        {{"reserve", "--trust", ".25", "--tier", "high", "--ttl", "600", "--json"},
         0,
         0.25,
         "high",
         600,
         .json = true},
        {{"reserve", "--label", "app=web", "--trust", "0.9", "--label", "team=a=b"},
         0,
         0.9,
         NULL,
         0,
         2,
         "app",
         "web",
         "team",
         "a=b"},
        {{"reserve", "--trust", "0.1", "--label", "empty="}, 0, 0.1, NULL, 0, 1, "empty", ""},
        {{"reserve", "--help"}, H},
        {{"reserve"}, USAGE},            /* --trust is required */
        {{"reserve", "--trust"}, USAGE}, /* needs a value */
        {{"reserve", "--trust", "1.5"}, USAGE},
        {{"reserve", "--trust", "-0.1"}, USAGE},
        {{"reserve", "--trust", "nan"}, USAGE},
        {{"reserve", "--trust", "inf"}, USAGE},
        {{"reserve", "--trust", "0.5x"}, USAGE},
        {{"reserve", "--trust", ""}, USAGE},
        {{"reserve", "--trust", "0.5", "--ttl", "0"}, USAGE},
        {{"reserve", "--trust", "0.5", "--ttl", "-5"}, USAGE},
        {{"reserve", "--trust", "0.5", "--ttl", "10s"}, USAGE},
        {{"reserve", "--trust", "0.5", "--label", "novalue"}, USAGE},
        {{"reserve", "--trust", "0.5", "--label", "=v"}, USAGE},
        {{"reserve", "--trust", "0.5", "--label", "a=1", "--label", "a=2"}, USAGE},
        {{"reserve", "--trust", "0.5", "extra"}, USAGE},
        {{"reserve", "--trust", "0.5", "--unknown"}, USAGE},
};

static void check_reserve(const struct reserve_case *c, const struct vgl_ctl_reserve_args *a)
{
        assert_true(a->have_trust);
        assert_true(a->trust == c->trust);
        if (c->tier)
                assert_string_equal(a->tier, c->tier);
        else
                assert_null(a->tier);
        assert_int_equal(a->ttl_s, c->ttl_s);
        assert_int_equal(a->json, c->json);
        assert_int_equal(a->n_labels, c->n_labels);
        if (c->n_labels > 0) {
                assert_string_equal(a->labels[0].key, c->key0);
                assert_string_equal(a->labels[0].value, c->value0);
        }
        if (c->n_labels > 1) {
                assert_string_equal(a->labels[1].key, c->key1);
                assert_string_equal(a->labels[1].value, c->value1);
        }
}

static void test_parse_reserve(void **state)
{
        for (size_t i = 0; i < sizeof(reserve_cases) / sizeof(reserve_cases[0]); i++) {
                const struct reserve_case *c = &reserve_cases[i];
                struct vgl_ctl_reserve_args a = {0};
                struct vgl_error err = {0};
                char *argv[MAX_ARGS];
                int argc = copy_argv(c->argv, argv);

                print_message("case %zu\n", i);
                assert_int_equal(vgl_ctl_parse_reserve(argc, argv, &a, &err), c->result);
                if (c->result == USAGE)
                        assert_true(strlen(err.msg) > 0);
                if (c->result == 0)
                        check_reserve(c, &a);
                vgl_ctl_reserve_args_done(&a);
        }
}

/* ---- exec ---- */

struct exec_case {
        const char *argv[MAX_ARGS];
        int result;
        const char *id;
        const char *cmd[6];
        int64_t timeout_ms, uid;
        const char *cwd;
        const char *env[3];
        bool no_stdin, json;
};

static const struct exec_case exec_cases[] = {
        {{"exec", "abc", "--", "ls", "-l"}, 0, "abc", {"ls", "-l"}, 0, -1},
        {{"exec", "abc", "--", "sh", "-c", "echo --json"},
         0,
         "abc",
         {"sh", "-c", "echo --json"},
         0,
         -1},
        {{"exec", "abc", "--timeout", "500", "--cwd", "/tmp", "--uid", "1000", "--env", "A=1",
          "--env", "B=", "-n", "--json", "--", "env"},
         0,
         "abc",
         {"env"},
         500,
         1000,
         "/tmp",
         {"A=1", "B="},
         true,
         true},
        {{"exec", "--uid=0", "abc", "--", "id"}, 0, "abc", {"id"}, 0, 0},
        {{"exec", "abc", "--", "--", "x"}, 0, "abc", {"--", "x"}, 0, -1},
        {{"exec", "abc", "true"}, 0, "abc", {"true"}, 0, -1}, /* no options: "--" optional */
        {{"exec", "--help"}, H},
        {{"exec", "abc", "--", "--help"}, 0, "abc", {"--help"}, 0, -1},
        {{"exec"}, USAGE},
        {{"exec", "abc"}, USAGE}, /* no command */
        {{"exec", "abc", "--"}, USAGE},
        {{"exec", "--", "ls"}, USAGE},        /* no ID */
        {{"exec", "abc", "ls", "-l"}, USAGE}, /* -l taken as an option */
        {{"exec", "abc", "ls", "x", "--", "y"}, USAGE},
        {{"exec", "abc", "--timeout", "0", "--", "x"}, USAGE},
        {{"exec", "abc", "--timeout", "1e3", "--", "x"}, USAGE},
        {{"exec", "abc", "--uid", "-1", "--", "x"}, USAGE},
        {{"exec", "abc", "--env", "NOEQUALS", "--", "x"}, USAGE},
        {{"exec", "abc", "--env", "=x", "--", "x"}, USAGE},
        {{"exec", "abc", "--cwd"}, USAGE},
        {{"exec", "abc", "--supervise", "paranoid", "--", "x"}, USAGE},
};

static void check_exec(const struct exec_case *c, const struct vgl_ctl_exec_args *a)
{
        size_t n = 0;

        assert_string_equal(a->id, c->id);
        while (c->cmd[n]) {
                assert_non_null(a->cmd[n]);
                assert_string_equal(a->cmd[n], c->cmd[n]);
                n++;
        }
        assert_null(a->cmd[n]);
        assert_int_equal(a->timeout_ms, c->timeout_ms);
        assert_int_equal(a->uid, c->uid);
        if (c->cwd)
                assert_string_equal(a->cwd, c->cwd);
        else
                assert_null(a->cwd);
        for (n = 0; c->env[n]; n++)
                assert_string_equal(a->env[n], c->env[n]);
        assert_int_equal(a->n_env, n);
        assert_null(a->env[n]);
        assert_int_equal(a->no_stdin, c->no_stdin);
        assert_int_equal(a->json, c->json);
}

static void test_parse_exec_supervise(void **state)
{
        char *argv[] = {"exec", "abc", "--supervise", "trace", "--", "x", NULL};
        struct vgl_ctl_exec_args a = {0};
        struct vgl_error err = {0};

        assert_int_equal(vgl_ctl_parse_exec(6, argv, &a, &err), 0);
        assert_string_equal(a.supervise, "trace");
}

static void test_parse_exec(void **state)
{
        for (size_t i = 0; i < sizeof(exec_cases) / sizeof(exec_cases[0]); i++) {
                const struct exec_case *c = &exec_cases[i];
                struct vgl_ctl_exec_args a = {0};
                struct vgl_error err = {0};
                char *argv[MAX_ARGS];
                int argc = copy_argv(c->argv, argv);

                print_message("case %zu\n", i);
                assert_int_equal(vgl_ctl_parse_exec(argc, argv, &a, &err), c->result);
                if (c->result == USAGE)
                        assert_true(strlen(err.msg) > 0);
                if (c->result == 0)
                        check_exec(c, &a);
        }
}

/* ---- cp ---- */

struct cp_case {
        const char *argv[MAX_ARGS];
        int result;
        enum vgl_ctl_cp_direction direction;
        const char *id, *remote, *local;
};

static const struct cp_case cp_cases[] = {
        {{"cp", "file.txt", "abc:/tmp/file.txt"},
         0,
         VGL_CTL_CP_TO_SANDBOX,
         "abc",
         "/tmp/file.txt",
         "file.txt"},
        {{"cp", "abc:/etc/os-release", "-"},
         0,
         VGL_CTL_CP_FROM_SANDBOX,
         "abc",
         "/etc/os-release",
         "-"},
        {{"cp", "-", "abc:/tmp/in"}, 0, VGL_CTL_CP_TO_SANDBOX, "abc", "/tmp/in", "-"},
        {{"cp", "--json", "abc:/x", "./a:b"}, 0, VGL_CTL_CP_FROM_SANDBOX, "abc", "/x", "./a:b"},
        {{"cp", "dir/a:b", "abc:/x"}, 0, VGL_CTL_CP_TO_SANDBOX, "abc", "/x", "dir/a:b"},
        {{"cp", "abc:/x:y", "out"}, 0, VGL_CTL_CP_FROM_SANDBOX, "abc", "/x:y", "out"},
        {{"cp", "--help"}, H},
        {{"cp", "a", "b"}, USAGE},           /* neither side in a sandbox */
        {{"cp", "abc:/x", "def:/y"}, USAGE}, /* both */
        {{"cp", "abc:", "out"}, USAGE},      /* no path */
        {{"cp", ":/x", "out"}, USAGE},       /* no ID: a local path, so neither */
        {{"cp", "abc:/x"}, USAGE},
        {{"cp", "abc:/x", "b", "c"}, USAGE},
        {{"cp", "", "abc:/x"}, USAGE},
};

static void test_parse_cp(void **state)
{
        for (size_t i = 0; i < sizeof(cp_cases) / sizeof(cp_cases[0]); i++) {
                const struct cp_case *c = &cp_cases[i];
                struct vgl_ctl_cp_args a = {0};
                struct vgl_error err = {0};
                char *argv[MAX_ARGS];
                int argc = copy_argv(c->argv, argv);

                print_message("case %zu\n", i);
                assert_int_equal(vgl_ctl_parse_cp(argc, argv, &a, &err), c->result);
                if (c->result == USAGE)
                        assert_true(strlen(err.msg) > 0);
                if (c->result != 0)
                        continue;
                assert_int_equal(a.direction, c->direction);
                assert_string_equal(a.id, c->id);
                assert_string_equal(a.remote, c->remote);
                assert_string_equal(a.local, c->local);
                vgl_ctl_cp_args_done(&a);
                assert_null(a.id);
        }
}

/* ---- events, version ---- */

struct events_case {
        const char *argv[MAX_ARGS];
        int result;
        bool follow;
        int64_t timeout_s;
        const char *id;
};

static const struct events_case events_cases[] = {
        {{"events"}, 0, false, 0, NULL},
        {{"events", "--follow"}, 0, true, 0, NULL},
        {{"events", "-f", "abc"}, 0, true, 0, "abc"},
        {{"events", "abc", "--timeout", "5"}, 0, false, 5, "abc"},
        {{"events", "-h"}, H},
        {{"events", "a", "b"}, USAGE},
        {{"events", "--timeout", "0"}, USAGE},
        {{"events", "--timeout", "x"}, USAGE},
        {{"events", "--loop"}, USAGE},
};

static void test_parse_events(void **state)
{
        for (size_t i = 0; i < sizeof(events_cases) / sizeof(events_cases[0]); i++) {
                const struct events_case *c = &events_cases[i];
                struct vgl_ctl_events_args a = {0};
                struct vgl_error err = {0};
                char *argv[MAX_ARGS];
                int argc = copy_argv(c->argv, argv);

                print_message("case %zu\n", i);
                assert_int_equal(vgl_ctl_parse_events(argc, argv, &a, &err), c->result);
                if (c->result != 0)
                        continue;
                assert_int_equal(a.follow, c->follow);
                assert_int_equal(a.timeout_s, c->timeout_s);
                if (c->id)
                        assert_string_equal(a.id, c->id);
                else
                        assert_null(a.id);
        }
}

static void test_parse_version(void **state)
{
        struct vgl_ctl_version_args a = {0};
        struct vgl_error err = {0};
        char *ok[] = {"version", "--client", "--json", NULL};
        char *help[] = {"version", "--help", NULL};
        char *bad[] = {"version", "x", NULL};

        assert_int_equal(vgl_ctl_parse_version(3, ok, &a, &err), 0);
        assert_true(a.client_only);
        assert_true(a.json);
        assert_int_equal(vgl_ctl_parse_version(2, help, &a, &err), H);
        assert_int_equal(vgl_ctl_parse_version(2, bad, &a, &err), USAGE);
}

/* ---- profile, hop, audit ---- */

struct profile_case {
        const char *argv[MAX_ARGS];
        int result;
        bool set;
        const char *id;
        const char *changes; /* expected JSON, set only */
};

static const struct profile_case profile_cases[] = {
        {{"profile", "abc"}, 0, false, "abc"},
        {{"profile", "--json", "abc"}, 0, false, "abc"},
        {{"profile", "set"}, 0, false, "set"}, /* the sandbox called "set" */
        {{"profile", "set", "abc", "tier=high", "limits.vcpus=1", "trust_score=0.25"},
         0,
         true,
         "abc",
         "{\"tier\":\"high\",\"limits.vcpus\":1,\"trust_score\":0.25}"},
        {{"profile", "set", "abc", "x=true", "y=-3", "z="},
         0,
         true,
         "abc",
         "{\"x\":true,\"y\":-3,\"z\":\"\"}"},
        {{"profile", "set", "abc"}, USAGE},
        {{"profile", "set", "abc", "novalue"}, USAGE},
        {{"profile", "set", "abc", "=1"}, USAGE},
        {{"profile", "set", "abc", "a=1", "a=2"}, USAGE},
        {{"profile"}, USAGE},
        {{"profile", "a", "b"}, USAGE},
        {{"profile", "-h"}, H},
};

static void test_parse_profile(void **state)
{
        for (size_t i = 0; i < sizeof(profile_cases) / sizeof(profile_cases[0]); i++) {
                const struct profile_case *c = &profile_cases[i];
                struct vgl_ctl_profile_args a = {0};
                struct vgl_error err = {0};
                char *argv[MAX_ARGS];
                int argc = copy_argv(c->argv, argv);

                print_message("case %zu\n", i);
                assert_int_equal(vgl_ctl_parse_profile(argc, argv, &a, &err), c->result);
                if (c->result != 0)
                        continue;
                assert_int_equal(a.set, c->set);
                assert_string_equal(a.id, c->id);
                if (c->changes) {
                        struct json_object *want = json_tokener_parse(c->changes);
                        assert_true(json_object_equal(a.changes, want));
                        json_object_put(want);
                }
                vgl_ctl_profile_args_done(&a);
        }
}

static void test_parse_hop_audit(void **state)
{
        struct vgl_ctl_hop_args h = {0};
        struct vgl_ctl_audit_args a = {0};
        struct vgl_error err = {0};
        char *hop_ok[] = {"hop", "abc", "--tier", "paranoid", NULL};
        char *hop_short[] = {"hop", "-t", "high", "--json", "abc", NULL};
        char *hop_no_tier[] = {"hop", "abc", NULL};
        char *hop_two[] = {"hop", "a", "b", "--tier", "x", NULL};
        char *audit_plain[] = {"audit", NULL};
        char *audit_follow[] = {"audit", "-f", "--since", "12", NULL};
        char *audit_verify[] = {"audit", "verify", "--json", NULL};
        char *audit_bad[] = {"audit", "verify", "--follow", NULL};
        char *audit_since0[] = {"audit", "--since", "0", NULL};
        char *audit_what[] = {"audit", "list", NULL};

        assert_int_equal(vgl_ctl_parse_hop(4, hop_ok, &h, &err), 0);
        assert_string_equal(h.id, "abc");
        assert_string_equal(h.tier, "paranoid");
        assert_int_equal(vgl_ctl_parse_hop(5, hop_short, &h, &err), 0);
        assert_string_equal(h.tier, "high");
        assert_true(h.json);
        assert_int_equal(vgl_ctl_parse_hop(2, hop_no_tier, &h, &err), USAGE);
        assert_non_null(strstr(err.msg, "--tier"));
        assert_int_equal(vgl_ctl_parse_hop(5, hop_two, &h, &err), USAGE);

        assert_int_equal(vgl_ctl_parse_audit(1, audit_plain, &a, &err), 0);
        assert_false(a.verify || a.follow || a.since);
        assert_int_equal(vgl_ctl_parse_audit(4, audit_follow, &a, &err), 0);
        assert_true(a.follow);
        assert_int_equal(a.since, 12);
        assert_int_equal(vgl_ctl_parse_audit(3, audit_verify, &a, &err), 0);
        assert_true(a.verify && a.json);
        assert_int_equal(vgl_ctl_parse_audit(3, audit_bad, &a, &err), USAGE);
        assert_int_equal(vgl_ctl_parse_audit(3, audit_since0, &a, &err), USAGE);
        assert_int_equal(vgl_ctl_parse_audit(2, audit_what, &a, &err), USAGE);
}

/* ---- the program: global options, dispatch, help texts ---- */

struct main_case {
        const char *argv[MAX_ARGS];
        int status;
        const char *out, *err; /* substrings expected, or NULL */
};

static const struct main_case main_cases[] = {
        {{"vigilctl", "--help"}, 0, "Exit status:", NULL},
        {{"vigilctl", "-h"}, 0, "  3    cannot connect", NULL},
        {{"vigilctl", "--version"}, 0, "vigilctl 0.", NULL},
        {{"vigilctl", "version", "--client"}, 0, "vigilctl 0.", NULL},
        {{"vigilctl", "help", "exec"}, 0, "124 if it", NULL},
        {{"vigilctl", "help"}, 0, "Verbs:", NULL},
        {{"vigilctl", "help", "nope"}, 2, NULL, "unknown verb"},
        {{"vigilctl"}, 2, NULL, "Usage:"},
        {{"vigilctl", "nope"}, 2, NULL, "unknown verb 'nope'"},
        {{"vigilctl", "--bogus", "list"}, 2, NULL, "unknown option '--bogus'"},
        {{"vigilctl", "-c"}, 2, NULL, "needs a value"},
        {{"vigilctl", "reserve"}, 2, NULL, "vigilctl reserve: --trust LEVEL is required"},
        {{"vigilctl", "exec", "abc"}, 2, NULL, "Try 'vigilctl exec --help'"},
        {{"vigilctl", "cp", "a", "b"}, 2, NULL, "one side must be ID:PATH"},
        {{"vigilctl", "-c", "/nonexistent/vigild.sock", "list"},
         3,
         NULL,
         "cannot connect to vigild"},
        {{"vigilctl", "--connect=/nonexistent/s", "--json", "info", "x"},
         3,
         NULL,
         "/nonexistent/s"},
};

static void test_main(void **state)
{
        const char *verbs[] = {"list",  "info",    "reserve", "exec",   "cp",  "release", "events",
                               "tiers", "version", "profile", "adjust", "hop", "audit"};

        for (size_t i = 0; i < sizeof(main_cases) / sizeof(main_cases[0]); i++) {
                const struct main_case *c = &main_cases[i];
                char *argv[MAX_ARGS], *out = NULL, *err = NULL;
                size_t out_len = 0, err_len = 0;
                FILE *fo = open_memstream(&out, &out_len), *fe = open_memstream(&err, &err_len);
                int argc = copy_argv(c->argv, argv);

                print_message("case %zu\n", i);
                assert_int_equal(vgl_ctl_main(argc, argv, stdin, fo, fe), c->status);
                fclose(fo);
                fclose(fe);
                if (c->out)
                        assert_non_null(strstr(out, c->out));
                if (c->err)
                        assert_non_null(strstr(err, c->err));
                free(out);
                free(err);
        }
        /* Every verb has --help, and `vigilctl --help` names it. */
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
                char *argv[] = {"vigilctl", (char *)verbs[i], "--help", NULL}, *out = NULL;
                size_t len = 0;
                FILE *fo = open_memstream(&out, &len);

                assert_int_equal(vgl_ctl_main(3, argv, stdin, fo, stderr), 0);
                fclose(fo);
                assert_non_null(strstr(out, "Usage: vigilctl "));
                assert_non_null(strstr(out, verbs[i]));
                free(out);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_plain),     cmocka_unit_test(test_parse_reserve),
                cmocka_unit_test(test_parse_exec),      cmocka_unit_test(test_parse_exec_supervise),
                cmocka_unit_test(test_parse_cp),        cmocka_unit_test(test_parse_events),
                cmocka_unit_test(test_parse_version),   cmocka_unit_test(test_parse_profile),
                cmocka_unit_test(test_parse_hop_audit), cmocka_unit_test(test_main),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
