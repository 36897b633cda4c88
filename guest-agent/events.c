/* Observation events: staging, sampling, flushing. */
#include "events.h"

#include <string.h>
#include <time.h>

#include "agent.h"

struct vgl_ev_head vgl_events_head(uint32_t exec_id, uint32_t pid)
{
        struct timespec ts;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        return (struct vgl_ev_head){
                .time_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u,
                .exec_id = exec_id,
                .pid = pid,
        };
}

static void flush_one(struct vgl_agent *a, uint16_t type)
{
        struct vgl_ev_stage *s = &a->ev[type - VGL_REC_SYSCALL];
        size_t size = vgl_ev_record_size(type);
        if (!s->count)
                return;
        if (a->state != VGL_SESSION_READY ||
            vgl_telemetry_frame_append(&a->tel.buf, type, (uint16_t)size, s->buf, s->count) < 0)
                a->tel_dropped += s->count;
        else
                a->tel_sent += s->count;
        s->count = 0;
}

void vgl_events_add(struct vgl_agent *a, uint16_t type, const uint8_t *rec)
{
        size_t size = vgl_ev_record_size(type);
        if (!size || type < VGL_REC_SYSCALL || type > VGL_REC_USAGE)
                return;
        struct vgl_ev_stage *s = &a->ev[type - VGL_REC_SYSCALL];
        if ((s->count + 1) * size > VGL_EV_STAGE_BYTES)
                flush_one(a, type);
        if (!a->ev_staged_ms)
                a->ev_staged_ms = vgl_now_ms() | 1u; /* never 0 */
        memcpy(s->buf + s->count * size, rec, size);
        s->count++;
}

void vgl_events_syscall(struct vgl_agent *a, const struct vgl_ev_syscall *e)
{
        uint8_t rec[VGL_EV_SYSCALL_SIZE];
        /* The telemetry queue is half full: keep 1 observed call in VGL_EV_SAMPLE. */
        if (e->verdict == VGL_VERDICT_OBSERVE && a->tel.buf.len > VGL_AGENT_TEL_LIMIT / 2 &&
            a->ev_sample_seq++ % VGL_EV_SAMPLE != 0) {
                a->tel_dropped++;
                a->tel_sampled_out++;
                return;
        }
        vgl_ev_syscall_encode(e, rec);
        vgl_events_add(a, VGL_REC_SYSCALL, rec);
}

void vgl_events_flush(struct vgl_agent *a)
{
        for (uint16_t t = VGL_REC_SYSCALL; t <= VGL_REC_USAGE; t++)
                flush_one(a, t);
        a->ev_staged_ms = 0;
}

void vgl_events_flush_due(struct vgl_agent *a, uint64_t now_ms, struct vgl_pollset *ps)
{
        if (!a->ev_staged_ms)
                return;
        if (now_ms >= a->ev_staged_ms + VGL_EV_FLUSH_MS)
                vgl_events_flush(a);
        else
                vgl_pollset_deadline(ps, a->ev_staged_ms + VGL_EV_FLUSH_MS);
}
