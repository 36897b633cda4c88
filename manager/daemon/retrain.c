/* Retraining (learn.h): the corpus is read, a model trained and both
 * models scored on the held-out runs on a worker thread; the promotion,
 * the swap, the audit record and the answers happen back on the loop. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "corpus.h"
#include "detect.h"
#include "events.h"
#include "learn.h"
#include "log.h"
#include "trail.h"
#include "work.h"

struct held_eval {
        double mean;
        uint32_t alarms;
};

struct vgd_retrain {
        /* in: copied, or borrowed from the loop for the job's life */
        char *corpus_dir, *model_dir;
        const struct vgl_detector *cur; /* the current model, NULL: none */
        char version[VGD_MODEL_VERSION_MAX];
        char cur_version[VGD_MODEL_VERSION_MAX];
        /* out */
        struct vgl_detector *det;
        int r;
        struct vgl_error err;
        size_t n_train, n_held;
        struct held_eval new_eval, cur_eval;
        bool promoted;
        char why[200];
        /* who waits */
        struct vgl_varlink_call **calls;
        size_t n_calls;
};

static void eval_held(const struct vgl_detector *det, const struct vgl_traceset *held,
                      struct held_eval *ret)
{
        double sum = 0;

        *ret = (struct held_eval){0};
        for (size_t i = 0; i < held->n; i++) {
                double sc = 0;
                if (vgl_detector_score(det, held->v[i].calls, held->v[i].len, &sc) < 0)
                        sc = 1;
                sum += sc;
                ret->alarms += sc >= VGD_LEARN_ALARM;
        }
        ret->mean = held->n ? sum / (double)held->n : 0;
}

/* Not worse on held normal data: no more false alarms, and at equal
 * alarms a mean score within the slack. */
static bool not_worse(const struct vgd_retrain *j)
{
        if (j->new_eval.alarms != j->cur_eval.alarms)
                return j->new_eval.alarms < j->cur_eval.alarms;
        return j->new_eval.mean <= j->cur_eval.mean + VGD_LEARN_MEAN_SLACK;
}

static int write_current(const char *dir, const char *version, struct vgl_error *err)
{
        char path[PATH_MAX], tmp[PATH_MAX + 8];
        FILE *f;

        snprintf(path, sizeof(path), "%s/current", dir);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (!(f = fopen(tmp, "we")))
                return vgl_error_set(err, errno, "%s: %s", tmp, strerror(errno));
        fprintf(f, "%s\n", version);
        if (fclose(f) != 0 || rename(tmp, path) < 0)
                return vgl_error_set(err, errno, "%s: %s", path, strerror(errno));
        return 0;
}

static int train_and_judge(struct vgd_retrain *j, struct vgl_traceset *train,
                           struct vgl_traceset *held)
{
        struct vgl_detect_train_opts o = {.seed = 1};
        char dir[PATH_MAX];
        int r;

        if ((r = vgd_corpus_read(j->corpus_dir, VGD_LEARN_HELD_EVERY, train, held, &j->err)) < 0)
                return r;
        j->n_train = train->n;
        j->n_held = held->n;
        if (train->n < VGD_LEARN_MIN_TRAIN)
                return vgl_error_set(&j->err, ENODATA,
                                     "corpus too small: %zu training traces, %u needed", train->n,
                                     VGD_LEARN_MIN_TRAIN);
        vgl_detect_train_opts_default(&o);
        if ((r = vgl_detector_train(train, &o, &j->det, &j->err)) < 0)
                return r;
        eval_held(j->det, held, &j->new_eval);
        if (j->cur) {
                eval_held(j->cur, held, &j->cur_eval);
                if (!held->n || !not_worse(j)) {
                        snprintf(j->why, sizeof(j->why),
                                 held->n ? "worse than %s on held normal data"
                                         : "no held normal data to compare with %s",
                                 j->cur_version);
                        return 0;
                }
        }
        if (mkdir(j->model_dir, 0700) < 0 && errno != EEXIST)
                return vgl_error_set(&j->err, errno, "%s: %s", j->model_dir, strerror(errno));
        snprintf(dir, sizeof(dir), "%s/%s", j->model_dir, j->version);
        if ((r = vgl_detector_save(j->det, dir, &j->err)) < 0 ||
            (r = write_current(j->model_dir, j->version, &j->err)) < 0)
                return r;
        j->promoted = true;
        snprintf(j->why, sizeof(j->why),
                 j->cur ? "not worse than %s on held normal data" : "first model", j->cur_version);
        return 0;
}

static void retrain_run(void *data)
{
        struct vgd_retrain *j = data;
        struct vgl_traceset train = {0}, held = {0};

        j->r = train_and_judge(j, &train, &held);
        vgl_traceset_free(&train);
        vgl_traceset_free(&held);
}

static struct json_object *outcome_json(const struct vgd_retrain *j, const char *version)
{
        return vgd_trail_details(
                "event", json_object_new_string(j->promoted ? "promoted" : "rejected"), "version",
                json_object_new_string(version), "candidate", json_object_new_string(j->version),
                "previous", json_object_new_string(j->cur_version), "promoted",
                json_object_new_boolean(j->promoted), "reason",
                json_object_new_string(j->r < 0 ? j->err.msg : j->why), "train_traces",
                json_object_new_int64((int64_t)j->n_train), "held_traces",
                json_object_new_int64((int64_t)j->n_held), "held_alarms_new",
                json_object_new_int64(j->new_eval.alarms), "held_alarms_current",
                json_object_new_int64(j->cur_eval.alarms), "held_mean_new",
                vgd_json_double(j->new_eval.mean), "held_mean_current",
                vgd_json_double(j->cur_eval.mean), NULL);
}

static void retrain_free(struct vgd_retrain *j)
{
        for (size_t i = 0; i < j->n_calls; i++)
                vgl_varlink_call_unref(j->calls[i]);
        free(j->calls);
        vgl_detector_free(j->det);
        free(j->corpus_dir);
        free(j->model_dir);
        free(j);
}

static void retrain_done(struct vgd_daemon *d, void *data)
{
        struct vgd_retrain *j = data;
        struct vgd_model *m = d->model;
        _cleanup_json_ struct json_object *o = NULL;

        if (!m) { /* vigild stopped meanwhile */
                retrain_free(j);
                return;
        }
        m->running = NULL;
        if (j->promoted) {
                struct vgl_detector *old = m->det;
                m->det = j->det;
                j->det = NULL;
                vgd_strlcpy(m->version, j->version, sizeof(m->version));
                vgd_learn_restream(d);
                vgl_detector_free(old);
        }
        o = outcome_json(j, m->version);
        vgd_trail_append(d, VGL_AUDIT_MODEL, NULL, VGL_AUDIT_ACTOR_VIGILD, o, NULL);
        vgd_info(NULL, "model %s %s: %s", j->version, j->promoted ? "promoted" : "not promoted",
                 j->r < 0 ? j->err.msg : j->why);
        json_object_put(m->last);
        m->last = json_object_get(o);
        for (size_t i = 0; i < j->n_calls; i++)
                vgl_varlink_call_reply(j->calls[i], o);
        retrain_free(j);
}

static int add_waiter(struct vgd_retrain *j, struct vgl_varlink_call *call)
{
        struct vgl_varlink_call **v;

        if (!call)
                return 0;
        v = realloc(j->calls, (j->n_calls + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        j->calls = v;
        j->calls[j->n_calls++] = vgl_varlink_call_ref(call);
        return 0;
}

int vgd_learn_retrain(struct vgd_daemon *d, struct vgl_varlink_call *call)
{
        struct vgd_model *m = d->model;
        struct vgd_retrain *j;

        if (m->running)
                return add_waiter(m->running, call);
        if (!d->cfg.model_dir)
                return -EOPNOTSUPP;
        j = calloc(1, sizeof(*j));
        if (!j || !(j->corpus_dir = strdup(m->corpus_dir)) ||
            !(j->model_dir = strdup(d->cfg.model_dir)) || add_waiter(j, call) < 0) {
                if (j)
                        retrain_free(j);
                return -ENOMEM;
        }
        j->cur = m->det;
        snprintf(j->version, sizeof(j->version), "v%u", m->next_version++);
        vgd_strlcpy(j->cur_version, m->version, sizeof(j->cur_version));
        m->clean_since = 0;
        m->running = j;
        vgd_job_submit(d, retrain_run, retrain_done, j);
        return 0;
}
