/* See registry.h. A list: --max-sandboxes bounds it to about a thousand. */
#include "registry.h"

#include <string.h>

#include "sandbox.h"

void vgd_registry_add(struct vgd_daemon *d, struct vgd_sandbox *s)
{
        s->next = d->sandboxes;
        d->sandboxes = vgd_sandbox_ref(s);
}

void vgd_registry_remove(struct vgd_daemon *d, struct vgd_sandbox *s)
{
        for (struct vgd_sandbox **p = &d->sandboxes; *p; p = &(*p)->next)
                if (*p == s) {
                        *p = s->next;
                        s->next = NULL;
                        vgd_sandbox_unref(s);
                        return;
                }
}

struct vgd_sandbox *vgd_registry_find(struct vgd_daemon *d, const char *id)
{
        for (struct vgd_sandbox *s = d->sandboxes; s; s = s->next)
                if (!strcmp(s->id, id))
                        return s;
        return NULL;
}

struct vgd_sandbox *vgd_registry_find_domain(struct vgd_daemon *d, const char *domain)
{
        for (struct vgd_sandbox *s = d->sandboxes; s; s = s->next)
                if (!strcmp(s->domain, domain))
                        return s;
        return NULL;
}

unsigned vgd_registry_count_live(const struct vgd_daemon *d)
{
        unsigned n = 0;

        for (const struct vgd_sandbox *s = d->sandboxes; s; s = s->next)
                n += vgd_state_live(s->state);
        return n;
}

unsigned vgd_registry_count_pool(const struct vgd_daemon *d, const char *tier, bool ready_only)
{
        unsigned n = 0;

        for (const struct vgd_sandbox *s = d->sandboxes; s; s = s->next)
                if (!s->owned && !s->reserve_call && !strcmp(s->tier, tier) &&
                    (s->state == VGD_READY || (!ready_only && s->state == VGD_BOOTING)))
                        n++;
        return n;
}
