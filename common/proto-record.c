/* Fixed-width binary payloads: heartbeat, telemetry batches, resource samples. */
#include "proto.h"

#include <errno.h>
#include <string.h>

void vgl_heartbeat_encode(const struct vgl_heartbeat *h, uint8_t out[VGL_HEARTBEAT_SIZE])
{
        vgl_put_le64(out, h->seq);
        vgl_put_le64(out + 8, h->uptime_ms);
        vgl_put_le64(out + 16, h->telemetry_dropped);
        vgl_put_le32(out + 24, h->running_commands);
        vgl_put_le32(out + 28, h->queued_bytes);
        vgl_put_le64(out + 32, h->telemetry_sent);
}

int vgl_heartbeat_decode(const uint8_t *p, size_t len, struct vgl_heartbeat *ret)
{
        if (len != VGL_HEARTBEAT_SIZE)
                return -EBADMSG;
        *ret = (struct vgl_heartbeat){
                .seq = vgl_get_le64(p),
                .uptime_ms = vgl_get_le64(p + 8),
                .telemetry_dropped = vgl_get_le64(p + 16),
                .running_commands = vgl_get_le32(p + 24),
                .queued_bytes = vgl_get_le32(p + 28),
                .telemetry_sent = vgl_get_le64(p + 32),
        };
        return 0;
}

void vgl_resource_sample_encode(const struct vgl_resource_sample *s,
                                uint8_t out[VGL_RESOURCE_SAMPLE_SIZE])
{
        vgl_put_le64(out + 0, s->time_ms);
        vgl_put_le64(out + 8, s->cpu_user_ticks);
        vgl_put_le64(out + 16, s->cpu_system_ticks);
        vgl_put_le64(out + 24, s->cpu_idle_ticks);
        vgl_put_le64(out + 32, s->cpu_iowait_ticks);
        vgl_put_le64(out + 40, s->mem_total_kb);
        vgl_put_le64(out + 48, s->mem_available_kb);
        vgl_put_le32(out + 56, s->load1_centi);
        vgl_put_le32(out + 60, s->load5_centi);
        vgl_put_le32(out + 64, s->load15_centi);
        vgl_put_le32(out + 68, s->procs_running);
        vgl_put_le64(out + 72, s->net_rx_bytes);
        vgl_put_le64(out + 80, s->net_tx_bytes);
        vgl_put_le64(out + 88, s->net_rx_packets);
        vgl_put_le64(out + 96, s->net_tx_packets);
        vgl_put_le64(out + 104, s->blk_read_sectors);
        vgl_put_le64(out + 112, s->blk_write_sectors);
        vgl_put_le32(out + 120, s->procs_total);
        vgl_put_le32(out + 124, s->ncpus);
        /* `reserved` has no room in the 128 bytes: it is implied 0. */
}

int vgl_resource_sample_decode(const uint8_t *p, size_t len, struct vgl_resource_sample *ret)
{
        if (len < VGL_RESOURCE_SAMPLE_SIZE)
                return -EBADMSG;
        *ret = (struct vgl_resource_sample){
                .time_ms = vgl_get_le64(p + 0),
                .cpu_user_ticks = vgl_get_le64(p + 8),
                .cpu_system_ticks = vgl_get_le64(p + 16),
                .cpu_idle_ticks = vgl_get_le64(p + 24),
                .cpu_iowait_ticks = vgl_get_le64(p + 32),
                .mem_total_kb = vgl_get_le64(p + 40),
                .mem_available_kb = vgl_get_le64(p + 48),
                .load1_centi = vgl_get_le32(p + 56),
                .load5_centi = vgl_get_le32(p + 60),
                .load15_centi = vgl_get_le32(p + 64),
                .procs_running = vgl_get_le32(p + 68),
                .net_rx_bytes = vgl_get_le64(p + 72),
                .net_tx_bytes = vgl_get_le64(p + 80),
                .net_rx_packets = vgl_get_le64(p + 88),
                .net_tx_packets = vgl_get_le64(p + 96),
                .blk_read_sectors = vgl_get_le64(p + 104),
                .blk_write_sectors = vgl_get_le64(p + 112),
                .procs_total = vgl_get_le32(p + 120),
                .ncpus = vgl_get_le32(p + 124),
        };
        return 0;
}

/* Smallest record_size accepted for a record type; unknown types need >= 1. */
static uint16_t record_min_size(uint16_t type)
{
        return type == VGL_REC_RESOURCE ? VGL_RESOURCE_SAMPLE_SIZE : 1;
}

int vgl_telemetry_batch_parse(const uint8_t *p, size_t len, struct vgl_telemetry_batch *ret)
{
        if (len < VGL_TELEMETRY_HEADER_SIZE)
                return -EBADMSG;
        uint16_t type = vgl_get_le16(p);
        uint16_t size = vgl_get_le16(p + 2);
        uint32_t count = vgl_get_le32(p + 4);
        if (type == 0 || size < record_min_size(type))
                return -EBADMSG;
        /* 64-bit product: count * size cannot overflow it. */
        if ((uint64_t)count * size != len - VGL_TELEMETRY_HEADER_SIZE)
                return -EBADMSG;
        *ret = (struct vgl_telemetry_batch){
                .record_type = type,
                .record_size = size,
                .count = count,
                .records = p + VGL_TELEMETRY_HEADER_SIZE,
        };
        return 0;
}

int vgl_telemetry_frame_append(struct vgl_buf *b, uint16_t record_type, uint16_t record_size,
                               const uint8_t *records, uint32_t count)
{
        if (record_type == 0 || record_size < record_min_size(record_type))
                return -EINVAL;
        uint64_t body = (uint64_t)count * record_size;
        if (body > VGL_FRAME_MAX_PAYLOAD - VGL_TELEMETRY_HEADER_SIZE)
                return -EMSGSIZE;
        size_t payload = VGL_TELEMETRY_HEADER_SIZE + (size_t)body;
        int r = vgl_buf_reserve(b, VGL_FRAME_HEADER_SIZE + payload);
        if (r < 0)
                return r;
        uint8_t *out = b->data + b->len;
        (void)vgl_frame_header_encode(out, VGL_MSG_TELEMETRY, 0, (uint32_t)payload);
        out += VGL_FRAME_HEADER_SIZE;
        vgl_put_le16(out, record_type);
        vgl_put_le16(out + 2, record_size);
        vgl_put_le32(out + 4, count);
        if (body)
                memcpy(out + VGL_TELEMETRY_HEADER_SIZE, records, (size_t)body);
        b->len += VGL_FRAME_HEADER_SIZE + payload;
        return 0;
}
