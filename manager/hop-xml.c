/* The hop's plan: the restore XML for a tier and the live settings that go
 * with it, from the running domain's migratable XML (see hop.h). Edits are
 * made in the text, so everything else stays byte for byte as libvirt wrote
 * it: the guest-visible machine must not change (docs/hop.md). */
#include "hop.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain-xml.h"
#include "hop-priv.h"

static int bad(struct vgl_error *err, const char *what)
{
        return vgl_error_set(err, EBADMSG, "domain XML: %s", what);
}

static int domain_root(const char *doc, struct vgl_hop_xel *ret)
{
        static const char domain[] = "domain";
        int r = vgl_hop_xml_root(doc, strlen(doc), ret);

        if (r < 0)
                return r;
        if (ret->name_len != strlen(domain) || memcmp(doc + ret->name, domain, ret->name_len) != 0)
                return -EBADMSG;
        return 0;
}

/* A decimal number in doc[off..off+len), surrounding whitespace allowed. */
static int parse_u64(const char *doc, size_t off, size_t len, uint64_t *ret)
{
        char tmp[32];
        char *end;

        while (len && strchr(" \t\r\n", doc[off])) {
                off++;
                len--;
        }
        while (len && strchr(" \t\r\n", doc[off + len - 1]))
                len--;
        if (len == 0 || len >= sizeof(tmp) || doc[off] < '0' || doc[off] > '9')
                return -EBADMSG;
        memcpy(tmp, doc + off, len);
        tmp[len] = '\0';
        errno = 0;
        *ret = strtoull(tmp, &end, 10);
        return errno || *end ? -EBADMSG : 0;
}

static int read_vcpus(const char *doc, unsigned *ret, struct vgl_error *err)
{
        struct vgl_hop_xel root, v;
        size_t off, len;
        uint64_t n;

        if (domain_root(doc, &root) < 0)
                return bad(err, "not a <domain> document");
        if (vgl_hop_xml_child(doc, &root, "vcpu", false, 0, &v) < 0)
                return bad(err, "no <vcpu>");
        if (!vgl_hop_xml_attr(doc, &v, "current", &off, &len)) {
                off = v.open_end;
                len = v.close - v.open_end;
        }
        if (parse_u64(doc, off, len, &n) < 0 || n == 0 || n > 4096)
                return bad(err, "bad <vcpu> count");
        *ret = (unsigned)n;
        return 0;
}

static int read_max_memory_kib(const char *doc, uint64_t *ret, struct vgl_error *err)
{
        struct vgl_hop_xel root, m;
        size_t off, len;
        uint64_t n;

        if (domain_root(doc, &root) < 0 ||
            vgl_hop_xml_child(doc, &root, "memory", false, 0, &m) < 0)
                return bad(err, "no <memory>");
        /* Migratable XML always says KiB, libvirt's default unit too. */
        if (vgl_hop_xml_attr(doc, &m, "unit", &off, &len) &&
            !(len == 3 && memcmp(doc + off, "KiB", 3) == 0) && !(len == 1 && doc[off] == 'k'))
                return bad(err, "<memory> not in KiB");
        if (parse_u64(doc, m.open_end, m.close - m.open_end, &n) < 0 || n == 0)
                return bad(err, "bad <memory> size");
        *ret = n;
        return 0;
}

/* Removes el and the indentation (back to the newline) before it. */
static int remove_el(char **doc, const struct vgl_hop_xel *el)
{
        size_t start = el->start;

        while (start > 0 && ((*doc)[start - 1] == ' ' || (*doc)[start - 1] == '\t'))
                start--;
        if (start > 0 && (*doc)[start - 1] == '\n')
                start--;
        return vgl_hop_xml_splice(doc, start, el->end, "");
}

/* Removes every child called name of the top-level element top. */
static int remove_children(char **doc, const char *top, const char *name)
{
        struct vgl_hop_xel root, parent, c;
        int r;

        for (;;) {
                r = domain_root(*doc, &root);
                if (r < 0)
                        return r;
                r = vgl_hop_xml_child(*doc, &root, top, false, 0, &parent);
                if (r < 0)
                        return r == -ENOENT ? 0 : r;
                r = vgl_hop_xml_child(*doc, &parent, name, false, 0, &c);
                if (r < 0)
                        return r == -ENOENT ? 0 : r;
                r = remove_el(doc, &c);
                if (r < 0)
                        return r;
        }
}

/* Puts inner (children text) at the start of top-level element top, which
 * is created after the element `after` when missing. Drops top when inner
 * is empty and nothing else is left in it. */
static int put_children(char **doc, const char *top, const char *after, const char *inner)
{
        _cleanup_free_ char *text = NULL;
        struct vgl_hop_xel root, el;
        int r = domain_root(*doc, &root);

        if (r < 0)
                return r;
        r = vgl_hop_xml_child(*doc, &root, top, false, 0, &el);
        if (r == -ENOENT) {
                if (!inner[0])
                        return 0;
                if (vgl_hop_xml_child(*doc, &root, after, false, 0, &el) < 0)
                        return -EBADMSG;
                if (asprintf(&text, "\n  <%s>%s\n  </%s>", top, inner, top) < 0)
                        return -ENOMEM;
                return vgl_hop_xml_splice(doc, el.end, el.end, text);
        }
        if (r < 0)
                return r;
        if (!inner[0])
                return vgl_hop_xml_blank(*doc, &el) ? remove_el(doc, &el) : 0;
        if (el.close == el.end) { /* <top/> */
                if (asprintf(&text, "<%s>%s\n  </%s>", top, inner, top) < 0)
                        return -ENOMEM;
                return vgl_hop_xml_splice(doc, el.start, el.end, text);
        }
        return vgl_hop_xml_splice(doc, el.open_end, el.open_end, inner);
}

static int edit_cputune(char **doc, long long vcpu_quota)
{
        /* Global quotas go too: they also throttle QEMU's main thread while
         * it loads the saved memory; vgl_hop applies them live instead. */
        static const char *const drop[] = {"period", "quota", "global_period", "global_quota"};
        char inner[128] = "";
        int r;

        for (size_t i = 0; i < ELEMENTSOF(drop); i++) {
                r = remove_children(doc, "cputune", drop[i]);
                if (r < 0)
                        return r;
        }
        if (vcpu_quota >= 0)
                snprintf(inner, sizeof(inner), "\n    <period>%d</period>\n    <quota>%lld</quota>",
                         VGL_HOP_PERIOD_US, vcpu_quota);
        return put_children(doc, "cputune", "vcpu", inner);
}

static int edit_memtune(char **doc, uint64_t hard_limit_kib)
{
        char inner[96];
        int r;

        if (hard_limit_kib == 0)
                return 0;
        r = remove_children(doc, "memtune", "hard_limit");
        if (r < 0)
                return r;
        snprintf(inner, sizeof(inner), "\n    <hard_limit unit='KiB'>%" PRIu64 "</hard_limit>",
                 hard_limit_kib);
        return put_children(doc, "memtune", "currentMemory", inner);
}

/* Tier names are validated by the policy loader; escaping is cheap anyway. */
static void escape(const char *s, char *out, size_t size)
{
        size_t n = 0;

        for (; *s && n + 7 < size; s++) {
                const char *e = *s == '<'   ? "&lt;"
                                : *s == '>' ? "&gt;"
                                : *s == '&' ? "&amp;"
                                            : NULL;

                if (e)
                        n += (size_t)snprintf(out + n, size - n, "%s", e);
                else
                        out[n++] = *s;
        }
        out[n] = '\0';
}

/* The vigil element among metadata's children: its prefix must be bound to
 * our namespace on the element itself, which is where libvirt writes it. */
static int find_sandbox(const char *doc, const struct vgl_hop_xel *md, struct vgl_hop_xel *ret,
                        char *prefix, size_t size)
{
        size_t from = 0, off, len;
        struct vgl_hop_xel el;
        int r;

        for (;; from = el.end) {
                char attr[80] = "xmlns";
                const char *colon;

                r = vgl_hop_xml_child(doc, md, NULL, false, from, &el);
                if (r < 0)
                        return r;
                colon = memchr(doc + el.name, ':', el.name_len);
                prefix[0] = '\0';
                if (colon && (size_t)(colon - (doc + el.name)) < size &&
                    (size_t)(colon - (doc + el.name)) < sizeof(attr) - 6) {
                        size_t n = (size_t)(colon - (doc + el.name));

                        memcpy(prefix, doc + el.name, n);
                        prefix[n] = '\0';
                        snprintf(attr, sizeof(attr), "xmlns:%s", prefix);
                }
                if (vgl_hop_xml_attr(doc, &el, attr, &off, &len) &&
                    len == strlen(VGL_XMLNS_SANDBOX) &&
                    memcmp(doc + off, VGL_XMLNS_SANDBOX, len) == 0) {
                        *ret = el;
                        return 0;
                }
        }
}

static int set_tier_in(char **doc, const struct vgl_hop_xel *sb, const char *prefix,
                       const char *tier)
{
        _cleanup_free_ char *qname = NULL, *text = NULL;
        struct vgl_hop_xel t;
        int r;

        if (asprintf(&qname, "%s%s%s", prefix, prefix[0] ? ":" : "", "tier") < 0)
                return -ENOMEM;
        r = vgl_hop_xml_child(*doc, sb, qname, false, 0, &t);
        if (r == 0 && t.close != t.end)
                return vgl_hop_xml_splice(doc, t.open_end, t.close, tier);
        if (r == 0) { /* <vigil:tier/> */
                if (asprintf(&text, "<%s>%s</%s>", qname, tier, qname) < 0)
                        return -ENOMEM;
                return vgl_hop_xml_splice(doc, t.start, t.end, text);
        }
        if (r != -ENOENT)
                return r;
        if (sb->close == sb->end) { /* <vigil:sandbox xmlns:vigil='...'/> */
                if (asprintf(&text, ">\n      <%s>%s</%s>\n    </%.*s>", qname, tier, qname,
                             (int)sb->name_len, *doc + sb->name) < 0)
                        return -ENOMEM;
                return vgl_hop_xml_splice(doc, sb->open_end - 2, sb->end, text);
        }
        if (asprintf(&text, "\n      <%s>%s</%s>", qname, tier, qname) < 0)
                return -ENOMEM;
        return vgl_hop_xml_splice(doc, sb->open_end, sb->open_end, text);
}

static int edit_tier(char **doc, const char *name)
{
        _cleanup_free_ char *text = NULL;
        struct vgl_hop_xel root, md, sb, at;
        char tier[VGL_TIER_NAME_MAX * 5 + 1], prefix[32];
        int r = domain_root(*doc, &root);

        if (r < 0)
                return r;
        escape(name, tier, sizeof(tier));
        r = vgl_hop_xml_child(*doc, &root, "metadata", false, 0, &md);
        if (r == -ENOENT) { /* an empty <metadata> first, then as below */
                if (vgl_hop_xml_child(*doc, &root, "uuid", false, 0, &at) < 0 &&
                    vgl_hop_xml_child(*doc, &root, "name", false, 0, &at) < 0)
                        return -EBADMSG;
                return vgl_hop_xml_splice(doc, at.end, at.end, "\n  <metadata>\n  </metadata>")
                               ?: edit_tier(doc, name);
        }
        if (r < 0)
                return r;
        if (md.close == md.end) /* <metadata/> */
                return vgl_hop_xml_splice(doc, md.start, md.end, "<metadata>\n  </metadata>")
                               ?: edit_tier(doc, name);
        r = find_sandbox(*doc, &md, &sb, prefix, sizeof(prefix));
        if (r == 0)
                return set_tier_in(doc, &sb, prefix, tier);
        if (r != -ENOENT)
                return r;
        if (asprintf(&text,
                     "\n    <" VGL_XMLNS_PREFIX ":sandbox xmlns:" VGL_XMLNS_PREFIX
                     "='" VGL_XMLNS_SANDBOX "'>\n      <" VGL_XMLNS_PREFIX
                     ":tier>%s</" VGL_XMLNS_PREFIX ":tier>\n    </" VGL_XMLNS_PREFIX ":sandbox>",
                     tier) < 0)
                return -ENOMEM;
        return vgl_hop_xml_splice(doc, md.open_end, md.open_end, text);
}

/* The i-th <interface> of <devices>; -ENOENT past the last. */
static int nth_interface(const char *doc, unsigned i, struct vgl_hop_xel *ret)
{
        struct vgl_hop_xel root, dev;
        size_t from = 0;
        int r = domain_root(doc, &root);

        if (r < 0)
                return r;
        r = vgl_hop_xml_child(doc, &root, "devices", false, 0, &dev);
        for (unsigned k = 0; r == 0; k++, from = ret->end) {
                r = vgl_hop_xml_child(doc, &dev, "interface", false, from, ret);
                if (r == 0 && k == i)
                        return 0;
        }
        return r;
}

/* Network "none": every NIC's link goes down (NICs themselves are part of
 * the guest's machine and must stay). */
static int edit_links(char **doc)
{
        struct vgl_hop_xel nic, link;
        int r;

        for (unsigned i = 0;; i++) {
                r = nth_interface(*doc, i, &nic);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
                r = vgl_hop_xml_child(*doc, &nic, "link", false, 0, &link);
                if (r == 0)
                        r = vgl_hop_xml_splice(doc, link.start, link.end, "<link state='down'/>");
                else if (r == -ENOENT && nic.close != nic.end)
                        r = vgl_hop_xml_splice(doc, nic.close, nic.close,
                                               "  <link state='down'/>\n    ");
                else if (r == -ENOENT)
                        r = -EBADMSG; /* <interface/> is not a NIC libvirt would write */
                if (r < 0)
                        return r;
        }
}

static int check_tier(const struct vgl_tier *t, struct vgl_error *err)
{
        if (!t || !t->name[0] || t->vcpus == 0 || t->memory_mib == 0 || t->cpu_quota_percent == 0 ||
            t->cpu_quota_percent > 100)
                return vgl_error_set(err, EINVAL, "hop: incomplete target tier");
        return 0;
}

static int rewrite(char **doc, const struct vgl_hop_plan *p, const struct vgl_tier *to,
                   const struct vgl_hop_opts *opts)
{
        int r = edit_cputune(doc, p->vcpu_quota);

        if (r == 0)
                r = edit_memtune(doc, opts ? opts->memory_hard_limit_kib : 0);
        if (r == 0)
                r = edit_tier(doc, to->name);
        if (r == 0 && to->network == VGL_NET_NONE)
                r = edit_links(doc);
        return r;
}

int vgl_hop_plan(const char *xml, const struct vgl_tier *to, const struct vgl_hop_opts *opts,
                 struct vgl_hop_plan *ret, struct vgl_error *err)
{
        struct vgl_hop_plan p = {.vcpu_quota = -1, .global_quota = -1};
        _cleanup_free_ char *doc = NULL;
        uint64_t max_kib = 0;
        int r = check_tier(to, err);

        if (r < 0)
                return r;
        if (!xml || read_vcpus(xml, &p.vcpus, err) < 0 ||
            read_max_memory_kib(xml, &max_kib, err) < 0)
                return xml ? -EBADMSG : vgl_error_set(err, EINVAL, "hop: no XML");
        if (to->cpu_quota_percent < 100)
                p.vcpu_quota = (long long)to->cpu_quota_percent * VGL_HOP_PERIOD_US / 100;
        /* vCPUs cannot go (their online state is part of the guest's
         * machine); the whole domain is held to the tier's CPU budget. */
        if (to->vcpus < p.vcpus)
                p.global_quota =
                        (long long)to->vcpus * to->cpu_quota_percent * VGL_HOP_PERIOD_US / 100;
        p.balloon_kib = to->memory_mib * 1024 < max_kib ? to->memory_mib * 1024 : max_kib;
        snprintf(p.tier, sizeof(p.tier), "%s", to->name);
        doc = strdup(xml);
        if (!doc)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = rewrite(&doc, &p, to, opts);
        if (r < 0)
                return r == -ENOMEM ? vgl_error_set(err, ENOMEM, "out of memory")
                                    : bad(err, "cannot edit it (malformed?)");
        p.xml = TAKE_PTR(doc);
        *ret = p;
        return 0;
}

void vgl_hop_plan_done(struct vgl_hop_plan *p)
{
        free(p->xml);
        p->xml = NULL;
}
