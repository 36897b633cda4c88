/* Rules internals: the compiled form shared by the parser and the evaluator. */
#pragma once

#include "rules.h"

struct rules_strs {
        char **v;
        size_t n;
};

struct rules_u64s {
        uint64_t *v;
        size_t n;
};

struct rules_cidr {
        uint8_t family;   /* 4 or 6 */
        uint8_t prefix;   /* 0..32 or 0..128 */
        uint8_t addr[16]; /* network order, host bits clear */
};

struct rules_ports {
        uint16_t lo, hi; /* inclusive */
};

/* Conditions on one event: all present ones must hold; a list holds if
 * any entry does (path_not: if none does). */
struct rules_cond {
        uint16_t kind;     /* VGL_REC_SYSCALL ... VGL_REC_PRIV */
        uint32_t verdicts; /* bit per enum vgl_verdict; 0: any */
        uint32_t ops;      /* bit per file or net op; 0: any */
        uint32_t privs;    /* bit per privilege call index; 0: any */
        struct rules_strs paths, paths_not, programs, argv;
        struct rules_cidr *cidrs;
        size_t n_cidrs;
        struct rules_ports *ports;
        size_t n_ports;
        struct rules_u64s syscalls, arg0_in, arg0_not_in;
};

struct rules_rule {
        char name[VGL_RULE_NAME_MAX];
        char tag[VGL_RULE_TAG_MAX];
        char description[VGL_RULE_DESCRIPTION_MAX];
        const char *file; /* one of vgl_rules.files */
        enum vgl_severity severity;
        /* a single event ("match": n_steps 1) or a sequence (2.. steps) */
        struct rules_cond steps[VGL_RULES_STEPS_MAX];
        size_t n_steps;
        uint64_t within_ms;
        bool same_command; /* every step in the same command (exec_id) */
        bool ordered;      /* steps in the order given */
        unsigned seq_slot; /* sequences: index into the state's partials */
};

/* A sequence under way in one sandbox: the steps seen so far. */
struct rules_partial {
        uint64_t start_ms; /* host time of its first step */
        uint32_t exec_id;  /* the command, when the rule wants the same one */
        uint8_t done;      /* bit per step seen */
        bool used;
};

struct vgl_rules_state {
        uint64_t generation; /* of the set the partials belong to */
        struct rules_partial partials[VGL_RULES_SEQ_MAX][VGL_RULES_PARTIALS];
        double acc;      /* risk accumulator A ... */
        uint64_t acc_ms; /* ... at this host time */
};

struct vgl_rules {
        uint64_t generation; /* unique per loaded set */
        struct rules_rule *rules;
        size_t n_rules;
        size_t n_seq;
        char **files;
        size_t n_files;
};

/* Parses one file's text into rs (appending rules; duplicate names across
 * the set are errors). */
int vgl_rules_add_text(struct vgl_rules *rs, const char *path, const char *text, size_t len,
                       struct vgl_error *err);

/* An empty set with a fresh generation. */
struct vgl_rules *vgl_rules_new(void);

/* True if ev satisfies c (the evaluator's single-event test). */
bool vgl_rules_cond_match(const struct rules_cond *c, const struct vgl_bhv_event *ev);

/* Frees what c owns. */
void vgl_rules_cond_clear(struct rules_cond *c);
