/* Behaviour: decoding, validation and tagging of observation records. */
#include "behaviour-priv.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define ERRNO_MAX 4095u /* the kernel's MAX_ERRNO */

static int bad(struct vgl_error *err, const char *what, unsigned long long v)
{
        return vgl_error_set(err, EBADMSG, "impossible %s %llu", what, v);
}

/* verdict/err pair of a supervised call: observe only for syscall records,
 * a deny always carries its errno. */
static int check_verdict(uint8_t verdict, uint16_t e, bool syscall, struct vgl_error *err)
{
        if (verdict > VGL_VERDICT_OBSERVE || (verdict == VGL_VERDICT_OBSERVE && !syscall))
                return bad(err, "verdict", verdict);
        if (e > ERRNO_MAX || (verdict == VGL_VERDICT_DENY && e == 0))
                return bad(err, "errno", e);
        return 0;
}

static uint32_t verdict_tags(uint8_t verdict)
{
        return verdict == VGL_VERDICT_DENY ? VGL_TAG_BIT(VGL_TAG_POLICY_VIOLATION) : 0;
}

static bool loopback(uint16_t family, const uint8_t *a)
{
        static const uint8_t v6[16] = {[15] = 1};

        return family == AF_INET ? a[0] == 127 : memcmp(a, v6, 16) == 0;
}

static int judge_net(struct vgl_bhv *b, struct vgl_ev_net *n, uint32_t *tags, struct vgl_error *err)
{
        const struct vgl_policy *p = vgl_bhv_policy(b);
        bool ip = n->family == AF_INET || n->family == AF_INET6;

        if (n->op < VGL_NET_CONNECT || n->op > VGL_NET_BIND)
                return bad(err, "net op", n->op);
        if (check_verdict(n->verdict, n->err, false, err) < 0)
                return -EBADMSG;
        *tags = VGL_TAG_BIT(VGL_TAG_NETWORK_ACCESS) | verdict_tags(n->verdict);
        /* Egress beyond the declared endpoints: "egress" absent declares none. */
        if (ip && n->op != VGL_NET_BIND && !loopback(n->family, n->addr) &&
            (p->egress_any ||
             !vgl_policy_egress_allowed(p, n->family == AF_INET ? 4 : 6, n->addr, n->port)))
                *tags |= VGL_TAG_BIT(VGL_TAG_EXTERNAL_API_CALL);
        return 0;
}

static int judge_file(struct vgl_bhv *b, struct vgl_ev_file *f, uint32_t *tags,
                      struct vgl_error *err)
{
        if (f->op < VGL_FILE_READ || f->op > VGL_FILE_LINK)
                return bad(err, "file op", f->op);
        if (check_verdict(f->verdict, f->err, false, err) < 0)
                return -EBADMSG;
        *tags = verdict_tags(f->verdict);
        if (f->op != VGL_FILE_READ)
                *tags |= VGL_TAG_BIT(VGL_TAG_FILE_WRITE);
        /* The agent's own match (report), or the host's against the current set. */
        if (f->verdict == VGL_VERDICT_REPORT || vgl_policy_sensitive(vgl_bhv_policy(b), f->path))
                *tags |= VGL_TAG_BIT(VGL_TAG_SENSITIVE_DATA_ACCESS);
        return 0;
}

static int judge_usage(struct vgl_bhv *b, const struct vgl_ev_usage *u, uint32_t *tags,
                       struct vgl_error *err)
{
        bool oom = u->flags & VGL_USAGE_F_OOM, pids = u->flags & VGL_USAGE_F_PIDS;

        if (oom != (u->oom_kills > 0))
                return bad(err, "oom_kills for its flag", u->oom_kills);
        if (pids != (u->pids_refused > 0))
                return bad(err, "pids_refused for its flag", u->pids_refused);
        if (!(u->flags & VGL_USAGE_F_CGROUP) && (u->cpu_usage_usec | u->memory_peak | u->pids_peak |
                                                 u->io_read_bytes | u->io_write_bytes | u->flags))
                return vgl_error_set(err, EBADMSG, "usage figures without a cgroup");
        if (u->cpu_user_usec > u->cpu_usage_usec + u->cpu_usage_usec / 8 + 1000000u ||
            u->cpu_system_usec > u->cpu_usage_usec + u->cpu_usage_usec / 8 + 1000000u)
                return bad(err, "cpu split", u->cpu_user_usec);
        *tags = vgl_bhv_burst_usage(&b->base, u) ? VGL_TAG_BIT(VGL_TAG_RESOURCE_BURST) : 0;
        return 0;
}

int vgl_bhv_judge(struct vgl_bhv *b, struct vgl_bhv_event *ev, struct vgl_error *err)
{
        uint32_t tags = 0;
        int r = 0;

        switch (ev->type) {
        case VGL_REC_RESOURCE:
                if (ev->u.res.mem_total_kb && ev->u.res.mem_available_kb > ev->u.res.mem_total_kb)
                        return bad(err, "mem_available_kb", ev->u.res.mem_available_kb);
                if (vgl_bhv_burst_resource(&b->base, ev))
                        tags = VGL_TAG_BIT(VGL_TAG_RESOURCE_BURST);
                break;
        case VGL_REC_SYSCALL:
                /* The sequence, not the judgement: a denied critical call also
                 * comes as a typed record (file, net, exec, privilege), which
                 * carries policy_violation; tagging both counted it twice. */
                r = check_verdict(ev->u.sys.verdict, ev->u.sys.err, true, err);
                break;
        case VGL_REC_NET:
                r = judge_net(b, &ev->u.net, &tags, err);
                break;
        case VGL_REC_FILE:
                r = judge_file(b, &ev->u.file, &tags, err);
                break;
        case VGL_REC_PROC:
                if (ev->u.proc.argc > 64)
                        return bad(err, "argc", ev->u.proc.argc);
                r = check_verdict(ev->u.proc.verdict, ev->u.proc.err, false, err);
                tags = VGL_TAG_BIT(VGL_TAG_PROCESS_SPAWN) | verdict_tags(ev->u.proc.verdict);
                break;
        case VGL_REC_PRIV:
                if (ev->u.priv.call > 8)
                        return bad(err, "privilege call", ev->u.priv.call);
                r = check_verdict(ev->u.priv.verdict, ev->u.priv.err, false, err);
                tags = VGL_TAG_BIT(VGL_TAG_PRIVILEGE_CHANGE) | verdict_tags(ev->u.priv.verdict);
                break;
        case VGL_REC_USAGE:
                r = judge_usage(b, &ev->u.usage, &tags, err);
                break;
        default:
                return vgl_error_set(err, EPROTONOSUPPORT, "record type %u", ev->type);
        }
        if (r < 0)
                return r;
        ev->tags = tags;
        return 0;
}

static int decode(uint16_t type, const uint8_t *p, size_t len, struct vgl_bhv_event *ev)
{
        switch (type) {
        case VGL_REC_SYSCALL:
                return vgl_ev_syscall_decode(p, len, &ev->u.sys);
        case VGL_REC_NET:
                return vgl_ev_net_decode(p, len, &ev->u.net);
        case VGL_REC_FILE:
                return vgl_ev_file_decode(p, len, &ev->u.file);
        case VGL_REC_PROC:
                return vgl_ev_proc_decode(p, len, &ev->u.proc);
        case VGL_REC_PRIV:
                return vgl_ev_priv_decode(p, len, &ev->u.priv);
        case VGL_REC_USAGE:
                return vgl_ev_usage_decode(p, len, &ev->u.usage);
        default:
                return -EPROTONOSUPPORT;
        }
}

/* Validation, tagging and the window, for a decoded event. */
static int take(struct vgl_bhv *b, struct vgl_bhv_event *ev, uint64_t now_ms, struct vgl_error *err)
{
        int r = vgl_bhv_judge(b, ev, err);

        if (r == -EPROTONOSUPPORT) {
                b->stats.unknown++;
                return r;
        }
        if (r < 0) {
                b->stats.invalid++;
                return r;
        }
        vgl_bhv_window_add(b, ev, now_ms);
        return 0;
}

int vgl_bhv_record(struct vgl_bhv *b, uint16_t type, const uint8_t *p, size_t len, uint64_t now_ms,
                   struct vgl_bhv_event *ret, struct vgl_error *err)
{
        struct vgl_bhv_event ev;
        int r;

        ev.type = type;
        ev.tags = 0;
        ev.cpu_permille = 0;
        ev.mem_used_kb = 0;
        r = decode(type, p, len, &ev);
        if (r == -EPROTONOSUPPORT) {
                b->stats.unknown++;
                return vgl_error_set(err, EPROTONOSUPPORT, "unknown record type %u", type);
        }
        if (r < 0) {
                b->stats.invalid++;
                return vgl_error_set(err, EBADMSG, "short %s record (%zu bytes)",
                                     vgl_bhv_kind_name(type), len);
        }
        r = take(b, &ev, now_ms, err);
        if (r < 0)
                return r;
        memcpy(ret, &ev, sizeof(ev));
        return 0;
}

int vgl_bhv_resource(struct vgl_bhv *b, const struct vgl_resource_sample *s, uint64_t now_ms,
                     struct vgl_bhv_event *ret, struct vgl_error *err)
{
        struct vgl_bhv_event ev = {.type = VGL_REC_RESOURCE, .u.res = *s};
        int r = take(b, &ev, now_ms, err);

        if (r < 0)
                return r;
        *ret = ev;
        return 0;
}

unsigned vgl_bhv_feed_batch(struct vgl_bhv *b, const struct vgl_telemetry_batch *batch,
                            uint64_t now_ms, vgl_bhv_event_fn fn, vgl_bhv_error_fn on_error,
                            void *userdata)
{
        size_t need = batch->record_type == VGL_REC_RESOURCE
                              ? VGL_RESOURCE_SAMPLE_SIZE
                              : vgl_ev_record_size(batch->record_type);
        struct vgl_error e = {};
        struct vgl_bhv_event ev;
        unsigned bad_records = 0;

        if (need == 0) { /* a newer agent's record type: skipped, not an error */
                b->stats.unknown += batch->count;
                return 0;
        }
        if (batch->record_size < need) {
                b->stats.invalid += batch->count;
                vgl_error_set(&e, EBADMSG, "%s records of %u bytes (need %zu)",
                              vgl_bhv_kind_name(batch->record_type), batch->record_size, need);
                if (on_error && batch->count)
                        on_error(&e, userdata);
                return batch->count;
        }
        for (uint32_t i = 0; i < batch->count; i++) {
                const uint8_t *p = batch->records + (size_t)i * batch->record_size;
                struct vgl_resource_sample s;
                int r;

                if (batch->record_type == VGL_REC_RESOURCE) {
                        /* The size was checked above: this decode cannot fail. */
                        vgl_resource_sample_decode(p, batch->record_size, &s);
                        r = vgl_bhv_resource(b, &s, now_ms, &ev, &e);
                } else {
                        r = vgl_bhv_record(b, batch->record_type, p, batch->record_size, now_ms,
                                           &ev, &e);
                }
                if (r < 0) {
                        bad_records++;
                        if (on_error)
                                on_error(&e, userdata);
                } else if (fn) {
                        fn(&ev, userdata);
                }
        }
        return bad_records;
}
