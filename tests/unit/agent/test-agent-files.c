/* End-to-end tests of file transfer: the real agent binary on a socketpair. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static char tmpdir[] = "/tmp/vigil-agent-files.XXXXXX";

static struct vgl_file_result wait_result(struct harness *h, uint32_t stream)
{
        struct vgl_file_result r;
        struct vgl_error e = {0};
        struct h_frame f = h_wait(h, VGL_MSG_FILE_RESULT, stream);
        struct vgl_frame vf = {
                .type = f.type, .stream = f.stream, .payload = f.data, .length = f.len};
        if (vgl_msg_file_result_parse(&vf, &r, &e) < 0)
                fail_msg("bad file-result: %s", e.msg);
        h_frame_free(&f);
        return r;
}

/* Encodes FILE_PUT/FILE_GET by hand: the encoder refuses the bad paths a
 * hostile host would send. */
static void request(struct vgl_buf *b, uint8_t type, uint32_t stream, const char *path,
                    uint64_t size, uint32_t mode)
{
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string(path));
        json_object_object_add(o, type == VGL_MSG_FILE_PUT ? "size" : "max_size",
                               json_object_new_int64((int64_t)size));
        if (type == VGL_MSG_FILE_PUT)
                json_object_object_add(o, "mode", json_object_new_int((int)mode));
        assert_int_equal(vgl_msg_append_json(b, type, stream, o), 0);
        json_object_put(o);
}

/* Sends FILE_PUT declaring `declared` bytes, then `len` bytes of data and the end mark. */
static void put(struct harness *h, uint32_t stream, const char *path, uint64_t declared,
                uint32_t mode, const uint8_t *data, size_t len)
{
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        request(&b, VGL_MSG_FILE_PUT, stream, path, declared, mode);
        for (size_t off = 0; off < len; off += VGL_FRAME_MAX_PAYLOAD) {
                size_t n = len - off < VGL_FRAME_MAX_PAYLOAD ? len - off : VGL_FRAME_MAX_PAYLOAD;
                assert_int_equal(vgl_frame_append(&b, VGL_MSG_FILE_DATA, stream, data + off, n), 0);
                h_send(h, &b);
        }
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_FILE_DATA, stream, NULL, 0), 0);
        h_send(h, &b);
        vgl_buf_free(&b);
}

/* Sends FILE_GET and collects the data; returns the result. */
static struct vgl_file_result get(struct harness *h, uint32_t stream, const char *path,
                                  uint64_t max, struct vgl_buf *data)
{
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        request(&b, VGL_MSG_FILE_GET, stream, path, max, 0);
        h_send(h, &b);
        vgl_buf_free(&b);
        for (;;) {
                if (h_has(h, VGL_MSG_FILE_RESULT, stream) && !h_has(h, VGL_MSG_FILE_DATA, stream))
                        return wait_result(h, stream);
                if (!h_has(h, VGL_MSG_FILE_DATA, stream)) {
                        h_pump(h, 100);
                        continue;
                }
                struct h_frame f = h_wait(h, VGL_MSG_FILE_DATA, stream);
                if (f.len == 0) {
                        h_frame_free(&f);
                        struct vgl_file_result r = wait_result(h, stream);
                        assert_true(r.ok);
                        return r;
                }
                assert_int_equal(vgl_buf_append(data, f.data, f.len), 0);
                h_frame_free(&f);
        }
}

static uint8_t *pattern(size_t n)
{
        uint8_t *p = malloc(n ? n : 1);
        assert_non_null(p);
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t)(i * 31 + (i >> 9));
        return p;
}

/* Only the files a test made are in the directory: no temporaries left behind. */
static unsigned count_entries(void)
{
        DIR *d = opendir(tmpdir);
        struct dirent *de;
        unsigned n = 0;
        assert_non_null(d);
        while ((de = readdir(d)))
                n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
        closedir(d);
        return n;
}

static void test_put_get_round_trip(void **state)
{
        struct harness h;
        struct vgl_buf back;
        struct stat st;
        char path[256];
        size_t n = 200 * 1024 + 17;
        uint8_t *data = pattern(n);
        snprintf(path, sizeof(path), "%s/round-trip", tmpdir);

        h_start(&h, true, 0, 0);
        put(&h, 11, path, n, 0640, data, n);
        struct vgl_file_result r = wait_result(&h, 11);
        assert_true(r.ok);
        assert_int_equal(r.size, n);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, n);
        assert_int_equal(st.st_mode & 07777, 0640);

        vgl_buf_init(&back, 0);
        r = get(&h, 12, path, 1u << 20, &back);
        assert_true(r.ok);
        assert_int_equal(r.size, n);
        assert_int_equal(r.mode, 0640);
        assert_int_equal(back.len, n);
        assert_memory_equal(back.data, data, n);

        /* An empty file both ways. */
        snprintf(path, sizeof(path), "%s/empty", tmpdir);
        put(&h, 13, path, 0, 0600, NULL, 0);
        assert_true(wait_result(&h, 13).ok);
        back.len = 0;
        r = get(&h, 14, path, 0, &back);
        assert_true(r.ok);
        assert_int_equal(back.len, 0);
        assert_int_equal(count_entries(), 2);
        unlink(path);
        snprintf(path, sizeof(path), "%s/round-trip", tmpdir);
        unlink(path);
        free(data);
        vgl_buf_free(&back);
        h_stop(&h);
}

static void expect_put_refused(struct harness *h, uint32_t stream, const char *path,
                               uint64_t declared, size_t sent, const char *why)
{
        uint8_t *data = pattern(sent);
        put(h, stream, path, declared, 0644, data, sent);
        struct vgl_file_result r = wait_result(h, stream);
        free(data);
        assert_false(r.ok);
        if (!strstr(r.error, why))
                fail_msg("PUT %s: error \"%s\" does not mention \"%s\"", path, r.error, why);
}

static void test_put_refused(void **state)
{
        struct harness h;
        char path[256], cmd[512];
        snprintf(path, sizeof(path), "%s/refused", tmpdir);

        h_start(&h, true, 0, 0);
        expect_put_refused(&h, 1, "relative/path", 4, 4, "");
        expect_put_refused(&h, 2, "/tmp/../etc/x", 4, 4, "");
        expect_put_refused(&h, 3, "/proc/sys/kernel/hostname", 4, 4, "/proc");
        expect_put_refused(&h, 4, "/dev/null", 4, 4, "/dev");
        expect_put_refused(&h, 5, "/sys/kernel/x", 4, 4, "/sys");
        expect_put_refused(&h, 6, path, 3ull << 30, 10, "limit");
        expect_put_refused(&h, 7, path, 100, 1000, "more data");
        expect_put_refused(&h, 8, path, 100, 50, "short");
        expect_put_refused(&h, 9, "/nonexistent-dir/x", 4, 4, "No such file");
        /* Failed uploads leave nothing behind, and the agent keeps working. */
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(count_entries(), 0);
        uint8_t ok[3] = {1, 2, 3};
        put(&h, 10, path, 3, 0600, ok, 3);
        assert_true(wait_result(&h, 10).ok);
        snprintf(cmd, sizeof(cmd), "rm -f '%s'", path);
        assert_int_equal(system(cmd), 0);
        h_stop(&h);
}

static void test_get_refused(void **state)
{
        struct harness h;
        struct vgl_buf data;
        char path[256];
        snprintf(path, sizeof(path), "%s/big", tmpdir);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite("0123456789", 1, 10, f), 10);
        fclose(f);

        h_start(&h, true, 0, 0);
        vgl_buf_init(&data, 0);
        assert_false(get(&h, 1, path, 5, &data).ok);        /* over max_size */
        assert_false(get(&h, 2, tmpdir, 0, &data).ok);      /* a directory */
        assert_false(get(&h, 3, "/dev/null", 0, &data).ok); /* not a regular file */
        assert_false(get(&h, 4, "/nonexistent", 0, &data).ok);
        assert_false(get(&h, 5, "no/abs", 0, &data).ok);
        assert_int_equal(data.len, 0);
        assert_true(get(&h, 6, path, 10, &data).ok);
        assert_int_equal(data.len, 10);
        /* Data for a stream that is not an upload. */
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_FILE_DATA, 99, "x", 1), 0);
        h_send(&h, &b);
        assert_string_equal(h_wait_error(&h, 99).code, "unknown-stream");
        vgl_buf_free(&b);
        vgl_buf_free(&data);
        unlink(path);
        h_stop(&h);
}

static int setup(void **state)
{
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_put_get_round_trip),
                cmocka_unit_test(test_put_refused),
                cmocka_unit_test(test_get_refused),
        };
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, setup, teardown);
}
