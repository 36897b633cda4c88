#include "sampler.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"

static FILE *open_proc(const char *root, const char *name)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", root, name);
        return fopen(path, "re");
}

/* /proc/stat: the aggregate "cpu" line and one "cpuN" line per online CPU. */
static void read_stat(const char *root, struct vgl_resource_sample *s)
{
        _cleanup_fclose_ FILE *f = open_proc(root, "stat");
        char line[1024];
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                uint64_t v[8] = {0};
                if (strncmp(line, "cpu", 3) != 0)
                        continue;
                if (line[3] != ' ') {
                        s->ncpus++;
                        continue;
                }
                if (sscanf(line + 3,
                           "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                           " %" SCNu64 " %" SCNu64,
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 4)
                        continue;
                s->cpu_user_ticks = v[0] + v[1];
                s->cpu_system_ticks = v[2] + v[5] + v[6];
                s->cpu_idle_ticks = v[3];
                s->cpu_iowait_ticks = v[4];
        }
}

static void read_meminfo(const char *root, struct vgl_resource_sample *s)
{
        _cleanup_fclose_ FILE *f = open_proc(root, "meminfo");
        char line[256];
        uint64_t v;
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "MemTotal: %" SCNu64, &v) == 1)
                        s->mem_total_kb = v;
                else if (sscanf(line, "MemAvailable: %" SCNu64, &v) == 1)
                        s->mem_available_kb = v;
        }
}

/* Parses "12.34" into 1234 without floating point (exact, locale-free). */
static uint32_t centi(const char *p)
{
        uint64_t whole = 0, frac = 0;
        int digits = 0;
        for (; *p >= '0' && *p <= '9' && whole < 100000000; p++)
                whole = whole * 10 + (uint64_t)(*p - '0');
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9' && digits < 2; p++, digits++)
                        frac = frac * 10 + (uint64_t)(*p - '0');
        if (digits == 1)
                frac *= 10;
        return (uint32_t)(whole * 100 + frac);
}

static void read_loadavg(const char *root, struct vgl_resource_sample *s)
{
        _cleanup_fclose_ FILE *f = open_proc(root, "loadavg");
        char a[32], b[32], c[32];
        uint32_t running, total;
        if (!f)
                return;
        int n = fscanf(f, "%31s %31s %31s %" SCNu32 "/%" SCNu32, a, b, c, &running, &total);
        if (n < 3)
                return;
        s->load1_centi = centi(a);
        s->load5_centi = centi(b);
        s->load15_centi = centi(c);
        if (n == 5) {
                s->procs_running = running;
                s->procs_total = total;
        }
}

/* /proc/net/dev: "  eth0: rxbytes rxpkts 6 more... txbytes txpkts ..." per line. */
static void read_netdev(const char *root, struct vgl_resource_sample *s)
{
        _cleanup_fclose_ FILE *f = open_proc(root, "net/dev");
        char line[512];
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                char *colon = strchr(line, ':');
                uint64_t v[10];
                if (!colon)
                        continue;
                *colon = '\0';
                if (strcmp(line + strspn(line, " "), "lo") == 0)
                        continue;
                if (sscanf(colon + 1,
                           "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                           " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
                           &v[9]) != 10)
                        continue;
                s->net_rx_bytes += v[0];
                s->net_rx_packets += v[1];
                s->net_tx_bytes += v[8];
                s->net_tx_packets += v[9];
        }
}

/* Whole disks only: partitions would count the same sectors twice. sysfs is
 * looked up beside proc_root ("/proc/../sys"), so a fake tree can hold both. */
static int is_partition(const char *root, const char *name)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/../sys/class/block/%s/partition", root, name);
        FILE *f = fopen(path, "re");
        if (f)
                fclose(f);
        return f != NULL;
}

static void read_diskstats(const char *root, struct vgl_resource_sample *s)
{
        _cleanup_fclose_ FILE *f = open_proc(root, "diskstats");
        char line[512], name[64];
        unsigned major, minor;
        uint64_t rd_ios, rd_merges, rd_sect, rd_ms, wr_ios, wr_merges, wr_sect;
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line,
                           "%u %u %63s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                           " %" SCNu64 " %" SCNu64,
                           &major, &minor, name, &rd_ios, &rd_merges, &rd_sect, &rd_ms, &wr_ios,
                           &wr_merges, &wr_sect) != 10)
                        continue;
                /* Virtual devices (loop, ram, dm) and partitions are not disks. */
                if (strncmp(name, "loop", 4) == 0 || strncmp(name, "ram", 3) == 0 ||
                    strncmp(name, "dm-", 3) == 0 || is_partition(root, name))
                        continue;
                s->blk_read_sectors += rd_sect;
                s->blk_write_sectors += wr_sect;
        }
}

void vgl_sampler_read(const char *proc_root, uint64_t time_ms, struct vgl_resource_sample *ret)
{
        struct vgl_resource_sample s = {.time_ms = time_ms};
        read_stat(proc_root, &s);
        read_meminfo(proc_root, &s);
        read_loadavg(proc_root, &s);
        read_netdev(proc_root, &s);
        read_diskstats(proc_root, &s);
        *ret = s;
}
