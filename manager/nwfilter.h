/* Network filters per security posture (policies/nwfilter/NAME.xml) and their
 * live bindings to a sandbox's interfaces (docs/enforcement.md).
 *
 * Each posture has a filter "vigil-<posture>": low accepts everything,
 * medium lets the guest open connections (replies come back) and talk to
 * DNS and the host side, high allows only DNS and the host side, paranoid
 * drops every frame. vigild defines them at startup; a posture change
 * replaces the binding of each of the domain's interfaces.
 *
 * libvirt's nwfilter driver lives only in a daemon (libvirtd or
 * virtnwfilterd): qemu:///embed has none, and every call here then says
 * so (-EOPNOTSUPP, or an UNSUPPORTED action). The connection given may be
 * another than the domain's, e.g. the system daemon's for a domain whose
 * tap device it can see. The calls block (libvirt RPC, ebtables and
 * iptables runs): call them from a worker thread. */
#pragma once

#include <libvirt/libvirt.h>

#include "error.h"
#include "policy.h"
#include "profile.h"

#define VGL_NWFILTER_FILE_MAX (64u * 1024u)
#define VGL_NWFILTER_HOST_VAR "VIGIL_HOST" /* the host side's IPv4 address */

/* "vigil-low", "vigil-medium", "vigil-high", "vigil-paranoid"; NULL for an
 * unknown posture. */
const char *vgl_nwfilter_name(enum vgl_posture p);

/* Checks one filter file's text (NUL-terminated at len): at most
 * VGL_NWFILTER_FILE_MAX bytes, a <filter> root named "vigil-..."
 * (want_name, when not NULL, exactly) with a fixed <uuid> (libvirt refuses
 * to redefine a filter under another UUID). path is only used in
 * messages. -EINVAL with *err naming the file. */
int vgl_nwfilter_check(const char *path, const char *text, size_t len, const char *want_name,
                       struct vgl_error *err);

/* Defines every dir/nwfilter/NAME.xml on conn (libvirt validates the rules;
 * filters another one references are defined first) and checks that each
 * posture's filter exists. Redefining an existing filter updates it and
 * the rules of every interface bound to it. -EOPNOTSUPP with a clear
 * message when conn has no nwfilter driver (qemu:///embed); -ENOENT for a
 * missing posture file; -EINVAL for a bad file. */
int vgl_nwfilter_define_all(virConnectPtr conn, const char *dir, struct vgl_error *err);

/* Binds the posture's filter to every interface of the running domain
 * dom: deletes the interface's old binding, creates one with its tap
 * device, MAC and the filter (VIGIL_HOST: the IPv4 address of the libvirt
 * network the interface is on; 0.0.0.0, which matches nothing, when it
 * has none), and reads it back (virNWFilterBindingLookupByPortDev). Fills
 * *out: APPLIED with the filter's name, NOT_APPLICABLE without an
 * interface, UNSUPPORTED when conn has no nwfilter driver, FAILED with
 * the reason. Between deleting and creating a binding the interface is
 * briefly unfiltered. Returns the state recorded. */
int vgl_nwfilter_bind(virConnectPtr conn, virDomainPtr dom, enum vgl_posture posture,
                      struct vgl_action_result *out);

/* Deletes the bindings of dom's interfaces (before destroying it: libvirt
 * keeps a binding made through the API until it is deleted). Missing
 * bindings are fine. Negative errno with *err for the first failure. */
int vgl_nwfilter_unbind(virConnectPtr conn, virDomainPtr dom, struct vgl_error *err);
