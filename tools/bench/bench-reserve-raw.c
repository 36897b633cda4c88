/* The baseline of the cold comparison: the same microVM vigild boots for
 * the tier (same template, image, kernel command line, console log and a
 * metadata record of the same shape), created with virDomainCreateXML on a
 * private qemu:///embed, timed to the agent's HELLO on the channel. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent-conn.h"
#include "bench-reserve.h"
#include "cleanup.h"
#include "domain-xml.h"
#include "image.h"
#include "policy.h"
#include "vm-harness.h"

static struct vm vm;
static struct vgl_image img;
static struct vgl_tier tier;

/* What vigild stores in <metadata> (the Sandbox record), same size and shape. */
static const char record_fmt[] =
        "{\"id\":\"%s\",\"tier\":\"%s\",\"posture\":\"%s\",\"state\":\"booting\","
        "\"owner_uid\":0,\"owned\":false,\"desired_trust_level\":0.375,\"trust_score\":1.0,"
        "\"created\":1795586626,\"labels\":{}}";

struct raw_boot {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool hello, closed;
        uint64_t t_hello_ns;
        struct vgl_agent_conn *ac;
        virDomainPtr dom;
        struct vgl_error err;
};

static void on_hello(struct vgl_agent *a, const struct vgl_hello *h, uint32_t v, void *u)
{
        struct raw_boot *b = u;
        uint64_t t = bench_now_ns();

        pthread_mutex_lock(&b->lock);
        b->hello = true;
        b->t_hello_ns = t;
        pthread_cond_broadcast(&b->cond);
        pthread_mutex_unlock(&b->lock);
}

static void on_closed(struct vgl_agent *a, const struct vgl_error *why, void *u)
{
        struct raw_boot *b = u;

        pthread_mutex_lock(&b->lock);
        b->closed = true;
        pthread_cond_broadcast(&b->cond);
        pthread_mutex_unlock(&b->lock);
}

static const struct vgl_agent_callbacks cbs = {.on_hello = on_hello, .on_closed = on_closed};

static int open_channel(void *u)
{
        struct raw_boot *b = u;

        return vgl_agent_conn_open(b->dom, &cbs, b, &b->ac, &b->err);
}

static int close_channel(void *u)
{
        struct raw_boot *b = u;

        b->ac = vgl_agent_conn_free(b->ac);
        return 0;
}

int bench_raw_init(const char *policies_dir, const char *image_dir, struct vgl_error *err)
{
        struct vgl_tier_set pol;
        const struct vgl_tier *t;
        int r;

        if ((r = vgl_tier_set_load(policies_dir, &pol, err)) < 0 ||
            (r = vgl_image_load(image_dir, &img, err)) < 0)
                return r;
        t = vgl_tier_set_find(&pol, BENCH_TIER);
        if (!t)
                return vgl_error_set(err, ENOENT, "no tier %s in %s", BENCH_TIER, policies_dir);
        tier = *t;
        return vm_init(&vm, err);
}

static int render(const char *id, char **ret, struct vgl_error *err)
{
        char record[512];
        struct vgl_domain_spec spec = {
                .id = id,
                .type = vgl_virt_domain_type(),
                .vcpus = tier.vcpus,
                .max_vcpus = tier.max_vcpus,
                .memory_kib = tier.memory_mib * 1024,
                .max_memory_kib = tier.max_memory_mib * 1024,
                .kernel = img.kernel,
                .initrd = img.initrd,
                .cmdline = img.cmdline,
                .console_log = vm.console_log,
                .tier = tier.name,
                .record_json = record,
        };

        snprintf(record, sizeof(record), record_fmt, id, tier.name, vgl_posture_name(tier.posture));
        return vgl_domain_xml_render(&spec, ret, err);
}

static bool wait_hello(struct raw_boot *b)
{
        struct timespec deadline;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += BENCH_TIMEOUT_S;
        pthread_mutex_lock(&b->lock);
        while (!b->hello && !b->closed)
                if (pthread_cond_timedwait(&b->cond, &b->lock, &deadline) == ETIMEDOUT)
                        break;
        pthread_mutex_unlock(&b->lock);
        return b->hello;
}

int bench_raw_boot(int run, double *ret_ms, struct vgl_error *err)
{
        struct raw_boot b = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
        _cleanup_free_ char *xml = NULL;
        char id[32];
        uint64_t t0;
        int r;

        /* same length as vigild's 12-character ids */
        snprintf(id, sizeof(id), "rawboot%05d", run);
        if ((r = render(id, &xml, err)) < 0)
                return r;
        t0 = bench_now_ns();
        b.dom = virDomainCreateXML(vm.conn, xml, 0);
        if (!b.dom)
                return vgl_virt_error(err, "creating the domain");
        r = vgl_virt_loop_call(open_channel, &b);
        if (r == 0 && !wait_hello(&b))
                r = vgl_error_set(err, ETIMEDOUT, "%s: no agent hello", id);
        if (r == 0)
                *ret_ms = (double)(b.t_hello_ns - t0) / 1e6;
        else if (!err->msg[0])
                vgl_error_set(err, -r, "%s: %s", id, b.err.msg);
        vgl_virt_loop_call(close_channel, &b);
        vgl_virt_domain_discard(b.dom);
        virDomainFree(b.dom);
        return r;
}

void bench_raw_fini(void)
{
        vm_fini(&vm);
}
