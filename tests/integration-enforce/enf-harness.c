/* See enf-harness.h. */
#include "enf-harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain-xml.h"

int enf_vm_init(struct vm *vm, const char *uri, struct vgl_error *err)
{
        const char *tmp = getenv("TMPDIR");
        int r;

        memset(vm, 0, sizeof(*vm));
        setenv("LIBVIRT_LOG_OUTPUTS", "4:stderr", 0);
        pthread_mutex_init(&vm->lock, NULL);
        pthread_cond_init(&vm->cond, NULL);
        snprintf(vm->state_dir, sizeof(vm->state_dir), "%s/vigil-enf-XXXXXX",
                 tmp && tmp[0] == '/' ? tmp : "/tmp");
        if (!mkdtemp(vm->state_dir))
                return vgl_error_set(err, errno, "mkdtemp: %m");
        snprintf(vm->console_log, sizeof(vm->console_log), "%s/console.log", vm->state_dir);
        vgl_virt_quiet_errors();
        r = vgl_virt_loop_start(err);
        if (r < 0)
                return r;
        return vgl_virt_open(uri, vm->state_dir, &vm->conn, err);
}

int enf_vm_boot(struct vm *vm, const char *prefix, const struct vgl_image *img,
                const struct enf_vm_opts *o, int timeout_s, struct vgl_error *err)
{
        char id[64];
        struct vgl_domain_spec spec = {
                .id = id,
                .type = vgl_virt_domain_type(),
                .vcpus = o->vcpus,
                .max_vcpus = o->max_vcpus,
                .memory_kib = o->memory_mib * 1024,
                .max_memory_kib = o->max_memory_mib * 1024,
                .kernel = img->kernel,
                .initrd = img->initrd,
                .cmdline = img->cmdline,
                .tier = "test",
                .network = o->network,
                .mac = o->mac,
        };
        _cleanup_free_ char *xml = NULL;
        int r;

        snprintf(id, sizeof(id), "%s-%d", prefix, (int)getpid());
        spec.console_log = vm->console_log;
        r = vgl_domain_xml_render(&spec, &xml, err);
        if (r < 0)
                return r;
        vm->t_create_ns = vm_now_ns();
        vm->dom = virDomainCreateXML(vm->conn, xml, 0);
        vm->t_create_done_ns = vm_now_ns();
        if (!vm->dom)
                return vgl_virt_error(err, "creating the domain");
        r = vm_open_agent(vm, err);
        if (r < 0)
                return r;
        if (!vm_wait(vm, vm_pred_hello, NULL, timeout_s) || !vm->hello) {
                vm_dump_console(vm);
                return vgl_error_set(err, ETIMEDOUT, "no hello from the agent within %d s",
                                     timeout_s);
        }
        return 0;
}

int enf_vm_start(struct vm *vm, const char *prefix, const struct vgl_image *img,
                 const struct enf_vm_opts *o, int timeout_s, struct vgl_error *err)
{
        int r = enf_vm_init(vm, o->uri, err);

        return r < 0 ? r : enf_vm_boot(vm, prefix, img, o, timeout_s, err);
}

int enf_sh(struct vm *vm, const char *script, char *out, size_t size, int timeout_s)
{
        char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
        struct vm_exec_result res;
        struct vgl_error e = {0};
        int r = vm_exec(vm, argv, &res, timeout_s, &e);

        if (r < 0) {
                fprintf(stderr, "# exec '%s': %s\n", script, e.msg);
                return r;
        }
        if (out && size) {
                size_t n = res.out.len < size - 1 ? res.out.len : size - 1;

                memcpy(out, res.out.data, n);
                out[n] = '\0';
        }
        r = res.exit.status == VGL_EXIT_EXITED ? res.exit.code : -ECHILD;
        vm_exec_result_done(&res);
        return r;
}

void enf_guest_line(struct vm *vm, const char *cmd, char *out, size_t size)
{
        out[0] = '\0';
        if (enf_sh(vm, cmd, out, size, 120) != 0)
                out[0] = '\0';
        out[strcspn(out, "\n")] = '\0';
}
