/* Behaviour: resource_burst against rolling baselines (EWMA, weight 1/8).
 * Guest counters are untrusted: every delta is computed without overflow
 * and a counter going backwards restarts the baseline instead of producing
 * a figure. */
#include "behaviour-priv.h"

static uint64_t ewma(uint64_t base, uint64_t x)
{
        return x >= base ? base + (x - base) / 8 : base - (base - x) / 8;
}

static bool backwards(const struct vgl_resource_sample *p, const struct vgl_resource_sample *s)
{
        return s->time_ms <= p->time_ms || s->cpu_user_ticks < p->cpu_user_ticks ||
               s->cpu_system_ticks < p->cpu_system_ticks || s->cpu_idle_ticks < p->cpu_idle_ticks ||
               s->cpu_iowait_ticks < p->cpu_iowait_ticks;
}

/* Busy per mille between two samples, or -1 when no time passed on the CPUs. */
static int busy_permille(const struct vgl_resource_sample *p, const struct vgl_resource_sample *s)
{
        double busy = (double)(s->cpu_user_ticks - p->cpu_user_ticks) +
                      (double)(s->cpu_system_ticks - p->cpu_system_ticks);
        double total = busy + (double)(s->cpu_idle_ticks - p->cpu_idle_ticks) +
                       (double)(s->cpu_iowait_ticks - p->cpu_iowait_ticks);

        if (total <= 0)
                return -1;
        return (int)(busy * 1000.0 / total + 0.5);
}

bool vgl_bhv_burst_resource(struct vgl_bhv_baseline *bl, struct vgl_bhv_event *ev)
{
        const struct vgl_resource_sample *s = &ev->u.res;
        uint64_t used = s->mem_total_kb - s->mem_available_kb; /* validated: no wrap */
        uint64_t jump;
        bool burst = false;
        int cpu;

        ev->mem_used_kb = used;
        if (bl->have_prev && backwards(&bl->prev, s)) {
                bl->samples = 0; /* a rebooted guest or a lying one: start again */
        } else if (bl->have_prev && (cpu = busy_permille(&bl->prev, s)) >= 0) {
                ev->cpu_permille = (uint32_t)cpu;
                if (bl->samples >= VGL_BHV_WARMUP) {
                        jump = bl->mem_base_kb / 2 > VGL_BHV_MEM_JUMP_KB ? bl->mem_base_kb / 2
                                                                         : VGL_BHV_MEM_JUMP_KB;
                        burst = ((uint32_t)cpu >= VGL_BHV_CPU_MIN &&
                                 (uint32_t)cpu >= bl->cpu_base + VGL_BHV_CPU_JUMP) ||
                                (used > bl->mem_base_kb && used - bl->mem_base_kb >= jump);
                }
                if (bl->samples == 0) {
                        bl->cpu_base = (uint32_t)cpu;
                        bl->mem_base_kb = used;
                } else {
                        bl->cpu_base = (uint32_t)ewma(bl->cpu_base, (uint64_t)cpu);
                        bl->mem_base_kb = ewma(bl->mem_base_kb, used);
                }
                bl->samples++;
        }
        bl->prev = *s;
        bl->have_prev = true;
        return burst;
}

bool vgl_bhv_burst_usage(struct vgl_bhv_baseline *bl, const struct vgl_ev_usage *u)
{
        bool burst = u->flags & (VGL_USAGE_F_OOM | VGL_USAGE_F_PIDS);

        if (!(u->flags & VGL_USAGE_F_CGROUP))
                return burst; /* no figures to learn from */
        if (bl->commands >= 2) {
                if (u->memory_peak >= VGL_BHV_CMD_MEM_MIN && u->memory_peak / 2 >= bl->cmd_mem_base)
                        burst = true;
                if (u->cpu_usage_usec >= VGL_BHV_CMD_CPU_MIN_US &&
                    u->cpu_usage_usec / 4 >= bl->cmd_cpu_base)
                        burst = true;
        }
        if (bl->commands == 0) {
                bl->cmd_mem_base = u->memory_peak;
                bl->cmd_cpu_base = u->cpu_usage_usec;
        } else {
                bl->cmd_mem_base = ewma(bl->cmd_mem_base, u->memory_peak);
                bl->cmd_cpu_base = ewma(bl->cmd_cpu_base, u->cpu_usage_usec);
        }
        bl->commands++;
        return burst;
}
