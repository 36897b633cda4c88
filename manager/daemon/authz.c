/* See authz.h. */
#include "authz.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

int vgd_authz_admin_gid(const char *name, gid_t *ret, struct vgl_error *err)
{
        struct group gr, *res = NULL;
        char buf[16384];
        int r = getgrnam_r(name, &gr, buf, sizeof(buf), &res);

        if (r != 0 || !res)
                return vgl_error_set(err, r ?: ENOENT, "no group '%s'", name);
        *ret = gr.gr_gid;
        return 0;
}

bool vgd_authz_pid_in_group(const char *proc_root, pid_t pid, gid_t gid)
{
        _cleanup_fclose_ FILE *f = NULL;
        char path[128], line[4096];

        snprintf(path, sizeof(path), "%s/%d/status", proc_root, (int)pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f)) {
                char *p, *end;
                if (strncmp(line, "Groups:", 7) != 0)
                        continue;
                for (p = line + 7;; p = end) {
                        unsigned long g = strtoul(p, &end, 10);
                        if (end == p)
                                return false;
                        if ((gid_t)g == gid)
                                return true;
                }
        }
        return false;
}

void vgd_authz_caller(const struct vgd_daemon *d, const struct vgl_varlink_peer *peer,
                      struct vgd_caller *ret)
{
        struct vgd_caller c = {.uid = peer->uid, .gid = peer->gid, .pid = peer->pid};

        c.admin = peer->uid == 0;
        if (!c.admin && d->have_admin_gid)
                c.admin = peer->gid == d->admin_gid ||
                          vgd_authz_pid_in_group("/proc", peer->pid, d->admin_gid);
        *ret = c;
}

bool vgd_authz_can_see(const struct vgd_caller *c, const struct vgd_sandbox *s)
{
        if (c->admin)
                return true;
        return s->owned && s->owner_uid == c->uid && s->state != VGD_RELEASED;
}
