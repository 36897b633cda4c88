/* POLICY (host -> agent): the permission set the agent enforces on supervised
 * commands, and its extended POLICY_ACK.
 *
 * The set is a fixed-size struct (no pointers): it is parsed once per POLICY
 * frame, copied whole, and consulted by the supervisor on every seccomp
 * notification. Every list has a hard bound; the parser rejects anything
 * beyond it rather than truncating a security decision. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "proto.h"

#define VGL_POLICY_MAX_EGRESS    64
#define VGL_POLICY_MAX_PATHS     64 /* writable and exec lists, each */
#define VGL_POLICY_MAX_SENSITIVE 64
#define VGL_POLICY_PATH_LEN      255 /* bytes of one prefix/pattern, without NUL */

enum vgl_policy_mode {
        VGL_POLICY_CRITICAL = 0, /* "critical": only critical calls reach the agent */
        VGL_POLICY_TRACE = 1,    /* "trace": every system call is reported */
};

/* Privilege calls, as bits of vgl_policy.priv_allowed ("privileged": [names]). */
enum vgl_priv {
        VGL_PRIV_PTRACE = 1u << 0,     /* "ptrace": ptrace, process_vm_readv/writev */
        VGL_PRIV_MOUNT = 1u << 1,      /* "mount": mount, umount2, pivot_root, chroot, fsopen... */
        VGL_PRIV_BPF = 1u << 2,        /* "bpf" */
        VGL_PRIV_MODULE = 1u << 3,     /* "module": init_module, finit_module, delete_module */
        VGL_PRIV_SETUID = 1u << 4,     /* "setuid": setuid/setgid family, setgroups */
        VGL_PRIV_NAMESPACE = 1u << 5,  /* "namespace": unshare, setns */
        VGL_PRIV_KEXEC = 1u << 6,      /* "kexec": kexec_load, kexec_file_load */
        VGL_PRIV_REBOOT = 1u << 7,     /* "reboot" */
        VGL_PRIV_PERF = 1u << 8,       /* "perf": perf_event_open */
        VGL_PRIV_ALL = (1u << 9) - 1u, /* every bit above */
};

/* Name of one VGL_PRIV_* bit ("ptrace"), "unknown" otherwise. */
const char *vgl_priv_name(uint32_t bit);

/* One allowed egress endpoint: "cidr" ("10.0.0.0/8", "::1/128", "127.0.0.1")
 * and "ports" ("443", "8000-8100", absent = all). */
struct vgl_net_rule {
        uint8_t family;   /* 4 or 6 */
        uint8_t prefix;   /* 0..32 or 0..128 */
        uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
        uint16_t port_lo; /* inclusive */
        uint16_t port_hi; /* inclusive, >= port_lo */
};

/* A sensitive path pattern: a trailing '/' means "this directory and below",
 * otherwise fnmatch(3) without flags ('*' also matches '/'). */
struct vgl_sensitive {
        char pattern[VGL_POLICY_PATH_LEN + 1];
        bool deny; /* "action":"deny"; false = "report" (allowed, reported) */
};

struct vgl_policy {
        uint64_t generation;       /* "generation", required, 0..2^63-1 */
        enum vgl_policy_mode mode; /* "mode", default "critical" */
        bool supervise;            /* "supervise", default true: run commands supervised */
        int64_t uid, gid;          /* "uid"/"gid", default -1 = unchanged (the agent's) */
        bool no_new_privs;         /* "no_new_privs", default true */
        uint64_t pids_max;         /* "limits":{"pids_max"}, 0 = no limit */
        uint64_t memory_max;       /* "limits":{"memory_max"} bytes, 0 = no limit */
        bool egress_any;           /* "egress" absent/null: every endpoint allowed */
        uint32_t n_egress;
        struct vgl_net_rule egress[VGL_POLICY_MAX_EGRESS];
        bool writable_any; /* "writable" absent/null: writes allowed anywhere */
        uint32_t n_writable;
        char writable[VGL_POLICY_MAX_PATHS][VGL_POLICY_PATH_LEN + 1];
        uint32_t n_exec; /* "exec": 0 = every program allowed */
        char exec[VGL_POLICY_MAX_PATHS][VGL_POLICY_PATH_LEN + 1];
        uint32_t n_sensitive;
        struct vgl_sensitive sensitive[VGL_POLICY_MAX_SENSITIVE];
        uint32_t priv_allowed; /* "privileged": VGL_PRIV_* bits; default none */
};

/* The permission set in force before any POLICY: everything allowed,
 * unsupervised, critical mode, generation 0. */
void vgl_policy_init_open(struct vgl_policy *p);

/* Parses a POLICY frame into *ret (a large struct: allocate it). Strict: every
 * field type-checked and bounded, paths absolute without "." or "..", CIDRs
 * with no host bits beyond the prefix... see docs/protocol.md. -EBADMSG with
 * *err ("policy: field \"egress\" element 2: bad cidr") on failure; *ret is
 * untouched then. */
int vgl_msg_policy_parse(const struct vgl_frame *f, struct vgl_policy *ret, struct vgl_error *err);

/* Encodes p as a POLICY frame. -EINVAL if p would not pass the parser. */
int vgl_msg_policy_append(struct vgl_buf *b, const struct vgl_policy *p);

/* POLICY_ACK with what the agent can enforce: {"generation":7,"supervised":true,
 * "cgroup2":false,"trace":"ebpf"}. Hosts that only read
 * "generation" (vgl_msg_policy_ack_parse) ignore the rest. */
struct vgl_policy_ack {
        uint64_t generation;
        bool supervised; /* seccomp user notification works here */
        bool cgroup2;    /* cgroup v2 limits can be applied */
        bool trace_ebpf; /* trace mode captures calls with eBPF, not per-call notification */
};
int vgl_msg_policy_ack_ext_append(struct vgl_buf *b, const struct vgl_policy_ack *a);
int vgl_msg_policy_ack_ext_parse(const struct vgl_frame *f, struct vgl_policy_ack *ret,
                                 struct vgl_error *err);

/* ---- matching, shared by the agent and host-side tooling ---- */

/* True if path equals prefix or lies below it (component boundary). */
bool vgl_path_has_prefix(const char *path, const char *prefix);

/* True if path may be written under p. */
bool vgl_policy_writable(const struct vgl_policy *p, const char *path);

/* True if path may be executed under p. */
bool vgl_policy_exec_allowed(const struct vgl_policy *p, const char *path);

/* The first sensitive pattern that path matches, or NULL. */
const struct vgl_sensitive *vgl_policy_sensitive(const struct vgl_policy *p, const char *path);

/* True if (family 4/6, addr in network byte order, port) is an allowed egress endpoint. */
bool vgl_policy_egress_allowed(const struct vgl_policy *p, int family, const uint8_t *addr,
                               uint16_t port);
