/* vigil-guestfs inject: the agent and its service into an existing image. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "gfs.h"
#include "tool.h"

int inject_mounted(guestfs_h *g, const char *agent, struct inject_result *ret,
                   struct vgl_error *err)
{
        struct init_facts facts;
        enum initsys init;
        int r;

        if ((r = initsys_facts(g, &facts, err)) < 0 ||
            (r = initsys_detect(&facts, &init, err)) < 0 ||
            (r = boot_check_virtio_console(g, err)) < 0)
                return r;
        gfs_say("init system: %s (/sbin/init is %s)", initsys_name(init), facts.init);
        if (agent) {
                if (guestfs_mkdir_p(g, "/usr/local/sbin") < 0 ||
                    guestfs_upload(g, agent, AGENT_GUEST_PATH) < 0 ||
                    guestfs_chown(g, 0, 0, AGENT_GUEST_PATH) < 0 ||
                    guestfs_chmod(g, 0755, AGENT_GUEST_PATH) < 0)
                        return gfs_fail(g, err, "installing " AGENT_GUEST_PATH);
                if ((r = initsys_install(g, init, err)) < 0)
                        return r;
        }
        *ret = (struct inject_result){.init = init, .agent = agent != NULL};
        return 0;
}

/* Mountpoints shortest first, so / comes before /usr and /boot. */
static int by_length(const void *a, const void *b)
{
        return (int)strlen(((char *const *)a)[0]) - (int)strlen(((char *const *)b)[0]);
}

static int mount_guest(guestfs_h *g, const char *root, char *root_dev, size_t size,
                       struct vgl_error *err)
{
        _cleanup_(gfs_strv_freep) char **mps = guestfs_inspect_get_mountpoints(g, root);
        size_t n = 0;

        if (!mps)
                return gfs_fail(g, err, "listing the guest's filesystems");
        while (mps[n])
                n += 2;
        qsort(mps, n / 2, 2 * sizeof(char *), by_length);
        for (size_t i = 0; i < n; i += 2) {
                if (guestfs_mount(g, mps[i + 1], mps[i]) == 0) {
                        if (strcmp(mps[i], "/") == 0)
                                snprintf(root_dev, size, "%s", mps[i + 1]);
                        continue;
                }
                if (strcmp(mps[i], "/") == 0)
                        return gfs_fail(g, err, "mounting the guest's root filesystem");
                gfs_say("warning: cannot mount %s (%s): %s", mps[i], mps[i + 1],
                        guestfs_last_error(g) ?: "?");
        }
        return 0;
}

/* root= for the guest's kernel: UUID, else label, else the device renamed
 * from the appliance's /dev/sdX to the VM's virtio /dev/vdX. */
static void root_arg(guestfs_h *g, const char *dev, char *out, size_t size)
{
        _cleanup_free_ char *uuid = guestfs_vfs_uuid(g, dev);
        _cleanup_free_ char *label = NULL;

        if (uuid && uuid[0]) {
                snprintf(out, size, "UUID=%s", uuid);
                return;
        }
        label = guestfs_vfs_label(g, dev);
        if (label && label[0] &&
            strspn(label, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789_.-") == strlen(label)) {
                snprintf(out, size, "LABEL=%s", label);
                return;
        }
        snprintf(out, size, "%s", dev);
        if (!strncmp(out, "/dev/sd", 7))
                out[5] = 'v';
}

/* The one operating system on the disk, and that it can run the agent. */
static int inspect(guestfs_h *g, char **ret_root, struct vgl_error *err)
{
        _cleanup_(gfs_strv_freep) char **roots = guestfs_inspect_os(g);
        _cleanup_free_ char *type = NULL, *arch = NULL;

        if (!roots)
                return gfs_fail(g, err, "inspecting the disk");
        if (!roots[0])
                return vgl_error_set(err, ENOTSUP, "no operating system found on the disk");
        if (roots[1])
                return vgl_error_set(err, ENOTSUP,
                                     "several operating systems on the disk: not handled");
        type = guestfs_inspect_get_type(g, roots[0]);
        if (!type || strcmp(type, "linux") != 0)
                return vgl_error_set(err, ENOTSUP,
                                     "the guest is %s, not Linux: vigil-agent is a Linux program",
                                     type ? type : "of unknown type");
        arch = guestfs_inspect_get_arch(g, roots[0]);
        if (!arch || strcmp(arch, "x86_64") != 0)
                return vgl_error_set(err, ENOTSUP,
                                     "the guest is %s: the agent and vigil's VMs are x86_64",
                                     arch ? arch : "of unknown architecture");
        *ret_root = strdup(roots[0]);
        return *ret_root ? 0 : vgl_error_set(err, ENOMEM, "out of memory");
}

struct inject_opts {
        const char *disk, *agent, *boot_dir, *format, *cmdline;
};

static void inject_usage(FILE *f)
{
        fprintf(f, "usage: vigil-guestfs inject --disk IMAGE --agent PATH [--boot-dir DIR]\n"
                   "                            [--format qcow2|raw] [--cmdline S] [--quiet]\n"
                   "Installs the static vigil-agent as a service of the image's init system\n"
                   "(systemd, sysvinit, OpenRC) and makes virtio_console load at boot. With\n"
                   "--boot-dir, copies the guest's kernel and initrd there and writes\n"
                   "DIR/manifest.json for 'catalog add'. Prints key=value lines.\n");
}

static void parse_inject(int argc, char **argv, struct inject_opts *o)
{
        static const struct option longopts[] = {
                {"disk", required_argument, NULL, 'd'},
                {"agent", required_argument, NULL, 'a'},
                {"boot-dir", required_argument, NULL, 'b'},
                {"format", required_argument, NULL, 'f'},
                {"cmdline", required_argument, NULL, 'c'},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c;

        *o = (struct inject_opts){.cmdline = DISK_CMDLINE};
        while ((c = getopt_long(argc, argv, "q", longopts, NULL)) >= 0) {
                switch (c) {
                case 'd':
                        o->disk = optarg;
                        break;
                case 'a':
                        o->agent = optarg;
                        break;
                case 'b':
                        o->boot_dir = optarg;
                        break;
                case 'f':
                        o->format = optarg;
                        break;
                case 'c':
                        o->cmdline = optarg;
                        break;
                case 'q':
                        gfs_quiet = true;
                        break;
                case 'h':
                        inject_usage(stdout);
                        exit(0);
                default:
                        inject_usage(stderr);
                        exit(2);
                }
        }
        if (optind < argc || !o->disk || !o->agent)
                usage_error("inject", "--disk and --agent are required");
        if (o->format && strcmp(o->format, "qcow2") && strcmp(o->format, "raw"))
                usage_error("inject", "--format: qcow2 or raw");
}

static int run_inject(const struct inject_opts *o, struct vgl_error *err)
{
        _cleanup_(guestfs_closep) guestfs_h *g = NULL;
        _cleanup_free_ char *root = NULL, *disk = realpath(o->disk, NULL), *distro = NULL;
        struct inject_result res;
        struct boot_files boot = {};
        char root_dev[PATH_MAX] = "", rootarg[512];
        int r;

        if (!disk)
                return vgl_error_set(err, errno, "%s: %m", o->disk);
        if (o->boot_dir && mkdir(o->boot_dir, 0755) < 0 && errno != EEXIST)
                return vgl_error_set(err, errno, "%s: %m", o->boot_dir);
        if ((r = gfs_new(&g, err)) < 0 || (r = gfs_add_and_launch(g, disk, o->format, err)) < 0 ||
            (r = inspect(g, &root, err)) < 0 ||
            (r = mount_guest(g, root, root_dev, sizeof(root_dev), err)) < 0 ||
            (r = inject_mounted(g, o->agent, &res, err)) < 0)
                return r;
        distro = guestfs_inspect_get_distro(g, root);
        root_arg(g, root_dev, rootarg, sizeof(rootarg));
        if (o->boot_dir && ((r = boot_files_find(g, &boot, err)) < 0 ||
                            (r = boot_files_download(g, &boot, o->boot_dir, err)) < 0))
                return r;
        if ((r = gfs_finish(g, err)) < 0)
                return r;
        printf("distro=%s\ninit=%s\nroot=%s\n", distro ? distro : "unknown", initsys_name(res.init),
               rootarg);
        if (!o->boot_dir)
                return 0;
        printf("kernel_version=%s\n", boot.version);
        return disk_manifest_write(o->boot_dir,
                                   &(struct disk_manifest){.disk = disk,
                                                           .root = rootarg,
                                                           .cmdline = o->cmdline,
                                                           .kernel_version = boot.version,
                                                           .init = initsys_name(res.init),
                                                           .distro = distro,
                                                           .agent = true},
                                   err);
}

int cmd_inject(int argc, char **argv)
{
        struct inject_opts o;
        struct vgl_error e = {};

        parse_inject(argc, argv, &o);
        if (run_inject(&o, &e) < 0) {
                fprintf(stderr, "vigil-image inject: %s: %s\n", o.disk, e.msg);
                return 1;
        }
        gfs_say("%s: vigil-agent installed", o.disk);
        return 0;
}
