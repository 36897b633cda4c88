/* See config.h. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "vigil-config.h"

enum {
        OPT_SOCKET = 0x100,
        OPT_STATE_DIR,
        OPT_POLICIES,
        OPT_IMAGES,
        OPT_POOL,
        OPT_MAX,
        OPT_ADMIN_GROUP,
        OPT_BOOT_TIMEOUT,
        OPT_SILENCE,
        OPT_ADJUST_PERIOD,
        OPT_MODEL_DIR,
        OPT_RETRAIN_EVERY,
};

static const struct option options[] = {
        {"connect", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, OPT_SOCKET},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"policies", required_argument, NULL, OPT_POLICIES},
        {"images", required_argument, NULL, OPT_IMAGES},
        {"pool", required_argument, NULL, OPT_POOL},
        {"max-sandboxes", required_argument, NULL, OPT_MAX},
        {"admin-group", required_argument, NULL, OPT_ADMIN_GROUP},
        {"boot-timeout", required_argument, NULL, OPT_BOOT_TIMEOUT},
        {"agent-silence", required_argument, NULL, OPT_SILENCE},
        {"adjust-period-ms", required_argument, NULL, OPT_ADJUST_PERIOD},
        {"model-dir", required_argument, NULL, OPT_MODEL_DIR},
        {"retrain-every", required_argument, NULL, OPT_RETRAIN_EVERY},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {},
};

void vgd_config_usage(FILE *f)
{
        fprintf(f,
                "Usage: vigild [OPTION]...\n"
                "The vigil host daemon: microVM sandboxes in trust tiers, served over varlink.\n\n"
                "  -c, --connect URI       libvirt URI (default qemu:///embed?root=STATE_DIR)\n"
                "      --socket PATH       varlink socket, mode 0660 (default " VGD_DEFAULT_SOCKET
                ";\n"
                "                          non-root: $XDG_RUNTIME_DIR/vigil/vigild.sock)\n"
                "      --state-dir DIR     state directory (default " VGD_DEFAULT_STATE_DIR ";\n"
                "                          non-root: $XDG_RUNTIME_DIR/vigil or /tmp/vigil-UID)\n"
                "      --policies DIR      tier templates in DIR/tiers/*.json\n"
                "                          (default " VIGIL_DATADIR "/policies)\n"
                "      --images DIR        images: DIR/NAME for the tier's image NAME, or DIR\n"
                "                          itself when it holds manifest.json (default "
                "STATE_DIR/images)\n"
                "      --pool N            warm-pool target of every tier (default: the tier's)\n"
                "      --max-sandboxes N   VMs at once, pools included (default %d)\n"
                "      --admin-group NAME  members may see and act on every sandbox\n"
                "      --boot-timeout S    seconds to wait for the agent's hello (default %d)\n"
                "      --agent-silence S   seconds without heartbeat before 'agent-silent' "
                "(default %d)\n"
                "      --adjust-period-ms MS  time between adjust rounds (default: period_ms of\n"
                "                          POLICIES/adjust.json, 5000 without it)\n"
                "      --model-dir DIR     the detector's model versions (default "
                "STATE_DIR/models)\n"
                "      --retrain-every N   retrain after N clean runs (default %d, 0: only on "
                "demand)\n"
                "  -v, --verbose           debug log lines\n"
                "  -h, --help              this text\n"
                "  -V, --version           the version\n\n"
                "Runs in the foreground, logs to stderr. SIGTERM/SIGINT: idle pool VMs are\n"
                "destroyed, reserved sandboxes keep running and are picked up at the next start.\n",
                VGD_DEFAULT_MAX_SANDBOXES, VGD_DEFAULT_BOOT_TIMEOUT, VGD_DEFAULT_AGENT_SILENCE,
                VGD_DEFAULT_RETRAIN_EVERY);
}

static int parse_uint(const char *opt, const char *s, unsigned min, unsigned max, unsigned *ret,
                      struct vgl_error *err)
{
        char *end = NULL;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || !end || *end || end == s || s[0] == '-' || v < min || v > max)
                return vgl_error_set(err, EINVAL, "--%s: expected an integer in [%u, %u], got '%s'",
                                     opt, min, max, s);
        *ret = (unsigned)v;
        return 0;
}

/* Replaces *slot with an absolute copy of path. */
static int set_path(const char *opt, const char *path, char **slot, struct vgl_error *err)
{
        char cwd[PATH_MAX];
        char *p = NULL;

        if (!path[0])
                return vgl_error_set(err, EINVAL, "--%s: empty path", opt);
        if (path[0] == '/')
                p = strdup(path);
        else if (getcwd(cwd, sizeof(cwd)) && asprintf(&p, "%s/%s", cwd, path) < 0)
                p = NULL;
        if (!p)
                return vgl_error_set(err, ENOMEM, "--%s: cannot make '%s' absolute", opt, path);
        free(*slot);
        *slot = p;
        return 0;
}

static int set_str(const char *s, char **slot, struct vgl_error *err)
{
        char *p = strdup(s);

        if (!p)
                return vgl_error_set(err, ENOMEM, "out of memory");
        free(*slot);
        *slot = p;
        return 0;
}

static int fill_defaults(struct vgd_config *c, struct vgl_error *err)
{
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        int r = 0;

        if (!c->state_dir) {
                if (geteuid() == 0)
                        r = asprintf(&c->state_dir, VGD_DEFAULT_STATE_DIR);
                else if (xdg && xdg[0] == '/')
                        r = asprintf(&c->state_dir, "%s/vigil", xdg);
                else
                        r = asprintf(&c->state_dir, "/tmp/vigil-%u", (unsigned)geteuid());
        }
        if (r >= 0 && !c->socket_path)
                r = geteuid() == 0 ? asprintf(&c->socket_path, VGD_DEFAULT_SOCKET)
                                   : asprintf(&c->socket_path, "%s/vigild.sock", c->state_dir);
        if (r >= 0 && !c->policies_dir)
                r = asprintf(&c->policies_dir, "%s/policies", VIGIL_DATADIR);
        if (r >= 0 && !c->images_dir)
                r = asprintf(&c->images_dir, "%s/images", c->state_dir);
        if (r >= 0 && !c->model_dir)
                r = asprintf(&c->model_dir, "%s/models", c->state_dir);
        if (r < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        return 0;
}

static int parse_one(int o, struct vgd_config *c, struct vgl_error *err)
{
        unsigned v;
        int r;

        switch (o) {
        case 'c':
                return set_str(optarg, &c->uri, err);
        case OPT_SOCKET:
                return set_path("socket", optarg, &c->socket_path, err);
        case OPT_STATE_DIR:
                return set_path("state-dir", optarg, &c->state_dir, err);
        case OPT_POLICIES:
                return set_path("policies", optarg, &c->policies_dir, err);
        case OPT_IMAGES:
                return set_path("images", optarg, &c->images_dir, err);
        case OPT_POOL:
                r = parse_uint("pool", optarg, 0, VGD_POOL_LIMIT, &v, err);
                c->pool = (int)v;
                return r;
        case OPT_MAX:
                return parse_uint("max-sandboxes", optarg, 1, VGD_MAX_SANDBOXES_LIMIT,
                                  &c->max_sandboxes, err);
        case OPT_ADMIN_GROUP:
                if (!optarg[0])
                        return vgl_error_set(err, EINVAL, "--admin-group: empty name");
                return set_str(optarg, &c->admin_group, err);
        case OPT_BOOT_TIMEOUT:
                return parse_uint("boot-timeout", optarg, 1, 3600, &c->boot_timeout_s, err);
        case OPT_SILENCE:
                return parse_uint("agent-silence", optarg, 1, 3600, &c->agent_silence_s, err);
        case OPT_ADJUST_PERIOD:
                return parse_uint("adjust-period-ms", optarg, VGD_ADJUST_PERIOD_MIN_MS,
                                  VGD_ADJUST_PERIOD_MAX_MS, &c->adjust_period_ms, err);
        case OPT_MODEL_DIR:
                return set_path("model-dir", optarg, &c->model_dir, err);
        case OPT_RETRAIN_EVERY:
                return parse_uint("retrain-every", optarg, 0, VGD_RETRAIN_EVERY_MAX,
                                  &c->retrain_every, err);
        case 'v':
                c->verbose = true;
                return 0;
        case 'h':
                c->help = true;
                return 0;
        case 'V':
                c->version = true;
                return 0;
        default:
                return vgl_error_set(err, EINVAL,
                                     "unknown option or missing argument (see --help)");
        }
}

int vgd_config_parse(int argc, char **argv, struct vgd_config *ret, struct vgl_error *err)
{
        struct vgd_config c = {
                .pool = -1,
                .max_sandboxes = VGD_DEFAULT_MAX_SANDBOXES,
                .boot_timeout_s = VGD_DEFAULT_BOOT_TIMEOUT,
                .agent_silence_s = VGD_DEFAULT_AGENT_SILENCE,
                .retrain_every = VGD_DEFAULT_RETRAIN_EVERY,
        };
        int o, r = 0;

        optind = 0; /* full reset: the tests parse several command lines */
        opterr = 0;
        while ((o = getopt_long(argc, argv, "+c:vhV", options, NULL)) != -1)
                if ((r = parse_one(o, &c, err)) < 0)
                        goto fail;
        if (optind < argc) {
                r = vgl_error_set(err, EINVAL, "unexpected argument '%s'", argv[optind]);
                goto fail;
        }
        if ((r = fill_defaults(&c, err)) < 0)
                goto fail;
        *ret = c;
        return 0;
fail:
        vgd_config_done(&c);
        return r;
}

void vgd_config_done(struct vgd_config *c)
{
        free(c->uri);
        free(c->socket_path);
        free(c->state_dir);
        free(c->policies_dir);
        free(c->images_dir);
        free(c->model_dir);
        free(c->admin_group);
        *c = (struct vgd_config){.pool = -1, .retrain_every = VGD_DEFAULT_RETRAIN_EVERY};
}
