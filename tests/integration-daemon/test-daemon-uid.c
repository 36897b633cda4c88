/* A second uid sees and touches nothing of the first's sandboxes. The
 * clients run in forked children dropped to OTHER_UID / THIRD_UID, keeping
 * supplementary group 0 (the group of vigild's 0660 socket, as a "vigil"
 * group would be in a deployment). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "test-daemon.h"

#define NO_SUCH "io.vigil.Manager.NoSuchSandbox"

struct uid_ctx {
        uid_t uid;
        const char *foreign[3]; /* ids this uid must not see (NULL-terminated) */
        char own_id[64];        /* out: what it reserved / in: what to release */
};

#define CHECK(cond, ...)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "# uid %u: ", (unsigned)x->uid);                           \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fprintf(stderr, "\n");                                                     \
                        return 1;                                                                  \
                }                                                                                  \
        } while (0)

static int connect_as(struct uid_ctx *x, struct vgl_client **ret)
{
        struct vgl_error e = {};

        CHECK(vgl_client_connect(vd.sock, ret, &e) == 0, "connect: %s", e.msg);
        vgl_client_set_timeout(*ret, OP_TIMEOUT_MS);
        return 0;
}

/* List holds exactly `own` (or nothing when own is NULL). */
static int check_list(struct uid_ctx *x, struct vgl_client *c, const char *own)
{
        struct vgl_client_sandbox *s = NULL;
        struct vgl_error e = {};
        size_t n = 0;
        int bad = 0;

        CHECK(vgl_client_list(c, &s, &n, &e) == 0, "List: %s", e.msg);
        for (size_t i = 0; i < n; i++)
                if (!own || strcmp(s[i].id, own) != 0 || s[i].owner_uid != (int64_t)x->uid) {
                        fprintf(stderr, "# uid %u: List shows %s (owner %lld, %s)\n",
                                (unsigned)x->uid, s[i].id, (long long)s[i].owner_uid, s[i].state);
                        bad = 1;
                }
        vgl_client_sandboxes_free(s, n);
        CHECK(!bad && n == (own ? 1u : 0u), "List has %zu entries, want %d", n, own ? 1 : 0);
        return 0;
}

/* Get, Release, Exec, GetFile on a foreign id: all NoSuchSandbox. */
static int check_foreign(struct uid_ctx *x, struct vgl_client *c, const char *id)
{
        const char *const argv[] = {"true", NULL};
        const struct vgl_client_exec_request req = {.argv = argv, .uid = -1};
        struct vgl_client_sandbox s = {};
        struct vgl_client_file f = {};
        struct vgl_error e = {};
        const char *name;

        CHECK(vgl_client_get(c, id, &s, &e) < 0, "Get(%s) succeeded", id);
        name = vgl_client_error_name(c);
        CHECK(name && strcmp(name, NO_SUCH) == 0, "Get(%s): %s", id, e.msg);
        CHECK(vgl_client_release(c, id, &e) < 0, "Release(%s) succeeded", id);
        name = vgl_client_error_name(c);
        CHECK(name && strcmp(name, NO_SUCH) == 0, "Release(%s): %s", id, e.msg);
        CHECK(vgl_client_exec(c, id, &req, NULL, NULL, NULL, &e) < 0, "Exec(%s) succeeded", id);
        name = vgl_client_error_name(c);
        CHECK(name && strcmp(name, NO_SUCH) == 0, "Exec(%s): %s", id, e.msg);
        CHECK(vgl_client_get_file(c, id, "/etc/passwd", 0, &f, &e) < 0, "GetFile succeeded");
        name = vgl_client_error_name(c);
        CHECK(name && strcmp(name, NO_SUCH) == 0, "GetFile(%s): %s", id, e.msg);
        return 0;
}

static int other_reserves(void *arg)
{
        struct uid_ctx *x = arg;
        _cleanup_client_ struct vgl_client *c = NULL;
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        struct vgl_client_reserve_request req = {.desired_trust_level = POOL_TRUST};
        struct vgl_error e = {};

        if (connect_as(x, &c) || check_list(x, c, NULL))
                return 1;
        for (int i = 0; x->foreign[i]; i++)
                if (check_foreign(x, c, x->foreign[i]))
                        return 1;
        CHECK(vgl_client_reserve(c, &req, &s, &e) == 0, "Reserve: %s", e.msg);
        CHECK(s.owner_uid == (int64_t)x->uid, "owner_uid %lld", (long long)s.owner_uid);
        snprintf(x->own_id, sizeof(x->own_id), "%s", s.id);
        return check_list(x, c, s.id);
}

static int third_looks(void *arg)
{
        struct uid_ctx *x = arg;
        _cleanup_client_ struct vgl_client *c = NULL;

        if (connect_as(x, &c) || check_list(x, c, NULL))
                return 1;
        for (int i = 0; x->foreign[i]; i++)
                if (check_foreign(x, c, x->foreign[i]))
                        return 1;
        return 0;
}

static int other_releases(void *arg)
{
        struct uid_ctx *x = arg;
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_error e = {};

        if (connect_as(x, &c))
                return 1;
        CHECK(vgl_client_release(c, x->own_id, &e) == 0, "Release(own): %s", e.msg);
        return check_list(x, c, NULL);
}

void test_second_uid(void **state)
{
        struct uid_ctx *x =
                mmap(NULL, sizeof(*x), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        _cleanup_client_ struct vgl_client *root = connect_or_fail();
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        struct vgl_error e = {};
        char other_id[64];

        SKIP_UNLESS(warm_id[0] && cold_id[0]);
        assert_true(x != MAP_FAILED);
        *x = (struct uid_ctx){.uid = OTHER_UID, .foreign = {warm_id, cold_id, NULL}};
        assert_int_equal(vd_run_as(OTHER_UID, OTHER_UID, other_reserves, x), 0);
        snprintf(other_id, sizeof(other_id), "%s", x->own_id);

        /* root (admin) sees it, with its owner */
        if (vgl_client_get(root, other_id, &s, &e) < 0)
                fail_msg("root Get(%s): %s", other_id, e.msg);
        assert_int_equal(s.owner_uid, OTHER_UID);

        *x = (struct uid_ctx){.uid = THIRD_UID, .foreign = {warm_id, other_id, NULL}};
        assert_int_equal(vd_run_as(THIRD_UID, THIRD_UID, third_looks, x), 0);

        *x = (struct uid_ctx){.uid = OTHER_UID};
        snprintf(x->own_id, sizeof(x->own_id), "%s", other_id);
        assert_int_equal(vd_run_as(OTHER_UID, OTHER_UID, other_releases, x), 0);
        munmap(x, sizeof(*x));
        fprintf(stderr, "# uid %d: own sandbox %s only; uid %d: nothing\n", OTHER_UID, other_id,
                THIRD_UID);
}
