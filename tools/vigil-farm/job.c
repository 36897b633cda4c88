/* One job: its attempts (1 + retries, each in a fresh sandbox, until one
 * passes), its output.log, and the lines that say how it went. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "farm.h"
#include "util.h"

static FILE *open_log(struct farm *f, const struct farm_job *j)
{
        _cleanup_free_ char *dir = NULL, *path = NULL;
        struct vgl_error e = {};
        FILE *out;

        if (asprintf(&dir, "%s/jobs/%s", f->o->out_dir, j->name) < 0 ||
            asprintf(&path, "%s/output.log", dir) < 0)
                return dir = path = NULL, NULL;
        if (farm_mkdir_p(dir, &e) < 0) {
                farm_say(f, "vigil-farm: %s", e.msg);
                return NULL;
        }
        out = fopen(path, "we");
        if (!out)
                farm_say(f, "vigil-farm: %s: %s", path, strerror(errno));
        return out;
}

static int attempt_dir(struct farm *f, struct farm_attempt *a, struct vgl_error *err)
{
        _cleanup_free_ char *dir = NULL;

        if (asprintf(&dir, "%s/%s", f->o->out_dir, a->dir) < 0)
                return dir = NULL, vgl_error_set(err, ENOMEM, "out of memory");
        return farm_mkdir_p(dir, err);
}

/* "; medium -> high, trust 0.600 -> 0.280, hopped" for the verdict line. */
static void trust_words(const struct farm_attempt *a, char *buf, size_t size)
{
        struct json_object *t = NULL, *tier = NULL, *hops = NULL;
        double end = a->trust_start;
        const char *tier_end = a->tier_start;
        char tiers[80], trust[40];

        buf[0] = '\0';
        if (!a->reserved)
                return;
        if (json_object_object_get_ex(a->profile, "trust_score", &t) &&
            json_object_object_get_ex(a->profile, "tier", &tier)) {
                end = json_object_get_double(t);
                tier_end = json_object_get_string(tier);
        }
        json_object_object_get_ex(a->profile, "hops", &hops);
        if (strcmp(a->tier_start, tier_end) != 0)
                snprintf(tiers, sizeof(tiers), "%s -> %s", a->tier_start, tier_end);
        else
                snprintf(tiers, sizeof(tiers), "%s", a->tier_start);
        if (end != a->trust_start)
                snprintf(trust, sizeof(trust), "%.3f -> %.3f", a->trust_start, end);
        else
                snprintf(trust, sizeof(trust), "%.3f", a->trust_start);
        snprintf(buf, size, "; %s, trust %s%s", tiers, trust,
                 json_object_get_int64(hops) > 0 ? ", hopped" : "");
}

static void say_verdict(struct farm *f, const struct farm_job *j, const struct farm_result *r,
                        const struct farm_attempt *a)
{
        static const char *const word[] = {[FARM_PASSED] = "PASS",
                                           [FARM_FAILED] = "FAIL",
                                           [FARM_ERROR] = "ERROR",
                                           [FARM_INTERRUPTED] = "STOP"};
        const char *w =
                (unsigned)a->status < ELEMENTSOF(word) && word[a->status] ? word[a->status] : "?";
        char trust[160];

        trust_words(a, trust, sizeof(trust));
        farm_say(f, "%-5s %s (%.1f s, %zu attempt%s)%s%s%s", w, j->name, r->ended - r->started,
                 r->n_attempts, r->n_attempts == 1 ? "" : "s", a->status == FARM_PASSED ? "" : ": ",
                 a->status == FARM_PASSED ? "" : a->reason, trust);
}

static void run_attempts(struct farm_worker *w, const struct farm_job *j, struct farm_result *r,
                         FILE *out)
{
        struct farm *f = w->f;

        for (int n = 1; n <= j->retries + 1; n++) {
                struct farm_attempt *a = &r->attempts[n - 1];
                struct vgl_error e = {};

                *a = (struct farm_attempt){.number = n};
                snprintf(a->dir, sizeof(a->dir), "jobs/%s/attempt-%d", j->name, n);
                pthread_mutex_lock(&f->lock);
                r->n_attempts = (size_t)n;
                w->att = a;
                pthread_mutex_unlock(&f->lock);
                if (attempt_dir(f, a, &e) < 0) {
                        a->status = FARM_ERROR;
                        snprintf(a->kind, sizeof(a->kind), "Output");
                        snprintf(a->reason, sizeof(a->reason), "%s", e.msg);
                        return;
                }
                if (out)
                        fprintf(out, "=== vigil-farm: %s, attempt %d of %d ===\n", j->name, n,
                                j->retries + 1);
                farm_attempt_run(w, j, r, a, out);
                if (out) {
                        fprintf(out, "=== vigil-farm: attempt %d %s%s%s ===\n", n,
                                farm_status_name(a->status), a->reason[0] ? ": " : "", a->reason);
                        fflush(out);
                }
                if (a->status == FARM_PASSED || a->status == FARM_INTERRUPTED || farm_stopping(f))
                        return;
                if (n <= j->retries)
                        farm_say(f, "RETRY %s (attempt %d of %d failed: %s)", j->name, n,
                                 j->retries + 1, a->reason);
        }
}

void farm_job_run(struct farm_worker *w, size_t i)
{
        struct farm *f = w->f;
        const struct farm_job *j = &f->m->jobs[i];
        struct farm_result *r = &f->res[i];
        _cleanup_fclose_ FILE *out = open_log(f, j);
        const struct farm_attempt *a;

        r->started = farm_wall_s();
        run_attempts(w, j, r, out);
        a = farm_result_final(r);
        pthread_mutex_lock(&f->lock);
        r->status = a ? a->status : FARM_ERROR;
        if (r->status == FARM_PENDING)
                r->status = FARM_ERROR;
        r->ended = farm_wall_s();
        r->phase = FARM_DONE;
        w->att = NULL;
        pthread_mutex_unlock(&f->lock);
        if (a)
                say_verdict(f, j, r, a);
}
