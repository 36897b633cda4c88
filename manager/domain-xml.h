/* Rendering the microVM domain XML.
 *
 * The microVM: q35, direct kernel boot with an initramfs, no disk (or one
 * virtio-blk qcow2 disk, the overlay of a disk image, booted with root=), no
 * NIC (or one virtio NIC on a libvirt network when asked), a virtio-serial
 * channel org.vigil.agent.0 for the agent, a virtio balloon, the serial
 * console to a log file, and the sandbox's record in <metadata> under the
 * vigil namespace. vCPUs above the first are hotpluggable, so enforcement
 * can take them away and give them back live. */
#pragma once

#include <stdint.h>

#include "error.h"

#define VGL_XMLNS_SANDBOX  "https://vigil.dev/xmlns/sandbox/1"
#define VGL_XMLNS_PREFIX   "vigil"
#define VGL_DOMAIN_PREFIX  "vigil-"
#define VGL_SANDBOX_ID_MAX 64
#define VGL_VCPUS_MAX      64

struct vgl_domain_spec {
        const char *id;          /* [A-Za-z0-9_.-]{1,64}; the domain is "vigil-<id>" */
        const char *type;        /* "kvm" or "qemu" */
        unsigned vcpus;          /* online vCPUs, 1..max_vcpus */
        unsigned max_vcpus;      /* hot-pluggable ceiling (0: = vcpus), <= VGL_VCPUS_MAX */
        uint64_t memory_kib;     /* current (balloon) memory */
        uint64_t max_memory_kib; /* ceiling (0: = memory_kib) */
        const char *kernel;      /* absolute paths */
        const char *initrd;
        const char *cmdline;      /* kernel command line, may be NULL */
        const char *console_log;  /* serial console log file, NULL: no serial */
        const char *channel_path; /* unix socket of the agent channel, NULL: libvirt picks */
        const char *tier;         /* metadata: tier name, may be NULL */
        const char *record_json;  /* metadata: the sandbox record as JSON text, may be NULL */
        const char *network;      /* libvirt network for one virtio NIC, NULL: no NIC */
        const char *mac;          /* that NIC's MAC "52:54:00:xx:xx:xx", NULL: libvirt picks */
        const char *disk;         /* qcow2 file for one virtio-blk disk (vda), NULL: no disk;
                                     a sandbox's overlay (image.h), never a shared base */
        const char *disk_root;    /* with disk: appended to cmdline as " root=VALUE", NULL: none */
};

/* Checks a sandbox id: 1..VGL_SANDBOX_ID_MAX characters of [A-Za-z0-9_.-]. */
int vgl_sandbox_id_validate(const char *id, struct vgl_error *err);

/* Renders the domain XML for spec into a new NUL-terminated string owned by
 * the caller (*ret, free()). Every string is XML-escaped. -EINVAL with *err
 * naming the field when the spec is inconsistent. */
int vgl_domain_xml_render(const struct vgl_domain_spec *spec, char **ret, struct vgl_error *err);
