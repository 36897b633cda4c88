/* Heartbeats and resource samples: small, periodic, and the first thing to
 * be dropped (and counted) when the host reads slowly. */
#include "agent.h"
#include "sampler.h"

void vgl_telemetry_start(struct vgl_agent *a, uint64_t now_ms)
{
        a->next_heartbeat_ms = now_ms;
        a->next_sample_ms = now_ms;
        a->n_samples = 0;
}

static void flush_samples(struct vgl_agent *a)
{
        uint8_t recs[VGL_AGENT_MAX_SAMPLES * VGL_RESOURCE_SAMPLE_SIZE];
        if (!a->n_samples)
                return;
        for (uint32_t i = 0; i < a->n_samples; i++)
                vgl_resource_sample_encode(&a->samples[i], recs + i * VGL_RESOURCE_SAMPLE_SIZE);
        if (vgl_telemetry_frame_append(&a->tel.buf, VGL_REC_RESOURCE, VGL_RESOURCE_SAMPLE_SIZE,
                                       recs, a->n_samples) < 0)
                a->tel_dropped += a->n_samples;
        else
                a->tel_sent += a->n_samples;
        a->n_samples = 0;
}

static void send_heartbeat(struct vgl_agent *a)
{
        uint8_t p[VGL_HEARTBEAT_SIZE];
        size_t queued = vgl_outq_pending(&a->out);
        struct vgl_heartbeat h = {
                .seq = ++a->hb_seq,
                .uptime_ms = vgl_boottime_ms(),
                .telemetry_dropped = a->tel_dropped,
                .running_commands = vgl_cmds_running(a),
                .queued_bytes = queued > UINT32_MAX ? UINT32_MAX : (uint32_t)queued,
                .telemetry_sent = a->tel_sent,
        };
        vgl_heartbeat_encode(&h, p);
        /* A missing heartbeat shows as a gap in seq. */
        vgl_outq_append(&a->tel, VGL_MSG_HEARTBEAT, 0, p, sizeof(p));
}

void vgl_telemetry_tick(struct vgl_agent *a, uint64_t now_ms, struct vgl_pollset *ps)
{
        if (a->state != VGL_SESSION_READY)
                return;
        if (now_ms >= a->next_sample_ms) {
                if (a->n_samples == VGL_AGENT_MAX_SAMPLES)
                        flush_samples(a);
                vgl_sampler_read(a->cfg.proc_root, vgl_boottime_ms(), &a->samples[a->n_samples++]);
                a->next_sample_ms = now_ms + a->sample_ms;
        }
        if (now_ms >= a->next_heartbeat_ms) {
                flush_samples(a);
                vgl_trace_count_losses(a);
                send_heartbeat(a);
                a->next_heartbeat_ms = now_ms + a->heartbeat_ms;
        }
        vgl_pollset_deadline(ps, a->next_sample_ms);
        vgl_pollset_deadline(ps, a->next_heartbeat_ms);
}
