/* vigil's behaviour detectors: train, save, load and score models of normal
 * system-call traces. No libvirt; usable by vigild and by tools.
 *
 * A detector is one method ("stide", "ngram", "lm", "ae", "knn") or the
 * "ensemble" of several, trained on normal traces, calibrated on held-out
 * normal traces (cross-fitting), and stored as a directory of model files
 * (model-file.h). Its score of a trace is in [0, 1], higher = more anomalous;
 * 1 - score is about the false-alarm rate that a threshold at that score gave
 * on held normal traces.
 *
 * A loaded detector is read-only: any number of threads may score with it at
 * once. For online scoring see stream.h. */
#pragma once

#include <stdint.h>

#include "error.h"
#include "trace.h"

#define VGL_DETECT_COMPONENTS_MAX 8u
#define VGL_DETECT_DEFAULT_METHOD "ensemble"

struct vgl_detector;

struct vgl_detect_train_opts {
        const char *method; /* NULL: VGL_DETECT_DEFAULT_METHOD */
        uint64_t seed;
        /* 0 = default for each; see vgl_detect_train_opts_default() */
        uint32_t stide_n, ngram_n, lm_hidden, lm_epochs, ae_window, ae_hidden, ae_epochs, folds;
};

/* The defaults for every 0 field of o. */
void vgl_detect_train_opts_default(struct vgl_detect_train_opts *o);

/* Trains a detector on normal traces (numbers as in the traces). Deterministic
 * for a seed on one machine. */
int vgl_detector_train(const struct vgl_traceset *normal, const struct vgl_detect_train_opts *o,
                       struct vgl_detector **ret, struct vgl_error *err);

/* Writes the detector's files into dir (created if missing). */
int vgl_detector_save(const struct vgl_detector *d, const char *dir, struct vgl_error *err);

/* Loads a directory that vgl_detector_save wrote; every file is checked
 * (magic, version, kind, length, checksums, ranges) and an error names the
 * file and what is wrong. */
int vgl_detector_load(const char *dir, struct vgl_detector **ret, struct vgl_error *err);

void vgl_detector_free(struct vgl_detector *d);

/* The method name ("ensemble", "stide", ...). */
const char *vgl_detector_method(const struct vgl_detector *d);

/* Score of one trace (system-call numbers) in [0, 1] (1 only where the
 * evidence is far beyond anything normal). Thread-safe. */
int vgl_detector_score(const struct vgl_detector *d, const uint16_t *calls, uint32_t n,
                       double *ret_score);

/* Whether name is a known method. */
int vgl_detect_method_valid(const char *name);
