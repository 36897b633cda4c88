/* Progress on stdout. On a terminal: the lines that stay (RUN, PASS,
 * FAIL, ...) scroll above a status block that is redrawn in place every
 * tick: a bar with the counts, then one line per running job (phase, time
 * in it, sandbox and tier, the last trust event). Elsewhere: only the
 * lines that stay, each with the time since the start, so logs of CI
 * jobs read well. Workers queue lines; only the main thread writes. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "farm.h"
#include "util.h"

#define QUEUE_MAX 4096 /* lines waiting for the next tick; more are counted */
#define BAR_WIDTH 24

struct farm_progress {
        enum farm_progress_mode mode;
        FILE *out;
        pthread_mutex_t lock;
        char **lines;
        size_t n, dropped;
        int drawn; /* lines of the status block now on screen */
};

struct farm_progress *farm_progress_new(enum farm_progress_mode mode, FILE *out)
{
        struct farm_progress *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        if (mode == FARM_PROGRESS_AUTO)
                mode = isatty(fileno(out)) ? FARM_PROGRESS_TTY : FARM_PROGRESS_PLAIN;
        p->mode = mode;
        p->out = out;
        p->lines = calloc(QUEUE_MAX, sizeof(*p->lines));
        pthread_mutex_init(&p->lock, NULL);
        if (!p->lines)
                return farm_progress_free(p), NULL;
        return p;
}

void farm_progress_free(struct farm_progress *p)
{
        if (!p)
                return;
        for (size_t i = 0; p->lines && i < p->n; i++)
                free(p->lines[i]);
        free(p->lines);
        pthread_mutex_destroy(&p->lock);
        free(p);
}

static void push(struct farm_progress *p, char *line)
{
        pthread_mutex_lock(&p->lock);
        if (p->n < QUEUE_MAX)
                p->lines[p->n++] = line;
        else
                p->dropped++, free(line);
        pthread_mutex_unlock(&p->lock);
}

void farm_say(struct farm *f, const char *fmt, ...)
{
        struct farm_progress *p = f->progress;
        char *msg = NULL, *line = NULL;
        double t = farm_mono_s() - f->started_mono;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return;
        if (!p || p->mode == FARM_PROGRESS_NONE) {
                if (!strncmp(msg, "vigil-farm:", 11)) /* warnings still go somewhere */
                        fprintf(stderr, "%s\n", msg);
                free(msg);
                return;
        }
        r = asprintf(&line, "[%02d:%02d] %s", (int)t / 60, (int)t % 60, msg);
        free(msg);
        if (r >= 0)
                push(p, line);
}

void farm_say_output(struct farm *f, const char *job, const char *data, size_t len)
{
        struct farm_progress *p = f->progress;

        if (!p || p->mode != FARM_PROGRESS_PLAIN || !f->o->stream)
                return;
        while (len) {
                const char *nl = memchr(data, '\n', len);
                size_t n = nl ? (size_t)(nl - data) + 1 : len;
                char *line = NULL;

                if (asprintf(&line, "[%s] %.*s", job, (int)(nl ? n - 1 : n), data) >= 0)
                        push(p, line);
                data += n;
                len -= n;
        }
}

static int width(FILE *out)
{
        struct winsize ws;

        if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
                return ws.ws_col;
        return 100;
}

static const char *phase_name(enum farm_phase ph)
{
        static const char *const names[] = {
                [FARM_QUEUED] = "queued",
                [FARM_RESERVING] = "reserving",
                [FARM_UPLOADING] = "uploading",
                [FARM_RUNNING] = "running",
                [FARM_COLLECTING] = "collecting",
                [FARM_RELEASING] = "releasing",
                [FARM_DONE] = "done",
        };

        return (unsigned)ph < ELEMENTSOF(names) ? names[ph] : "?";
}

/* The status block, built under the farm's lock into lines[]. */
static int status_block(struct farm *f, char lines[][256], int max)
{
        size_t n = f->m->n_jobs, done = 0, count[FARM_INTERRUPTED + 1] = {0};
        int k = 0, filled;
        double now = farm_mono_s(), t = now - f->started_mono;
        char bar[BAR_WIDTH + 1];

        pthread_mutex_lock(&f->lock);
        for (size_t i = 0; i < n; i++)
                if (f->res[i].status != FARM_PENDING &&
                    (unsigned)f->res[i].status < ELEMENTSOF(count))
                        count[f->res[i].status]++, done++;
        filled = (int)(done * BAR_WIDTH / (n ? n : 1));
        for (int i = 0; i < BAR_WIDTH; i++)
                bar[i] = i < filled ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        snprintf(lines[k++], 256,
                 "[%s] %zu/%zu  passed %zu  failed %zu  errors %zu  skipped %zu  %02d:%02d%s", bar,
                 done, n, count[FARM_PASSED], count[FARM_FAILED], count[FARM_ERROR],
                 count[FARM_SKIPPED], (int)t / 60, (int)t % 60, f->stopping ? "  STOPPING" : "");
        for (int i = 0; i < f->n_workers && k < max; i++) {
                const struct farm_worker *w = &f->workers[i];
                const struct farm_attempt *a = w->att;
                if (w->job == (size_t)-1 || !a)
                        continue;
                snprintf(lines[k++], 256, "  %-20.20s %-10s %4ds  %s %s  %s",
                         f->m->jobs[w->job].name, phase_name(f->res[w->job].phase),
                         (int)(now - w->phase_since), a->sandbox[0] ? a->sandbox : "-",
                         a->tier_start, w->last_event);
        }
        pthread_mutex_unlock(&f->lock);
        return k;
}

/* Takes the queued lines out (under the queue's lock only). */
static char **take_lines(struct farm_progress *p, size_t *ret_n, size_t *ret_dropped)
{
        char **copy = NULL;

        pthread_mutex_lock(&p->lock);
        *ret_n = p->n;
        *ret_dropped = p->dropped;
        if (p->n && (copy = malloc(p->n * sizeof(*copy)))) {
                memcpy(copy, p->lines, p->n * sizeof(*copy));
                p->n = 0;
                p->dropped = 0;
        } else if (p->n) {
                *ret_n = 0;
        }
        pthread_mutex_unlock(&p->lock);
        return copy;
}

static void draw(struct farm *f, bool block)
{
        struct farm_progress *p = f->progress;
        size_t n = 0, dropped = 0;
        _cleanup_free_ char **lines = take_lines(p, &n, &dropped);
        bool tty = p->mode == FARM_PROGRESS_TTY;
        int cols = tty ? width(p->out) : 0;

        if (tty && p->drawn)
                fprintf(p->out, "\r\033[%dA\033[J", p->drawn);
        p->drawn = 0;
        for (size_t i = 0; i < n; i++) {
                fprintf(p->out, "%s\n", lines[i]);
                free(lines[i]);
        }
        if (dropped)
                fprintf(p->out, "(%zu progress lines left out)\n", dropped);
        if (tty && block) {
                char rows[FARM_MAX_CONCURRENCY + 1][256];
                int k = status_block(f, rows, (int)ELEMENTSOF(rows));
                for (int i = 0; i < k; i++)
                        fprintf(p->out, "%.*s\n", cols - 1, rows[i]);
                p->drawn = k;
        }
        fflush(p->out);
}

void farm_progress_tick(struct farm *f)
{
        if (f->progress && f->progress->mode != FARM_PROGRESS_NONE)
                draw(f, true);
}

void farm_progress_end(struct farm *f)
{
        if (f->progress && f->progress->mode != FARM_PROGRESS_NONE)
                draw(f, false);
}
