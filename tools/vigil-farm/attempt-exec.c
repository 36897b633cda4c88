/* The job's command: a streamed Exec into stdout.log, stderr.log and the
 * job's output.log as the output arrives.
 *
 * A hop (save/restore into a stricter template) ends the Exec call at the
 * save while the command runs on in the guest. So, unless the job says
 * "wrap": false, the command runs under a small sh wrapper that also tees
 * its output into files in the guest and writes its exit status to a file
 * when it ends; attempt-resume.c picks the command up from those when the
 * stream breaks. Costs of the wrapper: a sh, two tee processes and a few
 * small files in /tmp/.vigil-farm-RUN-JOB-N; a command killed by signal N
 * exits 128+N. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec-priv.h"
#include "util.h"

#define MAX_STARTS 3 /* an Exec refused before the command started is retried */

/* $1: the directory for the copies (a new one directly under /tmp: mkdir
 * -p would also try directories outside the writable ones, which a strict
 * permission set denies and vigild counts against the job); the rest: the
 * command. Its stdout goes through fd 3 to one tee, its stderr to the
 * other; pipes, not fifos, since the agent's supervisor opens a path on
 * the process's behalf and a fifo's open would block it. Programs by full
 * path: busybox's sh runs a bare applet name through /proc/self/exe, which
 * strict exec allow-lists refuse (a policy violation on the job's record
 * before the fallback to PATH). The exit file is written after both tees
 * are done, so the copies are complete by then. */
static const char wrapper[] =
        "d=$1; shift; /bin/mkdir \"$d\" || exit 125; "
        "{ { \"$@\"; echo $? >\"$d/rc\"; } 2>&1 1>&3 3>&- | /usr/bin/tee \"$d/err\" 1>&2 3>&-; "
        "} 3>&1 | /usr/bin/tee \"$d/out\"; read rc <\"$d/rc\" || rc=125; echo $rc >\"$d/exit\"; "
        "exit $rc";

int farm_sink_output(void *u, enum vgl_client_stream stream, const uint8_t *data, size_t len)
{
        struct sink *s = u;
        FILE *f = stream == VGL_CLIENT_STDERR ? s->err : s->out;

        if (f && (fwrite(data, 1, len, f) != len || fflush(f) != 0))
                return -EIO;
        if (s->all) {
                fwrite(data, 1, len, s->all);
                fflush(s->all);
        }
        if (stream == VGL_CLIENT_STDERR)
                s->a->err_bytes += (int64_t)len;
        else
                s->a->out_bytes += (int64_t)len;
        farm_say_output(s->f, s->job, (const char *)data, len);
        return 0;
}

static FILE *open_in(struct farm *f, const struct farm_attempt *a, const char *name)
{
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s/%s", f->o->out_dir, a->dir, name) < 0)
                return path = NULL, NULL;
        return fopen(path, "we");
}

/* argv for the Exec: the job's, or the wrapper's around it. */
static const char **command(const struct farm_job *j, const char *dir)
{
        size_t n = 0, k = 0;
        const char **argv;

        while (j->argv[n])
                n++;
        argv = calloc(n + 6, sizeof(*argv));
        if (!argv)
                return NULL;
        if (j->wrap) {
                argv[k++] = "/bin/sh";
                argv[k++] = "-c";
                argv[k++] = wrapper;
                argv[k++] = "vigil-farm";
                argv[k++] = dir;
        }
        for (size_t i = 0; i < n; i++)
                argv[k++] = j->argv[i];
        return argv;
}

static int run(struct farm_worker *w, const struct farm_job *j, struct farm_attempt *a,
               const char *const *argv, struct sink *s, struct farm_fail *ret_fail,
               struct vgl_error *err)
{
        const struct vgl_client_exec_ops ops = {.on_output = farm_sink_output};
        struct vgl_client_exec_request req = {
                .argv = argv,
                .env = (const char *const *)j->env,
                .cwd = j->cwd,
                .uid = -1,
                .timeout_ms = j->timeout_s * 1000,
        };
        struct vgl_client_exec_exit x = {};
        struct vgl_client *c = NULL;
        int r = farm_worker_client(w, &c, err);

        *ret_fail = (struct farm_fail){.why = FAIL_TRANSPORT};
        if (r < 0)
                return r;
        /* the command may stay silent up to its timeout */
        vgl_client_set_timeout(c, (int)(j->timeout_s * 1000) + EXEC_CALL_TIMEOUT_MS);
        r = vgl_client_exec(c, a->sandbox, &req, &ops, s, &x, err);
        if (r < 0) {
                farm_fail_of(c, ret_fail);
                farm_worker_call_failed(w);
                return r;
        }
        a->have_exit = true;
        snprintf(a->exit.status, sizeof(a->exit.status), "%s", x.status);
        a->exit.code = x.code;
        a->exit.duration_ms = x.duration_ms;
        return 0;
}

/* Whether a failed Exec may have left the command running (or never
 * started it while the agent was away): worth looking for the wrapper. */
static bool recoverable(const struct farm_job *j, const struct farm_fail *fail, int r)
{
        return j->wrap && (fail->why == FAIL_AGENT || fail->why == FAIL_TRANSPORT) &&
               r != -ECONNREFUSED && r != -ENOENT;
}

struct exec_ctx {
        const struct farm_job *j;
        struct farm_attempt *a;
        const char **argv;
        char *dir;
        struct sink s;
        double t0, deadline;
};

static bool no_output(const struct farm_attempt *a)
{
        return a->out_bytes == 0 && a->err_bytes == 0;
}

/* Runs until an exit status is known or there is no hope of one. */
static int exec_loop(struct farm_worker *w, struct exec_ctx *x, struct vgl_error *err)
{
        struct vgl_error first = {}, then = {};
        struct farm_fail fail;
        int starts = 0, r;

        for (;;) {
                r = run(w, x->j, x->a, x->argv, &x->s, &fail, &first);
                if (r >= 0)
                        return 0;
                if (farm_stopping(w->f) || farm_mono_s() > x->deadline)
                        break;
                /* the agent is away (a hop): the command has not started */
                if (fail.why == FAIL_NOT_READY && no_output(x->a)) {
                        sleep(1);
                        continue;
                }
                if (!recoverable(x->j, &fail, r))
                        break;
                r = farm_resume(w, x->a, x->dir, x->deadline, &x->s, &then);
                if (r == -ESRCH && no_output(x->a) && ++starts < MAX_STARTS)
                        continue; /* the Exec was refused: run it again */
                if (r < 0) {
                        return vgl_error_set(err, -r, "%s; then: %s", first.msg, then.msg);
                }
                x->a->exit.duration_ms = (int64_t)((farm_mono_s() - x->t0) * 1000);
                farm_note(x->a,
                          "the Exec stream ended (%s); the exit status and the rest of the "
                          "output came from the guest's copies",
                          first.msg);
                return 0;
        }
        *err = first;
        return r;
}

int farm_exec(struct farm_worker *w, const struct farm_job *j, struct farm_attempt *a, FILE *out,
              struct vgl_error *err)
{
        _cleanup_fclose_ FILE *fo = open_in(w->f, a, "stdout.log");
        _cleanup_fclose_ FILE *fe = open_in(w->f, a, "stderr.log");
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ const char **argv = NULL;
        struct exec_ctx x = {.j = j, .a = a, .t0 = farm_mono_s()};

        if (!fo || !fe)
                return vgl_error_set(err, errno ? errno : EIO, "opening the logs in %s/%s: %s",
                                     w->f->o->out_dir, a->dir, strerror(errno));
        if (asprintf(&dir, "/tmp/.vigil-farm-%s-%s-%d", w->f->o->run_id, j->name, a->number) < 0)
                return dir = NULL, vgl_error_set(err, ENOMEM, "out of memory");
        if (!(argv = command(j, dir)))
                return vgl_error_set(err, ENOMEM, "out of memory");
        x.argv = argv;
        x.dir = dir;
        x.s = (struct sink){.f = w->f, .job = j->name, .out = fo, .err = fe, .all = out, .a = a};
        x.deadline = x.t0 + (double)j->timeout_s + 60;
        return exec_loop(w, &x, err);
}
