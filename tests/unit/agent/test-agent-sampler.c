/* Resource sampling from /proc, from a fake tree, a partial tree and the real one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sampler.h"

static char root[] = "/tmp/vigil-sampler.XXXXXX";
static char proc[300];

static void put(const char *name, const char *text)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", root, name);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void test_fake_proc(void **state)
{
        struct vgl_resource_sample s;
        put("proc/stat", "cpu  100 5 30 1000 7 2 3 0 0 0\ncpu0 50 0 15 500 3 1 1 0 0 0\n"
                         "cpu1 50 5 15 500 4 1 2 0 0 0\nintr 12345\n");
        put("proc/meminfo", "MemTotal:        2048000 kB\nMemFree:  100 kB\n"
                            "MemAvailable:    1024000 kB\n");
        put("proc/loadavg", "0.50 1.05 2.5 3/177 4242\n");
        put("proc/net/dev",
            "Inter-|   Receive                                                |  Transmit\n"
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    "
            "packets errs drop fifo colls carrier compressed\n"
            "    lo: 999 9 0 0 0 0 0 0 999 9 0 0 0 0 0 0\n"
            "  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n"
            "  eth1: 1 1 0 0 0 0 0 0 2 2 0 0 0 0 0 0\n");
        put("proc/diskstats", " 254 0 vda 10 0 800 5 20 0 1600 9 0 0 0\n"
                              " 254 1 vda1 5 0 400 5 10 0 800 9 0 0 0\n"
                              "   7 0 loop0 1 0 8 0 0 0 0 0 0 0 0\n");
        put("sys/class/block/vda1/partition", "1\n");

        vgl_sampler_read(proc, 4321, &s);
        assert_int_equal(s.time_ms, 4321);
        assert_int_equal(s.cpu_user_ticks, 105);
        assert_int_equal(s.cpu_system_ticks, 35);
        assert_int_equal(s.cpu_idle_ticks, 1000);
        assert_int_equal(s.cpu_iowait_ticks, 7);
        assert_int_equal(s.ncpus, 2);
        assert_int_equal(s.mem_total_kb, 2048000);
        assert_int_equal(s.mem_available_kb, 1024000);
        assert_int_equal(s.load1_centi, 50);
        assert_int_equal(s.load5_centi, 105);
        assert_int_equal(s.load15_centi, 250);
        assert_int_equal(s.procs_running, 3);
        assert_int_equal(s.procs_total, 177);
        assert_int_equal(s.net_rx_bytes, 1001);
        assert_int_equal(s.net_tx_bytes, 2002);
        assert_int_equal(s.net_rx_packets, 11);
        assert_int_equal(s.net_tx_packets, 22);
        assert_int_equal(s.blk_read_sectors, 800);
        assert_int_equal(s.blk_write_sectors, 1600);
        assert_int_equal(s.reserved, 0);
}

static void test_missing_and_garbage(void **state)
{
        struct vgl_resource_sample s, zero = {.time_ms = 1};
        vgl_sampler_read("/nonexistent-proc", 1, &s);
        assert_memory_equal(&s, &zero, sizeof(s));

        put("proc/stat", "cpu garbage\n\n\x01\x02");
        put("proc/meminfo", "MemTotal: lots\n");
        put("proc/loadavg", "x");
        put("proc/net/dev", "eth0: 1 2 3\n:::\n");
        put("proc/diskstats", "nonsense\n");
        vgl_sampler_read(proc, 1, &s);
        assert_int_equal(s.cpu_user_ticks, 0);
        assert_int_equal(s.mem_total_kb, 0);
        assert_int_equal(s.net_rx_bytes, 0);
        assert_int_equal(s.blk_read_sectors, 0);
}

static void test_real_proc(void **state)
{
        struct vgl_resource_sample s;
        vgl_sampler_read("/proc", 5, &s);
        assert_true(s.mem_total_kb > 0);
        assert_true(s.ncpus >= 1);
        assert_true(s.cpu_user_ticks + s.cpu_system_ticks + s.cpu_idle_ticks > 0);
        assert_true(s.procs_total >= 1);
}

static int setup(void **state)
{
        char path[512];
        if (!mkdtemp(root))
                return -1;
        snprintf(proc, sizeof(proc), "%s/proc", root);
        snprintf(path, sizeof(path), "mkdir -p '%s/proc/net' '%s/sys/class/block/vda1'", root,
                 root);
        return system(path) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fake_proc),
                cmocka_unit_test(test_missing_and_garbage),
                cmocka_unit_test(test_real_proc),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
