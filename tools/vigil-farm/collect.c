/* After the command: its artifacts (GetFile, saved under the attempt's
 * artifacts/ with their guest paths), an Adjust round so the profile
 * reflects everything the job did (the adjuster's timer may not have run
 * since the last event), and the profile itself (GetProfile). Nothing here
 * changes the verdict; failures become notes. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "farm.h"
#include "util.h"

#define ARTIFACT_MAX    ((int64_t)11 << 20) /* vigild's GetFile limit */
#define CALL_TIMEOUT_MS (120 * 1000)
#define SETTLE_WAIT_S   180 /* a hop under TCG takes a while */

static int write_file(const char *path, const uint8_t *data, size_t len, int mode,
                      struct vgl_error *err)
{
        _cleanup_free_ char *dir = strdup(path);
        _cleanup_close_ int fd = -1;
        int r;

        if (!dir)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if ((r = farm_mkdir_p(dirname(dir), err)) < 0)
                return r;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644 | (mode & 0111));
        if (fd < 0)
                return vgl_error_set(err, errno, "%s: %s", path, strerror(errno));
        while (len) {
                ssize_t n = write(fd, data, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return vgl_error_set(err, EIO, "%s: %s", path, strerror(errno));
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

static struct json_object *artifact(struct farm_worker *w, struct farm_attempt *a, const char *path)
{
        _cleanup_free_ char *rel = NULL, *local = NULL;
        struct vgl_client_file file = {};
        struct json_object *o = json_object_new_object();
        struct vgl_client *c = NULL;
        struct vgl_error e = {};
        int r;

        if (!o)
                return NULL;
        json_object_object_add(o, "path", json_object_new_string(path));
        if ((r = farm_worker_client(w, &c, &e)) >= 0) {
                vgl_client_set_timeout(c, CALL_TIMEOUT_MS);
                r = vgl_client_get_file(c, a->sandbox, path, ARTIFACT_MAX, &file, &e);
                if (r < 0)
                        farm_worker_call_failed(w);
        }
        if (r >= 0 && (asprintf(&rel, "%s/artifacts%s", a->dir, path) < 0 ||
                       asprintf(&local, "%s/%s", w->f->o->out_dir, rel) < 0)) {
                rel = local = NULL;
                r = vgl_error_set(&e, ENOMEM, "out of memory");
        }
        if (r >= 0)
                r = write_file(local, file.data, file.size, file.mode, &e);
        free(file.data);
        if (r < 0) {
                json_object_object_add(o, "error", json_object_new_string(e.msg));
                farm_note(a, "artifact %s: %s", path, e.msg);
                return o;
        }
        json_object_object_add(o, "file", json_object_new_string(rel));
        json_object_object_add(o, "size", json_object_new_int64((int64_t)file.size));
        return o;
}

static void artifacts(struct farm_worker *w, const struct farm_job *j, struct farm_attempt *a)
{
        if (j->n_artifacts && !a->artifacts)
                a->artifacts = json_object_new_array();
        for (size_t i = 0; a->artifacts && i < j->n_artifacts && !farm_stopping(w->f); i++)
                json_object_array_add(a->artifacts, artifact(w, a, j->artifacts[i]));
}

/* Adjust, retried while the sandbox hops (SandboxNotReady). */
static void settle(struct farm_worker *w, struct farm_attempt *a)
{
        double deadline = farm_mono_s() + SETTLE_WAIT_S;

        for (;;) {
                struct vgl_client *c = NULL;
                struct vgl_error e = {};
                const char *name;
                int r = farm_worker_client(w, &c, &e);

                if (r >= 0) {
                        vgl_client_set_timeout(c, SETTLE_WAIT_S * 1000);
                        r = vgl_client_adjust(c, a->sandbox, NULL, NULL, &e);
                }
                if (r >= 0)
                        return;
                name = c && w->c ? vgl_client_error_name(c) : NULL;
                if (name && strstr(name, ".SandboxNotReady") && farm_mono_s() < deadline &&
                    !farm_stopping(w->f)) {
                        sleep(1);
                        continue;
                }
                farm_worker_call_failed(w);
                farm_note(a, "Adjust: %s", e.msg);
                return;
        }
}

static void profile(struct farm_worker *w, struct farm_attempt *a)
{
        struct vgl_client *c = NULL;
        struct vgl_error e = {};
        int r = farm_worker_client(w, &c, &e);

        if (r >= 0) {
                vgl_client_set_timeout(c, CALL_TIMEOUT_MS);
                r = vgl_client_get_profile(c, a->sandbox, &a->profile, &e);
        }
        if (r < 0) {
                farm_worker_call_failed(w);
                farm_note(a, "GetProfile: %s", e.msg);
        }
}

void farm_collect(struct farm_worker *w, const struct farm_job *j, struct farm_attempt *a)
{
        farm_set_phase(w, FARM_COLLECTING);
        /* after a failed Exec the agent is likely unreachable: each GetFile
         * would wait for its timeout */
        if (a->status == FARM_ERROR && !strcmp(a->kind, "Exec") && j->n_artifacts)
                farm_note(a, "artifacts not fetched after the failed Exec");
        else
                artifacts(w, j, a);
        if (j->settle && !w->f->o->no_settle && !farm_stopping(w->f))
                settle(w, a);
        if (!farm_stopping(w->f))
                profile(w, a);
}
