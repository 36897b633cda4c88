#include "fuzz-common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto-msg.h"
#include "proto-policy.h"

/* Frame view of the one frame at the start of b. */
static struct vgl_frame frame_of(const struct vgl_buf *b)
{
        if (b->len < VGL_FRAME_HEADER_SIZE)
                abort();
        return (struct vgl_frame){
                .version = b->data[4],
                .type = b->data[5],
                .stream = vgl_get_le32(b->data + 8),
                .length = vgl_get_le32(b->data + 12),
                .payload = b->data + VGL_FRAME_HEADER_SIZE,
        };
}

union msg {
        struct vgl_hello hello;
        struct vgl_hello_ack ack;
        struct vgl_error_msg error;
        struct vgl_exec_request exec;
        struct vgl_exec_exit exit;
        struct vgl_file_request file;
        struct vgl_file_result result;
        int64_t i64;
        int32_t i32;
        uint64_t u64;
        bool b;
};

/* Runs the typed parser for f; -ENOTSUP for types without one. */
static int parse_typed(const struct vgl_frame *f, union msg *m, struct vgl_error *err)
{
        switch (f->type) {
        case VGL_MSG_HELLO:
                return vgl_msg_hello_parse(f, &m->hello, err);
        case VGL_MSG_HELLO_ACK:
                return vgl_msg_hello_ack_parse(f, &m->ack, err);
        case VGL_MSG_ERROR:
                return vgl_msg_error_parse(f, &m->error, err);
        case VGL_MSG_SHUTDOWN:
                return vgl_msg_shutdown_parse(f, &m->b, err);
        case VGL_MSG_POLICY_ACK:
                return vgl_msg_policy_ack_parse(f, &m->u64, err);
        case VGL_MSG_EXEC:
                return vgl_msg_exec_parse(f, &m->exec, err);
        case VGL_MSG_EXEC_STARTED:
                return vgl_msg_exec_started_parse(f, &m->i64, err);
        case VGL_MSG_EXEC_EXIT:
                return vgl_msg_exec_exit_parse(f, &m->exit, err);
        case VGL_MSG_SIGNAL:
                return vgl_msg_signal_parse(f, &m->i32, err);
        case VGL_MSG_FILE_PUT:
        case VGL_MSG_FILE_GET:
                return vgl_msg_file_request_parse(f, &m->file, err);
        case VGL_MSG_FILE_RESULT:
                return vgl_msg_file_result_parse(f, &m->result, err);
        }
        return -ENOTSUP;
}

/* Encodes a parsed message of f's type and stream as a whole frame. */
static int encode_typed(const struct vgl_frame *f, const union msg *m, struct vgl_buf *out)
{
        switch (f->type) {
        case VGL_MSG_HELLO:
                return vgl_msg_hello_append(out, &m->hello);
        case VGL_MSG_HELLO_ACK:
                return vgl_msg_hello_ack_append(out, &m->ack);
        case VGL_MSG_ERROR:
                return vgl_msg_error_append(out, f->stream, m->error.code, m->error.ref_type,
                                            m->error.message);
        case VGL_MSG_SHUTDOWN:
                return vgl_msg_shutdown_append(out, m->b);
        case VGL_MSG_POLICY_ACK:
                return vgl_msg_policy_ack_append(out, m->u64);
        case VGL_MSG_EXEC:
                return vgl_msg_exec_append(out, f->stream, &m->exec);
        case VGL_MSG_EXEC_STARTED:
                return vgl_msg_exec_started_append(out, f->stream, m->i64);
        case VGL_MSG_EXEC_EXIT:
                return vgl_msg_exec_exit_append(out, f->stream, &m->exit);
        case VGL_MSG_SIGNAL:
                return vgl_msg_signal_append(out, f->stream, m->i32);
        case VGL_MSG_FILE_PUT:
                return vgl_msg_file_put_append(out, f->stream, m->file.path, m->file.size,
                                               m->file.mode);
        case VGL_MSG_FILE_GET:
                return vgl_msg_file_get_append(out, f->stream, m->file.path, m->file.size);
        case VGL_MSG_FILE_RESULT:
                return vgl_msg_file_result_append(out, f->stream, &m->result);
        }
        abort();
}

/* Parses f; if that succeeds, encodes the result into out (*ret_append). */
static int parse_encode(const struct vgl_frame *f, struct vgl_buf *out, int *ret_append,
                        struct vgl_error *err)
{
        union msg m;

        memset(&m, 0, sizeof(m));
        int r = parse_typed(f, &m, err);
        if (r < 0)
                return r;
        *ret_append = encode_typed(f, &m, out);
        if (f->type == VGL_MSG_EXEC)
                vgl_exec_request_done(&m.exec);
        return 0;
}

static int parse_binary(const struct vgl_frame *f, struct vgl_error *err)
{
        struct vgl_heartbeat h;
        struct vgl_telemetry_batch t;
        uint8_t again[VGL_HEARTBEAT_SIZE];

        if (f->type == VGL_MSG_HEARTBEAT) {
                if (vgl_heartbeat_decode(f->payload, f->length, &h) < 0)
                        return vgl_error_set(err, EBADMSG, "heartbeat: bad size");
                vgl_heartbeat_encode(&h, again);
                if (memcmp(again, f->payload, sizeof(again)) != 0)
                        abort();
                return 0;
        }
        if (vgl_telemetry_batch_parse(f->payload, f->length, &t) < 0)
                return vgl_error_set(err, EBADMSG, "telemetry: bad batch");
        for (uint32_t i = 0; t.record_type == VGL_REC_RESOURCE && i < t.count; i++) {
                struct vgl_resource_sample s;
                if (vgl_resource_sample_decode(t.records + (size_t)i * t.record_size, t.record_size,
                                               &s) < 0)
                        abort(); /* the batch parser promised record_size >= 128 */
        }
        return 0;
}

/* POLICY: strict parse; what parses must encode and parse back to the same set. */
static int parse_policy(const struct vgl_frame *f, struct vgl_error *err)
{
        struct vgl_policy *p = malloc(sizeof(*p)), *q = malloc(sizeof(*q));
        struct vgl_buf b;
        int r;

        if (!p || !q)
                abort();
        vgl_buf_init(&b, 0);
        r = vgl_msg_policy_parse(f, p, err);
        if (r >= 0) {
                if (vgl_msg_policy_append(&b, p) < 0)
                        abort();
                struct vgl_frame g = frame_of(&b);
                if (vgl_msg_policy_parse(&g, q, NULL) < 0 || memcmp(p, q, sizeof(*p)) != 0)
                        abort();
        }
        vgl_buf_free(&b);
        free(p);
        free(q);
        return r;
}

int fuzz_parse_frame(const struct vgl_frame *f, struct vgl_error *err)
{
        struct vgl_buf once, twice;
        int r;

        switch (f->type) {
        case VGL_MSG_STDIN:
        case VGL_MSG_STDOUT:
        case VGL_MSG_STDERR:
        case VGL_MSG_FILE_DATA:
                return 0;
        case VGL_MSG_HEARTBEAT:
        case VGL_MSG_TELEMETRY:
                return parse_binary(f, err);
        case VGL_MSG_POLICY:
                return parse_policy(f, err);
        }

        vgl_buf_init(&once, 0);
        vgl_buf_init(&twice, 0);
        int app = 0;
        r = parse_encode(f, &once, &app, err);
        if (r == -ENOTSUP)
                abort(); /* the decoder delivered a type nobody parses */
        if (r >= 0 && app < 0 && (app != -EMSGSIZE || once.len != 0))
                abort(); /* the encoder refused what the parser accepted */
        if (r >= 0 && app >= 0) {
                /* What was parsed must encode to a fixed point. (-EMSGSIZE above:
                 * JSON escapes may grow a text past the frame limit.) */
                struct vgl_frame g = frame_of(&once);
                struct vgl_error e2;
                int app2 = 0;
                if (parse_encode(&g, &twice, &app2, &e2) < 0 || app2 < 0 || once.len != twice.len ||
                    memcmp(once.data, twice.data, once.len) != 0)
                        abort();
        }
        vgl_buf_free(&once);
        vgl_buf_free(&twice);
        return r;
}

struct frame_ctx {
        struct fuzz_result res;
        size_t frame_bytes;
        size_t report_bytes;
        unsigned stop_every;
};

static int on_frame(const struct vgl_frame *f, void *userdata)
{
        struct frame_ctx *c = userdata;
        struct vgl_error err;

        if (f->length > VGL_FRAME_MAX_PAYLOAD || !vgl_msg_type_known(f->type) || f->flags ||
            f->version != VGL_PROTO_VERSION)
                abort();
        c->res.frames++;
        c->frame_bytes += VGL_FRAME_HEADER_SIZE + f->length;
        if (fuzz_parse_frame(f, &err) < 0)
                c->res.parse_fail++;
        else
                c->res.parse_ok++;
        if (c->stop_every && c->res.frames % c->stop_every == 0)
                return -ECANCELED;
        return 0;
}

static void on_error(const struct vgl_decode_report *r, void *userdata)
{
        struct frame_ctx *c = userdata;

        if (r->error < VGL_DECODE_GARBAGE || r->error > VGL_DECODE_TRUNCATED || r->bytes == 0)
                abort();
        if (c->res.nerr < FUZZ_MAX_ERRORS)
                c->res.errs[c->res.nerr] = r->error;
        c->res.nerr++;
        c->report_bytes += r->bytes;
}

void fuzz_frame_input(const uint8_t *data, size_t size, struct fuzz_result *ret)
{
        struct frame_ctx c = {0};
        struct vgl_decoder *d = NULL;
        struct vgl_decoder_stats st;
        uint32_t seed = size ? data[0] : 0;

        if (size == 0)
                return;
        data++;
        size--;
        c.stop_every = seed % 4;
        if (vgl_decoder_new(on_frame, on_error, &c, &d) < 0)
                abort();
        for (size_t pos = 0; pos < size;) {
                size_t n = size - pos;
                if (seed) {
                        seed = seed * 1103515245u + 12345u;
                        n = 1 + (seed >> 16) % (data[-1] * 8u);
                        if (n > size - pos)
                                n = size - pos;
                }
                int r = vgl_decoder_feed(d, data + pos, n);
                if (r < 0 && r != -ECANCELED)
                        abort();
                /* Resume now and then; otherwise leave the rest for the next feed. */
                if (r == -ECANCELED && (seed & 0x100))
                        (void)vgl_decoder_feed(d, NULL, 0);
                pos += n;
        }
        vgl_decoder_finish(d);
        vgl_decoder_get_stats(d, &st);
        if (st.bytes != size || st.frames != c.res.frames || st.errors != c.res.nerr ||
            st.skipped_bytes != c.report_bytes || c.frame_bytes + c.report_bytes != size)
                abort();
        vgl_decoder_free(d);
        if (ret)
                *ret = c.res;
}

int fuzz_msg_input(const uint8_t *data, size_t size, struct vgl_error *err)
{
        if (size < 2 || size - 2 > VGL_FRAME_MAX_PAYLOAD)
                return -EINVAL;
        struct vgl_frame f = {
                .version = VGL_PROTO_VERSION,
                .type = data[0],
                .stream = data[1],
                .length = (uint32_t)(size - 2),
                .payload = data + 2,
        };
        if (!vgl_msg_type_known(f.type))
                return -EINVAL;
        return fuzz_parse_frame(&f, err);
}
