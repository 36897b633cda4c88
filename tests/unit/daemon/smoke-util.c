/* See smoke-util.h. */
#include "smoke-util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool find_image(char *dir, size_t size)
{
        const char *env = getenv("VIGIL_IMAGE_DIR"), *src = getenv("VIGIL_SOURCE_ROOT"),
                   *build = getenv("VIGIL_BUILD_ROOT");
        char cmd[8192];
        FILE *f;

        if (env && env[0]) {
                snprintf(dir, size, "%s", env);
                return true;
        }
        if (!src || !build)
                return false;
        snprintf(cmd, sizeof(cmd), "'%s/tools/vigil-image' build-microvm --build-dir '%s' --quiet",
                 src, build);
        f = popen(cmd, "re");
        if (!f)
                return false;
        dir[0] = '\0';
        while (fgets(dir, (int)size, f))
                ;
        dir[strcspn(dir, "\n")] = '\0';
        return pclose(f) == 0 && dir[0];
}

static bool answers(struct daemon_proc *p)
{
        struct json_object *o = NULL;
        const char *e = call(p, "org.varlink.service.GetInfo", NULL, &o, 2000);

        json_object_put(o);
        return e == NULL && o != NULL;
}

bool daemon_start(struct daemon_proc *p, const char *const *extra, int timeout_s)
{
        const char *build = getenv("VIGIL_BUILD_ROOT"), *src = getenv("VIGIL_SOURCE_ROOT");
        char exe[4096], state[256], policies[4096], log[256];
        const char *argv[32];
        int n = 0;
        uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;

        snprintf(exe, sizeof(exe), "%s/manager/daemon/vigild", build ? build : ".");
        snprintf(state, sizeof(state), "%s/state", p->dir);
        snprintf(policies, sizeof(policies), "%s/policies", src ? src : ".");
        snprintf(log, sizeof(log), "%s/vigild.log", p->dir);
        argv[n++] = exe;
        argv[n++] = "--state-dir";
        argv[n++] = state;
        argv[n++] = "--socket";
        argv[n++] = p->sock;
        argv[n++] = "--policies";
        argv[n++] = policies;
        argv[n++] = "--images";
        argv[n++] = p->image;
        for (; extra && *extra && n < 30; extra++)
                argv[n++] = *extra;
        argv[n] = NULL;
        p->pid = fork();
        if (p->pid < 0)
                return false;
        if (p->pid == 0) {
                FILE *f = freopen(log, "a", stderr); /* not "e": vigild keeps it */
                (void)f;
                execv(exe, (char **)argv);
                _exit(127);
        }
        while (now_ms() < deadline) {
                int st;
                if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
                        p->pid = 0;
                        return false;
                }
                if (answers(p))
                        return true;
                usleep(100 * 1000);
        }
        return false;
}

int daemon_stop(struct daemon_proc *p, int timeout_s)
{
        uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
        int st;

        if (p->pid <= 0)
                return -1;
        kill(p->pid, SIGTERM);
        while (now_ms() < deadline) {
                if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
                        p->pid = 0;
                        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                }
                usleep(50 * 1000);
        }
        return -1;
}

/* Calls fn(pid) for each QEMU pid file under the state dir. */
static int each_vm(struct daemon_proc *p, bool kill_them)
{
        char dir[256], path[600];
        struct dirent *e;
        int n = 0;
        DIR *d;

        snprintf(dir, sizeof(dir), "%s/state/run/qemu", p->dir);
        d = opendir(dir);
        if (!d)
                return 0;
        while ((e = readdir(d))) {
                FILE *f;
                int pid = 0;
                size_t len = strlen(e->d_name);
                if (strncmp(e->d_name, "vigil-", 6) != 0 || len < 5 ||
                    strcmp(e->d_name + len - 4, ".pid") != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                f = fopen(path, "re");
                if (f && fscanf(f, "%d", &pid) == 1 && pid > 0 && kill(pid, 0) == 0) {
                        n++;
                        if (kill_them)
                                kill(pid, SIGKILL);
                }
                if (f)
                        fclose(f);
        }
        closedir(d);
        return n;
}

int count_vms(struct daemon_proc *p)
{
        return each_vm(p, false);
}

void daemon_cleanup(struct daemon_proc *p)
{
        char cmd[300];

        if (p->pid > 0) {
                kill(p->pid, SIGKILL);
                waitpid(p->pid, NULL, 0);
                p->pid = 0;
        }
        each_vm(p, true);
        if (!getenv("VIGIL_KEEP_TMP")) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "# could not remove %s\n", p->dir);
        }
}

const char *call(struct daemon_proc *p, const char *method, struct json_object *params,
                 struct json_object **ret_params, int timeout_ms)
{
        static char name[512];
        struct vgl_varlink_client *c = NULL;
        struct vgl_varlink_reply rep = {0};
        struct vgl_error err = {};
        const char *res = NULL;

        if (vgl_varlink_client_connect(p->sock, &c, &err) < 0)
                return "connect-failed";
        vgl_varlink_client_set_timeout(c, timeout_ms);
        if (vgl_varlink_client_call(c, method, params, &rep, &err) < 0) {
                snprintf(name, sizeof(name), "transport: %s", err.msg);
                res = name;
        } else if (rep.error) {
                snprintf(name, sizeof(name), "%s", rep.error);
                res = name;
        } else if (ret_params) {
                *ret_params = json_object_get(rep.parameters);
        }
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(c);
        return res;
}
