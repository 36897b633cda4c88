/* dir/manifest.json of a disk image, the input of 'catalog add'. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "proto-msg.h"
#include "tool.h"

int disk_manifest_write(const char *dir, const struct disk_manifest *m, struct vgl_error *err)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        if (!o || vgl_json_add(o, "format", json_object_new_int(1)) < 0 ||
            vgl_json_add(o, "kind", json_object_new_string("disk")) < 0 ||
            vgl_json_add(o, "kernel", json_object_new_string("vmlinuz")) < 0 ||
            vgl_json_add(o, "initrd", json_object_new_string("initrd.img")) < 0 ||
            vgl_json_add(o, "disk", json_object_new_string(m->disk)) < 0 ||
            vgl_json_add(o, "root", json_object_new_string(m->root)) < 0 ||
            vgl_json_add(o, "cmdline", json_object_new_string(m->cmdline)) < 0 ||
            vgl_json_add(o, "kernel_version", json_object_new_string(m->kernel_version)) < 0 ||
            vgl_json_add(o, "init", json_object_new_string(m->init)) < 0 ||
            vgl_json_add(o, "distro", json_object_new_string(m->distro ? m->distro : "unknown")) <
                    0 ||
            vgl_json_add(o, "agent", json_object_new_boolean(m->agent)) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if (asprintf(&path, "%s/manifest.json", dir) < 0 ||
            asprintf(&tmp, "%s/.manifest.json.tmp", dir) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        f = fopen(tmp, "we");
        if (!f)
                return vgl_error_set(err, errno, "%s: %m", tmp);
        fprintf(f, "%s\n",
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                          JSON_C_TO_STRING_SPACED |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
        if (fflush(f) != 0 || ferror(f))
                return vgl_error_set(err, EIO, "writing %s failed", tmp);
        if (rename(tmp, path) < 0)
                return vgl_error_set(err, errno, "%s: %m", path);
        return 0;
}
