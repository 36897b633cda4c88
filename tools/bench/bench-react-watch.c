/* The react benchmark's event watcher: one Subscribe connection read on
 * its own thread; every event is stamped with CLOCK_MONOTONIC as soon as
 * the client has decoded it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-react.h"

uint64_t react_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int append(struct react_watch *w, const struct react_event *e)
{
        if (w->n == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 256;
                struct react_event *ev = realloc(w->ev, cap * sizeof(*ev));
                if (!ev)
                        return -ENOMEM;
                w->ev = ev;
                w->cap = cap;
        }
        w->ev[w->n++] = *e;
        return 0;
}

static void *watch_main(void *u)
{
        struct react_watch *w = u;
        struct vgl_error err = {};
        int r;

        for (;;) {
                struct vgl_client_event e = {};
                struct react_event re = {};
                r = vgl_client_next_event(w->c, &e, &err);
                re.at_ns = react_now_ns();
                if (r <= 0)
                        break;
                snprintf(re.kind, sizeof(re.kind), "%s", e.kind);
                snprintf(re.msg, sizeof(re.msg), "%s", e.message);
                vgl_client_event_done(&e);
                pthread_mutex_lock(&w->mu);
                r = append(w, &re);
                pthread_cond_broadcast(&w->cv);
                pthread_mutex_unlock(&w->mu);
                if (r < 0) {
                        vgl_error_set(&err, -r, "out of memory");
                        break;
                }
        }
        pthread_mutex_lock(&w->mu);
        w->ended = true;
        w->r = r < 0 ? r : -ECONNRESET;
        w->err = r < 0 ? err : (struct vgl_error){.msg = "the event stream ended"};
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        return NULL;
}

int react_watch_start(struct react_watch *w, const char *sock, const char *id,
                      struct vgl_error *err)
{
        pthread_condattr_t ca;
        int r;

        *w = (struct react_watch){};
        pthread_mutex_init(&w->mu, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w->cv, &ca);
        pthread_condattr_destroy(&ca);
        if ((r = vgl_client_connect(sock, &w->c, err)) < 0)
                return r;
        if ((r = vgl_client_subscribe(w->c, id, err)) < 0)
                return r;
        if (pthread_create(&w->thread, NULL, watch_main, w) != 0)
                return vgl_error_set(err, EAGAIN, "pthread_create");
        w->running = true;
        return 0;
}

size_t react_watch_mark(struct react_watch *w)
{
        size_t n;

        pthread_mutex_lock(&w->mu);
        n = w->n;
        pthread_mutex_unlock(&w->mu);
        return n;
}

static bool matches(const struct react_event *e, const char *kind, const char *prefix)
{
        return !strcmp(e->kind, kind) && (!prefix || !strncmp(e->msg, prefix, strlen(prefix)));
}

int react_watch_wait(struct react_watch *w, size_t from, const char *kind, const char *prefix,
                     int timeout_ms, size_t *ret_idx, struct react_event *ret,
                     struct vgl_error *err)
{
        uint64_t end = react_now_ns() + (uint64_t)timeout_ms * 1000000ull;
        struct timespec ts = {.tv_sec = (time_t)(end / 1000000000ull),
                              .tv_nsec = (long)(end % 1000000000ull)};
        int r = -ETIMEDOUT;

        pthread_mutex_lock(&w->mu);
        for (size_t i = from;;) {
                for (; i < w->n; i++)
                        if (matches(&w->ev[i], kind, prefix)) {
                                *ret_idx = i;
                                *ret = w->ev[i];
                                r = 0;
                                goto out;
                        }
                if (w->ended) {
                        r = w->r;
                        *err = w->err;
                        goto out;
                }
                if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT && i == w->n)
                        break;
        }
        vgl_error_set(err, ETIMEDOUT, "no %s event%s%s within %d ms", kind,
                      prefix ? " starting " : "", prefix ? prefix : "", timeout_ms);
out:
        pthread_mutex_unlock(&w->mu);
        return r;
}

void react_watch_stop(struct react_watch *w)
{
        if (w->running)
                pthread_join(w->thread, NULL);
        w->running = false;
        vgl_client_free(w->c);
        w->c = NULL;
        free(w->ev);
        w->ev = NULL;
        w->n = w->cap = 0;
}
