/* See vm-harness.h. */
#include "vm-harness.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain-xml.h"

uint64_t vm_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- image ---- */

static int build_image(char *dir, size_t size, struct vgl_error *err)
{
        const char *src = getenv("VIGIL_SOURCE_ROOT"), *build = getenv("VIGIL_BUILD_ROOT");
        _cleanup_free_ char *cmd = NULL;
        FILE *p;
        int st;

        if (!src || !build)
                return vgl_error_set(err, ENOENT,
                                     "VIGIL_IMAGE_DIR unset and no "
                                     "VIGIL_SOURCE_ROOT/VIGIL_BUILD_ROOT to build one");
        if (asprintf(&cmd, "'%s/tools/vigil-image' build-microvm --build-dir '%s' --quiet", src,
                     build) < 0)
                return -ENOMEM;
        p = popen(cmd, "re");
        if (!p)
                return vgl_error_set(err, errno, "running vigil-image: %m");
        dir[0] = '\0';
        /* The last line of its output is the image directory. */
        while (fgets(dir, (int)size, p))
                ;
        st = pclose(p);
        dir[strcspn(dir, "\n")] = '\0';
        if (st != 0 || !dir[0])
                return vgl_error_set(err, ENOENT, "'%s' failed (status %d)", cmd, st);
        return 0;
}

int vm_find_image(struct vgl_image *ret, struct vgl_error *err)
{
        const char *env = getenv("VIGIL_IMAGE_DIR");
        char dir[4096];
        int r;

        if (env && env[0])
                snprintf(dir, sizeof(dir), "%s", env);
        else if ((r = build_image(dir, sizeof(dir), err)) < 0)
                return r;
        return vgl_image_load(dir, ret, err);
}

/* ---- agent callbacks (loop thread) ---- */

static void on_hello(struct vgl_agent *a, const struct vgl_hello *h, uint32_t v, void *u)
{
        struct vm *vm = u;
        uint64_t t = vm_now_ns();

        pthread_mutex_lock(&vm->lock);
        vm->hello = true;
        vm->t_hello_ns = t;
        vm->h = *h;
        vm->version = v;
        pthread_cond_broadcast(&vm->cond);
        pthread_mutex_unlock(&vm->lock);
}

static void on_heartbeat(struct vgl_agent *a, const struct vgl_heartbeat *hb, void *u)
{
        struct vm *vm = u;

        pthread_mutex_lock(&vm->lock);
        vm->heartbeats++;
        vm->last_hb = *hb;
        pthread_cond_broadcast(&vm->cond);
        pthread_mutex_unlock(&vm->lock);
}

static void on_resource(struct vgl_agent *a, const struct vgl_resource_sample *s, void *u)
{
        struct vm *vm = u;

        pthread_mutex_lock(&vm->lock);
        vm->samples++;
        vm->last_sample = *s;
        pthread_cond_broadcast(&vm->cond);
        pthread_mutex_unlock(&vm->lock);
}

static void on_protocol_error(struct vgl_agent *a, const struct vgl_error *e, void *u)
{
        struct vm *vm = u;

        pthread_mutex_lock(&vm->lock);
        vm->protocol_errors++;
        snprintf(vm->last_protocol_error, sizeof(vm->last_protocol_error), "%s", e->msg);
        pthread_mutex_unlock(&vm->lock);
        fprintf(stderr, "# agent protocol error: %s\n", e->msg);
}

static void on_agent_error(struct vgl_agent *a, const struct vgl_error_msg *m, void *u)
{
        fprintf(stderr, "# agent error: %s: %s\n", m->code, m->message);
}

static void on_closed(struct vgl_agent *a, const struct vgl_error *why, void *u)
{
        struct vm *vm = u;

        pthread_mutex_lock(&vm->lock);
        vm->closed = true;
        pthread_cond_broadcast(&vm->cond);
        pthread_mutex_unlock(&vm->lock);
}

static const struct vgl_agent_callbacks agent_cbs = {
        .on_hello = on_hello,
        .on_heartbeat = on_heartbeat,
        .on_resource = on_resource,
        .on_agent_error = on_agent_error,
        .on_protocol_error = on_protocol_error,
        .on_closed = on_closed,
};

/* ---- raw mode: count bytes, stamp the first ones ---- */

static void on_raw_event(virStreamPtr st, int events, void *opaque)
{
        struct vm *vm = opaque;
        char buf[4096];
        int n;

        while ((n = virStreamRecv(st, buf, sizeof(buf))) > 0) {
                pthread_mutex_lock(&vm->lock);
                if (!vm->hello) {
                        vm->hello = true;
                        vm->t_hello_ns = vm_now_ns();
                }
                if (vm->raw_bytes < sizeof(vm->raw_head) - 1) {
                        size_t k = sizeof(vm->raw_head) - 1 - (size_t)vm->raw_bytes;
                        memcpy(vm->raw_head + vm->raw_bytes, buf, (size_t)n < k ? (size_t)n : k);
                }
                vm->raw_bytes += (uint64_t)n;
                pthread_cond_broadcast(&vm->cond);
                pthread_mutex_unlock(&vm->lock);
        }
        if (n == 0 || n == -1 || (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP))) {
                virStreamEventRemoveCallback(st);
                vm->raw_watching = false;
                virResetLastError();
                pthread_mutex_lock(&vm->lock);
                vm->closed = true;
                pthread_cond_broadcast(&vm->cond);
                pthread_mutex_unlock(&vm->lock);
        }
}

struct open_args {
        struct vm *vm;
        bool raw;
        struct vgl_error *err;
};

static int open_channel(void *u)
{
        struct open_args *o = u;
        struct vm *vm = o->vm;

        if (!o->raw)
                return vgl_agent_conn_open(vm->dom, &agent_cbs, vm, &vm->ac, o->err);
        vm->raw = virStreamNew(vm->conn, VIR_STREAM_NONBLOCK);
        if (!vm->raw)
                return vgl_virt_error(o->err, "stream");
        if (virDomainOpenChannel(vm->dom, VGL_AGENT_PORT_NAME, vm->raw, VIR_DOMAIN_CHANNEL_FORCE) <
                    0 ||
            virStreamEventAddCallback(vm->raw,
                                      VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
                                              VIR_STREAM_EVENT_HANGUP,
                                      on_raw_event, vm, NULL) < 0)
                return vgl_virt_error(o->err, "opening the channel");
        vm->raw_watching = true;
        return 0;
}

static int close_channel(void *u)
{
        struct vm *vm = u;

        vm->ac = vgl_agent_conn_free(vm->ac);
        if (vm->raw) {
                if (vm->raw_watching)
                        virStreamEventRemoveCallback(vm->raw);
                vm->raw_watching = false;
                virStreamAbort(vm->raw);
                virStreamFree(vm->raw);
                virResetLastError();
                vm->raw = NULL;
        }
        return 0;
}

int vm_open_agent(struct vm *vm, struct vgl_error *err)
{
        struct open_args o = {vm, false, err};

        return vgl_virt_loop_call(open_channel, &o);
}

void vm_close_agent(struct vm *vm)
{
        vgl_virt_loop_call(close_channel, vm);
}

/* ---- lifecycle ---- */

int vm_init(struct vm *vm, struct vgl_error *err)
{
        const char *tmp = getenv("TMPDIR");
        int r;

        memset(vm, 0, sizeof(*vm));
        /* libvirt's in-process driver logs warnings (e.g. "tainted:
         * high-privileges" for QEMU running as root) to stderr; keep errors only
         * unless the caller asked for more. Read once, at libvirt's init. */
        setenv("LIBVIRT_LOG_OUTPUTS", "4:stderr", 0);
        pthread_mutex_init(&vm->lock, NULL);
        pthread_cond_init(&vm->cond, NULL);
        snprintf(vm->state_dir, sizeof(vm->state_dir), "%s/vigil-vm-XXXXXX",
                 tmp && tmp[0] == '/' ? tmp : "/tmp");
        if (!mkdtemp(vm->state_dir))
                return vgl_error_set(err, errno, "mkdtemp: %m");
        snprintf(vm->console_log, sizeof(vm->console_log), "%s/console.log", vm->state_dir);
        vgl_virt_quiet_errors();
        r = vgl_virt_loop_start(err);
        if (r < 0)
                return r;
        return vgl_virt_open(NULL, vm->state_dir, &vm->conn, err);
}

static void reset_state(struct vm *vm)
{
        pthread_mutex_lock(&vm->lock);
        vm->hello = vm->closed = false;
        vm->heartbeats = vm->samples = vm->protocol_errors = 0;
        vm->raw_bytes = 0;
        memset(vm->raw_head, 0, sizeof(vm->raw_head));
        pthread_mutex_unlock(&vm->lock);
}

int vm_boot(struct vm *vm, const char *id, const struct vgl_image *img, const char *initrd,
            bool raw, struct vgl_error *err)
{
        struct vgl_domain_spec spec = {
                .id = id,
                .type = vgl_virt_domain_type(),
                .vcpus = 1,
                .max_vcpus = 2,
                .memory_kib = 256 * 1024,
                .max_memory_kib = 512 * 1024,
                .kernel = img->kernel,
                .initrd = initrd,
                .cmdline = img->cmdline,
                .console_log = vm->console_log,
                .tier = "test",
        };

        return vm_boot_spec(vm, &spec, raw, err);
}

int vm_boot_spec(struct vm *vm, const struct vgl_domain_spec *spec, bool raw, struct vgl_error *err)
{
        struct open_args o = {vm, raw, err};
        _cleanup_free_ char *xml = NULL;
        int r;

        reset_state(vm);
        r = vgl_domain_xml_render(spec, &xml, err);
        if (r < 0)
                return r;
        vm->t_create_ns = vm_now_ns();
        vm->dom = virDomainCreateXML(vm->conn, xml, 0);
        vm->t_create_done_ns = vm_now_ns();
        if (!vm->dom)
                return vgl_virt_error(err, "creating the domain");
        return vgl_virt_loop_call(open_channel, &o);
}

void vm_shutdown(struct vm *vm)
{
        vgl_virt_loop_call(close_channel, vm);
        if (vm->dom) {
                vgl_virt_domain_discard(vm->dom);
                virDomainFree(vm->dom);
                vm->dom = NULL;
        }
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        remove(path);
        return 0;
}

void vm_fini(struct vm *vm)
{
        vm_shutdown(vm);
        if (vm->conn)
                virConnectClose(vm->conn);
        vm->conn = NULL;
        vgl_virt_loop_stop();
        if (vm->state_dir[0])
                nftw(vm->state_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool vm_wait(struct vm *vm, bool (*pred)(struct vm *vm, void *arg), void *arg, int timeout_s)
{
        struct timespec deadline;
        bool ok;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += timeout_s;
        pthread_mutex_lock(&vm->lock);
        while (!(ok = pred(vm, arg)))
                if (pthread_cond_timedwait(&vm->cond, &vm->lock, &deadline) == ETIMEDOUT) {
                        ok = pred(vm, arg);
                        break;
                }
        pthread_mutex_unlock(&vm->lock);
        return ok;
}

bool vm_pred_hello(struct vm *vm, void *arg)
{
        return vm->hello || vm->closed;
}

void vm_dump_console(struct vm *vm)
{
        _cleanup_free_ char *cmd = NULL;

        fprintf(stderr, "# --- last console lines (%s) ---\n", vm->console_log);
        if (asprintf(&cmd, "tail -n 30 '%s' >&2", vm->console_log) >= 0 && system(cmd) != 0)
                fprintf(stderr, "# (no console log)\n");
}

int vm_start_agent(struct vm *vm, const char *prefix, const struct vgl_image *img, int timeout_s,
                   struct vgl_error *err)
{
        char id[64];
        int r = vm_init(vm, err);

        if (r < 0)
                return r;
        snprintf(id, sizeof(id), "%s-%d", prefix, (int)getpid());
        r = vm_boot(vm, id, img, img->initrd, false, err);
        if (r < 0)
                return r;
        if (!vm_wait(vm, vm_pred_hello, NULL, timeout_s) || !vm->hello) {
                vm_dump_console(vm);
                return vgl_error_set(err, ETIMEDOUT, "no hello from the agent within %d s",
                                     timeout_s);
        }
        return 0;
}
