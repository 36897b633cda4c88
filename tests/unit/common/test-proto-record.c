/* Fixed-width binary payloads: heartbeat, resource samples, telemetry batches. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "proto.h"

static void test_heartbeat(void **state)
{
        struct vgl_heartbeat h = {
                .seq = 0x0102030405060708ull,
                .uptime_ms = 1834,
                .telemetry_dropped = UINT64_MAX,
                .running_commands = 3,
                .queued_bytes = 0xdeadbeef,
                .telemetry_sent = 42,
        };
        struct vgl_heartbeat got = {0};
        uint8_t wire[VGL_HEARTBEAT_SIZE + 1];

        vgl_heartbeat_encode(&h, wire);
        /* Little-endian on the wire whatever the host order. */
        assert_int_equal(wire[0], 0x08);
        assert_int_equal(wire[7], 0x01);
        assert_int_equal(vgl_heartbeat_decode(wire, VGL_HEARTBEAT_SIZE, &got), 0);
        assert_memory_equal(&got, &h, sizeof(h));

        struct vgl_heartbeat untouched = {.seq = 99};
        assert_int_equal(vgl_heartbeat_decode(wire, VGL_HEARTBEAT_SIZE - 1, &untouched), -EBADMSG);
        assert_int_equal(vgl_heartbeat_decode(wire, VGL_HEARTBEAT_SIZE + 1, &untouched), -EBADMSG);
        assert_int_equal(vgl_heartbeat_decode(wire, 0, &untouched), -EBADMSG);
        assert_int_equal(untouched.seq, 99);
}

static struct vgl_resource_sample sample(uint64_t seed)
{
        return (struct vgl_resource_sample){
                .time_ms = seed,
                .cpu_user_ticks = seed + 1,
                .cpu_system_ticks = seed + 2,
                .cpu_idle_ticks = seed + 3,
                .cpu_iowait_ticks = seed + 4,
                .mem_total_kb = seed + 5,
                .mem_available_kb = seed + 6,
                .load1_centi = (uint32_t)seed + 7,
                .load5_centi = (uint32_t)seed + 8,
                .load15_centi = (uint32_t)seed + 9,
                .procs_running = (uint32_t)seed + 10,
                .net_rx_bytes = seed + 11,
                .net_tx_bytes = seed + 12,
                .net_rx_packets = seed + 13,
                .net_tx_packets = seed + 14,
                .blk_read_sectors = seed + 15,
                .blk_write_sectors = UINT64_MAX - seed,
                .procs_total = (uint32_t)seed + 17,
                .ncpus = 0xffffffffu,
        };
}

static void test_resource_sample(void **state)
{
        struct vgl_resource_sample s = sample(1000), got = {0};
        uint8_t wire[VGL_RESOURCE_SAMPLE_SIZE + 8];

        memset(wire, 0xaa, sizeof(wire));
        vgl_resource_sample_encode(&s, wire);
        /* The 128 bytes end with ncpus; nothing is written past them. */
        assert_int_equal(wire[VGL_RESOURCE_SAMPLE_SIZE], 0xaa);
        assert_int_equal(vgl_get_le32(wire + 124), 0xffffffffu);
        assert_int_equal(vgl_get_le64(wire + 112), UINT64_MAX - 1000);
        assert_int_equal(vgl_resource_sample_decode(wire, VGL_RESOURCE_SAMPLE_SIZE, &got), 0);
        assert_memory_equal(&got, &s, sizeof(s));
        /* A newer, longer record decodes: extra bytes are ignored. */
        assert_int_equal(vgl_resource_sample_decode(wire, sizeof(wire), &got), 0);
        assert_memory_equal(&got, &s, sizeof(s));
        got.time_ms = 5;
        assert_int_equal(vgl_resource_sample_decode(wire, VGL_RESOURCE_SAMPLE_SIZE - 1, &got),
                         -EBADMSG);
        assert_int_equal(got.time_ms, 5);
}

static void test_telemetry_round_trip(void **state)
{
        uint8_t recs[3 * VGL_RESOURCE_SAMPLE_SIZE];
        struct vgl_buf b;
        struct vgl_telemetry_batch t;

        for (int i = 0; i < 3; i++) {
                struct vgl_resource_sample s = sample((uint64_t)i * 100);
                vgl_resource_sample_encode(&s, recs + i * VGL_RESOURCE_SAMPLE_SIZE);
        }
        vgl_buf_init(&b, 0);
        assert_int_equal(
                vgl_telemetry_frame_append(&b, VGL_REC_RESOURCE, VGL_RESOURCE_SAMPLE_SIZE, recs, 3),
                0);
        assert_int_equal(b.len, VGL_FRAME_HEADER_SIZE + 8 + sizeof(recs));
        assert_int_equal(b.data[5], VGL_MSG_TELEMETRY);
        assert_int_equal(vgl_get_le32(b.data + 8), 0);
        const uint8_t *p = b.data + VGL_FRAME_HEADER_SIZE;
        size_t len = b.len - VGL_FRAME_HEADER_SIZE;
        assert_int_equal(vgl_telemetry_batch_parse(p, len, &t), 0);
        assert_int_equal(t.record_type, VGL_REC_RESOURCE);
        assert_int_equal(t.record_size, VGL_RESOURCE_SAMPLE_SIZE);
        assert_int_equal(t.count, 3);
        assert_ptr_equal(t.records, p + 8);
        for (uint32_t i = 0; i < t.count; i++) {
                struct vgl_resource_sample got, want = sample((uint64_t)i * 100);
                assert_int_equal(vgl_resource_sample_decode(t.records + i * t.record_size,
                                                            t.record_size, &got),
                                 0);
                assert_memory_equal(&got, &want, sizeof(got));
        }
        vgl_buf_free(&b);
}

static void put_batch(uint8_t *p, uint16_t type, uint16_t size, uint32_t count)
{
        vgl_put_le16(p, type);
        vgl_put_le16(p + 2, size);
        vgl_put_le32(p + 4, count);
}

static void test_telemetry_bad_batches(void **state)
{
        static uint8_t p[8 + 4 * 136];
        struct vgl_telemetry_batch t = {.count = 77};

        assert_int_equal(vgl_telemetry_batch_parse(p, 0, &t), -EBADMSG);
        assert_int_equal(vgl_telemetry_batch_parse(p, 7, &t), -EBADMSG);
        /* record smaller than the known size */
        put_batch(p, VGL_REC_RESOURCE, 127, 1);
        assert_int_equal(vgl_telemetry_batch_parse(p, 8 + 127, &t), -EBADMSG);
        /* count * size does not match the rest: short, long */
        put_batch(p, VGL_REC_RESOURCE, 128, 2);
        assert_int_equal(vgl_telemetry_batch_parse(p, 8 + 128, &t), -EBADMSG);
        assert_int_equal(vgl_telemetry_batch_parse(p, 8 + 3 * 128, &t), -EBADMSG);
        /* a product that would wrap in 32 bits */
        put_batch(p, 9, 0xffff, 0x10001);
        assert_int_equal(vgl_telemetry_batch_parse(p, 8 + 0xffff, &t), -EBADMSG);
        put_batch(p, 9, 0, 0);
        assert_int_equal(vgl_telemetry_batch_parse(p, 8, &t), -EBADMSG);
        put_batch(p, 0, 4, 1);
        assert_int_equal(vgl_telemetry_batch_parse(p, 12, &t), -EBADMSG);
        assert_int_equal(t.count, 77);

        /* Larger records from a newer agent, and unknown record types, pass. */
        put_batch(p, VGL_REC_RESOURCE, 136, 4);
        assert_int_equal(vgl_telemetry_batch_parse(p, sizeof(p), &t), 0);
        assert_int_equal(t.count, 4);
        put_batch(p, VGL_REC_SYSCALL, 3, 2);
        assert_int_equal(vgl_telemetry_batch_parse(p, 14, &t), 0);
        put_batch(p, VGL_REC_RESOURCE, 128, 0);
        assert_int_equal(vgl_telemetry_batch_parse(p, 8, &t), 0);
        assert_int_equal(t.count, 0);
}

static void test_telemetry_append_limits(void **state)
{
        static uint8_t recs[VGL_FRAME_MAX_PAYLOAD];
        struct vgl_buf b;
        uint32_t fit = (VGL_FRAME_MAX_PAYLOAD - 8) / VGL_RESOURCE_SAMPLE_SIZE;

        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_telemetry_frame_append(&b, VGL_REC_RESOURCE, 100, recs, 1), -EINVAL);
        assert_int_equal(vgl_telemetry_frame_append(&b, 0, 200, recs, 1), -EINVAL);
        assert_int_equal(vgl_telemetry_frame_append(&b, VGL_REC_RESOURCE, 128, recs, fit + 1),
                         -EMSGSIZE);
        assert_int_equal(vgl_telemetry_frame_append(&b, 5, 0xffff, recs, 0xffffffffu), -EMSGSIZE);
        assert_int_equal(b.len, 0);
        assert_int_equal(vgl_telemetry_frame_append(&b, VGL_REC_RESOURCE, 128, recs, fit), 0);
        vgl_buf_free(&b);

        vgl_buf_init(&b, 100);
        assert_int_equal(vgl_telemetry_frame_append(&b, VGL_REC_RESOURCE, 128, recs, 1), -ENOBUFS);
        assert_int_equal(b.len, 0);
        vgl_buf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_heartbeat),
                cmocka_unit_test(test_resource_sample),
                cmocka_unit_test(test_telemetry_round_trip),
                cmocka_unit_test(test_telemetry_bad_batches),
                cmocka_unit_test(test_telemetry_append_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
