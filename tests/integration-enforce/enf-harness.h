/* Booting the microVMs of the enforcement tests: like vm-harness's
 * vm_start_agent (tests/integration/vm-harness.h), but with the shape the
 * test asks for (all vCPUs online, memory, an optional NIC) and on any
 * libvirt URI, e.g. a libvirtd in a network namespace. The struct vm it
 * fills works with vm_exec, vm_shutdown and vm_fini. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vm-harness.h"

struct enf_vm_opts {
        const char *uri; /* NULL: qemu:///embed in the VM's state dir */
        unsigned vcpus, max_vcpus;
        uint64_t memory_mib, max_memory_mib;
        const char *network; /* one virtio NIC on this libvirt network, NULL: none */
        const char *mac;
};

/* Creates the state dir, starts the loop thread, opens uri (NULL:
 * qemu:///embed in the state dir). */
int enf_vm_init(struct vm *vm, const char *uri, struct vgl_error *err);

/* Boots "<prefix>-<pid>" on vm's connection and waits up to timeout_s for
 * the agent's HELLO (console tail on stderr on failure). */
int enf_vm_boot(struct vm *vm, const char *prefix, const struct vgl_image *img,
                const struct enf_vm_opts *o, int timeout_s, struct vgl_error *err);

/* enf_vm_init with o->uri, then enf_vm_boot. */
int enf_vm_start(struct vm *vm, const char *prefix, const struct vgl_image *img,
                 const struct enf_vm_opts *o, int timeout_s, struct vgl_error *err);

/* Runs /bin/sh -c script in the guest; its stdout (NUL-terminated,
 * truncated to size) in out. The exit code, or a negative errno. */
int enf_sh(struct vm *vm, const char *script, char *out, size_t size, int timeout_s);

/* Reads one line of a guest file through the shell ("" on failure). */
void enf_guest_line(struct vm *vm, const char *cmd, char *out, size_t size);
