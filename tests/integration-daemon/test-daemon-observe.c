/* Observation end to end through vigild (issue 4): a permission set pushed
 * with SetPermissions (raw varlink: libvigil-client does not wrap it) is
 * acknowledged with a generation; a write outside its writable prefixes and
 * a read of a denied sensitive path fail in the guest, reach a Subscribe
 * caller as file events with the right behaviour tags, and are counted in
 * the sandbox's behaviour totals. A set pushed while a command runs applies
 * to that command. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "test-daemon.h"
#include "varlink-client.h"

#define EVENT_WAIT_S 120 /* guard on the whole wait for the tagged events */

/* The sandbox's permission set: writes only under /tmp, /etc/shadow denied. */
static const char permissions_json[] =
        "{\"generation\":1,\"mode\":\"critical\",\"supervise\":true,"
        "\"writable\":[\"/tmp\"],"
        "\"sensitive\":[{\"pattern\":\"/etc/shadow\",\"action\":\"deny\"}]}";

/* Before the mid-run change: writes allowed everywhere. */
static const char open_json[] =
        "{\"generation\":1,\"mode\":\"critical\",\"supervise\":true,\"writable\":null}";

static bool has_tag(struct json_object *event, const char *tag)
{
        struct json_object *tags = NULL;

        if (!json_object_object_get_ex(event, "tags", &tags) ||
            !json_object_is_type(tags, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(tags); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(tags, i)), tag) == 0)
                        return true;
        return false;
}

static int64_t count_of(struct json_object *obj, const char *key)
{
        struct json_object *v = NULL;

        if (!obj || !json_object_object_get_ex(obj, key, &v) ||
            !json_object_is_type(v, json_type_int))
                return -1;
        return json_object_get_int64(v);
}

/* SetPermissions over a raw varlink connection; the generation, or fails. */
static int64_t set_permissions(const char *id, const char *permissions)
{
        _cleanup_varlink_client_ struct vgl_varlink_client *v = NULL;
        struct vgl_varlink_reply r = {};
        struct json_object *params = json_object_new_object();
        struct json_object *perm = json_tokener_parse(permissions);
        struct vgl_error e = {};
        int64_t gen;

        assert_non_null(params);
        assert_non_null(perm);
        if (vgl_varlink_client_connect(vd.sock, &v, &e) < 0)
                fail_msg("connect %s: %s", vd.sock, e.msg);
        vgl_varlink_client_set_timeout(v, OP_TIMEOUT_MS);
        json_object_object_add(params, "id", json_object_new_string(id));
        json_object_object_add(params, "permissions", perm);
        if (vgl_varlink_client_call(v, "io.vigil.Manager.SetPermissions", params, &r, &e) < 0)
                fail_msg("SetPermissions: %s", e.msg);
        json_object_put(params);
        if (r.error)
                fail_msg("SetPermissions: %s %s", r.error,
                         json_object_to_json_string(r.parameters));
        gen = count_of(r.parameters, "generation");
        vgl_varlink_reply_done(&r);
        if (gen <= 0)
                fail_msg("SetPermissions: no positive generation in the reply");
        return gen;
}

struct midrun {
        const char *id;
        struct exec_out o;
        int r;
        struct vgl_error e;
};

/* Runs a command that writes outside /tmp only after a pause. */
static void *midrun_command(void *arg)
{
        static const char *const argv[] = {
                "sh", "-c", "sleep 6; echo y > /etc/vigil-midrun && echo written", NULL};
        struct midrun *m = arg;
        _cleanup_client_ struct vgl_client *c = connect_or_fail();

        m->r = exec_collect(c, m->id, argv, &m->o, &m->e);
        return NULL;
}

/* A set pushed while a command runs applies to that command: its later
 * write outside /tmp is refused. */
static void check_midrun(struct vgl_client *c, const char *id)
{
        struct midrun m = {.id = id};
        struct vgl_client_file f = {};
        struct vgl_error e = {};
        pthread_t t;

        set_permissions(id, open_json);
        assert_int_equal(pthread_create(&t, NULL, midrun_command, &m), 0);
        sleep(2); /* the command is in its sleep by now (started well before) */
        set_permissions(id, permissions_json);
        assert_int_equal(pthread_join(t, NULL), 0);
        if (m.r < 0)
                fail_msg("mid-run Exec: %s", m.e.msg);
        fprintf(stderr, "# mid-run: exit %lld, stdout: %.*s, stderr: %s", (long long)m.o.exit.code,
                (int)m.o.out_len, m.o.out, m.o.err);
        assert_true(m.o.got_exit);
        assert_int_not_equal(m.o.exit.code, 0);
        assert_true(vgl_client_get_file(c, id, "/etc/vigil-midrun", 0, &f, &e) < 0);
}

void test_observe(void **state)
{
        _cleanup_client_ struct vgl_client *sub = connect_or_fail();
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        _cleanup_sandbox_ struct vgl_client_sandbox after = {};
        struct vgl_client_reserve_request req = {.desired_trust_level = COLD_TRUST, .ttl_s = 600};
        const char *const write_argv[] = {"sh", "-c", "echo x > /etc/vigil-denied", NULL};
        const char *const shadow_argv[] = {"cat", "/etc/shadow", NULL};
        struct json_object *behaviour = NULL, *tags = NULL;
        struct vgl_client_file f = {};
        struct exec_out o;
        struct vgl_error e = {};
        bool write_seen = false, shadow_seen = false, perm_seen = false;
        time_t deadline;
        int64_t gen;

        if (vgl_client_reserve(c, &req, &s, &e) < 0)
                fail_msg("cold Reserve: %s", e.msg);
        assert_true(s.has_agent);
        if (vgl_client_subscribe(sub, s.id, &e) < 0)
                fail_msg("Subscribe: %s", e.msg);
        vgl_client_set_timeout(sub, EVENT_WAIT_S * 1000);

        check_midrun(c, s.id);
        gen = set_permissions(s.id, permissions_json);
        fprintf(stderr, "# %s: permission set generation %lld\n", s.id, (long long)gen);

        /* a write outside /tmp: refused, and the file does not exist */
        if (exec_collect(c, s.id, write_argv, &o, &e) < 0)
                fail_msg("Exec: %s", e.msg);
        assert_true(o.got_exit);
        assert_int_equal(o.exit.kind, VGL_CLIENT_EXITED);
        assert_int_not_equal(o.exit.code, 0);
        fprintf(stderr, "# write: exit %lld, stderr: %s", (long long)o.exit.code, o.err);
        assert_true(vgl_client_get_file(c, s.id, "/etc/vigil-denied", 0, &f, &e) < 0);
        /* the denied sensitive path */
        if (exec_collect(c, s.id, shadow_argv, &o, &e) < 0)
                fail_msg("Exec: %s", e.msg);
        assert_true(o.got_exit);
        assert_int_not_equal(o.exit.code, 0);
        assert_int_equal(o.out_len, 0);
        fprintf(stderr, "# shadow: exit %lld, stderr: %s", (long long)o.exit.code, o.err);

        deadline = time(NULL) + EVENT_WAIT_S;
        while (!(write_seen && shadow_seen && perm_seen)) {
                struct vgl_client_event ev = {};
                int r;

                if (time(NULL) > deadline)
                        fail_msg("no events within %d s (write %d, shadow %d, permissions %d)",
                                 EVENT_WAIT_S, write_seen, shadow_seen, perm_seen);
                r = vgl_client_next_event(sub, &ev, &e);
                if (r <= 0)
                        fail_msg("event stream ended (write %d, shadow %d, permissions %d): %s",
                                 write_seen, shadow_seen, perm_seen,
                                 r < 0 ? e.msg : "end of stream");
                fprintf(stderr, "# event: %s %s: %s %s\n", ev.sandbox, ev.kind, ev.message,
                        json_object_to_json_string(json_object_object_get(ev.json, "tags")));
                assert_string_equal(ev.sandbox, s.id);
                if (strcmp(ev.kind, "permissions") == 0)
                        perm_seen = true;
                if (strcmp(ev.kind, "file") == 0 && strstr(ev.message, "/etc/vigil-denied") &&
                    has_tag(ev.json, "file_write") && has_tag(ev.json, "policy_violation"))
                        write_seen = true;
                if (strcmp(ev.kind, "file") == 0 && strstr(ev.message, "/etc/shadow") &&
                    has_tag(ev.json, "sensitive_data_access") &&
                    has_tag(ev.json, "policy_violation"))
                        shadow_seen = true;
                vgl_client_event_done(&ev);
        }

        /* the totals count them */
        if (vgl_client_get(c, s.id, &after, &e) < 0)
                fail_msg("Get: %s", e.msg);
        if (!json_object_object_get_ex(after.json, "behaviour", &behaviour) || !behaviour ||
            !json_object_object_get_ex(behaviour, "tags", &tags))
                fail_msg("Get: no behaviour.tags in %s", json_object_to_json_string(after.json));
        fprintf(stderr, "# behaviour: %s\n", json_object_to_json_string(behaviour));
        assert_int_equal(count_of(behaviour, "permissions_generation"), gen);
        assert_true(count_of(tags, "file_write") >= 1);
        assert_true(count_of(tags, "sensitive_data_access") >= 1);
        assert_true(count_of(tags, "policy_violation") >= 2);
        assert_true(count_of(behaviour, "events") >= 2);

        if (vgl_client_release(c, s.id, &e) < 0)
                fail_msg("Release: %s", e.msg);
}
