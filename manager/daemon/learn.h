/* The detectors in vigild: online scoring of each sandbox's system calls
 * and the learning loop that keeps the model up to date.
 *
 * Scoring: each reserved sandbox has a detect stream (detect/stream.h)
 * over the current model, fed (pid, nr) from every syscall record; each
 * adjust round reads its score into the evidence (vgd_evidence_anomaly).
 * Without a model the anomaly is 0 and the signature's model "".
 *
 * Learning: per sandbox the calls of each (command, process) are kept
 * (bounded); a command that exited 0 with no policy violation becomes one
 * run of the corpus (corpus.h), as does a window an operator marks benign.
 * Retraining runs on a worker thread (on demand, and every
 * --retrain-every clean runs): trained on most of the corpus, the new
 * model and the current one score the held-out part, and the new one is
 * promoted only if it is not worse there. Every version is a directory
 * MODEL_DIR/vN, MODEL_DIR/current names the promoted one, and each
 * outcome is a `model` audit record. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "behaviour.h"
#include "daemon.h"

#define VGD_LEARN_SEQS        16u   /* (command, process) sequences kept per sandbox */
#define VGD_LEARN_SEQ_CALLS   4096u /* calls kept per sequence (its first ones) */
#define VGD_LEARN_EXECS       16u   /* commands followed per sandbox */
#define VGD_LEARN_SETTLE_MS   1500u /* records of an ended command may still come this long */
#define VGD_LEARN_MIN_TRAIN   6u    /* training traces needed for a model */
#define VGD_LEARN_HELD_EVERY  4u    /* every 4th corpus run is held out for evaluation */
#define VGD_LEARN_ALARM       0.95  /* a held normal trace at or above this is a false alarm */
#define VGD_LEARN_MEAN_SLACK  0.05  /* mean held score the new model may lose at equal alarms */
#define VGD_MODEL_VERSION_MAX 32u

struct vgd_retrain;

/* vigild's model and learning state (d->model). */
struct vgd_model {
        struct vgl_detector *det;            /* the promoted model; NULL: none */
        char version[VGD_MODEL_VERSION_MAX]; /* "v3"; "" without a model */
        unsigned next_version;
        char *corpus_dir;    /* STATE_DIR/corpus */
        uint64_t corpus_seq; /* the next run's file number */
        uint64_t corpus_runs, corpus_bytes;
        unsigned clean_since;        /* clean runs since the last retraining started */
        struct vgd_retrain *running; /* a retraining in flight */
        struct json_object *last;    /* the last retraining's outcome, NULL: none */
};

/* Sets d->model up: creates nothing yet, loads MODEL_DIR/current if there
 * is one (a bad one is logged and ignored: no model) and records it.
 * -ENOMEM. */
int vgd_learn_init(struct vgd_daemon *d, struct vgl_error *err);

/* Frees d->model (a retraining in flight keeps what it uses). */
void vgd_learn_fini(struct vgd_daemon *d);

/* One accepted behaviour event of s (a sandbox with a profile): system
 * calls feed the stream and the current sequences; violations mark their
 * command as not clean. Never allocates, never blocks. */
void vgd_learn_event(struct vgd_sandbox *s, const struct vgl_bhv_event *ev);

/* The command exec_id of s ended; clean: exited 0. */
void vgd_learn_exec_exit(struct vgd_sandbox *s, uint32_t exec_id, bool clean);

/* Before a round of s: the stream's score into the evidence, and the
 * settled clean commands into the corpus. */
void vgd_learn_round(struct vgd_sandbox *s);

/* Frees s's learning state (the control state goes). */
void vgd_learn_free(struct vgd_sandbox *s);

/* An operator says s's recent behaviour is normal: every sequence kept is
 * one run of the corpus. Returns the number of traces added, or -errno. */
int vgd_learn_mark_benign(struct vgd_sandbox *s, struct vgl_error *err);

/* Starts a retraining unless one runs; call (may be NULL) is answered
 * with its outcome (ModelRetrain's reply). */
int vgd_learn_retrain(struct vgd_daemon *d, struct vgl_varlink_call *call);

/* Every sandbox's stream anew over d->model->det (after a swap). */
void vgd_learn_restream(struct vgd_daemon *d);

/* ModelStatus's reply. NULL without memory. */
struct json_object *vgd_learn_status_json(const struct vgd_daemon *d);
