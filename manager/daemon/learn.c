/* See learn.h. The loop side: streams, sequences, the corpus, the model
 * swap; the retraining itself runs on a worker thread (retrain_run) and
 * touches no daemon state. */
#include "learn.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "control.h"
#include "corpus.h"
#include "detect.h"
#include "events.h"
#include "evidence.h"
#include "jobs.h"
#include "log.h"
#include "stream.h"
#include "trail.h"
#include "work.h"

struct seq {
        uint32_t exec_id, pid, len;
        uint64_t used; /* feed counter at its last call: least recent goes first */
        uint16_t *calls;
};

struct exec {
        uint32_t id; /* 0: free slot */
        bool violation, ended, clean;
        uint64_t ended_ms;
};

struct vgd_learn {
        struct vgl_stream *stream; /* over d->model->det; NULL without a model */
        uint64_t fed;
        struct seq seqs[VGD_LEARN_SEQS];
        struct exec execs[VGD_LEARN_EXECS];
        uint16_t calls[VGD_LEARN_SEQS][VGD_LEARN_SEQ_CALLS];
};

/* ---- per sandbox ---- */

static struct vgd_learn *learn_of(struct vgd_sandbox *s)
{
        struct vgd_model *m = s->d->model;
        struct vgd_learn *l;

        if (!s->ctl || !m)
                return NULL;
        if (s->ctl->learn)
                return s->ctl->learn;
        l = calloc(1, sizeof(*l));
        if (!l)
                return NULL;
        for (unsigned i = 0; i < VGD_LEARN_SEQS; i++)
                l->seqs[i].calls = l->calls[i];
        if (m->det && vgl_stream_new(m->det, &l->stream) < 0)
                l->stream = NULL;
        s->ctl->learn = l;
        return l;
}

void vgd_learn_free(struct vgd_sandbox *s)
{
        if (!s->ctl || !s->ctl->learn)
                return;
        vgl_stream_free(s->ctl->learn->stream);
        free(s->ctl->learn);
        s->ctl->learn = NULL;
}

static struct exec *find_exec(struct vgd_learn *l, uint32_t id, bool add)
{
        struct exec *free_slot = NULL, *oldest_ended = NULL;

        for (unsigned i = 0; i < VGD_LEARN_EXECS; i++) {
                struct exec *e = &l->execs[i];
                if (e->id == id)
                        return e;
                if (!e->id && !free_slot)
                        free_slot = e;
                if (e->id && e->ended && (!oldest_ended || e->ended_ms < oldest_ended->ended_ms))
                        oldest_ended = e;
        }
        if (!add)
                return NULL;
        if (!free_slot && oldest_ended)
                free_slot = oldest_ended; /* it loses its run: bounded */
        if (!free_slot)
                return NULL;
        *free_slot = (struct exec){.id = id};
        return free_slot;
}

static struct seq *find_seq(struct vgd_learn *l, uint32_t exec_id, uint32_t pid)
{
        struct seq *lru = &l->seqs[0];

        for (unsigned i = 0; i < VGD_LEARN_SEQS; i++) {
                struct seq *q = &l->seqs[i];
                if (q->len && q->exec_id == exec_id && q->pid == pid)
                        return q;
                if (!q->len) {
                        lru = q;
                        break;
                }
                if (q->used < lru->used)
                        lru = q;
        }
        lru->exec_id = exec_id;
        lru->pid = pid;
        lru->len = 0;
        return lru;
}

/* The exec id of a record type that has the common head, else 0. */
static uint32_t exec_of(const struct vgl_bhv_event *ev)
{
        return ev->type >= VGL_REC_SYSCALL && ev->type <= VGL_REC_USAGE ? ev->u.sys.h.exec_id : 0;
}

void vgd_learn_event(struct vgd_sandbox *s, const struct vgl_bhv_event *ev)
{
        struct vgd_learn *l = learn_of(s);
        uint32_t exec_id = exec_of(ev);
        struct seq *q;

        if (!l)
                return;
        if (exec_id && (ev->tags & VGL_TAG_BIT(VGL_TAG_POLICY_VIOLATION))) {
                struct exec *e = find_exec(l, exec_id, true);
                if (e)
                        e->violation = true;
        }
        if (ev->type != VGL_REC_SYSCALL)
                return;
        l->fed++;
        if (l->stream)
                vgl_stream_feed(l->stream, ev->u.sys.h.pid, ev->u.sys.nr);
        if (!exec_id)
                return;
        q = find_seq(l, exec_id, ev->u.sys.h.pid);
        q->used = l->fed;
        if (q->len < VGD_LEARN_SEQ_CALLS)
                q->calls[q->len++] = ev->u.sys.nr;
}

void vgd_learn_exec_exit(struct vgd_sandbox *s, uint32_t exec_id, bool clean)
{
        struct vgd_learn *l = learn_of(s);
        struct exec *e = l ? find_exec(l, exec_id, true) : NULL;

        if (!e)
                return;
        e->ended = true;
        e->clean = clean;
        e->ended_ms = vgd_now_ms();
}

/* The sequences of exec_id (0: all) into ts; frees them when drop. */
static int collect(struct vgd_learn *l, uint32_t exec_id, bool drop, struct vgl_traceset *ts)
{
        char name[64];
        int r = 0;

        for (unsigned i = 0; i < VGD_LEARN_SEQS; i++) {
                struct seq *q = &l->seqs[i];
                if (!q->len || (exec_id && q->exec_id != exec_id))
                        continue;
                snprintf(name, sizeof(name), "e%u-p%u", q->exec_id, q->pid);
                if (ts && r == 0)
                        r = vgl_traceset_add(ts, name, q->calls, q->len);
                if (drop)
                        q->len = 0;
        }
        return r;
}

static void maybe_retrain(struct vgd_daemon *d)
{
        struct vgd_model *m = d->model;

        if (d->cfg.retrain_every && m->clean_since >= d->cfg.retrain_every && !m->running)
                vgd_learn_retrain(d, NULL);
}

/* ts as one run of the corpus. */
static int add_run(struct vgd_daemon *d, const struct vgl_traceset *ts, struct vgl_error *err)
{
        struct vgd_model *m = d->model;
        struct vgd_corpus_info info = {m->corpus_runs, m->corpus_bytes, m->corpus_seq};
        int r = vgd_corpus_add(m->corpus_dir, m->corpus_seq, ts, &info, err);

        if (r < 0)
                return r;
        m->corpus_runs = info.runs;
        m->corpus_bytes = info.bytes;
        m->corpus_seq = info.next_seq;
        m->clean_since++;
        maybe_retrain(d);
        return 0;
}

static void settle(struct vgd_sandbox *s, struct vgd_learn *l)
{
        uint64_t now = vgd_now_ms();

        for (unsigned i = 0; i < VGD_LEARN_EXECS; i++) {
                struct exec *e = &l->execs[i];
                struct vgl_traceset ts = {0};
                struct vgl_error err = {};
                if (!e->id || !e->ended || now - e->ended_ms < VGD_LEARN_SETTLE_MS)
                        continue;
                if (e->clean && !e->violation && collect(l, e->id, true, &ts) == 0 && ts.n &&
                    add_run(s->d, &ts, &err) < 0)
                        vgd_warn(s->id, "corpus: %s", err.msg);
                collect(l, e->id, true, NULL);
                vgl_traceset_free(&ts);
                *e = (struct exec){0};
        }
}

void vgd_learn_round(struct vgd_sandbox *s)
{
        struct vgd_learn *l = learn_of(s);
        struct vgd_model *m = s->d->model;
        double score = 0;

        if (!l)
                return;
        if (l->stream)
                score = vgl_stream_score(l->stream, NULL);
        vgd_evidence_anomaly(s, score, m->det ? m->version : "");
        settle(s, l);
}

int vgd_learn_mark_benign(struct vgd_sandbox *s, struct vgl_error *err)
{
        struct vgd_learn *l = learn_of(s);
        struct vgl_traceset ts = {0};
        int r;

        if (!l)
                return vgl_error_set(err, ENODATA, "no behaviour recorded for this sandbox");
        r = collect(l, 0, false, &ts);
        if (r == 0 && ts.n)
                r = add_run(s->d, &ts, err);
        else if (r < 0)
                vgl_error_set(err, -r, "out of memory");
        if (r == 0)
                r = (int)ts.n;
        vgl_traceset_free(&ts);
        return r;
}

/* ---- the model ---- */

void vgd_learn_restream(struct vgd_daemon *d)
{
        for (struct vgd_sandbox *s = d->sandboxes; s; s = s->next) {
                struct vgd_learn *l = s->ctl ? s->ctl->learn : NULL;
                if (!l)
                        continue;
                vgl_stream_free(l->stream);
                l->stream = NULL;
                if (d->model->det && vgl_stream_new(d->model->det, &l->stream) < 0)
                        l->stream = NULL;
        }
}

static void record_model(struct vgd_daemon *d, struct json_object *details)
{
        vgd_trail_append(d, VGL_AUDIT_MODEL, NULL, VGL_AUDIT_ACTOR_VIGILD, details, NULL);
}

/* The highest N of MODEL_DIR/vN, 0: none. */
static unsigned highest_version(const char *dir)
{
        char path[PATH_MAX];
        unsigned n = 0;

        for (unsigned v = 1; v < 100000; v++) {
                snprintf(path, sizeof(path), "%s/v%u", dir, v);
                if (access(path, F_OK) < 0)
                        break;
                n = v;
        }
        return n;
}

static int load_current(struct vgd_daemon *d)
{
        struct vgd_model *m = d->model;
        char path[PATH_MAX], name[VGD_MODEL_VERSION_MAX] = "";
        struct vgl_error e = {};
        FILE *f;

        snprintf(path, sizeof(path), "%s/current", d->cfg.model_dir);
        f = fopen(path, "re");
        if (!f) {
                vgd_info(NULL, "no model in %s: anomaly scores are 0 until one is trained",
                         d->cfg.model_dir);
                return 0;
        }
        if (!fgets(name, sizeof(name), f))
                name[0] = '\0';
        fclose(f);
        name[strcspn(name, "\n")] = '\0';
        if (name[0] != 'v' || strchr(name, '/')) {
                vgd_warn(NULL, "%s: not a model version: no model", path);
                return 0;
        }
        snprintf(path, sizeof(path), "%s/%s", d->cfg.model_dir, name);
        if (vgl_detector_load(path, &m->det, &e) < 0) {
                vgd_warn(NULL, "model %s: %s: no model", name, e.msg);
                return 0;
        }
        vgd_strlcpy(m->version, name, sizeof(m->version));
        vgd_info(NULL, "model %s (%s) loaded", name, vgl_detector_method(m->det));
        record_model(d,
                     vgd_trail_details("event", json_object_new_string("loaded"), "version",
                                       json_object_new_string(name), "method",
                                       json_object_new_string(vgl_detector_method(m->det)), NULL));
        return 0;
}

int vgd_learn_init(struct vgd_daemon *d, struct vgl_error *err)
{
        struct vgd_model *m = calloc(1, sizeof(*m));
        struct vgd_corpus_info info = {.next_seq = 1};

        if (!m || asprintf(&m->corpus_dir, "%s/corpus", d->cfg.state_dir) < 0) {
                free(m);
                return vgl_error_set(err, ENOMEM, "out of memory");
        }
        d->model = m;
        if (!d->cfg.model_dir)
                return 0; /* unit tests: no model, no corpus scan */
        vgd_corpus_scan(m->corpus_dir, &info);
        m->corpus_runs = info.runs;
        m->corpus_bytes = info.bytes;
        m->corpus_seq = info.next_seq;
        m->next_version = highest_version(d->cfg.model_dir) + 1;
        return load_current(d);
}

void vgd_learn_fini(struct vgd_daemon *d)
{
        struct vgd_model *m = d->model;

        if (!m)
                return;
        for (struct vgd_sandbox *s = d->sandboxes; s; s = s->next)
                vgd_learn_free(s);
        if (!m->running) /* else the thread still scores with it: left to the exit */
                vgl_detector_free(m->det);
        json_object_put(m->last);
        free(m->corpus_dir);
        free(m);
        d->model = NULL;
}

struct json_object *vgd_learn_status_json(const struct vgd_daemon *d)
{
        const struct vgd_model *m = d->model;

        return vgd_trail_details("version", json_object_new_string(m->version), "method",
                                 json_object_new_string(m->det ? vgl_detector_method(m->det) : ""),
                                 "corpus_runs", json_object_new_int64((int64_t)m->corpus_runs),
                                 "corpus_bytes", json_object_new_int64((int64_t)m->corpus_bytes),
                                 "clean_since_retrain", json_object_new_int64(m->clean_since),
                                 "retrain_every", json_object_new_int64(d->cfg.retrain_every),
                                 "retraining", json_object_new_boolean(m->running != NULL), "last",
                                 m->last ? json_object_get(m->last) : NULL, NULL);
}
