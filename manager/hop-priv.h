/* Internals of the hop shared by its files and exposed to the unit tests:
 * a small scanner that finds elements in an XML text and edits the text in
 * place, so every byte the hop does not mean to change stays as libvirt
 * wrote it (no parse-and-reserialise round trip, no extra dependency). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define VGL_HOP_XML_MAX (1u << 20) /* a domain XML larger than this is refused */

/* One element of a text: offsets into it. */
struct vgl_hop_xel {
        size_t start;          /* the '<' of the start tag */
        size_t open_end;       /* just past the start tag */
        size_t close;          /* the '<' of the end tag (= end for <x/>) */
        size_t end;            /* just past the element */
        size_t name, name_len; /* its qualified name */
};

/* The root element of xml[0..len) (after any prolog, comments and PIs).
 * -EBADMSG when the text is not one well-formed element. */
int vgl_hop_xml_root(const char *xml, size_t len, struct vgl_hop_xel *ret);

/* The first child element of parent starting at or after offset from
 * (0: from the first child) whose name is name: the qualified name, or the
 * local part only when local is true; NULL: any element. -ENOENT when there is none,
 * -EBADMSG on malformed content. */
int vgl_hop_xml_child(const char *xml, const struct vgl_hop_xel *parent, const char *name,
                      bool local, size_t from, struct vgl_hop_xel *ret);

/* The raw (still escaped) value of attribute name in el's start tag. */
bool vgl_hop_xml_attr(const char *xml, const struct vgl_hop_xel *el, const char *name,
                      size_t *ret_off, size_t *ret_len);

/* True when el has no child elements and its text is only whitespace. */
bool vgl_hop_xml_blank(const char *xml, const struct vgl_hop_xel *el);

/* Replaces (*doc)[start..end) with text; *doc is reallocated. -ENOMEM. */
int vgl_hop_xml_splice(char **doc, size_t start, size_t end, const char *text);
