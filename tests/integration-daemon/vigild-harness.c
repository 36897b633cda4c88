/* See vigild-harness.h: finding things, starting and stopping vigild. */
#include "vigild-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "vigil-client.h"
#include "vigild-harness-priv.h"

char *vd_printf(const char *fmt, ...)
{
        char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

int vd_find_vigild(char *ret, size_t size, struct vgl_error *err)
{
        const char *env = getenv("VIGILD"), *build = getenv("VIGIL_BUILD_ROOT");

        if (env && env[0])
                snprintf(ret, size, "%s", env);
        else if (build && build[0])
                snprintf(ret, size, "%s/manager/daemon/vigild", build);
        else
                return vgl_error_set(err, ENOENT, "neither VIGILD nor VIGIL_BUILD_ROOT is set");
        if (access(ret, X_OK) < 0)
                return vgl_error_set(err, ENOENT, "no vigild at %s", ret);
        return 0;
}

int vd_find_image(char *ret, size_t size, struct vgl_error *err)
{
        const char *env = getenv("VIGIL_IMAGE_DIR"), *src = getenv("VIGIL_SOURCE_ROOT"),
                   *build = getenv("VIGIL_BUILD_ROOT");
        _cleanup_free_ char *cmd = NULL;
        FILE *p;
        int st;

        if (env && env[0]) {
                snprintf(ret, size, "%s", env);
                return 0;
        }
        if (!src || !build)
                return vgl_error_set(err, ENOENT,
                                     "VIGIL_IMAGE_DIR unset and no "
                                     "VIGIL_SOURCE_ROOT/VIGIL_BUILD_ROOT to build one");
        cmd = vd_printf("'%s/tools/vigil-image' build-microvm --build-dir '%s' --quiet", src,
                        build);
        if (!cmd)
                return -ENOMEM;
        p = popen(cmd, "re");
        if (!p)
                return vgl_error_set(err, errno, "running vigil-image: %m");
        ret[0] = '\0';
        while (fgets(ret, (int)size, p)) /* the last line is the directory */
                ;
        st = pclose(p);
        ret[strcspn(ret, "\n")] = '\0';
        if (st != 0 || !ret[0])
                return vgl_error_set(err, ENOENT, "'%s' failed (status %d)", cmd, st);
        return 0;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

bool vd_alive(struct vd *d)
{
        int st;

        if (d->pid <= 0)
                return false;
        if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
                if (!d->stopping || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                        fprintf(stderr, "# vigild exited (status 0x%x)\n", st);
                d->pid = 0;
                return false;
        }
        return true;
}

static int spawn(struct vd *d, const char *const *extra, struct vgl_error *err)
{
        const char *argv[64] = {d->vigild,  "--socket",   d->sock,      "--state-dir", d->state,
                                "--images", d->image_dir, "--policies", d->policies,   "--verbose"};
        size_t n = 10;
        pid_t pid;

        for (; extra && *extra && n < ELEMENTSOF(argv) - 1; extra++)
                argv[n++] = *extra;
        argv[n] = NULL;
        /* libvirt's in-process driver: errors only (read once, at its init) */
        setenv("LIBVIRT_LOG_OUTPUTS", "4:stderr", 0);
        pid = fork();
        if (pid < 0)
                return vgl_error_set(err, errno, "fork: %m");
        if (pid == 0) {
                int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                        _exit(127);
                execv(d->vigild, (char **)argv);
                _exit(127);
        }
        d->pid = pid;
        return 0;
}

static int wait_socket(struct vd *d, int timeout_s, struct vgl_error *err)
{
        for (int i = 0; i < timeout_s * 10; i++) {
                _cleanup_client_ struct vgl_client *c = NULL;
                struct vgl_client_info info;
                struct vgl_error e = {};

                if (!vd_alive(d))
                        return vgl_error_set(err, ECHILD, "vigild exited during start (log %s)",
                                             d->log);
                if (vgl_client_connect(d->sock, &c, &e) == 0) {
                        vgl_client_set_timeout(c, 10000);
                        if (vgl_client_get_info(c, &info, &e) == 0)
                                return 0;
                }
                sleep_ms(100);
        }
        return vgl_error_set(err, ETIMEDOUT, "vigild's socket %s did not answer in %d s", d->sock,
                             timeout_s);
}

int vd_start(struct vd *d, const struct vd_pool *pools, size_t n, const char *const *extra_args,
             int timeout_s, struct vgl_error *err)
{
        return vd_start_adjust(d, pools, n, extra_args, NULL, timeout_s, err);
}

int vd_start_adjust(struct vd *d, const struct vd_pool *pools, size_t n,
                    const char *const *extra_args, const char *adjust_json, int timeout_s,
                    struct vgl_error *err)
{
        const char *tmp = getenv("TMPDIR");
        int r;

        memset(d, 0, sizeof(*d));
        if ((r = vd_find_vigild(d->vigild, sizeof(d->vigild), err)) < 0 ||
            (r = vd_find_image(d->image_dir, sizeof(d->image_dir), err)) < 0)
                return r;
        snprintf(d->dir, sizeof(d->dir), "%s/vigil-vd-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
        if (!mkdtemp(d->dir))
                return vgl_error_set(err, errno, "mkdtemp: %m");
        /* Group root may enter, so clients holding group 0 reach the 0660 socket. */
        if (chmod(d->dir, 0750) < 0)
                return vgl_error_set(err, errno, "chmod %s: %m", d->dir);
        snprintf(d->sock, sizeof(d->sock), "%s/vigild.sock", d->dir);
        snprintf(d->state, sizeof(d->state), "%s/state", d->dir);
        snprintf(d->policies, sizeof(d->policies), "%s/policies", d->dir);
        snprintf(d->log, sizeof(d->log), "%s/vigild.log", d->dir);
        d->extra_args = extra_args;
        if ((r = vd_write_policies(d, pools, n, adjust_json, err)) < 0 ||
            (r = spawn(d, extra_args, err)) < 0 || (r = wait_socket(d, timeout_s, err)) < 0) {
                vd_dump_log(d, 30);
                vd_stop(d);
                return r;
        }
        return 0;
}

int vd_restart(struct vd *d, bool crash, int timeout_s, struct vgl_error *err)
{
        int r;

        if (d->pid > 0) {
                kill(d->pid, crash ? SIGKILL : SIGTERM);
                /* Reaped before the next start: a dead vigild that is still a
                 * zombie would hold the agent channels' lock files. */
                for (int i = 0; i < 600; i++) {
                        if (waitpid(d->pid, NULL, WNOHANG) == d->pid)
                                break;
                        if (i == 599) {
                                kill(d->pid, SIGKILL);
                                waitpid(d->pid, NULL, 0);
                        }
                        sleep_ms(100);
                }
                d->pid = 0;
        }
        r = spawn(d, d->extra_args, err);
        return r < 0 ? r : wait_socket(d, timeout_s, err);
}

int vd_wait_pool(struct vd *d, const char *tier, int want, int timeout_s, struct vgl_error *err)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        int r;

        if ((r = vgl_client_connect(d->sock, &c, err)) < 0)
                return r;
        vgl_client_set_timeout(c, timeout_s * 1000);
        for (int i = 0; i < timeout_s * 20; i++) {
                struct vgl_client_tier *t = NULL;
                size_t nt = 0;
                int ready = -1;

                if ((r = vgl_client_list_tiers(c, &t, &nt, err)) < 0)
                        return r;
                for (size_t k = 0; k < nt; k++)
                        if (strcmp(t[k].name, tier) == 0)
                                ready = (int)t[k].pool_ready;
                vgl_client_tiers_free(t, nt);
                if (ready < 0)
                        return vgl_error_set(err, ENOENT, "no tier '%s'", tier);
                if (ready >= want)
                        return 0;
                if (!vd_alive(d))
                        return vgl_error_set(err, ECHILD, "vigild exited");
                sleep_ms(50);
        }
        return vgl_error_set(err, ETIMEDOUT, "tier %s: pool not at %d within %d s", tier, want,
                             timeout_s);
}

static void release_all(struct vd *d)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_client_sandbox *s = NULL;
        struct vgl_error e = {};
        size_t n = 0;

        if (vgl_client_connect(d->sock, &c, &e) < 0)
                return;
        vgl_client_set_timeout(c, 60000);
        if (vgl_client_list(c, &s, &n, &e) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                if (strcmp(s[i].state, "released") != 0)
                        vgl_client_release(c, s[i].id, &e);
        vgl_client_sandboxes_free(s, n);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        remove(path);
        return 0;
}

void vd_stop(struct vd *d)
{
        if (vd_alive(d)) {
                release_all(d);
                d->stopping = true;
                kill(d->pid, SIGTERM);
                for (int i = 0; i < 600 && vd_alive(d); i++)
                        sleep_ms(100);
                if (vd_alive(d)) {
                        fprintf(stderr, "# vigild ignored SIGTERM for 60 s: killing it\n");
                        kill(d->pid, SIGKILL);
                        waitpid(d->pid, NULL, 0);
                }
        }
        d->pid = 0;
        d->stopping = false;
        vd_kill_leftover_qemu(d);
        if (d->dir[0] && !getenv("VIGIL_KEEP_TEST_DIR"))
                nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        d->dir[0] = '\0';
}

void vd_dump_log(struct vd *d, int lines)
{
        _cleanup_free_ char *cmd = NULL;

        if (!d->log[0])
                return;
        fprintf(stderr, "# --- last lines of vigild's log (%s) ---\n", d->log);
        cmd = vd_printf("tail -n %d '%s' | sed 's/^/#   /' >&2", lines, d->log);
        if (cmd && system(cmd) != 0)
                fprintf(stderr, "# (no log)\n");
}
