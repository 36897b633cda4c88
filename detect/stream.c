#include "stream.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "detector-priv.h"

#define ALIGN(x) (((x) + 15u) & ~(size_t)15u)

/* Per process: struct proc, then the id ring (W x u16), the window's call
 * counts (V x u16, when a set-shaped part exists), then per per-call part
 * its state and its contribution ring (W x float). */
struct proc {
        uint32_t pid;
        bool used;
        uint64_t seen, tick;
        double sum[VGL_DETECT_COMPONENTS_MAX];
        uint32_t valid[VGL_DETECT_COMPONENTS_MAX]; /* non-NAN contributions in the ring */
};

struct vgl_stream {
        const struct vgl_detector *d;
        uint64_t tick;
        double retired; /* highest score of a process dropped since the last query */
        uint32_t retired_pid;
        size_t proc_bytes, off_counts, off_state[VGL_DETECT_COMPONENTS_MAX],
                off_ring[VGL_DETECT_COMPONENTS_MAX];
        bool sets; /* a set-shaped part exists */
        uint8_t *procs;
};

static void layout(const struct vgl_detector *d, struct vgl_stream *s)
{
        size_t off = ALIGN(sizeof(struct proc)) + ALIGN(VGL_STREAM_WINDOW * sizeof(uint16_t));

        s->sets = false;
        for (uint32_t i = 0; i < d->nparts; i++)
                s->sets |= d->part[i].ops->shape == VGL_SHAPE_PER_SET;
        s->off_counts = off;
        if (s->sets)
                off += ALIGN(d->vocab->n * sizeof(uint16_t));
        for (uint32_t i = 0; i < d->nparts; i++) {
                const struct vgl_detector_part *p = &d->part[i];
                if (p->ops->shape != VGL_SHAPE_PER_CALL)
                        continue;
                s->off_state[i] = off;
                off += ALIGN(p->ops->state_size(p->model));
                s->off_ring[i] = off;
                off += ALIGN(VGL_STREAM_WINDOW * sizeof(float));
        }
        s->proc_bytes = off;
}

size_t vgl_stream_footprint(const struct vgl_detector *d)
{
        struct vgl_stream s;

        layout(d, &s);
        return sizeof(struct vgl_stream) + VGL_STREAM_PROCS * s.proc_bytes;
}

int vgl_stream_new(const struct vgl_detector *d, struct vgl_stream **ret)
{
        struct vgl_stream *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->d = d;
        layout(d, s);
        if (!(s->procs = aligned_alloc(16, VGL_STREAM_PROCS * s->proc_bytes))) {
                free(s);
                return -ENOMEM;
        }
        memset(s->procs, 0, VGL_STREAM_PROCS * s->proc_bytes);
        *ret = s;
        return 0;
}

void vgl_stream_free(struct vgl_stream *s)
{
        if (s) {
                free(s->procs);
                free(s);
        }
}

static struct proc *proc_at(struct vgl_stream *s, uint32_t i)
{
        return (struct proc *)(s->procs + (size_t)i * s->proc_bytes);
}

static uint16_t *ring_ids(struct proc *p)
{
        return (uint16_t *)((uint8_t *)p + ALIGN(sizeof(struct proc)));
}

static void proc_start(struct vgl_stream *s, struct proc *p, uint32_t pid)
{
        const struct vgl_detector *d = s->d;

        memset(p, 0, s->proc_bytes);
        p->pid = pid;
        p->used = true;
        for (uint32_t i = 0; i < d->nparts; i++)
                if (d->part[i].ops->shape == VGL_SHAPE_PER_CALL)
                        d->part[i].ops->state_init(d->part[i].model,
                                                   (uint8_t *)p + s->off_state[i]);
}

static double proc_score(struct vgl_stream *s, struct proc *p);

/* Frees p's slot; its score waits in s->retired for the next query. */
static void proc_retire(struct vgl_stream *s, struct proc *p)
{
        if (p->seen >= VGL_STREAM_MIN_CALLS) {
                double x = proc_score(s, p);
                if (x > s->retired) {
                        s->retired = x;
                        s->retired_pid = p->pid;
                }
        }
        p->used = false;
}

/* The process's slot: its own, a free one, or the least recently used,
 * whose score then waits in s->retired for the next query. */
static struct proc *proc_find(struct vgl_stream *s, uint32_t pid)
{
        struct proc *victim = NULL;

        for (uint32_t i = 0; i < VGL_STREAM_PROCS; i++) {
                struct proc *p = proc_at(s, i);
                if (p->used && p->pid == pid)
                        return p;
                if (!victim || (!p->used && victim->used) ||
                    (p->used == victim->used && p->tick < victim->tick))
                        victim = p;
        }
        if (victim->used)
                proc_retire(s, victim);
        proc_start(s, victim, pid);
        return victim;
}

void vgl_stream_feed(struct vgl_stream *s, uint32_t pid, uint16_t nr)
{
        const struct vgl_detector *d = s->d;
        struct proc *p = proc_find(s, pid);
        uint16_t id = vgl_vocab_id(d->vocab, nr), *ring = ring_ids(p);
        uint32_t slot = (uint32_t)(p->seen % VGL_STREAM_WINDOW);
        bool full = p->seen >= VGL_STREAM_WINDOW;

        if (s->sets) {
                uint16_t *counts = (uint16_t *)((uint8_t *)p + s->off_counts);
                if (full)
                        counts[ring[slot]]--;
                counts[id]++;
        }
        ring[slot] = id;
        for (uint32_t i = 0; i < d->nparts; i++) {
                const struct vgl_detector_part *part = &d->part[i];
                if (part->ops->shape != VGL_SHAPE_PER_CALL)
                        continue;
                float *contrib = (float *)((uint8_t *)p + s->off_ring[i]);
                float c = part->ops->call(part->model, (uint8_t *)p + s->off_state[i], id);
                if (full && !isnan(contrib[slot])) {
                        p->sum[i] -= contrib[slot];
                        p->valid[i]--;
                }
                contrib[slot] = c;
                if (!isnan(c)) {
                        p->sum[i] += c;
                        p->valid[i]++;
                }
                /* Re-add exactly once a window so rounding cannot drift. */
                if (slot == VGL_STREAM_WINDOW - 1) {
                        p->sum[i] = 0;
                        for (uint32_t k = 0; k < VGL_STREAM_WINDOW; k++)
                                if (!isnan(contrib[k]))
                                        p->sum[i] += contrib[k];
                }
        }
        p->seen++;
        p->tick = ++s->tick;
}

void vgl_stream_forget(struct vgl_stream *s, uint32_t pid)
{
        for (uint32_t i = 0; i < VGL_STREAM_PROCS; i++) {
                struct proc *p = proc_at(s, i);
                if (p->used && p->pid == pid)
                        proc_retire(s, p);
        }
}

static double proc_score(struct vgl_stream *s, struct proc *p)
{
        const struct vgl_detector *d = s->d;
        double raw[VGL_DETECT_COMPONENTS_MAX];
        uint32_t counts[VGL_VOCAB_MAX];

        if (s->sets) {
                const uint16_t *c16 = (const uint16_t *)((uint8_t *)p + s->off_counts);
                for (uint32_t v = 0; v < d->vocab->n; v++)
                        counts[v] = c16[v];
        }
        for (uint32_t i = 0; i < d->nparts; i++) {
                const struct vgl_detector_part *part = &d->part[i];
                if (part->ops->shape == VGL_SHAPE_PER_SET)
                        raw[i] = part->ops->counts(part->model, counts,
                                                   p->seen < VGL_STREAM_WINDOW ? (uint32_t)p->seen
                                                                               : VGL_STREAM_WINDOW);
                else
                        raw[i] = p->valid[i] ? p->sum[i] / p->valid[i] : 0.0;
        }
        return vgl_detector_combine(d, raw);
}

double vgl_stream_score(struct vgl_stream *s, uint32_t *ret_pid)
{
        double best = s->retired;
        uint32_t pid = s->retired_pid;

        s->retired = 0;
        s->retired_pid = 0;
        for (uint32_t i = 0; i < VGL_STREAM_PROCS; i++) {
                struct proc *p = proc_at(s, i);
                if (!p->used || p->seen < VGL_STREAM_MIN_CALLS)
                        continue;
                double x = proc_score(s, p);
                if (x > best) {
                        best = x;
                        pid = p->pid;
                }
        }
        if (ret_pid)
                *ret_pid = pid;
        return best;
}
