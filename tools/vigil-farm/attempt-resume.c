/* Recovering a command whose Exec stream broke (a hop ends the call at the
 * save; the command runs on): the wrapper (attempt-exec.c) keeps copies of
 * its output and writes its exit status to DIR/exit when it ends. This
 * polls that file until the deadline, giving up early when the sandbox is
 * gone or the wrapper never started, then appends to the logs the bytes of
 * each copy past what the stream delivered (the stream is a prefix of the
 * copy). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec-priv.h"
#include "util.h"

#define COPY_MAX          ((int64_t)11 << 20) /* vigild's GetFile limit */
#define NOT_STARTED_POLLS 5

void farm_fail_of(const struct vgl_client *c, struct farm_fail *ret)
{
        static const struct {
                const char *suffix;
                enum farm_failure why;
        } names[] = {
                {".NoSuchSandbox", FAIL_NO_SANDBOX},
                {".SandboxNotReady", FAIL_NOT_READY},
                {".AgentError", FAIL_AGENT},
                {".TransferFailed", FAIL_TRANSFER},
        };
        const char *name = c ? vgl_client_error_name(c) : NULL;
        struct json_object *state = NULL;

        *ret = (struct farm_fail){.why = name ? FAIL_OTHER : FAIL_TRANSPORT};
        for (size_t i = 0; name && i < ELEMENTSOF(names); i++)
                if (strstr(name, names[i].suffix))
                        ret->why = names[i].why;
        if (ret->why == FAIL_NOT_READY &&
            json_object_object_get_ex(vgl_client_error_parameters(c), "state", &state))
                snprintf(ret->state, sizeof(ret->state), "%s", json_object_get_string(state));
}

/* GetFile of path; on failure *ret_fail says what kind. */
static int get(struct farm_worker *w, const struct farm_attempt *a, const char *path, int64_t max,
               struct vgl_client_file *ret, struct farm_fail *ret_fail, struct vgl_error *err)
{
        struct vgl_client *c = NULL;
        int r = farm_worker_client(w, &c, err);

        *ret_fail = (struct farm_fail){.why = FAIL_TRANSPORT};
        if (r < 0)
                return r;
        vgl_client_set_timeout(c, EXEC_CALL_TIMEOUT_MS);
        r = vgl_client_get_file(c, a->sandbox, path, max, ret, err);
        if (r < 0) {
                farm_fail_of(c, ret_fail);
                farm_worker_call_failed(w);
        }
        return r;
}

static void catch_up(struct farm_worker *w, struct farm_attempt *a, const char *dir,
                     const char *name, enum vgl_client_stream stream, struct sink *s)
{
        _cleanup_free_ char *path = NULL;
        struct vgl_client_file file = {};
        struct vgl_error e = {};
        struct farm_fail fail;
        int64_t have = stream == VGL_CLIENT_STDERR ? a->err_bytes : a->out_bytes;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return (void)(path = NULL);
        if (get(w, a, path, COPY_MAX, &file, &fail, &e) < 0) {
                farm_note(a, "the guest's copy of %s: %s", path, e.msg);
                return;
        }
        if ((int64_t)file.size > have)
                farm_sink_output(s, stream, file.data + have, file.size - (size_t)have);
        free(file.data);
}

static int parse_exit(struct farm_attempt *a, const struct vgl_client_file *file, const char *path,
                      struct vgl_error *err)
{
        char *end = NULL;
        long rc = strtol((const char *)file->data, &end, 10);

        if (end == (char *)file->data || rc < 0 || rc > 255)
                return vgl_error_set(err, EBADMSG, "%s: not an exit status", path);
        snprintf(a->exit.status, sizeof(a->exit.status), "exited");
        a->exit.code = rc;
        return 0;
}

/* Whether the wrapper ran: its copy of stdout exists from its first moment. */
static bool wrapper_started(struct farm_worker *w, const struct farm_attempt *a, const char *dir)
{
        _cleanup_free_ char *path = NULL;
        struct vgl_client_file file = {};
        struct vgl_error e = {};
        struct farm_fail fail;

        if (asprintf(&path, "%s/out", dir) < 0)
                return path = NULL, true;
        if (get(w, a, path, 1, &file, &fail, &e) >= 0 || fail.why != FAIL_TRANSFER) {
                free(file.data);
                return true;
        }
        return false;
}

/* A state in which the sandbox will never answer again. */
static bool dead_state(const char *state)
{
        return state[0] && strncmp(state, "reserved", 8) != 0 && strcmp(state, "hopping") != 0;
}

/* One look at the exit file: 0 done, 1 not yet, < 0 give up. */
static int poll_exit(struct farm_worker *w, struct farm_attempt *a, const char *dir,
                     const char *path, int *not_started, struct vgl_error *err)
{
        struct vgl_client_file file = {};
        struct vgl_error e = {};
        struct farm_fail fail;
        int r = get(w, a, path, 64, &file, &fail, &e);

        if (r >= 0) {
                r = parse_exit(a, &file, path, err);
                free(file.data);
                return r;
        }
        if (fail.why == FAIL_NO_SANDBOX)
                return vgl_error_set(err, ENOENT, "the sandbox is gone");
        if (fail.why == FAIL_NOT_READY && dead_state(fail.state))
                return vgl_error_set(err, EIO, "the sandbox is %s", fail.state);
        if (r == -ECONNREFUSED || r == -ENOENT)
                return vgl_error_set(err, -r, "vigild is gone: %s", e.msg);
        if (fail.why == FAIL_TRANSFER && !wrapper_started(w, a, dir) &&
            ++*not_started >= NOT_STARTED_POLLS)
                return vgl_error_set(err, ESRCH, "the command never started");
        snprintf(err->msg, sizeof(err->msg), "%s", e.msg);
        return 1;
}

int farm_resume(struct farm_worker *w, struct farm_attempt *a, const char *dir, double deadline,
                struct sink *s, struct vgl_error *err)
{
        _cleanup_free_ char *path = NULL;
        int not_started = 0, r;

        if (asprintf(&path, "%s/exit", dir) < 0)
                return path = NULL, vgl_error_set(err, ENOMEM, "out of memory");
        while ((r = poll_exit(w, a, dir, path, &not_started, err)) > 0) {
                char last[VGL_ERROR_MSG_MAX];

                snprintf(last, sizeof(last), "%s", err->msg[0] ? err->msg : "-");
                if (farm_stopping(w->f))
                        return vgl_error_set(err, EINTR, "interrupted");
                if (farm_mono_s() > deadline)
                        return vgl_error_set(err, ETIMEDOUT,
                                             "no exit status in %s within the job's timeout "
                                             "(last: %s)",
                                             path, last);
                sleep(1);
        }
        if (r < 0)
                return r;
        catch_up(w, a, dir, "out", VGL_CLIENT_STDOUT, s);
        catch_up(w, a, dir, "err", VGL_CLIENT_STDERR, s);
        a->have_exit = true;
        a->resumed = true;
        return 0;
}
