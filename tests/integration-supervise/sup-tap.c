/* The frame tap and POLICY push (see sup-harness.h). Everything that touches
 * the session runs on the event loop thread through vgl_virt_loop_call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent-conn.h"
#include "agent-priv.h"
#include "sup-harness.h"

static void keep_record(struct sup_tap *t, uint16_t type, const uint8_t *p, size_t size)
{
        struct sup_record *r;

        if (type < 8)
                t->records_seen[type]++;
        if (type == VGL_REC_SYSCALL) {
                /* Trace records are many and small: kept decoded, apart. */
                if (t->n_sys >= SUP_MAX_SYSCALLS)
                        t->sys_lost++;
                else if (vgl_ev_syscall_decode(p, size, &t->sys[t->n_sys]) == 0)
                        t->n_sys++;
                else
                        t->bad_records++;
                return;
        }
        if (t->n_records >= SUP_MAX_RECORDS) {
                t->records_lost++;
                return;
        }
        r = &t->records[t->n_records++];
        r->type = type;
        r->size = (uint16_t)(size < SUP_REC_MAX ? size : SUP_REC_MAX);
        memcpy(r->data, p, r->size);
}

/* Loop thread, vm->lock held. */
static void look_at(struct sup_tap *t, const struct vgl_frame *f)
{
        struct vgl_telemetry_batch b;
        struct vgl_error e = {};

        if (f->type == VGL_MSG_POLICY_ACK) {
                if (vgl_msg_policy_ack_ext_parse(f, &t->ack, &e) < 0)
                        t->bad_records++;
                else
                        t->have_ack = true;
                return;
        }
        if (f->type != VGL_MSG_TELEMETRY)
                return;
        if (vgl_telemetry_batch_parse(f->payload, f->length, &b) < 0) {
                t->bad_records++;
                return;
        }
        if (b.record_type == VGL_REC_RESOURCE)
                return;
        if (b.record_type > VGL_REC_USAGE || b.record_size < vgl_ev_record_size(b.record_type)) {
                t->bad_records++;
                return;
        }
        for (uint32_t i = 0; i < b.count; i++)
                keep_record(t, b.record_type, b.records + (size_t)i * b.record_size, b.record_size);
}

static int tap_frame(const struct vgl_frame *f, void *u)
{
        struct sup_tap *t = u;

        pthread_mutex_lock(&t->vm->lock);
        look_at(t, f);
        pthread_cond_broadcast(&t->vm->cond);
        pthread_mutex_unlock(&t->vm->lock);
        /* The session gets the very same frame through its own decoder. */
        t->scratch.len = 0;
        if (vgl_frame_append(&t->scratch, f->type, f->stream, f->payload, f->length) < 0)
                return 0;
        return vgl_decoder_feed(t->orig, t->scratch.data, t->scratch.len);
}

static void tap_error(const struct vgl_decode_report *r, void *u)
{
        struct sup_tap *t = u;

        pthread_mutex_lock(&t->vm->lock);
        t->decode_errors++;
        pthread_mutex_unlock(&t->vm->lock);
}

static int do_install(void *u)
{
        struct sup_tap *t = u;
        struct vgl_agent *a;

        if (!t->vm->ac)
                return -ENOTCONN;
        a = vgl_agent_conn_agent(t->vm->ac);
        t->orig = a->decoder;
        a->decoder = t->tap;
        t->installed = true;
        return 0;
}

int sup_tap_install(struct sup_tap *t, struct vm *vm, struct vgl_error *err)
{
        int r;

        memset(t, 0, sizeof(*t));
        t->vm = vm;
        vgl_buf_init(&t->scratch, VGL_FRAME_HEADER_SIZE + VGL_FRAME_MAX_PAYLOAD);
        t->records = calloc(SUP_MAX_RECORDS, sizeof(*t->records));
        t->sys = calloc(SUP_MAX_SYSCALLS, sizeof(*t->sys));
        if (!t->records || !t->sys)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = vgl_decoder_new(tap_frame, tap_error, t, &t->tap);
        if (r < 0)
                return vgl_error_set(err, -r, "decoder");
        r = vgl_virt_loop_call(do_install, t);
        if (r < 0)
                return vgl_error_set(err, -r, "no agent session to tap");
        return 0;
}

static int do_remove(void *u)
{
        struct sup_tap *t = u;

        if (!t->installed)
                return 0;
        t->installed = false;
        if (t->vm->ac) {
                struct vgl_agent *a = vgl_agent_conn_agent(t->vm->ac);
                if (a->decoder == t->tap) {
                        a->decoder = t->orig;
                        t->orig = NULL;
                        return 0;
                }
        }
        /* The session went (vm_shutdown) and freed the tap as its decoder. */
        t->tap = NULL;
        return 0;
}

void sup_tap_remove(struct sup_tap *t)
{
        if (!t->vm)
                return;
        vgl_virt_loop_call(do_remove, t);
        t->tap = vgl_decoder_free(t->tap);
        t->orig = vgl_decoder_free(t->orig);
        vgl_buf_free(&t->scratch);
        free(t->records);
        t->records = NULL;
        free(t->sys);
        t->sys = NULL;
        t->vm = NULL;
}

/* ---- POLICY ---- */

struct push_args {
        struct sup_tap *t;
        const struct vgl_policy *p;
};

static int do_push(void *u)
{
        struct push_args *x = u;
        struct vgl_agent *a;
        size_t before;
        int r;

        if (!x->t->vm->ac)
                return -ENOTCONN;
        a = vgl_agent_conn_agent(x->t->vm->ac);
        if (!vgl_agent_ready(a))
                return -ENOTCONN;
        /* No public API sends POLICY yet; queue it as agent-exec.c queues frames. */
        before = vgl_agent_output_pending(a);
        r = vgl_msg_policy_append(&a->out, x->p);
        if (r < 0)
                return r;
        pthread_mutex_lock(&x->t->vm->lock);
        x->t->have_ack = false;
        pthread_mutex_unlock(&x->t->vm->lock);
        vgl_agent_output_kick(a, before);
        return 0;
}

struct ack_wait {
        struct sup_tap *t;
        uint64_t generation;
};

static bool acked(struct vm *vm, void *arg)
{
        struct ack_wait *w = arg;

        return (w->t->have_ack && w->t->ack.generation == w->generation) || vm->closed;
}

int sup_policy_push(struct sup_tap *t, const struct vgl_policy *p, struct vgl_policy_ack *ret_ack,
                    int timeout_s, struct vgl_error *err)
{
        struct push_args x = {t, p};
        struct ack_wait w = {t, p->generation};
        int r = vgl_virt_loop_call(do_push, &x);

        if (r < 0)
                return vgl_error_set(err, -r, "cannot queue POLICY: %s", strerror(-r));
        if (!vm_wait(t->vm, acked, &w, timeout_s) || t->vm->closed)
                return vgl_error_set(err, ETIMEDOUT, "no POLICY_ACK for generation %llu",
                                     (unsigned long long)p->generation);
        pthread_mutex_lock(&t->vm->lock);
        *ret_ack = t->ack;
        pthread_mutex_unlock(&t->vm->lock);
        return 0;
}

/* ---- records ---- */

struct rec_wait {
        struct sup_tap *t;
        uint16_t type;
        sup_record_pred pred;
        void *ctx;
        uint32_t next; /* records already looked at */
        struct sup_record *found;
};

static bool rec_found(struct vm *vm, void *arg)
{
        struct rec_wait *w = arg;

        for (; w->next < w->t->n_records; w->next++) {
                struct sup_record *r = &w->t->records[w->next];
                if (r->type == w->type && w->pred(r->type, r->data, r->size, w->ctx)) {
                        w->found = r;
                        return true;
                }
        }
        return vm->closed;
}

uint32_t sup_syscalls_of(struct sup_tap *t, uint32_t exec_id, struct vgl_ev_syscall **ret)
{
        uint32_t n = 0;

        *ret = NULL;
        pthread_mutex_lock(&t->vm->lock);
        for (uint32_t i = 0; i < t->n_sys; i++)
                n += t->sys[i].h.exec_id == exec_id;
        if (n && (*ret = calloc(n, sizeof(**ret)))) {
                n = 0;
                for (uint32_t i = 0; i < t->n_sys; i++)
                        if (t->sys[i].h.exec_id == exec_id)
                                (*ret)[n++] = t->sys[i];
        } else {
                n = 0;
        }
        pthread_mutex_unlock(&t->vm->lock);
        return n;
}

bool sup_wait_record(struct sup_tap *t, uint16_t type, sup_record_pred pred, void *ctx,
                     struct sup_record *ret, int timeout_s)
{
        struct rec_wait w = {t, type, pred, ctx, 0, NULL};

        vm_wait(t->vm, rec_found, &w, timeout_s);
        if (!w.found)
                return false;
        /* Records are only appended: the slot stays valid. */
        if (ret) {
                pthread_mutex_lock(&t->vm->lock);
                *ret = *w.found;
                pthread_mutex_unlock(&t->vm->lock);
        }
        return true;
}
