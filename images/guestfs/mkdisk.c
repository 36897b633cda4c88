/* vigil-guestfs mkdisk: a root filesystem tarball into a bootable qcow2. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "gfs.h"
#include "tool.h"

/* vigil attaches the overlay as the only virtio disk: vda. */
#define ROOT_DEV   "/dev/vda1"
#define ROOT_LABEL "vigil-root"

struct mkdisk_opts {
        const char *tar, *out, *agent, *cmdline;
        int64_t size;
};

static void mkdisk_usage(FILE *f)
{
        fprintf(f, "usage: vigil-guestfs mkdisk --tar ROOTFS.tar --out DIR [--size N[MG]]\n"
                   "                            [--agent PATH] [--cmdline S] [--quiet]\n"
                   "Makes DIR/disk.qcow2 (one MBR partition, ext4, the tarball's tree), takes\n"
                   "the kernel and initrd out of its /boot into DIR, installs the agent when\n"
                   "given, and writes DIR/manifest.json. Prints key=value lines.\n");
}

static int64_t parse_size(const char *s)
{
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || v <= 0 || end == s)
                return -1;
        if (*end == 'G' || *end == 'g')
                v *= 1024LL * 1024 * 1024, end++;
        else if (*end == 'M' || *end == 'm')
                v *= 1024LL * 1024, end++;
        return *end || v < 64LL * 1024 * 1024 ? -1 : v;
}

static void parse_mkdisk(int argc, char **argv, struct mkdisk_opts *o)
{
        static const struct option longopts[] = {
                {"tar", required_argument, NULL, 't'},     {"out", required_argument, NULL, 'o'},
                {"size", required_argument, NULL, 's'},    {"agent", required_argument, NULL, 'a'},
                {"cmdline", required_argument, NULL, 'c'}, {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},          {},
        };
        int c;

        *o = (struct mkdisk_opts){.cmdline = DISK_CMDLINE, .size = 2LL * 1024 * 1024 * 1024};
        while ((c = getopt_long(argc, argv, "q", longopts, NULL)) >= 0) {
                switch (c) {
                case 't':
                        o->tar = optarg;
                        break;
                case 'o':
                        o->out = optarg;
                        break;
                case 'a':
                        o->agent = optarg;
                        break;
                case 'c':
                        o->cmdline = optarg;
                        break;
                case 'q':
                        gfs_quiet = true;
                        break;
                case 's':
                        if ((o->size = parse_size(optarg)) < 0)
                                usage_error("mkdisk", "--size: a size of at least 64M, "
                                                      "like 2G or 1536M");
                        break;
                case 'h':
                        mkdisk_usage(stdout);
                        exit(0);
                default:
                        mkdisk_usage(stderr);
                        exit(2);
                }
        }
        if (optind < argc || !o->tar || !o->out)
                usage_error("mkdisk", "--tar and --out are required");
}

/* Partition, filesystem, the tree, fstab. */
static int fill(guestfs_h *g, const char *tar, struct vgl_error *err)
{
        gfs_say("partitioning and formatting");
        if (guestfs_part_disk(g, "/dev/sda", "mbr") < 0 ||
            guestfs_mkfs_opts(g, "ext4", "/dev/sda1", GUESTFS_MKFS_OPTS_LABEL, ROOT_LABEL, -1) <
                    0 ||
            guestfs_mount(g, "/dev/sda1", "/") < 0)
                return gfs_fail(g, err, "making the root filesystem");
        gfs_say("copying the tree in (%s)", tar);
        /* xattrs: file capabilities (ping's cap_net_raw) live there. */
        if (guestfs_tar_in_opts(g, tar, "/", GUESTFS_TAR_IN_OPTS_XATTRS, 1, -1) < 0)
                return gfs_fail(g, err, "copying the tree in");
        return gfs_write(
                g, "/etc/fstab",
                "# vigil disk image: the root filesystem on the VM's virtio disk\n" ROOT_DEV
                " / ext4 defaults,errors=remount-ro 0 1\n",
                0644, err);
}

/* ID= of the tree's /etc/os-release ("debian"), for the manifest. */
static char *os_id(guestfs_h *g)
{
        _cleanup_free_ char *text = NULL;
        size_t n = 0;
        char *p;

        if (guestfs_is_file_opts(g, "/etc/os-release", GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1,
                                 -1) <= 0 ||
            !(text = guestfs_read_file(g, "/etc/os-release", &n)) || strlen(text) != n)
                return NULL;
        for (p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (!strncmp(p, "ID=", 3))
                        return strndup(p + 3, strcspn(p + 3, "\n"));
        return NULL;
}

static int run_mkdisk(const struct mkdisk_opts *o, struct vgl_error *err)
{
        _cleanup_(guestfs_closep) guestfs_h *g = NULL;
        _cleanup_free_ char *disk = NULL, *distro = NULL;
        struct inject_result res;
        struct boot_files boot;
        int r;

        if (mkdir(o->out, 0755) < 0 && errno != EEXIST)
                return vgl_error_set(err, errno, "%s: %m", o->out);
        if (access(o->tar, R_OK) < 0)
                return vgl_error_set(err, errno, "%s: %m", o->tar);
        if (asprintf(&disk, "%s/disk.qcow2", o->out) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if ((r = gfs_new(&g, err)) < 0)
                return r;
        if (guestfs_disk_create(g, disk, "qcow2", o->size, -1) < 0)
                return gfs_fail(g, err, disk);
        if ((r = gfs_add_and_launch(g, disk, "qcow2", err)) < 0 || (r = fill(g, o->tar, err)) < 0 ||
            (r = inject_mounted(g, o->agent, &res, err)) < 0 ||
            (r = boot_files_find(g, &boot, err)) < 0 ||
            (r = boot_files_download(g, &boot, o->out, err)) < 0)
                return r;
        distro = os_id(g);
        if ((r = gfs_finish(g, err)) < 0)
                return r;
        printf("init=%s\nroot=%s\nkernel_version=%s\n", initsys_name(res.init), ROOT_DEV,
               boot.version);
        return disk_manifest_write(o->out,
                                   &(struct disk_manifest){.disk = "disk.qcow2",
                                                           .root = ROOT_DEV,
                                                           .cmdline = o->cmdline,
                                                           .kernel_version = boot.version,
                                                           .init = initsys_name(res.init),
                                                           .distro = distro,
                                                           .agent = res.agent},
                                   err);
}

int cmd_mkdisk(int argc, char **argv)
{
        struct mkdisk_opts o;
        struct vgl_error e = {};

        parse_mkdisk(argc, argv, &o);
        if (run_mkdisk(&o, &e) < 0) {
                fprintf(stderr, "vigil-guestfs mkdisk: %s\n", e.msg);
                return 1;
        }
        return 0;
}
