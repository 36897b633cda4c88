/* See metadata.h. */
#include "metadata.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "channel.h"
#include "cleanup.h"
#include "control.h"
#include "domain-xml.h"
#include "events.h"
#include "log.h"
#include "registry.h"
#include "reserve.h"
#include "sandbox.h"
#include "work.h"

#define META_MAX (256u * 1024u)

static int put(struct vgl_buf *b, const char *s)
{
        return vgl_buf_append(b, s, strlen(s));
}

static int put_escaped(struct vgl_buf *b, const char *s)
{
        int r = 0;

        for (; *s && r >= 0; s++)
                switch (*s) {
                case '<':
                        r = put(b, "&lt;");
                        break;
                case '>':
                        r = put(b, "&gt;");
                        break;
                case '&':
                        r = put(b, "&amp;");
                        break;
                case '"':
                        r = put(b, "&quot;");
                        break;
                case '\'':
                        r = put(b, "&apos;");
                        break;
                default:
                        r = vgl_buf_append(b, s, 1);
                }
        return r;
}

int vgd_metadata_render(const struct vgd_sandbox *s, char **ret)
{
        _cleanup_free_ char *record = NULL;
        struct vgl_buf b;
        int r;

        if (vgd_sandbox_record_text(s, &record) < 0)
                return -ENOMEM;
        vgl_buf_init(&b, META_MAX);
        r = put(&b, "<sandbox><id>");
        if (r >= 0)
                r = put_escaped(&b, s->id);
        if (r >= 0)
                r = put(&b, "</id><tier>");
        if (r >= 0)
                r = put_escaped(&b, s->tier);
        if (r >= 0)
                r = put(&b, "</tier><record>");
        if (r >= 0)
                r = put_escaped(&b, record);
        if (r >= 0)
                r = put(&b, "</record></sandbox>");
        if (r >= 0)
                r = vgl_buf_append(&b, "", 1);
        if (r < 0) {
                vgl_buf_free(&b);
                return r;
        }
        *ret = (char *)b.data;
        return 0;
}

static const char *const entities[][2] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}, {"&apos;", "'"},
};

/* Finds the text of the first element whose local name is "record". */
static const char *find_record(const char *xml, const char **end)
{
        for (const char *p = strchr(xml, '<'); p; p = strchr(p + 1, '<')) {
                const char *name = p + 1, *colon, *gt = strchr(name, '>');
                if (!gt || *name == '/')
                        continue;
                colon = memchr(name, ':', (size_t)(gt - name));
                if (colon)
                        name = colon + 1;
                if (gt - name == 6 && !strncmp(name, "record", 6)) {
                        *end = strstr(gt + 1, "</");
                        return *end ? gt + 1 : NULL;
                }
        }
        return NULL;
}

int vgd_metadata_extract_record(const char *xml, char **ret)
{
        const char *start, *end = NULL;
        char *out, *o;

        start = xml ? find_record(xml, &end) : NULL;
        if (!start)
                return -EBADMSG;
        out = o = malloc((size_t)(end - start) + 1);
        if (!out)
                return -ENOMEM;
        for (const char *p = start; p < end;) {
                size_t i;
                if (*p != '&') {
                        *o++ = *p++;
                        continue;
                }
                for (i = 0; i < ELEMENTSOF(entities); i++)
                        if (!strncmp(p, entities[i][0], strlen(entities[i][0])))
                                break;
                if (i == ELEMENTSOF(entities)) {
                        free(out);
                        return -EBADMSG;
                }
                *o++ = entities[i][1][0];
                p += strlen(entities[i][0]);
        }
        *o = '\0';
        *ret = out;
        return 0;
}

void vgd_metadata_save(struct vgd_sandbox *s)
{
        _cleanup_free_ char *xml = NULL;
        struct vgl_error e = {};

        if (!s->dom)
                return;
        /* A worker is using the domain (under qemu:///embed, waiting for
         * the domain's job here would stall the loop that job needs): the
         * job saves when it is done. */
        if (s->ctl && s->ctl->in_worker) {
                s->ctl->meta_dirty = true;
                return;
        }
        if (vgd_metadata_render(s, &xml) < 0) {
                vgd_error(s->id, "rendering the metadata: out of memory");
                return;
        }
        if (virDomainSetMetadata(s->dom, VIR_DOMAIN_METADATA_ELEMENT, xml, VGL_XMLNS_PREFIX,
                                 VGL_XMLNS_SANDBOX, VIR_DOMAIN_AFFECT_LIVE) < 0) {
                vgl_virt_error(&e, "saving the record");
                vgd_warn(s->id, "%s", e.msg);
        }
}

/* Restores one domain; takes ownership of dom. */
static int restore_one(struct vgd_daemon *d, virDomainPtr dom)
{
        _cleanup_free_ char *meta = NULL, *record = NULL;
        const char *name = virDomainGetName(dom);
        struct vgd_sandbox *s = NULL;
        struct vgl_error e = {};

        meta = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, VGL_XMLNS_SANDBOX, 0);
        if (!meta || vgd_metadata_extract_record(meta, &record) < 0 ||
            vgd_sandbox_new(d, name + strlen(VGL_DOMAIN_PREFIX), NULL, &s) < 0 ||
            vgd_sandbox_record_parse(s, record, &e) < 0 || strcmp(s->domain, name) != 0 ||
            vgd_registry_find(d, s->id)) {
                virResetLastError();
                vgd_warn(NULL, "%s: no usable vigil record (%s); left alone", name,
                         e.msg[0] ? e.msg : "metadata missing");
                vgd_sandbox_unref(s);
                virDomainFree(dom);
                return 0;
        }
        if (s->state != VGD_RESERVED || !s->owned) {
                vgd_info(s->id, "idle %s VM from a previous run: destroying", s->tier);
                vgd_sandbox_unref(s);
                vgd_job_destroy_domain(d, dom);
                return 0;
        }
        s->dom = dom;
        s->restored = true;
        if (s->profile && vgd_control_attach(s, s->profile) < 0) {
                vgd_error(s->id, "out of memory for its profile; left alone");
                vgd_sandbox_unref(s);
                return 0;
        }
        vgd_registry_add(d, s);
        vgd_sandbox_unref(s);
        if (vgd_channel_open(s, &e) < 0)
                vgd_event(d, s, "agent-error", "reopening the agent channel: %s", e.msg);
        vgd_reserve_arm(s);
        vgd_event(d, s, "restored", "reserved %s sandbox of uid %u picked up", s->tier,
                  (unsigned)s->owner_uid);
        return 1;
}

int vgd_metadata_restore_all(struct vgd_daemon *d)
{
        virDomainPtr *doms = NULL;
        int n, restored = 0;

        n = virConnectListAllDomains(d->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        if (n < 0) {
                struct vgl_error e = {};
                vgl_virt_error(&e, "listing domains");
                vgd_error(NULL, "%s", e.msg);
                return 0;
        }
        for (int i = 0; i < n; i++) {
                const char *name = virDomainGetName(doms[i]);
                if (!name || strncmp(name, VGL_DOMAIN_PREFIX, strlen(VGL_DOMAIN_PREFIX)) != 0 ||
                    vgl_sandbox_id_validate(name + strlen(VGL_DOMAIN_PREFIX), NULL) < 0) {
                        virDomainFree(doms[i]);
                        continue;
                }
                restored += restore_one(d, doms[i]);
        }
        free(doms);
        return restored;
}
