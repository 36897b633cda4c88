/* libFuzzer harness of the varlink codec: NUL framing with the bounded
 * reader, then every framed message through the call and the reply
 * parsers. What parses must re-encode and parse back to the same thing.
 *
 * Input layout: byte 0 picks the feed chunk size (1..256 bytes), so the
 * fuzzer also explores messages split across reads; the rest is the stream. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varlink-codec.h"
#include "varlink-reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small enough that the fuzzer reaches the cap often. */
#define FUZZ_MAX_MESSAGE 4096

static void check_call(const char *msg, size_t len)
{
        struct vgl_varlink_request a = {0}, b = {0};
        struct vgl_buf out;

        if (vgl_varlink_request_parse(msg, len, &a, NULL) < 0)
                return;
        vgl_buf_init(&out, 0);
        if (vgl_varlink_call_append(&out, a.method, a.parameters, a.flags) < 0)
                abort();
        if (out.data[out.len - 1] != 0 || memchr(out.data, 0, out.len - 1))
                abort(); /* exactly one frame */
        if (vgl_varlink_request_parse((const char *)out.data, out.len - 1, &b, NULL) < 0)
                abort();
        if (strcmp(a.method, b.method) != 0 || a.flags != b.flags ||
            a.interface_len != b.interface_len || !json_object_equal(a.parameters, b.parameters))
                abort();
        vgl_buf_free(&out);
        vgl_varlink_request_done(&a);
        vgl_varlink_request_done(&b);
}

static void check_reply(const char *msg, size_t len)
{
        struct vgl_varlink_reply a = {0}, b = {0};
        struct vgl_buf out;
        int r;

        if (vgl_varlink_reply_parse(msg, len, &a, NULL) < 0)
                return;
        vgl_buf_init(&out, 0);
        r = a.error ? vgl_varlink_error_append(&out, a.error, a.parameters)
                    : vgl_varlink_reply_append(&out, a.parameters, a.continues);
        if (r < 0 || vgl_varlink_reply_parse((const char *)out.data, out.len - 1, &b, NULL) < 0)
                abort();
        if ((a.error == NULL) != (b.error == NULL) || (a.error && strcmp(a.error, b.error)) ||
            a.continues != b.continues || !json_object_equal(a.parameters, b.parameters))
                abort();
        vgl_buf_free(&out);
        vgl_varlink_reply_done(&a);
        vgl_varlink_reply_done(&b);
}

/* Takes every complete message out; returns -1 once the stream is over the cap. */
static int drain(struct vgl_varlink_reader *r)
{
        const char *msg = NULL;
        size_t len = 0;
        int n;

        while ((n = vgl_varlink_reader_next(r, &msg, &len)) > 0) {
                if (len > FUZZ_MAX_MESSAGE || msg[len] != '\0' || strlen(msg) != len)
                        abort();
                check_call(msg, len);
                check_reply(msg, len);
        }
        return n < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vgl_varlink_reader r;
        size_t chunk, off = 1;

        if (size < 1)
                return 0;
        chunk = (size_t)data[0] + 1;
        vgl_varlink_reader_init(&r, FUZZ_MAX_MESSAGE);
        while (off < size) {
                size_t want = size - off < chunk ? size - off : chunk;
                int n = vgl_varlink_reader_feed(&r, data + off, want);
                if (n < 0)
                        abort();
                off += (size_t)n;
                if (drain(&r) < 0)
                        break; /* a server cuts the client off here */
                if (n == 0 && vgl_varlink_reader_pending(&r) <= FUZZ_MAX_MESSAGE)
                        abort(); /* full, yet neither a message nor over the cap */
                if (r.buf.cap > FUZZ_MAX_MESSAGE + 1)
                        abort(); /* the bound on memory */
        }
        vgl_varlink_reader_done(&r);
        return 0;
}
