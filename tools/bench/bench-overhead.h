/* tools/bench/overhead: what the supervision modes of vigil-agent cost.
 * Each workload runs through the real agent (started on this host over a
 * socketpair, as the unit tests do) unsupervised, in critical-only mode, in
 * trace mode (eBPF capture where the agent has it), in trace mode with every
 * call notified (the fallback), and under strace -f as the ptrace reference. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum ovh_variant {
        OVH_NONE = 0, /* no POLICY pushed: the agent runs the command unsupervised */
        OVH_CRITICAL, /* POLICY mode "critical" */
        OVH_TRACE,    /* POLICY mode "trace": eBPF capture when the agent has it */
        OVH_NOTIFY,   /* POLICY mode "trace", agent run with --trace-method notify */
        OVH_STRACE,   /* no POLICY, the command wrapped in strace -f -o /dev/null */
        OVH_N_VARIANTS,
};

enum ovh_job {
        OVH_SYSCALL = 0, /* open/read/close, getppid, connect loops */
        OVH_FORKEXEC,    /* fork + exec /bin/true */
        OVH_REALISTIC,   /* building a small generated C project with gcc */
        OVH_N_JOBS,
};

/* What one run of a workload needs: its argv (NULL-terminated), and the
 * scratch directory it works in (writable prefix, cwd, TMPDIR). */
struct ovh_setup {
        char dir[256];       /* mkdtemp'd scratch directory */
        char work_bin[4096]; /* vigil-ovh-work */
        char work_dir[4096]; /* its directory, on the exec allow-list */
        long n_file, n_ppid, n_connect, n_forkexec, n_units;
};

/* One measurement. */
struct ovh_result {
        double wall_s;         /* host side: EXEC sent to EXEC_EXIT received */
        uint64_t syscall_recs; /* syscall records received */
        uint64_t dropped;      /* telemetry records sampled out or lost (heartbeat) */
        int cgroup2;           /* from POLICY_ACK: 1/0, -1 when no POLICY was pushed */
        bool trace_bpf;        /* the agent announced eBPF capture (HELLO) */
        char detail[128];      /* the workload's own first line of output, if any */
};

/* Creates the scratch directory and the generated C project. -errno. */
int ovh_setup_init(struct ovh_setup *s);
/* Removes the scratch directory (best effort). */
void ovh_setup_done(struct ovh_setup *s);
/* Fills argv (at most 16 entries + NULL) for a job; strings point into s or
 * are literals. Returns the number of entries. */
int ovh_job_argv(const struct ovh_setup *s, enum ovh_job job, const char **argv);
const char *ovh_job_name(enum ovh_job job);
const char *ovh_variant_name(enum ovh_variant v);

/* Starts an agent, pushes the variant's policy, runs the job once, stops the
 * agent. Exits the program (with a message) if the job fails: a run that
 * was denied something is not a measurement. */
void ovh_run_once(const struct ovh_setup *s, enum ovh_job job, enum ovh_variant v,
                  struct ovh_result *ret);
