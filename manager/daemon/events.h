/* Events about sandboxes: logged, and streamed to Subscribe callers. */
#pragma once

#include <stdint.h>

#include "authz.h"
#include "daemon.h"

/* Adds a subscriber for call (a `more` call; takes a reference and a cancel
 * callback). filter: only that sandbox id's events, or NULL. */
int vgd_events_subscribe(struct vgd_daemon *d, struct vgl_varlink_call *call,
                         const struct vgd_caller *caller, const char *filter);

/* Logs the event and sends it to every subscriber allowed to see s (s NULL:
 * a daemon event, for admins only). kind: "reserved", "released", ... */
void vgd_event(struct vgd_daemon *d, struct vgd_sandbox *s, const char *kind, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* An observed behaviour (observe.c): sent like vgd_event with its tags
 * (VGL_TAG_BIT()s of behaviour.h); logged only when it is a policy violation
 * (the guest sets the rate; the caller rate-limits). */
void vgd_event_tagged(struct vgd_daemon *d, struct vgd_sandbox *s, const char *kind, uint32_t tags,
                      const char *text);

/* A rule matched (evidence.c): a "rule" event whose tags are the rule's
 * tag, message "RULE (SEVERITY): what happened"; logged. */
void vgd_event_rule(struct vgd_daemon *d, struct vgd_sandbox *s, const char *rule, const char *tag,
                    const char *severity, const char *text);

/* The number of subscribers. */
unsigned vgd_events_count(const struct vgd_daemon *d);
