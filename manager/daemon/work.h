/* Background jobs: libvirt calls that block (creating or destroying a
 * domain can take a second under TCG) run on a short-lived thread, and
 * their result comes back to the event loop, so the loop never waits. */
#pragma once

#include "daemon.h"

/* Runs on the worker thread: blocking libvirt calls only, no daemon state. */
typedef void (*vgd_job_run_fn)(void *data);
/* Runs on the loop thread afterwards; owns data. */
typedef void (*vgd_job_done_fn)(struct vgd_daemon *d, void *data);

/* Starts run(data) on a thread and done(d, data) on the loop when it
 * returned; d->jobs counts jobs in flight. If no thread can be started,
 * both run on the loop at once. */
void vgd_job_submit(struct vgd_daemon *d, vgd_job_run_fn run, vgd_job_done_fn done, void *data);

/* Destroys dom in the background (takes ownership of the reference). */
void vgd_job_destroy_domain(struct vgd_daemon *d, virDomainPtr dom);
