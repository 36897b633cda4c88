/* A bounded scanner over XML text (see hop-priv.h). It knows tags,
 * attributes, comments, CDATA and processing instructions; every scan stops
 * at the end of the text or of the parent element, so malformed input
 * (the metadata part of a domain XML is user-editable) ends in -EBADMSG. */
#include "hop-priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum tok_kind { TOK_END = 0, TOK_OPEN, TOK_EMPTY, TOK_CLOSE };

struct tok {
        enum tok_kind kind;
        size_t start, end; /* the tag */
        size_t name, name_len;
};

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_char(char c)
{
        return c != '\0' && !is_space(c) && !strchr("<>/=\"'", c);
}

static size_t skip_space(const char *s, size_t q, size_t end)
{
        while (q < end && is_space(s[q]))
                q++;
        return q;
}

static size_t name_len(const char *s, size_t q, size_t end)
{
        size_t n = 0;

        while (q + n < end && is_name_char(s[q + n]))
                n++;
        return n;
}

static bool starts(const char *s, size_t p, size_t end, const char *lit)
{
        size_t n = strlen(lit);

        return end - p >= n && memcmp(s + p, lit, n) == 0;
}

/* Offset just past the first `lit` at or after p, or 0 when there is none. */
static size_t past(const char *s, size_t p, size_t end, const char *lit)
{
        const char *f = memmem(s + p, end - p, lit, strlen(lit));

        return f ? (size_t)(f - s) + strlen(lit) : 0;
}

/* One attribute at q: name = 'value' or "value". Returns the offset past
 * it, or 0 when malformed. */
static size_t attribute(const char *s, size_t q, size_t end, size_t *an, size_t *alen,
                        size_t *vstart, size_t *vlen)
{
        const char *close;

        *an = q;
        *alen = name_len(s, q, end);
        q = skip_space(s, q + *alen, end);
        if (*alen == 0 || q >= end || s[q] != '=')
                return 0;
        q = skip_space(s, q + 1, end);
        if (q >= end || (s[q] != '\'' && s[q] != '"'))
                return 0;
        close = memchr(s + q + 1, s[q], end - q - 1);
        if (!close)
                return 0;
        *vstart = q + 1;
        *vlen = (size_t)(close - s) - *vstart;
        return (size_t)(close - s) + 1;
}

static int start_tag(const char *s, size_t p, size_t end, struct tok *t)
{
        size_t q, an, alen, vs, vl;

        t->name = p + 1;
        t->name_len = name_len(s, t->name, end);
        if (t->name_len == 0)
                return -EBADMSG;
        for (q = t->name + t->name_len;;) {
                q = skip_space(s, q, end);
                if (q >= end)
                        return -EBADMSG;
                if (s[q] == '>' || starts(s, q, end, "/>")) {
                        t->kind = s[q] == '>' ? TOK_OPEN : TOK_EMPTY;
                        t->end = q + (s[q] == '>' ? 1 : 2);
                        return 0;
                }
                q = attribute(s, q, end, &an, &alen, &vs, &vl);
                if (q == 0)
                        return -EBADMSG;
        }
}

static int end_tag(const char *s, size_t p, size_t end, struct tok *t)
{
        size_t q;

        t->kind = TOK_CLOSE;
        t->name = p + 2;
        t->name_len = name_len(s, t->name, end);
        q = skip_space(s, t->name + t->name_len, end);
        if (t->name_len == 0 || q >= end || s[q] != '>')
                return -EBADMSG;
        t->end = q + 1;
        return 0;
}

/* The next tag at or after pos, skipping text, comments, CDATA, PIs and a
 * DOCTYPE without internal subset. TOK_END when there is none before end. */
static int next_tag(const char *s, size_t pos, size_t end, struct tok *t)
{
        for (;;) {
                const char *lt = pos < end ? memchr(s + pos, '<', end - pos) : NULL;
                size_t p, q;

                if (!lt) {
                        t->kind = TOK_END;
                        return 0;
                }
                p = (size_t)(lt - s);
                t->start = p;
                if (starts(s, p, end, "<!--"))
                        q = past(s, p + 4, end, "-->");
                else if (starts(s, p, end, "<![CDATA["))
                        q = past(s, p + 9, end, "]]>");
                else if (starts(s, p, end, "<?"))
                        q = past(s, p + 2, end, "?>");
                else if (starts(s, p, end, "<!")) {
                        q = past(s, p + 2, end, ">");
                        if (q && memchr(s + p, '[', q - p))
                                return -EBADMSG; /* internal subsets: entities, refused */
                } else if (starts(s, p, end, "</"))
                        return end_tag(s, p, end, t);
                else
                        return start_tag(s, p, end, t);
                if (q == 0)
                        return -EBADMSG;
                pos = q;
        }
}

static bool same_name(const char *s, size_t a, size_t alen, size_t b, size_t blen)
{
        return alen == blen && memcmp(s + a, s + b, alen) == 0;
}

/* The extent of the element whose start tag is open, within end. */
static int element(const char *s, size_t end, const struct tok *open, struct vgl_hop_xel *ret)
{
        size_t pos = open->end, depth = 1;
        struct tok t;
        int r;

        *ret = (struct vgl_hop_xel){open->start, open->end,  open->end,
                                    open->end,   open->name, open->name_len};
        if (open->kind == TOK_EMPTY)
                return 0;
        for (;;) {
                r = next_tag(s, pos, end, &t);
                if (r < 0)
                        return r;
                if (t.kind == TOK_END)
                        return -EBADMSG;
                if (t.kind == TOK_OPEN)
                        depth++;
                else if (t.kind == TOK_CLOSE && --depth == 0) {
                        if (!same_name(s, t.name, t.name_len, open->name, open->name_len))
                                return -EBADMSG;
                        ret->close = t.start;
                        ret->end = t.end;
                        return 0;
                }
                pos = t.end;
        }
}

int vgl_hop_xml_root(const char *xml, size_t len, struct vgl_hop_xel *ret)
{
        struct vgl_hop_xel el;
        struct tok t;
        int r;

        if (len > VGL_HOP_XML_MAX || memchr(xml, '\0', len))
                return -EBADMSG;
        r = next_tag(xml, 0, len, &t);
        if (r < 0 || (t.kind != TOK_OPEN && t.kind != TOK_EMPTY))
                return -EBADMSG;
        r = element(xml, len, &t, &el);
        if (r < 0)
                return r;
        r = next_tag(xml, el.end, len, &t);
        if (r < 0 || t.kind != TOK_END)
                return -EBADMSG;
        *ret = el;
        return 0;
}

static bool name_is(const char *s, const struct vgl_hop_xel *el, const char *name, bool local)
{
        size_t off = el->name, n = el->name_len;

        if (!name)
                return true;
        if (local) {
                const char *colon = memrchr(s + off, ':', n);

                if (colon) {
                        n -= (size_t)(colon - (s + off)) + 1;
                        off = (size_t)(colon - s) + 1;
                }
        }
        return n == strlen(name) && memcmp(s + off, name, n) == 0;
}

int vgl_hop_xml_child(const char *xml, const struct vgl_hop_xel *parent, const char *name,
                      bool local, size_t from, struct vgl_hop_xel *ret)
{
        size_t pos = from > parent->open_end ? from : parent->open_end;
        struct vgl_hop_xel el;
        struct tok t;
        int r;

        while (pos < parent->close) {
                r = next_tag(xml, pos, parent->close, &t);
                if (r < 0)
                        return r;
                if (t.kind == TOK_END)
                        break;
                if (t.kind == TOK_CLOSE)
                        return -EBADMSG;
                r = element(xml, parent->close, &t, &el);
                if (r < 0)
                        return r;
                if (name_is(xml, &el, name, local)) {
                        *ret = el;
                        return 0;
                }
                pos = el.end;
        }
        return -ENOENT;
}

bool vgl_hop_xml_attr(const char *xml, const struct vgl_hop_xel *el, const char *name,
                      size_t *ret_off, size_t *ret_len)
{
        size_t q = el->name + el->name_len, an, alen, vs, vl;

        for (;;) {
                q = skip_space(xml, q, el->open_end);
                if (q >= el->open_end || xml[q] == '>' || xml[q] == '/')
                        return false;
                q = attribute(xml, q, el->open_end, &an, &alen, &vs, &vl);
                if (q == 0)
                        return false;
                if (alen == strlen(name) && memcmp(xml + an, name, alen) == 0) {
                        *ret_off = vs;
                        *ret_len = vl;
                        return true;
                }
        }
}

bool vgl_hop_xml_blank(const char *xml, const struct vgl_hop_xel *el)
{
        for (size_t i = el->open_end; i < el->close; i++)
                if (!is_space(xml[i]))
                        return false;
        return true;
}

int vgl_hop_xml_splice(char **doc, size_t start, size_t end, const char *text)
{
        size_t len = strlen(*doc), n = strlen(text);
        char *out;

        if (start > end || end > len)
                return -EINVAL;
        out = malloc(len - (end - start) + n + 1);
        if (!out)
                return -ENOMEM;
        memcpy(out, *doc, start);
        memcpy(out + start, text, n);
        memcpy(out + start + n, *doc + end, len - end + 1);
        free(*doc);
        *doc = out;
        return 0;
}
