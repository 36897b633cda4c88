/* Online scoring of one sandbox's system calls, for vigild.
 *
 * A stream belongs to one sandbox and is fed one (pid, system-call number)
 * at a time. It tracks up to VGL_STREAM_PROCS processes (the least recently
 * active one is dropped for a new one) and, per process, the context the
 * models need (the last calls, the GRU's hidden state) and the last
 * VGL_STREAM_WINDOW calls' contributions, so feeding costs one step of each
 * model and never allocates; scoring costs the set-shaped models' lookups
 * plus a few operations per tracked process. Everything is allocated once,
 * in vgl_stream_new: vgl_stream_footprint() bytes per sandbox.
 *
 * The score is the detector's score of each process's window, as if that
 * window were a trace, and the stream's score the highest of them; a process
 * that exited or was dropped for a newer one since the last query counts
 * with its last score.
 * Processes that make fewer than VGL_STREAM_MIN_CALLS calls before being
 * dropped are not scored: many short-lived processes are a matter for the
 * behaviour tags (process_spawn), not for these models. One stream is used
 * by one thread at a time; many streams share one detector. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "detect.h"

#define VGL_STREAM_PROCS     8u   /* processes tracked per sandbox */
#define VGL_STREAM_WINDOW    256u /* calls per process window (the locality frame) */
#define VGL_STREAM_MIN_CALLS 16u  /* a process is scored once it made this many calls */

struct vgl_stream;

/* A stream over detector d, which must outlive it. */
int vgl_stream_new(const struct vgl_detector *d, struct vgl_stream **ret);
void vgl_stream_free(struct vgl_stream *s);

/* Bytes a stream over d holds (its one allocation). */
size_t vgl_stream_footprint(const struct vgl_detector *d);

/* One system call nr made by process pid. */
void vgl_stream_feed(struct vgl_stream *s, uint32_t pid, uint16_t nr);

/* Forgets a process (it exited); its score counts in the next query. */
void vgl_stream_forget(struct vgl_stream *s, uint32_t pid);

/* The highest window score among tracked processes with at least
 * VGL_STREAM_MIN_CALLS calls and processes gone since the last query, in
 * [0, 1]; 0 when there is none. *ret_pid (may be NULL) is that process. */
double vgl_stream_score(struct vgl_stream *s, uint32_t *ret_pid);
