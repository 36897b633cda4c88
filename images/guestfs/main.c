/* vigil-guestfs: the C helper behind `vigil-image build-disk`, `inject` and
 * `catalog` (images/README.md). A table of subcommands, one file each. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "tool.h"
#include "vigil-config.h"

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *help;
} commands[] = {
        {"mkdisk", cmd_mkdisk, "a root filesystem tarball into a bootable qcow2 disk image"},
        {"inject", cmd_inject, "install vigil-agent and its service into a disk image"},
        {"catalog", cmd_catalog, "add, list, check and remove images of the image catalog"},
};

void usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "vigil-guestfs %s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, " (see --help)\n");
        exit(2);
}

static void usage(FILE *f)
{
        fprintf(f, "usage: vigil-guestfs COMMAND [options]\n\ncommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
        fprintf(f, "\nUsually run through vigil-image; 'COMMAND --help' describes each.\n");
}

int main(int argc, char **argv)
{
        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (!strcmp(argv[1], "--version")) {
                printf("vigil-guestfs %s\n", VIGIL_VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (!strcmp(argv[1], commands[i].name))
                        return commands[i].run(argc - 1, argv + 1);
        fprintf(stderr, "vigil-guestfs: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
}
