/* The closing table on stdout: one line per job with its verdict, time,
 * attempts and how its trust went. */
#include <stdio.h>
#include <string.h>

#include "report.h"

static void trust_cells(const struct farm_attempt *a, char *tier, char *trust, size_t size,
                        long long *hops)
{
        struct json_object *t = NULL, *ti = NULL, *h = NULL;

        *hops = 0;
        snprintf(tier, size, "-");
        snprintf(trust, size, "-");
        if (!a || !a->reserved)
                return;
        snprintf(tier, size, "%s", a->tier_start);
        snprintf(trust, size, "%.3f", a->trust_start);
        if (!json_object_object_get_ex(a->profile, "trust_score", &t) ||
            !json_object_object_get_ex(a->profile, "tier", &ti))
                return;
        if (strcmp(json_object_get_string(ti), a->tier_start) != 0)
                snprintf(tier, size, "%s>%s", a->tier_start, json_object_get_string(ti));
        if (json_object_get_double(t) != a->trust_start)
                snprintf(trust, size, "%.3f>%.3f", a->trust_start, json_object_get_double(t));
        if (json_object_object_get_ex(a->profile, "hops", &h))
                *hops = (long long)json_object_get_int64(h);
}

static void job_line(FILE *f, const struct farm_job *j, const struct farm_result *r)
{
        const struct farm_attempt *a = farm_result_final(r);
        char tier[80], trust[40];
        long long hops;

        trust_cells(a, tier, trust, sizeof(trust), &hops);
        fprintf(f, "  %-24.24s %-11s %7.1f %3zu  %-20s %-13s %4lld %5lld  %s\n", j->name,
                farm_status_name(r->status), r->ended > r->started ? r->ended - r->started : 0.0,
                r->n_attempts, tier, trust, hops, a ? (long long)a->n_violations : 0LL,
                r->status == FARM_PASSED ? ""
                : a                      ? a->reason
                                         : r->skip_reason);
}

void farm_report(FILE *f, const struct farm_run_info *info, const struct farm_manifest *m,
                 const struct farm_result *res, const char *junit, const char *summary)
{
        size_t n[FARM_INTERRUPTED + 1] = {0};
        double t = info->ended - info->started;

        for (size_t i = 0; i < m->n_jobs; i++)
                n[res[i].status]++;
        fprintf(f, "\n  %-24s %-11s %7s %3s  %-20s %-13s %4s %5s  %s\n", "JOB", "STATUS", "TIME(s)",
                "ATT", "TIER", "TRUST", "HOPS", "VIOL", "WHY");
        for (size_t i = 0; i < m->n_jobs; i++)
                job_line(f, &m->jobs[i], &res[i]);
        fprintf(f,
                "\nvigil-farm: %s: %zu jobs: %zu passed, %zu failed, %zu errors, %zu skipped, "
                "%zu interrupted in %dm%02ds%s\n",
                info->suite, m->n_jobs, n[FARM_PASSED], n[FARM_FAILED], n[FARM_ERROR],
                n[FARM_SKIPPED], n[FARM_INTERRUPTED] + n[FARM_PENDING], (int)t / 60, (int)t % 60,
                info->interrupted ? " (interrupted)" : "");
        fprintf(f, "vigil-farm: junit %s, summary %s, logs %s/jobs/\n", junit, summary,
                info->out_dir);
        fflush(f);
}
