/* Human-readable output of the control loop: profiles, decisions, hops
 * and audit records. The JSON comes from vigild; a missing field prints
 * as "?" rather than failing. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "vigilctl.h"

#define KEY "%-15s "

static struct json_object *get(struct json_object *o, const char *key)
{
        struct json_object *v = NULL;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(struct json_object *o, const char *key)
{
        struct json_object *v = get(o, key);

        return v ? json_object_get_string(v) : "?";
}

static double num(struct json_object *o, const char *key)
{
        return json_object_get_double(get(o, key));
}

static int64_t i64(struct json_object *o, const char *key)
{
        return json_object_get_int64(get(o, key));
}

static void print_limits(FILE *f, struct json_object *l)
{
        fprintf(f, KEY "%" PRId64 " vCPUs at %" PRId64 "%%, %" PRId64 " MiB\n",
                "Limits:", i64(l, "vcpus"), i64(l, "cpu_quota_percent"), i64(l, "memory_mib"));
        fprintf(f,
                KEY "in %" PRId64 " / out %" PRId64 " kbit/s, disk %" PRId64 " IOPS, %" PRId64
                    " B/s (0: no cap)\n",
                "", i64(l, "net_in_kbps"), i64(l, "net_out_kbps"), i64(l, "disk_iops"),
                i64(l, "disk_bytes_per_s"));
}

static void print_actions(FILE *f, struct json_object *actions)
{
        static const char *const headers[] = {"ACTION", "STATE", "VALUE", "WHEN", "REASON"};
        struct vgl_ctl_table t;

        if (!actions || vgl_ctl_table_init(&t, headers, ELEMENTSOF(headers)) < 0)
                return;
        json_object_object_foreach(actions, name, a)
        {
                char when[64] = "-";
                if (i64(a, "time") > 0)
                        vgl_ctl_format_time(i64(a, "time"), when, sizeof(when));
                if (vgl_ctl_table_add(&t,
                                      (const char *const[]){name, str(a, "state"), str(a, "value"),
                                                            when, str(a, "reason")}) < 0)
                        break;
        }
        vgl_ctl_table_print(&t, f);
        vgl_ctl_table_done(&t);
}

static void print_history(FILE *f, struct json_object *history)
{
        static const char *const headers[] = {"WHEN", "KIND", "TIER", "TRUST", "REASON"};
        size_t n = history ? json_object_array_length(history) : 0;
        struct vgl_ctl_table t;

        if (!n || vgl_ctl_table_init(&t, headers, ELEMENTSOF(headers)) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                struct json_object *h = json_object_array_get_idx(history, i);
                char when[64], tier[80], trust[48];
                vgl_ctl_format_time(i64(h, "time"), when, sizeof(when));
                snprintf(tier, sizeof(tier), "%s -> %s", str(h, "tier_before"),
                         str(h, "tier_after"));
                snprintf(trust, sizeof(trust), "%.3f -> %.3f", num(h, "trust_before"),
                         num(h, "trust_after"));
                if (vgl_ctl_table_add(&t, (const char *const[]){when, str(h, "kind"), tier, trust,
                                                                str(h, "reason")}) < 0)
                        break;
        }
        vgl_ctl_table_print(&t, f);
        vgl_ctl_table_done(&t);
}

static void print_signature(FILE *f, struct json_object *sig)
{
        struct json_object *tags = get(sig, "tags"), *eps = get(sig, "endpoints");

        fprintf(f,
                KEY "%" PRId64 " events, %" PRId64 " system calls, %" PRId64
                    " denials; risk %.2f, anomaly %.2f\n",
                "Behaviour:", i64(sig, "events"), i64(sig, "syscalls"), i64(sig, "denials"),
                num(sig, "risk"), num(sig, "anomaly"));
        fprintf(f, KEY, "Tags:");
        if (tags) {
                bool any = false;
                json_object_object_foreach(tags, name, count)
                {
                        if (!json_object_get_int64(count))
                                continue;
                        fprintf(f, "%s%s %" PRId64, any ? ", " : "", name,
                                json_object_get_int64(count));
                        any = true;
                }
                if (!any)
                        fputs("none", f);
        }
        fputc('\n', f);
        if (eps && json_object_array_length(eps) > 0) {
                fprintf(f, KEY, "Endpoints:");
                for (size_t i = 0; i < json_object_array_length(eps); i++)
                        fprintf(f, "%s%s", i ? ", " : "",
                                json_object_get_string(json_object_array_get_idx(eps, i)));
                fputc('\n', f);
        }
}

void vgl_ctl_print_profile(FILE *f, struct json_object *p)
{
        fprintf(f, KEY "%s\n", "Profile:", str(p, "profile_id"));
        fprintf(f, KEY "%s (posture %s)\n", "Tier:", str(p, "tier"), str(p, "security_posture"));
        fprintf(f, KEY "%.3f (desired %.3f, ceiling %.3f, achieved %s)\n",
                "Trust:", num(p, "trust_score"), num(p, "desired_trust_level"), num(p, "ceiling"),
                json_object_get_boolean(get(p, "achieved")) ? "yes" : "no");
        fprintf(f, KEY "%" PRId64 " (%" PRId64 " clean in a row), %" PRId64 " hops\n",
                "Rounds:", i64(p, "rounds"), i64(p, "clean_rounds"), i64(p, "hops"));
        print_limits(f, get(p, "resource_limits"));
        print_signature(f, get(p, "behavioral_signatures"));
        fputs("\nEnforcement (as read back):\n", f);
        print_actions(f, get(p, "actions"));
        if (get(p, "history") && json_object_array_length(get(p, "history")) > 0) {
                fputs("\nHistory:\n", f);
                print_history(f, get(p, "history"));
        }
        fflush(f);
}

void vgl_ctl_print_decision(FILE *f, struct json_object *d)
{
        const char *reason = str(d, "reason");

        fprintf(f, "%s %s -> %s, trust %.3f -> %.3f%s%s%s\n", str(d, "kind"), str(d, "tier_before"),
                str(d, "tier_after"), num(d, "trust_before"), num(d, "trust_after"),
                json_object_get_boolean(get(d, "hop")) ? " (hop)" : "", reason[0] ? ": " : "",
                reason);
}

void vgl_ctl_print_hop(FILE *f, struct json_object *h)
{
        fprintf(f, "hop %s -> %s: %s in %.0f ms (save %.0f ms, restore %.0f ms, live %.0f ms)\n",
                str(h, "from"), str(h, "to"), str(h, "state"), num(h, "total_ms"),
                num(h, "save_ms"), num(h, "restore_ms"), num(h, "live_ms"));
}

void vgl_ctl_print_audit_record(FILE *f, struct json_object *r)
{
        struct json_object *sandbox = get(r, "sandbox"), *actor = get(r, "actor");
        char who[32] = "vigild";

        if (actor)
                snprintf(who, sizeof(who), "uid %" PRId64, json_object_get_int64(actor));
        fprintf(f, "%6" PRId64 "  %s  %-14s  %-12s  %-8s  %s\n", i64(r, "seq"), str(r, "time"),
                str(r, "type"), sandbox ? json_object_get_string(sandbox) : "-", who,
                json_object_to_json_string_ext(get(r, "details"),
                                               JSON_C_TO_STRING_PLAIN |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
        fflush(f);
}
