/* See work.h. */
#include "work.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"

struct job {
        struct vgd_daemon *d;
        vgd_job_run_fn run;
        vgd_job_done_fn done;
        void *data;
};

static void job_fire(int timer, void *opaque)
{
        struct job *j = opaque;

        virEventRemoveTimeout(timer);
        j->d->jobs--;
        if (j->done)
                j->done(j->d, j->data);
        free(j);
}

static void *job_thread(void *arg)
{
        struct job *j = arg;
        struct timespec pause = {0, 10 * 1000 * 1000};

        j->run(j->data);
        /* The default loop's timer list is locked: adding from here is safe
         * and wakes the loop. It only fails on out-of-memory; retry. */
        while (virEventAddTimeout(0, job_fire, j, NULL) < 0)
                nanosleep(&pause, NULL);
        return NULL;
}

void vgd_job_submit(struct vgd_daemon *d, vgd_job_run_fn run, vgd_job_done_fn done, void *data)
{
        struct job *j = malloc(sizeof(*j));
        pthread_attr_t attr;
        pthread_t t;
        int r = -1;

        if (j) {
                *j = (struct job){d, run, done, data};
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                d->jobs++;
                r = pthread_create(&t, &attr, job_thread, j);
                pthread_attr_destroy(&attr);
                if (r == 0)
                        return;
                d->jobs--;
                free(j);
        }
        vgd_warn(NULL, "no worker thread (%s): running a libvirt call on the loop",
                 r > 0 ? "pthread_create failed" : "out of memory");
        run(data);
        if (done)
                done(d, data);
}

static void destroy_run(void *data)
{
        virDomainPtr dom = data;

        if (virDomainDestroy(dom) < 0)
                virResetLastError(); /* already gone: fine */
        virDomainFree(dom);
}

void vgd_job_destroy_domain(struct vgd_daemon *d, virDomainPtr dom)
{
        if (dom)
                vgd_job_submit(d, destroy_run, NULL, dom);
}
