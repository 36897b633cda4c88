/* Commands with stdin and a guest-side timeout (see sup-harness.h); the
 * blocking vm_exec of vm-harness has neither. */
#include <errno.h>
#include <string.h>

#include "agent-conn.h"
#include "sup-harness.h"

#define OUTPUT_MAX (16u << 20)

static void ex_started(struct vgl_agent *a, uint32_t id, int64_t pid, void *u)
{
        struct sup_exec *x = u;

        pthread_mutex_lock(&x->vm->lock);
        x->res.started = true;
        x->res.pid = pid;
        pthread_cond_broadcast(&x->vm->cond);
        pthread_mutex_unlock(&x->vm->lock);
}

static void ex_output(struct vgl_agent *a, uint32_t id, int fd, const uint8_t *p, size_t n, void *u)
{
        struct sup_exec *x = u;

        pthread_mutex_lock(&x->vm->lock);
        vgl_buf_append(fd == 1 ? &x->res.out : &x->res.err, p, n);
        pthread_cond_broadcast(&x->vm->cond);
        pthread_mutex_unlock(&x->vm->lock);
}

static void ex_exit(struct vgl_agent *a, uint32_t id, const struct vgl_exec_exit *e, void *u)
{
        struct sup_exec *x = u;

        pthread_mutex_lock(&x->vm->lock);
        x->res.exit = *e;
        x->res.done = true;
        pthread_cond_broadcast(&x->vm->cond);
        pthread_mutex_unlock(&x->vm->lock);
}

static const struct vgl_exec_callbacks exec_cbs = {ex_started, ex_output, ex_exit};

struct start_args {
        struct sup_exec *x;
        struct vgl_exec_request req;
        struct vgl_error *err;
};

static int do_start(void *u)
{
        struct start_args *s = u;

        if (!s->x->vm->ac)
                return vgl_error_set(s->err, ENOTCONN, "no agent channel");
        return vgl_agent_exec(vgl_agent_conn_agent(s->x->vm->ac), &s->req, &exec_cbs, s->x,
                              &s->x->id, s->err);
}

int sup_exec_start(struct vm *vm, char **argv, bool stdin_pipe, uint32_t timeout_ms,
                   struct sup_exec *x, struct vgl_error *err)
{
        struct vgl_exec_request req = {.argv = argv,
                                       .uid = -1,
                                       .gid = -1,
                                       .timeout_ms = timeout_ms,
                                       .stdin_pipe = stdin_pipe};

        return sup_exec_start_req(vm, &req, x, err);
}

int sup_exec_start_req(struct vm *vm, const struct vgl_exec_request *req, struct sup_exec *x,
                       struct vgl_error *err)
{
        struct start_args s = {.x = x, .req = *req, .err = err};

        memset(x, 0, sizeof(*x));
        x->vm = vm;
        vgl_buf_init(&x->res.out, OUTPUT_MAX);
        vgl_buf_init(&x->res.err, OUTPUT_MAX);
        return vgl_virt_loop_call(do_start, &s);
}

struct stdin_args {
        struct sup_exec *x;
        const void *data;
        size_t len;
};

static int do_stdin(void *u)
{
        struct stdin_args *s = u;

        if (!s->x->vm->ac)
                return -ENOTCONN;
        return vgl_agent_exec_stdin(vgl_agent_conn_agent(s->x->vm->ac), s->x->id, s->data, s->len);
}

int sup_exec_stdin(struct sup_exec *x, const void *data, size_t len)
{
        struct stdin_args s = {x, data, len};

        return vgl_virt_loop_call(do_stdin, &s);
}

struct out_wait {
        struct sup_exec *x;
        const char *needle;
        bool found;
};

static bool has_output(struct vm *vm, void *arg)
{
        struct out_wait *w = arg;
        const struct vgl_buf *b = &w->x->res.out;
        size_t n = strlen(w->needle);

        for (size_t i = 0; b->len >= n && i <= b->len - n; i++)
                if (memcmp(b->data + i, w->needle, n) == 0)
                        return w->found = true;
        return w->x->res.done || vm->closed;
}

bool sup_exec_wait_output(struct sup_exec *x, const char *needle, int timeout_s)
{
        struct out_wait w = {x, needle, false};

        vm_wait(x->vm, has_output, &w, timeout_s);
        return w.found;
}

static bool exited(struct vm *vm, void *arg)
{
        return ((struct sup_exec *)arg)->res.done || vm->closed;
}

int sup_exec_wait(struct sup_exec *x, int timeout_s, struct vgl_error *err)
{
        if (!vm_wait(x->vm, exited, x, timeout_s) || !x->res.done) {
                /* x may be on the caller's stack: no callback may see it again. */
                vm_shutdown(x->vm);
                return vgl_error_set(err, ETIMEDOUT, "command did not finish within %d s",
                                     timeout_s);
        }
        return 0;
}

void sup_exec_done(struct sup_exec *x)
{
        vm_exec_result_done(&x->res);
}
