/* Behaviour: names and one-line summaries of events. */
#include "behaviour-priv.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include "cleanup.h"

static const char *const tag_names[VGL_TAG_COUNT] = {
        [VGL_TAG_NETWORK_ACCESS] = "network_access",
        [VGL_TAG_EXTERNAL_API_CALL] = "external_api_call",
        [VGL_TAG_FILE_WRITE] = "file_write",
        [VGL_TAG_SENSITIVE_DATA_ACCESS] = "sensitive_data_access",
        [VGL_TAG_PROCESS_SPAWN] = "process_spawn",
        [VGL_TAG_PRIVILEGE_CHANGE] = "privilege_change",
        [VGL_TAG_RESOURCE_BURST] = "resource_burst",
        [VGL_TAG_POLICY_VIOLATION] = "policy_violation",
};

const char *vgl_tag_name(unsigned tag)
{
        return tag < VGL_TAG_COUNT ? tag_names[tag] : "unknown";
}

const char *vgl_bhv_kind_name(uint16_t type)
{
        static const char *const names[] = {"unknown", "resource", "syscall",   "net",
                                            "file",    "exec",     "privilege", "usage"};
        return type < ELEMENTSOF(names) ? names[type] : "unknown";
}

static const char *net_op_name(uint8_t op)
{
        static const char *const names[] = {"?", "connect", "sendto", "sendmsg", "bind"};
        return op < ELEMENTSOF(names) ? names[op] : "?";
}

static const char *file_op_name(uint8_t op)
{
        static const char *const names[] = {"?",     "read",  "write", "unlink", "rename",
                                            "chmod", "chown", "mkdir", "link"};
        return op < ELEMENTSOF(names) ? names[op] : "?";
}

/* " deny errno 13" / " allow" */
static void verdict_text(uint8_t verdict, uint16_t err, char *out, size_t size)
{
        if (err)
                snprintf(out, size, " %s errno %u", vgl_verdict_name(verdict), err);
        else
                snprintf(out, size, " %s", vgl_verdict_name(verdict));
}

static void describe_net(const struct vgl_ev_net *n, const char *v, char *buf, size_t size)
{
        char a[INET6_ADDRSTRLEN] = "";

        if (n->family == AF_INET || n->family == AF_INET6)
                inet_ntop(n->family, n->addr, a, sizeof(a));
        if (a[0])
                snprintf(buf, size, "%s %s%s%s:%u%s", net_op_name(n->op),
                         n->family == AF_INET6 ? "[" : "", a, n->family == AF_INET6 ? "]" : "",
                         n->port, v);
        else
                snprintf(buf, size, "%s family %u%s", net_op_name(n->op), n->family, v);
}

static void describe_usage(const struct vgl_ev_usage *u, char *buf, size_t size)
{
        snprintf(buf, size,
                 "command %u used cpu %llu ms, memory peak %llu KiB, pids peak %llu, "
                 "io %llu/%llu bytes%s%s",
                 u->h.exec_id, (unsigned long long)(u->cpu_usage_usec / 1000),
                 (unsigned long long)(u->memory_peak >> 10), (unsigned long long)u->pids_peak,
                 (unsigned long long)u->io_read_bytes, (unsigned long long)u->io_write_bytes,
                 u->oom_kills ? ", OOM kill" : "", u->pids_refused ? ", forks refused" : "");
}

void vgl_bhv_describe(const struct vgl_bhv_event *ev, char *buf, size_t size)
{
        char v[48] = "";

        switch (ev->type) {
        case VGL_REC_RESOURCE:
                snprintf(buf, size, "guest cpu %u.%u%%, memory used %llu KiB",
                         ev->cpu_permille / 10, ev->cpu_permille % 10,
                         (unsigned long long)ev->mem_used_kb);
                break;
        case VGL_REC_SYSCALL:
                verdict_text(ev->u.sys.verdict, ev->u.sys.err, v, sizeof(v));
                snprintf(buf, size, "pid %u syscall %u%s", ev->u.sys.h.pid, ev->u.sys.nr, v);
                break;
        case VGL_REC_NET:
                verdict_text(ev->u.net.verdict, ev->u.net.err, v, sizeof(v));
                describe_net(&ev->u.net, v, buf, size);
                break;
        case VGL_REC_FILE:
                verdict_text(ev->u.file.verdict, ev->u.file.err, v, sizeof(v));
                snprintf(buf, size, "%s %s%s%s", file_op_name(ev->u.file.op), ev->u.file.path,
                         ev->u.file.flags & VGL_EVENT_F_TRUNCATED ? "..." : "", v);
                break;
        case VGL_REC_PROC:
                verdict_text(ev->u.proc.verdict, ev->u.proc.err, v, sizeof(v));
                snprintf(buf, size, "exec %s [%s]%s", ev->u.proc.path, ev->u.proc.argv, v);
                break;
        case VGL_REC_PRIV:
                verdict_text(ev->u.priv.verdict, ev->u.priv.err, v, sizeof(v));
                snprintf(buf, size, "%s (syscall %u, arg0 %llu)%s",
                         vgl_priv_name(1u << ev->u.priv.call), ev->u.priv.nr,
                         (unsigned long long)ev->u.priv.arg0, v);
                break;
        case VGL_REC_USAGE:
                describe_usage(&ev->u.usage, buf, size);
                break;
        default:
                snprintf(buf, size, "record type %u", ev->type);
        }
}
