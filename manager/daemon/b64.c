/* See b64.h. */
#include "b64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int vgd_b64_encode(const uint8_t *data, size_t len, char **ret)
{
        size_t n = (len + 2) / 3 * 4;
        char *out = malloc(n + 1), *p = out;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t)data[i] << 16;
                if (i + 1 < len)
                        v |= (uint32_t)data[i + 1] << 8;
                if (i + 2 < len)
                        v |= data[i + 2];
                *p++ = alphabet[(v >> 18) & 63];
                *p++ = alphabet[(v >> 12) & 63];
                *p++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
                *p++ = i + 2 < len ? alphabet[v & 63] : '=';
        }
        *p = '\0';
        *ret = out;
        return 0;
}

static int value(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

int vgd_b64_decode(const char *text, size_t len, uint8_t **ret, size_t *ret_len)
{
        uint8_t *out, *p;

        if (len % 4)
                return -EINVAL;
        out = malloc(len / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        p = out;
        for (size_t i = 0; i < len; i += 4) {
                int v[4], pad = 0;
                bool last = i + 4 == len;
                for (int k = 0; k < 4; k++) {
                        char c = text[i + k];
                        if (c == '=' && last && k >= 2 && (k == 3 || text[i + 3] == '=')) {
                                v[k] = 0;
                                pad++;
                                continue;
                        }
                        if (pad || (v[k] = value(c)) < 0) {
                                free(out);
                                return -EINVAL;
                        }
                }
                uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                             (uint32_t)v[3];
                *p++ = (uint8_t)(x >> 16);
                if (pad < 2)
                        *p++ = (uint8_t)(x >> 8);
                if (pad < 1)
                        *p++ = (uint8_t)x;
        }
        *ret = out;
        *ret_len = (size_t)(p - out);
        return 0;
}
