/* Result records: names, allocation. */
#include <stdlib.h>

#include "cleanup.h"
#include "results.h"

const char *farm_status_name(enum farm_status s)
{
        static const char *const names[] = {
                [FARM_PENDING] = "pending", [FARM_PASSED] = "passed",
                [FARM_FAILED] = "failed",   [FARM_ERROR] = "error",
                [FARM_SKIPPED] = "skipped", [FARM_INTERRUPTED] = "interrupted",
        };

        return (unsigned)s < ELEMENTSOF(names) ? names[s] : "unknown";
}

struct farm_result *farm_results_new(const struct farm_manifest *m)
{
        struct farm_result *r = calloc(m->n_jobs, sizeof(*r));

        for (size_t i = 0; r && i < m->n_jobs; i++) {
                r[i].attempts = calloc((size_t)m->jobs[i].retries + 1, sizeof(*r[i].attempts));
                if (!r[i].attempts) {
                        farm_results_free(r, i);
                        return NULL;
                }
        }
        return r;
}

void farm_results_free(struct farm_result *r, size_t n)
{
        for (size_t i = 0; r && i < n; i++) {
                for (size_t k = 0; k < r[i].n_attempts; k++) {
                        json_object_put(r[i].attempts[k].profile);
                        json_object_put(r[i].attempts[k].events);
                        json_object_put(r[i].attempts[k].artifacts);
                }
                free(r[i].attempts);
        }
        free(r);
}

const struct farm_attempt *farm_result_final(const struct farm_result *r)
{
        return r->n_attempts ? &r->attempts[r->n_attempts - 1] : NULL;
}
