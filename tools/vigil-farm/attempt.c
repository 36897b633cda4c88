/* One attempt of a job: reserve a sandbox (labelled with the run, the job,
 * its image and the attempt), upload the files, run the command, judge the
 * exit, fetch the artifacts, let vigild's adjuster see the whole run
 * (Adjust), read the profile, release. Whatever fails, the sandbox is
 * released; after a signal the sweep (stop.c) does that instead. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "client-farm.h"
#include "farm.h"
#include "file.h"
#include "util.h"

#define CALL_TIMEOUT_MS (120 * 1000)
#define TTL_MARGIN_S    600 /* reservation beyond the command's timeout */

int farm_worker_client(struct farm_worker *w, struct vgl_client **ret, struct vgl_error *err)
{
        struct vgl_client *c = NULL;
        int r, fd;

        if (w->c) {
                *ret = w->c;
                return 0;
        }
        r = vgl_client_connect(w->f->o->socket, &c, err);
        if (r < 0)
                return r;
        fd = vgl_client_fd(c);
        fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
        pthread_mutex_lock(&w->f->lock);
        w->fd = fd;
        if (w->f->stopping && fd >= 0) /* the signal came while connecting */
                shutdown(fd, SHUT_RDWR);
        pthread_mutex_unlock(&w->f->lock);
        w->c = c;
        *ret = c;
        return 0;
}

void farm_worker_disconnect(struct farm_worker *w)
{
        pthread_mutex_lock(&w->f->lock);
        w->fd = safe_close(w->fd);
        pthread_mutex_unlock(&w->f->lock);
        w->c = vgl_client_free(w->c);
}

/* Records the first verdict of the attempt; a signal turns a failure into
 * an interruption. */
static void verdict(struct farm_worker *w, struct farm_attempt *a, enum farm_status s,
                    const char *kind, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void verdict(struct farm_worker *w, struct farm_attempt *a, enum farm_status s,
                    const char *kind, const char *fmt, ...)
{
        va_list ap;

        if (a->status != FARM_PENDING)
                return;
        if (s != FARM_PASSED && farm_stopping(w->f)) {
                int sig;

                pthread_mutex_lock(&w->f->lock);
                sig = w->f->signal ? w->f->signal : SIGINT;
                pthread_mutex_unlock(&w->f->lock);
                a->status = FARM_INTERRUPTED;
                snprintf(a->kind, sizeof(a->kind), "Interrupted");
                snprintf(a->reason, sizeof(a->reason), "interrupted by %s", strsignal(sig));
                return;
        }
        a->status = s;
        snprintf(a->kind, sizeof(a->kind), "%s", kind);
        va_start(ap, fmt);
        vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
        va_end(ap);
}

void farm_note(struct farm_attempt *a, const char *fmt, ...)
{
        size_t len = strlen(a->notes);
        va_list ap;

        if (len && len + 2 < sizeof(a->notes))
                len += (size_t)snprintf(a->notes + len, sizeof(a->notes) - len, "; ");
        va_start(ap, fmt);
        if (len < sizeof(a->notes))
                vsnprintf(a->notes + len, sizeof(a->notes) - len, fmt, ap);
        va_end(ap);
}

void farm_worker_call_failed(struct farm_worker *w)
{
        if (w->c && !vgl_client_error_name(w->c))
                farm_worker_disconnect(w);
}

/* The job's labels and the farm's: run, job, image, attempt (number in buf). */
static struct vgl_client_label *labels_of(const struct farm_worker *w, const struct farm_job *j,
                                          const struct farm_attempt *a, char *buf, size_t size)
{
        struct vgl_client_label *l = calloc(j->n_labels + 4, sizeof(*l));
        size_t n = j->n_labels;

        if (!l)
                return NULL;
        for (size_t i = 0; i < n; i++)
                l[i] = (struct vgl_client_label){j->labels[i].key, j->labels[i].value};
        snprintf(buf, size, "%d", a->number);
        l[n + 0] = (struct vgl_client_label){FARM_LABEL_PREFIX "run", w->f->o->run_id};
        l[n + 1] = (struct vgl_client_label){FARM_LABEL_PREFIX "job", j->name};
        l[n + 2] = (struct vgl_client_label){FARM_LABEL_PREFIX "image", j->image};
        l[n + 3] = (struct vgl_client_label){FARM_LABEL_PREFIX "attempt", buf};
        return l;
}

static int reserve(struct farm_worker *w, const struct farm_job *j, const struct farm_result *r,
                   struct farm_attempt *a, struct vgl_error *err)
{
        char number[16];
        _cleanup_free_ struct vgl_client_label *labels = labels_of(w, j, a, number, sizeof(number));
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        struct vgl_client_reserve_request req = {
                .desired_trust_level = j->trust,
                .tier = r->tier_pick[0] ? r->tier_pick : NULL,
                .ttl_s = j->ttl_s ? j->ttl_s : j->timeout_s + TTL_MARGIN_S,
                .labels = labels,
                .n_labels = j->n_labels + 4,
        };
        struct vgl_client *c = NULL;
        int rc;

        if (!labels)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if ((rc = farm_worker_client(w, &c, err)) < 0)
                return rc;
        vgl_client_set_timeout(c, w->f->o->reserve_timeout_s * 1000);
        if ((rc = vgl_client_reserve(c, &req, &s, err)) < 0) {
                farm_worker_call_failed(w);
                return rc;
        }
        /* the subscriber and the progress display read these */
        pthread_mutex_lock(&w->f->lock);
        snprintf(w->sandbox, sizeof(w->sandbox), "%s", s.id);
        snprintf(a->sandbox, sizeof(a->sandbox), "%s", s.id);
        snprintf(a->tier_start, sizeof(a->tier_start), "%s", s.tier);
        a->trust_start = s.trust_score;
        a->reserved = true;
        pthread_mutex_unlock(&w->f->lock);
        return 0;
}

/* One Exec without streaming, for the farm's own small commands. */
static int run_quiet(struct farm_worker *w, const struct farm_attempt *a, const char *const *argv,
                     struct vgl_error *err)
{
        struct vgl_client_exec_request req = {.argv = argv, .uid = -1, .no_stream = true};
        struct vgl_client_exec_exit x = {};
        struct vgl_client *c = NULL;
        int r = farm_worker_client(w, &c, err);

        if (r < 0)
                return r;
        vgl_client_set_timeout(c, CALL_TIMEOUT_MS);
        r = vgl_client_exec(c, a->sandbox, &req, NULL, NULL, &x, err);
        if (r < 0)
                return farm_worker_call_failed(w), r;
        if (x.kind != VGL_CLIENT_EXITED || x.code != 0)
                return vgl_error_set(err, EIO, "%s: %s %lld", argv[0], x.status, (long long)x.code);
        return 0;
}

/* Adds the directories above dest (parents first) to argv[*n..], once. */
static void add_parents(const char *dest, char *buf, const char **argv, size_t *n, size_t max)
{
        for (const char *p = strchr(dest + 1, '/'); p && *n < max; p = strchr(p + 1, '/')) {
                size_t len = (size_t)(p - dest);
                bool seen = false;

                memcpy(buf, dest, len);
                buf[len] = '\0';
                for (size_t k = 4; k < *n && !seen; k++)
                        seen = argv[k] && !strcmp(argv[k], buf);
                if (seen)
                        continue;
                argv[(*n)++] = strdup(buf);
        }
}

/* Creates the uploads' directories that do not exist, one by one: mkdir
 * -p also tries existing ones such as /, which a strict permission set
 * denies and vigild counts against the job. */
static int make_dirs(struct farm_worker *w, const struct farm_job *j, const struct farm_attempt *a,
                     struct vgl_error *err)
{
        static const char script[] = "for d; do [ -d \"$d\" ] || /bin/mkdir \"$d\" || exit 1; done";
        const size_t max = 250; /* vigild takes 256 arguments */
        const char *argv[256] = {"/bin/sh", "-c", script, "vigil-farm"};
        char buf[4096];
        size_t n = 4;
        int r;

        for (size_t i = 0; i < j->n_files && n < max; i++)
                add_parents(j->files[i].dest, buf, argv, &n, max);
        for (size_t k = 4; k < n; k++)
                if (!argv[k])
                        return vgl_error_set(err, ENOMEM, "out of memory");
        r = n > 4 ? run_quiet(w, a, argv, err) : 0;
        for (size_t k = 4; k < n; k++)
                free((char *)argv[k]);
        return r;
}

static int upload(struct farm_worker *w, const struct farm_job *j, const struct farm_attempt *a,
                  struct vgl_error *err)
{
        struct vgl_client *c = NULL;
        int r;

        if (j->n_files == 0)
                return 0;
        farm_set_phase(w, FARM_UPLOADING);
        if ((r = make_dirs(w, j, a, err)) < 0)
                return r;
        for (size_t i = 0; i < j->n_files; i++) {
                const struct farm_file *fl = &j->files[i];
                _cleanup_free_ char *data = NULL;
                size_t len = 0;

                if ((r = vgl_file_read_bounded(fl->src, FARM_MAX_FILE_SIZE, &data, &len, err)) < 0)
                        return r;
                if ((r = farm_worker_client(w, &c, err)) < 0)
                        return r;
                vgl_client_set_timeout(c, CALL_TIMEOUT_MS);
                r = vgl_client_put_file(c, a->sandbox, fl->dest, data, len, fl->mode, NULL, err);
                if (r < 0) {
                        char why[VGL_ERROR_MSG_MAX];
                        snprintf(why, sizeof(why), "%s", err->msg);
                        farm_worker_call_failed(w);
                        return vgl_error_set(err, -r, "%s -> %s: %s", fl->src, fl->dest, why);
                }
        }
        return 0;
}

static void judge(struct farm_worker *w, const struct farm_job *j, struct farm_attempt *a)
{
        const struct farm_exit *x = &a->exit;

        if (!strcmp(x->status, "exited") && x->code == j->expect_exit)
                verdict(w, a, FARM_PASSED, "", "exit status %lld", (long long)x->code);
        else if (!strcmp(x->status, "exited"))
                verdict(w, a, FARM_FAILED, "ExitStatus", "exit status %lld, expected %d",
                        (long long)x->code, j->expect_exit);
        else if (!strcmp(x->status, "timeout"))
                verdict(w, a, FARM_FAILED, "Timeout", "killed after its timeout of %lld s",
                        (long long)j->timeout_s);
        else if (!strcmp(x->status, "signaled"))
                verdict(w, a, FARM_FAILED, "Signal", "killed by signal %lld (%s)",
                        (long long)x->code, strsignal((int)x->code));
        else
                verdict(w, a, FARM_FAILED, "ExecFailed", "could not be run (%s %lld)", x->status,
                        (long long)x->code);
}

static void release(struct farm_worker *w, struct farm_attempt *a)
{
        struct vgl_client *c = NULL;
        struct vgl_error e = {};
        int r;

        farm_set_phase(w, FARM_RELEASING);
        if ((r = farm_worker_client(w, &c, &e)) >= 0) {
                vgl_client_set_timeout(c, CALL_TIMEOUT_MS);
                r = vgl_client_release(c, a->sandbox, &e);
        }
        if (r < 0 && r != -ENOENT) {
                farm_worker_call_failed(w);
                farm_note(a, "Release: %s (retried at the end)", e.msg);
                return;
        }
        pthread_mutex_lock(&w->f->lock);
        w->sandbox[0] = '\0';
        pthread_mutex_unlock(&w->f->lock);
}

void farm_attempt_run(struct farm_worker *w, const struct farm_job *j, struct farm_result *r,
                      struct farm_attempt *a, FILE *out)
{
        struct vgl_error e = {};

        a->started = farm_wall_s();
        farm_set_phase(w, FARM_RESERVING);
        if (reserve(w, j, r, a, &e) < 0) {
                verdict(w, a, FARM_ERROR, "Reserve", "Reserve: %s", e.msg);
                goto end;
        }
        farm_say(w->f, "RUN   %s on %s (%s, trust %.3f, attempt %d of %d)", j->name, a->sandbox,
                 a->tier_start, a->trust_start, a->number, j->retries + 1);
        if (upload(w, j, a, &e) < 0) {
                verdict(w, a, FARM_ERROR, "Upload", "upload: %s", e.msg);
                goto release;
        }
        farm_set_phase(w, FARM_RUNNING);
        if (farm_exec(w, j, a, out, &e) < 0)
                verdict(w, a, FARM_ERROR, "Exec", "Exec: %s", e.msg);
        else
                judge(w, j, a);
        if (farm_stopping(w->f))
                goto end;
        farm_collect(w, j, a);
release:
        if (!farm_stopping(w->f))
                release(w, a);
end:
        if (farm_stopping(w->f))
                verdict(w, a, FARM_INTERRUPTED, "Interrupted", "interrupted");
        a->ended = farm_wall_s();
}
