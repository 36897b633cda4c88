/* Observation events: staged per record type, flushed as TELEMETRY batches
 * into the telemetry queue. The queue is bounded: under overload trace records
 * are sampled and every record not sent is counted (heartbeat
 * telemetry_dropped); the workload is never held up by telemetry. */
#pragma once

#include <stdint.h>

#include "proto-event.h"

#define VGL_EV_STAGE_BYTES 8192u /* per record type, then flushed */
#define VGL_EV_TYPES       6u    /* record types 2..7 */
#define VGL_EV_SAMPLE      16u   /* under pressure, 1 trace record in this many */
#define VGL_EV_FLUSH_MS    10u   /* staged records wait at most this long */

struct vgl_agent;

struct vgl_ev_stage {
        uint32_t count;
        uint8_t buf[VGL_EV_STAGE_BYTES];
};

/* Stages one encoded record of type (VGL_REC_SYSCALL..VGL_REC_USAGE). */
void vgl_events_add(struct vgl_agent *a, uint16_t type, const uint8_t *rec);

/* Stages a system-call record; trace-only records are sampled under pressure. */
void vgl_events_syscall(struct vgl_agent *a, const struct vgl_ev_syscall *e);

/* Moves every staged record into the telemetry queue (dropped and counted
 * when it is full or no host is connected). */
void vgl_events_flush(struct vgl_agent *a);

/* Flushes when the oldest staged record has waited VGL_EV_FLUSH_MS, else sets
 * the poll deadline for it. Batching matters in trace mode: one TELEMETRY
 * frame (one host wakeup) per notification would double its cost. */
struct vgl_pollset;
void vgl_events_flush_due(struct vgl_agent *a, uint64_t now_ms, struct vgl_pollset *ps);

/* Fills a record head for now. */
struct vgl_ev_head vgl_events_head(uint32_t exec_id, uint32_t pid);
