/* vigil-agent: the guest side of vigil's agent channel.
 *
 * Runs as the microVM's init (PID 1, or --init from a tiny /init script), or
 * as an ordinary service on a full distribution, or on a host for tests with
 * --fd (one end of a socketpair). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent.h"
#include "vigil-config.h"
#include "cleanup.h"
#include "init.h"
#include "log.h"
#include "port.h"

#define PORT_WAIT_MS 20 /* short: this wait is on the boot-to-hello path */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct options {
        bool init;
        int fd;
        const char *port;
        const char *hostname;
        const char *proc_root;
        const char *cgroup_root;
        enum vgl_trace_method trace_method;
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: vigil-agent [--init] [--port PATH | --fd N] [--hostname NAME]\n"
                "  --init           act as the VM's init (implied when PID 1)\n"
                "  --port PATH      the virtio-serial port (default: find %s)\n"
                "  --fd N           use an already-open fd as the channel (tests)\n"
                "  --hostname NAME  hostname to set as init (default: vigil)\n"
                "  --proc DIR       where /proc is (default: /proc)\n"
                "  --cgroup DIR     cgroup v2 root for commands (default: /sys/fs/cgroup)\n"
                "  --trace-method auto|notify\n"
                "                   how trace mode captures calls: eBPF when possible (auto),\n"
                "                   or seccomp notification of every call\n",
                VGL_AGENT_PORT_NAME);
}

static int parse_args(int argc, char **argv, struct options *o)
{
        static const struct option longopts[] = {
                {"init", no_argument, NULL, 'i'},
                {"port", required_argument, NULL, 'p'},
                {"fd", required_argument, NULL, 'f'},
                {"hostname", required_argument, NULL, 'n'},
                {"proc", required_argument, NULL, 'P'},
                {"help", no_argument, NULL, 'h'},
                {"cgroup", required_argument, NULL, 'C'},
                {"version", no_argument, NULL, 'V'},
                {"trace-method", required_argument, NULL, 'T'},
                {},
        };
        char *end;
        int c;
        *o = (struct options){.fd = -1,
                              .hostname = "vigil",
                              .proc_root = "/proc",
                              .cgroup_root = "/sys/fs/cgroup"};
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                switch (c) {
                case 'i':
                        o->init = true;
                        break;
                case 'p':
                        o->port = optarg;
                        break;
                case 'f':
                        errno = 0;
                        long v = strtol(optarg, &end, 10);
                        if (errno || *end || v < 0 || v > 65535)
                                return fprintf(stderr, "bad --fd %s\n", optarg), -EINVAL;
                        o->fd = (int)v;
                        break;
                case 'n':
                        o->hostname = optarg;
                        break;
                case 'P':
                        o->proc_root = optarg;
                        break;
                case 'C':
                        o->cgroup_root = optarg;
                        break;
                case 'T':
                        if (strcmp(optarg, "auto") && strcmp(optarg, "notify"))
                                return fprintf(stderr, "bad --trace-method %s\n", optarg), -EINVAL;
                        o->trace_method =
                                strcmp(optarg, "notify") ? VGL_TRACE_AUTO : VGL_TRACE_NOTIFY;
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                case 'V':
                        printf("vigil-agent %s (protocol %d)\n", VIGIL_VERSION, VGL_PROTO_VERSION);
                        exit(0);
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        }
        if (optind < argc || (o->port && o->fd >= 0)) {
                usage(stderr);
                return -EINVAL;
        }
        return 0;
}

/* Children get fds 0-2 from pipes; none of ours may land there. */
static void ensure_stdio(void)
{
        for (int fd = 0; fd < 3; fd++)
                if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
                        break;
}

/* Waits (reaping orphans meanwhile, as init must) until the port exists. */
static int open_port(const struct options *o)
{
        bool logged = false;
        for (;;) {
                _cleanup_free_ char *path = NULL;
                int r = o->port ? 0 : vgl_port_find("/dev", "/sys", VGL_AGENT_PORT_NAME, &path);
                if (r == 0)
                        r = vgl_port_open(o->port ? o->port : path);
                if (r >= 0) {
                        vgl_log(LOG_INFO, "using port %s", o->port ? o->port : path);
                        return r;
                }
                if (!logged)
                        vgl_log(LOG_INFO, "waiting for port %s: %s",
                                o->port ? o->port : VGL_AGENT_PORT_NAME, strerror(-r));
                logged = true;
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                usleep(PORT_WAIT_MS * 1000);
        }
}

/* One agent lifetime on one open port. Returns 0, 1 (shutdown asked) or -errno. */
static int run_once(const struct options *o, bool *ret_reboot)
{
        struct vgl_agent *a = NULL;
        struct stat st;
        int fd = o->fd >= 0 ? o->fd : open_port(o);
        if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 || fstat(fd, &st) < 0)
                return fd < 0 ? fd : -errno;
        struct vgl_agent_config cfg = {
                .port_fd = fd,
                .reconnect = S_ISCHR(st.st_mode),
                .init_mode = o->init,
                .proc_root = o->proc_root,
                .cgroup_root = o->cgroup_root,
                .trace_method = o->trace_method,
        };
        int r = vgl_agent_new(&cfg, &a);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        r = vgl_agent_run(a);
        if (r == 0 && a->shutdown_requested) {
                *ret_reboot = a->shutdown_reboot;
                r = 1;
        }
        vgl_agent_free(a);
        return r;
}

static void init_setup(const struct options *o)
{
        int failed = vgl_init_mount_all();
        if (failed)
                vgl_log(LOG_WARNING, "%d early mounts failed; continuing", failed);
        if (vgl_init_hostname(o->hostname) < 0)
                vgl_log(LOG_WARNING, "cannot set hostname: %s", strerror(errno));
        /* Not PID 1 (started by a shell /init that did not exec us): still collect orphans. */
        if (getpid() != 1)
                prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        setenv("PATH", DEFAULT_PATH, 0);
        vgl_log_open(true);
}

int main(int argc, char **argv)
{
        struct options o;
        if (parse_args(argc, argv, &o) < 0)
                return 2;
        o.init = o.init || getpid() == 1;
        ensure_stdio();
        signal(SIGPIPE, SIG_IGN);
        /* json-c seeds its default string hash from /dev/urandom, which blocks
         * early in a guest with no entropy yet; a fixed hash needs none. */
        json_global_set_string_hash(JSON_C_STR_HASH_PERLLIKE);
        vgl_log_open(false);
        if (o.init)
                init_setup(&o);
        if (!vgl_init_have_cgroup2())
                vgl_log(LOG_INFO, "no cgroup v2 at /sys/fs/cgroup: resource samples come from "
                                  "/proc only");
        for (;;) {
                bool reboot = false;
                int r = run_once(&o, &reboot);
                if (r == 1 && getpid() == 1) {
                        r = vgl_init_poweroff(reboot);
                        vgl_log(LOG_ERR, "poweroff failed: %s", strerror(-r));
                } else if (r == 1 || (r >= 0 && !o.init)) {
                        /* Only the real init powers off; anything else just leaves. */
                        return 0;
                } else if (!o.init) {
                        vgl_log(LOG_ERR, "fatal: %s", strerror(-r));
                        return 1;
                } else {
                        vgl_log(LOG_ERR, "agent loop failed: %s; restarting", strerror(-r));
                }
                /* As init we must never exit: the kernel would panic. */
                sleep(1);
                if (o.fd >= 0 && fcntl(o.fd, F_GETFD) < 0)
                        o.fd = -1; /* the given fd is gone: discover the port instead */
        }
}
