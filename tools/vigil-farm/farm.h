/* vigil-farm's run: the options, the shared state of the worker threads,
 * the event subscriber and the main thread (signals and progress).
 *
 * Threads: N workers (one vigild connection each, a connection is
 * single-threaded) take jobs from the manifest in order; one subscriber
 * reads Subscribe and files each event under the attempt whose sandbox it
 * names; the main thread waits for signals and draws the progress. Every
 * field below `lock` is read and written under it. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "image.h"
#include "manifest.h"
#include "results.h"
#include "vigil-client.h"

enum farm_progress_mode {
        FARM_PROGRESS_AUTO,  /* tty when stdout is a terminal, else plain */
        FARM_PROGRESS_TTY,   /* a status block redrawn in place */
        FARM_PROGRESS_PLAIN, /* one line per event */
        FARM_PROGRESS_NONE,
};

struct farm_opts {
        const char *socket; /* NULL: vgl_client_default_socket() */
        const char *out_dir;
        const char *junit_path, *summary_path; /* NULL: in out_dir */
        int concurrency;                       /* 0: the manifest's */
        int reserve_timeout_s;
        enum farm_progress_mode progress;
        bool no_settle;
        bool stream; /* plain mode: print the jobs' output lines too */
        char run_id[40];
};

struct farm;

struct farm_worker {
        struct farm *f;
        int index;
        pthread_t thread;
        bool started;
        struct vgl_client *c;     /* its connection (only this thread uses it) */
        int fd;                   /* a dup of c's socket for farm_interrupt, or -1 */
        size_t job;               /* the job it runs, (size_t)-1 when idle */
        struct farm_attempt *att; /* the attempt in progress, or NULL */
        char sandbox[64];         /* reserved and not yet released */
        char last_event[96];      /* for the progress display */
        double phase_since;       /* farm_mono_s() */
};

struct farm {
        const struct farm_manifest *m;
        const struct farm_opts *o;
        struct farm_result *res;
        struct farm_tier *tiers;
        size_t n_tiers;
        char hostname[256];
        double started;      /* wall clock */
        double started_mono; /* farm_mono_s() */
        struct farm_progress *progress;

        pthread_mutex_t lock;
        size_t next;      /* the next job to hand out */
        size_t finished;  /* jobs with a verdict */
        int workers_done; /* worker threads that returned */
        bool stopping;    /* a signal came: no new work, cut the calls */
        bool done;        /* the workers are finished: the subscriber stops */
        int signal;       /* the signal that stopped the run, or 0 */
        struct farm_worker *workers;
        int n_workers;
        pthread_t events_thread;
        bool events_started;
        bool events_subscribed;
};

/* True once a signal asked the run to stop (takes the lock). */
bool farm_stopping(struct farm *f);

/* Sets the job's phase (and the worker's phase clock) under the lock. */
void farm_set_phase(struct farm_worker *w, enum farm_phase phase);

/* Runs the manifest: workers, subscriber, progress, signals; every
 * sandbox released at the end. Returns the exit status (0 all passed or
 * skipped, 1 a job failed, 130 interrupted). */
int farm_run(struct farm *f);

/* ---- one job (job.c) and one attempt (attempt.c, attempt-exec.c) ---- */

/* Runs job i on worker w with its retries, filling f->res[i]. */
void farm_job_run(struct farm_worker *w, size_t i);

/* One attempt of job j: reserve, upload, run, collect, release. The log
 * files live in out_dir/a->dir; out is the job's output.log (all attempts). */
void farm_attempt_run(struct farm_worker *w, const struct farm_job *j, struct farm_result *r,
                      struct farm_attempt *a, FILE *out);

/* The worker's connection, connected (again) when needed. */
int farm_worker_client(struct farm_worker *w, struct vgl_client **ret, struct vgl_error *err);

/* Drops the worker's connection. */
void farm_worker_disconnect(struct farm_worker *w);

/* After a failed call: drops the connection unless vigild answered with an
 * error reply (then the connection is fine). */
void farm_worker_call_failed(struct farm_worker *w);

/* Appends to the attempt's notes ("; "-separated, truncated). */
void farm_note(struct farm_attempt *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* After the command: the artifacts, an Adjust round (unless settle is
 * off), the profile (collect.c). Failures become notes. */
void farm_collect(struct farm_worker *w, const struct farm_job *j, struct farm_attempt *a);

/* Runs the command with output streamed to the attempt's logs (and to out)
 * and sets a->have_exit/a->exit; on a stream that breaks while the sandbox
 * lives on (a hop), the wrapper's copy of the exit status and output is
 * fetched from the guest. < 0 when there is no exit status. */
int farm_exec(struct farm_worker *w, const struct farm_job *j, struct farm_attempt *a, FILE *out,
              struct vgl_error *err);

/* ---- the event subscriber (events.c) ---- */

int farm_events_start(struct farm *f);
void farm_events_stop(struct farm *f);

/* ---- stopping (stop.c) ---- */

/* After SIGINT/SIGTERM: no new work, every blocking call cut short. */
void farm_interrupt(struct farm *f, int sig);

/* Releases every sandbox the workers still hold and every one vigild lists
 * with this run's label; returns how many were released. */
int farm_sweep(struct farm *f);

/* ---- progress (progress.c) ---- */

struct farm_progress *farm_progress_new(enum farm_progress_mode mode, FILE *out);
void farm_progress_free(struct farm_progress *p);

/* A line that stays (job started, passed, failed, ...); thread-safe. */
void farm_say(struct farm *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A job's output in plain mode with --stream; thread-safe. */
void farm_say_output(struct farm *f, const char *job, const char *data, size_t len);

/* Main thread: prints the queued lines and redraws the status block. */
void farm_progress_tick(struct farm *f);

/* Main thread: the last lines and no status block. */
void farm_progress_end(struct farm *f);
