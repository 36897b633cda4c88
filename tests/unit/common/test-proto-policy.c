/* POLICY codec (strict validation, bounds, round trip), matching, and the
 * observation record codecs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto-event.h"
#include "proto-msg.h"
#include "proto-policy.h"

static int parse(const char *json, struct vgl_policy *p, struct vgl_error *err)
{
        struct vgl_frame f = {.type = VGL_MSG_POLICY,
                              .payload = (const uint8_t *)json,
                              .length = (uint32_t)strlen(json)};
        return vgl_msg_policy_parse(&f, p, err);
}

static const char full[] =
        "{\"generation\":7,\"mode\":\"trace\",\"uid\":1000,\"gid\":1000,\"no_new_privs\":true,"
        "\"limits\":{\"pids_max\":64,\"memory_max\":268435456},"
        "\"egress\":[{\"cidr\":\"10.0.0.0/8\",\"ports\":\"443\"},"
        "{\"cidr\":\"::1\",\"ports\":\"8000-8100\"},{\"cidr\":\"127.0.0.1/32\"}],"
        "\"writable\":[\"/tmp/\",\"/scratch\"],\"exec\":[\"/usr/bin\"],"
        "\"sensitive\":[{\"pattern\":\"/etc/shadow\",\"action\":\"deny\"},"
        "{\"pattern\":\"/home/*/.ssh/*\"},{\"pattern\":\"/root/\",\"action\":\"report\"}],"
        "\"privileged\":[\"ptrace\",\"setuid\"]}";

static void test_parse_full(void **state)
{
        struct vgl_policy *p = malloc(sizeof(*p));
        struct vgl_error err = {0};
        assert_int_equal(parse(full, p, &err), 0);
        assert_int_equal(p->generation, 7);
        assert_int_equal(p->mode, VGL_POLICY_TRACE);
        assert_int_equal(p->uid, 1000);
        assert_int_equal(p->pids_max, 64);
        assert_int_equal(p->memory_max, 268435456);
        assert_false(p->egress_any);
        assert_int_equal(p->n_egress, 3);
        assert_int_equal(p->egress[1].family, 6);
        assert_int_equal(p->egress[1].port_lo, 8000);
        assert_int_equal(p->egress[2].port_hi, 65535);
        assert_false(p->writable_any);
        assert_string_equal(p->writable[0], "/tmp");
        assert_int_equal(p->n_sensitive, 3);
        assert_true(p->sensitive[0].deny);
        assert_false(p->sensitive[1].deny);
        assert_int_equal(p->priv_allowed, VGL_PRIV_PTRACE | VGL_PRIV_SETUID);
        assert_true(p->supervise);
        free(p);
}

static void test_defaults_and_matching(void **state)
{
        struct vgl_policy *p = malloc(sizeof(*p));
        assert_int_equal(parse("{\"generation\":0}", p, NULL), 0);
        assert_true(p->egress_any && p->writable_any && p->supervise && p->no_new_privs);
        assert_int_equal(p->priv_allowed, 0);
        assert_int_equal(p->uid, -1);
        assert_true(vgl_policy_exec_allowed(p, "/anything"));
        assert_int_equal(parse(full, p, NULL), 0);
        assert_true(vgl_policy_writable(p, "/tmp"));
        assert_true(vgl_policy_writable(p, "/tmp/a/b"));
        assert_false(vgl_policy_writable(p, "/tmpx"));
        assert_false(vgl_policy_writable(p, "/etc/passwd"));
        assert_true(vgl_policy_exec_allowed(p, "/usr/bin/ls"));
        assert_false(vgl_policy_exec_allowed(p, "/usr/binx"));
        assert_true(vgl_policy_sensitive(p, "/etc/shadow")->deny);
        assert_non_null(vgl_policy_sensitive(p, "/home/bob/.ssh/id_rsa"));
        assert_non_null(vgl_policy_sensitive(p, "/root"));
        assert_non_null(vgl_policy_sensitive(p, "/root/x"));
        assert_null(vgl_policy_sensitive(p, "/rootx"));
        uint8_t a[16] = {10, 1, 2, 3}, lo[16] = {0};
        lo[15] = 1;
        assert_true(vgl_policy_egress_allowed(p, 4, a, 443));
        assert_false(vgl_policy_egress_allowed(p, 4, a, 80));
        a[0] = 11;
        assert_false(vgl_policy_egress_allowed(p, 4, a, 443));
        assert_true(vgl_policy_egress_allowed(p, 6, lo, 8050));
        assert_false(vgl_policy_egress_allowed(p, 6, lo, 8101));
        free(p);
}

static void test_rejects(void **state)
{
        static const char *const bad[] = {
                "{}",
                "[]",
                "{\"generation\":-1}",
                "{\"generation\":1.5}",
                "{\"generation\":1,\"mode\":\"loud\"}",
                "{\"generation\":1,\"uid\":-2}",
                "{\"generation\":1,\"egress\":[{\"cidr\":\"10.0.0.1/8\"}]}",
                "{\"generation\":1,\"egress\":[{\"cidr\":\"10.0.0.0/33\"}]}",
                "{\"generation\":1,\"egress\":[{\"cidr\":\"10.0.0.0/+8\"}]}",
                "{\"generation\":1,\"egress\":[{\"cidr\":\"host.example\"}]}",
                "{\"generation\":1,\"egress\":[{\"cidr\":\"10.0.0.0/8\",\"ports\":\"9-1\"}]}",
                "{\"generation\":1,\"egress\":[{\"cidr\":\"10.0.0.0/8\",\"ports\":\"70000\"}]}",
                "{\"generation\":1,\"egress\":[{\"cidr\":\"10.0.0.0/8\",\"ports\":\"1-\"}]}",
                "{\"generation\":1,\"egress\":[\"10.0.0.0/8\"]}",
                "{\"generation\":1,\"writable\":[\"tmp\"]}",
                "{\"generation\":1,\"writable\":[\"/tmp/../etc\"]}",
                "{\"generation\":1,\"writable\":[\"\"]}",
                "{\"generation\":1,\"exec\":[7]}",
                "{\"generation\":1,\"sensitive\":[{\"action\":\"deny\"}]}",
                "{\"generation\":1,\"sensitive\":[{\"pattern\":\"/x\",\"action\":\"maybe\"}]}",
                "{\"generation\":1,\"privileged\":[\"root\"]}",
                "{\"generation\":1,\"limits\":[1]}",
                "{\"generation\":1,\"limits\":{\"pids_max\":-1}}",
        };
        struct vgl_policy *p = malloc(sizeof(*p));
        struct vgl_error err = {0};
        memset(p, 0x5a, sizeof(*p));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (parse(bad[i], p, &err) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
                assert_int_equal(strncmp(err.msg, "policy: ", 8), 0);
        }
        /* untouched on failure */
        assert_int_equal(((uint8_t *)p)[0], 0x5a);
        free(p);
}

static void test_bounds(void **state)
{
        char *json = malloc(65536);
        struct vgl_policy *p = malloc(sizeof(*p));
        size_t n = (size_t)sprintf(json, "{\"generation\":1,\"writable\":[");
        for (int i = 0; i <= VGL_POLICY_MAX_PATHS; i++)
                n += (size_t)sprintf(json + n, "%s\"/d%d\"", i ? "," : "", i);
        sprintf(json + n, "]}");
        assert_int_equal(parse(json, p, NULL), -EBADMSG); /* one too many */
        char longpath[VGL_POLICY_PATH_LEN + 2];
        memset(longpath, 'a', sizeof(longpath));
        longpath[0] = '/';
        longpath[sizeof(longpath) - 1] = '\0';
        sprintf(json, "{\"generation\":1,\"exec\":[\"%s\"]}", longpath);
        assert_int_equal(parse(json, p, NULL), -EBADMSG);
        longpath[sizeof(longpath) - 2] = '\0';
        sprintf(json, "{\"generation\":1,\"exec\":[\"%s\"]}", longpath);
        assert_int_equal(parse(json, p, NULL), 0);
        free(json);
        free(p);
}

static void test_round_trip(void **state)
{
        struct vgl_policy *p = malloc(sizeof(*p)), *q = malloc(sizeof(*q));
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        assert_int_equal(parse(full, p, NULL), 0);
        assert_int_equal(vgl_msg_policy_append(&b, p), 0);
        struct vgl_frame f = {.type = VGL_MSG_POLICY,
                              .payload = b.data + VGL_FRAME_HEADER_SIZE,
                              .length = (uint32_t)(b.len - VGL_FRAME_HEADER_SIZE)};
        assert_int_equal(vgl_msg_policy_parse(&f, q, NULL), 0);
        assert_memory_equal(p, q, sizeof(*p));
        /* the encoder refuses what the parser would */
        p->n_writable = 1;
        strcpy(p->writable[0], "relative");
        b.len = 0;
        assert_int_equal(vgl_msg_policy_append(&b, p), -EINVAL);
        assert_int_equal(b.len, 0);
        vgl_buf_free(&b);
        free(p);
        free(q);
}

static void test_ack(void **state)
{
        struct vgl_buf b;
        struct vgl_policy_ack a = {.generation = 9, .supervised = true}, r = {0};
        uint64_t g = 0;
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_policy_ack_ext_append(&b, &a), 0);
        struct vgl_frame f = {.type = VGL_MSG_POLICY_ACK,
                              .payload = b.data + VGL_FRAME_HEADER_SIZE,
                              .length = (uint32_t)(b.len - VGL_FRAME_HEADER_SIZE)};
        assert_int_equal(vgl_msg_policy_ack_ext_parse(&f, &r, NULL), 0);
        assert_int_equal(r.generation, 9);
        assert_true(r.supervised);
        assert_false(r.cgroup2);
        assert_false(r.trace_ebpf);
        vgl_buf_free(&b);
        vgl_buf_init(&b, 0);
        a.trace_ebpf = true;
        assert_int_equal(vgl_msg_policy_ack_ext_append(&b, &a), 0);
        f.payload = b.data + VGL_FRAME_HEADER_SIZE;
        f.length = (uint32_t)(b.len - VGL_FRAME_HEADER_SIZE);
        assert_int_equal(vgl_msg_policy_ack_ext_parse(&f, &r, NULL), 0);
        assert_true(r.trace_ebpf);
        /* the plain parser of issue 1 reads the same frame */
        assert_int_equal(vgl_msg_policy_ack_parse(&f, &g, NULL), 0);
        assert_int_equal(g, 9);
        vgl_buf_free(&b);
}

static void test_event_records(void **state)
{
        struct vgl_ev_file f = {.h = {1234567, 5, 42},
                                .oflags = 0101,
                                .op = VGL_FILE_WRITE,
                                .verdict = VGL_VERDICT_DENY,
                                .err = 13};
        struct vgl_ev_file g;
        uint8_t rec[VGL_EV_PROC_SIZE + 8];
        strcpy(f.path, "/etc/passwd");
        vgl_ev_file_encode(&f, rec);
        assert_int_equal(vgl_ev_file_decode(rec, VGL_EV_FILE_SIZE - 1, &g), -EBADMSG);
        assert_int_equal(vgl_ev_file_decode(rec, VGL_EV_FILE_SIZE, &g), 0);
        assert_memory_equal(&f, &g, sizeof(f));
        /* a hostile record without a NUL still decodes to a terminated string */
        memset(rec + 32, 'A', 256);
        assert_int_equal(vgl_ev_file_decode(rec, VGL_EV_FILE_SIZE, &g), 0);
        assert_int_equal(strlen(g.path), VGL_EVENT_TEXT_LEN);

        struct vgl_ev_net n = {.h = {1, 2, 3},
                               .family = 2,
                               .port = 443,
                               .op = VGL_NET_CONNECT,
                               .verdict = VGL_VERDICT_DENY,
                               .err = 111,
                               .addr = {10, 0, 0, 1}},
                          m;
        vgl_ev_net_encode(&n, rec);
        assert_int_equal(rec[18], 443 & 0xff); /* little-endian on the wire */
        assert_int_equal(vgl_ev_net_decode(rec, VGL_EV_NET_SIZE, &m), 0);
        assert_memory_equal(&n, &m, sizeof(n));

        struct vgl_ev_usage u = {.h = {1, 2, 3},
                                 .flags = VGL_USAGE_F_CGROUP,
                                 .cpu_usage_usec = 7,
                                 .memory_peak = 1u << 30,
                                 .pids_refused = 4},
                            v;
        vgl_ev_usage_encode(&u, rec);
        assert_int_equal(vgl_ev_usage_decode(rec, VGL_EV_USAGE_SIZE, &v), 0);
        assert_memory_equal(&u, &v, sizeof(u));

        struct vgl_ev_proc p = {.h = {1, 2, 3}, .argc = 2}, q;
        strcpy(p.path, "/bin/sh");
        strcpy(p.argv, "sh -c");
        vgl_ev_proc_encode(&p, rec);
        assert_int_equal(vgl_ev_proc_decode(rec, VGL_EV_PROC_SIZE, &q), 0);
        assert_memory_equal(&p, &q, sizeof(p));

        struct vgl_ev_syscall s = {.h = {1, 2, 3},
                                   .nr = 59,
                                   .verdict = 4,
                                   .flags = VGL_SYSCALL_F_ENTRY},
                              t;
        vgl_ev_syscall_encode(&s, rec);
        assert_int_equal(vgl_ev_syscall_decode(rec, VGL_EV_SYSCALL_SIZE, &t), 0);
        assert_memory_equal(&s, &t, sizeof(s));

        struct vgl_ev_priv a = {.h = {1, 2, 3}, .nr = 101, .verdict = 1, .err = 1, .arg0 = 16}, c;
        vgl_ev_priv_encode(&a, rec);
        assert_int_equal(vgl_ev_priv_decode(rec, VGL_EV_PRIV_SIZE, &c), 0);
        assert_memory_equal(&a, &c, sizeof(a));
        assert_int_equal(vgl_ev_record_size(VGL_REC_RESOURCE), 0);
        assert_int_equal(vgl_ev_record_size(VGL_REC_FILE), VGL_EV_FILE_SIZE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_full),    cmocka_unit_test(test_defaults_and_matching),
                cmocka_unit_test(test_rejects),       cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_ack),
                cmocka_unit_test(test_event_records),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
