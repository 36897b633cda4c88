/* Stopping: after SIGINT/SIGTERM no job starts, each worker's blocking call
 * is cut by shutting its socket down (vigild then drops a Reserve still
 * booting, kills a running command), and every sandbox of the run is
 * released on a fresh connection: those the workers hold, then any that
 * vigild lists with this run's label (a Reserve answered just as its
 * connection was cut is one nobody else knows of). The sweep also runs at
 * the end of a run that was not interrupted, where it finds nothing. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "farm.h"

#define SWEEP_TIMEOUT_MS (120 * 1000)

void farm_interrupt(struct farm *f, int sig)
{
        bool first;

        pthread_mutex_lock(&f->lock);
        first = !f->stopping;
        f->stopping = true;
        if (first)
                f->signal = sig;
        for (int i = 0; first && i < f->n_workers; i++)
                if (f->workers[i].fd >= 0)
                        shutdown(f->workers[i].fd, SHUT_RDWR);
        pthread_mutex_unlock(&f->lock);
        if (first)
                farm_say(f, "%s: stopping; every sandbox of this run will be released",
                         strsignal(sig));
        else
                farm_say(f, "%s: already stopping", strsignal(sig));
}

static int release_one(struct farm *f, struct vgl_client **c, const char *id)
{
        struct vgl_error e = {};
        int r;

        if (!*c) {
                if (vgl_client_connect(f->o->socket, c, &e) < 0) {
                        farm_say(f, "vigil-farm: cannot release %s: %s", id, e.msg);
                        return 0;
                }
                vgl_client_set_timeout(*c, SWEEP_TIMEOUT_MS);
        }
        r = vgl_client_release(*c, id, &e);
        if (r == -ENOENT)
                return 0; /* already gone */
        if (r < 0) {
                farm_say(f, "vigil-farm: releasing %s: %s", id, e.msg);
                if (!vgl_client_error_name(*c))
                        *c = vgl_client_free(*c);
                return 0;
        }
        return 1;
}

static const char *label_of(const struct vgl_client_sandbox *s, const char *key)
{
        for (size_t i = 0; i < s->n_labels; i++)
                if (!strcmp(s->labels[i].key, key))
                        return s->labels[i].value;
        return NULL;
}

/* Sandboxes vigild lists with this run's label. */
static int sweep_listed(struct farm *f, struct vgl_client **c)
{
        struct vgl_client_sandbox *list = NULL;
        struct vgl_error e = {};
        size_t n = 0;
        int released = 0;

        if (!*c || vgl_client_list(*c, &list, &n, &e) < 0) {
                if (*c)
                        farm_say(f, "vigil-farm: List: %s", e.msg);
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                const char *run = label_of(&list[i], FARM_LABEL_PREFIX "run");
                if (run && !strcmp(run, f->o->run_id) && strcmp(list[i].state, "released") != 0)
                        released += release_one(f, c, list[i].id);
        }
        vgl_client_sandboxes_free(list, n);
        return released;
}

int farm_sweep(struct farm *f)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_error e = {};
        int released = 0;

        for (int i = 0; i < f->n_workers; i++) {
                char id[64];
                pthread_mutex_lock(&f->lock);
                snprintf(id, sizeof(id), "%s", f->workers[i].sandbox);
                f->workers[i].sandbox[0] = '\0';
                pthread_mutex_unlock(&f->lock);
                if (id[0])
                        released += release_one(f, &c, id);
        }
        if (!c && vgl_client_connect(f->o->socket, &c, &e) < 0) {
                farm_say(f, "vigil-farm: cannot look for leftover sandboxes: %s", e.msg);
                return released;
        }
        vgl_client_set_timeout(c, SWEEP_TIMEOUT_MS);
        return released + sweep_listed(f, &c);
}
