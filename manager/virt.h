/* The libvirt wrapper layer: cleanup helpers, error translation, connection,
 * event loop and domain type choice.
 *
 * libvirt reports failure as -1 (or NULL) plus a thread-local "last error";
 * everything above this layer sees the project's convention instead: a
 * negative errno and, where it must travel, a struct vgl_error message. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "error.h"

static inline void vgl_virt_conn_closep(virConnectPtr *c)
{
        if (*c) {
                virConnectClose(*c);
                *c = NULL;
        }
}
static inline void vgl_virt_domain_freep(virDomainPtr *d)
{
        if (*d) {
                virDomainFree(*d);
                *d = NULL;
        }
}
static inline void vgl_virt_stream_freep(virStreamPtr *s)
{
        if (*s) {
                virStreamFree(*s);
                *s = NULL;
        }
}
#define _cleanup_virconn_   __attribute__((cleanup(vgl_virt_conn_closep)))
#define _cleanup_virdomain_ __attribute__((cleanup(vgl_virt_domain_freep)))
#define _cleanup_virstream_ __attribute__((cleanup(vgl_virt_stream_freep)))

/* Translates libvirt's last error (of this thread) into the convention:
 * fills *err with "<what>: <libvirt message>" and returns a negative errno
 * chosen from the libvirt error code (-ENOENT for "no domain", -EEXIST for
 * "already exists", -EINVAL for bad XML, -EIO otherwise). Resets the last error. */
int vgl_virt_error(struct vgl_error *err, const char *what);

/* Silences libvirt's default error printing to stderr for this process
 * (library code does not log; errors reach callers through vgl_virt_error). */
void vgl_virt_quiet_errors(void);

/* ---- event loop ---- */

/* Registers libvirt's default event loop implementation (once per process).
 * Must run before any connection is opened. */
int vgl_virt_event_register(struct vgl_error *err);

/* Runs one iteration of the default event loop (blocks until something happens). */
int vgl_virt_event_run_once(struct vgl_error *err);

/* Starts a thread that runs the default event loop until vgl_virt_loop_stop().
 * Registers the implementation first if needed. For tests and tools; vigild
 * runs the loop in its main thread instead. */
int vgl_virt_loop_start(struct vgl_error *err);

/* Stops and joins the loop thread started by vgl_virt_loop_start. */
void vgl_virt_loop_stop(void);

/* Runs fn(userdata) on the loop thread and waits for it; returns fn's value.
 * Code that touches agent connections from another thread goes through here,
 * so the agent layer itself needs no locks. */
int vgl_virt_loop_call(int (*fn)(void *userdata), void *userdata);

/* Like vgl_virt_loop_call for a function that returns nothing; returns 0,
 * or what vgl_virt_loop_call returns when it cannot run fn. */
int vgl_virt_loop_run(void (*fn)(void *userdata), void *userdata);

/* ---- connections and domains ---- */

/* Opens a libvirt connection. uri NULL means the default,
 * "qemu:///embed?root=<state_dir>" (state_dir must be absolute and is created
 * if missing). The event implementation must be registered (and, for the
 * embedded driver, running) first. */
int vgl_virt_open(const char *uri, const char *state_dir, virConnectPtr *ret,
                  struct vgl_error *err);

/* Builds the default embedded URI for state_dir into a new string. */
int vgl_virt_embed_uri(const char *state_dir, char **ret, struct vgl_error *err);

/* Whether guests should run under KVM: /dev/kvm opens read-write and is
 * hardware KVM (kvm_intel or kvm_amd loaded), or VIGIL_DOMAIN_TYPE=kvm|qemu
 * says so. why gets the reason either way. */
bool vgl_virt_kvm_usable(char *why, size_t size);

/* "kvm" when vgl_virt_kvm_usable, "qemu" (TCG) otherwise. */
const char *vgl_virt_domain_type(void);

/* Destroys (if running) and undefines (if persistent) a domain; both are
 * best effort and errors are ignored. Accepts NULL. */
void vgl_virt_domain_discard(virDomainPtr dom);
