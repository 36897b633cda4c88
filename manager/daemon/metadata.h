/* The sandbox record in the domain's <metadata> (namespace
 * VGL_XMLNS_SANDBOX), so it survives a vigild restart and shows in
 * `virsh metadata DOMAIN https://vigil.dev/xmlns/sandbox/1`. */
#pragma once

#include "daemon.h"

/* The metadata element for s: <sandbox><id/><tier/><record>JSON</record></sandbox>,
 * escaped (*ret, free()). -ENOMEM. */
int vgd_metadata_render(const struct vgd_sandbox *s, char **ret);

/* Extracts and unescapes the record JSON from a metadata element as libvirt
 * returns it (*ret, free()). -EBADMSG when there is none. */
int vgd_metadata_extract_record(const char *xml, char **ret);

/* Writes s's record to its running domain (best effort: logged on failure). */
void vgd_metadata_save(struct vgd_sandbox *s);

/* At start: picks up the running vigil-* domains. Reserved sandboxes are
 * restored (record, agent channel, TTL); leftover pool VMs are destroyed;
 * domains without a readable record are left alone (logged). Returns the
 * number restored. */
int vgd_metadata_restore_all(struct vgd_daemon *d);
