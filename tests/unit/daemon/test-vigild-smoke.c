/* vigild end to end on real microVMs (suite 'integration'): warm and cold
 * Reserve, streamed Exec, files, List/Get, Release, SIGTERM leaving only
 * the reserved VM, and the restart that picks it up again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "smoke-util.h"

#define M "io.vigil.Manager."

static struct daemon_proc proc;
static int failures;

#define CHECK(cond, ...)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fprintf(stderr, "\n");                                                     \
                        failures++;                                                                \
                        goto out;                                                                  \
                }                                                                                  \
        } while (0)

static struct json_object *params_id(const char *id)
{
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "id", json_object_new_string(id));
        return o;
}

static const char *str(struct json_object *o, const char *path1, const char *path2)
{
        struct json_object *v = NULL;

        if (!json_object_object_get_ex(o, path1, &v))
                return "";
        if (path2 && !json_object_object_get_ex(v, path2, &v))
                return "";
        return json_object_get_string(v);
}

/* Reserve at level; fills id; returns ms taken or -1. */
static long reserve(double level, char *id, size_t size, const char **ret_err)
{
        struct json_object *p = json_object_new_object(), *r = NULL,
                           *labels = json_object_new_object();
        uint64_t t0 = now_ms();
        const char *e;

        json_object_object_add(p, "desired_trust_level", json_object_new_double(level));
        json_object_object_add(labels, "test", json_object_new_string("smoke"));
        json_object_object_add(p, "labels", labels);
        e = call(&proc, M "Reserve", p, &r, 300000);
        json_object_put(p);
        *ret_err = e;
        if (e)
                return -1;
        snprintf(id, size, "%s", str(r, "sandbox", "id"));
        if (strcmp(str(r, "sandbox", "state"), "reserved") != 0)
                *ret_err = "state is not reserved";
        json_object_put(r);
        return (long)(now_ms() - t0);
}

/* Exec argv with `more`; collects stdout; returns the exit code or -1. */
static int exec_more(const char *id, const char *const *argv, char *out, size_t size)
{
        struct json_object *p = params_id(id), *a = json_object_new_array();
        struct vgl_varlink_client *c = NULL;
        struct vgl_varlink_reply rep = {0};
        struct vgl_error err = {};
        size_t used = 0;
        int code = -1, chunks = 0;

        for (; *argv; argv++)
                json_object_array_add(a, json_object_new_string(*argv));
        json_object_object_add(p, "argv", a);
        out[0] = '\0';
        if (vgl_varlink_client_connect(proc.sock, &c, &err) < 0 ||
            vgl_varlink_client_send(c, M "Exec", p, VGL_VARLINK_CALL_MORE, &err) < 0)
                goto done;
        vgl_varlink_client_set_timeout(c, 60000);
        do {
                struct json_object *v;
                vgl_varlink_reply_done(&rep);
                if (vgl_varlink_client_receive(c, &rep, &err) < 0 || rep.error)
                        goto done;
                if (json_object_object_get_ex(rep.parameters, "data_b64", &v)) {
                        uint8_t *d = NULL;
                        size_t n = 0;
                        const char *t = json_object_get_string(v);
                        if (vgl_base64_decode(t, strlen(t), &d, &n, NULL) == 0 && used + n < size) {
                                memcpy(out + used, d, n);
                                used += n;
                                out[used] = '\0';
                        }
                        free(d);
                        chunks++;
                }
                if (json_object_object_get_ex(rep.parameters, "exit", &v) &&
                    json_object_object_get_ex(v, "code", &v))
                        code = json_object_get_int(v);
        } while (rep.continues);
        if (chunks == 0)
                code = -2;
done:
        if (err.msg[0])
                fprintf(stderr, "# exec: %s\n", err.msg);
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(c);
        json_object_put(p);
        return code;
}

static bool put_get(const char *id, const char *path, size_t len)
{
        uint8_t *data = malloc(len), *back = NULL;
        char *b64 = NULL;
        struct json_object *p = params_id(id), *r = NULL;
        size_t n = 0;
        bool ok = false;
        const char *e;

        for (size_t i = 0; i < len; i++)
                data[i] = (uint8_t)(i * 7 + i / 251);
        vgl_base64_encode(data, len, &b64);
        json_object_object_add(p, "path", json_object_new_string(path));
        json_object_object_add(p, "data_b64", json_object_new_string(b64));
        e = call(&proc, M "PutFile", p, &r, 60000);
        json_object_put(p);
        json_object_put(r);
        r = NULL;
        if (e) {
                fprintf(stderr, "# PutFile: %s\n", e);
                goto out;
        }
        p = params_id(id);
        json_object_object_add(p, "path", json_object_new_string(path));
        e = call(&proc, M "GetFile", p, &r, 60000);
        json_object_put(p);
        if (e) {
                fprintf(stderr, "# GetFile: %s\n", e);
                goto out;
        }
        const char *t = str(r, "data_b64", NULL);
        ok = vgl_base64_decode(t, strlen(t), &back, &n, NULL) == 0 && n == len &&
             !memcmp(back, data, len);
out:
        json_object_put(r);
        free(data);
        free(back);
        free(b64);
        return ok;
}

static int count_listed(void)
{
        struct json_object *r = NULL, *arr;
        int n = -1;

        if (!call(&proc, M "List", NULL, &r, 10000) &&
            json_object_object_get_ex(r, "sandboxes", &arr))
                n = (int)json_object_array_length(arr);
        json_object_put(r);
        return n;
}

static bool wait_pool_ready(const char *tier, int timeout_s)
{
        uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;

        while (now_ms() < deadline) {
                struct json_object *r = NULL, *arr;
                bool ready = false;
                if (!call(&proc, M "ListTiers", NULL, &r, 10000) &&
                    json_object_object_get_ex(r, "tiers", &arr))
                        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                                struct json_object *t = json_object_array_get_idx(arr, i), *v;
                                if (!strcmp(str(t, "name", NULL), tier) &&
                                    json_object_object_get_ex(t, "pool_ready", &v))
                                        ready = json_object_get_int(v) > 0;
                        }
                json_object_put(r);
                if (ready)
                        return true;
                usleep(250 * 1000);
        }
        return false;
}

static bool wait_agent(const char *id, int timeout_s)
{
        uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;

        while (now_ms() < deadline) {
                struct json_object *p = params_id(id), *r = NULL, *sb, *agent;
                bool ok = !call(&proc, M "Get", p, &r, 10000) &&
                          json_object_object_get_ex(r, "sandbox", &sb) &&
                          json_object_object_get_ex(sb, "agent", &agent);
                json_object_put(p);
                json_object_put(r);
                if (ok)
                        return true;
                usleep(200 * 1000);
        }
        return false;
}

int main(void)
{
        static const char *const run1[] = {"--pool", "1", "--max-sandboxes", "2", NULL};
        static const char *const run2[] = {"--pool", "0", NULL};
        static const char *const uname_r[] = {"uname", "-r", NULL};
        static const char *const cat_f[] = {"wc", "-c", "/tmp/smoke-marker", NULL};
        char warm[64] = "", cold[64] = "", out[4096];
        const char *e = NULL;
        long warm_ms, cold_ms;
        int st;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!find_image(proc.image, sizeof(proc.image))) {
                printf("SKIP vigild-smoke: no microVM image (set VIGIL_IMAGE_DIR or make "
                       "tools/vigil-image build-microvm work)\n");
                return 77;
        }
        snprintf(proc.dir, sizeof(proc.dir), "/tmp/vigild-smoke-XXXXXX");
        CHECK(mkdtemp(proc.dir), "mkdtemp");
        snprintf(proc.sock, sizeof(proc.sock), "%s/vigild.sock", proc.dir);
        printf("# image %s, state %s\n", proc.image, proc.dir);

        CHECK(daemon_start(&proc, run1, 60), "vigild did not start (see %s/vigild.log)", proc.dir);
        CHECK(wait_pool_ready("low", 240), "the low pool never got a ready VM");
        warm_ms = reserve(0.9, warm, sizeof(warm), &e);
        CHECK(warm_ms >= 0 && !e, "warm Reserve: %s", e);
        printf("# warm Reserve (low tier, from the pool): %ld ms, id %s\n", warm_ms, warm);
        cold_ms = reserve(0.1, cold, sizeof(cold), &e);
        CHECK(cold_ms >= 0 && !e, "cold Reserve: %s", e);
        printf("# cold Reserve (paranoid tier, booted): %ld ms, id %s\n", cold_ms, cold);

        CHECK(exec_more(warm, uname_r, out, sizeof(out)) == 0, "uname -r failed");
        CHECK(strstr(out, "amd64") || strstr(out, "."), "uname -r printed '%s'", out);
        printf("# streamed Exec uname -r: %s", out);
        CHECK(exec_more(cold, uname_r, out, sizeof(out)) == 0, "uname -r in the cold VM failed");
        CHECK(put_get(warm, "/tmp/smoke-marker", 100 * 1024), "PutFile/GetFile round trip");
        CHECK(count_listed() == 2, "List shows %d sandboxes, expected 2", count_listed());

        e = call(&proc, M "Release", params_id(cold), NULL, 60000);
        CHECK(!e, "Release: %s", e);
        e = call(&proc, M "Get", params_id(cold), NULL, 10000);
        CHECK(e && strstr(e, "NoSuchSandbox"), "Get after Release: %s", e ? e : "success");

        st = daemon_stop(&proc, 90);
        CHECK(st == 0, "vigild exit status %d after SIGTERM", st);
        CHECK(count_vms(&proc) == 1, "%d VMs left after SIGTERM, expected the reserved one",
              count_vms(&proc));

        CHECK(daemon_start(&proc, run2, 60), "vigild did not restart");
        CHECK(wait_agent(warm, 60), "the reserved sandbox was not picked up again");
        CHECK(exec_more(warm, cat_f, out, sizeof(out)) == 0, "exec after restart failed");
        CHECK(strstr(out, "102400"), "the file put before the restart is gone: '%s'", out);
        e = call(&proc, M "Release", params_id(warm), NULL, 60000);
        CHECK(!e, "Release after restart: %s", e);
        st = daemon_stop(&proc, 90);
        CHECK(st == 0, "vigild exit status %d after the second SIGTERM", st);
        CHECK(count_vms(&proc) == 0, "%d VMs left at the end", count_vms(&proc));
        printf("vigild-smoke: OK (warm Reserve %ld ms, cold Reserve %ld ms, streamed Exec, "
               "100 KiB file round trip, Release, SIGTERM left the reserved VM only, restart "
               "picked it up)\n",
               warm_ms, cold_ms);
out:
        if (failures) {
                char cmd[300];
                snprintf(cmd, sizeof(cmd), "tail -n 40 '%s/vigild.log' >&2", proc.dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "# no log\n");
                printf("vigild-smoke: FAILED\n");
        }
        daemon_cleanup(&proc);
        return failures ? 1 : 0;
}
