/* Evidence: what a reserved sandbox did between two adjust rounds (tags,
 * denials, rule matches, agent silence, the detectors' score), and the
 * behavioural signature kept in its profile. */
#pragma once

#include "adjust.h"
#include "daemon.h"

/* One accepted behaviour event of s (observe.c): counts its tags and a
 * denial for the next round, runs the rules (a match is a published "rule"
 * event and raises the risk), notes endpoints and resource samples in the
 * signature, and asks for an immediate round when the event is high
 * severity. No-op for a sandbox without a profile (pool VMs). */
void vgd_evidence_event(struct vgd_sandbox *s, const struct vgl_bhv_event *ev);

/* The watchdog found s's agent silent. */
void vgd_evidence_silent(struct vgd_sandbox *s);

/* The detectors' hook (detect/ wires in here): the anomaly score in [0, 1]
 * of s's recent behaviour and the version of the model that computed it.
 * It is the evidence's anomaly at the next round, the signature's anomaly
 * and model, and a score at the high-severity threshold asks for an
 * immediate round. */
void vgd_evidence_anomaly(struct vgd_sandbox *s, double score, const char *model);

/* What happened since the last round into *ret, and starts the next one;
 * also brings the profile's signature up to date (tag totals, events,
 * system calls, denials, risk). */
void vgd_evidence_take(struct vgd_sandbox *s, struct vgl_evidence *ret);

/* The round's denials for the audit trail: count and a sample ("" none). */
uint32_t vgd_evidence_denials(const struct vgd_sandbox *s, const char **ret_sample);
