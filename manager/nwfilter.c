/* Loading, checking and defining the posture filters. */
#include "nwfilter.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "cleanup.h"
#include "enforce-priv.h"
#include "virt.h"

#define FILES_MAX 32

static const char *const names[] = {
        [VGL_POSTURE_LOW] = "vigil-low",
        [VGL_POSTURE_MEDIUM] = "vigil-medium",
        [VGL_POSTURE_HIGH] = "vigil-high",
        [VGL_POSTURE_PARANOID] = "vigil-paranoid",
};

const char *vgl_nwfilter_name(enum vgl_posture p)
{
        return (unsigned)p < ELEMENTSOF(names) ? names[p] : NULL;
}

/* The first element of text, past blanks, comments and <?xml ...?>. */
static const char *root_element(const char *p)
{
        for (;;) {
                p += strspn(p, " \t\r\n");
                if (strncmp(p, "<!--", 4) == 0)
                        p = strstr(p, "-->") ? strstr(p, "-->") + 3 : NULL;
                else if (strncmp(p, "<?", 2) == 0)
                        p = strstr(p, "?>") ? strstr(p, "?>") + 2 : NULL;
                else
                        return p;
                if (!p)
                        return NULL;
        }
}

int vgl_nwfilter_check(const char *path, const char *text, size_t len, const char *want_name,
                       struct vgl_error *err)
{
        const char *root;
        char name[64];

        if (len > VGL_NWFILTER_FILE_MAX || memchr(text, '\0', len) || text[len] != '\0')
                return vgl_error_set(err, EINVAL, "%s: not a text file of at most %u bytes", path,
                                     VGL_NWFILTER_FILE_MAX);
        root = root_element(text);
        if (!root || strncmp(root, "<filter", 7) != 0 || !strchr(" \t\r\n>", root[7]))
                return vgl_error_set(err, EINVAL, "%s: the root element is not <filter>", path);
        if (!vgl_xml_attr(root, "name", name, sizeof(name)))
                return vgl_error_set(err, EINVAL, "%s: <filter> has no name", path);
        if (strncmp(name, "vigil-", 6) != 0 ||
            strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(name))
                return vgl_error_set(err, EINVAL, "%s: filter name '%s' is not vigil-[a-z0-9-]",
                                     path, name);
        /* Without a fixed UUID libvirt makes one up at each define and
         * refuses the next define of the same name. */
        if (!strstr(root, "<uuid>"))
                return vgl_error_set(err, EINVAL,
                                     "%s: no <uuid>: a fixed one lets the filter "
                                     "be defined again",
                                     path);
        if (want_name && strcmp(name, want_name) != 0)
                return vgl_error_set(err, EINVAL, "%s: filter is named '%s', expected '%s'", path,
                                     name, want_name);
        return 0;
}

static int read_text(const char *path, char **ret, size_t *ret_len, struct vgl_error *err)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *buf = NULL;
        size_t n;

        if (!f)
                return vgl_error_set(err, errno, "%s: %m", path);
        buf = malloc(VGL_NWFILTER_FILE_MAX + 2);
        if (!buf)
                return vgl_error_set(err, ENOMEM, "out of memory");
        n = fread(buf, 1, VGL_NWFILTER_FILE_MAX + 1, f);
        if (ferror(f))
                return vgl_error_set(err, EIO, "%s: read error", path);
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

/* The posture whose file this is ("high.xml"), or -1 for a helper filter. */
static int posture_of(const char *file)
{
        for (size_t p = 0; p < ELEMENTSOF(names); p++) {
                size_t n = strlen(names[p] + 6);

                if (strncmp(file, names[p] + 6, n) == 0 && strcmp(file + n, ".xml") == 0)
                        return (int)p;
        }
        return -1;
}

static int define_file(virConnectPtr conn, const char *dir, const char *file, struct vgl_error *err)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        int p = posture_of(file);
        size_t len = 0;
        virNWFilterPtr f;
        int r;

        if (asprintf(&path, "%s/%s", dir, file) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = read_text(path, &text, &len, err);
        if (r < 0)
                return r;
        r = vgl_nwfilter_check(path, text, len, p >= 0 ? names[p] : NULL, err);
        if (r < 0)
                return r;
        f = virNWFilterDefineXML(conn, text);
        if (!f)
                return vgl_virt_error(err, path);
        virNWFilterFree(f);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.xml names in dir, sorted, helpers (no posture) first. */
static int list_files(const char *dir, char *files[FILES_MAX], size_t *ret_n, struct vgl_error *err)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0, k = 0;
        char *sorted[FILES_MAX];

        if (!d)
                return vgl_error_set(err, errno, "%s: %m", dir);
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);

                if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0)
                        continue;
                if (n == FILES_MAX || !(files[n] = strdup(de->d_name))) {
                        closedir(d);
                        for (size_t i = 0; i < n; i++)
                                free(files[i]);
                        return vgl_error_set(err, E2BIG, "%s: more than %d filter files", dir,
                                             FILES_MAX);
                }
                n++;
        }
        closedir(d);
        qsort(files, n, sizeof(files[0]), cmp_str);
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < n; i++)
                        if ((posture_of(files[i]) >= 0) == (pass == 1))
                                sorted[k++] = files[i];
        memcpy(files, sorted, n * sizeof(files[0]));
        *ret_n = n;
        return 0;
}

/* -EOPNOTSUPP when conn has no nwfilter driver. */
static int probe_driver(virConnectPtr conn, struct vgl_error *err)
{
        virErrorPtr e;
        _cleanup_free_ char *uri = NULL;

        if (virConnectNumOfNWFilters(conn) >= 0)
                return 0;
        e = virGetLastError();
        if (!e || !vgl_virt_code_unsupported(e->code))
                return vgl_virt_error(err, "listing network filters");
        virResetLastError();
        uri = virConnectGetURI(conn);
        return vgl_error_set(err, EOPNOTSUPP,
                             "%s has no nwfilter driver: network filters need libvirtd or "
                             "virtnwfilterd (qemu:///embed has none)",
                             uri ?: "this connection");
}

int vgl_nwfilter_define_all(virConnectPtr conn, const char *dir, struct vgl_error *err)
{
        _cleanup_free_ char *sub = NULL;
        char *files[FILES_MAX];
        size_t n = 0;
        int r = probe_driver(conn, err);

        if (r < 0)
                return r;
        if (asprintf(&sub, "%s/nwfilter", dir) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = list_files(sub, files, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (r >= 0)
                        r = define_file(conn, sub, files[i], err);
                free(files[i]);
        }
        for (size_t p = 0; r >= 0 && p < ELEMENTSOF(names); p++) {
                virNWFilterPtr f = virNWFilterLookupByName(conn, names[p]);

                if (!f) {
                        virResetLastError();
                        r = vgl_error_set(err, ENOENT, "%s: no %s.xml for posture filter %s", sub,
                                          names[p] + 6, names[p]);
                } else {
                        virNWFilterFree(f);
                }
        }
        return r;
}
