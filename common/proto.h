/* The agent <-> host wire protocol: frames over a virtio-serial byte pipe.
 *
 * Every frame is a fixed 16-byte header followed by `length` payload bytes.
 * All integers are little-endian and encoded explicitly (never struct dumps).
 *
 *   offset size field
 *        0    4 magic    0x4c474956 ("VIGL" as bytes 56 49 47 4c)
 *        4    1 version  VGL_PROTO_VERSION
 *        5    1 type     enum vgl_msg_type
 *        6    2 flags    0 in version 1 (receivers reject other values)
 *        8    4 stream   exec id / transfer id; 0 for connection-level messages
 *       12    4 length   payload size, <= VGL_FRAME_MAX_PAYLOAD
 *
 * Payload kinds per type: JSON objects (control), raw bytes (stdio, file
 * data) or fixed-width binary records (heartbeat, telemetry). docs/protocol.md
 * documents every message and field. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define VGL_PROTO_VERSION     1
#define VGL_FRAME_MAGIC       0x4c474956u
#define VGL_FRAME_HEADER_SIZE 16u
#define VGL_FRAME_MAX_PAYLOAD (64u * 1024u)
#define VGL_FRAME_MAX_SIZE    (VGL_FRAME_HEADER_SIZE + VGL_FRAME_MAX_PAYLOAD)

/* Name of the virtio-serial port; the guest sees /sys/class/virtio-ports/vportNpM/name. */
#define VGL_AGENT_PORT_NAME "org.vigil.agent.0"

enum vgl_msg_type {
        /* connection level, stream 0 */
        VGL_MSG_HELLO = 1,     /* agent->host JSON: handshake */
        VGL_MSG_HELLO_ACK = 2, /* host->agent JSON: handshake accepted */
        VGL_MSG_ERROR = 3, /* either way JSON: {code, message, ref_type} (stream = ref stream) */
        VGL_MSG_HEARTBEAT = 4,  /* agent->host binary: struct vgl_heartbeat */
        VGL_MSG_TELEMETRY = 5,  /* agent->host binary: batch of fixed-width records */
        VGL_MSG_SHUTDOWN = 6,   /* host->agent JSON: {action: "poweroff"|"reboot"} */
        VGL_MSG_POLICY = 7,     /* host->agent JSON: permission set (see issue 4) */
        VGL_MSG_POLICY_ACK = 8, /* agent->host JSON: {generation} */

        /* command execution, stream = exec id chosen by the host (non-zero) */
        VGL_MSG_EXEC = 16,         /* host->agent JSON: struct vgl_exec_request */
        VGL_MSG_EXEC_STARTED = 17, /* agent->host JSON: {pid} */
        VGL_MSG_STDIN = 18,        /* host->agent raw bytes; empty payload = EOF */
        VGL_MSG_STDOUT = 19,       /* agent->host raw bytes; empty payload = EOF */
        VGL_MSG_STDERR = 20,       /* agent->host raw bytes; empty payload = EOF */
        VGL_MSG_EXEC_EXIT = 21, /* agent->host JSON: struct vgl_exec_exit (last frame of an exec) */
        VGL_MSG_SIGNAL = 22,    /* host->agent JSON: {signal} to the command's process group */

        /* file transfer, stream = transfer id chosen by the host (non-zero) */
        VGL_MSG_FILE_PUT = 32,    /* host->agent JSON: {path, size, mode}; FILE_DATA follows */
        VGL_MSG_FILE_GET = 33,    /* host->agent JSON: {path, max_size}; answered with FILE_DATA */
        VGL_MSG_FILE_DATA = 34,   /* either way raw chunk; empty payload = end of data */
        VGL_MSG_FILE_RESULT = 35, /* agent->host JSON: {ok, size, mode, error}; ends a transfer */
};

/* True if `type` is a message type this version knows. */
bool vgl_msg_type_known(uint8_t type);

/* Short lower-case name of a type ("hello", "exec-exit", ...), "unknown" otherwise. */
const char *vgl_msg_type_name(uint8_t type);

/* ---- little-endian helpers ---- */

static inline void vgl_put_le16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}
static inline void vgl_put_le32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}
static inline void vgl_put_le64(uint8_t *p, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t vgl_get_le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t vgl_get_le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t vgl_get_le64(const uint8_t *p)
{
        return (uint64_t)vgl_get_le32(p) | (uint64_t)vgl_get_le32(p + 4) << 32;
}

/* ---- frame encoding ---- */

/* Writes a frame header into out. -EMSGSIZE if length > VGL_FRAME_MAX_PAYLOAD. */
int vgl_frame_header_encode(uint8_t out[VGL_FRAME_HEADER_SIZE], uint8_t type, uint32_t stream,
                            uint32_t length);

/* Appends a whole frame (header + payload) to b. -EMSGSIZE if len is too
 * large, -ENOBUFS/-ENOMEM from the buffer; b is unchanged on failure. */
int vgl_frame_append(struct vgl_buf *b, uint8_t type, uint32_t stream, const void *payload,
                     size_t len);

/* ---- streaming decoder ---- */

struct vgl_frame {
        uint8_t version;
        uint8_t type;
        uint16_t flags;
        uint32_t stream;
        uint32_t length;
        const uint8_t *payload; /* valid only during the callback */
};

enum vgl_decode_error {
        VGL_DECODE_GARBAGE = 1,  /* bytes that are not a frame header were skipped */
        VGL_DECODE_OVERSIZE,     /* header announced length > VGL_FRAME_MAX_PAYLOAD; resynced */
        VGL_DECODE_BAD_VERSION,  /* header version != VGL_PROTO_VERSION; frame skipped */
        VGL_DECODE_BAD_FLAGS,    /* non-zero flags; frame skipped */
        VGL_DECODE_UNKNOWN_TYPE, /* well-formed frame of an unknown type; frame skipped */
        VGL_DECODE_TRUNCATED,    /* stream ended inside a frame (reported by vgl_decoder_finish) */
};

const char *vgl_decode_error_name(enum vgl_decode_error e);

struct vgl_decode_report {
        enum vgl_decode_error error;
        size_t bytes;    /* bytes skipped or lost */
        uint8_t version; /* for BAD_VERSION */
        uint8_t type;    /* for UNKNOWN_TYPE / BAD_VERSION / BAD_FLAGS */
        uint32_t length; /* announced length, for OVERSIZE */
};

/* Called for each complete, valid frame. Return < 0 to stop decoding: feed returns that value. */
typedef int (*vgl_frame_fn)(const struct vgl_frame *f, void *userdata);
/* Called for each malformed piece of the stream; decoding always continues afterwards. */
typedef void (*vgl_decode_error_fn)(const struct vgl_decode_report *r, void *userdata);

struct vgl_decoder_stats {
        uint64_t frames;
        uint64_t bytes;  /* bytes fed in total */
        uint64_t errors; /* reports issued */
        uint64_t skipped_bytes;
};

struct vgl_decoder;

/* Allocates a decoder; its whole buffer (VGL_FRAME_MAX_SIZE) is allocated here,
 * never in response to input. */
int vgl_decoder_new(vgl_frame_fn on_frame, vgl_decode_error_fn on_error, void *userdata,
                    struct vgl_decoder **ret);

/* Frees; accepts NULL and returns NULL. */
struct vgl_decoder *vgl_decoder_free(struct vgl_decoder *d);

/* Feeds any number of bytes: frames may be split across calls or several may
 * arrive in one. Returns 0, or the negative value returned by on_frame (the
 * remaining bytes of this chunk are then kept and decoded on the next feed;
 * vgl_decoder_feed(d, NULL, 0) resumes without new bytes). Frames that lie
 * wholly inside `data` are delivered in place, without a copy. Not reentrant:
 * the callbacks must not feed the same decoder. -ENOMEM (instead of on_frame's
 * value) if the unread rest could not be kept; those bytes are then reported
 * as garbage. */
int vgl_decoder_feed(struct vgl_decoder *d, const void *data, size_t len);

/* Tells the decoder the stream ended; reports TRUNCATED if a partial frame is
 * pending. Bytes still kept after a stop are decoded first (stop requests are
 * then ignored). The decoder is reset and may be fed a new stream afterwards. */
void vgl_decoder_finish(struct vgl_decoder *d);

/* Returns the decoder's counters. */
void vgl_decoder_get_stats(const struct vgl_decoder *d, struct vgl_decoder_stats *ret);

static inline void vgl_decoder_freep(struct vgl_decoder **d)
{
        *d = vgl_decoder_free(*d);
}

/* ---- binary messages ---- */

/* HEARTBEAT payload, 40 bytes:
 *   u64 seq, u64 uptime_ms (guest CLOCK_BOOTTIME), u64 telemetry_dropped (since boot),
 *   u32 running_commands, u32 queued_bytes (outbound queue), u64 telemetry_sent. */
#define VGL_HEARTBEAT_SIZE 40u
struct vgl_heartbeat {
        uint64_t seq;
        uint64_t uptime_ms;
        uint64_t telemetry_dropped;
        uint32_t running_commands;
        uint32_t queued_bytes;
        uint64_t telemetry_sent;
};
void vgl_heartbeat_encode(const struct vgl_heartbeat *h, uint8_t out[VGL_HEARTBEAT_SIZE]);
/* -EBADMSG if len != VGL_HEARTBEAT_SIZE. */
int vgl_heartbeat_decode(const uint8_t *p, size_t len, struct vgl_heartbeat *ret);

/* TELEMETRY payload: an 8-byte batch header then `count` records of `record_size` bytes:
 *   u16 record_type, u16 record_size, u32 count.
 * record_size may exceed the size this version knows (newer agents append
 * fields); it may not be smaller. count * record_size must equal the rest. */
#define VGL_TELEMETRY_HEADER_SIZE 8u
enum vgl_record_type {
        VGL_REC_RESOURCE = 1, /* struct vgl_resource_sample */
        VGL_REC_SYSCALL = 2,  /* reserved for the observation engine */
};

/* A resource sample read from /proc in the guest; 128 bytes on the wire,
 * fields in this order, each u64 unless noted. */
#define VGL_RESOURCE_SAMPLE_SIZE 128u
struct vgl_resource_sample {
        uint64_t time_ms;          /* guest CLOCK_BOOTTIME */
        uint64_t cpu_user_ticks;   /* /proc/stat cpu line, USER_HZ ticks (user + nice) */
        uint64_t cpu_system_ticks; /* system + irq + softirq */
        uint64_t cpu_idle_ticks;   /* idle */
        uint64_t cpu_iowait_ticks; /* iowait */
        uint64_t mem_total_kb;     /* /proc/meminfo MemTotal */
        uint64_t mem_available_kb; /* MemAvailable */
        uint32_t load1_centi;      /* /proc/loadavg x 100 (u32) */
        uint32_t load5_centi;      /* (u32) */
        uint32_t load15_centi;     /* (u32) */
        uint32_t procs_running;    /* (u32) */
        uint64_t net_rx_bytes;     /* /proc/net/dev, all interfaces but lo */
        uint64_t net_tx_bytes;
        uint64_t net_rx_packets;
        uint64_t net_tx_packets;
        uint64_t blk_read_sectors; /* /proc/diskstats, whole disks */
        uint64_t blk_write_sectors;
        uint32_t procs_total; /* (u32) processes in the guest */
        uint32_t ncpus;       /* (u32) online CPUs */
        uint64_t reserved;    /* not on the wire in version 1 (the 128 bytes end
                               * with ncpus): encoders ignore it, decoders set 0 */
};
void vgl_resource_sample_encode(const struct vgl_resource_sample *s,
                                uint8_t out[VGL_RESOURCE_SAMPLE_SIZE]);
/* -EBADMSG if len < VGL_RESOURCE_SAMPLE_SIZE; extra trailing bytes are ignored. */
int vgl_resource_sample_decode(const uint8_t *p, size_t len, struct vgl_resource_sample *ret);

struct vgl_telemetry_batch {
        uint16_t record_type;
        uint16_t record_size;
        uint32_t count;
        const uint8_t *records; /* count * record_size bytes, points into the payload */
};
/* Validates the batch header against len; -EBADMSG on any inconsistency
 * (size below the known minimum for a known type, count*size != rest). */
int vgl_telemetry_batch_parse(const uint8_t *p, size_t len, struct vgl_telemetry_batch *ret);

/* Appends a TELEMETRY frame with the given records (already encoded, record_size each). */
int vgl_telemetry_frame_append(struct vgl_buf *b, uint16_t record_type, uint16_t record_size,
                               const uint8_t *records, uint32_t count);
