/* The scheduler: N worker threads take jobs in manifest order; the main
 * thread waits for SIGINT/SIGTERM (blocked in every thread, taken with
 * sigtimedwait) and redraws the progress between signals. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "farm.h"
#include "util.h"

#define TICK_MS 200

bool farm_stopping(struct farm *f)
{
        bool s;

        pthread_mutex_lock(&f->lock);
        s = f->stopping;
        pthread_mutex_unlock(&f->lock);
        return s;
}

void farm_set_phase(struct farm_worker *w, enum farm_phase phase)
{
        struct farm *f = w->f;

        pthread_mutex_lock(&f->lock);
        if (w->job != (size_t)-1)
                f->res[w->job].phase = phase;
        w->phase_since = farm_mono_s();
        pthread_mutex_unlock(&f->lock);
}

/* The next job to run, or (size_t)-1 when there is none or the run stops. */
static size_t take_job(struct farm_worker *w)
{
        struct farm *f = w->f;
        size_t i = (size_t)-1;

        pthread_mutex_lock(&f->lock);
        while (f->next < f->m->n_jobs && f->res[f->next].status != FARM_PENDING)
                f->next++; /* decided before the start (skipped, refused) */
        if (!f->stopping && f->next < f->m->n_jobs) {
                i = f->next++;
                w->job = i;
                w->phase_since = farm_mono_s();
                f->res[i].phase = FARM_RESERVING;
        }
        pthread_mutex_unlock(&f->lock);
        return i;
}

static void *worker_main(void *arg)
{
        struct farm_worker *w = arg;
        struct farm *f = w->f;
        size_t i;

        while ((i = take_job(w)) != (size_t)-1) {
                farm_job_run(w, i);
                pthread_mutex_lock(&f->lock);
                w->job = (size_t)-1;
                w->att = NULL;
                f->finished++;
                pthread_mutex_unlock(&f->lock);
        }
        farm_worker_disconnect(w);
        pthread_mutex_lock(&f->lock);
        f->workers_done++;
        pthread_mutex_unlock(&f->lock);
        return NULL;
}

static bool workers_finished(struct farm *f)
{
        bool done;

        pthread_mutex_lock(&f->lock);
        done = f->workers_done == f->n_workers;
        pthread_mutex_unlock(&f->lock);
        return done;
}

static void wait_loop(struct farm *f, const sigset_t *set)
{
        const struct timespec tick = {.tv_sec = 0, .tv_nsec = TICK_MS * 1000000L};

        while (!workers_finished(f)) {
                int sig = sigtimedwait(set, NULL, &tick);
                if (sig > 0)
                        farm_interrupt(f, sig);
                farm_progress_tick(f);
        }
}

static int start_workers(struct farm *f, int n)
{
        f->workers = calloc((size_t)n, sizeof(*f->workers));
        if (!f->workers)
                return -ENOMEM;
        f->n_workers = n;
        for (int i = 0; i < n; i++) {
                struct farm_worker *w = &f->workers[i];
                *w = (struct farm_worker){.f = f, .index = i, .fd = -1, .job = (size_t)-1};
        }
        for (int i = 0; i < n; i++) {
                int r = pthread_create(&f->workers[i].thread, NULL, worker_main, &f->workers[i]);
                if (r != 0) {
                        /* the ones not started count as done */
                        pthread_mutex_lock(&f->lock);
                        f->workers_done += n - i;
                        f->stopping = true;
                        pthread_mutex_unlock(&f->lock);
                        return -r;
                }
                f->workers[i].started = true;
        }
        return 0;
}

/* Jobs that never got a verdict: the run was stopped before them. */
static void close_pending(struct farm *f)
{
        for (size_t i = 0; i < f->m->n_jobs; i++) {
                struct farm_result *r = &f->res[i];
                if (r->status != FARM_PENDING)
                        continue;
                r->status = FARM_INTERRUPTED;
                r->phase = FARM_DONE;
                snprintf(r->skip_reason, sizeof(r->skip_reason), "interrupted before it started");
        }
}

static int exit_status(struct farm *f)
{
        if (f->signal)
                return 130;
        for (size_t i = 0; i < f->m->n_jobs; i++)
                if (f->res[i].status != FARM_PASSED && f->res[i].status != FARM_SKIPPED)
                        return 1;
        return 0;
}

int farm_run(struct farm *f)
{
        sigset_t set;
        int n = f->o->concurrency, r, released;

        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started below inherits it */
        signal(SIGPIPE, SIG_IGN);
        if ((size_t)n > f->m->n_jobs)
                n = (int)f->m->n_jobs;
        farm_events_start(f);
        r = start_workers(f, n);
        if (r < 0)
                farm_say(f, "vigil-farm: starting the workers: %s", strerror(-r));
        wait_loop(f, &set);
        for (int i = 0; i < f->n_workers; i++)
                if (f->workers[i].started)
                        pthread_join(f->workers[i].thread, NULL);
        pthread_mutex_lock(&f->lock);
        f->done = true;
        pthread_mutex_unlock(&f->lock);
        farm_events_stop(f);
        released = farm_sweep(f);
        if (f->signal)
                farm_say(f, "interrupted by %s: %d sandbox%s released", strsignal(f->signal),
                         released, released == 1 ? "" : "es");
        close_pending(f);
        farm_progress_end(f);
        return r < 0 ? 1 : exit_status(f);
}
