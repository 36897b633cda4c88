/* See lifecycle.h. */
#include "lifecycle.h"

#include <string.h>

#include "boot.h"
#include "channel.h"
#include "control.h"
#include "events.h"
#include "pool.h"
#include "registry.h"
#include "reserve.h"
#include "sandbox.h"

int vgd_lifecycle_state(int event, int detail)
{
        if (event == VIR_DOMAIN_EVENT_CRASHED)
                return VGD_CRASHED;
        if (event != VIR_DOMAIN_EVENT_STOPPED)
                return -1;
        switch (detail) {
        case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN:
                return VGD_SHUTDOWN;
        case VIR_DOMAIN_EVENT_STOPPED_CRASHED:
                return VGD_CRASHED;
        default: /* destroyed, failed (QEMU died), saved, migrated... */
                return VGD_GONE;
        }
}

static const char *describe(int event, int detail)
{
        if (event == VIR_DOMAIN_EVENT_CRASHED)
                return "the guest crashed";
        switch (detail) {
        case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN:
                return "the guest powered off";
        case VIR_DOMAIN_EVENT_STOPPED_CRASHED:
                return "the guest crashed";
        case VIR_DOMAIN_EVENT_STOPPED_DESTROYED:
                return "the VM was destroyed behind vigild's back";
        case VIR_DOMAIN_EVENT_STOPPED_FAILED:
                return "QEMU failed or was killed";
        default:
                return "the VM stopped";
        }
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
        struct vgd_daemon *d = opaque;
        const char *name = virDomainGetName(dom);
        struct vgd_sandbox *s = name ? vgd_registry_find_domain(d, name) : NULL;
        int st = vgd_lifecycle_state(event, detail);
        const char *why = describe(event, detail);

        if (!s || st < 0 || !vgd_state_live(s->state))
                return 0;
        /* A hop saves and restores the domain: its own events, and late
         * ones of a save whose domain runs again, are not the VM's end. */
        if (s->ctl && s->ctl->hopping)
                return 0;
        if (event == VIR_DOMAIN_EVENT_STOPPED && detail == VIR_DOMAIN_EVENT_STOPPED_SAVED &&
            s->dom && virDomainIsActive(s->dom) == 1)
                return 0;
        bool was_booting = s->state == VGD_BOOTING;

        vgd_sandbox_ref(s);
        s->state = (enum vgd_state)st;
        vgd_channel_close(s, why);
        vgd_reserve_fail(s, why);
        if (s->boot_timer >= 0)
                virEventRemoveTimeout(s->boot_timer);
        s->boot_timer = -1;
        if (s->dom) {
                virDomainFree(s->dom);
                s->dom = NULL;
        }
        vgd_event(d, s, vgd_state_name(s->state), "%s", why);
        if (!s->owned || was_booting) {
                /* A pool VM, or a boot whose Reserve was just failed: nobody
                 * to keep the record for; forget it and boot another. */
                vgd_sandbox_finish(s, false, why, NULL);
                vgd_pool_schedule(d);
        }
        vgd_sandbox_unref(s);
        return 0;
}

int vgd_lifecycle_start(struct vgd_daemon *d, struct vgl_error *err)
{
        d->lifecycle_cb =
                virConnectDomainEventRegisterAny(d->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                 VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), d, NULL);
        if (d->lifecycle_cb < 0)
                return vgl_virt_error(err, "registering for lifecycle events");
        return 0;
}

void vgd_lifecycle_stop(struct vgd_daemon *d)
{
        if (d->lifecycle_cb >= 0)
                virConnectDomainEventDeregisterAny(d->conn, d->lifecycle_cb);
        d->lifecycle_cb = -1;
}
