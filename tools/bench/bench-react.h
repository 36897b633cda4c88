/* tools/bench/react: from a critical action in the guest to the host's
 * confirmation that the demotion it caused is enforced, on a real vigild
 * and a real VM. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "vigil-client.h"

/* One event of the Subscribe stream, stamped when this client had it. */
struct react_event {
        uint64_t at_ns; /* CLOCK_MONOTONIC right after the reply was decoded */
        char kind[32];
        char msg[256];
};

/* A Subscribe stream read by its own thread into a growing list, so the
 * receive times do not depend on what the main thread is waiting for. */
struct react_watch {
        struct vgl_client *c;
        pthread_t thread;
        bool running;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        struct react_event *ev;
        size_t n, cap;
        bool ended; /* the stream ended or failed (r, err) */
        int r;
        struct vgl_error err;
};

uint64_t react_now_ns(void);

/* Connects to sock, subscribes to sandbox id's events and starts the
 * reader thread. */
int react_watch_start(struct react_watch *w, const char *sock, const char *id,
                      struct vgl_error *err);

/* The number of events received so far: the index the next one gets. */
size_t react_watch_mark(struct react_watch *w);

/* Waits up to timeout_ms for the first event at index >= from whose kind is
 * kind and whose message starts with prefix (NULL: any); its index goes to
 * *ret_idx and a copy to *ret. -ETIMEDOUT, or the stream's error. */
int react_watch_wait(struct react_watch *w, size_t from, const char *kind, const char *prefix,
                     int timeout_ms, size_t *ret_idx, struct react_event *ret,
                     struct vgl_error *err);

/* Joins the reader (the stream must have ended: call after vigild is
 * stopped) and frees everything. Safe on a watch that never started. */
void react_watch_stop(struct react_watch *w);
