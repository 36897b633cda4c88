/* The daemon's life: start, main loop, orderly stop. */
#include "daemon.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "audit.h"
#include "authz.h"
#include "boot.h"
#include "channel.h"
#include "cleanup.h"
#include "control.h"
#include "lifecycle.h"
#include "log.h"
#include "metadata.h"
#include "pool.h"
#include "proto-msg.h"
#include "registry.h"
#include "sandbox.h"
#include "rules.h"
#include "tierperms.h"
#include "trail.h"
#include "vigil-config.h"

#define JOBS_WAIT_MS 60000 /* at stop: how long background destroys may take */

uint64_t vgd_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t vgd_wall_s(void)
{
        return (int64_t)time(NULL);
}

const struct vgl_tier *vgd_sandbox_tier(struct vgd_daemon *d, const struct vgd_sandbox *s)
{
        return vgl_tier_set_find(&d->policy, s->tier);
}

void vgd_daemon_quit(struct vgd_daemon *d)
{
        d->quitting = true;
}

static void on_signal(int watch, int fd, int events, void *opaque)
{
        struct vgd_daemon *d = opaque;
        struct signalfd_siginfo si;

        while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                vgd_info(NULL, "signal %u (%s): stopping", si.ssi_signo,
                         strsignal((int)si.ssi_signo));
                vgd_daemon_quit(d);
        }
}

static int setup_signals(struct vgd_daemon *d, struct vgl_error *err)
{
        sigset_t set;

        signal(SIGPIPE, SIG_IGN);
        /* A file-size limit then reads as EFBIG: the audit log refuses the
         * record (and the action) instead of vigild dying. */
        signal(SIGXFSZ, SIG_IGN);
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return vgl_error_set(err, errno, "sigprocmask: %m");
        d->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (d->signal_fd < 0)
                return vgl_error_set(err, errno, "signalfd: %m");
        d->signal_watch =
                virEventAddHandle(d->signal_fd, VIR_EVENT_HANDLE_READABLE, on_signal, d, NULL);
        if (d->signal_watch < 0)
                return vgl_error_set(err, EIO, "watching the signal fd");
        return 0;
}

static int make_dirs(struct vgd_daemon *d, struct vgl_error *err)
{
        char path[PATH_MAX];

        if (mkdir(d->cfg.state_dir, 0700) < 0 && errno != EEXIST)
                return vgl_error_set(err, errno, "creating %s: %m", d->cfg.state_dir);
        snprintf(path, sizeof(path), "%s/console", d->cfg.state_dir);
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return vgl_error_set(err, errno, "creating %s: %m", path);
        snprintf(path, sizeof(path), "%s/hop", d->cfg.state_dir); /* hop save files */
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return vgl_error_set(err, errno, "creating %s: %m", path);
        return 0;
}

static void on_drop(void *userdata, const struct vgl_varlink_peer *peer, int error, const char *why)
{
        vgd_warn(NULL, "API client pid %d uid %u cut off: %s", (int)peer->pid, (unsigned)peer->uid,
                 why);
}

static int start_server(struct vgd_daemon *d, struct vgl_error *err)
{
        struct vgl_varlink_server_config cfg = {
                .vendor = "vigil",
                .product = "vigild",
                .version = VIGIL_VERSION,
                .url = "https://vigil.dev",
                .max_message = VGD_MAX_MESSAGE,
                .max_output = 4 * VGD_MAX_MESSAGE,
                .on_drop = on_drop,
                .userdata = d,
        };
        int r;

        if ((r = vgl_varlink_server_new(&cfg, &d->server, err)) < 0 ||
            (r = vgd_api_register(d, d->server, err)) < 0)
                return r;
        return vgl_varlink_server_listen(d->server, d->cfg.socket_path, 0660, err);
}

static void check_images(struct vgd_daemon *d)
{
        struct vgl_image img;
        struct vgl_error e = {};

        for (size_t i = 0; i < d->policy.n_tiers; i++)
                if (vgd_image_resolve(d, d->policy.tiers[i].image, &img, &e) < 0)
                        vgd_warn(NULL, "tier %s: image '%s': %s", d->policy.tiers[i].name,
                                 d->policy.tiers[i].image, e.msg);
}

static int init_libvirt(struct vgd_daemon *d, struct vgl_error *err)
{
        int r;

        /* The in-process QEMU driver logs warnings (e.g. "tainted") on
         * stderr; keep its errors only unless the operator said otherwise. */
        setenv("LIBVIRT_LOG_OUTPUTS", d->cfg.verbose ? "3:stderr" : "4:stderr", 0);
        vgl_virt_quiet_errors();
        if ((r = vgl_virt_event_register(err)) < 0 ||
            (r = vgl_virt_open(d->cfg.uri, d->cfg.state_dir, &d->conn, err)) < 0)
                return r;
        d->domain_type = vgl_virt_domain_type();
        return vgd_lifecycle_start(d, err);
}

/* The start-up configuration, as the first record of this run. */
static int record_config(struct vgd_daemon *d, struct vgl_error *err)
{
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *tiers = json_object_new_array();

        for (size_t i = 0; tiers && i < d->policy.n_tiers; i++)
                if (json_object_array_add(tiers, json_object_new_string(d->policy.tiers[i].name)) <
                    0)
                        tiers = (json_object_put(tiers), NULL);
        o = vgd_trail_details(
                "version", json_object_new_string(VIGIL_VERSION), "uri",
                json_object_new_string(d->cfg.uri ? d->cfg.uri : "qemu:///embed"), "domain_type",
                json_object_new_string(d->domain_type), "policies",
                json_object_new_string(d->cfg.policies_dir), "tiers", tiers, "adjust_period_ms",
                json_object_new_int64(d->adjust_period_ms), "rules",
                json_object_new_int64((int64_t)vgl_rules_count(d->rules)), "nwfilter",
                json_object_new_string(d->nwfilter ? "defined" : d->nwfilter_why), NULL);
        if (!o)
                return vgl_error_set(err, ENOMEM, "out of memory");
        return vgd_trail_append(d, VGL_AUDIT_CONFIG, NULL, VGL_AUDIT_ACTOR_VIGILD, o, err);
}

int vgd_daemon_init(struct vgd_daemon *d, struct vgd_config *cfg, struct vgl_error *err)
{
        int r, n;

        *d = (struct vgd_daemon){.cfg = *cfg,
                                 .lifecycle_cb = -1,
                                 .refill_timer = -1,
                                 .watch_timer = -1,
                                 .adjust_timer = -1,
                                 .signal_watch = -1,
                                 .signal_fd = -1};
        *cfg = (struct vgd_config){.pool = -1};
        vgd_log_set_level(d->cfg.verbose ? VGD_LOG_DEBUG : VGD_LOG_INFO);
        if ((r = vgl_tier_set_load(d->cfg.policies_dir, &d->policy, err)) < 0 ||
            (r = vgd_tierperms_load(d, d->cfg.policies_dir, err)) < 0)
                goto fail;
        if (d->cfg.admin_group) {
                if ((r = vgd_authz_admin_gid(d->cfg.admin_group, &d->admin_gid, err)) < 0)
                        goto fail;
                d->have_admin_gid = true;
        }
        if ((r = make_dirs(d, err)) < 0 || (r = vgd_trail_open(d, err)) < 0 ||
            (r = init_libvirt(d, err)) < 0 || (r = vgd_control_init(d, err)) < 0 ||
            (r = record_config(d, err)) < 0 || (r = setup_signals(d, err)) < 0)
                goto fail;
        check_images(d);
        n = vgd_metadata_restore_all(d);
        if ((r = start_server(d, err)) < 0 || (r = vgd_control_start(d, err)) < 0)
                goto fail;
        vgd_watchdog_start(d);
        vgd_pool_schedule(d);
        vgd_info(NULL,
                 "vigild %s: %s, domain type %s, %zu tiers, %d sandboxes restored, "
                 "adjust every %u ms, %zu rules, listening on %s",
                 VIGIL_VERSION, d->cfg.uri ? d->cfg.uri : "qemu:///embed", d->domain_type,
                 d->policy.n_tiers, n, d->adjust_period_ms, vgl_rules_count(d->rules),
                 d->cfg.socket_path);
        return 0;
fail:
        vgd_daemon_fini(d);
        return r;
}

int vgd_daemon_run(struct vgd_daemon *d, struct vgl_error *err)
{
        int r;

        while (!d->quitting)
                if ((r = vgl_virt_event_run_once(err)) < 0)
                        return r;
        return 0;
}

static void wake(int timer, void *opaque)
{
        /* Only wakes the loop so the deadline is checked. */
}

static void wait_jobs(struct vgd_daemon *d)
{
        uint64_t deadline = vgd_now_ms() + JOBS_WAIT_MS;
        int t;

        if (!d->jobs)
                return;
        t = virEventAddTimeout(200, wake, NULL, NULL);
        while (d->jobs && vgd_now_ms() < deadline)
                if (vgl_virt_event_run_once(NULL) < 0)
                        break;
        if (t >= 0)
                virEventRemoveTimeout(t);
        if (d->jobs)
                vgd_warn(NULL, "%u background libvirt calls still running at exit", d->jobs);
}

/* Reserved sandboxes keep running: drop our side only. */
static void let_go(struct vgd_daemon *d)
{
        while (d->sandboxes) {
                struct vgd_sandbox *s = d->sandboxes;
                if (s->state == VGD_RESERVED) {
                        vgd_control_save(s); /* the profile's latest counters */
                        vgd_info(s->id, "left running for the next start");
                }
                vgd_sandbox_finish(s, false, "vigild is stopping", NULL);
        }
}

void vgd_daemon_fini(struct vgd_daemon *d)
{
        d->quitting = true;
        /* Frees every client: waiting Reserves, Execs and Subscribes are cancelled. */
        vgd_trail_streams_end(d);
        d->server = vgl_varlink_server_free(d->server);
        vgd_watchdog_stop(d);
        if (d->adjust_timer >= 0)
                virEventRemoveTimeout(d->adjust_timer);
        d->adjust_timer = -1;
        vgd_pool_stop(d);
        vgd_pool_drain(d);
        wait_jobs(d);
        let_go(d);
        wait_jobs(d);
        vgd_lifecycle_stop(d);
        if (d->signal_watch >= 0)
                virEventRemoveHandle(d->signal_watch);
        if (d->signal_fd >= 0)
                close(d->signal_fd);
        d->signal_watch = d->signal_fd = -1;
        if (d->conn)
                virConnectClose(d->conn);
        d->conn = NULL;
        vgd_control_fini(d);
        vgd_trail_close(d);
        vgd_tierperms_free(d);
        vgd_config_done(&d->cfg);
}
