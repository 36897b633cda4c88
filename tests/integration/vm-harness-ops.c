/* Blocking exec and file transfer on top of the agent API (see vm-harness.h). */
#include "vm-harness.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define OUTPUT_MAX (256u << 20) /* what a test keeps of a command's output */

struct exec_ctx {
        struct vm *vm;
        struct vm_exec_result *res;
};

static void ex_started(struct vgl_agent *a, uint32_t id, int64_t pid, void *u)
{
        struct exec_ctx *c = u;

        pthread_mutex_lock(&c->vm->lock);
        c->res->started = true;
        c->res->pid = pid;
        pthread_mutex_unlock(&c->vm->lock);
}

static void ex_output(struct vgl_agent *a, uint32_t id, int fd, const uint8_t *p, size_t n, void *u)
{
        struct exec_ctx *c = u;
        struct vgl_buf *b = fd == 1 ? &c->res->out : &c->res->err;

        pthread_mutex_lock(&c->vm->lock);
        if (!c->res->t_first_ns && n)
                c->res->t_first_ns = vm_now_ns();
        vgl_buf_append(b, p, n);
        pthread_mutex_unlock(&c->vm->lock);
}

static void ex_exit(struct vgl_agent *a, uint32_t id, const struct vgl_exec_exit *x, void *u)
{
        struct exec_ctx *c = u;

        pthread_mutex_lock(&c->vm->lock);
        c->res->exit = *x;
        c->res->done = true;
        c->res->t_done_ns = vm_now_ns();
        pthread_cond_broadcast(&c->vm->cond);
        pthread_mutex_unlock(&c->vm->lock);
}

static const struct vgl_exec_callbacks exec_cbs = {ex_started, ex_output, ex_exit};

struct exec_args {
        struct exec_ctx *ctx;
        char **argv;
        struct vgl_error *err;
};

static int start_exec(void *u)
{
        struct exec_args *x = u;
        struct vgl_exec_request r = {.argv = x->argv, .uid = -1, .gid = -1};
        uint32_t id;

        if (!x->ctx->vm->ac)
                return vgl_error_set(x->err, ENOTCONN, "no agent channel");
        return vgl_agent_exec(vgl_agent_conn_agent(x->ctx->vm->ac), &r, &exec_cbs, x->ctx, &id,
                              x->err);
}

static bool exec_done(struct vm *vm, void *arg)
{
        return ((struct vm_exec_result *)arg)->done || vm->closed;
}

int vm_exec(struct vm *vm, char **argv, struct vm_exec_result *res, int timeout_s,
            struct vgl_error *err)
{
        struct exec_ctx ctx = {vm, res};
        struct exec_args x = {&ctx, argv, err};
        int r;

        memset(res, 0, sizeof(*res));
        vgl_buf_init(&res->out, OUTPUT_MAX);
        vgl_buf_init(&res->err, OUTPUT_MAX);
        r = vgl_virt_loop_call(start_exec, &x);
        if (r < 0)
                return r;
        if (!vm_wait(vm, exec_done, res, timeout_s) || !res->done) {
                /* ctx lives on this stack: the callbacks must never see it again. */
                vm_shutdown(vm);
                return vgl_error_set(err, ETIMEDOUT, "%s did not finish within %d s", argv[0],
                                     timeout_s);
        }
        return 0;
}

void vm_exec_result_done(struct vm_exec_result *res)
{
        vgl_buf_free(&res->out);
        vgl_buf_free(&res->err);
}

/* ---- files ---- */

struct file_ctx {
        struct vm *vm;
        struct vm_file_result *res;
};

static void file_done(struct vgl_agent *a, uint32_t id, const struct vgl_file_result *r,
                      const uint8_t *p, size_t n, void *u)
{
        struct file_ctx *c = u;

        pthread_mutex_lock(&c->vm->lock);
        c->res->r = *r;
        vgl_buf_append(&c->res->data, p, n);
        c->res->done = true;
        pthread_cond_broadcast(&c->vm->cond);
        pthread_mutex_unlock(&c->vm->lock);
}

struct file_args {
        struct file_ctx *ctx;
        const char *path;
        const void *data;
        size_t len;
        uint64_t max;
        bool put;
        struct vgl_error *err;
};

static int start_file(void *u)
{
        struct file_args *f = u;
        struct vgl_agent *a;
        uint32_t id;

        if (!f->ctx->vm->ac)
                return vgl_error_set(f->err, ENOTCONN, "no agent channel");
        a = vgl_agent_conn_agent(f->ctx->vm->ac);
        if (f->put)
                return vgl_agent_put_buffer(a, f->path, f->data, f->len, 0644, file_done, f->ctx,
                                            &id, f->err);
        return vgl_agent_get_buffer(a, f->path, f->max, file_done, f->ctx, &id, f->err);
}

static bool file_finished(struct vm *vm, void *arg)
{
        return ((struct vm_file_result *)arg)->done || vm->closed;
}

static int run_file(struct vm *vm, struct file_args *f, struct vm_file_result *res, int timeout_s)
{
        int r;

        memset(res, 0, sizeof(*res));
        vgl_buf_init(&res->data, OUTPUT_MAX);
        r = vgl_virt_loop_call(start_file, f);
        if (r < 0)
                return r;
        if (!vm_wait(vm, file_finished, res, timeout_s) || !res->done) {
                vm_shutdown(vm);
                return vgl_error_set(f->err, ETIMEDOUT, "transfer of %s did not finish", f->path);
        }
        return 0;
}

int vm_put(struct vm *vm, const char *path, const void *data, size_t len,
           struct vm_file_result *res, int timeout_s, struct vgl_error *err)
{
        struct file_ctx ctx = {vm, res};
        struct file_args f = {&ctx, path, data, len, 0, true, err};

        return run_file(vm, &f, res, timeout_s);
}

int vm_get(struct vm *vm, const char *path, uint64_t max_size, struct vm_file_result *res,
           int timeout_s, struct vgl_error *err)
{
        struct file_ctx ctx = {vm, res};
        struct file_args f = {&ctx, path, NULL, 0, max_size, false, err};

        return run_file(vm, &f, res, timeout_s);
}
