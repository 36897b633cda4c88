/* Interop test: vigild's API driven by a varlink client nobody on this
 * project wrote, github.com/varlink/go (Debian: golang-github-varlink-go-dev).
 * Builds vigil-interop.go in GOPATH mode (build cache under the build dir),
 * starts vigild on qemu:///embed in a temporary directory (no warm pool: the
 * Reserve boots a VM) and runs the Go program against its socket. Skips,
 * saying why, when go or the varlink package is missing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "vigild-harness.h"

#define VARLINK_GO_SRC "/usr/share/gocode/src/github.com/varlink/go/varlink"

static int skip(const char *why)
{
        printf("SKIP: %s\n", why);
        return 77;
}

static int shell(const char *cmd)
{
        int st = system(cmd);

        return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* go build ... -o BUILD/tests/interop/vigil-interop; 0 or the status. */
static int build_client(const char *src, const char *build, char *ret, size_t size)
{
        _cleanup_free_ char *cmd = NULL;

        snprintf(ret, size, "%s/tests/interop/vigil-interop", build);
        cmd = vd_printf("cd '%s/tests/interop' && GO111MODULE=off GOFLAGS= "
                        "GOPATH=/usr/share/gocode:'%s/tests/interop/gopath' "
                        "GOCACHE='%s/tests/interop/gocache' "
                        "go build -o vigil-interop '%s/tests/interop/vigil-interop.go'",
                        build, build, build, src);
        if (!cmd)
                return -1;
        return shell(cmd);
}

int main(void)
{
        const char *src = getenv("VIGIL_SOURCE_ROOT"), *build = getenv("VIGIL_BUILD_ROOT");
        const struct vd_pool pools[] = {{"high", 0}};
        _cleanup_free_ char *cmd = NULL;
        struct vgl_error e = {};
        char path[4096], client[4096];
        struct vd d;
        int st;

        if (!src || !build)
                return skip("VIGIL_SOURCE_ROOT/VIGIL_BUILD_ROOT not set (run through meson test)");
        if (geteuid() != 0)
                return skip("needs root (qemu:///embed)");
        if (shell("command -v go >/dev/null") != 0)
                return skip("no 'go' in PATH (apt-get install golang-go)");
        if (access(VARLINK_GO_SRC "/connection.go", R_OK) < 0)
                return skip("no " VARLINK_GO_SRC " (apt-get install golang-github-varlink-go-dev)");
        if (vd_find_vigild(path, sizeof(path), &e) < 0)
                return skip(e.msg);
        if (build_client(src, build, client, sizeof(client)) != 0) {
                printf("FAIL: building vigil-interop.go with go failed\n");
                return 1;
        }
        if (vd_start(&d, pools, 1, NULL, 120, &e) < 0) {
                printf("FAIL: starting vigild: %s\n", e.msg);
                return 1;
        }
        printf("# vigild %d on %s; running %s\n", (int)d.pid, d.sock, client);
        fflush(stdout);
        cmd = vd_printf("'%s' '%s'", client, d.sock);
        st = cmd ? shell(cmd) : -1;
        if (st != 0)
                vd_dump_log(&d, 30);
        vd_stop(&d);
        printf("# interop: %s\n", st == 0 ? "passed" : "FAILED");
        return st == 0 ? 0 : 1;
}
