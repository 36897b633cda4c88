/* See hop-vm.h. */
#include "hop-vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain-xml.h"

void hop_vm_drop_agent(struct vm *vm)
{
        vm_close_agent(vm);
}

static int open_and_wait(struct vm *vm, int wait_s, struct vgl_error *err)
{
        int r;

        hop_vm_drop_agent(vm);
        pthread_mutex_lock(&vm->lock);
        vm->hello = vm->closed = false;
        pthread_mutex_unlock(&vm->lock);
        r = vm_open_agent(vm, err);
        if (r < 0)
                return r;
        return vm_wait(vm, vm_pred_hello, NULL, wait_s) && vm->hello ? 0 : -ETIMEDOUT;
}

/* The agent has no "host connected" event: it says hello again only after
 * it has seen the port closed. A guest paused for a save may not have seen
 * that yet, and then a quick reopen goes unnoticed; so when no hello comes,
 * the port is closed for a while (the guest running) and opened again. */
int hop_vm_reconnect(struct vm *vm, int timeout_s, struct vgl_error *err)
{
        int waited = 0, step = 10, r;

        for (int attempt = 0;; attempt++) {
                r = open_and_wait(vm, step, err);
                if (r == 0) {
                        if (attempt > 0)
                                fprintf(stderr, "# agent: hello after %d reopen(s)\n", attempt);
                        return 0;
                }
                if (r != -ETIMEDOUT)
                        return r;
                waited += step + 2;
                if (waited >= timeout_s)
                        break;
                hop_vm_drop_agent(vm);
                sleep(2);
        }
        vm_dump_console(vm);
        return vgl_error_set(err, ETIMEDOUT, "no hello from the agent within %d s", timeout_s);
}

int hop_vm_boot(struct vm *vm, const char *id, const struct vgl_image *img,
                const struct vgl_tier *t, int timeout_s, struct vgl_error *err)
{
        struct vgl_domain_spec spec = {
                .id = id,
                .type = vgl_virt_domain_type(),
                .vcpus = t->vcpus,
                .max_vcpus = t->max_vcpus,
                .memory_kib = t->memory_mib * 1024,
                .max_memory_kib = t->max_memory_mib * 1024,
                .kernel = img->kernel,
                .initrd = img->initrd,
                .cmdline = img->cmdline,
                .console_log = vm->console_log,
                .tier = t->name,
        };
        _cleanup_free_ char *xml = NULL;
        int r = vgl_domain_xml_render(&spec, &xml, err);

        if (r < 0)
                return r;
        vm->t_create_ns = vm_now_ns();
        vm->dom = virDomainCreateXML(vm->conn, xml, 0);
        vm->t_create_done_ns = vm_now_ns();
        if (!vm->dom)
                return vgl_virt_error(err, "creating the domain");
        if (open_and_wait(vm, timeout_s, err) == 0)
                return 0;
        vm_dump_console(vm);
        return vgl_error_set(err, ETIMEDOUT, "no hello from the agent within %d s", timeout_s);
}

int hop_vm_sh(struct vm *vm, const char *script, char *out, size_t size, int timeout_s,
              struct vgl_error *err)
{
        char *argv[] = {"sh", "-c", (char *)script, NULL};
        struct vm_exec_result res;
        size_t n;
        int r = vm_exec(vm, argv, &res, timeout_s, err);

        if (r < 0)
                return r;
        n = res.out.len < size - 1 ? res.out.len : size - 1;
        memcpy(out, res.out.data, n);
        out[n] = '\0';
        if (res.exit.status != VGL_EXIT_EXITED || res.exit.code != 0)
                r = vgl_error_set(err, EIO, "'%s' failed (status %d, code %d): %.*s", script,
                                  (int)res.exit.status, res.exit.code, (int)res.err.len,
                                  (const char *)res.err.data);
        vm_exec_result_done(&res);
        return r;
}

int hop_vm_tier(const char *name, struct vgl_tier *ret, struct vgl_error *err)
{
        const char *root = getenv("VIGIL_SOURCE_ROOT");
        struct vgl_tier_set *set = calloc(1, sizeof(*set));
        const struct vgl_tier *t;
        char dir[4096];
        int r;

        if (!set)
                return -ENOMEM;
        snprintf(dir, sizeof(dir), "%s/policies", root ? root : ".");
        r = vgl_tier_set_load(dir, set, err);
        if (r == 0) {
                t = vgl_tier_set_find(set, name);
                if (t)
                        *ret = *t;
                else
                        r = vgl_error_set(err, ENOENT, "no tier '%s' in %s", name, dir);
        }
        free(set);
        return r;
}
