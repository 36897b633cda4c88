/* Loading, saving and scoring of detectors. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "detector-priv.h"
#include "model-file.h"

#define DETECTOR_FILE "detector.vgm"

void vgl_detector_free(struct vgl_detector *d)
{
        if (!d)
                return;
        for (uint32_t i = 0; i < d->nparts; i++) {
                if (d->part[i].model)
                        d->part[i].ops->free(d->part[i].model);
                vgl_calib_free(&d->part[i].calib);
        }
        vgl_calib_free(&d->final);
        free(d->vocab);
        free(d);
}

const char *vgl_detector_method(const struct vgl_detector *d)
{
        return d->method;
}

double vgl_detector_evidence(const struct vgl_detector_part *p, double raw)
{
        double c = vgl_calib_apply(&p->calib, raw);

        /* -log(1 - c), kept finite should c round to 1 */
        return -log1p(-(c < 1.0 - 1e-16 ? c : 1.0 - 1e-16));
}

double vgl_detector_combine(const struct vgl_detector *d, const double *raw)
{
        double sum = 0, wsum = 0;

        for (uint32_t i = 0; i < d->nparts; i++) {
                sum += d->part[i].weight * vgl_detector_evidence(&d->part[i], raw[i]);
                wsum += d->part[i].weight;
        }
        return vgl_calib_apply(&d->final, wsum > 0 ? sum / wsum : 0);
}

int vgl_detector_score(const struct vgl_detector *d, const uint16_t *calls, uint32_t n,
                       double *ret_score)
{
        _cleanup_free_ uint16_t *ids = malloc((n ? n : 1) * sizeof(uint16_t));
        double raw[VGL_DETECT_COMPONENTS_MAX];
        int r;

        if (!ids)
                return -ENOMEM;
        vgl_vocab_map(d->vocab, calls, n, ids);
        for (uint32_t i = 0; i < d->nparts; i++)
                if ((r = vgl_component_score(d->part[i].ops, d->part[i].model, d->vocab->n, ids, n,
                                             &raw[i])) < 0)
                        return r;
        *ret_score = vgl_detector_combine(d, raw);
        return 0;
}

static void write_string(struct vgl_wr *w, const char *s)
{
        vgl_wr_u32(w, (uint32_t)strlen(s));
        vgl_wr_bytes(w, s, strlen(s));
}

static int read_string(struct vgl_rd *r, char *out, size_t size, const char *field,
                       struct vgl_error *err)
{
        uint32_t n = vgl_rd_u32(r);

        if (r->bad || n == 0 || n >= size || vgl_rd_left(r) < n)
                return vgl_error_set(err, EBADMSG, "%s: %s missing or too long", r->what, field);
        memcpy(out, r->p + r->off, n);
        out[n] = '\0';
        r->off += n;
        for (uint32_t i = 0; i < n; i++)
                if (!(out[i] >= 'a' && out[i] <= 'z'))
                        return vgl_error_set(err, EBADMSG, "%s: %s is not a name", r->what, field);
        return 0;
}

static void write_opts(struct vgl_wr *w, const struct vgl_detect_train_opts *o)
{
        vgl_wr_u64(w, o->seed);
        vgl_wr_u32(w, o->stide_n);
        vgl_wr_u32(w, o->ngram_n);
        vgl_wr_u32(w, o->lm_hidden);
        vgl_wr_u32(w, o->lm_epochs);
        vgl_wr_u32(w, o->ae_window);
        vgl_wr_u32(w, o->ae_hidden);
        vgl_wr_u32(w, o->ae_epochs);
        vgl_wr_u32(w, o->folds);
}

static void read_opts(struct vgl_rd *r, struct vgl_detect_train_opts *o)
{
        o->seed = vgl_rd_u64(r);
        o->stide_n = vgl_rd_u32(r);
        o->ngram_n = vgl_rd_u32(r);
        o->lm_hidden = vgl_rd_u32(r);
        o->lm_epochs = vgl_rd_u32(r);
        o->ae_window = vgl_rd_u32(r);
        o->ae_hidden = vgl_rd_u32(r);
        o->ae_epochs = vgl_rd_u32(r);
        o->folds = vgl_rd_u32(r);
}

static int write_payload(const char *dir, const char *name, uint16_t kind, struct vgl_wr *w,
                         struct vgl_error *err)
{
        _cleanup_free_ char *path = NULL;
        int r;

        if (w->err) {
                vgl_wr_free(w);
                return vgl_error_set(err, -w->err, "%s/%s: out of memory", dir, name);
        }
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                r = vgl_error_set(err, ENOMEM, "out of memory");
        else
                r = vgl_model_file_write(path, kind, w->b.data, w->b.len, err);
        vgl_wr_free(w);
        return r;
}

int vgl_detector_save(const struct vgl_detector *d, const char *dir, struct vgl_error *err)
{
        struct vgl_wr w;
        char name[64];
        int r;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return vgl_error_set(err, errno, "%s: %m", dir);
        for (uint32_t i = 0; i < d->nparts; i++) {
                vgl_wr_init(&w);
                d->part[i].ops->write(d->part[i].model, &w);
                snprintf(name, sizeof(name), "%s.vgm", d->part[i].ops->name);
                if ((r = write_payload(dir, name, d->part[i].ops->kind, &w, err)) < 0)
                        return r;
        }
        /* The detector file last: a directory is complete once it exists. */
        vgl_wr_init(&w);
        write_string(&w, d->method);
        vgl_vocab_write(d->vocab, &w);
        write_opts(&w, &d->opts);
        vgl_wr_u32(&w, d->nparts);
        for (uint32_t i = 0; i < d->nparts; i++) {
                write_string(&w, d->part[i].ops->name);
                vgl_wr_f64(&w, d->part[i].weight);
                vgl_calib_write(&d->part[i].calib, &w);
        }
        vgl_calib_write(&d->final, &w);
        return write_payload(dir, DETECTOR_FILE, VGL_MODEL_DETECTOR, &w, err);
}

static int load_part(const char *dir, struct vgl_detector *d, struct vgl_detector_part *p,
                     struct vgl_error *err)
{
        _cleanup_free_ uint8_t *payload = NULL;
        _cleanup_free_ char *path = NULL;
        struct vgl_rd r;
        size_t len;
        int k;

        if (asprintf(&path, "%s/%s.vgm", dir, p->ops->name) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if ((k = vgl_model_file_read(path, p->ops->kind, &payload, &len, err)) < 0)
                return k;
        vgl_rd_init(&r, payload, len, path);
        if ((k = p->ops->read(&p->model, &r, d->vocab->n, err)) < 0)
                return k;
        if (vgl_rd_left(&r))
                return vgl_error_set(err, EBADMSG, "%s: %zu unexpected bytes after the model", path,
                                     vgl_rd_left(&r));
        return 0;
}

static int parse_parts(struct vgl_rd *r, struct vgl_detector *d, struct vgl_error *err)
{
        char name[16];
        int k;

        d->nparts = vgl_rd_u32(r);
        if (r->bad || d->nparts < 1 || d->nparts > VGL_DETECT_COMPONENTS_MAX) {
                d->nparts = 0;
                return vgl_error_set(err, EBADMSG, "%s: number of components invalid", r->what);
        }
        for (uint32_t i = 0; i < d->nparts; i++) {
                struct vgl_detector_part *p = &d->part[i];
                if ((k = read_string(r, name, sizeof(name), "component name", err)) < 0)
                        return k;
                if (!(p->ops = vgl_component_find(name)))
                        return vgl_error_set(err, EBADMSG, "%s: unknown component '%s'", r->what,
                                             name);
                for (uint32_t j = 0; j < i; j++)
                        if (d->part[j].ops == p->ops)
                                return vgl_error_set(err, EBADMSG,
                                                     "%s: component '%s' listed twice", r->what,
                                                     name);
                p->weight = vgl_rd_f64(r);
                if (r->bad || !(p->weight >= 0 && p->weight <= 1e6))
                        return vgl_error_set(err, EBADMSG, "%s: weight of '%s' invalid", r->what,
                                             name);
                if ((k = vgl_calib_read(&p->calib, r, err)) < 0)
                        return k;
        }
        return vgl_calib_read(&d->final, r, err);
}

static int parse_detector(const char *path, const uint8_t *payload, size_t len,
                          struct vgl_detector *d, struct vgl_error *err)
{
        struct vgl_rd r;
        int k;

        vgl_rd_init(&r, payload, len, path);
        if ((k = read_string(&r, d->method, sizeof(d->method), "method", err)) < 0)
                return k;
        if (!vgl_detect_method_valid(d->method))
                return vgl_error_set(err, EBADMSG, "%s: unknown method '%s'", path, d->method);
        if ((k = vgl_vocab_read(d->vocab, &r, err)) < 0)
                return k;
        read_opts(&r, &d->opts);
        d->opts.method = d->method;
        if (r.bad)
                return vgl_rd_error(&r, err, "training options");
        if ((k = parse_parts(&r, d, err)) < 0)
                return k;
        if (vgl_rd_left(&r))
                return vgl_error_set(err, EBADMSG, "%s: %zu unexpected bytes at the end", path,
                                     vgl_rd_left(&r));
        return 0;
}

int vgl_detector_load(const char *dir, struct vgl_detector **ret, struct vgl_error *err)
{
        _cleanup_free_ uint8_t *payload = NULL;
        _cleanup_free_ char *path = NULL;
        struct vgl_detector *d = calloc(1, sizeof(*d));
        size_t len;
        int k;

        if (!d || !(d->vocab = malloc(sizeof(*d->vocab))) ||
            asprintf(&path, "%s/%s", dir, DETECTOR_FILE) < 0) {
                vgl_detector_free(d);
                return vgl_error_set(err, ENOMEM, "out of memory");
        }
        if ((k = vgl_model_file_read(path, VGL_MODEL_DETECTOR, &payload, &len, err)) < 0 ||
            (k = parse_detector(path, payload, len, d, err)) < 0) {
                vgl_detector_free(d);
                return k;
        }
        for (uint32_t i = 0; i < d->nparts; i++)
                if ((k = load_part(dir, d, &d->part[i], err)) < 0) {
                        vgl_detector_free(d);
                        return k;
                }
        *ret = d;
        return 0;
}
