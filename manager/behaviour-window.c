/* Behaviour: the tagger's life and the rolling, bounded window. */
#include "behaviour-priv.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The open set, shared by every tagger that has no set of its own. */
static struct vgl_policy open_set;
static pthread_once_t open_once = PTHREAD_ONCE_INIT;

static void open_init(void)
{
        vgl_policy_init_open(&open_set);
}

int vgl_bhv_new(struct vgl_bhv **ret)
{
        struct vgl_bhv *b = calloc(1, sizeof(*b));

        if (!b)
                return -ENOMEM;
        pthread_once(&open_once, open_init);
        *ret = b;
        return 0;
}

struct vgl_bhv *vgl_bhv_free(struct vgl_bhv *b)
{
        if (!b)
                return NULL;
        free(b->policy);
        free(b);
        return NULL;
}

size_t vgl_bhv_footprint(void)
{
        return sizeof(struct vgl_bhv);
}

int vgl_bhv_set_policy(struct vgl_bhv *b, const struct vgl_policy *p)
{
        struct vgl_policy *copy = NULL;

        if (p) {
                copy = malloc(sizeof(*copy));
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, p, sizeof(*copy));
        }
        free(b->policy);
        b->policy = copy;
        b->stats.generation = p ? p->generation : 0;
        return 0;
}

const struct vgl_policy *vgl_bhv_policy(const struct vgl_bhv *b)
{
        return b->policy ? b->policy : &open_set;
}

void vgl_bhv_get_stats(const struct vgl_bhv *b, struct vgl_bhv_stats *ret)
{
        *ret = b->stats;
}

static void inc(uint32_t *c)
{
        if (*c != UINT32_MAX)
                (*c)++;
}

static void add_syscall(struct vgl_bhv *b, uint32_t pid, uint16_t nr)
{
        struct vgl_bhv_pidslot *slot = &b->pids[pid % VGL_BHV_PIDS];
        unsigned idx = nr < VGL_BHV_SYSCALL_MAX ? nr : VGL_BHV_SYSCALL_MAX;

        b->stats.syscalls++;
        if (idx == VGL_BHV_SYSCALL_MAX)
                b->stats.syscall_other++;
        inc(&b->syscalls[idx]);
        if (slot->used && slot->pid == pid)
                inc(&b->bigrams[((uint32_t)slot->last_nr << 16 | nr) * 2654435761u >> 20]);
        *slot = (struct vgl_bhv_pidslot){.pid = pid, .last_nr = nr, .used = true};
}

static void add_buckets(struct vgl_bhv *b, uint32_t tags, uint64_t now_ms)
{
        uint64_t sec = now_ms / 1000 + 1; /* + 1: second 0 would read as "never used" */
        struct vgl_bhv_bucket *k = &b->buckets[sec % VGL_BHV_BUCKETS];

        if (k->second != sec) {
                memset(k, 0, sizeof(*k));
                k->second = sec;
        }
        for (unsigned t = 0; t < VGL_TAG_COUNT; t++)
                if (tags & VGL_TAG_BIT(t)) {
                        inc(&k->count[t]);
                        b->stats.tags[t]++;
                }
}

/* The compact text of a ring entry. */
static void detail(const struct vgl_bhv_event *ev, char *out, size_t size)
{
        char a[INET6_ADDRSTRLEN] = "";

        switch (ev->type) {
        case VGL_REC_NET:
                if (ev->u.net.family == AF_INET || ev->u.net.family == AF_INET6)
                        inet_ntop(ev->u.net.family, ev->u.net.addr, a, sizeof(a));
                snprintf(out, size, "%s:%u", a[0] ? a : "-", ev->u.net.port);
                break;
        case VGL_REC_FILE:
                snprintf(out, size, "%.*s", (int)size - 1, ev->u.file.path);
                break;
        case VGL_REC_PROC:
                snprintf(out, size, "%.*s", (int)size - 1, ev->u.proc.path);
                break;
        case VGL_REC_PRIV:
                snprintf(out, size, "%s", vgl_priv_name(1u << ev->u.priv.call));
                break;
        case VGL_REC_RESOURCE:
                snprintf(out, size, "cpu %u%% mem %llu kB", ev->cpu_permille / 10,
                         (unsigned long long)ev->mem_used_kb);
                break;
        default:
                out[0] = '\0';
        }
}

static void fill_entry(struct vgl_bhv_entry *e, const struct vgl_bhv_event *ev)
{
        const struct vgl_ev_head *h = NULL;

        memset(e, 0, offsetof(struct vgl_bhv_entry, detail));
        switch (ev->type) {
        case VGL_REC_RESOURCE:
                e->time_us = ev->u.res.time_ms * 1000u;
                break;
        case VGL_REC_SYSCALL:
                h = &ev->u.sys.h, e->nr = ev->u.sys.nr, e->verdict = ev->u.sys.verdict;
                e->err = ev->u.sys.err;
                break;
        case VGL_REC_NET:
                h = &ev->u.net.h, e->nr = ev->u.net.op, e->verdict = ev->u.net.verdict;
                e->err = ev->u.net.err, e->port = ev->u.net.port;
                break;
        case VGL_REC_FILE:
                h = &ev->u.file.h, e->nr = ev->u.file.op, e->verdict = ev->u.file.verdict;
                e->err = ev->u.file.err;
                break;
        case VGL_REC_PROC:
                h = &ev->u.proc.h, e->verdict = ev->u.proc.verdict, e->err = ev->u.proc.err;
                break;
        case VGL_REC_PRIV:
                h = &ev->u.priv.h, e->nr = ev->u.priv.nr, e->verdict = ev->u.priv.verdict;
                e->err = ev->u.priv.err;
                break;
        case VGL_REC_USAGE:
                h = &ev->u.usage.h;
                break;
        }
        if (h) {
                e->time_us = h->time_us;
                e->exec_id = h->exec_id;
                e->pid = h->pid;
        }
        e->type = ev->type;
        e->tags = ev->tags;
        detail(ev, e->detail, sizeof(e->detail));
}

void vgl_bhv_window_add(struct vgl_bhv *b, const struct vgl_bhv_event *ev, uint64_t now_ms)
{
        struct vgl_bhv_entry *e = &b->ring[b->ring_next];

        b->stats.events++;
        if (ev->tags)
                b->stats.tagged++;
        if (ev->type == VGL_REC_SYSCALL)
                add_syscall(b, ev->u.sys.h.pid, ev->u.sys.nr);
        if (ev->tags)
                add_buckets(b, ev->tags, now_ms);
        /* Untagged trace-mode calls live in the histogram and the bigrams;
         * the ring keeps what a person would want to read. */
        if (ev->type == VGL_REC_SYSCALL && !ev->tags)
                return;
        fill_entry(e, ev);
        e->host_ms = now_ms;
        b->ring_next = (b->ring_next + 1) % VGL_BHV_RING;
        if (b->ring_len < VGL_BHV_RING)
                b->ring_len++;
}

size_t vgl_bhv_recent(const struct vgl_bhv *b, struct vgl_bhv_entry *out, size_t max)
{
        size_t n = b->ring_len < max ? b->ring_len : max;
        size_t first = (b->ring_next + VGL_BHV_RING - n) % VGL_BHV_RING;

        for (size_t i = 0; i < n; i++)
                out[i] = b->ring[(first + i) % VGL_BHV_RING];
        return n;
}

uint64_t vgl_bhv_tag_series(const struct vgl_bhv *b, unsigned tag, uint64_t now_ms,
                            uint32_t out[VGL_BHV_BUCKETS])
{
        uint64_t now = now_ms / 1000 + 1, sum = 0;

        for (unsigned i = 0; i < VGL_BHV_BUCKETS; i++) {
                uint64_t sec = now - (VGL_BHV_BUCKETS - 1 - i);
                const struct vgl_bhv_bucket *k = &b->buckets[sec % VGL_BHV_BUCKETS];
                out[i] = tag < VGL_TAG_COUNT && sec <= now && k->second == sec ? k->count[tag] : 0;
                sum += out[i];
        }
        return sum;
}

uint32_t vgl_bhv_syscall_count(const struct vgl_bhv *b, unsigned nr)
{
        return b->syscalls[nr < VGL_BHV_SYSCALL_MAX ? nr : VGL_BHV_SYSCALL_MAX];
}

uint32_t vgl_bhv_bigram_count(const struct vgl_bhv *b, unsigned prev, unsigned nr)
{
        return b->bigrams[((uint32_t)(prev & 0xffff) << 16 | (nr & 0xffff)) * 2654435761u >> 20];
}
