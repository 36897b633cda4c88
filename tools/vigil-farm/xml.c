/* XML 1.0 escaping (see xml.h). */
#include <stdbool.h>
#include <string.h>

#include "xml.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

size_t farm_utf8_next(const unsigned char *s, size_t len, unsigned *ret_cp)
{
        unsigned cp, min;
        size_t n;

        if (len == 0)
                return 0;
        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0)
                n = 2, cp = s[0] & 0x1f, min = 0x80;
        else if ((s[0] & 0xf0) == 0xe0)
                n = 3, cp = s[0] & 0x0f, min = 0x800;
        else if ((s[0] & 0xf8) == 0xf0)
                n = 4, cp = s[0] & 0x07, min = 0x10000;
        else
                return 0;
        if (len < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return n;
}

/* Characters XML 1.0 allows (its production Char). */
static bool xml_char(unsigned cp)
{
        if (cp < 0x20)
                return cp == '\t' || cp == '\n' || cp == '\r';
        return cp != 0xfffe && cp != 0xffff;
}

/* What stands for cp, or NULL when it is written as it is. */
static const char *entity(unsigned cp, bool attr)
{
        static const char *const text[128] = {
                ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['\r'] = "&#13;"};
        static const char *const in_attr[128] = {
                ['&'] = "&amp;",  ['<'] = "&lt;",    ['>'] = "&gt;",   ['\r'] = "&#13;",
                ['"'] = "&quot;", ['\''] = "&apos;", ['\n'] = "&#10;", ['\t'] = "&#9;"};

        if (cp >= 128)
                return NULL;
        return attr ? in_attr[cp] : text[cp];
}

static void escape(FILE *f, const char *s, size_t len, bool attr)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;

        while (i < len) {
                unsigned cp = 0;
                size_t n = farm_utf8_next(p + i, len - i, &cp);
                const char *e;

                if (n == 0 || !xml_char(cp)) {
                        fputs(REPLACEMENT, f);
                        i += n ? n : 1;
                        continue;
                }
                e = entity(cp, attr);
                if (e)
                        fputs(e, f);
                else
                        fwrite(p + i, 1, n, f);
                i += n;
        }
}

void farm_xml_text(FILE *f, const char *s, size_t len)
{
        escape(f, s, len, false);
}

void farm_xml_attr(FILE *f, const char *s)
{
        escape(f, s, strlen(s), true);
}
