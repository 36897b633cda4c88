/* The trust trajectory of an attempt, from the profile vigild returned at
 * its end (GetProfile: trust, tier, hops, history of adjustments) and the
 * events seen while it ran (Subscribe). */
#include <string.h>

#include "results.h"
#include "util.h"

static struct json_object *member(struct json_object *o, const char *key)
{
        struct json_object *v = NULL;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str_or(struct json_object *o, const char *key, const char *def)
{
        struct json_object *v = member(o, key);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : def;
}

/* A copy of o's member key (a new reference), or JSON null. */
static struct json_object *copy_of(struct json_object *o, const char *key)
{
        return json_object_get(member(o, key));
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
        json_object_object_add(o, key, v);
}

static struct json_object *point(int64_t time, const char *kind, double trust, const char *tier)
{
        struct json_object *p = json_object_new_object();

        if (!p)
                return NULL;
        add(p, "time", json_object_new_int64(time));
        add(p, "kind", json_object_new_string(kind));
        add(p, "trust", farm_json_double(trust));
        add(p, "tier", tier ? json_object_new_string(tier) : NULL);
        return p;
}

/* One history entry as a trajectory point, the keys the profile gives. */
static struct json_object *step(struct json_object *h)
{
        static const char *const keys[] = {"time",        "kind",        "trust_before",
                                           "trust_after", "tier_before", "tier_after",
                                           "reason"};
        struct json_object *p = json_object_new_object();

        for (size_t i = 0; p && i < sizeof(keys) / sizeof(keys[0]); i++)
                if (member(h, keys[i]))
                        add(p, keys[i], copy_of(h, keys[i]));
        return p;
}

static struct json_object *tier_change(struct json_object *h)
{
        struct json_object *c = json_object_new_object();

        if (!c)
                return NULL;
        add(c, "time", copy_of(h, "time"));
        add(c, "kind", copy_of(h, "kind"));
        add(c, "from", copy_of(h, "tier_before"));
        add(c, "to", copy_of(h, "tier_after"));
        return c;
}

/* Trajectory, tier changes and hops from the profile's history. */
static void history(struct json_object *profile, struct json_object *traj,
                    struct json_object *changes, struct json_object *hops)
{
        struct json_object *hist = member(profile, "history");
        size_t n = json_object_is_type(hist, json_type_array) ? json_object_array_length(hist) : 0;

        for (size_t i = 0; i < n; i++) {
                struct json_object *h = json_object_array_get_idx(hist, i);
                const char *kind = str_or(h, "kind", "");
                const char *from = str_or(h, "tier_before", ""), *to = str_or(h, "tier_after", "");

                if (!json_object_is_type(h, json_type_object))
                        continue;
                json_object_array_add(traj, step(h));
                if (!strcmp(kind, "hop"))
                        json_object_array_add(hops, step(h));
                else if (strcmp(from, to) != 0)
                        json_object_array_add(changes, tier_change(h));
        }
}

static int64_t int_at(struct json_object *o, const char *key, int64_t def)
{
        struct json_object *v = member(o, key);

        return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : def;
}

/* The end of the trajectory: the profile's trust and tier, or the start's
 * when vigild gave no profile. */
static void ends(const struct farm_attempt *a, struct json_object *o, struct json_object *traj)
{
        struct json_object *p = a->profile, *trust = member(p, "trust_score");
        const char *tier = str_or(p, "tier", NULL);
        bool have = trust && tier;
        double t = have ? json_object_get_double(trust) : a->trust_start;

        add(o, "trust_end", have ? farm_json_double(t) : NULL);
        add(o, "tier_end", have ? json_object_new_string(tier) : NULL);
        if (have)
                json_object_array_add(traj, point((int64_t)a->ended, "end", t, tier));
}

struct json_object *farm_trust_json(const struct farm_attempt *a)
{
        struct json_object *o = json_object_new_object(), *traj = json_object_new_array(),
                           *changes = json_object_new_array(), *hops = json_object_new_array();
        struct json_object *sig = member(a->profile, "behavioral_signatures");

        if (!o || !traj || !changes || !hops) {
                json_object_put(o), json_object_put(traj), json_object_put(changes);
                json_object_put(hops);
                return NULL;
        }
        add(o, "profile", json_object_new_boolean(a->profile != NULL));
        add(o, "trust_start", a->reserved ? farm_json_double(a->trust_start) : NULL);
        add(o, "tier_start", a->reserved ? json_object_new_string(a->tier_start) : NULL);
        if (a->reserved)
                json_object_array_add(
                        traj, point((int64_t)a->started, "start", a->trust_start, a->tier_start));
        history(a->profile, traj, changes, hops);
        ends(a, o, traj);
        add(o, "trajectory", traj);
        add(o, "tier_changes", changes);
        add(o, "hops",
            json_object_new_int64(
                    int_at(a->profile, "hops", (int64_t)json_object_array_length(hops))));
        add(o, "hop_history", hops);
        add(o, "denials", sig ? json_object_new_int64(int_at(sig, "denials", 0)) : NULL);
        add(o, "policy_violations", json_object_new_int64(a->n_violations));
        add(o, "behaviour_tags", copy_of(sig, "tags"));
        add(o, "events_seen", json_object_new_int64(a->n_events));
        add(o, "events", a->events ? json_object_get(a->events) : json_object_new_array());
        return o;
}
