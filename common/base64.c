/* Base64 encoding and strict decoding (RFC 4648 section 4). */
#include "base64.h"

#include <errno.h>
#include <stdlib.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t vgl_base64_encoded_len(size_t len)
{
        size_t groups = len / 3 + (len % 3 != 0);

        if (groups > SIZE_MAX / 4 - 1)
                return SIZE_MAX;
        return groups * 4;
}

static void encode_group(const uint8_t *in, size_t n, char *out)
{
        uint32_t v = (uint32_t)in[0] << 16;

        if (n > 1)
                v |= (uint32_t)in[1] << 8;
        if (n > 2)
                v |= in[2];
        out[0] = alphabet[(v >> 18) & 63];
        out[1] = alphabet[(v >> 12) & 63];
        out[2] = n > 1 ? alphabet[(v >> 6) & 63] : '=';
        out[3] = n > 2 ? alphabet[v & 63] : '=';
}

int vgl_base64_encode(const void *data, size_t len, char **ret)
{
        const uint8_t *in = data;
        size_t out_len = vgl_base64_encoded_len(len);
        char *out;

        if (out_len == SIZE_MAX)
                return -EOVERFLOW;
        out = malloc(out_len + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0, o = 0; i < len; i += 3, o += 4)
                encode_group(in + i, len - i < 3 ? len - i : 3, out + o);
        out[out_len] = '\0';
        *ret = out;
        return 0;
}

/* The 6-bit value of c, or -1 if c is not in the alphabet. */
static int sextet(char c)
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

/* Number of '=' at the end of a group-aligned text (0, 1 or 2). */
static size_t padding(const char *text, size_t len)
{
        if (len == 0 || text[len - 1] != '=')
                return 0;
        return text[len - 2] == '=' ? 2 : 1;
}

/* Decodes one 4-character group into out (3 - pad bytes). */
static int decode_group(const char *g, size_t pad, uint8_t *out, size_t at, struct vgl_error *err)
{
        uint32_t v = 0;

        for (size_t i = 0; i < 4; i++) {
                int s = i < 4 - pad ? sextet(g[i]) : 0;

                if (s < 0)
                        return vgl_error_set(err, EBADMSG,
                                             "base64: invalid character 0x%02x at offset %zu",
                                             (unsigned char)g[i], at + i);
                v = v << 6 | (uint32_t)s;
        }
        if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
                return vgl_error_set(err, EBADMSG, "base64: non-zero padding bits at offset %zu",
                                     at);
        out[0] = v >> 16;
        if (pad < 2)
                out[1] = (v >> 8) & 0xff;
        if (pad < 1)
                out[2] = v & 0xff;
        return 0;
}

int vgl_base64_decode(const char *text, size_t len, uint8_t **ret, size_t *ret_len,
                      struct vgl_error *err)
{
        size_t pad, out_len;
        uint8_t *out;

        if (len % 4 != 0)
                return vgl_error_set(err, EBADMSG, "base64: length %zu is not a multiple of 4",
                                     len);
        pad = padding(text, len);
        out_len = len / 4 * 3 - pad;
        out = malloc(out_len + 1);
        if (!out)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < len; i += 4) {
                size_t group_pad = i + 4 == len ? pad : 0;
                int r = decode_group(text + i, group_pad, out + i / 4 * 3, i, err);

                if (r < 0) {
                        free(out);
                        return r;
                }
        }
        out[out_len] = '\0';
        *ret = out;
        *ret_len = out_len;
        return 0;
}
