/* Shared by enforce*.c and nwfilter*.c, exposed to the unit tests. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "profile.h"

#define VGL_DOM_NICS_MAX  8
#define VGL_DOM_DISKS_MAX 8

/* What enforcement needs to know of a domain's devices. */
struct vgl_dom_devices {
        struct {
                char dev[64];     /* target dev (host side tap), "" when libvirt has none */
                char mac[18];     /* "52:54:00:..." */
                char network[64]; /* source network for type='network', else "" */
        } nics[VGL_DOM_NICS_MAX];
        size_t n_nics;
        char disks[VGL_DOM_DISKS_MAX][32]; /* target dev of each disk (device='disk') */
        size_t n_disks;
        bool balloon; /* a memballoon other than model='none' */
};

/* Scans domain XML as libvirt formats it (virDomainGetXMLDesc: canonical,
 * single-quoted attributes) for interfaces, disks and the balloon; only the
 * <devices> element is looked at, so metadata cannot pose as a device.
 * Devices beyond the maxima are ignored. */
void vgl_dom_devices_parse(const char *xml, struct vgl_dom_devices *ret);

/* The live XML of dom, parsed. Negative errno with *err on failure. */
int vgl_dom_devices_read(virDomainPtr dom, struct vgl_dom_devices *ret, struct vgl_error *err);

/* Copies the value of attribute name (single- or double-quoted) of the
 * element starting at tag (up to its closing '>') into buf; false if
 * absent or too long. */
bool vgl_xml_attr(const char *tag, const char *name, char *buf, size_t size);

/* Records an outcome: state, the attempt's time, value (may be NULL) and a
 * printf reason (fmt may be NULL). Returns st. */
int vgl_result_set(struct vgl_action_result *r, enum vgl_action_state st, const char *value,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records libvirt's last error (of this thread) as the outcome of `what`:
 * UNSUPPORTED for "not supported by this driver/host" codes, FAILED
 * otherwise; the reason is "what: libvirt's message". Resets the error. */
int vgl_result_virt_error(struct vgl_action_result *r, const char *what);

/* True when libvirt's error code means the driver or host cannot do it. */
bool vgl_virt_code_unsupported(int code);

/* If msg is libvirt's report of a tc command the kernel refused for lack
 * of a qdisc, classifier or action (this host: no sfq, no police), writes
 * what is missing into buf and returns true. */
bool vgl_tc_missing(const char *msg, char *buf, size_t size);

/* The pid of dom's QEMU process when it runs on this host (found by its
 * -uuid argument in /proc); -ENOENT when it is not visible here (a remote
 * libvirt, another pid namespace). */
int vgl_qemu_pid(virDomainPtr dom, pid_t *ret_pid);

/* The number of vCPU threads of QEMU process pid ("CPU n/KVM", "CPU
 * n/TCG"); -ENODATA when it runs no per-vCPU threads (single-threaded
 * TCG), another negative errno when pid is gone. */
int vgl_qemu_vcpu_threads(pid_t pid);

/* Sleeps ms milliseconds (EINTR-safe). */
void vgl_sleep_ms(unsigned ms);
