/* Binding a posture's filter to each interface of a running domain. */
#include "nwfilter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "cleanup.h"
#include "enforce-priv.h"
#include "virt.h"

#define NO_HOST "0.0.0.0"

static void net_freep(virNetworkPtr *n)
{
        if (*n)
                virNetworkFree(*n);
}

static void binding_freep(virNWFilterBindingPtr *b)
{
        if (*b)
                virNWFilterBindingFree(*b);
}

/* The IPv4 address of libvirt network `name` (the host side of its
 * bridge) into buf; false when it has none or cannot be read. */
static bool network_host(virConnectPtr conn, const char *name, char *buf, size_t size)
{
        __attribute__((cleanup(net_freep))) virNetworkPtr net = NULL;
        _cleanup_free_ char *xml = NULL;
        char family[16];

        if (!name[0] || !(net = virNetworkLookupByName(conn, name)) ||
            !(xml = virNetworkGetXMLDesc(net, 0))) {
                virResetLastError();
                return false;
        }
        for (const char *p = xml; (p = strstr(p, "<ip ")); p++)
                if ((!vgl_xml_attr(p, "family", family, sizeof(family)) ||
                     strcmp(family, "ipv4") == 0) &&
                    vgl_xml_attr(p, "address", buf, size) && strchr(buf, '.'))
                        return true;
        return false;
}

/* libvirt's names for tap devices and domains are plain, but the binding
 * is XML: refuse anything that would need escaping. */
static bool plain(const char *s)
{
        return s[0] &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") ==
                       strlen(s);
}

/* Deletes the binding of portdev, if there is one; -1 with libvirt's error. */
static int unbind_dev(virConnectPtr conn, const char *dev)
{
        __attribute__((cleanup(binding_freep))) virNWFilterBindingPtr b =
                virNWFilterBindingLookupByPortDev(conn, dev);

        if (!b) {
                virErrorPtr e = virGetLastError();

                if (e && e->code == VIR_ERR_NO_NWFILTER_BINDING) {
                        virResetLastError();
                        return 0;
                }
                return -1;
        }
        return virNWFilterBindingDelete(b);
}

struct nic_ctx {
        virConnectPtr conn;
        const char *filter, *owner, *uuid, *dev, *mac, *host;
};

/* Replaces the binding of one interface and reads it back. */
static int bind_dev(const struct nic_ctx *c, struct vgl_action_result *out)
{
        __attribute__((cleanup(binding_freep))) virNWFilterBindingPtr b = NULL;
        _cleanup_free_ char *xml = NULL, *back = NULL;
        char want[96], where[96];

        snprintf(where, sizeof(where), "binding %s to %s", c->filter, c->dev);
        if (!plain(c->dev) || !plain(c->mac) || !plain(c->owner))
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL,
                                      "%s: unexpected characters in the device, MAC or name",
                                      where);
        if (unbind_dev(c->conn, c->dev) < 0)
                return vgl_result_virt_error(out, "deleting the old binding");
        if (asprintf(&xml,
                     "<filterbinding>\n  <owner><name>%s</name><uuid>%s</uuid></owner>\n"
                     "  <portdev name='%s'/>\n  <mac address='%s'/>\n"
                     "  <filterref filter='%s'>\n"
                     "    <parameter name='" VGL_NWFILTER_HOST_VAR "' value='%s'/>\n"
                     "  </filterref>\n</filterbinding>\n",
                     c->owner, c->uuid, c->dev, c->mac, c->filter, c->host) < 0)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL, "out of memory");
        b = virNWFilterBindingCreateXML(c->conn, xml, 0);
        if (!b)
                return vgl_result_virt_error(out, where);
        virNWFilterBindingFree(TAKE_PTR(b));
        /* Read back through a fresh lookup, as anyone inspecting it would. */
        b = virNWFilterBindingLookupByPortDev(c->conn, c->dev);
        if (!b || !(back = virNWFilterBindingGetXMLDesc(b, 0)))
                return vgl_result_virt_error(out, "reading the binding back");
        snprintf(want, sizeof(want), "filter='%s'", c->filter);
        if (!strstr(back, want) || !strcasestr(back, c->mac))
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL,
                                      "%s: the binding read back is not the one created", where);
        return VGL_ACTION_APPLIED;
}

/* UNSUPPORTED without the driver, FAILED when the filter is not defined. */
static int filter_missing(struct vgl_action_result *out, const char *name)
{
        virErrorPtr e = virGetLastError();

        if (e && vgl_virt_code_unsupported(e->code)) {
                virResetLastError();
                return vgl_result_set(out, VGL_ACTION_UNSUPPORTED, NULL,
                                      "this connection has no nwfilter driver: network filters "
                                      "need libvirtd or virtnwfilterd (qemu:///embed has none)");
        }
        if (e && e->code == VIR_ERR_NO_NWFILTER) {
                virResetLastError();
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL,
                                      "filter %s is not defined (vgl_nwfilter_define_all)", name);
        }
        return vgl_result_virt_error(out, name);
}

int vgl_nwfilter_bind(virConnectPtr conn, virDomainPtr dom, enum vgl_posture posture,
                      struct vgl_action_result *out)
{
        const char *name = vgl_nwfilter_name(posture);
        struct vgl_dom_devices dev;
        struct vgl_error e = {0};
        virNWFilterPtr f;
        char uuid[VIR_UUID_STRING_BUFLEN], host[64], value[64];
        bool no_host = false;

        if (!name)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL, "unknown posture %d",
                                      (int)posture);
        if (vgl_dom_devices_read(dom, &dev, &e) < 0)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL, "%s", e.msg);
        if (dev.n_nics == 0)
                return vgl_result_set(out, VGL_ACTION_NOT_APPLICABLE, NULL,
                                      "the domain has no network interface");
        f = virNWFilterLookupByName(conn, name);
        if (!f)
                return filter_missing(out, name);
        virNWFilterFree(f);
        if (virDomainGetUUIDString(dom, uuid) < 0)
                return vgl_result_virt_error(out, "domain UUID");
        for (size_t i = 0; i < dev.n_nics; i++) {
                struct nic_ctx c = {
                        conn, name, virDomainGetName(dom), uuid, dev.nics[i].dev, dev.nics[i].mac,
                        host};
                int st;

                if (!network_host(virDomainGetConnect(dom), dev.nics[i].network, host,
                                  sizeof(host))) {
                        snprintf(host, sizeof(host), NO_HOST);
                        no_host = true;
                }
                st = bind_dev(&c, out);
                if (st != VGL_ACTION_APPLIED)
                        return st;
        }
        snprintf(value, sizeof(value), "%s", name);
        return vgl_result_set(out, VGL_ACTION_APPLIED, value, "%zu interface(s)%s", dev.n_nics,
                              no_host ? "; no host-side address known, the host-side rules "
                                        "match nothing"
                                      : "");
}

int vgl_nwfilter_unbind(virConnectPtr conn, virDomainPtr dom, struct vgl_error *err)
{
        struct vgl_dom_devices dev;
        int r = vgl_dom_devices_read(dom, &dev, err);

        for (size_t i = 0; r >= 0 && i < dev.n_nics; i++)
                if (dev.nics[i].dev[0] && unbind_dev(conn, dev.nics[i].dev) < 0)
                        r = vgl_virt_error(err, dev.nics[i].dev);
        return r;
}
