/* The JSON summary: the run, totals, and per job its verdict, attempts,
 * logs, artifacts and trust trajectory (tools/vigil-farm/README.md lists
 * the keys). */
#include <errno.h>
#include <string.h>

#include "results.h"
#include "util.h"

static void add(struct json_object *o, const char *key, struct json_object *v)
{
        json_object_object_add(o, key, v);
}

static struct json_object *str_or_null(const char *s)
{
        return s && s[0] ? json_object_new_string(s) : NULL;
}

static struct json_object *iso(double t)
{
        char buf[40];

        if (t <= 0)
                return NULL;
        farm_iso_time(t, true, buf, sizeof(buf));
        return json_object_new_string(buf);
}

static struct json_object *seconds(double from, double to)
{
        return farm_json_double(
                to > from && from > 0 ? (double)(int64_t)((to - from) * 1000) / 1000.0 : 0.0);
}

static struct json_object *exit_json(const struct farm_attempt *a)
{
        struct json_object *o;

        if (!a || !a->have_exit || !(o = json_object_new_object()))
                return NULL;
        add(o, "status", json_object_new_string(a->exit.status));
        add(o, "code", json_object_new_int64(a->exit.code));
        add(o, "duration_ms", json_object_new_int64(a->exit.duration_ms));
        return o;
}

static struct json_object *path_in(const struct farm_attempt *a, const char *file)
{
        char buf[FARM_NAME_MAX + 64];

        snprintf(buf, sizeof(buf), "%s/%s", a->dir, file);
        return json_object_new_string(buf);
}

static struct json_object *attempt_json(const struct farm_attempt *a)
{
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        add(o, "attempt", json_object_new_int(a->number));
        add(o, "status", json_object_new_string(farm_status_name(a->status)));
        add(o, "kind", str_or_null(a->kind));
        add(o, "reason", str_or_null(a->reason));
        add(o, "sandbox", str_or_null(a->sandbox));
        add(o, "started", iso(a->started));
        add(o, "duration_s", seconds(a->started, a->ended));
        add(o, "exit", exit_json(a));
        add(o, "stdout", path_in(a, "stdout.log"));
        add(o, "stderr", path_in(a, "stderr.log"));
        add(o, "stdout_bytes", json_object_new_int64(a->out_bytes));
        add(o, "stderr_bytes", json_object_new_int64(a->err_bytes));
        add(o, "output_resumed", json_object_new_boolean(a->resumed));
        add(o, "artifacts", a->artifacts ? json_object_get(a->artifacts) : json_object_new_array());
        add(o, "notes", str_or_null(a->notes));
        add(o, "trust", farm_trust_json(a));
        return o;
}

static struct json_object *job_json(const struct farm_job *j, const struct farm_result *r)
{
        const struct farm_attempt *fin = farm_result_final(r);
        struct json_object *o = json_object_new_object(), *att = json_object_new_array();
        char log[FARM_NAME_MAX + 32];

        if (!o || !att)
                return json_object_put(o), json_object_put(att), NULL;
        snprintf(log, sizeof(log), "jobs/%s/output.log", j->name);
        add(o, "name", json_object_new_string(j->name));
        add(o, "image", json_object_new_string(j->image));
        add(o, "desired_trust_level", farm_json_double(j->trust));
        add(o, "tier_requested", str_or_null(j->tier));
        add(o, "tier_picked", str_or_null(r->tier_pick));
        add(o, "status", json_object_new_string(farm_status_name(r->status)));
        add(o, "reason",
            str_or_null(r->status == FARM_SKIPPED || !fin ? r->skip_reason : fin->reason));
        add(o, "expect_exit", json_object_new_int(j->expect_exit));
        add(o, "exit", exit_json(fin));
        add(o, "retries", json_object_new_int(j->retries));
        add(o, "attempts_made", json_object_new_int64((int64_t)r->n_attempts));
        add(o, "started", iso(r->started));
        add(o, "duration_s", seconds(r->started, r->ended));
        add(o, "log", r->n_attempts ? json_object_new_string(log) : NULL);
        add(o, "trust", fin ? farm_trust_json(fin) : NULL);
        for (size_t i = 0; i < r->n_attempts; i++)
                json_object_array_add(att, attempt_json(&r->attempts[i]));
        add(o, "attempts", att);
        return o;
}

static struct json_object *totals_json(const struct farm_manifest *m, const struct farm_result *res)
{
        struct json_object *o = json_object_new_object();
        int64_t n[FARM_INTERRUPTED + 1] = {0};

        if (!o)
                return NULL;
        for (size_t i = 0; i < m->n_jobs; i++)
                if ((unsigned)res[i].status <= FARM_INTERRUPTED)
                        n[res[i].status]++;
        add(o, "jobs", json_object_new_int64((int64_t)m->n_jobs));
        add(o, "passed", json_object_new_int64(n[FARM_PASSED]));
        add(o, "failed", json_object_new_int64(n[FARM_FAILED]));
        add(o, "errors", json_object_new_int64(n[FARM_ERROR]));
        add(o, "skipped", json_object_new_int64(n[FARM_SKIPPED]));
        add(o, "interrupted", json_object_new_int64(n[FARM_INTERRUPTED] + n[FARM_PENDING]));
        return o;
}

struct json_object *farm_summary_json(const struct farm_run_info *info,
                                      const struct farm_manifest *m, const struct farm_result *res)
{
        struct json_object *o = json_object_new_object(), *jobs = json_object_new_array();

        if (!o || !jobs)
                return json_object_put(o), json_object_put(jobs), NULL;
        add(o, "version", json_object_new_int(1));
        add(o, "suite", json_object_new_string(info->suite));
        add(o, "run_id", json_object_new_string(info->run_id));
        add(o, "manifest", json_object_new_string(m->path));
        add(o, "hostname", str_or_null(info->hostname));
        add(o, "socket", str_or_null(info->socket));
        add(o, "concurrency", json_object_new_int(info->concurrency));
        add(o, "started", iso(info->started));
        add(o, "duration_s", seconds(info->started, info->ended));
        add(o, "interrupted", json_object_new_boolean(info->interrupted));
        add(o, "totals", totals_json(m, res));
        for (size_t i = 0; i < m->n_jobs; i++)
                json_object_array_add(jobs, job_json(&m->jobs[i], &res[i]));
        add(o, "jobs", jobs);
        return o;
}

struct summary_ctx {
        struct json_object *o;
};

static int write_json(FILE *f, void *u)
{
        struct summary_ctx *c = u;
        const char *s = json_object_to_json_string_ext(
                c->o,
                JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

        if (!s)
                return -ENOMEM;
        fputs(s, f);
        fputc('\n', f);
        return 0;
}

int farm_summary_write(const char *path, const struct farm_run_info *info,
                       const struct farm_manifest *m, const struct farm_result *res,
                       struct vgl_error *err)
{
        struct summary_ctx c = {.o = farm_summary_json(info, m, res)};
        int r;

        if (!c.o)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = farm_write_atomic(path, write_json, &c, err);
        json_object_put(c.o);
        return r;
}
