/* What a farm run produced: one result per job, one record per attempt.
 * Plain data, filled by the scheduler and read by the JUnit and summary
 * writers (which need neither vigild nor threads, so they are unit-tested
 * on hand-made results). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"
#include "manifest.h"

enum farm_status {
        FARM_PENDING,
        FARM_PASSED,
        FARM_FAILED,      /* the command's fault: exit status, timeout, signal */
        FARM_ERROR,       /* the farm's or vigild's: reserve, upload, a broken stream */
        FARM_SKIPPED,     /* never run: no tier serves its image */
        FARM_INTERRUPTED, /* Ctrl-C or SIGTERM */
};

/* Where a job is, for the progress display. */
enum farm_phase {
        FARM_QUEUED,
        FARM_RESERVING,
        FARM_UPLOADING,
        FARM_RUNNING,
        FARM_COLLECTING,
        FARM_RELEASING,
        FARM_DONE,
};

struct farm_exit {
        char status[32]; /* "exited", "signaled", "timeout", "failed" */
        int64_t code, duration_ms;
};

struct farm_attempt {
        int number; /* 1-based */
        enum farm_status status;
        char kind[32];    /* why it failed, for JUnit's type: ExitStatus, Timeout, ... */
        char reason[512]; /* in words */
        char sandbox[64];
        char tier_start[32];
        double trust_start;
        bool reserved;
        bool have_exit;
        struct farm_exit exit;
        double started, ended;        /* seconds since the epoch */
        char dir[FARM_NAME_MAX + 32]; /* relative to the output dir: jobs/NAME/attempt-N */
        int64_t out_bytes, err_bytes;
        bool resumed;                   /* the Exec stream broke; the rest came from the guest */
        struct json_object *profile;    /* GetProfile at the end (owned), or NULL */
        struct json_object *events;     /* notable events, bounded (owned array), or NULL */
        int64_t n_events, n_violations; /* events seen for the sandbox; policy_violation ones */
        struct json_object *artifacts;  /* [{path, file}|{path, error}] (owned), or NULL */
        char notes[512];                /* what went wrong besides the verdict */
};

struct farm_result {
        enum farm_status status;
        enum farm_phase phase;
        char skip_reason[256];
        char tier_pick[32]; /* the tier chosen for the job's image, "" when vigild chose */
        struct farm_attempt *attempts; /* room for 1 + retries */
        size_t n_attempts;             /* made */
        double started, ended;
};

struct farm_run_info {
        const char *suite;
        const char *run_id;
        const char *hostname;
        const char *socket;
        const char *out_dir; /* where the logs are (the JUnit writer reads them) */
        int concurrency;
        double started, ended;
        bool interrupted;
};

const char *farm_status_name(enum farm_status s);

/* Allocates results for n jobs (attempt arrays sized from each job's
 * retries). Free with farm_results_free. */
struct farm_result *farm_results_new(const struct farm_manifest *m);
void farm_results_free(struct farm_result *r, size_t n);

/* The attempt a job's verdict comes from (the last one made), or NULL. */
const struct farm_attempt *farm_result_final(const struct farm_result *r);

/* ---- the trust trajectory (trust.c) ---- */

/* The trust part of an attempt for the summary: trust and tier at the
 * start and end, the trajectory (start, each history entry of the profile,
 * end), tier changes, hops, denials, policy violations, notable events.
 * A new object, or NULL without memory. */
struct json_object *farm_trust_json(const struct farm_attempt *a);

/* ---- writers ---- */

/* The JSON summary (summary.c) as a new object, and written to path
 * (atomically: a temporary file renamed). */
struct json_object *farm_summary_json(const struct farm_run_info *info,
                                      const struct farm_manifest *m, const struct farm_result *res);
int farm_summary_write(const char *path, const struct farm_run_info *info,
                       const struct farm_manifest *m, const struct farm_result *res,
                       struct vgl_error *err);

/* JUnit XML (junit.c), written to path atomically. The log files named by
 * each final attempt's dir are read back for system-out/system-err (the
 * last FARM_JUNIT_LOG_MAX bytes of each). */
#define FARM_JUNIT_LOG_MAX ((size_t)1 << 20)
int farm_junit_write(const char *path, const struct farm_run_info *info,
                     const struct farm_manifest *m, const struct farm_result *res,
                     struct vgl_error *err);
