/* vigilctl cp SRC DST: copies a file into or out of a sandbox; one side is
 * ID:PATH, the other a local path or '-' (stdin/stdout). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "vigilctl.h"

/* "ID:PATH" names a sandbox when ID is not empty and holds no '/'. */
static bool is_remote(const char *s)
{
        const char *colon = strchr(s, ':');

        return colon && colon != s && memchr(s, '/', (size_t)(colon - s)) == NULL;
}

static int split_remote(const char *s, struct vgl_ctl_cp_args *a, struct vgl_error *err)
{
        const char *colon = strchr(s, ':');

        if (!colon[1])
                return vgl_error_set(err, EINVAL, "'%s': no path after ':'", s);
        a->id = strndup(s, (size_t)(colon - s));
        if (!a->id)
                return vgl_error_set(err, ENOMEM, "out of memory");
        a->remote = colon + 1;
        return 0;
}

static int cp_sides(const char *src, const char *dst, struct vgl_ctl_cp_args *a,
                    struct vgl_error *err)
{
        bool src_remote = is_remote(src), dst_remote = is_remote(dst);

        if (src_remote && dst_remote)
                return vgl_error_set(err, EINVAL, "copying between two sandboxes is not supported");
        if (!src_remote && !dst_remote)
                return vgl_error_set(err, EINVAL, "one side must be ID:PATH");
        a->direction = dst_remote ? VGL_CTL_CP_TO_SANDBOX : VGL_CTL_CP_FROM_SANDBOX;
        a->local = dst_remote ? src : dst;
        if (*a->local == '\0')
                return vgl_error_set(err, EINVAL, "empty local path");
        return split_remote(dst_remote ? dst : src, a, err);
}

int vgl_ctl_parse_cp(int argc, char **argv, struct vgl_ctl_cp_args *ret, struct vgl_error *err)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {},
        };
        struct vgl_ctl_cp_args a = {0};
        int c, r;

        vgl_ctl_getopt_reset();
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
                if (c == 'h')
                        return VGL_CTL_HELP;
                if (c != 'J')
                        return vgl_ctl_bad_option(c, argv, err);
                a.json = true;
        }
        if (argc - optind != 2)
                return vgl_error_set(err, EINVAL, "expected SRC and DST");
        r = cp_sides(argv[optind], argv[optind + 1], &a, err);
        if (r < 0) {
                vgl_ctl_cp_args_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}

void vgl_ctl_cp_args_done(struct vgl_ctl_cp_args *a)
{
        a->id = (free(a->id), NULL);
}

/* dir + "/" + basename(path), for a destination that is a directory. */
static char *join_basename(const char *dir, const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        char *joined = NULL;

        if (!copy)
                return NULL;
        if (asprintf(&joined, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                     basename(copy)) < 0)
                return NULL;
        return joined;
}

/* Reads a local file or stdin, at most VGL_CLIENT_MAX_INLINE bytes. */
static int read_local(struct vgl_ctl *ctl, const char *path, char **ret, size_t *ret_len,
                      int *ret_mode, struct vgl_error *err)
{
        _cleanup_fclose_ FILE *owned = NULL;
        _cleanup_free_ char *buf = malloc(VGL_CLIENT_MAX_INLINE + 1);
        FILE *f = ctl->in;
        struct stat st;
        size_t len;

        if (!buf)
                return vgl_error_set(err, ENOMEM, "out of memory");
        *ret_mode = -1;
        if (strcmp(path, "-") != 0) {
                owned = f = fopen(path, "rbe");
                if (!f)
                        return vgl_error_set(err, errno, "%s: %m", path);
                if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
                        *ret_mode = (int)(st.st_mode & 07777);
        }
        len = fread(buf, 1, VGL_CLIENT_MAX_INLINE + 1, f);
        if (ferror(f))
                return vgl_error_set(err, EIO, "%s: read failed", path);
        if (len > VGL_CLIENT_MAX_INLINE)
                return vgl_error_set(err, EFBIG, "%s: larger than %zu bytes", path,
                                     VGL_CLIENT_MAX_INLINE);
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Writes a fetched file to a local path ('-': stdout; a directory: the
 * remote file's name in it), created with the file's mode. */
static int write_local(struct vgl_ctl *ctl, const struct vgl_ctl_cp_args *a,
                       const struct vgl_client_file *file, struct vgl_error *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *joined = NULL;
        const char *path = a->local;
        struct stat st;
        int r;

        if (strcmp(path, "-") == 0) {
                if (fwrite(file->data, 1, file->size, ctl->out) != file->size ||
                    fflush(ctl->out) != 0)
                        return vgl_error_set(err, EIO, "writing stdout failed");
                return 0;
        }
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                path = joined = join_basename(path, a->remote);
                if (!joined)
                        return vgl_error_set(err, ENOMEM, "out of memory");
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY,
                  file->mode ? (mode_t)(file->mode & 0777) : 0644);
        if (fd < 0)
                return vgl_error_set(err, errno, "%s: %m", path);
        r = write_all(fd, file->data, file->size);
        if (r < 0)
                return vgl_error_set(err, -r, "%s: write failed: %s", path, strerror(-r));
        if (close(TAKE_FD(fd)) < 0)
                return vgl_error_set(err, errno, "%s: %m", path);
        return 0;
}

static void print_result(struct vgl_ctl *ctl, const struct vgl_ctl_cp_args *a, int64_t size,
                         int mode)
{
        struct json_object *o;

        if (!(ctl->json || a->json))
                return;
        o = json_object_new_object();
        json_object_object_add(o, "size", json_object_new_int64(size));
        if (mode >= 0)
                json_object_object_add(o, "mode", json_object_new_int(mode));
        vgl_ctl_print_json(ctl->out, o);
        json_object_put(o);
}

static int cp_to(struct vgl_ctl *ctl, struct vgl_client *c, const struct vgl_ctl_cp_args *a)
{
        _cleanup_free_ char *data = NULL, *joined = NULL;
        const char *remote = a->remote;
        struct vgl_error err = {0};
        int64_t size = 0;
        size_t len = 0;
        int mode = -1;

        if (read_local(ctl, a->local, &data, &len, &mode, &err) < 0)
                return vgl_ctl_fail(ctl, "cp", NULL, &err);
        if (remote[strlen(remote) - 1] == '/') {
                if (strcmp(a->local, "-") == 0) {
                        fprintf(ctl->err, "vigilctl cp: '%s' is a directory; name the file\n",
                                remote);
                        return VGL_CTL_EXIT_USAGE;
                }
                remote = joined = join_basename(remote, a->local);
                if (!joined)
                        return VGL_CTL_EXIT_ERROR;
        }
        if (vgl_client_put_file(c, a->id, remote, data, len, mode, &size, &err) < 0)
                return vgl_ctl_fail(ctl, "cp", c, &err);
        print_result(ctl, a, size, -1);
        return VGL_CTL_EXIT_OK;
}

static int cp_from(struct vgl_ctl *ctl, struct vgl_client *c, const struct vgl_ctl_cp_args *a)
{
        struct vgl_client_file file = {0};
        struct vgl_error err = {0};
        int r;

        if (vgl_client_get_file(c, a->id, a->remote, 0, &file, &err) < 0)
                return vgl_ctl_fail(ctl, "cp", c, &err);
        r = write_local(ctl, a, &file, &err);
        if (r >= 0 && strcmp(a->local, "-") != 0)
                print_result(ctl, a, (int64_t)file.size, file.mode);
        free(file.data);
        return r < 0 ? vgl_ctl_fail(ctl, "cp", NULL, &err) : VGL_CTL_EXIT_OK;
}

static int run_cp(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_ctl_cp_args a = {0};
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_cp, vgl_ctl_parse_cp(argc, argv, &a, &err), &err);

        if (r >= 0)
                return r;
        r = vgl_ctl_connect(ctl, &c);
        if (r == 0)
                r = a.direction == VGL_CTL_CP_TO_SANDBOX ? cp_to(ctl, c, &a) : cp_from(ctl, c, &a);
        vgl_ctl_cp_args_done(&a);
        return r;
}

const struct vgl_ctl_command vgl_ctl_cmd_cp = {
        .name = "cp",
        .summary = "copy a file into or out of a sandbox",
        .usage = "Usage: vigilctl cp [--json] SRC DST\n"
                 "\n"
                 "Copies one file. Exactly one of SRC and DST is ID:PATH, a path in the\n"
                 "sandbox ID; the other is a local path, or '-' for stdin (SRC) or stdout\n"
                 "(DST). A local path with a ':' before any '/' needs a leading './'.\n"
                 "A DST that is a local directory, or a sandbox path ending in '/', gets\n"
                 "the source's file name. Files are copied whole, at most 760 KiB; the\n"
                 "local file's permission bits go along in both directions.\n"
                 "\n"
                 "  --json    print {\"size\": N} (and \"mode\" when copying out)\n",
        .run = run_cp,
};
