/* See pool.h. */
#include "pool.h"

#include <string.h>

#include "boot.h"
#include "log.h"
#include "registry.h"
#include "sandbox.h"

#define BACKOFF_MAX_MS 60000u

unsigned vgd_pool_target(const struct vgd_daemon *d, const struct vgl_tier *t)
{
        return d->cfg.pool >= 0 ? (unsigned)d->cfg.pool : t->pool;
}

static int tier_index(struct vgd_daemon *d, const char *tier)
{
        for (size_t i = 0; i < d->policy.n_tiers; i++)
                if (!strcmp(d->policy.tiers[i].name, tier))
                        return (int)i;
        return -1;
}

static void refill_fire(int timer, void *opaque)
{
        struct vgd_daemon *d = opaque;

        virEventRemoveTimeout(timer);
        d->refill_timer = -1;
        vgd_pool_refill(d);
}

static void schedule_in(struct vgd_daemon *d, uint64_t ms)
{
        if (d->quitting)
                return;
        if (d->refill_timer >= 0) {
                if (ms == 0)
                        virEventUpdateTimeout(d->refill_timer, 0);
                return;
        }
        d->refill_timer = virEventAddTimeout((int)ms, refill_fire, d, NULL);
}

void vgd_pool_schedule(struct vgd_daemon *d)
{
        schedule_in(d, 0);
}

void vgd_pool_refill(struct vgd_daemon *d)
{
        uint64_t now = vgd_now_ms(), retry = 0;
        struct vgl_error e = {};

        if (d->quitting)
                return;
        for (size_t i = 0; i < d->policy.n_tiers; i++) {
                const struct vgl_tier *t = &d->policy.tiers[i];
                unsigned have = vgd_registry_count_pool(d, t->name, false);
                while (have < vgd_pool_target(d, t) &&
                       vgd_registry_count_live(d) < d->cfg.max_sandboxes) {
                        if (now < d->pool_retry_ms[i]) {
                                uint64_t wait = d->pool_retry_ms[i] - now;
                                retry = retry && retry < wait ? retry : wait;
                                break;
                        }
                        if (vgd_boot_start(d, t, NULL, &e) < 0) {
                                vgd_error(NULL, "pool %s: %s", t->name, e.msg);
                                vgd_pool_boot_failed(d, t->name);
                                retry = 1000;
                                break;
                        }
                        have++;
                }
        }
        if (retry)
                schedule_in(d, retry);
}

static struct vgd_sandbox *find_pool(struct vgd_daemon *d, const char *tier, enum vgd_state st)
{
        for (struct vgd_sandbox *s = d->sandboxes; s; s = s->next)
                if (s->state == st && !s->owned && !s->reserve_call &&
                    (!tier || !strcmp(s->tier, tier)))
                        return s;
        return NULL;
}

struct vgd_sandbox *vgd_pool_take_ready(struct vgd_daemon *d, const char *tier)
{
        return find_pool(d, tier, VGD_READY);
}

struct vgd_sandbox *vgd_pool_take_booting(struct vgd_daemon *d, const char *tier)
{
        return find_pool(d, tier, VGD_BOOTING);
}

bool vgd_pool_evict(struct vgd_daemon *d, const char *keep_tier)
{
        struct vgd_sandbox *victim = NULL;

        for (struct vgd_sandbox *s = d->sandboxes; s; s = s->next)
                if ((s->state == VGD_READY || s->state == VGD_BOOTING) && !s->owned &&
                    !s->reserve_call && (!victim || strcmp(s->tier, keep_tier) != 0))
                        victim = s;
        if (!victim)
                return false;
        vgd_info(victim->id, "evicting idle %s pool VM to make room", victim->tier);
        vgd_sandbox_finish(victim, true, "evicted", NULL);
        return true;
}

void vgd_pool_drain(struct vgd_daemon *d)
{
        struct vgd_sandbox *s;

        while ((s = find_pool(d, NULL, VGD_READY)) || (s = find_pool(d, NULL, VGD_BOOTING))) {
                vgd_info(s->id, "destroying idle pool VM");
                vgd_sandbox_finish(s, true, "vigild is stopping", NULL);
        }
}

void vgd_pool_boot_failed(struct vgd_daemon *d, const char *tier)
{
        int i = tier_index(d, tier);
        uint64_t ms;

        if (i < 0)
                return;
        if (d->pool_failures[i] < 16)
                d->pool_failures[i]++;
        ms = 1000ull << (d->pool_failures[i] - 1);
        d->pool_retry_ms[i] = vgd_now_ms() + (ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS);
}

void vgd_pool_boot_ok(struct vgd_daemon *d, const char *tier)
{
        int i = tier_index(d, tier);

        if (i >= 0) {
                d->pool_failures[i] = 0;
                d->pool_retry_ms[i] = 0;
        }
}

void vgd_pool_stop(struct vgd_daemon *d)
{
        if (d->refill_timer >= 0)
                virEventRemoveTimeout(d->refill_timer);
        d->refill_timer = -1;
}
