/* Supervised exec and privilege calls. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "procmem.h"
#include "sup-priv.h"

#define ARGV_READ_MAX 64 /* argv entries looked at for the summary */
#define NS_FLAGS                                                                                   \
        (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
         CLONE_NEWCGROUP | 0x80u /* CLONE_NEWTIME */)

/* "a b c" from the workload's argv array, cut to the record's text field. */
static uint32_t argv_summary(struct vgl_notif *n, uint64_t argv, char *out, size_t size,
                             uint8_t *flags)
{
        size_t used = 0;
        uint32_t argc = 0;
        out[0] = '\0';
        for (; argv && argc < ARGV_READ_MAX; argc++) {
                uint64_t p;
                char arg[VGL_EVENT_TEXT_LEN + 1];
                if (vgl_pm_read(vgl_notif_mem(n), argv + 8u * argc, &p, sizeof(p)) < 0 || !p)
                        break;
                int r = vgl_pm_read_str(vgl_notif_mem(n), p, arg, sizeof(arg));
                if (r < 0 && r != -ENAMETOOLONG)
                        break;
                int w = snprintf(out + used, size - used, "%s%s", argc ? " " : "", arg);
                if (r < 0 || w < 0 || (size_t)w >= size - used) {
                        *flags |= VGL_EVENT_F_TRUNCATED;
                        used = size - 1;
                } else {
                        used += (size_t)w;
                }
        }
        return argc;
}

/* True if path does not exist as the caller sees it (its root, its mounts). */
static bool target_missing(struct vgl_notif *n, const char *path)
{
        char p[VGL_PM_PATH_MAX + 64];
        struct stat st;

        if ((size_t)snprintf(p, sizeof(p), "%s/%d/root%s", n->a->cfg.proc_root, (int)n->pid,
                             path) >= sizeof(p))
                return false;
        return stat(p, &st) < 0 && (errno == ENOENT || errno == ENOTDIR);
}

static void proc_event(struct vgl_notif *n, const char *path, uint64_t argv)
{
        struct vgl_ev_proc e = {.h = vgl_events_head(n->c->id, (uint32_t)n->pid),
                                .verdict = n->verdict,
                                .err = (uint16_t)n->err};
        uint8_t rec[VGL_EV_PROC_SIZE];
        if (strlen(path) > VGL_EVENT_TEXT_LEN)
                e.flags |= VGL_EVENT_F_TRUNCATED;
        snprintf(e.path, sizeof(e.path), "%.*s", (int)VGL_EVENT_TEXT_LEN, path);
        e.argc = argv_summary(n, argv, e.argv, sizeof(e.argv), &e.flags);
        vgl_ev_proc_encode(&e, rec);
        vgl_events_add(n->a, VGL_REC_PROC, rec);
}

bool vgl_sup_exec(struct vgl_notif *n)
{
        char raw[VGL_PM_PATH_MAX], path[VGL_PM_PATH_MAX];
        int nr = n->req->data.nr, dirfd = AT_FDCWD;
        uint64_t pa = vgl_arg(n, 0), argv = vgl_arg(n, 1);

        if (nr != SYS_execve && nr != SYS_execveat)
                return false;
        if (nr == SYS_execveat) {
                dirfd = (int)vgl_arg(n, 0);
                pa = vgl_arg(n, 1);
                argv = vgl_arg(n, 2);
        }
        if (vgl_pm_read_str(vgl_notif_mem(n), pa, raw, sizeof(raw)) < 0) {
                vgl_notif_decide(n, false, EFAULT);
                return true;
        }
        /* execveat(fd, "", AT_EMPTY_PATH): the program is the open fd. */
        if (raw[0] == '\0' && dirfd >= 0)
                snprintf(raw, sizeof(raw), "/proc/%d/fd/%d", (int)n->pid, dirfd);
        if (vgl_pm_abspath(n->a->cfg.proc_root, n->pid, dirfd, raw, path, sizeof(path)) < 0) {
                vgl_notif_decide(n, false, EACCES);
        } else if (target_missing(n, path)) {
                /* A shell or execvp trying PATH: nothing runs, so no process
                 * record. What is not on the list is not continued (a racing
                 * thread could create it); ENOENT lets the search go on. */
                vgl_notif_decide(n, vgl_policy_exec_allowed(n->pol, path), ENOENT);
                return true;
        } else {
                vgl_notif_decide(n, vgl_policy_exec_allowed(n->pol, path), EACCES);
        }
        proc_event(n, path[0] ? path : raw, argv);
        return true;
}

struct priv_call {
        int nr;
        uint32_t bit;
};

static const struct priv_call priv_calls[] = {
        {SYS_ptrace, VGL_PRIV_PTRACE},
        {SYS_process_vm_readv, VGL_PRIV_PTRACE},
        {SYS_process_vm_writev, VGL_PRIV_PTRACE},
        /* Another process's fds (the agent's listener, its BPF maps): ptrace's power. */
        {SYS_pidfd_getfd, VGL_PRIV_PTRACE},
        {SYS_mount, VGL_PRIV_MOUNT},
        {SYS_umount2, VGL_PRIV_MOUNT},
        {SYS_pivot_root, VGL_PRIV_MOUNT},
        {SYS_chroot, VGL_PRIV_MOUNT},
        {SYS_fsopen, VGL_PRIV_MOUNT},
        {SYS_fsmount, VGL_PRIV_MOUNT},
        {SYS_fsconfig, VGL_PRIV_MOUNT},
        {SYS_fspick, VGL_PRIV_MOUNT},
        {SYS_move_mount, VGL_PRIV_MOUNT},
        {SYS_open_tree, VGL_PRIV_MOUNT},
        {SYS_mount_setattr, VGL_PRIV_MOUNT},
        {SYS_bpf, VGL_PRIV_BPF},
        {SYS_init_module, VGL_PRIV_MODULE},
        {SYS_finit_module, VGL_PRIV_MODULE},
        {SYS_delete_module, VGL_PRIV_MODULE},
        {SYS_setuid, VGL_PRIV_SETUID},
        {SYS_setgid, VGL_PRIV_SETUID},
        {SYS_setreuid, VGL_PRIV_SETUID},
        {SYS_setregid, VGL_PRIV_SETUID},
        {SYS_setresuid, VGL_PRIV_SETUID},
        {SYS_setresgid, VGL_PRIV_SETUID},
        {SYS_setfsuid, VGL_PRIV_SETUID},
        {SYS_setfsgid, VGL_PRIV_SETUID},
        {SYS_setgroups, VGL_PRIV_SETUID},
        {SYS_unshare, VGL_PRIV_NAMESPACE},
        {SYS_setns, VGL_PRIV_NAMESPACE},
        {SYS_clone, VGL_PRIV_NAMESPACE},
        {SYS_kexec_load, VGL_PRIV_KEXEC},
        {SYS_kexec_file_load, VGL_PRIV_KEXEC},
        {SYS_reboot, VGL_PRIV_REBOOT},
        {SYS_perf_event_open, VGL_PRIV_PERF},
};

static uint16_t bit_index(uint32_t bit)
{
        uint16_t i = 0;
        while (bit > 1) {
                bit >>= 1;
                i++;
        }
        return i;
}

bool vgl_sup_priv(struct vgl_notif *n)
{
        int nr = n->req->data.nr;
        for (unsigned i = 0; i < sizeof(priv_calls) / sizeof(priv_calls[0]); i++) {
                if (priv_calls[i].nr != nr)
                        continue;
                /* In trace mode every clone is notified: only namespace flags are privileged. */
                if (nr == SYS_clone && !(vgl_arg(n, 0) & NS_FLAGS))
                        return false;
                vgl_notif_decide(n, (n->pol->priv_allowed & priv_calls[i].bit) != 0, EPERM);
                struct vgl_ev_priv e = {.h = vgl_events_head(n->c->id, (uint32_t)n->pid),
                                        .nr = (uint16_t)nr,
                                        .call = bit_index(priv_calls[i].bit),
                                        .verdict = n->verdict,
                                        .err = (uint16_t)n->err,
                                        .arg0 = vgl_arg(n, 0)};
                uint8_t rec[VGL_EV_PRIV_SIZE];
                vgl_ev_priv_encode(&e, rec);
                vgl_events_add(n->a, VGL_REC_PRIV, rec);
                return true;
        }
        return false;
}
