/* A one-layer GRU language model over call ids (Kim et al. 2016 use an
 * LSTM; a GRU is as accurate here with fewer weights): it reads a process's
 * calls one at a time and predicts the next; a call's anomaly is its negative
 * log-likelihood. The input embedding is folded into the gate weights (one
 * row of 3H floats per id), so a step costs an H x 3H and a V x H product.
 * float32, trained with Adam on truncated back-propagation through time,
 * deterministic for a seed. */
#pragma once

#include <stdint.h>

#include "bin.h"
#include "error.h"

#define VGL_GRU_HIDDEN_MAX 256u

struct vgl_gru {
        uint32_t V, H;
        float *w;  /* all weights, one allocation (the layout below) */
        size_t nw; /* floats in w */
        float *X;  /* V x 3H: input rows (gates z, r, n), biases included */
        float *Ut; /* H x 3H: recurrent weights, transposed */
        float *bu; /* H: bias of the candidate's recurrent part */
        float *Wo; /* V x H: output weights */
        float *bo; /* V: output biases */
        /* For scoring: Wo transposed, H x Vp (V rounded up to 8, zero
         * padded), so the logits are H vector updates instead of V dot
         * products. Built by vgl_gru_prepare(), not stored. */
        float *WoT;
        uint32_t Vp;
};

struct vgl_gru_train_opts {
        uint32_t hidden; /* H, a multiple of 8 */
        uint32_t epochs;
        uint32_t lanes; /* sequences trained side by side */
        uint32_t bptt;  /* steps per truncated back-propagation */
        float lr;       /* Adam step size */
        uint64_t seed;
};

/* Allocates a model for V ids and H hidden units (weights zero). */
int vgl_gru_new(uint32_t V, uint32_t H, struct vgl_gru **ret);
void vgl_gru_free(struct vgl_gru *g);

/* Builds the scoring copy of the output weights (after training or loading). */
int vgl_gru_prepare(struct vgl_gru *g);

/* Trains on traces of ids (ids[i][0..len[i])) from a seeded random start,
 * then prepares the model for scoring. */
int vgl_gru_train(struct vgl_gru *g, const uint16_t *const *ids, const uint32_t *len, uint32_t n,
                  const struct vgl_gru_train_opts *o);

/* Scratch floats that vgl_gru_step needs. */
#define VGL_GRU_SCRATCH(H, V) (6 * (size_t)(H) + (size_t)(V) + 8)

/* One step: h = GRU(in, hp) (h may not alias hp). */
void vgl_gru_step(const struct vgl_gru *g, uint16_t in, const float *hp, float *h, float *scratch);

/* -log P(next | h). */
float vgl_gru_nll(const struct vgl_gru *g, const float *h, uint16_t next, float *scratch);

void vgl_gru_write(const struct vgl_gru *g, struct vgl_wr *w);
int vgl_gru_read(struct vgl_gru **ret, struct vgl_rd *r, struct vgl_error *err);
