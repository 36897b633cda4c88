/* Human-readable output: the list and tiers tables, info lines, events. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cleanup.h"
#include "vigilctl.h"

void vgl_ctl_format_time(int64_t t, char *buf, size_t size)
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (!localtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, size, "%" PRId64, t);
}

static int add_sandbox_row(struct vgl_ctl_table *t, const struct vgl_client_sandbox *s)
{
        char trust[32], owner[32], expires[64] = "-";

        snprintf(trust, sizeof(trust), "%.2f", s->trust_score);
        /* Warm-pool VMs belong to nobody yet (owner_uid -1). */
        if (s->owner_uid < 0)
                snprintf(owner, sizeof(owner), "-");
        else
                snprintf(owner, sizeof(owner), "%" PRId64, s->owner_uid);
        if (s->has_expires)
                vgl_ctl_format_time(s->expires, expires, sizeof(expires));
        return vgl_ctl_table_add(
                t, (const char *const[]){s->id, s->tier, s->state, trust, owner, expires});
}

int vgl_ctl_print_sandboxes(FILE *f, const struct vgl_client_sandbox *s, size_t n)
{
        static const char *const headers[] = {"ID", "TIER", "STATE", "TRUST", "OWNER", "EXPIRES"};
        struct vgl_ctl_table t;
        int r = vgl_ctl_table_init(&t, headers, ELEMENTSOF(headers));

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = add_sandbox_row(&t, &s[i]);
        if (r >= 0)
                vgl_ctl_table_print(&t, f);
        vgl_ctl_table_done(&t);
        return r;
}

static int add_tier_row(struct vgl_ctl_table *t, const struct vgl_client_tier *x)
{
        char trust[48], vcpus[48], memory[64], quota[32], pool[48];
        const struct vgl_client_resources *res = &x->resources;

        snprintf(trust, sizeof(trust), "%.2f-%.2f", x->min_trust, x->max_trust);
        snprintf(vcpus, sizeof(vcpus), "%" PRId64 "/%" PRId64, res->vcpus, res->max_vcpus);
        snprintf(memory, sizeof(memory), "%" PRId64 "/%" PRId64 " MiB", res->memory_mib,
                 res->max_memory_mib);
        snprintf(quota, sizeof(quota), "%" PRId64 "%%", res->cpu_quota_percent);
        snprintf(pool, sizeof(pool), "%" PRId64 "/%" PRId64, x->pool_ready, x->pool_target);
        return vgl_ctl_table_add(t, (const char *const[]){x->name, x->posture, trust, vcpus, memory,
                                                          quota, x->network, pool, x->image});
}

int vgl_ctl_print_tiers(FILE *f, const struct vgl_client_tier *x, size_t n)
{
        static const char *const headers[] = {"NAME",  "POSTURE", "TRUST", "VCPUS", "MEMORY",
                                              "QUOTA", "NETWORK", "POOL",  "IMAGE"};
        struct vgl_ctl_table t;
        int r = vgl_ctl_table_init(&t, headers, ELEMENTSOF(headers));

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = add_tier_row(&t, &x[i]);
        if (r >= 0)
                vgl_ctl_table_print(&t, f);
        vgl_ctl_table_done(&t);
        return r;
}

#define KEY "%-15s "

static void print_agent(FILE *f, const struct vgl_client_sandbox *s)
{
        const struct vgl_client_agent *a = &s->agent;

        if (!s->has_agent) {
                fprintf(f, KEY "%s\n", "Agent:", "none");
                return;
        }
        fprintf(f, KEY "%s\n", "Agent version:", a->agent_version);
        fprintf(f, KEY "%s\n", "Kernel:", a->kernel);
        fprintf(f, KEY "%" PRId64 "\n", "Agent protocol:", a->proto_version);
        fprintf(f, KEY "%" PRId64 "\n", "Heartbeats:", a->heartbeats);
        fprintf(f, KEY "%" PRId64 " ms ago\n", "Last heartbeat:", a->last_heartbeat_age_ms);
}

static void print_labels(FILE *f, const struct vgl_client_sandbox *s)
{
        fprintf(f, KEY, "Labels:");
        if (s->n_labels == 0)
                fputs("none", f);
        for (size_t i = 0; i < s->n_labels; i++)
                fprintf(f, "%s%s=%s", i ? ", " : "", s->labels[i].key, s->labels[i].value);
        fputc('\n', f);
}

void vgl_ctl_print_info(FILE *f, const struct vgl_client_sandbox *s)
{
        const struct vgl_client_resources *res = &s->resources;
        char created[64], expires[64] = "never";

        vgl_ctl_format_time(s->created, created, sizeof(created));
        if (s->has_expires)
                vgl_ctl_format_time(s->expires, expires, sizeof(expires));
        fprintf(f, KEY "%s\n", "Id:", s->id);
        fprintf(f, KEY "%s\n", "Domain:", s->domain);
        fprintf(f, KEY "%s\n", "Tier:", s->tier);
        fprintf(f, KEY "%s\n", "Posture:", s->posture);
        fprintf(f, KEY "%s\n", "State:", s->state);
        if (s->owner_uid < 0)
                fprintf(f, KEY "%s\n", "Owner UID:", "- (warm pool)");
        else
                fprintf(f, KEY "%" PRId64 "\n", "Owner UID:", s->owner_uid);
        fprintf(f, KEY "%.2f\n", "Desired trust:", s->desired_trust_level);
        fprintf(f, KEY "%.2f\n", "Trust score:", s->trust_score);
        fprintf(f, KEY "%s\n", "Created:", created);
        fprintf(f, KEY "%s\n", "Expires:", expires);
        fprintf(f, KEY "%" PRId64 " (max %" PRId64 ")\n", "vCPUs:", res->vcpus, res->max_vcpus);
        fprintf(f, KEY "%" PRId64 " MiB (max %" PRId64 " MiB)\n", "Memory:", res->memory_mib,
                res->max_memory_mib);
        fprintf(f, KEY "%" PRId64 "%%\n", "CPU quota:", res->cpu_quota_percent);
        print_agent(f, s);
        print_labels(f, s);
}

void vgl_ctl_print_event(FILE *f, const struct vgl_client_event *e)
{
        char when[64];

        struct json_object *tags = NULL;

        vgl_ctl_format_time(e->time, when, sizeof(when));
        fprintf(f, "%s  %-12s  %-14s  %s", when, e->sandbox, e->kind, e->message);
        /* Behaviour events carry tags (a daemon before them sends none). */
        if (e->json && json_object_object_get_ex(e->json, "tags", &tags) &&
            json_object_is_type(tags, json_type_array) && json_object_array_length(tags) > 0) {
                fputs("  [", f);
                for (size_t i = 0; i < json_object_array_length(tags); i++)
                        fprintf(f, "%s%s", i ? "," : "",
                                json_object_get_string(json_object_array_get_idx(tags, i)));
                fputc(']', f);
        }
        fputc('\n', f);
        fflush(f);
}
