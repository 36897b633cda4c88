/* Evaluating rules on one sandbox's events: single-event conditions and
 * sequences with bounded per-sandbox state. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules-priv.h"

int vgl_rules_state_new(struct vgl_rules_state **ret)
{
        struct vgl_rules_state *st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        *ret = st;
        return 0;
}

struct vgl_rules_state *vgl_rules_state_free(struct vgl_rules_state *st)
{
        free(st);
        return NULL;
}

size_t vgl_rules_state_footprint(void)
{
        return sizeof(struct vgl_rules_state);
}

static const struct vgl_ev_head *event_head(const struct vgl_bhv_event *ev)
{
        switch (ev->type) {
        case VGL_REC_SYSCALL:
                return &ev->u.sys.h;
        case VGL_REC_NET:
                return &ev->u.net.h;
        case VGL_REC_FILE:
                return &ev->u.file.h;
        case VGL_REC_PROC:
                return &ev->u.proc.h;
        case VGL_REC_PRIV:
                return &ev->u.priv.h;
        case VGL_REC_USAGE:
                return &ev->u.usage.h;
        default:
                return NULL;
        }
}

static uint8_t event_verdict(const struct vgl_bhv_event *ev)
{
        switch (ev->type) {
        case VGL_REC_SYSCALL:
                return ev->u.sys.verdict;
        case VGL_REC_NET:
                return ev->u.net.verdict;
        case VGL_REC_FILE:
                return ev->u.file.verdict;
        case VGL_REC_PROC:
                return ev->u.proc.verdict;
        default:
                return ev->u.priv.verdict;
        }
}

/* Tests a bit set of names; an empty set accepts anything. */
static bool in_bits(uint32_t bits, unsigned v)
{
        return bits == 0 || (v < 32 && (bits & (1u << v)));
}

static bool in_u64s(const struct rules_u64s *l, uint64_t v)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i] == v)
                        return true;
        return false;
}

/* Any glob matches ('*' also matches '/', as in the permission set's patterns). */
static bool any_glob(const struct rules_strs *l, const char *s)
{
        for (size_t i = 0; i < l->n; i++)
                if (fnmatch(l->v[i], s, 0) == 0)
                        return true;
        return false;
}

static bool any_substring(const struct rules_strs *l, const char *s)
{
        for (size_t i = 0; i < l->n; i++)
                if (strstr(s, l->v[i]))
                        return true;
        return false;
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
        unsigned full = prefix / 8, rest = prefix % 8;
        if (memcmp(a, net, full) != 0)
                return false;
        return rest == 0 || ((a[full] ^ net[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address too:
 * a connect through an AF_INET6 socket must not slip past a v4 rule. */
static bool addr_match(const struct rules_cond *c, const struct vgl_ev_net *n)
{
        static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
        const uint8_t *v4 = n->family == AF_INET ? n->addr : NULL;
        const uint8_t *v6 = n->family == AF_INET6 ? n->addr : NULL;
        if (v6 && memcmp(v6, mapped, sizeof(mapped)) == 0)
                v4 = v6 + 12;
        for (size_t i = 0; i < c->n_cidrs; i++) {
                const struct rules_cidr *r = &c->cidrs[i];
                const uint8_t *a = r->family == 4 ? v4 : v6;
                if (a && prefix_match(a, r->addr, r->prefix))
                        return true;
        }
        return false;
}

static bool port_match(const struct rules_cond *c, uint16_t port)
{
        for (size_t i = 0; i < c->n_ports; i++)
                if (port >= c->ports[i].lo && port <= c->ports[i].hi)
                        return true;
        return false;
}

static bool net_match(const struct rules_cond *c, const struct vgl_ev_net *n)
{
        return in_bits(c->ops, n->op) && (!c->n_cidrs || addr_match(c, n)) &&
               (!c->n_ports || port_match(c, n->port));
}

static bool path_match(const struct rules_cond *c, const char *path)
{
        return (!c->paths.n || any_glob(&c->paths, path)) && !any_glob(&c->paths_not, path);
}

static bool exec_match(const struct rules_cond *c, const struct vgl_ev_proc *p)
{
        const char *slash = strrchr(p->path, '/');
        const char *program = slash ? slash + 1 : p->path;
        return path_match(c, p->path) && (!c->programs.n || any_glob(&c->programs, program)) &&
               (!c->argv.n || any_substring(&c->argv, p->argv));
}

static bool priv_match(const struct rules_cond *c, const struct vgl_ev_priv *p)
{
        return in_bits(c->privs, p->call) && (!c->syscalls.n || in_u64s(&c->syscalls, p->nr)) &&
               (!c->arg0_in.n || in_u64s(&c->arg0_in, p->arg0)) &&
               !in_u64s(&c->arg0_not_in, p->arg0);
}

bool vgl_rules_cond_match(const struct rules_cond *c, const struct vgl_bhv_event *ev)
{
        if (ev->type != c->kind || !in_bits(c->verdicts, event_verdict(ev)))
                return false;
        switch (c->kind) {
        case VGL_REC_SYSCALL:
                return !c->syscalls.n || in_u64s(&c->syscalls, ev->u.sys.nr);
        case VGL_REC_NET:
                return net_match(c, &ev->u.net);
        case VGL_REC_FILE:
                return in_bits(c->ops, ev->u.file.op) && path_match(c, ev->u.file.path);
        case VGL_REC_PROC:
                return exec_match(c, &ev->u.proc);
        case VGL_REC_PRIV:
                return priv_match(c, &ev->u.priv);
        default:
                return false;
        }
}

/* The first step a partial that has seen `done` may take with this event,
 * or -1 (ordered: only the next one). */
static int next_step(const struct rules_rule *rule, uint8_t done, const bool *hits)
{
        for (size_t k = 0; k < rule->n_steps; k++) {
                if (done & (1u << k))
                        continue;
                if (hits[k])
                        return (int)k;
                if (rule->ordered)
                        return -1;
        }
        return -1;
}

/* Starts a partial, or refreshes one that saw the same single step (a
 * second curl restarts the window); when all are busy the oldest goes. */
static void start_partial(struct rules_partial *ps, uint8_t done, uint32_t exec_id, uint64_t now_ms)
{
        struct rules_partial *slot = NULL;
        for (size_t i = 0; i < VGL_RULES_PARTIALS; i++) {
                struct rules_partial *p = &ps[i];
                if (p->used && p->done == done && p->exec_id == exec_id) {
                        slot = p;
                        break;
                }
                if (!slot || (slot->used && (!p->used || p->start_ms < slot->start_ms)))
                        slot = p;
        }
        *slot = (struct rules_partial){
                .start_ms = now_ms, .exec_id = exec_id, .done = done, .used = true};
}

/* Advances the rule's partial sequences with ev; true when one completes. */
static bool sequence_step(const struct rules_rule *rule, struct vgl_rules_state *st,
                          const struct vgl_bhv_event *ev, uint64_t now_ms)
{
        bool hits[VGL_RULES_STEPS_MAX] = {false}, any = false, advanced = false, fired = false;
        for (size_t k = 0; k < rule->n_steps; k++)
                any |= hits[k] = vgl_rules_cond_match(&rule->steps[k], ev);
        if (!any)
                return false;
        const struct vgl_ev_head *h = event_head(ev);
        uint32_t exec_id = rule->same_command && h ? h->exec_id : 0;
        uint8_t all = (uint8_t)((1u << rule->n_steps) - 1);
        struct rules_partial *ps = st->partials[rule->seq_slot];

        for (size_t i = 0; i < VGL_RULES_PARTIALS; i++) {
                struct rules_partial *p = &ps[i];
                if (p->used && now_ms > p->start_ms && now_ms - p->start_ms > rule->within_ms)
                        p->used = false; /* too late: the window has passed */
                if (!p->used || p->exec_id != exec_id)
                        continue;
                int k = next_step(rule, p->done, hits);
                if (k < 0)
                        continue;
                advanced = true;
                p->done |= (uint8_t)(1u << k);
                if (p->done == all) {
                        fired = true;
                        p->used = false;
                }
        }
        /* An event that moved a sequence on does not also start one. */
        int first = advanced ? -1 : next_step(rule, 0, hits);
        if (first >= 0)
                start_partial(ps, (uint8_t)(1u << first), exec_id, now_ms);
        return fired;
}

size_t vgl_rules_eval(const struct vgl_rules *rs, struct vgl_rules_state *st,
                      const struct vgl_bhv_event *ev, uint64_t now_ms, struct vgl_rule_match *out,
                      size_t max)
{
        size_t count = 0;
        if (st->generation != rs->generation) {
                memset(st->partials, 0, sizeof(st->partials));
                st->generation = rs->generation;
        }
        for (size_t i = 0; i < rs->n_rules; i++) {
                const struct rules_rule *rule = &rs->rules[i];
                bool hit = rule->n_steps == 1 ? vgl_rules_cond_match(&rule->steps[0], ev)
                                              : sequence_step(rule, st, ev, now_ms);
                if (!hit)
                        continue;
                if (count < max) {
                        struct vgl_rule_match *m = &out[count];
                        memcpy(m->rule, rule->name, sizeof(m->rule));
                        memcpy(m->tag, rule->tag, sizeof(m->tag));
                        m->severity = rule->severity;
                }
                count++;
                vgl_rules_risk_add(st, rule->severity, now_ms);
        }
        return count;
}
