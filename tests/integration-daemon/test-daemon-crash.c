/* A VM killed behind vigild's back (SIGKILL to its QEMU; with qemu:///embed
 * no second libvirt connection can destroy it) shows up as an event for
 * subscribers and as the sandbox's state in List; a reservation whose
 * time-to-live ends is destroyed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "test-daemon.h"

static bool dead_state(const char *s)
{
        return strcmp(s, "gone") == 0 || strcmp(s, "crashed") == 0 || strcmp(s, "shutdown") == 0;
}

void test_vm_killed(void **state)
{
        _cleanup_client_ struct vgl_client *sub = connect_or_fail();
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        struct vgl_client_sandbox *all = NULL;
        struct vgl_error e = {};
        char kind[64] = "", listed[64] = "";
        size_t n = 0;
        pid_t qemu;

        SKIP_UNLESS(cold_id[0]);
        if (vgl_client_subscribe(sub, cold_id, &e) < 0)
                fail_msg("Subscribe: %s", e.msg);
        if (vd_qemu_pid(&vd, cold_id, &qemu) < 0)
                fail_msg("no QEMU process for %s under %s", cold_id, vd.state);
        assert_int_equal(kill(qemu, SIGKILL), 0);

        while (!kind[0]) {
                struct vgl_client_event ev = {};
                int r = vgl_client_next_event(sub, &ev, &e);
                if (r <= 0)
                        fail_msg("event stream ended before the death of %s: %s", cold_id,
                                 r < 0 ? e.msg : "end of stream");
                fprintf(stderr, "# event: %s %s: %s\n", ev.sandbox, ev.kind, ev.message);
                if (strcmp(ev.sandbox, cold_id) == 0 && dead_state(ev.kind))
                        snprintf(kind, sizeof(kind), "%s", ev.kind);
                vgl_client_event_done(&ev);
        }

        assert_int_equal(vgl_client_list(c, &all, &n, &e), 0);
        for (size_t i = 0; i < n; i++)
                if (strcmp(all[i].id, cold_id) == 0)
                        snprintf(listed, sizeof(listed), "%s", all[i].state);
        vgl_client_sandboxes_free(all, n);
        fprintf(stderr, "# killed QEMU %d of %s: event '%s', List state '%s'\n", (int)qemu, cold_id,
                kind, listed);
        if (!dead_state(listed))
                fail_msg("List shows %s as '%s'", cold_id, listed[0] ? listed : "(absent)");
        /* a dead sandbox can still be released, and is gone afterwards */
        if (vgl_client_release(c, cold_id, &e) < 0)
                fail_msg("Release of the dead sandbox: %s", e.msg);
        cold_id[0] = '\0';
}

/* A reservation's time-to-live ends it: an "expired" event, the VM destroyed,
 * the id unknown afterwards. */
void test_ttl_expiry(void **state)
{
        _cleanup_client_ struct vgl_client *sub = connect_or_fail();
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        _cleanup_sandbox_ struct vgl_client_sandbox after = {};
        struct vgl_client_reserve_request req = {.desired_trust_level = COLD_TRUST, .ttl_s = 2};
        struct vgl_error e = {};
        bool expired = false;
        pid_t qemu = 0;

        if (vgl_client_subscribe(sub, NULL, &e) < 0)
                fail_msg("Subscribe: %s", e.msg);
        if (vgl_client_reserve(c, &req, &s, &e) < 0)
                fail_msg("Reserve with ttl_s 2: %s", e.msg);
        assert_int_equal(vd_qemu_pid(&vd, s.id, &qemu), 0);
        while (!expired) {
                struct vgl_client_event ev = {};
                int r = vgl_client_next_event(sub, &ev, &e);
                if (r <= 0)
                        fail_msg("event stream ended before %s expired: %s", s.id,
                                 r < 0 ? e.msg : "end of stream");
                expired = strcmp(ev.sandbox, s.id) == 0 && strcmp(ev.kind, "expired") == 0;
                vgl_client_event_done(&ev);
        }
        assert_true(vgl_client_get(c, s.id, &after, &e) < 0);
        assert_string_equal(vgl_client_error_name(c), "io.vigil.Manager.NoSuchSandbox");
        for (int i = 0; i < 600 && kill(qemu, 0) == 0; i++)
                usleep(100 * 1000);
        assert_int_not_equal(kill(qemu, 0), 0);
        fprintf(stderr, "# %s expired after its 2 s time-to-live; QEMU %d is gone\n", s.id,
                (int)qemu);
}
