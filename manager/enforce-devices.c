/* A domain's NICs, disks and balloon, from the XML libvirt formats.
 *
 * vigil links no XML parser: libvirt's own output is regular enough to scan
 * (elements and attributes as libvirt writes them, values escaped), and
 * only the <devices> element is looked at. */
#include "enforce-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "virt.h"

bool vgl_xml_attr(const char *tag, const char *name, char *buf, size_t size)
{
        const char *end = strchr(tag, '>');
        size_t n = strlen(name);

        if (!end)
                return false;
        for (const char *p = tag; p && p < end; p++) {
                const char *v, *close;

                p = strstr(p, name);
                if (!p || p >= end)
                        return false;
                /* a whole attribute name: preceded by a blank, followed by = */
                if (p == tag || (p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n') || p[n] != '=')
                        continue;
                v = p + n + 1;
                if (*v != '\'' && *v != '"')
                        return false;
                close = strchr(v + 1, *v);
                if (!close || close > end || (size_t)(close - v - 1) >= size)
                        return false;
                memcpy(buf, v + 1, (size_t)(close - v - 1));
                buf[close - v - 1] = '\0';
                return true;
        }
        return false;
}

/* The element <name ...> opening inside [from, end), or NULL. */
static const char *find_open(const char *from, const char *end, const char *name)
{
        size_t n = strlen(name);

        for (const char *p = from; (p = strstr(p, name)) && p + n <= end; p += n)
                if (p > from && p[-1] == '<' && (p[n] == ' ' || p[n] == '>' || p[n] == '/'))
                        return p - 1;
        return NULL;
}

/* The attribute of child element `child` inside [p, end). */
static bool child_attr(const char *p, const char *end, const char *child, const char *attr,
                       char *buf, size_t size)
{
        const char *c = find_open(p, end, child);

        return c && vgl_xml_attr(c, attr, buf, size);
}

static void parse_nic(const char *p, const char *end, struct vgl_dom_devices *d)
{
        char type[32] = "";

        if (d->n_nics >= VGL_DOM_NICS_MAX)
                return;
        vgl_xml_attr(p, "type", type, sizeof(type));
        memset(&d->nics[d->n_nics], 0, sizeof(d->nics[0]));
        child_attr(p, end, "target", "dev", d->nics[d->n_nics].dev, sizeof(d->nics[0].dev));
        child_attr(p, end, "mac", "address", d->nics[d->n_nics].mac, sizeof(d->nics[0].mac));
        if (strcmp(type, "network") == 0)
                child_attr(p, end, "source", "network", d->nics[d->n_nics].network,
                           sizeof(d->nics[0].network));
        d->n_nics++;
}

static void parse_disk(const char *p, const char *end, struct vgl_dom_devices *d)
{
        char device[32] = "disk";

        vgl_xml_attr(p, "device", device, sizeof(device));
        if (strcmp(device, "disk") != 0 || d->n_disks >= VGL_DOM_DISKS_MAX)
                return;
        if (child_attr(p, end, "target", "dev", d->disks[d->n_disks], sizeof(d->disks[0])))
                d->n_disks++;
}

/* Calls fn for every element `name` in [p, end), with its extent. */
static void each(const char *p, const char *end, const char *name,
                 void (*fn)(const char *, const char *, struct vgl_dom_devices *),
                 struct vgl_dom_devices *d)
{
        char close[32];

        snprintf(close, sizeof(close), "</%s>", name);
        while ((p = find_open(p, end, name))) {
                const char *gt = strchr(p, '>');
                const char *stop = gt && gt[-1] == '/' ? gt : strstr(p, close);

                if (!stop || stop > end)
                        return;
                fn(p, stop, d);
                p = stop;
        }
}

void vgl_dom_devices_parse(const char *xml, struct vgl_dom_devices *ret)
{
        const char *start = find_open(xml, xml + strlen(xml), "devices");
        const char *end = start ? strstr(start, "</devices>") : NULL;
        const char *b;
        char model[32] = "";

        memset(ret, 0, sizeof(*ret));
        if (!start || !end)
                return;
        each(start, end, "interface", parse_nic, ret);
        each(start, end, "disk", parse_disk, ret);
        b = find_open(start, end, "memballoon");
        ret->balloon =
                b && vgl_xml_attr(b, "model", model, sizeof(model)) && strcmp(model, "none") != 0;
}

int vgl_dom_devices_read(virDomainPtr dom, struct vgl_dom_devices *ret, struct vgl_error *err)
{
        _cleanup_free_ char *xml = virDomainGetXMLDesc(dom, 0);

        if (!xml)
                return vgl_virt_error(err, "domain XML");
        vgl_dom_devices_parse(xml, ret);
        return 0;
}
