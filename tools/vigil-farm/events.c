/* The event subscriber: one connection, Subscribe for every sandbox the
 * caller may see; each event is counted for the attempt whose sandbox it
 * names, and the ones that tell the trust story (adjustment, enforcement,
 * hop, hop-failed, rule, and any tagged policy_violation) are kept, at
 * most MAX_KEPT per attempt. Reads time out every half second so that the
 * thread notices the end of the run; a broken stream is reopened. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "farm.h"

#define READ_TIMEOUT_MS 500
#define MAX_KEPT        100

static bool finished(struct farm *f)
{
        bool d;

        pthread_mutex_lock(&f->lock);
        d = f->done || f->stopping;
        pthread_mutex_unlock(&f->lock);
        return d;
}

static bool has_tag(const struct vgl_client_event *ev, const char *tag)
{
        struct json_object *tags = NULL;
        size_t n;

        if (!json_object_object_get_ex(ev->json, "tags", &tags) ||
            !json_object_is_type(tags, json_type_array))
                return false;
        n = json_object_array_length(tags);
        for (size_t i = 0; i < n; i++)
                if (!strcmp(json_object_get_string(json_object_array_get_idx(tags, i)), tag))
                        return true;
        return false;
}

static bool notable(const char *kind)
{
        static const char *const kinds[] = {"adjustment", "enforcement", "hop", "hop-failed",
                                            "rule"};

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (!strcmp(kind, kinds[i]))
                        return true;
        return false;
}

static void file_event(struct farm *f, const struct vgl_client_event *ev)
{
        bool violation = has_tag(ev, "policy_violation");

        pthread_mutex_lock(&f->lock);
        for (int i = 0; i < f->n_workers; i++) {
                struct farm_worker *w = &f->workers[i];
                struct farm_attempt *a = w->att;
                if (!a || !a->sandbox[0] || strcmp(a->sandbox, ev->sandbox) != 0)
                        continue;
                a->n_events++;
                a->n_violations += violation;
                if (notable(ev->kind) || violation) {
                        snprintf(w->last_event, sizeof(w->last_event), "%s: %s", ev->kind,
                                 ev->message);
                        if (!a->events)
                                a->events = json_object_new_array();
                        if (a->events && json_object_array_length(a->events) < MAX_KEPT)
                                json_object_array_add(a->events, json_object_get(ev->json));
                }
                break;
        }
        pthread_mutex_unlock(&f->lock);
}

/* Reads one subscription until it ends or the run does. */
static void read_stream(struct farm *f, struct vgl_client *c)
{
        while (!finished(f)) {
                struct vgl_client_event ev = {};
                struct vgl_error e = {};
                int r = vgl_client_next_event(c, &ev, &e);

                if (r == -ETIMEDOUT)
                        continue;
                if (r <= 0)
                        return;
                file_event(f, &ev);
                vgl_client_event_done(&ev);
        }
}

static void *events_main(void *arg)
{
        struct farm *f = arg;
        bool warned = false;

        while (!finished(f)) {
                _cleanup_client_ struct vgl_client *c = NULL;
                struct vgl_error e = {};

                if (vgl_client_connect(f->o->socket, &c, &e) < 0 ||
                    (vgl_client_set_timeout(c, READ_TIMEOUT_MS * 4),
                     vgl_client_subscribe(c, NULL, &e) < 0)) {
                        if (!warned)
                                farm_say(f,
                                         "vigil-farm: Subscribe: %s (events are missing from "
                                         "the summary until it works)",
                                         e.msg);
                        warned = true;
                        sleep(1);
                        continue;
                }
                vgl_client_set_timeout(c, READ_TIMEOUT_MS);
                pthread_mutex_lock(&f->lock);
                f->events_subscribed = true;
                pthread_mutex_unlock(&f->lock);
                read_stream(f, c);
        }
        return NULL;
}

int farm_events_start(struct farm *f)
{
        int r = pthread_create(&f->events_thread, NULL, events_main, f);

        if (r != 0)
                return -r;
        f->events_started = true;
        return 0;
}

void farm_events_stop(struct farm *f)
{
        if (f->events_started)
                pthread_join(f->events_thread, NULL);
        f->events_started = false;
}
