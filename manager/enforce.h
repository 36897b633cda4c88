/* Live enforcement of a sandbox's limits through libvirt, each action read
 * back to confirm it took effect (docs/enforcement.md).
 *
 * Every action fills its own struct vgl_action_result (profile.h): APPLIED
 * only when libvirt reads back what was asked (value says what), FAILED
 * with libvirt's error or the mismatch, UNSUPPORTED when this host or
 * driver cannot do it (reason says why), NOT_APPLICABLE when there is
 * nothing to act on (no NIC, no disk). One action failing never stops the
 * others.
 *
 * Threads: these calls block. libvirt waits on QEMU's monitor, and the
 * read-backs of a vCPU unplug and of the balloon wait (bounded, settle_ms)
 * for the guest to act. Run them on a worker thread, never on the thread
 * that runs libvirt's event loop: under qemu:///embed the monitor's replies
 * and the DEVICE_DELETED event that finishes an unplug arrive through that
 * loop, so calling from it would deadlock or always time out. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "error.h"
#include "profile.h"

/* How long a read-back waits for the guest by default: a vCPU unplug (the
 * guest must offline the CPU and acknowledge the ACPI eject) and the
 * balloon (the guest's driver gives pages back). Seconds under KVM; under
 * TCG on a loaded host it has been seen to take ~10 s. */
#define VGL_ENFORCE_SETTLE_MS 30000u

/* Polling interval of those waits. */
#define VGL_ENFORCE_POLL_MS 200u

/* Applies want's vCPUs, CPU quota, memory, bandwidth and disk I/O to the
 * running domain dom, live, and records each outcome in
 * out[VGL_ACTION_VCPUS], [CPU_QUOTA], [MEMORY], [BANDWIDTH] and [BLKIO]
 * (out[NWFILTER] and out[PERMISSIONS] are left alone: see nwfilter.h and
 * vgl_enforce_permissions_record). Waits at most VGL_ENFORCE_SETTLE_MS
 * each for the vCPU and balloon read-backs. Returns the number of actions
 * that ended FAILED (0: everything asked is in force or honestly
 * UNSUPPORTED / NOT_APPLICABLE); a negative errno, with out untouched,
 * only when nothing could be tried (dom is not running, its XML cannot be
 * read). Blocking: see the file comment. */
int vgl_enforce_limits(virDomainPtr dom, const struct vgl_limits *want,
                       struct vgl_action_result out[VGL_ACTION_COUNT], struct vgl_error *err);

/* The single actions; each fills *out and returns the state it recorded.
 * Blocking, like vgl_enforce_limits. */

/* Live vCPUs: want is clamped to 1..the domain's maximum (the reason says
 * so). Hot-unplug needs hotpluggable vCPUs in the domain XML
 * (domain-xml.c) and a guest that releases the CPU; libvirt gives up
 * waiting after 5 s and finishes when QEMU's DEVICE_DELETED arrives, so
 * the count is polled for up to settle_ms. Where QEMU runs on this host
 * its vCPU threads are the count read back, since libvirt's lags when
 * QEMU sends no DEVICE_DELETED (QEMU 7.2 under TCG); the reason then says
 * what libvirt counts (docs/enforcement.md). */
int vgl_enforce_vcpus(virDomainPtr dom, unsigned want, unsigned settle_ms,
                      struct vgl_action_result *out);

/* CPU quota: percent (1..100) of each vCPU as vcpu_quota over vcpu_period
 * (cgroup CPU bandwidth); 0 or 100 removes the quota. UNSUPPORTED when
 * the driver's scheduler has no vcpu_quota or libvirt has no CPU cgroup
 * for the domain. */
int vgl_enforce_cpu_quota(virDomainPtr dom, unsigned percent, struct vgl_action_result *out);

/* Memory: the balloon target, clamped to the domain's maximum. Read back
 * from the balloon's actual size (virDomainMemoryStats), polled for up to
 * settle_ms until it is within 1 MiB of the target. */
int vgl_enforce_memory(virDomainPtr dom, uint64_t mib, unsigned settle_ms,
                       struct vgl_action_result *out);

/* Bandwidth of every interface: in/out average in kbit/s (0: no limit),
 * given to libvirt in its unit, kilobytes/s, rounded up. NOT_APPLICABLE without
 * a NIC; UNSUPPORTED when the host's tc lacks what libvirt needs (the sfq
 * qdisc, the police action), with tc's message. */
int vgl_enforce_bandwidth(virDomainPtr dom, uint64_t in_kbps, uint64_t out_kbps,
                          struct vgl_action_result *out);

/* Disk I/O of every disk: total IOPS and bytes/s (0: no limit).
 * NOT_APPLICABLE without a disk. */
int vgl_enforce_blkio(virDomainPtr dom, uint64_t iops, uint64_t bytes_per_s,
                      struct vgl_action_result *out);

/* How a push of the in-guest permission set ended, as an action result.
 * The push and its POLICY_ACK travel over the agent channel on the event
 * loop (agent-policy.h, daemon/permissions.h); this only records the
 * outcome: r is 0 when the agent acknowledged generation `generation`,
 * -EOPNOTSUPP when the agent has no "policy" capability, another negative
 * errno (msg says why) when it failed. supervised is the ack's flag: an
 * agent that acknowledged but cannot supervise (no seccomp user
 * notification in the guest) does not enforce the set, so that is
 * UNSUPPORTED, not APPLIED. Returns the state recorded. */
int vgl_enforce_permissions_record(int r, uint64_t generation, bool supervised, const char *msg,
                                   struct vgl_action_result *out);
