/* The control loop on real VMs (issue 5): a medium sandbox that reads a
 * credential store and calls out is demoted in the round that saw it, the
 * stricter limits read back through libvirt and the stricter permission
 * set in force; its profile survives a kill -9 of vigild; a sandbox that
 * behaves is promoted up to its ceiling and no further; a hop to paranoid
 * keeps a counting process running with the same PID and its count; a
 * reservation that cannot be audited is refused; the audit trail verifies,
 * then fails at a hand-edited record.
 *
 * vigild runs first with ADJUST_STRICT, then (restarted) ADJUST_PROMOTE
 * (test-adjust-policies.h). Cases run in order and share sandboxes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "test-adjust-policies.h"
#include "test-daemon.h"

#define WAIT_S 300 /* guard on each wait for the control loop (TCG on a busy host) */

static char demote_id[64], hop_id[64];
static char out[65536];

/* ---- JSON and profile helpers ---- */

/* o at a dotted path ("actions.vcpus.state"), or NULL. */
static struct json_object *at(struct json_object *o, const char *path)
{
        char buf[256], *save = NULL;

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
                if (!json_object_object_get_ex(o, k, &o))
                        return NULL;
        return o;
}

static const char *s_at(struct json_object *o, const char *path)
{
        struct json_object *v = at(o, path);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static double d_at(struct json_object *o, const char *path)
{
        return json_object_get_double(at(o, path));
}

static int64_t i_at(struct json_object *o, const char *path)
{
        return json_object_get_int64(at(o, path));
}

static struct json_object *profile_of(struct vgl_client *c, const char *id)
{
        struct json_object *p = NULL;
        struct vgl_error e = {};

        if (vgl_client_get_profile(c, id, &p, &e) < 0)
                fail_msg("GetProfile %s: %s", id, e.msg);
        return p;
}

typedef bool (*profile_pred)(struct json_object *p, const void *u);

/* Polls GetProfile every half second until pred holds; fails after WAIT_S. */
static struct json_object *wait_profile(struct vgl_client *c, const char *id, profile_pred pred,
                                        const void *u, const char *what)
{
        time_t deadline = time(NULL) + WAIT_S;

        for (;;) {
                struct json_object *p = profile_of(c, id);
                if (pred(p, u))
                        return p;
                if (time(NULL) > deadline) {
                        fprintf(stderr, "# profile: %s\n", json_object_to_json_string(p));
                        json_object_put(p);
                        vd_dump_log(&vd, 40);
                        fail_msg("%s: not within %d s", what, WAIT_S);
                }
                json_object_put(p);
                usleep(500 * 1000);
        }
}

static bool applied(struct json_object *p, const char *action)
{
        char path[64];

        snprintf(path, sizeof(path), "actions.%s.state", action);
        return strcmp(s_at(p, path), "applied") == 0;
}

/* The first history entry whose reason names a behaviour tag. */
static struct json_object *first_evidence_entry(struct json_object *p)
{
        struct json_object *h = at(p, "history");

        for (size_t i = 0; h && i < json_object_array_length(h); i++) {
                struct json_object *e = json_object_array_get_idx(h, i);
                const char *why = s_at(e, "reason");
                if (strstr(why, "sensitive_data_access") || strstr(why, "external_api_call"))
                        return e;
        }
        return NULL;
}

static bool has_history(struct json_object *p, const char *kind, const char *before,
                        const char *after)
{
        struct json_object *h = at(p, "history");

        for (size_t i = 0; h && i < json_object_array_length(h); i++) {
                struct json_object *e = json_object_array_get_idx(h, i);
                if (!strcmp(s_at(e, "kind"), kind) &&
                    (!before || !strcmp(s_at(e, "tier_before"), before)) &&
                    (!after || !strcmp(s_at(e, "tier_after"), after)))
                        return true;
        }
        return false;
}

static void exec_or_fail(struct vgl_client *c, const char *id, const char *const *argv,
                         struct exec_out *o)
{
        struct vgl_error e = {};

        if (exec_collect(c, id, argv, o, &e) < 0)
                fail_msg("Exec %s in %s: %s", argv[0], id, e.msg);
        assert_true(o->got_exit);
}

static void reserve_or_fail(struct vgl_client *c, double level, struct vgl_client_sandbox *ret)
{
        struct vgl_client_reserve_request req = {.desired_trust_level = level, .ttl_s = 3600};
        struct vgl_error e = {};

        if (vgl_client_reserve(c, &req, ret, &e) < 0)
                fail_msg("Reserve %.2f: %s", level, e.msg);
}

static int64_t behaviour_generation(struct vgl_client *c, const char *id,
                                    struct vgl_client_sandbox *ret)
{
        struct vgl_error e = {};

        if (vgl_client_get(c, id, ret, &e) < 0)
                fail_msg("Get %s: %s", id, e.msg);
        return i_at(ret->json, "behaviour.permissions_generation");
}

/* ---- (a) demotion ---- */

static bool initially_enforced(struct json_object *p, const void *u)
{
        return applied(p, "vcpus") && applied(p, "memory") && applied(p, "permissions");
}

static bool demoted(struct json_object *p, const void *perm_before)
{
        return !strcmp(s_at(p, "tier"), "high") && applied(p, "vcpus") &&
               !strcmp(s_at(p, "actions.vcpus.value"), "1") && applied(p, "memory") &&
               !strncmp(s_at(p, "actions.memory.value"), "256 ", 4) && applied(p, "cpu_quota") &&
               applied(p, "permissions") &&
               strcmp(s_at(p, "actions.permissions.value"), perm_before) != 0;
}

/* The record libvirt keeps of the domain's metadata (the embedded driver's
 * status file) holds the demoted profile. */
static void check_metadata(const char *id)
{
        _cleanup_free_ char *path = vd_printf("%s/run/qemu/vigil-%s.xml", vd.state, id);
        _cleanup_free_ char *text = calloc(1, 1 << 20);
        char *w, *r;
        FILE *f = path ? fopen(path, "re") : NULL;
        size_t n;

        if (!f)
                fail_msg("no status file %s", path ? path : "?");
        n = fread(text, 1, (1 << 20) - 1, f);
        fclose(f);
        text[n] = '\0';
        /* Undo the XML escaping of the record's JSON. */
        for (w = r = text; *r;) {
                if (!strncmp(r, "&quot;", 6))
                        *w++ = '"', r += 6;
                else if (!strncmp(r, "&amp;", 5))
                        *w++ = '&', r += 5;
                else
                        *w++ = *r++;
        }
        *w = '\0';
        if (!strstr(text, "\"security_posture\":\"high\"") || !strstr(text, "\"kind\":\"demote\""))
                fail_msg("the domain's metadata does not show the demoted profile (%s)", path);
}

static void test_demote(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        _cleanup_sandbox_ struct vgl_client_sandbox s = {}, before = {}, after = {};
        const char *const bad[] = {"sh", "-c",
                                   "cat /etc/shadow; nc -w 2 192.0.2.1 80 </dev/null; true", NULL};
        const char *const write_etc[] = {"sh", "-c", "echo x > /etc/vigil-after", NULL};
        const char *const write_tmp[] = {"sh", "-c", "echo x > /tmp/vigil-after", NULL};
        struct json_object *p, *entry;
        struct exec_out o;
        char perm_before[128];
        int64_t gen0, gen1;

        reserve_or_fail(c, 0.7, &s);
        assert_string_equal(s.tier, "medium");
        snprintf(demote_id, sizeof(demote_id), "%s", s.id);
        p = wait_profile(c, s.id, initially_enforced, NULL, "first enforcement");
        snprintf(perm_before, sizeof(perm_before), "%s", s_at(p, "actions.permissions.value"));
        json_object_put(p);
        gen0 = behaviour_generation(c, s.id, &before);
        assert_int_equal(before.resources.vcpus, 2);
        assert_int_equal(before.resources.memory_mib, 512);
        assert_int_equal(before.resources.cpu_quota_percent, 100);

        /* A credential store, and an endpoint the medium set does not
         * declare (the agent refuses the connect: the VM has no NIC anyway). */
        exec_or_fail(c, s.id, bad, &o);
        p = wait_profile(c, s.id, demoted, perm_before, "demotion to high, enforced");
        fprintf(stderr, "# demoted: trust %.3f, vcpus %s, memory %s, quota %s, permissions %s\n",
                d_at(p, "trust_score"), s_at(p, "actions.vcpus.value"),
                s_at(p, "actions.memory.value"), s_at(p, "actions.cpu_quota.value"),
                s_at(p, "actions.permissions.value"));
        /* in the round that saw the evidence */
        entry = first_evidence_entry(p);
        assert_non_null(entry);
        assert_string_equal(s_at(entry, "kind"), "demote");
        assert_string_equal(s_at(entry, "tier_before"), "medium");
        assert_string_equal(s_at(entry, "tier_after"), "high");
        json_object_put(p);

        /* libvirt's view, and the tighter permission set in force */
        gen1 = behaviour_generation(c, s.id, &after);
        assert_string_equal(after.tier, "high");
        assert_int_equal(after.resources.vcpus, 1);
        assert_true(after.resources.memory_mib < 512);
        assert_int_equal(after.resources.cpu_quota_percent, 75);
        assert_true(gen1 > 0 && gen1 != gen0);
        exec_or_fail(c, s.id, write_etc, &o);
        assert_int_not_equal(o.exit.code, 0);
        exec_or_fail(c, s.id, write_tmp, &o);
        assert_int_equal(o.exit.code, 0);
        check_metadata(s.id);
}

/* ---- (a) the profile across a crash of vigild ---- */

static void test_restart(void **state)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct json_object *p0, *p1;
        static const char *const same[] = {
                "tier",          "security_posture", "trust_score",
                "ceiling",       "resource_limits",  "history",
                "actions.vcpus", "actions.memory",   "actions.cpu_quota"};
        struct vgl_error e = {};

        SKIP_UNLESS(demote_id[0]);
        c = connect_or_fail();
        p0 = profile_of(c, demote_id);
        vgl_client_free(TAKE_PTR(c));
        if (vd_restart(&vd, true, 120, &e) < 0)
                fail_msg("restarting vigild after kill -9: %s", e.msg);
        c = connect_or_fail();
        p1 = profile_of(c, demote_id);
        for (size_t i = 0; i < ELEMENTSOF(same); i++)
                if (!json_object_equal(at(p0, same[i]), at(p1, same[i])))
                        fail_msg("%s differs after the restart: %s vs %s", same[i],
                                 json_object_to_json_string(at(p0, same[i])),
                                 json_object_to_json_string(at(p1, same[i])));
        assert_string_equal(s_at(p1, "tier"), "high");
        json_object_put(p0);
        json_object_put(p1);
        fprintf(stderr, "# %s: profile restored from the metadata after kill -9\n", demote_id);
}

/* ---- the audit trail so far ---- */

static void test_audit_records(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        struct vgl_client_audit_verdict v;
        struct vgl_error e = {};
        int configs = 0, reservations = 0, demotions = 0, enforcements = 0, denials = 0,
            releases = 0;
        int64_t last = 0;
        int r;

        SKIP_UNLESS(demote_id[0]);
        if (vgl_client_audit_verify(c, &v, &e) < 0)
                fail_msg("AuditVerify: %s", e.msg);
        assert_true(v.ok);
        if (vgl_client_release(c, demote_id, &e) < 0)
                fail_msg("Release: %s", e.msg);
        if (vgl_client_audit(c, 0, false, &e) < 0)
                fail_msg("Audit: %s", e.msg);
        for (;;) {
                struct json_object *rec = NULL;
                const char *type;
                r = vgl_client_next_audit_record(c, &rec, &e);
                if (r < 0)
                        fail_msg("Audit stream: %s", e.msg);
                if (r == 0)
                        break;
                type = s_at(rec, "type");
                assert_int_equal(i_at(rec, "seq"), last + 1);
                last = i_at(rec, "seq");
                configs += !strcmp(type, "config");
                reservations += !strcmp(type, "reservation");
                demotions +=
                        !strcmp(type, "adjustment") && !strcmp(s_at(rec, "details.kind"), "demote");
                enforcements += !strcmp(type, "enforcement");
                denials += !strcmp(type, "denial");
                releases += !strcmp(type, "release") && !strcmp(s_at(rec, "sandbox"), demote_id);
                json_object_put(rec);
        }
        fprintf(stderr,
                "# audit: %lld records: %d config, %d reservation, %d demotion, %d enforcement, "
                "%d denial, %d release\n",
                (long long)last, configs, reservations, demotions, enforcements, denials, releases);
        assert_true(configs >= 2); /* two starts */
        assert_true(reservations >= 1 && demotions >= 1 && enforcements >= 1 && denials >= 1);
        assert_int_equal(releases, 1);
        demote_id[0] = '\0';
}

/* ---- (b) promotion up to the ceiling ---- */

static bool at_ceiling(struct json_object *p, const void *u)
{
        return !strcmp(s_at(p, "tier"), "medium") && fabs(d_at(p, "trust_score") - 0.6) < 1e-9 &&
               json_object_get_boolean(at(p, "achieved")) && applied(p, "vcpus") &&
               applied(p, "memory");
}

static bool rounds_past(struct json_object *p, const void *u)
{
        return i_at(p, "rounds") >= *(const int64_t *)u;
}

static void test_promote(void **state)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        _cleanup_sandbox_ struct vgl_client_sandbox s = {}, g = {};
        struct json_object *p, *h;
        struct vgl_error e = {};
        int64_t want;

        if (vd_write_adjust(&vd, ADJUST_PROMOTE, &e) < 0 || vd_restart(&vd, false, 120, &e) < 0)
                fail_msg("restarting vigild with the promotion policy: %s", e.msg);
        c = connect_or_fail();
        reserve_or_fail(c, 0.6, &s); /* starts at 0.45, in high */
        assert_string_equal(s.tier, "high");
        p = wait_profile(c, s.id, at_ceiling, NULL, "promotion to medium at the ceiling 0.6");
        assert_true(has_history(p, "promote", "high", "medium"));
        fprintf(stderr, "# promoted: %s, trust %.3f, vcpus %s, memory %s after %lld rounds\n",
                s_at(p, "tier"), d_at(p, "trust_score"), s_at(p, "actions.vcpus.value"),
                s_at(p, "actions.memory.value"), (long long)i_at(p, "rounds"));
        want = i_at(p, "rounds") + 4;
        json_object_put(p);
        /* clean rounds go on; trust and tier stay at the ceiling */
        p = wait_profile(c, s.id, rounds_past, &want, "four more rounds");
        assert_string_equal(s_at(p, "tier"), "medium");
        assert_true(d_at(p, "trust_score") <= d_at(p, "ceiling") + 1e-12);
        assert_true(fabs(d_at(p, "trust_score") - 0.6) < 1e-9);
        h = at(p, "history");
        for (size_t i = 0; h && i < json_object_array_length(h); i++)
                assert_string_not_equal(s_at(json_object_array_get_idx(h, i), "tier_after"), "low");
        json_object_put(p);
        if (vgl_client_get(c, s.id, &g, &e) < 0)
                fail_msg("Get: %s", e.msg);
        assert_int_equal(g.resources.vcpus, 2);
        assert_true(g.resources.memory_mib > 256);
        if (vgl_client_release(c, s.id, &e) < 0)
                fail_msg("Release: %s", e.msg);
}

/* ---- (c) a hop keeps the workload running ---- */

struct counter {
        struct exec_out o;
        int r;
        struct vgl_error e;
        char id[64];
};

/* The counting process is a long Exec: a command's cgroup goes when its
 * Exec ends, so it cannot be left behind in the background. */
static void *run_counter(void *arg)
{
        struct counter *k = arg;
        _cleanup_client_ struct vgl_client *c = NULL;
        const char *const argv[] = {"sh", "-c",
                                    "echo $$ > /tmp/counter.pid; i=0; "
                                    "while :; do i=$((i+1)); echo $i > /tmp/count; "
                                    "/bin/sleep 0.2; done",
                                    NULL};

        if (vgl_client_connect(vd.sock, &c, &k->e) == 0)
                k->r = exec_collect(c, k->id, argv, &k->o, &k->e);
        return NULL;
}

static long read_long(struct vgl_client *c, const char *id, const char *path)
{
        const char *const argv[] = {"/bin/cat", path, NULL};
        struct exec_out o;

        exec_or_fail(c, id, argv, &o);
        return o.exit.code == 0 ? atol(o.out) : -1;
}

/* Field 22 of /proc/PID/stat: a PID reused by another process differs. */
static unsigned long long start_time(struct vgl_client *c, const char *id, long pid)
{
        char path[64];
        const char *const argv[] = {"/bin/cat", path, NULL};
        unsigned long long v = 0;
        struct exec_out o;
        const char *p;

        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        exec_or_fail(c, id, argv, &o);
        p = strrchr(o.out, ')');
        for (int field = 2; p && field < 22; field++)
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p, " %llu", &v) != 1)
                fail_msg("no start time in %s: %s", path, o.out);
        return v;
}

static long count_above(struct vgl_client *c, const char *id, long min)
{
        long n = -1;

        for (int i = 0; i < WAIT_S; i++) {
                n = read_long(c, id, "/tmp/count");
                if (n > min)
                        return n;
                sleep(1);
        }
        fail_msg("the count stayed at %ld (<= %ld)", n, min);
        return -1;
}

static void test_hop(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        _cleanup_free_ struct counter *k = calloc(1, sizeof(*k));
        struct json_object *o, *p;
        unsigned long long t0, t1;
        long pid, c0, c1, c2;
        pthread_t th;

        assert_non_null(k);
        reserve_or_fail(c, 0.45, &s); /* starts at 0.30, in high */
        assert_string_equal(s.tier, "high");
        snprintf(hop_id, sizeof(hop_id), "%s", s.id);
        snprintf(k->id, sizeof(k->id), "%s", s.id);
        assert_int_equal(pthread_create(&th, NULL, run_counter, k), 0);
        count_above(c, s.id, 5);
        pid = read_long(c, s.id, "/tmp/counter.pid");
        assert_true(pid > 1);
        t0 = start_time(c, s.id, pid);
        c0 = read_long(c, s.id, "/tmp/count");

        {
                const char *const args[] = {"--json", "hop", s.id, "--tier", "paranoid", NULL};
                int st = run_vigilctl(out, sizeof(out), vd.sock, args);
                if (st != 0)
                        fail_msg("vigilctl hop: exit %d: %s", st, out);
        }
        o = json_tokener_parse(out);
        assert_non_null(o);
        fprintf(stderr, "# hop: %s\n", json_object_to_json_string(at(o, "hop")));
        assert_string_equal(s_at(o, "hop.state"), "moved");
        assert_string_equal(s_at(o, "hop.from"), "high");
        assert_string_equal(s_at(o, "hop.to"), "paranoid");
        assert_string_equal(s_at(o, "profile.tier"), "paranoid");
        assert_int_equal(i_at(o, "profile.hops"), 1);
        json_object_put(o);
        /* The Exec's call ended with the channel at the save; the command did not. */
        pthread_join(th, NULL);
        fprintf(stderr, "# the counter's Exec call ended: %s\n",
                k->r < 0 ? k->e.msg : "with an exit");

        t1 = start_time(c, s.id, pid);
        c1 = read_long(c, s.id, "/tmp/count");
        assert_true(t1 == t0);
        assert_true(c1 >= c0);
        c2 = count_above(c, s.id, c1);
        fprintf(stderr, "# counter pid %ld: %ld before, %ld after the hop, then %ld\n", pid, c0, c1,
                c2);
        p = profile_of(c, s.id);
        assert_true(has_history(p, "hop", "high", "paranoid"));
        json_object_put(p);
}

/* ---- a reservation that cannot be audited is refused ---- */

static void test_audit_full(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        _cleanup_free_ char *log = vd_printf("%s/audit.log", vd.state);
        struct vgl_client_reserve_request req = {.desired_trust_level = 0.45};
        struct rlimit full, none = {RLIM_INFINITY, RLIM_INFINITY};
        struct json_object *d = NULL, *params;
        struct vgl_error e = {};
        struct stat st;
        int r;

        SKIP_UNLESS(hop_id[0]);
        assert_int_equal(stat(log, &st), 0);
        /* vigild ignores SIGXFSZ: past the limit its writes fail with EFBIG,
         * as they would with ENOSPC on a full disk. */
        full = (struct rlimit){(rlim_t)st.st_size, RLIM_INFINITY};
        assert_int_equal(prlimit(vd.pid, RLIMIT_FSIZE, &full, NULL), 0);
        r = vgl_client_reserve(c, &req, &s, &e);
        params = vgl_client_error_parameters(c);
        fprintf(stderr, "# Reserve with the audit log full: %s\n", r < 0 ? e.msg : "accepted");
        assert_true(r < 0);
        assert_non_null(vgl_client_error_name(c));
        assert_string_equal(vgl_client_error_name(c), "io.vigil.Manager.NoCapacity");
        assert_non_null(strstr(s_at(params, "reason"), "audit"));
        /* existing sandboxes are still adjusted and enforced */
        if (vgl_client_adjust(c, hop_id, &d, NULL, &e) < 0)
                fail_msg("Adjust with the audit log full: %s", e.msg);
        json_object_put(d);
        assert_int_equal(prlimit(vd.pid, RLIMIT_FSIZE, &none, NULL), 0);
        if (vgl_client_reserve(c, &req, &s, &e) < 0)
                fail_msg("Reserve after the audit log has room again: %s", e.msg);
        if (vgl_client_release(c, s.id, &e) < 0)
                fail_msg("Release: %s", e.msg);
}

/* ---- (d) a hand-edited record breaks the chain ---- */

/* Changes one digit of line `line`'s time, in place (same length). */
static void edit_record(const char *path, int64_t line)
{
        _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        struct stat st;
        char *p, *t;
        int64_t n = 1;

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        text = malloc((size_t)st.st_size + 1);
        assert_non_null(text);
        assert_int_equal(pread(fd, text, (size_t)st.st_size, 0), st.st_size);
        text[st.st_size] = '\0';
        for (p = text; n < line && (p = strchr(p, '\n')); p++, n++)
                ;
        assert_non_null(p);
        t = strstr(p, "\"time\":\"");
        assert_non_null(t);
        t = strchr(t + 8, 'Z'); /* "...:35.797Z": the last digit before Z */
        assert_non_null(t);
        t[-1] = t[-1] == '9' ? '0' : (char)(t[-1] + 1);
        assert_int_equal(pwrite(fd, t - 1, 1, t - 1 - text), 1);
}

static void test_audit_edit(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        _cleanup_free_ char *log = vd_printf("%s/audit.log", vd.state);
        struct vgl_client_audit_verdict v;
        struct vgl_error e = {};
        struct json_object *o;
        int64_t line;
        char want[64];

        if (vgl_client_audit_verify(c, &v, &e) < 0)
                fail_msg("AuditVerify: %s", e.msg);
        assert_true(v.ok);
        assert_true(v.records > 10);
        {
                const char *const args[] = {"audit", "verify", NULL};
                assert_int_equal(run_vigilctl(out, sizeof(out), vd.sock, args), 0);
        }
        line = v.records / 2;
        edit_record(log, line);
        {
                const char *const args[] = {"audit", "verify", NULL};
                assert_int_equal(run_vigilctl(out, sizeof(out), vd.sock, args), 1);
        }
        fprintf(stderr, "# after editing record %lld: %s", (long long)line, out);
        snprintf(want, sizeof(want), "line %lld ", (long long)line);
        assert_non_null(strstr(out, want));
        {
                const char *const args[] = {"--json", "audit", "verify", NULL};
                assert_int_equal(run_vigilctl(out, sizeof(out), vd.sock, args), 1);
        }
        o = json_tokener_parse(out);
        assert_non_null(o);
        assert_false(json_object_get_boolean(at(o, "ok")));
        assert_int_equal(i_at(o, "line"), line);
        assert_int_equal(i_at(o, "seq"), line);
        assert_int_equal(i_at(o, "records"), line - 1);
        json_object_put(o);
}

static int group_setup(void **state)
{
        static const char *const extra[] = {"--agent-silence", "120", NULL};
        const struct vd_pool pools[] = {{"medium", 1}, {"high", 1}};
        struct vgl_error e = {};

        if (vd_start_adjust(&vd, pools, ELEMENTSOF(pools), extra, ADJUST_STRICT, 120, &e) < 0) {
                fprintf(stderr, "# starting vigild: %s\n", e.msg);
                return -1;
        }
        if (vd_wait_pool(&vd, "medium", 1, BOOT_TIMEOUT_S, &e) < 0) {
                fprintf(stderr, "# %s\n", e.msg);
                vd_dump_log(&vd, 40);
                return -1;
        }
        fprintf(stderr, "# vigild %d on %s; medium pool ready\n", (int)vd.pid, vd.sock);
        return 0;
}

static int group_teardown(void **state)
{
        if (!vd_alive(&vd))
                vd_dump_log(&vd, 40);
        vd_stop(&vd);
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
                cmocka_unit_test_setup(test_demote, check_alive),
                cmocka_unit_test_setup(test_restart, check_alive),
                cmocka_unit_test_setup(test_audit_records, check_alive),
                cmocka_unit_test_setup(test_promote, check_alive),
                cmocka_unit_test_setup(test_hop, check_alive),
                cmocka_unit_test_setup(test_audit_full, check_alive),
                cmocka_unit_test_setup(test_audit_edit, check_alive),
        };
        struct vgl_error e = {};
        char path[4096];
        int failed;

        if (geteuid() != 0) {
                printf("SKIP: needs root (qemu:///embed)\n");
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
        failed = cmocka_run_group_tests_name("vigild control loop", tests, group_setup,
                                             group_teardown);
        printf("# summary: %zu passed, %d failed, %d skipped\n",
               ELEMENTSOF(tests) - (size_t)failed - (size_t)skipped, failed, skipped);
        return failed ? 1 : 0;
}
