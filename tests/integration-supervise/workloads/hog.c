/* Resource hogs for the in-guest containment tests (linked statically, put
 * into the guest by the test).
 *
 *   hog bomb SECONDS   every process forks in a loop (a fork bomb); all of
 *                      them exit after SECONDS (0: never); the first prints
 *                      "bomb forks N failed M errno E"
 *   hog mem MIB        allocates and touches MIB MiB, then prints
 *                      "allocated MIB" (a memory limit kills it before) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int bomb(unsigned seconds)
{
        uint64_t deadline = seconds ? now_ms() + seconds * 1000ull : UINT64_MAX;
        pid_t leader = getpid();
        unsigned long forks = 0, failed = 0;
        int last_errno = 0;

        while (now_ms() < deadline) {
                pid_t p = fork();
                if (p < 0) {
                        failed++;
                        last_errno = errno;
                } else if (p > 0) {
                        forks++;
                }
                /* p == 0: the child forks on too */
        }
        if (getpid() != leader)
                _exit(0);
        printf("bomb forks %lu failed %lu errno %d\n", forks, failed, last_errno);
        fflush(stdout);
        while (wait(NULL) > 0)
                ;
        return 0;
}

static int mem(unsigned long mib)
{
        const size_t chunk = 1u << 20;

        for (unsigned long i = 0; i < mib; i++) {
                char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                               0);
                if (p == MAP_FAILED) {
                        printf("mmap failed after %lu MiB: %s\n", i, strerror(errno));
                        return 1;
                }
                memset(p, 0x5a, chunk);
        }
        printf("allocated %lu\n", mib);
        return 0;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IONBF, 0);
        if (argc == 3 && !strcmp(argv[1], "bomb"))
                return bomb((unsigned)strtoul(argv[2], NULL, 10));
        if (argc == 3 && !strcmp(argv[1], "mem"))
                return mem(strtoul(argv[2], NULL, 10));
        fprintf(stderr, "usage: hog bomb SECONDS | hog mem MIB\n");
        return 2;
}
