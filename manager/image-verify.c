/* Checksums of image files, computed on demand. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cleanup.h"
#include "image.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)

int vgl_sha256_file_hex(const char *path, char *ret, struct vgl_error *err)
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        unsigned char md[EVP_MAX_MD_SIZE], chunk[1 << 16];
        unsigned int n = 0;
        ssize_t got;

        if (fd < 0)
                return vgl_error_set(err, errno, "%s: %m", path);
        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
                return vgl_error_set(err, ENOMEM, "sha256: cannot set up a digest");
        while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0)
                        return vgl_error_set(err, errno, "%s: %m", path);
                if (EVP_DigestUpdate(ctx, chunk, (size_t)got) != 1)
                        return vgl_error_set(err, EIO, "sha256 of %s failed", path);
        }
        if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || n * 2 != VGL_SHA256_HEX)
                return vgl_error_set(err, EIO, "sha256 of %s failed", path);
        for (unsigned i = 0; i < n; i++)
                snprintf(ret + 2 * i, 3, "%02x", md[i]);
        return 0;
}

static int verify_one(const char *what, const char *path, const char *want, struct vgl_error *err)
{
        char got[VGL_SHA256_HEX + 1];
        int r = vgl_sha256_file_hex(path, got, err);

        if (r < 0)
                return r;
        if (strcmp(got, want) != 0)
                return vgl_error_set(err, EBADMSG,
                                     "%s %s: sha256 %.12s..., the catalog says %.12s...", what,
                                     path, got, want);
        return 0;
}

int vgl_catalog_image_verify(const struct vgl_catalog_image *img, struct vgl_error *err)
{
        int r;

        if ((r = verify_one("kernel", img->kernel, img->kernel_sha256, err)) < 0 ||
            (r = verify_one("initrd", img->initrd, img->initrd_sha256, err)) < 0)
                return r;
        if (img->kind == VGL_IMAGE_DISK)
                return verify_one("disk", img->disk, img->disk_sha256, err);
        return 0;
}
