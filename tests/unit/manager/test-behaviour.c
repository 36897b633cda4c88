/* Unit tests of the behaviour tagger: records -> tags (table-driven),
 * malformed records, the permission set the tags are judged against, and
 * the bounds of the rolling window. No timing assertions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "agent.h"
#include "behaviour-permset.h"
#include "behaviour-priv.h"
#include "proto-msg.h"

#define T(x) VGL_TAG_BIT(VGL_TAG_##x)

static const char *const set_json =
        "{\"egress\":[{\"cidr\":\"10.0.0.0/8\",\"ports\":\"443\"},{\"cidr\":\"2001:db8::/32\"}],"
        "\"writable\":[\"/tmp\"],"
        "\"sensitive\":[{\"pattern\":\"/etc/shadow\",\"action\":\"deny\"},"
        "{\"pattern\":\"/home/*/.ssh/*\"}]}";

/* A record of any observation type, encoded by the common codec. */
struct rec {
        uint16_t type;
        union {
                struct vgl_ev_syscall sys;
                struct vgl_ev_net net;
                struct vgl_ev_file file;
                struct vgl_ev_proc proc;
                struct vgl_ev_priv priv;
                struct vgl_ev_usage usage;
        } u;
};

static size_t encode(const struct rec *r, uint8_t *out)
{
        switch (r->type) {
        case VGL_REC_SYSCALL:
                vgl_ev_syscall_encode(&r->u.sys, out);
                break;
        case VGL_REC_NET:
                vgl_ev_net_encode(&r->u.net, out);
                break;
        case VGL_REC_FILE:
                vgl_ev_file_encode(&r->u.file, out);
                break;
        case VGL_REC_PROC:
                vgl_ev_proc_encode(&r->u.proc, out);
                break;
        case VGL_REC_PRIV:
                vgl_ev_priv_encode(&r->u.priv, out);
                break;
        case VGL_REC_USAGE:
                vgl_ev_usage_encode(&r->u.usage, out);
                break;
        }
        return vgl_ev_record_size(r->type);
}

static struct vgl_bhv *new_tagger(bool with_set)
{
        struct vgl_bhv *b = NULL;
        struct vgl_permset *p = NULL;
        struct json_object *o = json_tokener_parse(set_json);
        struct vgl_error e = {};

        assert_int_equal(vgl_bhv_new(&b), 0);
        if (with_set) {
                assert_int_equal(vgl_permset_from_json(o, 7, &p, &e), 0);
                assert_int_equal(vgl_bhv_set_permset(b, p), 0);
                vgl_permset_free(p);
        }
        json_object_put(o);
        return b;
}

static int feed(struct vgl_bhv *b, const struct rec *r, uint64_t now_ms, uint32_t *tags,
                struct vgl_error *e)
{
        uint8_t buf[VGL_EV_PROC_SIZE];
        struct vgl_bhv_event ev;
        size_t n = encode(r, buf);
        int ret = vgl_bhv_record(b, r->type, buf, n, now_ms, &ev, e);

        if (ret == 0 && tags)
                *tags = ev.tags;
        return ret;
}

static struct rec net(uint8_t op, uint16_t family, const char *addr, uint16_t port, uint8_t verdict,
                      uint16_t err)
{
        struct rec r = {.type = VGL_REC_NET};

        r.u.net = (struct vgl_ev_net){
                .family = family, .port = port, .op = op, .verdict = verdict, .err = err};
        if (family == AF_INET || family == AF_INET6)
                assert_int_equal(inet_pton(family, addr, r.u.net.addr), 1);
        return r;
}

static struct rec file(uint8_t op, const char *path, uint8_t verdict, uint16_t err)
{
        struct rec r = {.type = VGL_REC_FILE};

        r.u.file = (struct vgl_ev_file){.op = op, .verdict = verdict, .err = err};
        snprintf(r.u.file.path, sizeof(r.u.file.path), "%s", path);
        return r;
}

static struct rec sys(uint16_t nr, uint8_t verdict, uint16_t err)
{
        return (struct rec){.type = VGL_REC_SYSCALL,
                            .u.sys = {.h.pid = 10, .nr = nr, .verdict = verdict, .err = err}};
}

static struct rec proc(const char *path, uint8_t verdict, uint16_t err)
{
        struct rec r = {.type = VGL_REC_PROC};

        r.u.proc = (struct vgl_ev_proc){.argc = 2, .verdict = verdict, .err = err};
        snprintf(r.u.proc.path, sizeof(r.u.proc.path), "%s", path);
        snprintf(r.u.proc.argv, sizeof(r.u.proc.argv), "%s -l", path);
        return r;
}

static struct rec priv(uint16_t call, uint8_t verdict, uint16_t err)
{
        return (struct rec){.type = VGL_REC_PRIV,
                            .u.priv = {.nr = 101, .call = call, .verdict = verdict, .err = err}};
}

static struct rec usage(uint32_t flags, uint64_t oom, uint64_t refused, uint64_t peak)
{
        bool cg = flags & VGL_USAGE_F_CGROUP;

        return (struct rec){.type = VGL_REC_USAGE,
                            .u.usage = {.flags = flags,
                                        .cpu_usage_usec = cg ? 2000 : 0,
                                        .cpu_user_usec = cg ? 1500 : 0,
                                        .cpu_system_usec = cg ? 500 : 0,
                                        .memory_peak = peak,
                                        .oom_kills = oom,
                                        .pids_refused = refused}};
}

enum {
        A = VGL_VERDICT_ALLOW,
        D = VGL_VERDICT_DENY,
        E = VGL_VERDICT_EMULATE,
        R = VGL_VERDICT_REPORT,
        O = VGL_VERDICT_OBSERVE
};

static void test_tags_table(void **state)
{
        const uint32_t CG = VGL_USAGE_F_CGROUP;
        const struct {
                const char *name;
                struct rec r;
                uint32_t tags;
        } rows[] = {
                {"observed call", sys(0, O, 0), 0},
                {"denied call: its typed record carries the violation", sys(101, D, 1), 0},
                {"declared endpoint", net(1, AF_INET, "10.1.2.3", 443, A, 0), T(NETWORK_ACCESS)},
                {"undeclared port, denied", net(1, AF_INET, "10.1.2.3", 80, D, 111),
                 T(NETWORK_ACCESS) | T(EXTERNAL_API_CALL) | T(POLICY_VIOLATION)},
                {"undeclared host", net(2, AF_INET, "8.8.8.8", 53, A, 0),
                 T(NETWORK_ACCESS) | T(EXTERNAL_API_CALL)},
                {"declared v6 prefix", net(1, AF_INET6, "2001:db8::1", 8443, A, 0),
                 T(NETWORK_ACCESS)},
                {"undeclared v6", net(3, AF_INET6, "2606:4700::1", 443, A, 0),
                 T(NETWORK_ACCESS) | T(EXTERNAL_API_CALL)},
                {"loopback", net(1, AF_INET, "127.0.0.1", 8080, A, 0), T(NETWORK_ACCESS)},
                {"loopback v6 denied", net(1, AF_INET6, "::1", 9, D, 111),
                 T(NETWORK_ACCESS) | T(POLICY_VIOLATION)},
                {"bind", net(4, AF_INET, "0.0.0.0", 80, A, 0), T(NETWORK_ACCESS)},
                {"unix socket", net(1, AF_UNIX, "", 0, A, 0), T(NETWORK_ACCESS)},
                {"write in /tmp", file(2, "/tmp/out", E, 0), T(FILE_WRITE)},
                {"write outside", file(2, "/etc/passwd", D, 13),
                 T(FILE_WRITE) | T(POLICY_VIOLATION)},
                {"unlink", file(3, "/tmp/a", A, 0), T(FILE_WRITE)},
                {"chmod", file(5, "/tmp/a", A, 0), T(FILE_WRITE)},
                {"shadow read denied", file(1, "/etc/shadow", D, 13),
                 T(SENSITIVE_DATA_ACCESS) | T(POLICY_VIOLATION)},
                {"ssh key reported", file(1, "/home/u/.ssh/id_rsa", R, 0),
                 T(SENSITIVE_DATA_ACCESS)},
                {"report verdict alone", file(1, "/srv/secret", R, 0), T(SENSITIVE_DATA_ACCESS)},
                {"exec", proc("/usr/bin/ls", A, 0), T(PROCESS_SPAWN)},
                {"exec denied", proc("/usr/bin/nc", D, 13), T(PROCESS_SPAWN) | T(POLICY_VIOLATION)},
                {"ptrace denied", priv(0, D, 1), T(PRIVILEGE_CHANGE) | T(POLICY_VIOLATION)},
                {"setuid allowed", priv(4, A, 0), T(PRIVILEGE_CHANGE)},
                {"usage, quiet", usage(CG, 0, 0, 1 << 20), 0},
                {"usage, OOM", usage(CG | VGL_USAGE_F_OOM, 1, 0, 1 << 20), T(RESOURCE_BURST)},
                {"usage, forks refused", usage(CG | VGL_USAGE_F_PIDS, 0, 3, 1 << 20),
                 T(RESOURCE_BURST)},
                {"usage, no cgroup", usage(0, 0, 0, 0), 0},
        };
        struct vgl_bhv *b = new_tagger(true);
        struct vgl_bhv_stats st;

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct vgl_error e = {};
                uint32_t tags = 0xffffffff;
                int r = feed(b, &rows[i].r, 1000, &tags, &e);
                if (r != 0 || tags != rows[i].tags)
                        fail_msg("row %zu \"%s\": r=%d (%s) tags=0x%x want 0x%x", i, rows[i].name,
                                 r, e.msg, tags, rows[i].tags);
        }
        vgl_bhv_get_stats(b, &st);
        assert_int_equal(st.events, sizeof(rows) / sizeof(rows[0]));
        assert_int_equal(st.invalid, 0);
        assert_int_equal(st.generation, 7);
        assert_int_equal(st.tags[VGL_TAG_EXTERNAL_API_CALL], 3);
        assert_int_equal(st.tags[VGL_TAG_POLICY_VIOLATION], 6);
        vgl_bhv_free(b);
}

static void test_open_set_declares_nothing(void **state)
{
        struct vgl_bhv *b = new_tagger(false);
        struct rec r = net(1, AF_INET, "10.1.2.3", 443, A, 0);
        uint32_t tags = 0;

        assert_int_equal(feed(b, &r, 0, &tags, NULL), 0);
        assert_int_equal(tags, T(NETWORK_ACCESS) | T(EXTERNAL_API_CALL));
        /* The sensitive pattern comes with the set: not there yet. */
        r = file(1, "/etc/shadow", A, 0);
        assert_int_equal(feed(b, &r, 0, &tags, NULL), 0);
        assert_int_equal(tags, 0);
        vgl_bhv_free(b);
}

static void test_malformed(void **state)
{
        const struct {
                const char *name;
                struct rec r;
        } rows[] = {
                {"verdict out of range", sys(0, 9, 0)},
                {"deny without errno", sys(0, D, 0)},
                {"errno beyond MAX_ERRNO", sys(0, D, 5000)},
                {"observe on a net record", net(1, AF_INET, "1.2.3.4", 1, O, 0)},
                {"net op 0", net(0, AF_INET, "1.2.3.4", 1, A, 0)},
                {"net op 9", net(9, AF_INET, "1.2.3.4", 1, A, 0)},
                {"file op 0", file(0, "/tmp/a", A, 0)},
                {"file op 9", file(9, "/tmp/a", A, 0)},
                {"file deny without errno", file(2, "/tmp/a", D, 0)},
                {"argc > 64", {.type = VGL_REC_PROC, .u.proc = {.argc = 65}}},
                {"privilege call 9", priv(9, A, 0)},
                {"OOM flag without kills", usage(VGL_USAGE_F_CGROUP | VGL_USAGE_F_OOM, 0, 0, 1)},
                {"kills without flag", usage(VGL_USAGE_F_CGROUP, 2, 0, 1)},
                {"refusals without flag", usage(VGL_USAGE_F_CGROUP, 0, 2, 1)},
                {"figures without cgroup", usage(0, 0, 0, 4096)},
        };
        struct vgl_bhv *b = new_tagger(true);
        struct vgl_bhv_event ev;
        struct vgl_bhv_stats st;
        struct vgl_error e = {};
        uint8_t buf[VGL_EV_PROC_SIZE] = {0};
        struct vgl_resource_sample s = {.mem_total_kb = 100, .mem_available_kb = 200};

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                memset(&e, 0, sizeof(e));
                if (feed(b, &rows[i].r, 0, NULL, &e) != -EBADMSG || !e.msg[0])
                        fail_msg("row %zu \"%s\" accepted", i, rows[i].name);
        }
        /* Short records, an unknown type, an impossible resource sample. */
        assert_int_equal(vgl_bhv_record(b, VGL_REC_FILE, buf, VGL_EV_FILE_SIZE - 1, 0, &ev, &e),
                         -EBADMSG);
        assert_int_equal(vgl_bhv_record(b, 99, buf, 8, 0, &ev, &e), -EPROTONOSUPPORT);
        assert_int_equal(vgl_bhv_resource(b, &s, 0, &ev, &e), -EBADMSG);
        vgl_bhv_get_stats(b, &st);
        assert_int_equal(st.invalid, sizeof(rows) / sizeof(rows[0]) + 2);
        assert_int_equal(st.unknown, 1);
        assert_int_equal(st.events, 0);
        assert_int_equal(vgl_bhv_recent(b, &(struct vgl_bhv_entry){0}, 1), 0);
        vgl_bhv_free(b);
}

static unsigned cb_events, cb_errors;

static void on_ev(const struct vgl_bhv_event *ev, void *u)
{
        cb_events++;
}

static void on_err(const struct vgl_error *e, void *u)
{
        cb_errors++;
}

static void test_batches(void **state)
{
        struct vgl_bhv *b = new_tagger(true);
        uint8_t recs[3 * VGL_EV_NET_SIZE];
        struct rec good = net(1, AF_INET, "8.8.8.8", 53, A, 0),
                   bad = net(7, AF_INET, "0.0.0.0", 0, A, 0);
        struct vgl_telemetry_batch batch = {.record_type = VGL_REC_NET,
                                            .record_size = VGL_EV_NET_SIZE,
                                            .count = 3,
                                            .records = recs};
        struct vgl_bhv_stats st;

        bad.u.net.op = 7;
        encode(&good, recs);
        encode(&bad, recs + VGL_EV_NET_SIZE);
        encode(&good, recs + 2 * VGL_EV_NET_SIZE);
        cb_events = cb_errors = 0;
        assert_int_equal(vgl_bhv_feed_batch(b, &batch, 0, on_ev, on_err, NULL), 1);
        assert_int_equal(cb_events, 2);
        assert_int_equal(cb_errors, 1);
        /* A record size below the type's: the whole batch, one error. */
        batch.record_size = VGL_EV_NET_SIZE - 8;
        batch.count = 3;
        assert_int_equal(vgl_bhv_feed_batch(b, &batch, 0, on_ev, on_err, NULL), 3);
        assert_int_equal(cb_errors, 2);
        /* A newer agent's type: skipped, no error. */
        batch.record_type = 42;
        assert_int_equal(vgl_bhv_feed_batch(b, &batch, 0, on_ev, on_err, NULL), 0);
        vgl_bhv_get_stats(b, &st);
        assert_int_equal(st.events, 2);
        assert_int_equal(st.invalid, 4);
        assert_int_equal(st.unknown, 3);
        vgl_bhv_free(b);
}

/* Hostile bytes: every type, random content; nothing crashes, every record
 * is either accepted or counted invalid. */
static void test_random_bytes(void **state)
{
        struct vgl_bhv *b = new_tagger(true);
        uint8_t buf[VGL_EV_PROC_SIZE];
        uint32_t x = 12345;
        struct vgl_bhv_stats st;
        unsigned n = 0;

        for (uint16_t type = VGL_REC_SYSCALL; type <= VGL_REC_USAGE; type++)
                for (unsigned i = 0; i < 5000; i++, n++) {
                        struct vgl_bhv_event ev;
                        char text[512];
                        for (size_t k = 0; k < sizeof(buf); k++) {
                                x = x * 1103515245u + 12345u;
                                buf[k] = (uint8_t)(x >> 16);
                        }
                        /* Keep some small fields plausible so the taggers run too. */
                        if (i % 2)
                                buf[20] = buf[21] = buf[18] = 0;
                        if (vgl_bhv_record(b, type, buf, vgl_ev_record_size(type), i, &ev, NULL) ==
                            0)
                                vgl_bhv_describe(&ev, text, sizeof(text));
                }
        vgl_bhv_get_stats(b, &st);
        assert_int_equal(st.events + st.invalid, n);
        assert_true(st.events > 0);
        vgl_bhv_free(b);
}

static void test_ring_bounds(void **state)
{
        struct vgl_bhv *b = new_tagger(true);
        struct vgl_bhv_entry *out = calloc(VGL_BHV_RING + 10, sizeof(*out));

        for (uint32_t i = 0; i < 1000; i++) {
                struct rec r = proc("/bin/true", A, 0);
                r.u.proc.h.pid = i;
                assert_int_equal(feed(b, &r, i, NULL, NULL), 0);
        }
        assert_int_equal(vgl_bhv_recent(b, out, VGL_BHV_RING + 10), VGL_BHV_RING);
        for (uint32_t i = 0; i < VGL_BHV_RING; i++)
                assert_int_equal(out[i].pid, 1000 - VGL_BHV_RING + i);
        assert_string_equal(out[0].detail, "/bin/true");
        assert_int_equal(vgl_bhv_recent(b, out, 3), 3);
        assert_int_equal(out[2].pid, 999);
        /* Untagged trace calls stay out of the ring. */
        struct rec s = sys(0, O, 0);
        assert_int_equal(feed(b, &s, 0, NULL, NULL), 0);
        assert_int_equal(vgl_bhv_recent(b, out, 1), 1);
        assert_int_equal(out[0].type, VGL_REC_PROC);
        /* Bounded memory, fixed at creation. */
        assert_true(vgl_bhv_footprint() < 160 * 1024);
        free(out);
        vgl_bhv_free(b);
}

static void test_buckets(void **state)
{
        struct vgl_bhv *b = new_tagger(true);
        uint32_t series[VGL_BHV_BUCKETS];
        struct rec w = file(2, "/tmp/x", E, 0);

        assert_int_equal(feed(b, &w, 99000, NULL, NULL), 0);  /* 60.5 s before "now" */
        assert_int_equal(feed(b, &w, 150000, NULL, NULL), 0); /* 150 */
        assert_int_equal(feed(b, &w, 150999, NULL, NULL), 0); /* 150 */
        assert_int_equal(feed(b, &w, 159000, NULL, NULL), 0); /* 159 */
        assert_int_equal(vgl_bhv_tag_series(b, VGL_TAG_FILE_WRITE, 159500, series), 3);
        assert_int_equal(series[VGL_BHV_BUCKETS - 1], 1);
        assert_int_equal(series[VGL_BHV_BUCKETS - 10], 2);
        assert_int_equal(vgl_bhv_tag_series(b, VGL_TAG_POLICY_VIOLATION, 159500, series), 0);
        /* 60 s later everything has rolled out; the totals stay. */
        assert_int_equal(vgl_bhv_tag_series(b, VGL_TAG_FILE_WRITE, 219500, series), 0);
        /* A bucket reused for a later second starts from zero. */
        assert_int_equal(feed(b, &w, 210000, NULL, NULL), 0); /* 210 = 150 + 60 */
        assert_int_equal(vgl_bhv_tag_series(b, VGL_TAG_FILE_WRITE, 210000, series), 2);
        assert_int_equal(series[VGL_BHV_BUCKETS - 1], 1);
        /* Early in the host's life (now < 60 s) there is no wrap. */
        assert_int_equal(vgl_bhv_tag_series(b, VGL_TAG_FILE_WRITE, 500, series), 0);
        struct vgl_bhv_stats st;
        vgl_bhv_get_stats(b, &st);
        assert_int_equal(st.tags[VGL_TAG_FILE_WRITE], 5);
        vgl_bhv_free(b);
}

static void test_syscall_histogram(void **state)
{
        struct vgl_bhv *b = new_tagger(false);
        const uint16_t seq10[] = {0, 1, 0, 1, 3};

        for (size_t i = 0; i < sizeof(seq10) / sizeof(seq10[0]); i++) {
                struct rec a = sys(seq10[i], O, 0), c = sys(60, O, 0);
                c.u.sys.h.pid = 11; /* interleaved: must not form bigrams with pid 10 */
                assert_int_equal(feed(b, &a, 0, NULL, NULL), 0);
                assert_int_equal(feed(b, &c, 0, NULL, NULL), 0);
        }
        struct rec big = sys(4000, O, 0);
        assert_int_equal(feed(b, &big, 0, NULL, NULL), 0);
        assert_int_equal(vgl_bhv_syscall_count(b, 0), 2);
        assert_int_equal(vgl_bhv_syscall_count(b, 1), 2);
        assert_int_equal(vgl_bhv_syscall_count(b, 60), 5);
        assert_int_equal(vgl_bhv_syscall_count(b, 4000), 1);
        assert_int_equal(vgl_bhv_syscall_count(b, 9999), 1); /* the same "other" slot */
        assert_true(vgl_bhv_bigram_count(b, 0, 1) >= 2);
        assert_true(vgl_bhv_bigram_count(b, 60, 60) >= 4);
        assert_int_equal(vgl_bhv_bigram_count(b, 0, 60), 0);
        assert_int_equal(vgl_bhv_bigram_count(b, 60, 0), 0);
        vgl_bhv_free(b);
}

static struct vgl_resource_sample sample(uint64_t t, uint64_t busy, uint64_t idle, uint64_t used_kb)
{
        return (struct vgl_resource_sample){.time_ms = t,
                                            .cpu_user_ticks = busy,
                                            .cpu_idle_ticks = idle,
                                            .mem_total_kb = 4u << 20,
                                            .mem_available_kb = (4u << 20) - used_kb,
                                            .ncpus = 2};
}

static uint32_t res_tags(struct vgl_bhv *b, struct vgl_resource_sample s, struct vgl_bhv_event *ev)
{
        assert_int_equal(vgl_bhv_resource(b, &s, 0, ev, NULL), 0);
        return ev->tags;
}

static void test_resource_burst(void **state)
{
        struct vgl_bhv *b = new_tagger(false);
        struct vgl_bhv_event ev;
        uint64_t busy = 0, idle = 0, t = 0;

        /* Quiet baseline: 10 % busy, 100 MiB used. No burst during warm-up either. */
        for (int i = 0; i < 6; i++) {
                t += 2000, busy += 20, idle += 180;
                assert_int_equal(res_tags(b, sample(t, busy, idle, 100 << 10), &ev), 0);
        }
        assert_int_equal(ev.cpu_permille, 100);
        /* CPU spike: 90 % busy. */
        t += 2000, busy += 180, idle += 20;
        assert_int_equal(res_tags(b, sample(t, busy, idle, 100 << 10), &ev), T(RESOURCE_BURST));
        assert_int_equal(ev.cpu_permille, 900);
        /* Memory jump: +512 MiB at quiet CPU. */
        t += 2000, busy += 20, idle += 180;
        assert_int_equal(res_tags(b, sample(t, busy, idle, 612 << 10), &ev), T(RESOURCE_BURST));
        /* Counters going backwards: a restart of the baseline, not a burst or an error. */
        assert_int_equal(res_tags(b, sample(t + 4000, 0, 0, 100 << 10), &ev), 0);
        assert_int_equal(res_tags(b, sample(t + 6000, 180, 20, 100 << 10), &ev), 0);
        /* Absurd counters cannot overflow into a figure above 100 %. */
        assert_int_equal(res_tags(b, sample(t + 8000, UINT64_MAX, UINT64_MAX / 2, 0), &ev) &
                                 ~T(RESOURCE_BURST),
                         0);
        assert_true(ev.cpu_permille <= 1000);
        vgl_bhv_free(b);
}

static void test_usage_burst(void **state)
{
        struct vgl_bhv *b = new_tagger(false);
        uint32_t tags = 0;
        struct rec u = usage(VGL_USAGE_F_CGROUP, 0, 0, 32 << 20);

        for (int i = 0; i < 3; i++) {
                assert_int_equal(feed(b, &u, 0, &tags, NULL), 0);
                assert_int_equal(tags, 0);
        }
        u.u.usage.memory_peak = 512 << 20;
        assert_int_equal(feed(b, &u, 0, &tags, NULL), 0);
        assert_int_equal(tags, T(RESOURCE_BURST));
        vgl_bhv_free(b);
}

static void test_permset(void **state)
{
        struct json_object *o = json_tokener_parse("{\"generation\":1,\"writable\":[\"tmp\"]}");
        struct json_object *ok = json_tokener_parse("{\"generation\":1,\"mode\":\"trace\"}");
        struct vgl_permset *p = NULL;
        struct vgl_error e = {};

        assert_int_equal(vgl_permset_from_json(o, 5, &p, &e), -EBADMSG);
        assert_null(p);
        assert_non_null(strstr(e.msg, "writable"));
        assert_int_equal(vgl_permset_from_json(ok, 5, &p, &e), 0);
        assert_int_equal(vgl_permset_generation(p), 5); /* vigild's, not the caller's */
        /* The caller's object is left alone. */
        assert_int_equal(json_object_get_int(json_object_object_get(ok, "generation")), 1);
        vgl_permset_free(p);
        json_object_put(o);
        json_object_put(ok);
}

static void test_describe(void **state)
{
        struct vgl_bhv *b = new_tagger(true);
        struct rec r = net(1, AF_INET, "10.1.2.3", 80, D, 111);
        uint8_t buf[VGL_EV_NET_SIZE];
        struct vgl_bhv_event ev;
        char text[256];

        encode(&r, buf);
        assert_int_equal(vgl_bhv_record(b, VGL_REC_NET, buf, sizeof(buf), 0, &ev, NULL), 0);
        vgl_bhv_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "connect 10.1.2.3:80 deny errno 111");
        assert_string_equal(vgl_bhv_kind_name(VGL_REC_NET), "net");
        assert_string_equal(vgl_tag_name(VGL_TAG_EXTERNAL_API_CALL), "external_api_call");
        assert_string_equal(vgl_tag_name(VGL_TAG_COUNT), "unknown");
        vgl_bhv_free(b);
}

static void agent_on_records(struct vgl_agent *a, const struct vgl_telemetry_batch *batch, void *u)
{
        vgl_bhv_feed_batch(u, batch, 0, on_ev, on_err, NULL);
}

/* The agent session hands observation batches to on_records. */
static void test_agent_delivers_records(void **state)
{
        static const struct vgl_agent_callbacks cb = {.on_records = agent_on_records};
        struct vgl_hello h = {.proto_version = VGL_PROTO_VERSION, .proto_min = 1};
        struct vgl_bhv *b = new_tagger(true);
        struct vgl_agent *a = NULL;
        struct vgl_agent_stats st;
        struct rec r = file(2, "/etc/passwd", D, 13);
        uint8_t rec[VGL_EV_FILE_SIZE];
        struct vgl_buf buf;

        snprintf(h.agent_version, sizeof(h.agent_version), "test");
        assert_int_equal(vgl_agent_new(&cb, b, &a), 0);
        vgl_buf_init(&buf, 0);
        assert_int_equal(vgl_msg_hello_append(&buf, &h), 0);
        encode(&r, rec);
        assert_int_equal(vgl_telemetry_frame_append(&buf, VGL_REC_FILE, VGL_EV_FILE_SIZE, rec, 1),
                         0);
        cb_events = cb_errors = 0;
        vgl_agent_feed(a, buf.data, buf.len);
        assert_true(vgl_agent_ready(a));
        assert_int_equal(cb_events, 1);
        assert_int_equal(cb_errors, 0);
        vgl_agent_get_stats(a, &st);
        assert_int_equal(st.record_batches, 1);
        assert_int_equal(st.protocol_errors, 0);
        vgl_buf_free(&buf);
        vgl_agent_free(a);
        vgl_bhv_free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tags_table),
                cmocka_unit_test(test_open_set_declares_nothing),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_batches),
                cmocka_unit_test(test_random_bytes),
                cmocka_unit_test(test_ring_bounds),
                cmocka_unit_test(test_buckets),
                cmocka_unit_test(test_syscall_histogram),
                cmocka_unit_test(test_resource_burst),
                cmocka_unit_test(test_usage_burst),
                cmocka_unit_test(test_permset),
                cmocka_unit_test(test_describe),
                cmocka_unit_test(test_agent_delivers_records),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
