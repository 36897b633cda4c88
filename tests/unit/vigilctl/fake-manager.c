/* A TEST DOUBLE of io.vigil.Manager (see fake-manager.h). Handlers run on
 * the libvirt event loop thread and answer at once with canned data:
 *   Get/Release: "a1b2c3" and "ffff" exist; "boom" fails inside (System
 *     errno); "garbage" answers a malformed record; others NoSuchSandbox.
 *   Reserve: tier "nope" -> NoSuchTier; echoes tier/trust/labels in "new1".
 *   Exec (on "a1b2c3"; others SandboxNotReady) by argv[0]: echo, exit N,
 *     kill, sleep (timeout), nostart, badb64, noexit.
 *   PutFile/GetFile: an in-memory store; paths under /ro fail.
 *   Subscribe: three events, or none ever for sandbox "quiet".
 *   GetProfile/UpdateProfile/Adjust ("a1b2c3"): a canned profile; Hop to
 *     "paranoid" moves, to anything else HopFailed; Audit: two records
 *     (the first skipped with since 2); AuditVerify: broken at line 3. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "fake-manager.h"

const char *const fake_sandbox_a =
        "{\"id\":\"a1b2c3\",\"domain\":\"vigil-a1b2c3\",\"tier\":\"medium\","
        "\"posture\":\"medium\",\"state\":\"reserved\",\"owner_uid\":1000,"
        "\"desired_trust_level\":0.5,\"trust_score\":0.75,\"created\":1700000000,"
        "\"expires\":1700003600,\"resources\":{\"vcpus\":2,\"max_vcpus\":4,\"memory_mib\":512,"
        "\"max_memory_mib\":1024,\"cpu_quota_percent\":100},\"agent\":{\"agent_version\":"
        "\"0.1.0\",\"kernel\":\"6.1.0\",\"proto_version\":1,\"heartbeats\":42,"
        "\"last_heartbeat_age_ms\":120},\"labels\":{\"app\":\"web\"}}";

const char *const fake_sandbox_b =
        "{\"id\":\"ffff\",\"domain\":\"vigil-ffff\",\"tier\":\"paranoid\","
        "\"posture\":\"paranoid\",\"state\":\"booting\",\"owner_uid\":0,"
        "\"desired_trust_level\":0.0,\"trust_score\":1.0,\"created\":1700000000,"
        "\"resources\":{\"vcpus\":1,\"max_vcpus\":1,\"memory_mib\":128,\"max_memory_mib\":128,"
        "\"cpu_quota_percent\":50},\"labels\":{}}";

static const char *const tiers =
        "{\"tiers\":[{\"name\":\"low\",\"posture\":\"low\",\"min_trust\":0.0,\"max_trust\":0.25,"
        "\"image\":\"microvm\",\"network\":\"open\",\"resources\":{\"vcpus\":2,\"max_vcpus\":2,"
        "\"memory_mib\":1024,\"max_memory_mib\":1024,\"cpu_quota_percent\":100},"
        "\"pool_target\":2,\"pool_ready\":2},{\"name\":\"paranoid\",\"posture\":\"paranoid\","
        "\"min_trust\":0.9,\"max_trust\":1.0,\"image\":\"microvm\",\"network\":\"none\","
        "\"resources\":{\"vcpus\":1,\"max_vcpus\":1,\"memory_mib\":128,\"max_memory_mib\":128,"
        "\"cpu_quota_percent\":50},\"pool_target\":1,\"pool_ready\":0}]}";

/* ---- bookkeeping shared with the test thread ---- */

#define MAX_FILES 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *last_params;
static struct {
        char *path, *data_b64;
        int mode;
        size_t size;
} files[MAX_FILES];

static void remember(struct json_object *params)
{
        pthread_mutex_lock(&lock);
        free(last_params);
        last_params = strdup(json_object_to_json_string_ext(
                params, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        pthread_mutex_unlock(&lock);
}

char *fake_manager_last_params(void)
{
        char *copy;

        pthread_mutex_lock(&lock);
        copy = last_params ? strdup(last_params) : NULL;
        pthread_mutex_unlock(&lock);
        return copy;
}

void fake_manager_reset(void)
{
        pthread_mutex_lock(&lock);
        last_params = (free(last_params), NULL);
        for (size_t i = 0; i < MAX_FILES; i++) {
                free(files[i].path);
                free(files[i].data_b64);
                files[i].path = files[i].data_b64 = NULL;
        }
        pthread_mutex_unlock(&lock);
}

/* ---- helpers ---- */

static const char *str_param(struct json_object *params, const char *key)
{
        struct json_object *v = NULL;

        if (!json_object_object_get_ex(params, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int reply_text(struct vgl_varlink_call *call, const char *json, bool more)
{
        struct json_object *p = json_tokener_parse(json);
        int r = more ? vgl_varlink_call_notify(call, p) : vgl_varlink_call_reply(call, p);

        json_object_put(p);
        return r;
}

static int error1(struct vgl_varlink_call *call, const char *name, const char *key,
                  const char *value)
{
        struct json_object *p = json_object_new_object();
        int r;

        json_object_object_add(p, key, json_object_new_string(value));
        r = vgl_varlink_call_error(call, name, p);
        json_object_put(p);
        return r;
}

static int reply_member(struct vgl_varlink_call *call, const char *key, struct json_object *v)
{
        struct json_object *p = json_object_new_object();
        int r;

        json_object_object_add(p, key, v);
        r = vgl_varlink_call_reply(call, p);
        json_object_put(p);
        return r;
}

/* ---- sandboxes ---- */

static int m_get(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        const char *id = str_param(params, "id");

        remember(params);
        if (!id)
                return vgl_varlink_call_error_invalid_parameter(call, "id");
        if (strcmp(id, "boom") == 0)
                return -EIO;
        if (strcmp(id, "garbage") == 0)
                return reply_text(call, "{\"sandbox\":{\"id\":5}}", false);
        if (strcmp(id, "a1b2c3") == 0 || strcmp(id, "ffff") == 0)
                return reply_member(
                        call, "sandbox",
                        json_tokener_parse(id[0] == 'a' ? fake_sandbox_a : fake_sandbox_b));
        return error1(call, "io.vigil.Manager.NoSuchSandbox", "id", id);
}

static int m_release(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        const char *id = str_param(params, "id");

        remember(params);
        if (id && strcmp(id, "a1b2c3") == 0)
                return vgl_varlink_call_reply(call, NULL);
        return error1(call, "io.vigil.Manager.NoSuchSandbox", "id", id ? id : "");
}

static int m_list(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        struct json_object *a = json_object_new_array();

        remember(params);
        json_object_array_add(a, json_tokener_parse(fake_sandbox_a));
        json_object_array_add(a, json_tokener_parse(fake_sandbox_b));
        return reply_member(call, "sandboxes", a);
}

static int m_reserve(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        struct json_object *s = json_tokener_parse(fake_sandbox_a), *v = NULL;
        const char *tier = str_param(params, "tier");

        remember(params);
        if (tier && strcmp(tier, "nope") == 0) {
                json_object_put(s);
                return error1(call, "io.vigil.Manager.NoSuchTier", "tier", tier);
        }
        json_object_object_add(s, "id", json_object_new_string("new1"));
        if (tier)
                json_object_object_add(s, "tier", json_object_new_string(tier));
        if (json_object_object_get_ex(params, "desired_trust_level", &v))
                json_object_object_add(s, "desired_trust_level", json_object_get(v));
        if (json_object_object_get_ex(params, "labels", &v))
                json_object_object_add(s, "labels", json_object_get(v));
        return reply_member(call, "sandbox", s);
}

static int m_list_tiers(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        remember(params);
        return reply_text(call, tiers, false);
}

/* ---- exec ---- */

static int exec_exit(struct vgl_varlink_call *call, struct json_object *p, const char *status,
                     int code)
{
        struct json_object *x = json_object_new_object();
        int r;

        json_object_object_add(x, "status", json_object_new_string(status));
        json_object_object_add(x, "code", json_object_new_int(code));
        json_object_object_add(x, "duration_ms", json_object_new_int(7));
        json_object_object_add(p, "exit", x);
        r = vgl_varlink_call_reply(call, p);
        json_object_put(p);
        return r;
}

static int exec_chunk(struct vgl_varlink_call *call, const char *stream, const char *b64)
{
        struct json_object *p = json_object_new_object();
        int r;

        json_object_object_add(p, "stream", json_object_new_string(stream));
        json_object_object_add(p, "data_b64", json_object_new_string(b64));
        r = vgl_varlink_call_notify(call, p);
        json_object_put(p);
        return r;
}

/* "echo ARGS": "out:ARGS\n" on stdout, the stdin back on stdout, "err\n"
 * on stderr; streamed, or all in the one reply without "more". */
static int exec_echo(struct vgl_varlink_call *call, struct json_object *params, bool more)
{
        struct json_object *argv = NULL, *p = json_object_new_object();
        const char *in = str_param(params, "stdin_b64");
        char out[256] = "out:", *b64 = NULL;

        json_object_object_get_ex(params, "argv", &argv);
        for (size_t i = 1; i < json_object_array_length(argv); i++)
                strncat(out, json_object_get_string(json_object_array_get_idx(argv, i)), 64);
        strcat(out, "\n");
        vgl_base64_encode(out, strlen(out), &b64);
        if (more) {
                exec_chunk(call, "stdout", b64);
                if (in)
                        exec_chunk(call, "stdout", in);
                exec_chunk(call, "stderr", "ZXJyCg==");
        } else {
                json_object_object_add(p, "stdout_b64", json_object_new_string(b64));
                json_object_object_add(p, "stderr_b64", json_object_new_string("ZXJyCg=="));
        }
        free(b64);
        return exec_exit(call, p, "exited", 0);
}

static int m_exec(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        bool more = vgl_varlink_call_get_flags(call) & VGL_VARLINK_CALL_MORE;
        const char *id = str_param(params, "id"), *cmd;
        struct json_object *argv = NULL;

        remember(params);
        if (!id || strcmp(id, "a1b2c3") != 0) {
                struct json_object *p = json_tokener_parse("{\"state\":\"booting\"}");
                int r;

                json_object_object_add(p, "id", json_object_new_string(id ? id : ""));
                r = vgl_varlink_call_error(call, "io.vigil.Manager.SandboxNotReady", p);
                json_object_put(p);
                return r;
        }
        if (!json_object_object_get_ex(params, "argv", &argv) ||
            json_object_array_length(argv) == 0)
                return vgl_varlink_call_error_invalid_parameter(call, "argv");
        cmd = json_object_get_string(json_object_array_get_idx(argv, 0));
        if (strcmp(cmd, "exit") == 0)
                return exec_exit(call, json_object_new_object(), "exited",
                                 atoi(json_object_get_string(json_object_array_get_idx(argv, 1))));
        if (strcmp(cmd, "kill") == 0)
                return exec_exit(call, json_object_new_object(), "signaled", 9);
        if (strcmp(cmd, "sleep") == 0)
                return exec_exit(call, json_object_new_object(), "timeout", 9);
        if (strcmp(cmd, "nostart") == 0)
                return exec_exit(call, json_object_new_object(), "failed", -1);
        if (strcmp(cmd, "badb64") == 0 && more) {
                exec_chunk(call, "stdout", "@@@@");
                return exec_exit(call, json_object_new_object(), "exited", 0);
        }
        if (strcmp(cmd, "noexit") == 0)
                return reply_text(call, "{}", false);
        return exec_echo(call, params, more);
}

/* ---- files ---- */

static int m_put_file(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        const char *path = str_param(params, "path"), *data = str_param(params, "data_b64");
        struct json_object *mode = NULL;
        uint8_t *bytes = NULL;
        size_t size = 0;

        remember(params);
        if (!path || !data || vgl_base64_decode(data, strlen(data), &bytes, &size, NULL) < 0)
                return vgl_varlink_call_error_invalid_parameter(call, "data_b64");
        free(bytes);
        if (strncmp(path, "/ro/", 4) == 0)
                return error1(call, "io.vigil.Manager.TransferFailed", "reason",
                              "read-only file system");
        json_object_object_get_ex(params, "mode", &mode);
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < MAX_FILES; i++) {
                if (files[i].path && strcmp(files[i].path, path) != 0)
                        continue;
                free(files[i].path);
                free(files[i].data_b64);
                files[i].path = strdup(path);
                files[i].data_b64 = strdup(data);
                files[i].mode = mode ? json_object_get_int(mode) : 0644;
                files[i].size = size;
                break;
        }
        pthread_mutex_unlock(&lock);
        return reply_member(call, "size", json_object_new_int64((int64_t)size));
}

static int m_get_file(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        const char *path = str_param(params, "path");
        struct json_object *max = NULL, *p = NULL;
        int r;

        remember(params);
        json_object_object_get_ex(params, "max_size", &max);
        pthread_mutex_lock(&lock);
        for (size_t i = 0; path && i < MAX_FILES && !p; i++) {
                if (!files[i].path || strcmp(files[i].path, path) != 0)
                        continue;
                if (max && (size_t)json_object_get_int64(max) < files[i].size) {
                        p = json_object_new_object();
                        json_object_object_add(p, "limit", json_object_get(max));
                        break;
                }
                p = json_object_new_object();
                json_object_object_add(p, "data_b64", json_object_new_string(files[i].data_b64));
                json_object_object_add(p, "size", json_object_new_int64((int64_t)files[i].size));
                json_object_object_add(p, "mode", json_object_new_int(files[i].mode));
        }
        pthread_mutex_unlock(&lock);
        if (!p)
                return error1(call, "io.vigil.Manager.TransferFailed", "reason", "no such file");
        if (json_object_object_get_ex(p, "limit", NULL))
                r = vgl_varlink_call_error(call, "io.vigil.Manager.TooLarge", p);
        else
                r = vgl_varlink_call_reply(call, p);
        json_object_put(p);
        return r;
}

/* ---- events ---- */

static void quiet_cancel(struct vgl_varlink_call *call, void *userdata)
{
        vgl_varlink_call_unref(call);
}

static int send_event(struct vgl_varlink_call *call, int i, const char *sandbox, bool last)
{
        static const char *const kinds[] = {"reserved", "agent-silent", "released"};
        struct json_object *e = json_object_new_object(), *p = json_object_new_object();
        int r;

        json_object_object_add(e, "time", json_object_new_int64(1700000000 + i));
        json_object_object_add(e, "sandbox", json_object_new_string(sandbox));
        json_object_object_add(e, "kind", json_object_new_string(kinds[i % 3]));
        json_object_object_add(e, "message", json_object_new_string("canned"));
        json_object_object_add(p, "event", e);
        r = last ? vgl_varlink_call_reply(call, p) : vgl_varlink_call_notify(call, p);
        json_object_put(p);
        return r;
}

static int m_subscribe(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        const char *sandbox = str_param(params, "sandbox");

        remember(params);
        if (!(vgl_varlink_call_get_flags(call) & VGL_VARLINK_CALL_MORE))
                return vgl_varlink_call_error(call, VGL_VARLINK_ERROR_EXPECTED_MORE, NULL);
        if (sandbox && strcmp(sandbox, "quiet") == 0) {
                /* Never answers; the reference goes when the client does. */
                vgl_varlink_call_set_cancel(vgl_varlink_call_ref(call), quiet_cancel, NULL);
                return 0;
        }
        for (int i = 0; i < 3; i++)
                send_event(call, i, sandbox ? sandbox : "a1b2c3", i == 2);
        return 0;
}

/* ---- the control loop ---- */

static const char *const profile =
        "{\"profile_id\":\"a1b2c3\",\"tier\":\"high\",\"security_posture\":\"high\","
        "\"resource_limits\":{\"vcpus\":1,\"cpu_quota_percent\":75,\"memory_mib\":256},"
        "\"trust_score\":0.31,\"desired_trust_level\":0.7,\"ceiling\":0.7,\"achieved\":false,"
        "\"rounds\":9,\"clean_rounds\":0,\"hops\":0,\"actions\":{\"vcpus\":{\"state\":"
        "\"applied\",\"time\":1700000000,\"value\":\"1\",\"reason\":\"\"}},\"history\":[{"
        "\"time\":1700000000,\"kind\":\"demote\",\"trust_before\":0.55,\"trust_after\":0.31,"
        "\"tier_before\":\"medium\",\"tier_after\":\"high\",\"reason\":\"external_api_call "
        "x1\"}]}";

static int reply_with(struct vgl_varlink_call *call, const char *k1, const char *v1, const char *k2,
                      const char *v2)
{
        struct json_object *p = json_object_new_object();
        int r;

        json_object_object_add(p, k1, json_tokener_parse(v1));
        if (k2)
                json_object_object_add(p, k2, json_tokener_parse(v2));
        r = vgl_varlink_call_reply(call, p);
        json_object_put(p);
        return r;
}

static int m_get_profile(struct vgl_varlink_call *call, struct json_object *params, void *u)
{
        const char *id = str_param(params, "id");

        remember(params);
        if (!id || strcmp(id, "a1b2c3") != 0)
                return error1(call, "io.vigil.Manager.NoSuchSandbox", "id", id ? id : "");
        return reply_with(call, "profile", profile, NULL, NULL);
}

static int m_adjust(struct vgl_varlink_call *call, struct json_object *params, void *u)
{
        remember(params);
        return reply_with(
                call, "decision",
                "{\"kind\":\"hold\",\"tier_before\":\"high\",\"tier_after\":\"high\","
                "\"trust_before\":0.31,\"trust_after\":0.31,\"hop\":false,\"reason\":\"\"}",
                "profile", profile);
}

static int m_hop(struct vgl_varlink_call *call, struct json_object *params, void *u)
{
        const char *tier = str_param(params, "tier");
        struct json_object *p;
        int r;

        remember(params);
        if (tier && strcmp(tier, "paranoid") == 0)
                return reply_with(call, "hop",
                                  "{\"from\":\"high\",\"to\":\"paranoid\",\"state\":\"moved\","
                                  "\"total_ms\":1500,\"save_ms\":700,\"restore_ms\":750,"
                                  "\"live_ms\":50}",
                                  "profile", profile);
        p = json_object_new_object();
        json_object_object_add(p, "reason", json_object_new_string("restore refused"));
        json_object_object_add(p, "state", json_object_new_string("rolled_back"));
        r = vgl_varlink_call_error(call, "io.vigil.Manager.HopFailed", p);
        json_object_put(p);
        return r;
}

static int m_audit(struct vgl_varlink_call *call, struct json_object *params, void *u)
{
        struct json_object *since = NULL;
        int64_t from = json_object_object_get_ex(params, "since", &since)
                               ? json_object_get_int64(since)
                               : 1;

        remember(params);
        if (!(vgl_varlink_call_get_flags(call) & VGL_VARLINK_CALL_MORE))
                return vgl_varlink_call_error(call, VGL_VARLINK_ERROR_EXPECTED_MORE, NULL);
        for (int64_t seq = from; seq <= 2; seq++) {
                struct json_object *p = json_object_new_object();
                char rec[256];
                snprintf(rec, sizeof(rec),
                         "{\"seq\":%lld,\"time\":\"2023-11-14T22:13:2%lld.000Z\",\"type\":"
                         "\"config\",\"sandbox\":null,\"actor\":null,\"details\":{}}",
                         (long long)seq, (long long)seq);
                json_object_object_add(p, "record", json_tokener_parse(rec));
                vgl_varlink_call_notify(call, p);
                json_object_put(p);
        }
        return vgl_varlink_call_reply(call, NULL);
}

static int m_audit_verify(struct vgl_varlink_call *call, struct json_object *params, void *u)
{
        remember(params);
        return vgl_varlink_call_reply(
                call, json_tokener_parse("{\"ok\":false,\"records\":2,\"torn_bytes\":0,"
                                         "\"line\":3,\"seq\":3,\"reason\":\"altered\"}"));
}

static const struct vgl_varlink_method methods[] = {
        {"Reserve", m_reserve},
        {"Release", m_release},
        {"List", m_list},
        {"Get", m_get},
        {"Exec", m_exec},
        {"PutFile", m_put_file},
        {"GetFile", m_get_file},
        {"Subscribe", m_subscribe},
        {"ListTiers", m_list_tiers},
        {"GetProfile", m_get_profile},
        {"UpdateProfile", m_get_profile},
        {"Adjust", m_adjust},
        {"Hop", m_hop},
        {"Audit", m_audit},
        {"AuditVerify", m_audit_verify},
        {NULL, NULL},
};

const struct vgl_varlink_interface fake_manager_interface = {
        .name = "io.vigil.Manager",
        .description = "# A test double of io.vigil.Manager.\ninterface io.vigil.Manager\n",
        .methods = methods,
};
