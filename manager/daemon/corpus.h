/* The learning corpus: STATE_DIR/corpus/NNNNNNNNNNNN.tsv, one clean run a
 * file (detect/trace.h's TSV: one process's calls a line), bounded in
 * runs and bytes (the oldest go first). Written on the loop (small files,
 * written whole and renamed into place, so a reader never sees half of
 * one); read by the retraining thread. */
#pragma once

#include <stdint.h>

#include "error.h"
#include "trace.h"

#define VGD_CORPUS_RUNS_MAX  512u
#define VGD_CORPUS_BYTES_MAX ((uint64_t)16 << 20)

struct vgd_corpus_info {
        uint64_t runs, bytes;
        uint64_t next_seq; /* one past the highest file number */
};

/* Scans dir (missing: empty). */
int vgd_corpus_scan(const char *dir, struct vgd_corpus_info *ret);

/* Writes ts as run number seq (dir created if missing), then drops the
 * oldest runs past the bounds; *info updated. -errno with *err. */
int vgd_corpus_add(const char *dir, uint64_t seq, const struct vgl_traceset *ts,
                   struct vgd_corpus_info *info, struct vgl_error *err);

/* Reads every run, oldest first: every held_every-th run into *held, the
 * others into *train (both appended to). Runs that vanish while reading
 * are skipped. */
int vgd_corpus_read(const char *dir, unsigned held_every, struct vgl_traceset *train,
                    struct vgl_traceset *held, struct vgl_error *err);
