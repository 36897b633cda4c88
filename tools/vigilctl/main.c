/* vigilctl's entry point; everything else is in the vigilctl library so that
 * the tests can run it. */
#include <stdio.h>

#include "vigilctl.h"

int main(int argc, char **argv)
{
        int r = vgl_ctl_main(argc, argv, stdin, stdout, stderr);

        if (fflush(stdout) != 0 && r == 0)
                r = VGL_CTL_EXIT_ERROR;
        return r;
}
