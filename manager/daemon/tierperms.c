/* See tierperms.h. */
#include "tierperms.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "behaviour-permset.h"
#include "cleanup.h"
#include "file.h"
#include "log.h"
#include "proto-msg.h"

static int load_one(const char *path, struct json_object **ret, struct vgl_error *err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_(vgl_permset_freep) struct vgl_permset *set = NULL;
        struct json_tokener *tok;
        struct vgl_error e = {};
        size_t len;
        int r;

        if ((r = vgl_file_read_bounded(path, VGD_TIERPERMS_FILE_MAX, &text, &len, err)) < 0)
                return r;
        if (!(tok = json_tokener_new()))
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, text, (int)len);
        if (!o || json_tokener_get_parse_end(tok) != len ||
            !json_object_is_type(o, json_type_object)) {
                json_tokener_free(tok);
                return vgl_error_set(err, EINVAL, "%s: not one JSON object", path);
        }
        json_tokener_free(tok);
        if (json_object_object_get_ex(o, "generation", NULL))
                return vgl_error_set(err, EINVAL,
                                     "%s: field 'generation' is vigild's to assign, remove it",
                                     path);
        if (vgl_permset_from_json(o, 1, &set, &e) < 0)
                return vgl_error_set(err, e.code == ENOMEM ? ENOMEM : EINVAL, "%s: %s", path,
                                     e.msg);
        *ret = TAKE_PTR(o);
        return 0;
}

int vgd_tierperms_load(struct vgd_daemon *d, const char *dir, struct vgl_error *err)
{
        struct json_object *sets[VGL_TIER_MAX] = {0};
        int r = 0;

        for (size_t i = 0; i < d->policy.n_tiers && r == 0; i++) {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/permissions/%s.json", dir,
                         d->policy.tiers[i].name);
                if (access(path, F_OK) < 0 && errno == ENOENT) {
                        vgd_warn(NULL,
                                 "tier %s has no permission set (%s): its agents keep "
                                 "their open default set",
                                 d->policy.tiers[i].name, path);
                        continue;
                }
                r = load_one(path, &sets[i], err);
        }
        if (r < 0) {
                for (size_t i = 0; i < VGL_TIER_MAX; i++)
                        json_object_put(sets[i]);
                return r;
        }
        vgd_tierperms_free(d);
        memcpy(d->tier_perms, sets, sizeof(sets));
        return 0;
}

struct json_object *vgd_tierperms_get(const struct vgd_daemon *d, const char *tier)
{
        for (size_t i = 0; i < d->policy.n_tiers; i++)
                if (!strcmp(d->policy.tiers[i].name, tier))
                        return d->tier_perms[i];
        return NULL;
}

void vgd_tierperms_free(struct vgd_daemon *d)
{
        for (size_t i = 0; i < VGL_TIER_MAX; i++) {
                json_object_put(d->tier_perms[i]);
                d->tier_perms[i] = NULL;
        }
}
