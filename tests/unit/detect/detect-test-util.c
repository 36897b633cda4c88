#include "detect-test-util.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rng.h"

void detect_test_synthetic(struct vgl_traceset *s, uint32_t n, uint64_t seed)
{
        static const uint16_t programs[3][8] = {
                {5, 3, 3, 6, 192, 91, 45, 4},
                {102, 102, 142, 3, 4, 146, 13, 27},
                {11, 45, 33, 192, 197, 6, 5, 252},
        };
        struct vgl_rng rng = {seed};
        uint16_t calls[400];
        char name[32];

        for (uint32_t t = 0; t < n; t++) {
                const uint16_t *p = programs[vgl_rng_below(&rng, 3)];
                uint32_t len = 20 + vgl_rng_below(&rng, 300);
                for (uint32_t i = 0; i < len; i++) {
                        /* mostly the program's cycle, sometimes a skip or a stray call */
                        uint32_t k = vgl_rng_below(&rng, 20);
                        calls[i] = k == 0 ? (uint16_t)(200 + vgl_rng_below(&rng, 10))
                                          : p[(i + (k == 1)) % 8];
                }
                snprintf(name, sizeof(name), "syn-%u", t);
                if (vgl_traceset_add(s, name, calls, len) < 0)
                        abort();
        }
}

const char *detect_test_dataset(const char *file)
{
        static char path[PATH_MAX];
        const char *root = getenv("VIGIL_SOURCE_ROOT");

        snprintf(path, sizeof(path), "%s/../shared/datasets/adfa-ld/%s", root ? root : ".", file);
        if (access(path, R_OK) != 0) {
                printf("dataset file %s not found (VIGIL_SOURCE_ROOT=%s)\n", path,
                       root ? root : "(unset)");
                return NULL;
        }
        return path;
}

const char *detect_test_tmpdir(void)
{
        static char dir[64];

        snprintf(dir, sizeof(dir), "/tmp/vigil-detect-test-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        return dir;
}

void detect_test_rmdir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[PATH_MAX];

        if (!d)
                return;
        while ((e = readdir(d)))
                if (e->d_name[0] != '.') {
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        unlink(path);
                }
        closedir(d);
        rmdir(dir);
}
