/* JUnit XML as Jenkins and GitLab read it: one <testsuite> in a
 * <testsuites>, one <testcase> per job (classname SUITE.IMAGE), with
 * <failure> (the command's fault), <error> (the farm's or vigild's, or an
 * interruption) or <skipped>, and the final attempt's output as
 * <system-out>/<system-err>. Counts and times are attributes of both
 * wrappers; tests counts every job, skipped ones included. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "results.h"
#include "util.h"
#include "xml.h"

struct counts {
        size_t tests, failures, errors, skipped;
};

/* The JUnit element of a result: "failure", "error", "skipped" or NULL. */
static const char *element_of(const struct farm_result *r)
{
        switch (r->status) {
        case FARM_PASSED:
                return NULL;
        case FARM_FAILED:
                return "failure";
        case FARM_SKIPPED:
                return "skipped";
        case FARM_INTERRUPTED:
        case FARM_PENDING:
                return r->n_attempts ? "error" : "skipped";
        default:
                return "error";
        }
}

static struct counts count(const struct farm_manifest *m, const struct farm_result *res)
{
        struct counts c = {.tests = m->n_jobs};

        for (size_t i = 0; i < m->n_jobs; i++) {
                const char *e = element_of(&res[i]);
                if (!e)
                        continue;
                if (!strcmp(e, "failure"))
                        c.failures++;
                else if (!strcmp(e, "error"))
                        c.errors++;
                else
                        c.skipped++;
        }
        return c;
}

static double span(double from, double to)
{
        return from > 0 && to > from ? to - from : 0.0;
}

static void counts_attrs(FILE *f, const struct counts *c, double time)
{
        fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"",
                c->tests, c->failures, c->errors, c->skipped, time);
}

static void attr(FILE *f, const char *name, const char *value)
{
        fprintf(f, " %s=\"", name);
        farm_xml_attr(f, value);
        fputc('"', f);
}

/* <system-out> or <system-err> from the attempt's log file. */
static int log_element(FILE *f, const struct farm_run_info *info, const struct farm_attempt *a,
                       const char *tag, const char *file)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0, skipped = 0;

        if (asprintf(&path, "%s/%s/%s", info->out_dir, a->dir, file) < 0)
                return path = NULL, -ENOMEM;
        if (farm_read_tail(path, FARM_JUNIT_LOG_MAX, &text, &len, &skipped) < 0)
                return -ENOMEM;
        if (len == 0 && skipped == 0)
                return 0;
        fprintf(f, "      <%s>", tag);
        if (skipped)
                fprintf(f,
                        "[vigil-farm: the first %zu bytes are left out; all of it is in %s/%s]\n",
                        skipped, a->dir, file);
        farm_xml_text(f, text, len);
        fprintf(f, "</%s>\n", tag);
        return 0;
}

/* The body of a <failure>/<error>: what the summary would say in words. */
static void verdict_body(FILE *f, const struct farm_job *j, const struct farm_attempt *a)
{
        char buf[1024];
        int n = snprintf(buf, sizeof(buf),
                         "%s\nattempt %d of %d; sandbox %s; tier %s (trust %.3f at the start); "
                         "expected exit %d\nlogs: %s/",
                         a->reason, a->number, j->retries + 1, a->sandbox[0] ? a->sandbox : "-",
                         a->tier_start[0] ? a->tier_start : "-", a->trust_start, j->expect_exit,
                         a->dir);

        farm_xml_text(f, buf, n < 0 ? 0 : strnlen(buf, sizeof(buf)));
        if (a->notes[0]) {
                fputc('\n', f);
                farm_xml_text(f, a->notes, strlen(a->notes));
        }
}

static int testcase(FILE *f, const struct farm_run_info *info, const struct farm_job *j,
                    const struct farm_result *r)
{
        const struct farm_attempt *a = farm_result_final(r);
        const char *el = element_of(r);
        char cls[256];
        int ret;

        snprintf(cls, sizeof(cls), "%s.%s", info->suite, j->image);
        fputs("    <testcase", f);
        attr(f, "name", j->name);
        attr(f, "classname", cls);
        fprintf(f, " time=\"%.3f\">\n", span(r->started, r->ended));
        if (el && (!strcmp(el, "skipped") || !a)) {
                /* never ran: skipped, or refused before its first attempt */
                fprintf(f, "      <%s", el);
                attr(f, "message", r->skip_reason[0] ? r->skip_reason : "not run");
                if (strcmp(el, "skipped") != 0)
                        attr(f, "type", "Setup");
                fputs("/>\n", f);
        } else if (el) {
                fprintf(f, "      <%s", el);
                attr(f, "message", a->reason);
                attr(f, "type", a->kind[0] ? a->kind : "Error");
                fputs(">", f);
                verdict_body(f, j, a);
                fprintf(f, "</%s>\n", el);
        }
        if (a && ((ret = log_element(f, info, a, "system-out", "stdout.log")) < 0 ||
                  (ret = log_element(f, info, a, "system-err", "stderr.log")) < 0))
                return ret;
        fputs("    </testcase>\n", f);
        return 0;
}

static void property(FILE *f, const char *name, const char *value)
{
        fputs("      <property", f);
        attr(f, "name", name);
        attr(f, "value", value);
        fputs("/>\n", f);
}

struct junit_ctx {
        const struct farm_run_info *info;
        const struct farm_manifest *m;
        const struct farm_result *res;
};

static int write_junit(FILE *f, void *u)
{
        const struct junit_ctx *c = u;
        struct counts n = count(c->m, c->res);
        double t = span(c->info->started, c->info->ended);
        char ts[40], conc[16];
        int r;

        farm_iso_time(c->info->started, false, ts, sizeof(ts));
        snprintf(conc, sizeof(conc), "%d", c->info->concurrency);
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
        attr(f, "name", c->info->suite);
        counts_attrs(f, &n, t);
        fputs(">\n  <testsuite", f);
        attr(f, "name", c->info->suite);
        counts_attrs(f, &n, t);
        attr(f, "timestamp", ts);
        attr(f, "hostname", c->info->hostname ? c->info->hostname : "localhost");
        fputs(" id=\"0\">\n    <properties>\n", f);
        property(f, "vigil.farm.run_id", c->info->run_id);
        property(f, "vigil.farm.manifest", c->m->path);
        property(f, "vigil.farm.concurrency", conc);
        property(f, "vigil.farm.interrupted", c->info->interrupted ? "true" : "false");
        fputs("    </properties>\n", f);
        for (size_t i = 0; i < c->m->n_jobs; i++)
                if ((r = testcase(f, c->info, &c->m->jobs[i], &c->res[i])) < 0)
                        return r;
        fputs("  </testsuite>\n</testsuites>\n", f);
        return 0;
}

int farm_junit_write(const char *path, const struct farm_run_info *info,
                     const struct farm_manifest *m, const struct farm_result *res,
                     struct vgl_error *err)
{
        struct junit_ctx c = {.info = info, .m = m, .res = res};

        return farm_write_atomic(path, write_junit, &c, err);
}
