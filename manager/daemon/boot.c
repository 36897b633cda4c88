/* See boot.h. */
#include "boot.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "cleanup.h"
#include "control.h"
#include "domain-xml.h"
#include "events.h"
#include "log.h"
#include "metadata.h"
#include "pool.h"
#include "registry.h"
#include "permissions.h"
#include "reserve.h"
#include "sandbox.h"
#include "tierperms.h"
#include "work.h"

int vgd_image_resolve(struct vgd_daemon *d, const char *name, struct vgl_image *ret,
                      struct vgl_error *err)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/manifest.json", d->cfg.images_dir);
        if (access(path, F_OK) == 0)
                return vgl_image_load(d->cfg.images_dir, ret, err);
        if (!name[0] || strchr(name, '/') || name[0] == '.')
                return vgl_error_set(err, EINVAL, "bad image name '%s'", name);
        snprintf(path, sizeof(path), "%s/%s", d->cfg.images_dir, name);
        return vgl_image_load(path, ret, err);
}

static int render(struct vgd_daemon *d, struct vgd_sandbox *s, const struct vgl_tier *t, char **ret,
                  struct vgl_error *err)
{
        _cleanup_free_ char *record = NULL;
        char console[PATH_MAX];
        struct vgl_image img;
        int r;

        if ((r = vgd_image_resolve(d, t->image, &img, err)) < 0)
                return r;
        if (vgd_sandbox_record_text(s, &record) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        snprintf(console, sizeof(console), "%s/console/%s.log", d->cfg.state_dir, s->id);
        struct vgl_domain_spec spec = {
                .id = s->id,
                .type = d->domain_type,
                .vcpus = t->vcpus,
                .max_vcpus = t->max_vcpus,
                .memory_kib = t->memory_mib * 1024,
                .max_memory_kib = t->max_memory_mib * 1024,
                .kernel = img.kernel,
                .initrd = img.initrd,
                .cmdline = img.cmdline,
                .console_log = console,
                .tier = t->name,
                .record_json = record,
        };
        return vgl_domain_xml_render(&spec, ret, err);
}

struct boot_job {
        struct vgd_sandbox *s;
        virConnectPtr conn;
        char *xml;
        virDomainPtr dom;
        struct vgl_error err;
};

static void boot_run(void *data)
{
        struct boot_job *j = data;

        j->dom = virDomainCreateXML(j->conn, j->xml, 0);
        if (!j->dom)
                vgl_virt_error(&j->err, "creating the domain");
}

static void boot_timeout(int timer, void *opaque)
{
        struct vgd_sandbox *s = opaque;
        char why[128];

        virEventRemoveTimeout(timer);
        s->boot_timer = -1;
        snprintf(why, sizeof(why), "no agent hello within %u s", s->d->cfg.boot_timeout_s);
        vgd_boot_failed(s, why);
}

static void boot_done(struct vgd_daemon *d, void *data)
{
        struct boot_job *j = data;
        struct vgd_sandbox *s = j->s;
        struct vgl_error e = {};

        free(j->xml);
        if (s->state != VGD_BOOTING || (d->quitting && !s->reserve_call)) {
                /* Released (or shutting down) while QEMU was starting. */
                vgd_job_destroy_domain(d, j->dom);
        } else if (!j->dom) {
                vgd_boot_failed(s, j->err.msg);
        } else {
                s->dom = j->dom;
                vgd_debug(s->id, "domain %s created in %llu ms", s->domain,
                          (unsigned long long)(vgd_now_ms() - s->boot_started_ms));
                if (vgd_channel_open(s, &e) < 0)
                        vgd_boot_failed(s, e.msg);
                else
                        s->boot_timer = virEventAddTimeout((int)d->cfg.boot_timeout_s * 1000,
                                                           boot_timeout, s, NULL);
        }
        vgd_sandbox_unref(s);
        free(j);
}

int vgd_boot_start(struct vgd_daemon *d, const struct vgl_tier *t, struct vgd_sandbox **ret,
                   struct vgl_error *err)
{
        struct vgd_sandbox *s = NULL;
        struct boot_job *j;
        char id[VGD_ID_LEN + 1];
        int r;

        do {
                if ((r = vgd_sandbox_make_id(id, sizeof(id))) < 0)
                        return vgl_error_set(err, -r, "no random id");
        } while (vgd_registry_find(d, id));
        if (vgd_sandbox_new(d, id, t, &s) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        s->created = vgd_wall_s();
        s->desired_trust_level = (t->min_trust + t->max_trust) / 2;
        j = calloc(1, sizeof(*j));
        if (!j || (r = render(d, s, t, &j->xml, err)) < 0) {
                free(j);
                vgd_sandbox_unref(s);
                return j ? r : vgl_error_set(err, ENOMEM, "out of memory");
        }
        j->conn = d->conn;
        j->s = vgd_sandbox_ref(s);
        s->boot_started_ms = vgd_now_ms();
        vgd_registry_add(d, s);
        vgd_debug(s->id, "booting a %s sandbox", t->name);
        vgd_job_submit(d, boot_run, boot_done, j);
        if (ret)
                *ret = s;
        vgd_sandbox_unref(s); /* the registry holds it now */
        return 0;
}

static void remove_boot_timer(struct vgd_sandbox *s)
{
        if (s->boot_timer >= 0)
                virEventRemoveTimeout(s->boot_timer);
        s->boot_timer = -1;
}

static void boot_ready(struct vgd_sandbox *s)
{
        struct vgd_daemon *d = s->d;
        uint64_t ms = vgd_now_ms() - s->boot_started_ms;

        vgd_pool_boot_ok(d, s->tier);
        if (s->reserve_call) {
                vgd_reserve_complete(s);
                return;
        }
        s->state = VGD_READY;
        vgd_metadata_save(s);
        vgd_event(d, s, "ready", "%s pool VM up in %llu ms (agent %s, kernel %s)", s->tier,
                  (unsigned long long)ms, s->h.agent_version, s->h.kernel);
}

static void tier_set_done(struct vgd_sandbox *s, int r, const char *msg)
{
        char why[600];

        if (s->state != VGD_BOOTING)
                return;
        if (r == 0) {
                boot_ready(s);
        } else if (r != -ECONNABORTED) { /* a closed channel fails the boot by itself */
                snprintf(why, sizeof(why), "the %s permission set was not applied: %s", s->tier,
                         msg);
                vgd_boot_failed(s, why);
        }
}

void vgd_boot_hello(struct vgd_sandbox *s)
{
        struct json_object *set = vgd_tierperms_get(s->d, s->tier);
        struct vgl_error e = {};
        char why[600];

        remove_boot_timer(s);
        /* No sandbox is handed out before its agent enforces its tier's set. */
        if (!set) {
                boot_ready(s);
        } else if (vgd_permissions_push(s, set, tier_set_done, &e) < 0) {
                snprintf(why, sizeof(why), "the %s permission set cannot be applied: %s", s->tier,
                         e.msg);
                vgd_boot_failed(s, why);
        }
}

void vgd_boot_failed(struct vgd_sandbox *s, const char *reason)
{
        struct vgd_daemon *d = s->d;

        vgd_event(d, s, "boot-failed", "%s", reason);
        if (!s->reserve_call)
                vgd_pool_boot_failed(d, s->tier);
        vgd_sandbox_finish(s, true, reason, NULL);
        vgd_pool_schedule(d);
}

static void remove_console(struct vgd_sandbox *s)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/console/%s.log", s->d->cfg.state_dir, s->id);
        unlink(path);
}

struct destroy_job {
        virDomainPtr dom;
        struct vgl_varlink_call *reply;
};

static void destroy_run(void *data)
{
        struct destroy_job *j = data;

        if (j->dom) {
                if (virDomainDestroy(j->dom) < 0)
                        virResetLastError();
                virDomainFree(j->dom);
        }
}

static void destroy_done(struct vgd_daemon *d, void *data)
{
        struct destroy_job *j = data;

        if (j->reply) {
                vgl_varlink_call_reply(j->reply, NULL);
                vgl_varlink_call_unref(j->reply);
        }
        free(j);
}

void vgd_sandbox_finish(struct vgd_sandbox *s, bool destroy, const char *why,
                        struct vgl_varlink_call *reply)
{
        struct vgd_daemon *d = s->d;
        struct destroy_job *j;

        vgd_sandbox_ref(s);
        s->state = VGD_RELEASED;
        remove_boot_timer(s);
        vgd_reserve_disarm(s);
        vgd_reserve_fail(s, why);
        vgd_channel_close(s, why);
        vgd_control_detach(s, why);
        j = calloc(1, sizeof(*j));
        if (j) {
                j->dom = destroy ? TAKE_PTR(s->dom) : NULL;
                j->reply = reply ? vgl_varlink_call_ref(reply) : NULL;
                if (j->dom || j->reply)
                        vgd_job_submit(d, destroy_run, destroy_done, j);
                else
                        free(j);
        } else if (reply) {
                vgl_varlink_call_reply(reply, NULL);
        }
        if (destroy)
                remove_console(s);
        vgd_registry_remove(d, s);
        vgd_sandbox_unref(s);
}
