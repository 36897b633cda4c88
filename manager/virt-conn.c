/* Opening libvirt connections and choosing the domain type. */
#include "virt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int vgl_virt_embed_uri(const char *state_dir, char **ret, struct vgl_error *err)
{
        char *uri = NULL;

        if (!state_dir || state_dir[0] != '/')
                return vgl_error_set(err, EINVAL, "state dir must be an absolute path");
        /* libvirt parses the root from the query string: no escaping is
         * applied there, so refuse characters that would end the value. */
        if (strpbrk(state_dir, "&#? \t\n"))
                return vgl_error_set(err, EINVAL,
                                     "state dir '%s' has characters a URI cannot carry", state_dir);
        if (asprintf(&uri, "qemu:///embed?root=%s", state_dir) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        *ret = uri;
        return 0;
}

/* The embedded driver reads <root>/etc/qemu.conf. Its defaults assume the
 * system daemon's companions: QEMU runs as "libvirt-qemu" and its output
 * goes through virtlogd. vigild has neither: QEMU runs as the calling user
 * and writes its log file itself. An existing file is left alone (an
 * operator may have tuned it). */
static int ensure_embed_config(const char *state_dir, struct vgl_error *err)
{
        _cleanup_free_ char *etc = NULL, *conf = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        if (asprintf(&etc, "%s/etc", state_dir) < 0 || asprintf(&conf, "%s/qemu.conf", etc) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if (mkdir(etc, 0700) < 0 && errno != EEXIST)
                return vgl_error_set(err, errno, "creating %s: %m", etc);
        f = fopen(conf, "wxe");
        if (!f)
                return errno == EEXIST ? 0 : vgl_error_set(err, errno, "creating %s: %m", conf);
        fprintf(f,
                "# written by vigil for the embedded QEMU driver\n"
                "user = \"+%u\"\ngroup = \"+%u\"\nstdio_handler = \"file\"\n",
                (unsigned)getuid(), (unsigned)getgid());
        if (fflush(f) != 0)
                return vgl_error_set(err, errno, "writing %s: %m", conf);
        return 0;
}

int vgl_virt_open(const char *uri, const char *state_dir, virConnectPtr *ret, struct vgl_error *err)
{
        _cleanup_free_ char *embed = NULL;
        virConnectPtr c;
        int r;

        if (!uri) {
                r = vgl_virt_embed_uri(state_dir, &embed, err);
                if (r < 0)
                        return r;
                if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
                        return vgl_error_set(err, errno, "creating %s: %m", state_dir);
                r = ensure_embed_config(state_dir, err);
                if (r < 0)
                        return r;
                uri = embed;
        }
        c = virConnectOpen(uri);
        if (!c)
                return vgl_virt_error(err, uri);
        *ret = c;
        return 0;
}

bool vgl_virt_kvm_usable(char *why, size_t size)
{
        const char *forced = getenv("VIGIL_DOMAIN_TYPE");
        int fd;

        if (forced && (!strcmp(forced, "kvm") || !strcmp(forced, "qemu"))) {
                snprintf(why, size, "VIGIL_DOMAIN_TYPE=%s", forced);
                return !strcmp(forced, "kvm");
        }
        fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                snprintf(why, size, "/dev/kvm: %s", strerror(errno));
                return false;
        }
        close(fd);
        /* A /dev/kvm without the hardware module is a software KVM (such as
         * kvm_pvm, which shadows page tables and runs only guests built for
         * it): stock guest kernels crawl or fail there, TCG is faster. */
        if (access("/sys/module/kvm_intel", F_OK) < 0 && access("/sys/module/kvm_amd", F_OK) < 0) {
                snprintf(why, size,
                         "/dev/kvm is not hardware KVM (no kvm_intel or kvm_amd module)");
                return false;
        }
        snprintf(why, size, "/dev/kvm with hardware KVM");
        return true;
}

const char *vgl_virt_domain_type(void)
{
        char why[128];

        return vgl_virt_kvm_usable(why, sizeof(why)) ? "kvm" : "qemu";
}

void vgl_virt_domain_discard(virDomainPtr dom)
{
        bool persistent;

        if (!dom)
                return;
        /* Asked before destroying: a transient domain is gone afterwards. */
        persistent = virDomainIsPersistent(dom) == 1;
        if (virDomainIsActive(dom) == 1)
                virDomainDestroy(dom);
        /* Not every driver knows the NVRAM flag; fall back to a plain undefine. */
        if (persistent && virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_NVRAM) < 0)
                virDomainUndefine(dom);
        virResetLastError();
}
