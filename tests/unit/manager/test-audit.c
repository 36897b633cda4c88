/* Unit tests of the audit trail: the chain across reopen, verification of
 * hand-edited logs (changed, deleted, reordered, re-hashed records), torn
 * final lines, a full disk (file-size limit, and a small tmpfs when the test
 * may mount one), a writer killed mid-stream, and the reader following a
 * growing log. No timing assertions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit-priv.h"
#include "cleanup.h"
#include "proto-msg.h"

#define MAX_LINES 64

static char dir[64];
static char path[192];

static int setup(void **state)
{
        snprintf(dir, sizeof(dir), "/tmp/vigil-test-audit-XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/audit.log", dir);
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
        return 0;
}

/* A fresh log file for each test. */
static int fresh(void **state)
{
        unlink(path);
        return 0;
}

static struct json_object *details(const char *key, const char *value)
{
        struct json_object *o = json_object_new_object();
        assert_non_null(o);
        assert_int_equal(vgl_json_add(o, key, json_object_new_string(value)), 0);
        return o;
}

/* Appends n records numbered from the log's head. */
static void append_n(struct vgl_audit *a, unsigned n)
{
        for (unsigned i = 0; i < n; i++) {
                _cleanup_json_ struct json_object *d = details("why", "trust fell");
                struct vgl_error e = {0};
                uint64_t seq = 0, before = vgl_audit_head(a, NULL);
                int r = vgl_audit_append(a, (enum vgl_audit_type)(i % VGL_AUDIT_TYPE_COUNT),
                                         i % 2 ? "sb-1" : NULL,
                                         i % 3 ? 1000 : VGL_AUDIT_ACTOR_VIGILD, d, &seq, &e);
                if (r < 0)
                        fail_msg("append: %s", e.msg);
                assert_int_equal(seq, before + 1);
        }
}

static void write_log(unsigned n)
{
        _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
        assert_int_equal(vgl_audit_open(path, &a, NULL, NULL), 0);
        append_n(a, n);
}

/* The file's lines (with their newlines), at most MAX_LINES; returns the count. */
static size_t read_lines(char lines[][VGL_AUDIT_LINE_MAX], char *tail, size_t tail_size)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        assert_non_null(f);
        size_t n = 0;
        char *buf = malloc(VGL_AUDIT_LINE_MAX);
        assert_non_null(buf);
        while (fgets(buf, VGL_AUDIT_LINE_MAX, f)) {
                if (!strchr(buf, '\n')) {
                        snprintf(tail, tail_size, "%s", buf);
                        break;
                }
                assert_true(n < MAX_LINES);
                strcpy(lines[n++], buf);
        }
        free(buf);
        return n;
}

static void write_lines(char lines[][VGL_AUDIT_LINE_MAX], size_t n, const char *tail)
{
        _cleanup_fclose_ FILE *f = fopen(path, "we");
        assert_non_null(f);
        for (size_t i = 0; i < n; i++)
                fputs(lines[i], f);
        fputs(tail, f);
}

static void append_raw(const char *text)
{
        _cleanup_fclose_ FILE *f = fopen(path, "ae");
        assert_non_null(f);
        fputs(text, f);
}

static struct vgl_audit_verdict verify(void)
{
        struct vgl_audit_verdict v;
        struct vgl_error e = {0};
        if (vgl_audit_verify(path, &v, &e) < 0)
                fail_msg("verify: %s", e.msg);
        return v;
}

static void test_type_names(void **state)
{
        for (unsigned i = 0; i < VGL_AUDIT_TYPE_COUNT; i++) {
                enum vgl_audit_type t;
                assert_non_null(vgl_audit_type_name(i));
                assert_int_equal(vgl_audit_type_from_name(vgl_audit_type_name(i), &t), 0);
                assert_int_equal(t, i);
        }
        assert_string_equal(vgl_audit_type_name(VGL_AUDIT_PROFILE_UPDATE), "profile_update");
        assert_null(vgl_audit_type_name(VGL_AUDIT_TYPE_COUNT));
        enum vgl_audit_type t;
        assert_int_equal(vgl_audit_type_from_name("reboot", &t), -EINVAL);
}

static void test_line_format(void **state)
{
        _cleanup_json_ struct json_object *d = details("vcpus", "2");
        _cleanup_free_ char *line = NULL;
        size_t len = 0;
        assert_int_equal(vgl_audit_format_line(1, "2025-01-31T12:00:00.123Z", VGL_AUDIT_HOP, "a1",
                                               42, d, vgl_audit_genesis, &line, &len, NULL),
                         0);
        const char *want = "{\"seq\":1,\"time\":\"2025-01-31T12:00:00.123Z\",\"type\":\"hop\","
                           "\"sandbox\":\"a1\",\"actor\":42,\"details\":{\"vcpus\":\"2\"},"
                           "\"prev\":\"0000000000000000000000000000000000000000000000000000000000"
                           "000000\",\"hash\":\"";
        assert_int_equal(strncmp(line, want, strlen(want)), 0);
        assert_int_equal(line[len - 1], '\n');
        assert_int_equal(len, strlen(line));

        /* The hash is SHA-256 of the line without its hash field. */
        char hex[VGL_AUDIT_HASH_HEX + 1];
        size_t cut = len - 1 - VGL_AUDIT_HASH_TAIL;
        assert_int_equal(vgl_audit_sha256_hex(line, cut, "}", 1, hex), 0);
        assert_memory_equal(hex, line + strlen(want), VGL_AUDIT_HASH_HEX);

        struct vgl_audit_record rec = {0};
        assert_int_equal(vgl_audit_parse_line(line, len - 1, &rec, NULL), 0);
        assert_int_equal(rec.seq, 1);
        assert_int_equal(rec.type, VGL_AUDIT_HOP);
        assert_true(rec.has_sandbox);
        assert_string_equal(rec.sandbox, "a1");
        assert_int_equal(rec.actor, 42);
        assert_string_equal(json_object_get_string(json_object_object_get(rec.details, "vcpus")),
                            "2");
        vgl_audit_record_clear(&rec);

        struct timespec ts = {.tv_sec = 86400 + 3661, .tv_nsec = 7000000};
        char t[VGL_AUDIT_TIME_LEN + 1];
        vgl_audit_format_time(&ts, t);
        assert_string_equal(t, "1970-01-02T01:01:01.007Z");
}

static void test_bad_arguments(void **state)
{
        _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
        struct vgl_error e = {0};
        assert_int_equal(vgl_audit_open(path, &a, NULL, NULL), 0);
        _cleanup_json_ struct json_object *arr = json_object_new_array();
        assert_int_equal(vgl_audit_append(a, VGL_AUDIT_HOP, NULL, 0, arr, NULL, &e), -EINVAL);
        assert_int_equal(vgl_audit_append(a, VGL_AUDIT_HOP, "bad id\"", 0, NULL, NULL, &e),
                         -EINVAL);
        assert_int_equal(vgl_audit_append(a, VGL_AUDIT_TYPE_COUNT, NULL, 0, NULL, NULL, &e),
                         -EINVAL);
        assert_int_equal(vgl_audit_append(a, VGL_AUDIT_HOP, NULL, -5, NULL, NULL, &e), -EINVAL);
        _cleanup_json_ struct json_object *bad = details("path", "/tmp/\xff\xfe");
        assert_int_equal(vgl_audit_append(a, VGL_AUDIT_DENIAL, NULL, 0, bad, NULL, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "UTF-8"));
        _cleanup_free_ char *big = malloc(VGL_AUDIT_LINE_MAX);
        memset(big, 'x', VGL_AUDIT_LINE_MAX - 1);
        big[VGL_AUDIT_LINE_MAX - 1] = '\0';
        _cleanup_json_ struct json_object *huge = details("blob", big);
        assert_int_equal(vgl_audit_append(a, VGL_AUDIT_MODEL, NULL, 0, huge, NULL, &e), -E2BIG);
        /* Nothing was written by the refused calls. */
        assert_int_equal(vgl_audit_head(a, NULL), 0);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, 0);
}

static void test_chain_across_reopen(void **state)
{
        struct vgl_audit_open_info info;
        const char *h0 = NULL;
        {
                _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
                assert_int_equal(vgl_audit_open(path, &a, &info, NULL), 0);
                assert_true(info.created);
                assert_int_equal(info.records, 0);
                assert_int_equal(vgl_audit_head(a, &h0), 0);
                assert_string_equal(h0, vgl_audit_genesis);
                append_n(a, 3);
        }
        char hash3[VGL_AUDIT_HASH_HEX + 1];
        {
                _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
                assert_int_equal(vgl_audit_open(path, &a, &info, NULL), 0);
                assert_false(info.created);
                assert_int_equal(info.records, 3);
                assert_int_equal(info.torn_bytes, 0);
                assert_int_equal(vgl_audit_head(a, &h0), 3);
                snprintf(hash3, sizeof(hash3), "%s", h0);
                append_n(a, 2);
        }
        struct vgl_audit_verdict v = verify();
        assert_true(v.ok);
        assert_int_equal(v.records, 5);
        assert_int_equal(v.torn_bytes, 0);

        /* The reader from seq 4: the fourth record links to the third. */
        _cleanup_(vgl_audit_reader_freep) struct vgl_audit_reader *r = NULL;
        struct vgl_audit_record rec = {0};
        assert_int_equal(vgl_audit_reader_open(path, 4, &r, NULL), 0);
        assert_int_equal(vgl_audit_reader_next(r, &rec, NULL), 1);
        assert_int_equal(rec.seq, 4);
        assert_int_equal(rec.line, 4);
        assert_string_equal(rec.prev, hash3);
        vgl_audit_record_clear(&rec);
        assert_int_equal(vgl_audit_reader_next(r, &rec, NULL), 1);
        assert_int_equal(rec.seq, 5);
        assert_int_equal(rec.type, VGL_AUDIT_RELEASE); /* i = 1 of the second batch */
        assert_string_equal(rec.sandbox, "sb-1");
        assert_int_equal(rec.actor, 1000);
        vgl_audit_record_clear(&rec);
        assert_int_equal(vgl_audit_reader_next(r, &rec, NULL), 0);
}

static void test_single_writer(void **state)
{
        _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL, *b = NULL;
        struct vgl_error e = {0};
        assert_int_equal(vgl_audit_open(path, &a, NULL, NULL), 0);
        assert_int_equal(vgl_audit_open(path, &b, NULL, &e), -EBUSY);
        assert_non_null(strstr(e.msg, "in use"));
}

/* Asserts verify finds the first broken record at line/seq, why holding what. */
static void expect_broken(uint64_t line, uint64_t seq, const char *what)
{
        struct vgl_audit_verdict v = verify();
        assert_false(v.ok);
        assert_int_equal(v.line, line);
        assert_int_equal(v.seq, seq);
        assert_int_equal(v.records, line - 1);
        if (!strstr(v.why, what))
                fail_msg("why '%s' lacks '%s'", v.why, what);
}

static char (*lbuf)[VGL_AUDIT_LINE_MAX];

static int alloc_lines(void **state)
{
        fresh(state);
        lbuf = calloc(MAX_LINES, VGL_AUDIT_LINE_MAX);
        return lbuf ? 0 : -1;
}

static int free_lines(void **state)
{
        free(lbuf);
        return 0;
}

static void test_changed_field(void **state)
{
        char tail[16] = "";
        write_log(5);
        size_t n = read_lines(lbuf, tail, sizeof(tail));
        assert_int_equal(n, 5);
        char *p = strstr(lbuf[2], "\"actor\":");
        assert_non_null(p);
        memcpy(p, "\"actor\":7", 9); /* 1000 becomes 7000 */
        write_lines(lbuf, n, tail);
        expect_broken(3, 3, "altered");
}

static void test_changed_details(void **state)
{
        char tail[16] = "";
        write_log(5);
        size_t n = read_lines(lbuf, tail, sizeof(tail));
        char *p = strstr(lbuf[3], "trust fell");
        assert_non_null(p);
        p[0] = 'T';
        write_lines(lbuf, n, tail);
        expect_broken(4, 4, "altered");
}

static void test_deleted_line(void **state)
{
        char tail[16] = "";
        write_log(5);
        size_t n = read_lines(lbuf, tail, sizeof(tail));
        memmove(lbuf[2], lbuf[3], 2 * sizeof(lbuf[0]));
        write_lines(lbuf, n - 1, tail);
        expect_broken(3, 4, "seq 4 where 3 was expected");
}

static void test_reordered_lines(void **state)
{
        char tail[16] = "";
        write_log(5);
        size_t n = read_lines(lbuf, tail, sizeof(tail));
        char *tmp = malloc(sizeof(lbuf[0]));
        memcpy(tmp, lbuf[1], sizeof(lbuf[0]));
        memcpy(lbuf[1], lbuf[2], sizeof(lbuf[0]));
        memcpy(lbuf[2], tmp, sizeof(lbuf[0]));
        free(tmp);
        write_lines(lbuf, n, tail);
        expect_broken(2, 3, "seq 3 where 2 was expected");
}

/* An edit with a freshly computed hash passes its own check but breaks the link. */
static void test_rehashed_record(void **state)
{
        char tail[16] = "";
        write_log(5);
        size_t n = read_lines(lbuf, tail, sizeof(tail));
        struct vgl_audit_record rec = {0};
        assert_int_equal(vgl_audit_parse_line(lbuf[1], strlen(lbuf[1]) - 1, &rec, NULL), 0);
        _cleanup_json_ struct json_object *d = details("why", "nothing happened");
        _cleanup_free_ char *forged = NULL;
        size_t len = 0;
        assert_int_equal(vgl_audit_format_line(rec.seq, rec.time, rec.type, NULL, 0, d, rec.prev,
                                               &forged, &len, NULL),
                         0);
        vgl_audit_record_clear(&rec);
        snprintf(lbuf[1], sizeof(lbuf[1]), "%s", forged);
        write_lines(lbuf, n, tail);
        expect_broken(3, 3, "prev does not match");
}

static void test_garbage_line(void **state)
{
        write_log(2);
        append_raw("{\"seq\":3}\n");
        expect_broken(3, 0, "hash");
        /* The writer refuses to continue a chain whose last record is broken. */
        _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
        struct vgl_error e = {0};
        assert_int_equal(vgl_audit_open(path, &a, NULL, &e), -EBADMSG);
        assert_non_null(strstr(e.msg, "last record"));
}

static void test_torn_tail(void **state)
{
        static const char torn[] = "{\"seq\":4,\"time\":\"2025";
        write_log(3);
        append_raw(torn);

        /* Not corruption: verify says OK and reports it; readers stop before it. */
        struct vgl_audit_verdict v = verify();
        assert_true(v.ok);
        assert_int_equal(v.records, 3);
        assert_int_equal(v.torn_bytes, strlen(torn));
        _cleanup_(vgl_audit_reader_freep) struct vgl_audit_reader *r = NULL;
        struct vgl_audit_record rec = {0};
        assert_int_equal(vgl_audit_reader_open(path, 3, &r, NULL), 0);
        assert_int_equal(vgl_audit_reader_next(r, &rec, NULL), 1);
        vgl_audit_record_clear(&rec);
        assert_int_equal(vgl_audit_reader_next(r, &rec, NULL), 0);

        /* Open cuts it off and the chain continues at seq 4. */
        struct vgl_audit_open_info info;
        {
                _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
                assert_int_equal(vgl_audit_open(path, &a, &info, NULL), 0);
                assert_int_equal(info.records, 3);
                assert_int_equal(info.torn_bytes, strlen(torn));
                append_n(a, 1);
        }
        v = verify();
        assert_true(v.ok);
        assert_int_equal(v.records, 4);
        assert_int_equal(v.torn_bytes, 0);
        /* The same reader, after the cut and the new record: no false alarm. */
        assert_int_equal(vgl_audit_reader_next(r, &rec, NULL), 1);
        assert_int_equal(rec.seq, 4);
        vgl_audit_record_clear(&rec);
}

static void test_torn_only_line(void **state)
{
        append_raw("{\"seq\":1,");
        struct vgl_audit_open_info info;
        _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
        assert_int_equal(vgl_audit_open(path, &a, &info, NULL), 0);
        assert_int_equal(info.records, 0);
        assert_int_equal(info.torn_bytes, 9);
        append_n(a, 1);
        assert_true(verify().ok);
}

static void test_follow(void **state)
{
        _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
        _cleanup_(vgl_audit_reader_freep) struct vgl_audit_reader *r = NULL;
        struct vgl_audit_record rec = {0};
        assert_int_equal(vgl_audit_open(path, &a, NULL, NULL), 0);
        assert_int_equal(vgl_audit_reader_open(path, 0, &r, NULL), 0);
        assert_int_equal(vgl_audit_reader_next(r, &rec, NULL), 0);
        for (uint64_t seq = 1; seq <= 3; seq++) {
                append_n(a, 1);
                assert_int_equal(vgl_audit_reader_next(r, &rec, NULL), 1);
                assert_int_equal(rec.seq, seq);
                vgl_audit_record_clear(&rec);
                assert_int_equal(vgl_audit_reader_next(r, &rec, NULL), 0);
        }
}

/* Fills the log until the disk refuses; checks that the refusal left the
 * file at its last record and that the chain continues once there is room. */
static void fill_until_refused(struct vgl_audit *a, int want)
{
        _cleanup_free_ char *blob = malloc(2001);
        memset(blob, 'y', 2000);
        blob[2000] = '\0';
        _cleanup_json_ struct json_object *d = details("blob", blob);
        struct vgl_error e = {0};
        int r = 0;
        for (unsigned i = 0; i < 10000 && r == 0; i++)
                r = vgl_audit_append(a, VGL_AUDIT_ADJUSTMENT, "sb", 0, d, NULL, &e);
        assert_int_equal(r, want);
        assert_non_null(strstr(e.msg, "not logged"));

        uint64_t seq = vgl_audit_head(a, NULL);
        struct vgl_audit_verdict v = verify();
        assert_true(v.ok);
        assert_int_equal(v.records, seq);
        assert_int_equal(v.torn_bytes, 0);
}

static void test_file_size_limit(void **state)
{
        struct rlimit old, lim;
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        lim = old;
        lim.rlim_cur = 64 * 1024 + 123; /* not on a record boundary: a partial write */
        void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
        _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
        assert_int_equal(vgl_audit_open(path, &a, NULL, NULL), 0);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        fill_until_refused(a, -EFBIG);
        uint64_t seq = vgl_audit_head(a, NULL);
        assert_true(seq > 10);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, old_handler);
        append_n(a, 1);
        assert_int_equal(vgl_audit_head(a, NULL), seq + 1);
        struct vgl_audit_verdict v = verify();
        assert_true(v.ok);
        assert_int_equal(v.records, seq + 1);
}

/* A real ENOSPC: a 64 KiB tmpfs in a private mount namespace (needs root). */
static void test_tmpfs_full(void **state)
{
        char mnt[128], log[160], filler[160];
        snprintf(mnt, sizeof(mnt), "%s/small", dir);
        assert_int_equal(mkdir(mnt, 0700), 0);
        if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700") < 0) {
                printf("skipped: cannot mount a tmpfs here (%s); the file-size limit test "
                       "covers the same path\n",
                       strerror(errno));
                rmdir(mnt);
                skip();
        }
        snprintf(log, sizeof(log), "%s/audit.log", mnt);
        snprintf(filler, sizeof(filler), "%s/filler", mnt);
        int fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        char page[8192] = {0};
        assert_int_equal(write(fd, page, sizeof(page)), sizeof(page));
        close(fd);

        snprintf(path, sizeof(path), "%s", log);
        {
                _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
                assert_int_equal(vgl_audit_open(log, &a, NULL, NULL), 0);
                fill_until_refused(a, -ENOSPC);
                uint64_t seq = vgl_audit_head(a, NULL);
                assert_int_equal(unlink(filler), 0); /* room again */
                append_n(a, 1);
                assert_int_equal(vgl_audit_head(a, NULL), seq + 1);
                assert_true(verify().ok);
        }
        snprintf(path, sizeof(path), "%s/audit.log", dir);
        assert_int_equal(umount(mnt), 0);
        rmdir(mnt);
}

/* A writer killed with SIGKILL mid-stream loses no record it acknowledged. */
static void test_killed_writer(void **state)
{
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct vgl_audit *a = NULL;
                if (vgl_audit_open(path, &a, NULL, NULL) < 0)
                        _exit(1);
                for (;;) {
                        uint64_t seq = 0;
                        if (vgl_audit_append(a, VGL_AUDIT_ENFORCEMENT, "sb", 0, NULL, &seq, NULL) <
                                    0 ||
                            write(p[1], &seq, sizeof(seq)) != sizeof(seq))
                                _exit(1);
                }
        }
        close(p[1]);
        uint64_t acked = 0, seq;
        while (acked < 50 && read(p[0], &seq, sizeof(seq)) == sizeof(seq))
                acked = seq;
        kill(pid, SIGKILL);
        while (read(p[0], &seq, sizeof(seq)) == sizeof(seq))
                acked = seq;
        close(p[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));

        struct vgl_audit_verdict v = verify();
        assert_true(v.ok);
        assert_true(v.records >= acked);
        _cleanup_(vgl_audit_closep) struct vgl_audit *a = NULL;
        struct vgl_audit_open_info info;
        assert_int_equal(vgl_audit_open(path, &a, &info, NULL), 0);
        assert_true(info.records >= acked);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_type_names),
                cmocka_unit_test(test_line_format),
                cmocka_unit_test_setup(test_bad_arguments, fresh),
                cmocka_unit_test_setup(test_chain_across_reopen, fresh),
                cmocka_unit_test_setup(test_single_writer, fresh),
                cmocka_unit_test_setup_teardown(test_changed_field, alloc_lines, free_lines),
                cmocka_unit_test_setup_teardown(test_changed_details, alloc_lines, free_lines),
                cmocka_unit_test_setup_teardown(test_deleted_line, alloc_lines, free_lines),
                cmocka_unit_test_setup_teardown(test_reordered_lines, alloc_lines, free_lines),
                cmocka_unit_test_setup_teardown(test_rehashed_record, alloc_lines, free_lines),
                cmocka_unit_test_setup(test_garbage_line, fresh),
                cmocka_unit_test_setup(test_torn_tail, fresh),
                cmocka_unit_test_setup(test_torn_only_line, fresh),
                cmocka_unit_test_setup(test_follow, fresh),
                cmocka_unit_test_setup(test_file_size_limit, fresh),
                cmocka_unit_test_setup(test_tmpfs_full, fresh),
                cmocka_unit_test_setup(test_killed_writer, fresh),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
