/* The seccomp filter of a supervised command (child side, before exec).
 *
 * Critical mode: the default is ALLOW; the critical calls are NOTIFY, with
 * argument comparators so read-only opens stay in the kernel unless the
 * permission set has sensitive patterns. Trace mode: the default is NOTIFY.
 * In both, a few calls that would let the workload escape supervision or stall
 * the agent are refused outright (see docs/security.md). */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "supervise.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release)

#define NOTIFY SCMP_ACT_NOTIFY

static const int critical_calls[] = {
        SCMP_SYS(execve),
        SCMP_SYS(execveat),
        SCMP_SYS(connect),
        SCMP_SYS(bind),
        SCMP_SYS(sendmsg),
        SCMP_SYS(sendmmsg),
        SCMP_SYS(creat),
        SCMP_SYS(openat2),
        SCMP_SYS(unlink),
        SCMP_SYS(unlinkat),
        SCMP_SYS(rmdir),
        SCMP_SYS(rename),
        SCMP_SYS(renameat),
        SCMP_SYS(renameat2),
        SCMP_SYS(chmod),
        SCMP_SYS(fchmodat),
        SCMP_SYS(chown),
        SCMP_SYS(lchown),
        SCMP_SYS(fchownat),
        SCMP_SYS(fchmod),
        SCMP_SYS(fchown),
        SCMP_SYS(utimensat),
        SCMP_SYS(futimesat),
        SCMP_SYS(utime),
        SCMP_SYS(utimes),
        SCMP_SYS(mkdir),
        SCMP_SYS(mkdirat),
        SCMP_SYS(link),
        SCMP_SYS(linkat),
        SCMP_SYS(symlink),
        SCMP_SYS(symlinkat),
        SCMP_SYS(truncate),
        SCMP_SYS(mknod),
        SCMP_SYS(mknodat),
        SCMP_SYS(ptrace),
        SCMP_SYS(process_vm_readv),
        SCMP_SYS(process_vm_writev),
        SCMP_SYS(pidfd_getfd),
        SCMP_SYS(mount),
        SCMP_SYS(umount2),
        SCMP_SYS(pivot_root),
        SCMP_SYS(chroot),
        SCMP_SYS(fsopen),
        SCMP_SYS(fsmount),
        SCMP_SYS(fsconfig),
        SCMP_SYS(fspick),
        SCMP_SYS(move_mount),
        SCMP_SYS(open_tree),
        SCMP_SYS(mount_setattr),
        SCMP_SYS(bpf),
        SCMP_SYS(init_module),
        SCMP_SYS(finit_module),
        SCMP_SYS(delete_module),
        SCMP_SYS(setuid),
        SCMP_SYS(setgid),
        SCMP_SYS(setreuid),
        SCMP_SYS(setregid),
        SCMP_SYS(setresuid),
        SCMP_SYS(setresgid),
        SCMP_SYS(setfsuid),
        SCMP_SYS(setfsgid),
        SCMP_SYS(setgroups),
        SCMP_SYS(unshare),
        SCMP_SYS(setns),
        SCMP_SYS(kexec_load),
        SCMP_SYS(kexec_file_load),
        SCMP_SYS(reboot),
        SCMP_SYS(perf_event_open),
};

/* Open flags that make an open a write (any one of them). */
static const unsigned write_flags[] = {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, __O_TMPFILE};

static const uint64_t ns_flags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
                                    CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME};

static int add_opens(scmp_filter_ctx ctx, bool all)
{
        int r;
        if (all) {
                if ((r = seccomp_rule_add(ctx, NOTIFY, SCMP_SYS(open), 0)) < 0 ||
                    (r = seccomp_rule_add(ctx, NOTIFY, SCMP_SYS(openat), 0)) < 0)
                        return r;
                return 0;
        }
        for (unsigned i = 0; i < ELEMENTSOF(write_flags); i++) {
                unsigned f = write_flags[i];
                if ((r = seccomp_rule_add(ctx, NOTIFY, SCMP_SYS(open), 1,
                                          SCMP_A1(SCMP_CMP_MASKED_EQ, f, f))) < 0 ||
                    (r = seccomp_rule_add(ctx, NOTIFY, SCMP_SYS(openat), 1,
                                          SCMP_A2(SCMP_CMP_MASKED_EQ, f, f))) < 0)
                        return r;
        }
        return 0;
}

/* Calls refused in every mode: each would let the workload escape or stall us. */
static int add_refusals(scmp_filter_ctx ctx)
{
        int r;
        /* io_uring runs opens/connects without system calls; userfaultfd could
         * block the agent's reads of /proc/PID/mem; a seccomp listener of the
         * workload's own would take precedence over ours. clone3 hides its
         * flags in memory: ENOSYS makes libc fall back to clone. */
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0)) < 0 ||
            (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(userfaultfd), 0)) < 0 ||
            (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0 ||
            (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(open_by_handle_at), 0)) <
                    0 ||
            (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(seccomp), 2,
                                  SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER),
                                  SCMP_A1(SCMP_CMP_MASKED_EQ, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                                          SECCOMP_FILTER_FLAG_NEW_LISTENER))) < 0)
                return r;
        return 0;
}

static int add_critical(scmp_filter_ctx ctx, const struct vgl_sup_opts *o)
{
        int r;
        for (unsigned i = 0; i < ELEMENTSOF(critical_calls); i++)
                if ((r = seccomp_rule_add(ctx, NOTIFY, critical_calls[i], 0)) < 0)
                        return r;
        /* sendto without an address goes to the connected peer, checked at connect. */
        if ((r = seccomp_rule_add(ctx, NOTIFY, SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_NE, 0))) < 0)
                return r;
        for (unsigned i = 0; i < ELEMENTSOF(ns_flags); i++)
                if ((r = seccomp_rule_add(ctx, NOTIFY, SCMP_SYS(clone), 1,
                                          SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]))) <
                    0)
                        return r;
        return add_opens(ctx, o->notify_reads);
}

int vgl_sup_load_filter(const struct vgl_sup_opts *o)
{
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx =
                seccomp_init(o->trace ? SCMP_ACT_NOTIFY : SCMP_ACT_ALLOW);
        int r;

        if (!ctx)
                return -ENOMEM;
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
            (r = add_refusals(ctx)) < 0 || (!o->trace && (r = add_critical(ctx, o)) < 0))
                return r;
        /* Without CAP_SYS_ADMIN the kernel insists on no_new_privs anyway. */
        if ((o->no_new_privs || geteuid() != 0) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if ((r = seccomp_load(ctx)) < 0)
                return r;
        return seccomp_notify_fd(ctx);
}

int vgl_sup_next_fd(void)
{
        int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        close(fd);
        return fd;
}
