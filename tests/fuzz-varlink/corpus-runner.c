/* Runs every file of a seed corpus through the fuzz harness once, built
 * with the project compiler: the committed corpus is a regression test
 * even where clang/libFuzzer is missing.   corpus-runner DIR */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *dir, const char *name)
{
        char path[4096];
        FILE *f;
        uint8_t *data;
        long size;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "rbe");
        if (!f || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
                return -1;
        data = malloc((size_t)size + 1);
        if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
                fclose(f);
                free(data);
                return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(data, (size_t)size);
        free(data);
        return 0;
}

int main(int argc, char **argv)
{
        struct dirent *e;
        unsigned n = 0;
        DIR *d;

        if (argc != 2 || !(d = opendir(argv[1]))) {
                fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
                return 2;
        }
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                if (run_file(argv[1], e->d_name) < 0) {
                        fprintf(stderr, "cannot read %s/%s\n", argv[1], e->d_name);
                        closedir(d);
                        return 1;
                }
                n++;
        }
        closedir(d);
        printf("%u corpus files ran clean\n", n);
        return n > 0 ? 0 : 1;
}
