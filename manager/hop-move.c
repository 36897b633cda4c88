/* The hop's mechanism: save to a file, restore with another XML, and the
 * way back when that restore fails (see hop.h). */
#include "hop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *vgl_hop_state_name(enum vgl_hop_state s)
{
        switch (s) {
        case VGL_HOP_UNTOUCHED:
                return "untouched";
        case VGL_HOP_MOVED:
                return "moved";
        case VGL_HOP_ROLLED_BACK:
                return "rolled_back";
        case VGL_HOP_LOST:
                return "lost";
        }
        return "unknown";
}

/* A new empty 0600 file for the save image (libvirt truncates and fills it). */
static int make_save_file(const char *dir, const char *name, char *path, size_t size,
                          struct vgl_error *err)
{
        int fd;

        if (!dir || dir[0] != '/')
                return vgl_error_set(err, EINVAL, "hop: the save directory must be absolute");
        if ((size_t)snprintf(path, size, "%s/hop-%s-XXXXXX.save", dir, name) >= size)
                return vgl_error_set(err, ENAMETOOLONG, "hop: save path too long");
        fd = mkostemps(path, 5, O_CLOEXEC); /* mode 0600 */
        if (fd < 0) {
                int e = errno;

                path[0] = '\0';
                return vgl_error_set(err, e, "hop: creating a save file in %s: %s", dir,
                                     strerror(e));
        }
        close(fd);
        return 0;
}

/* A failed restore may have left a domain behind (started, then failed to
 * resume, say): it goes, its state is in the save file. */
static void discard_leftover(virConnectPtr conn, const unsigned char *uuid)
{
        virDomainPtr d = virDomainLookupByUUID(conn, uuid);

        if (d) {
                if (virDomainIsActive(d) == 1)
                        virDomainDestroy(d);
                virDomainFree(d);
        }
        virResetLastError();
}

static int restore(virConnectPtr conn, const char *path, const char *xml, unsigned flags,
                   const unsigned char *uuid, virDomainPtr *dom, struct vgl_error *err)
{
        virDomainPtr d;

        if (virDomainRestoreFlags(conn, path, xml, flags) < 0)
                return vgl_virt_error(err, "restore");
        d = virDomainLookupByUUID(conn, uuid);
        if (!d)
                return vgl_virt_error(err, "looking the restored domain up");
        virDomainFree(*dom);
        *dom = d;
        return 0;
}

/* The new XML failed: back to the XML inside the save file. */
static int roll_back(virConnectPtr conn, virDomainPtr *dom, const unsigned char *uuid,
                     struct vgl_hop_result *ret, int first, struct vgl_error *err)
{
        struct vgl_error e2 = {};
        int r;

        discard_leftover(conn, uuid);
        r = restore(conn, ret->save_path, NULL, 0, uuid, dom, &e2);
        if (r == 0) {
                ret->state = VGL_HOP_ROLLED_BACK;
                unlink(ret->save_path);
                ret->save_path[0] = '\0';
                return vgl_error_set(err, -first,
                                     "hop failed, sandbox restored in its old state: %s",
                                     ret->restore_error);
        }
        ret->state = VGL_HOP_LOST;
        snprintf(ret->rollback_error, sizeof(ret->rollback_error), "%s", e2.msg);
        return vgl_error_set(err, -first,
                             "hop failed and the old state could not be restored; save file kept "
                             "at %s (new XML: %.80s; old XML: %.80s)",
                             ret->save_path, ret->restore_error, ret->rollback_error);
}

int vgl_hop_to_xml(virConnectPtr conn, virDomainPtr *dom, const char *xml, const char *save_dir,
                   bool paused_restore, struct vgl_hop_result *ret, struct vgl_error *err)
{
        unsigned char uuid[VIR_UUID_BUFLEN];
        struct vgl_error e1 = {};
        const char *name;
        double t0 = now_ms(), t1;
        int r;

        ret->state = VGL_HOP_UNTOUCHED;
        ret->save_ms = ret->restore_ms = 0;
        ret->save_path[0] = ret->restore_error[0] = ret->rollback_error[0] = '\0';
        name = virDomainGetName(*dom);
        if (!name || virDomainGetUUID(*dom, uuid) < 0)
                return vgl_virt_error(err, "hop: domain");
        r = make_save_file(save_dir, name, ret->save_path, sizeof(ret->save_path), err);
        if (r < 0)
                return r;
        if (virDomainSaveFlags(*dom, ret->save_path, NULL, 0) < 0) {
                r = vgl_virt_error(err, "hop: save");
                unlink(ret->save_path);
                ret->save_path[0] = '\0';
                return r;
        }
        t1 = now_ms();
        ret->save_ms = t1 - t0;
        r = restore(conn, ret->save_path, xml, paused_restore ? VIR_DOMAIN_SAVE_PAUSED : 0, uuid,
                    dom, &e1);
        if (r < 0) {
                snprintf(ret->restore_error, sizeof(ret->restore_error), "%s", e1.msg);
                r = roll_back(conn, dom, uuid, ret, r, err);
        } else {
                ret->state = VGL_HOP_MOVED;
                unlink(ret->save_path);
                ret->save_path[0] = '\0';
        }
        ret->restore_ms = now_ms() - t1;
        return r;
}
