/* Domain XML for the microVM, rendered from struct vgl_domain_spec. */
#include "domain-xml.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "proto.h"

#define XML_MAX (64u * 1024u)

struct xml_out {
        struct vgl_buf buf;
        int error; /* first append error, sticky */
};

static void out_raw(struct xml_out *o, const char *s, size_t n)
{
        if (o->error == 0)
                o->error = vgl_buf_append(&o->buf, s, n);
}

static void out_printf(struct xml_out *o, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void out_printf(struct xml_out *o, const char *fmt, ...)
{
        char tmp[512];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(tmp)) {
                o->error = o->error ?: -ENAMETOOLONG;
                return;
        }
        out_raw(o, tmp, (size_t)n);
}

/* Appends s with the five XML special characters escaped. */
static void out_escaped(struct xml_out *o, const char *s)
{
        for (; *s; s++) {
                switch (*s) {
                case '&':
                        out_raw(o, "&amp;", 5);
                        break;
                case '<':
                        out_raw(o, "&lt;", 4);
                        break;
                case '>':
                        out_raw(o, "&gt;", 4);
                        break;
                case '"':
                        out_raw(o, "&quot;", 6);
                        break;
                case '\'':
                        out_raw(o, "&apos;", 6);
                        break;
                default:
                        out_raw(o, s, 1);
                        break;
                }
        }
}

/* <tag>escaped value</tag> on its own line, skipped when value is NULL. */
static void out_element(struct xml_out *o, const char *indent, const char *tag, const char *value)
{
        if (!value)
                return;
        out_printf(o, "%s<%s>", indent, tag);
        out_escaped(o, value);
        out_printf(o, "</%s>\n", tag);
}

int vgl_sandbox_id_validate(const char *id, struct vgl_error *err)
{
        size_t n = id ? strlen(id) : 0;

        if (n == 0 || n > VGL_SANDBOX_ID_MAX)
                return vgl_error_set(err, EINVAL, "sandbox id must have 1..%d characters",
                                     VGL_SANDBOX_ID_MAX);
        if (strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
                return vgl_error_set(err, EINVAL,
                                     "sandbox id '%s' has characters outside [A-Za-z0-9_.-]", id);
        return 0;
}

static bool control_chars(const char *s)
{
        for (; s && *s; s++)
                if ((unsigned char)*s < 0x20 && *s != '\t')
                        return true;
        return false;
}

/* Six two-digit hex groups separated by colons. */
static bool mac_valid(const char *m)
{
        if (strlen(m) != 17)
                return false;
        for (size_t i = 0; i < 17; i++)
                if (i % 3 == 2 ? m[i] != ':' : !strchr("0123456789abcdefABCDEF", m[i]))
                        return false;
        return true;
}

static int validate(const struct vgl_domain_spec *s, struct vgl_error *err)
{
        const char *paths[] = {s->kernel, s->initrd, s->console_log, s->channel_path, s->disk};
        int r = vgl_sandbox_id_validate(s->id, err);

        if (r < 0)
                return r;
        if (!s->type || (strcmp(s->type, "kvm") != 0 && strcmp(s->type, "qemu") != 0))
                return vgl_error_set(err, EINVAL, "domain type must be kvm or qemu");
        if (s->vcpus == 0 || (s->max_vcpus && s->vcpus > s->max_vcpus))
                return vgl_error_set(err, EINVAL, "vcpus must be 1..max_vcpus");
        if ((s->max_vcpus ?: s->vcpus) > VGL_VCPUS_MAX)
                return vgl_error_set(err, EINVAL, "at most %d vCPUs", VGL_VCPUS_MAX);
        if (s->memory_kib < 16 * 1024 || (s->max_memory_kib && s->memory_kib > s->max_memory_kib))
                return vgl_error_set(err, EINVAL, "memory must be >= 16 MiB and <= max memory");
        if (!s->kernel || !s->initrd)
                return vgl_error_set(err, EINVAL, "kernel and initrd are required");
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (paths[i] && (paths[i][0] != '/' || control_chars(paths[i])))
                        return vgl_error_set(err, EINVAL, "'%s' is not a clean absolute path",
                                             paths[i]);
        if (control_chars(s->cmdline) || control_chars(s->tier))
                return vgl_error_set(err, EINVAL, "control characters in cmdline or tier");
        if (s->network && (!s->network[0] || strlen(s->network) > 64 || control_chars(s->network)))
                return vgl_error_set(err, EINVAL,
                                     "network name must have 1..64 printable characters");
        if (s->mac && !mac_valid(s->mac))
                return vgl_error_set(err, EINVAL, "'%s' is not a MAC address xx:xx:xx:xx:xx:xx",
                                     s->mac);
        if (s->disk_root &&
            (!s->disk || !s->disk_root[0] ||
             strspn(s->disk_root, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789/=_.:-") != strlen(s->disk_root)))
                return vgl_error_set(err, EINVAL,
                                     "disk_root needs a disk and a value of [A-Za-z0-9/=_.:-]");
        return 0;
}

/* The cmdline, plus root= when booting a disk image. */
static void render_cmdline(struct xml_out *o, const struct vgl_domain_spec *s)
{
        if (!s->disk_root) {
                out_element(o, "    ", "cmdline", s->cmdline);
                return;
        }
        out_printf(o, "    <cmdline>");
        if (s->cmdline && s->cmdline[0]) {
                out_escaped(o, s->cmdline);
                out_printf(o, " ");
        }
        out_printf(o, "root=");
        out_escaped(o, s->disk_root);
        out_printf(o, "</cmdline>\n");
}

static void render_head(struct xml_out *o, const struct vgl_domain_spec *s)
{
        unsigned maxv = s->max_vcpus ?: s->vcpus;
        uint64_t maxm = s->max_memory_kib ?: s->memory_kib;

        out_printf(o, "<domain type='%s'>\n", s->type);
        out_printf(o, "  <name>" VGL_DOMAIN_PREFIX "%s</name>\n", s->id);
        out_printf(o, "  <memory unit='KiB'>%" PRIu64 "</memory>\n", maxm);
        out_printf(o, "  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n", s->memory_kib);
        out_printf(o, "  <vcpu placement='static' current='%u'>%u</vcpu>\n", s->vcpus, maxv);
        /* vCPU 0 stays; the others are hotpluggable, so enforcement can take
         * them away live (virDomainSetVcpusFlags) and give them back. Without
         * this libvirt makes only the vCPUs offline at boot hotpluggable. */
        if (maxv > 1) {
                out_printf(o, "  <vcpus>\n");
                for (unsigned i = 0; i < maxv; i++)
                        out_printf(o, "    <vcpu id='%u' enabled='%s' hotpluggable='%s'/>\n", i,
                                   i < s->vcpus ? "yes" : "no", i == 0 ? "no" : "yes");
                out_printf(o, "  </vcpus>\n");
        }
        out_printf(o, "  <metadata>\n    <" VGL_XMLNS_PREFIX ":sandbox xmlns:" VGL_XMLNS_PREFIX
                      "='" VGL_XMLNS_SANDBOX "'>\n");
        out_element(o, "      ", VGL_XMLNS_PREFIX ":id", s->id);
        out_element(o, "      ", VGL_XMLNS_PREFIX ":tier", s->tier);
        out_element(o, "      ", VGL_XMLNS_PREFIX ":record", s->record_json);
        out_printf(o, "    </" VGL_XMLNS_PREFIX ":sandbox>\n  </metadata>\n");
        out_printf(o, "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n");
        out_element(o, "    ", "kernel", s->kernel);
        out_element(o, "    ", "initrd", s->initrd);
        render_cmdline(o, s);
        out_printf(o, "  </os>\n  <features><acpi/></features>\n");
        /* Under TCG the default qemu64 model has no RDRAND, so the guest's
         * random pool initialises only after seconds of boot and anything
         * calling getrandom() waits (measured: +1.5 s to the agent's hello).
         * qemu64 plus RDRAND fixes that; mode='maximum' would too, but its
         * AVX code paths make TCG guests copy memory several times slower. */
        if (strcmp(s->type, "kvm") == 0)
                out_printf(o, "  <cpu mode='host-passthrough'/>\n");
        else
                out_printf(
                        o,
                        "  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model>"
                        "<feature policy='require' name='rdrand'/></cpu>\n");
        out_printf(o, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
                      "  <on_crash>destroy</on_crash>\n");
}

static void render_devices(struct xml_out *o, const struct vgl_domain_spec *s)
{
        out_printf(o, "  <devices>\n");
        if (s->console_log) {
                out_printf(o, "    <serial type='file'>\n      <source path='");
                out_escaped(o, s->console_log);
                out_printf(o, "'/>\n      <target port='0'/>\n    </serial>\n");
        }
        out_printf(o, "    <channel type='unix'>\n      <source mode='bind'");
        if (s->channel_path) {
                out_printf(o, " path='");
                out_escaped(o, s->channel_path);
                out_printf(o, "'");
        }
        out_printf(o, "/>\n      <target type='virtio' name='" VGL_AGENT_PORT_NAME "'/>\n"
                      "    </channel>\n");
        if (s->disk) {
                /* The overlay's header names its base and the base's format,
                 * so libvirt follows the chain without probing. */
                out_printf(o, "    <disk type='file' device='disk'>\n"
                              "      <driver name='qemu' type='qcow2' discard='unmap'/>\n"
                              "      <source file='");
                out_escaped(o, s->disk);
                out_printf(o, "'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n");
        }
        if (s->network) {
                out_printf(o, "    <interface type='network'>\n");
                if (s->mac)
                        out_printf(o, "      <mac address='%s'/>\n", s->mac);
                out_printf(o, "      <source network='");
                out_escaped(o, s->network);
                out_printf(o, "'/>\n      <model type='virtio'/>\n    </interface>\n");
        }
        out_printf(o,
                   "    <controller type='usb' model='none'/>\n"
                   "    <video><model type='none'/></video>\n"
                   "    <memballoon model='virtio'/>\n"
                   /* Entropy at boot: without it early getrandom() in the guest waits. */
                   "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
                   "  </devices>\n</domain>\n");
}

int vgl_domain_xml_render(const struct vgl_domain_spec *spec, char **ret, struct vgl_error *err)
{
        struct xml_out o = {.error = 0};
        int r = validate(spec, err);

        if (r < 0)
                return r;
        vgl_buf_init(&o.buf, XML_MAX);
        render_head(&o, spec);
        render_devices(&o, spec);
        out_raw(&o, "", 1);
        if (o.error < 0) {
                vgl_buf_free(&o.buf);
                return vgl_error_set(err, -o.error, "domain XML too large");
        }
        *ret = (char *)o.buf.data;
        return 0;
}
