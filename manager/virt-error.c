/* libvirt's -1 + last error, translated into negative errno + message. */
#include "virt.h"

#include <errno.h>

#include <libvirt/virterror.h>

static int errno_from_virt(int code)
{
        switch (code) {
        case VIR_ERR_NO_DOMAIN:
        case VIR_ERR_NO_DOMAIN_METADATA:
                return ENOENT;
        case VIR_ERR_DOM_EXIST:
                return EEXIST;
        case VIR_ERR_NO_MEMORY:
                return ENOMEM;
        case VIR_ERR_XML_ERROR:
        case VIR_ERR_XML_DETAIL:
        case VIR_ERR_INVALID_ARG:
        case VIR_ERR_CONFIG_UNSUPPORTED:
        case VIR_ERR_OPERATION_INVALID:
                return EINVAL;
        case VIR_ERR_NO_SUPPORT:
        case VIR_ERR_OPERATION_UNSUPPORTED:
                return EOPNOTSUPP;
        case VIR_ERR_OPERATION_DENIED:
        case VIR_ERR_AUTH_FAILED:
                return EPERM;
        case VIR_ERR_OPERATION_TIMEOUT:
                return ETIMEDOUT;
        case VIR_ERR_NO_CONNECT:
                return ENOTCONN;
        default:
                return EIO;
        }
}

int vgl_virt_error(struct vgl_error *err, const char *what)
{
        virErrorPtr e = virGetLastError();
        int code = e ? errno_from_virt(e->code) : EIO;
        int r = vgl_error_set(err, code, "%s: %s", what,
                              e && e->message ? e->message : "unknown libvirt error");

        virResetLastError();
        return r;
}

static void ignore_error(void *userdata, virErrorPtr e)
{
}

void vgl_virt_quiet_errors(void)
{
        virSetErrorFunc(NULL, ignore_error);
}
