/* The detector's insides, shared by detector*.c and stream.c. */
#pragma once

#include "calib.h"
#include "component.h"
#include "detect.h"
#include "vocab.h"

struct vgl_detector_part {
        const struct vgl_component_ops *ops;
        void *model;
        double weight;
        struct vgl_calib calib; /* raw score -> (0, 1) */
};

struct vgl_detector {
        char method[16];
        struct vgl_vocab *vocab;
        uint32_t nparts;
        struct vgl_detector_part part[VGL_DETECT_COMPONENTS_MAX];
        struct vgl_calib final;            /* combined evidence -> (0, 1) */
        struct vgl_detect_train_opts opts; /* as trained (method points at method[]) */
};

/* Evidence of one part from its raw score: -log(1 - calibrated). */
double vgl_detector_evidence(const struct vgl_detector_part *p, double raw);

/* Final score from the parts' raw scores. */
double vgl_detector_combine(const struct vgl_detector *d, const double *raw);
