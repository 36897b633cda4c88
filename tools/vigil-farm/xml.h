/* Writing XML 1.0 text and attribute values that any parser accepts,
 * whatever bytes a job printed: markup characters are escaped, carriage
 * returns and (in attributes) tabs and newlines are written as character
 * references so parsers keep them, and what XML 1.0 cannot carry (control
 * characters other than tab, newline and carriage return, U+FFFE, U+FFFF,
 * bytes that are not UTF-8) becomes U+FFFD. */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* Element content: s[0..len). */
void farm_xml_text(FILE *f, const char *s, size_t len);

/* An attribute value (without the quotes): the NUL-terminated s. */
void farm_xml_attr(FILE *f, const char *s);

/* The length of the valid UTF-8 sequence at s[0..len) and its code point in
 * *ret_cp, or 0 when the bytes there are not one (overlong forms, surrogates
 * and values above U+10FFFF are not). */
size_t farm_utf8_next(const unsigned char *s, size_t len, unsigned *ret_cp);
