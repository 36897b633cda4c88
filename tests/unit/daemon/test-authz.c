/* Authorization and the registry: admin groups from /proc, who sees what,
 * pool and capacity counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "authz.h"
#include "registry.h"
#include "sandbox.h"

static char proc_root[64];

static void write_status(int pid, const char *groups)
{
        char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%d", proc_root, pid);
        mkdir(path, 0700);
        snprintf(path, sizeof(path), "%s/%d/status", proc_root, pid);
        f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "Name:\tx\nUid:\t1000\t1000\t1000\t1000\nGroups:\t%s\nVmPeak:\t1 kB\n", groups);
        fclose(f);
}

static void test_groups_from_proc(void **state)
{
        snprintf(proc_root, sizeof(proc_root), "/tmp/vigil-authz-XXXXXX");
        assert_non_null(mkdtemp(proc_root));
        write_status(10, "4 24 27 1001 ");
        write_status(11, "");
        assert_true(vgd_authz_pid_in_group(proc_root, 10, 27));
        assert_true(vgd_authz_pid_in_group(proc_root, 10, 1001));
        assert_false(vgd_authz_pid_in_group(proc_root, 10, 2));
        assert_false(vgd_authz_pid_in_group(proc_root, 11, 27));
        assert_false(vgd_authz_pid_in_group(proc_root, 12, 27)); /* no such pid */
        /* the real /proc: this process is in its own supplementary groups or not at all */
        assert_false(vgd_authz_pid_in_group("/proc", getpid(), 65533));
}

static void test_admin_gid(void **state)
{
        gid_t g = 1234;
        struct vgl_error e = {};

        assert_int_equal(vgd_authz_admin_gid("root", &g, &e), 0);
        assert_int_equal(g, 0);
        g = 1234;
        assert_true(vgd_authz_admin_gid("no-such-group-vigil", &g, &e) < 0);
        assert_int_equal(g, 1234);
}

static void test_caller(void **state)
{
        struct vgd_daemon d = {.have_admin_gid = true, .admin_gid = 4242};
        struct vgl_varlink_peer root = {0, 0, 1}, user = {1000, 1000, 999999},
                                inadmin = {1001, 4242, 999999};
        struct vgd_caller c;

        vgd_authz_caller(&d, &root, &c);
        assert_true(c.admin);
        vgd_authz_caller(&d, &user, &c);
        assert_false(c.admin);
        vgd_authz_caller(&d, &inadmin, &c); /* primary group */
        assert_true(c.admin);
        d.have_admin_gid = false;
        vgd_authz_caller(&d, &inadmin, &c);
        assert_false(c.admin);
}

static struct vgd_sandbox *add(struct vgd_daemon *d, const char *id, const char *tier,
                               enum vgd_state st, bool owned, uid_t uid)
{
        struct vgl_tier t = {.vcpus = 1};
        struct vgd_sandbox *s = NULL;

        snprintf(t.name, sizeof(t.name), "%s", tier);
        assert_int_equal(vgd_sandbox_new(d, id, &t, &s), 0);
        s->state = st;
        s->owned = owned;
        s->owner_uid = uid;
        vgd_registry_add(d, s);
        vgd_sandbox_unref(s);
        return s;
}

static void test_visibility_and_counts(void **state)
{
        struct vgd_daemon d = {0};
        struct vgd_caller admin = {.uid = 0, .admin = true}, alice = {.uid = 1000},
                          bob = {.uid = 1001};
        struct vgd_sandbox *a = add(&d, "aaaaaaaaaaaa", "low", VGD_RESERVED, true, 1000);
        struct vgd_sandbox *p = add(&d, "bbbbbbbbbbbb", "low", VGD_READY, false, 0);
        struct vgd_sandbox *q = add(&d, "cccccccccccc", "low", VGD_BOOTING, false, 0);
        struct vgd_sandbox *g = add(&d, "dddddddddddd", "high", VGD_GONE, true, 1001);

        assert_true(vgd_authz_can_see(&admin, a));
        assert_true(vgd_authz_can_see(&admin, p));
        assert_true(vgd_authz_can_see(&alice, a));
        assert_false(vgd_authz_can_see(&bob, a));
        assert_false(vgd_authz_can_see(&alice, p)); /* pool VMs belong to nobody */
        assert_false(vgd_authz_can_see(&alice, g));
        assert_true(vgd_authz_can_see(&bob, g)); /* records of dead VMs stay visible */

        assert_ptr_equal(vgd_registry_find(&d, "aaaaaaaaaaaa"), a);
        assert_ptr_equal(vgd_registry_find_domain(&d, "vigil-dddddddddddd"), g);
        assert_null(vgd_registry_find(&d, "eeeeeeeeeeee"));
        assert_int_equal(vgd_registry_count_live(&d), 3);
        assert_int_equal(vgd_registry_count_pool(&d, "low", false), 2);
        assert_int_equal(vgd_registry_count_pool(&d, "low", true), 1);
        assert_int_equal(vgd_registry_count_pool(&d, "high", false), 0);
        (void)q;
        while (d.sandboxes)
                vgd_registry_remove(&d, d.sandboxes);
}

static int teardown(void **state)
{
        char cmd[128];

        if (proc_root[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", proc_root);
                if (system(cmd) != 0)
                        return -1;
        }
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_groups_from_proc),
                cmocka_unit_test(test_admin_gid),
                cmocka_unit_test(test_caller),
                cmocka_unit_test(test_visibility_and_counts),
        };
        return cmocka_run_group_tests(tests, NULL, teardown);
}
