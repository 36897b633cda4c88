/* Frame encoding and message type names of the wire protocol. The streaming
 * decoder is in proto-decode.c, binary records in proto-record.c. */
#include "proto.h"

#include <errno.h>
#include <string.h>

static const char *const type_names[] = {
        [VGL_MSG_HELLO] = "hello",
        [VGL_MSG_HELLO_ACK] = "hello-ack",
        [VGL_MSG_ERROR] = "error",
        [VGL_MSG_HEARTBEAT] = "heartbeat",
        [VGL_MSG_TELEMETRY] = "telemetry",
        [VGL_MSG_SHUTDOWN] = "shutdown",
        [VGL_MSG_POLICY] = "policy",
        [VGL_MSG_POLICY_ACK] = "policy-ack",
        [VGL_MSG_EXEC] = "exec",
        [VGL_MSG_EXEC_STARTED] = "exec-started",
        [VGL_MSG_STDIN] = "stdin",
        [VGL_MSG_STDOUT] = "stdout",
        [VGL_MSG_STDERR] = "stderr",
        [VGL_MSG_EXEC_EXIT] = "exec-exit",
        [VGL_MSG_SIGNAL] = "signal",
        [VGL_MSG_FILE_PUT] = "file-put",
        [VGL_MSG_FILE_GET] = "file-get",
        [VGL_MSG_FILE_DATA] = "file-data",
        [VGL_MSG_FILE_RESULT] = "file-result",
};

bool vgl_msg_type_known(uint8_t type)
{
        return type < sizeof(type_names) / sizeof(type_names[0]) && type_names[type];
}

const char *vgl_msg_type_name(uint8_t type)
{
        return vgl_msg_type_known(type) ? type_names[type] : "unknown";
}

int vgl_frame_header_encode(uint8_t out[VGL_FRAME_HEADER_SIZE], uint8_t type, uint32_t stream,
                            uint32_t length)
{
        if (length > VGL_FRAME_MAX_PAYLOAD)
                return -EMSGSIZE;
        vgl_put_le32(out, VGL_FRAME_MAGIC);
        out[4] = VGL_PROTO_VERSION;
        out[5] = type;
        vgl_put_le16(out + 6, 0);
        vgl_put_le32(out + 8, stream);
        vgl_put_le32(out + 12, length);
        return 0;
}

int vgl_frame_append(struct vgl_buf *b, uint8_t type, uint32_t stream, const void *payload,
                     size_t len)
{
        if (len > VGL_FRAME_MAX_PAYLOAD)
                return -EMSGSIZE;
        /* Reserve first so a failure leaves b unchanged. */
        int r = vgl_buf_reserve(b, VGL_FRAME_HEADER_SIZE + len);
        if (r < 0)
                return r;
        uint8_t *p = b->data + b->len;
        (void)vgl_frame_header_encode(p, type, stream, (uint32_t)len);
        if (len)
                memcpy(p + VGL_FRAME_HEADER_SIZE, payload, len);
        b->len += VGL_FRAME_HEADER_SIZE + len;
        return 0;
}

const char *vgl_decode_error_name(enum vgl_decode_error e)
{
        switch (e) {
        case VGL_DECODE_GARBAGE:
                return "garbage";
        case VGL_DECODE_OVERSIZE:
                return "oversize";
        case VGL_DECODE_BAD_VERSION:
                return "bad-version";
        case VGL_DECODE_BAD_FLAGS:
                return "bad-flags";
        case VGL_DECODE_UNKNOWN_TYPE:
                return "unknown-type";
        case VGL_DECODE_TRUNCATED:
                return "truncated";
        }
        return "unknown";
}
