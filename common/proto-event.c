/* Observation records: fixed-width little-endian encoding and decoding. */
#include "proto-event.h"

#include <errno.h>
#include <string.h>

const char *vgl_verdict_name(uint8_t v)
{
        static const char *const names[] = {"allow", "deny", "emulate", "report", "observe"};
        return v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

size_t vgl_ev_record_size(uint16_t t)
{
        switch (t) {
        case VGL_REC_SYSCALL:
                return VGL_EV_SYSCALL_SIZE;
        case VGL_REC_NET:
                return VGL_EV_NET_SIZE;
        case VGL_REC_FILE:
                return VGL_EV_FILE_SIZE;
        case VGL_REC_PROC:
                return VGL_EV_PROC_SIZE;
        case VGL_REC_PRIV:
                return VGL_EV_PRIV_SIZE;
        case VGL_REC_USAGE:
                return VGL_EV_USAGE_SIZE;
        default:
                return 0;
        }
}

static void head_put(const struct vgl_ev_head *h, uint8_t *o)
{
        vgl_put_le64(o, h->time_us);
        vgl_put_le32(o + 8, h->exec_id);
        vgl_put_le32(o + 12, h->pid);
}

static void head_get(const uint8_t *p, struct vgl_ev_head *h)
{
        h->time_us = vgl_get_le64(p);
        h->exec_id = vgl_get_le32(p + 8);
        h->pid = vgl_get_le32(p + 12);
}

/* Text into a fixed field: NUL-padded, always terminated. */
static void text_put(uint8_t *o, const char *s)
{
        size_t n = strnlen(s, VGL_EVENT_TEXT_LEN);
        memset(o, 0, VGL_EVENT_TEXT_LEN + 1);
        memcpy(o, s, n);
}

static void text_get(const uint8_t *p, char *s)
{
        memcpy(s, p, VGL_EVENT_TEXT_LEN);
        s[VGL_EVENT_TEXT_LEN] = '\0';
}

void vgl_ev_syscall_encode(const struct vgl_ev_syscall *e, uint8_t out[VGL_EV_SYSCALL_SIZE])
{
        head_put(&e->h, out);
        vgl_put_le16(out + 16, e->nr);
        out[18] = e->verdict;
        out[19] = e->flags;
        vgl_put_le16(out + 20, e->err);
        vgl_put_le16(out + 22, 0);
}

int vgl_ev_syscall_decode(const uint8_t *p, size_t len, struct vgl_ev_syscall *ret)
{
        if (len < VGL_EV_SYSCALL_SIZE)
                return -EBADMSG;
        struct vgl_ev_syscall e = {0};
        head_get(p, &e.h);
        e.nr = vgl_get_le16(p + 16);
        e.verdict = p[18];
        e.flags = p[19];
        e.err = vgl_get_le16(p + 20);
        *ret = e;
        return 0;
}

void vgl_ev_net_encode(const struct vgl_ev_net *e, uint8_t out[VGL_EV_NET_SIZE])
{
        head_put(&e->h, out);
        vgl_put_le16(out + 16, e->family);
        vgl_put_le16(out + 18, e->port);
        out[20] = e->op;
        out[21] = e->verdict;
        vgl_put_le16(out + 22, e->err);
        memcpy(out + 24, e->addr, 16);
}

int vgl_ev_net_decode(const uint8_t *p, size_t len, struct vgl_ev_net *ret)
{
        if (len < VGL_EV_NET_SIZE)
                return -EBADMSG;
        struct vgl_ev_net e = {0};
        head_get(p, &e.h);
        e.family = vgl_get_le16(p + 16);
        e.port = vgl_get_le16(p + 18);
        e.op = p[20];
        e.verdict = p[21];
        e.err = vgl_get_le16(p + 22);
        memcpy(e.addr, p + 24, 16);
        *ret = e;
        return 0;
}

void vgl_ev_file_encode(const struct vgl_ev_file *e, uint8_t out[VGL_EV_FILE_SIZE])
{
        head_put(&e->h, out);
        vgl_put_le32(out + 16, e->oflags);
        out[20] = e->op;
        out[21] = e->verdict;
        out[22] = e->flags;
        out[23] = 0;
        vgl_put_le16(out + 24, e->err);
        vgl_put_le16(out + 26, 0);
        memset(out + 28, 0, 4);
        text_put(out + 32, e->path);
}

int vgl_ev_file_decode(const uint8_t *p, size_t len, struct vgl_ev_file *ret)
{
        if (len < VGL_EV_FILE_SIZE)
                return -EBADMSG;
        struct vgl_ev_file e = {0};
        head_get(p, &e.h);
        e.oflags = vgl_get_le32(p + 16);
        e.op = p[20];
        e.verdict = p[21];
        e.flags = p[22];
        e.err = vgl_get_le16(p + 24);
        text_get(p + 32, e.path);
        *ret = e;
        return 0;
}

void vgl_ev_proc_encode(const struct vgl_ev_proc *e, uint8_t out[VGL_EV_PROC_SIZE])
{
        head_put(&e->h, out);
        vgl_put_le32(out + 16, e->argc);
        out[20] = e->verdict;
        out[21] = e->flags;
        vgl_put_le16(out + 22, e->err);
        text_put(out + 24, e->path);
        text_put(out + 280, e->argv);
}

int vgl_ev_proc_decode(const uint8_t *p, size_t len, struct vgl_ev_proc *ret)
{
        if (len < VGL_EV_PROC_SIZE)
                return -EBADMSG;
        struct vgl_ev_proc e = {0};
        head_get(p, &e.h);
        e.argc = vgl_get_le32(p + 16);
        e.verdict = p[20];
        e.flags = p[21];
        e.err = vgl_get_le16(p + 22);
        text_get(p + 24, e.path);
        text_get(p + 280, e.argv);
        *ret = e;
        return 0;
}

void vgl_ev_priv_encode(const struct vgl_ev_priv *e, uint8_t out[VGL_EV_PRIV_SIZE])
{
        head_put(&e->h, out);
        vgl_put_le16(out + 16, e->nr);
        vgl_put_le16(out + 18, e->call);
        out[20] = e->verdict;
        out[21] = 0;
        vgl_put_le16(out + 22, e->err);
        vgl_put_le64(out + 24, e->arg0);
}

int vgl_ev_priv_decode(const uint8_t *p, size_t len, struct vgl_ev_priv *ret)
{
        if (len < VGL_EV_PRIV_SIZE)
                return -EBADMSG;
        struct vgl_ev_priv e = {0};
        head_get(p, &e.h);
        e.nr = vgl_get_le16(p + 16);
        e.call = vgl_get_le16(p + 18);
        e.verdict = p[20];
        e.err = vgl_get_le16(p + 22);
        e.arg0 = vgl_get_le64(p + 24);
        *ret = e;
        return 0;
}

void vgl_ev_usage_encode(const struct vgl_ev_usage *e, uint8_t out[VGL_EV_USAGE_SIZE])
{
        const uint64_t v[] = {e->cpu_usage_usec, e->cpu_user_usec, e->cpu_system_usec,
                              e->memory_peak,    e->pids_peak,     e->io_read_bytes,
                              e->io_write_bytes, e->oom_kills,     e->pids_refused};
        head_put(&e->h, out);
        vgl_put_le32(out + 16, e->flags);
        vgl_put_le32(out + 20, 0);
        for (unsigned i = 0; i < 9; i++)
                vgl_put_le64(out + 24 + 8 * i, v[i]);
}

int vgl_ev_usage_decode(const uint8_t *p, size_t len, struct vgl_ev_usage *ret)
{
        if (len < VGL_EV_USAGE_SIZE)
                return -EBADMSG;
        struct vgl_ev_usage e = {0};
        uint64_t *v[] = {&e.cpu_usage_usec, &e.cpu_user_usec, &e.cpu_system_usec,
                         &e.memory_peak,    &e.pids_peak,     &e.io_read_bytes,
                         &e.io_write_bytes, &e.oom_kills,     &e.pids_refused};
        head_get(p, &e.h);
        e.flags = vgl_get_le32(p + 16);
        for (unsigned i = 0; i < 9; i++)
                *v[i] = vgl_get_le64(p + 24 + 8 * i);
        *ret = e;
        return 0;
}
