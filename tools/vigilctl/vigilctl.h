/* vigilctl internals: the command table, each verb's parsed arguments, and
 * output formatting. Each verb lives in cmd-<verb>.c with a parser (pure:
 * argv -> struct, tested table-driven) and a run function. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "error.h"
#include "vigil-client.h"

/* Exit statuses (also in `vigilctl --help`). */
enum {
        VGL_CTL_EXIT_OK = 0,
        VGL_CTL_EXIT_ERROR = 1,         /* vigild reported an error, or the operation failed */
        VGL_CTL_EXIT_USAGE = 2,         /* bad command line */
        VGL_CTL_EXIT_CONNECT = 3,       /* cannot connect to vigild, or the connection broke */
        VGL_CTL_EXIT_TIMEOUT = 124,     /* exec: the command ran past --timeout */
        VGL_CTL_EXIT_NOT_STARTED = 125, /* exec: the command could not be started */
        VGL_CTL_EXIT_SIGNAL_BASE = 128, /* exec: killed by signal N -> 128 + N */
};

/* A parser's answer besides 0 (parsed) and -EINVAL (usage error). */
#define VGL_CTL_HELP 1

#define VGL_CTL_MAX_LABELS 64
#define VGL_CTL_MAX_ENV    256

/* The invocation: global options and where output goes. */
struct vgl_ctl {
        const char *socket; /* NULL: $VIGIL_SOCKET or the default */
        bool json;
        FILE *in, *out, *err;
};

struct vgl_ctl_command {
        const char *name;
        const char *summary; /* one line for `vigilctl --help` */
        const char *usage;   /* the verb's --help text */
        /* Runs the verb; argv[0] is the verb. Returns the exit status. */
        int (*run)(struct vgl_ctl *ctl, int argc, char **argv);
};

extern const struct vgl_ctl_command vgl_ctl_cmd_list, vgl_ctl_cmd_reserve, vgl_ctl_cmd_exec,
        vgl_ctl_cmd_cp, vgl_ctl_cmd_release, vgl_ctl_cmd_info, vgl_ctl_cmd_events,
        vgl_ctl_cmd_tiers, vgl_ctl_cmd_version, vgl_ctl_cmd_profile, vgl_ctl_cmd_adjust,
        vgl_ctl_cmd_hop, vgl_ctl_cmd_audit, vgl_ctl_cmd_model, vgl_ctl_cmd_alert;

/* The whole program, with its streams injectable for tests. */
int vgl_ctl_main(int argc, char **argv, FILE *in, FILE *out, FILE *err);

/* ---- parsed arguments ---- */

/* list, tiers (no positional), release, info (one ID). */
struct vgl_ctl_plain_args {
        bool json;
        const char *id;
};
/* n_ids: how many positional IDs the verb takes (0 or 1). */
int vgl_ctl_parse_plain(int argc, char **argv, int n_ids, struct vgl_ctl_plain_args *ret,
                        struct vgl_error *err);

struct vgl_ctl_reserve_args {
        bool json;
        bool have_trust;
        double trust;
        const char *tier;
        int64_t ttl_s;
        struct vgl_client_label labels[VGL_CTL_MAX_LABELS]; /* keys owned */
        size_t n_labels;
};
int vgl_ctl_parse_reserve(int argc, char **argv, struct vgl_ctl_reserve_args *ret,
                          struct vgl_error *err);
void vgl_ctl_reserve_args_done(struct vgl_ctl_reserve_args *a);

struct vgl_ctl_exec_args {
        bool json;
        bool no_stdin;
        const char *id;
        int64_t timeout_ms; /* 0: none */
        const char *cwd;
        int64_t uid;           /* -1: vigild's default */
        const char *supervise; /* NULL: the permission set's default */
        const char *env[VGL_CTL_MAX_ENV + 1];
        size_t n_env;
        char **cmd; /* NULL-terminated, borrowed from argv */
};
int vgl_ctl_parse_exec(int argc, char **argv, struct vgl_ctl_exec_args *ret, struct vgl_error *err);

enum vgl_ctl_cp_direction { VGL_CTL_CP_TO_SANDBOX, VGL_CTL_CP_FROM_SANDBOX };
struct vgl_ctl_cp_args {
        bool json;
        enum vgl_ctl_cp_direction direction;
        char *id;           /* owned */
        const char *remote; /* path in the sandbox */
        const char *local;  /* local path, "-": stdin/stdout */
};
int vgl_ctl_parse_cp(int argc, char **argv, struct vgl_ctl_cp_args *ret, struct vgl_error *err);
void vgl_ctl_cp_args_done(struct vgl_ctl_cp_args *a);

struct vgl_ctl_events_args {
        bool json;
        bool follow;
        int64_t timeout_s; /* 0: none */
        const char *id;    /* NULL: all sandboxes */
};
int vgl_ctl_parse_events(int argc, char **argv, struct vgl_ctl_events_args *ret,
                         struct vgl_error *err);

/* profile ID, or profile set ID KEY=VALUE... */
struct vgl_ctl_profile_args {
        bool json;
        bool set;
        const char *id;
        struct json_object *changes; /* set: the changes, owned */
};
int vgl_ctl_parse_profile(int argc, char **argv, struct vgl_ctl_profile_args *ret,
                          struct vgl_error *err);
void vgl_ctl_profile_args_done(struct vgl_ctl_profile_args *a);

/* Adds "KEY=VALUE" to changes: a number when VALUE reads as one (an
 * integer when it has no fraction or exponent), true/false as booleans,
 * anything else as a string. -EINVAL without '=' or with an empty key. */
int vgl_ctl_parse_change(const char *arg, struct json_object *changes, struct vgl_error *err);

struct vgl_ctl_hop_args {
        bool json;
        const char *id;
        const char *tier;
};
int vgl_ctl_parse_hop(int argc, char **argv, struct vgl_ctl_hop_args *ret, struct vgl_error *err);

/* audit [--follow] [--since N], or audit verify */
struct vgl_ctl_audit_args {
        bool json;
        bool verify;
        bool follow;
        int64_t since; /* 0: from the first record */
};
int vgl_ctl_parse_audit(int argc, char **argv, struct vgl_ctl_audit_args *ret,
                        struct vgl_error *err);

struct vgl_ctl_version_args {
        bool json;
        bool client_only;
};
int vgl_ctl_parse_version(int argc, char **argv, struct vgl_ctl_version_args *ret,
                          struct vgl_error *err);

/* ---- shared helpers (util.c) ---- */

/* Resets getopt for a new parse (the parsers are called more than once in tests). */
void vgl_ctl_getopt_reset(void);

/* The usage error for getopt's '?' or ':' answer. Returns -EINVAL. */
int vgl_ctl_bad_option(int c, char **argv, struct vgl_error *err);

/* Parses a whole decimal integer in [min, max]; -EINVAL with *err naming what. */
int vgl_ctl_parse_int(const char *s, const char *what, int64_t min, int64_t max, int64_t *ret,
                      struct vgl_error *err);

/* Parses a trust level: a finite number in [0, 1]. */
int vgl_ctl_parse_trust(const char *s, double *ret, struct vgl_error *err);

/* Handles a parser's answer: prints the usage error or help. Returns -1 to
 * go on (r == 0), else the exit status to return. */
int vgl_ctl_parsed(struct vgl_ctl *ctl, const struct vgl_ctl_command *cmd, int r,
                   const struct vgl_error *err);

/* Connects, or prints why not. Returns 0 or VGL_CTL_EXIT_CONNECT. */
int vgl_ctl_connect(struct vgl_ctl *ctl, struct vgl_client **ret);

/* Prints a failed call ("vigilctl info: no such sandbox: abc
 * [io.vigil.Manager.NoSuchSandbox]") and returns its exit status. c may be
 * NULL for local failures. */
int vgl_ctl_fail(struct vgl_ctl *ctl, const char *verb, struct vgl_client *c,
                 const struct vgl_error *err);

/* Prints o as one line of JSON. */
void vgl_ctl_print_json(FILE *f, struct json_object *o);

/* ---- formatting (format.c, table.c) ---- */

/* "2024-05-01 12:00:00" in local time. */
void vgl_ctl_format_time(int64_t t, char *buf, size_t size);

/* virsh-like tables and dominfo-like key: value lines. -ENOMEM. */
int vgl_ctl_print_sandboxes(FILE *f, const struct vgl_client_sandbox *s, size_t n);
int vgl_ctl_print_tiers(FILE *f, const struct vgl_client_tier *t, size_t n);
void vgl_ctl_print_info(FILE *f, const struct vgl_client_sandbox *s);
void vgl_ctl_print_event(FILE *f, const struct vgl_client_event *e);

/* The profile (GetProfile's JSON) as key: value lines, the actions and the
 * history as tables (format-profile.c). Fields it lacks print as "?". */
void vgl_ctl_print_profile(FILE *f, struct json_object *profile);
/* One line: "demote medium -> high, trust 0.550 -> 0.250: REASON". */
void vgl_ctl_print_decision(FILE *f, struct json_object *decision);
/* One line: "hop medium -> paranoid: moved in 3200 ms (save ..., restore ...)". */
void vgl_ctl_print_hop(FILE *f, struct json_object *hop);
/* One line per audit record: seq, time, type, sandbox, actor, details. */
void vgl_ctl_print_audit_record(FILE *f, struct json_object *rec);

struct vgl_ctl_table {
        size_t ncols, nrows, cap;
        char **cells; /* nrows * ncols, row 0 the headers */
};
int vgl_ctl_table_init(struct vgl_ctl_table *t, const char *const *headers, size_t ncols);
/* Adds a row of ncols cells (copied). -ENOMEM. */
int vgl_ctl_table_add(struct vgl_ctl_table *t, const char *const *cells);
void vgl_ctl_table_print(const struct vgl_ctl_table *t, FILE *f);
void vgl_ctl_table_done(struct vgl_ctl_table *t);
