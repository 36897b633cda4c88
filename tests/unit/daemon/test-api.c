/* The io.vigil.Manager handlers over a real socket, against libvirt's
 * test:///default driver (no agent there: Reserve gets as far as creating
 * the domain; restored sandboxes never say hello). The loop runs in a
 * thread; daemon state is touched on it through vgl_virt_loop_call. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "api.h"
#include "control.h"
#include "metadata.h"
#include "registry.h"
#include "sandbox.h"
#include "trail.h"
#include "varlink-client.h"

#define M           "io.vigil.Manager."
#define RESTORED_ID "feedfacecafe"

static struct vgd_daemon d;
static char dir[64], sock[128];

static void put(const char *name, const char *text)
{
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/img/%s", dir, name);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int start_server(void *u)
{
        struct vgl_varlink_server_config cfg = {.max_message = VGD_MAX_MESSAGE};
        struct vgl_error e = {};

        if (vgl_varlink_server_new(&cfg, &d.server, &e) < 0 ||
            vgd_api_register(&d, d.server, &e) < 0 ||
            vgl_varlink_server_listen(d.server, sock, 0666, &e) < 0) {
                fprintf(stderr, "server: %s\n", e.msg);
                return -1;
        }
        return 0;
}

static int setup(void **state)
{
        const char *src = getenv("VIGIL_SOURCE_ROOT");
        struct vgl_error e = {};
        char path[256];

        snprintf(dir, sizeof(dir), "/tmp/vigil-api-XXXXXX");
        assert_non_null(mkdtemp(dir));
        chmod(dir, 0755); /* the uid 65534 client must reach the socket */
        snprintf(sock, sizeof(sock), "%s/sock", dir);
        snprintf(path, sizeof(path), "%s/img", dir);
        mkdir(path, 0700);
        put("vmlinuz", "k");
        put("initramfs.img", "i");
        put("initramfs-bare.img", "b");
        put("manifest.json",
            "{\"format\": 1, \"kernel_version\": \"6.1\", \"cmdline\": \"quiet\"}");

        d = (struct vgd_daemon){
                .lifecycle_cb = -1, .refill_timer = -1, .watch_timer = -1, .adjust_timer = -1};
        d.cfg.pool = 0;
        d.cfg.max_sandboxes = 4;
        d.cfg.boot_timeout_s = 5;
        d.cfg.agent_silence_s = 5;
        d.cfg.state_dir = strdup(dir);
        snprintf(path, sizeof(path), "%s/img", dir);
        d.cfg.images_dir = strdup(path);
        snprintf(path, sizeof(path), "%s/policies", src ? src : ".");
        assert_int_equal(vgl_tier_set_load(path, &d.policy, &e), 0);
        vgl_adjust_policy_default(&d.adjust);
        assert_int_equal(vgd_trail_open(&d, &e), 0);
        snprintf(path, sizeof(path), "%s/console", dir);
        mkdir(path, 0700);
        d.domain_type = "qemu";
        vgl_virt_quiet_errors();
        assert_int_equal(vgl_virt_loop_start(&e), 0);
        assert_int_equal(vgl_virt_open("test:///default", NULL, &d.conn, &e), 0);
        assert_int_equal(vgl_virt_loop_call(start_server, NULL), 0);
        return 0;
}

static int stop_server(void *u)
{
        d.quitting = true;
        vgd_trail_streams_end(&d);
        d.server = vgl_varlink_server_free(d.server);
        while (d.sandboxes)
                vgd_registry_remove(&d, d.sandboxes);
        vgd_trail_close(&d);
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];

        vgl_virt_loop_call(stop_server, NULL);
        virConnectClose(d.conn);
        vgl_virt_loop_stop();
        vgd_config_done(&d.cfg);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* One call; returns the error name ("" for success) in a static buffer. */
static const char *call_p(const char *method, const char *params_json, unsigned flags,
                          struct json_object **ret)
{
        static char name[256];
        struct json_object *p = params_json ? json_tokener_parse(params_json) : NULL;
        struct vgl_varlink_client *c = NULL;
        struct vgl_varlink_reply rep = {0};
        struct vgl_error e = {};

        assert_int_equal(vgl_varlink_client_connect(sock, &c, &e), 0);
        vgl_varlink_client_set_timeout(c, 20000);
        assert_int_equal(vgl_varlink_client_send(c, method, p, flags, &e), 0);
        assert_int_equal(vgl_varlink_client_receive(c, &rep, &e), 0);
        snprintf(name, sizeof(name), "%s", rep.error ? rep.error : "");
        if (ret)
                *ret = json_object_get(rep.parameters);
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(c);
        json_object_put(p);
        return name;
}

static const char *call(const char *method, const char *params_json, struct json_object **ret)
{
        return call_p(method, params_json, 0, ret);
}

static const char *param(struct json_object *o, const char *key)
{
        struct json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static void expect_invalid(const char *method, const char *params, const char *field)
{
        struct json_object *o = NULL;

        assert_string_equal(call(method, params, &o), "org.varlink.service.InvalidParameter");
        assert_string_equal(param(o, "parameter"), field);
        json_object_put(o);
}

static void test_interface(void **state)
{
        struct json_object *o = NULL, *arr;

        assert_string_equal(call("org.varlink.service.GetInterfaceDescription",
                                 "{\"interface\":\"io.vigil.Manager\"}", &o),
                            "");
        assert_string_equal(param(o, "description"), vgd_api_idl());
        json_object_put(o);
        assert_string_equal(call(M "ListTiers", NULL, &o), "");
        assert_true(json_object_object_get_ex(o, "tiers", &arr));
        assert_int_equal(json_object_array_length(arr), 4);
        json_object_put(o);
}

static void test_parameter_validation(void **state)
{
        struct json_object *o = NULL;

        expect_invalid(M "Reserve", "{}", "desired_trust_level");
        expect_invalid(M "Reserve", "{\"desired_trust_level\":1.5}", "desired_trust_level");
        expect_invalid(M "Reserve", "{\"desired_trust_level\":\"0.5\"}", "desired_trust_level");
        expect_invalid(M "Reserve", "{\"desired_trust_level\":0.5,\"bogus\":1}", "bogus");
        expect_invalid(M "Reserve", "{\"desired_trust_level\":0.5,\"ttl_s\":-1}", "ttl_s");
        expect_invalid(M "Reserve", "{\"desired_trust_level\":0.5,\"ttl_s\":99999999}", "ttl_s");
        expect_invalid(M "Reserve", "{\"desired_trust_level\":0.5,\"labels\":{\"a b\":\"x\"}}",
                       "labels");
        expect_invalid(M "Reserve", "{\"desired_trust_level\":0.5,\"tier\":5}", "tier");
        assert_string_equal(call(M "Reserve", "{\"desired_trust_level\":0.5,\"tier\":\"zzz\"}", &o),
                            M "NoSuchTier");
        /* a tier above what the desired level allows */
        expect_invalid(M "Reserve", "{\"desired_trust_level\":0.1,\"tier\":\"low\"}", "tier");
        assert_string_equal(param(o, "tier"), "zzz");
        json_object_put(o);
        expect_invalid(M "Get", "{}", "id");
        expect_invalid(M "Get", "{\"id\":\"../etc\"}", "id");
        expect_invalid(M "Get", "{\"id\":7}", "id");
        expect_invalid(M "Release", "{\"id\":\"\"}", "id");
        expect_invalid(M "List", "{\"x\":1}", "x");
        assert_string_equal(call(M "Get", "{\"id\":\"000000000000\"}", &o), M "NoSuchSandbox");
        json_object_put(o);
        assert_string_equal(call(M "Exec", "{\"id\":\"000000000000\",\"argv\":[\"true\"]}", NULL),
                            M "NoSuchSandbox");
        assert_string_equal(call(M "Subscribe", "{}", NULL), "org.varlink.service.ExpectedMore");
}

/* A domain on the test driver carrying a reserved record of uid 1000. */
static int make_restored(void *u)
{
        struct vgl_tier t = {.name = "medium",
                             .posture = VGL_POSTURE_MEDIUM,
                             .vcpus = 1,
                             .max_vcpus = 1,
                             .memory_mib = 128,
                             .max_memory_mib = 128,
                             .cpu_quota_percent = 100};
        struct vgd_sandbox *s = NULL;
        char *record = NULL, *xml = NULL;
        virDomainPtr dom;
        int r;

        vgd_sandbox_new(&d, RESTORED_ID, &t, &s);
        s->state = VGD_RESERVED;
        s->owned = true;
        s->owner_uid = 1000;
        s->created = 1;
        vgd_sandbox_record_text(s, &record);
        struct vgl_domain_spec spec = {.id = RESTORED_ID,
                                       .type = "qemu",
                                       .vcpus = 1,
                                       .memory_kib = 128 * 1024,
                                       .kernel = "/k",
                                       .initrd = "/i",
                                       .tier = "medium",
                                       .record_json = record};
        vgl_domain_xml_render(&spec, &xml, NULL);
        dom = virDomainCreateXML(d.conn, xml, 0);
        virDomainFree(dom);
        free(record);
        free(xml);
        vgd_sandbox_unref(s);
        r = vgd_metadata_restore_all(&d);
        return r;
}

static int count_domains(void)
{
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(d.conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE), k = 0;

        for (int i = 0; i < n; i++) {
                k += !strncmp(virDomainGetName(doms[i]), "vigil-", 6);
                virDomainFree(doms[i]);
        }
        free(doms);
        return k;
}

/* Runs a call as uid 65534 in a child; returns the error name's first char
 * class: 0 success, 1 NoSuchSandbox, 2 other; the list length for List. */
static int as_nobody(const char *method, const char *params)
{
        pid_t pid = fork();
        int st;

        assert_true(pid >= 0);
        if (pid == 0) {
                struct json_object *o = NULL, *arr;
                const char *e;
                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(99);
                e = call(method, params, &o);
                if (!strcmp(method, M "List"))
                        _exit(!e[0] && json_object_object_get_ex(o, "sandboxes", &arr)
                                      ? (int)json_object_array_length(arr)
                                      : 98);
                _exit(!e[0] ? 0 : strstr(e, "NoSuchSandbox") ? 1 : 2);
        }
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        return WEXITSTATUS(st);
}

static void test_restore_authz_release(void **state)
{
        struct json_object *o = NULL, *arr, *sb;

        assert_int_equal(vgl_virt_loop_call(make_restored, NULL), 1);
        assert_string_equal(call(M "List", NULL, &o), "");
        assert_true(json_object_object_get_ex(o, "sandboxes", &arr));
        assert_int_equal(json_object_array_length(arr), 1);
        sb = json_object_array_get_idx(arr, 0);
        assert_string_equal(param(sb, "id"), RESTORED_ID);
        assert_string_equal(param(sb, "state"), "reserved");
        assert_string_equal(param(sb, "owner_uid"), "1000");
        json_object_put(o);

        if (geteuid() == 0) {
                assert_int_equal(as_nobody(M "List", NULL), 0);
                assert_int_equal(as_nobody(M "Get", "{\"id\":\"" RESTORED_ID "\"}"), 1);
                assert_int_equal(as_nobody(M "Release", "{\"id\":\"" RESTORED_ID "\"}"), 1);
                assert_int_equal(
                        as_nobody(M "Exec", "{\"id\":\"" RESTORED_ID "\",\"argv\":[\"x\"]}"), 1);
        }
        /* no agent on the test driver */
        assert_string_equal(call(M "Exec", "{\"id\":\"" RESTORED_ID "\",\"argv\":[\"true\"]}", &o),
                            M "SandboxNotReady");
        json_object_put(o);
        expect_invalid(M "Exec", "{\"id\":\"" RESTORED_ID "\",\"argv\":[]}", "argv");
        expect_invalid(M "Exec", "{\"id\":\"" RESTORED_ID "\",\"argv\":[\"a\"],\"cwd\":\"rel\"}",
                       "cwd");
        expect_invalid(M "Exec",
                       "{\"id\":\"" RESTORED_ID "\",\"argv\":[\"a\"],\"supervise\":\"loose\"}",
                       "supervise");
        expect_invalid(M "PutFile",
                       "{\"id\":\"" RESTORED_ID "\",\"path\":\"/a/../b\",\"data_b64\":\"\"}",
                       "path");
        expect_invalid(M "PutFile",
                       "{\"id\":\"" RESTORED_ID "\",\"path\":\"/a\",\"data_b64\":\"!!\"}",
                       "data_b64");
        expect_invalid(M "GetFile", "{\"id\":\"" RESTORED_ID "\",\"path\":\"/a\",\"max_size\":0}",
                       "max_size");

        assert_int_equal(count_domains(), 1);
        assert_string_equal(call(M "Release", "{\"id\":\"" RESTORED_ID "\"}", NULL), "");
        assert_string_equal(call(M "Get", "{\"id\":\"" RESTORED_ID "\"}", NULL), M "NoSuchSandbox");
        assert_int_equal(count_domains(), 0);
}

/* Runs a `more` call and counts the replies carrying key; returns the error
 * name ("" for success) of the last reply. */
static const char *call_stream(const char *method, const char *params_json, const char *key,
                               int *ret_count)
{
        static char name[256];
        struct json_object *p = json_tokener_parse(params_json);
        struct vgl_varlink_client *c = NULL;
        struct vgl_error e = {};
        int n = 0;

        assert_int_equal(vgl_varlink_client_connect(sock, &c, &e), 0);
        vgl_varlink_client_set_timeout(c, 20000);
        assert_int_equal(vgl_varlink_client_send(c, method, p, VGL_VARLINK_CALL_MORE, &e), 0);
        for (;;) {
                struct vgl_varlink_reply rep = {0};
                bool more;
                assert_int_equal(vgl_varlink_client_receive(c, &rep, &e), 0);
                snprintf(name, sizeof(name), "%s", rep.error ? rep.error : "");
                n += rep.parameters && json_object_object_get_ex(rep.parameters, key, NULL);
                more = rep.continues && !rep.error;
                vgl_varlink_reply_done(&rep);
                if (!more)
                        break;
        }
        vgl_varlink_client_free(c);
        json_object_put(p);
        *ret_count = n;
        return name;
}

/* GetProfile, UpdateProfile, Adjust, Hop, Audit, AuditVerify: parameters,
 * who may call them, and what they answer for a restored sandbox whose
 * record predates profiles (no agent on the test driver). */
static void test_profile_methods(void **state)
{
        struct json_object *o = NULL, *v;
        int n = 0;

        assert_int_equal(vgl_virt_loop_call(make_restored, NULL), 1);
        expect_invalid(M "GetProfile", "{}", "id");
        expect_invalid(M "GetProfile", "{\"id\":\"" RESTORED_ID "\",\"x\":1}", "x");
        assert_string_equal(call(M "GetProfile", "{\"id\":\"000000000000\"}", NULL),
                            M "NoSuchSandbox");
        assert_string_equal(call(M "GetProfile", "{\"id\":\"" RESTORED_ID "\"}", &o), "");
        assert_true(json_object_object_get_ex(o, "profile", &v));
        assert_string_equal(param(v, "profile_id"), RESTORED_ID);
        assert_string_equal(param(v, "tier"), "medium");
        json_object_put(o);

        expect_invalid(M "UpdateProfile", "{\"id\":\"" RESTORED_ID "\"}", "changes");
        expect_invalid(M "UpdateProfile", "{\"id\":\"" RESTORED_ID "\",\"changes\":[]}", "changes");
        assert_string_equal(call(M "UpdateProfile",
                                 "{\"id\":\"" RESTORED_ID "\",\"changes\":{\"bogus\":1}}", &o),
                            M "InvalidChanges");
        assert_non_null(strstr(param(o, "reason"), "bogus"));
        json_object_put(o);
        /* all or nothing: a valid key next to a bad one changes nothing */
        assert_string_equal(call(M "UpdateProfile",
                                 "{\"id\":\"" RESTORED_ID "\",\"changes\":{\"ceiling\":0.7,"
                                 "\"limits.vcpus\":99}}",
                                 &o),
                            M "InvalidChanges");
        json_object_put(o);
        assert_string_equal(call(M "UpdateProfile",
                                 "{\"id\":\"" RESTORED_ID "\",\"changes\":{\"ceiling\":0.7,"
                                 "\"trust_score\":0.55}}",
                                 &o),
                            "");
        assert_true(json_object_object_get_ex(o, "profile", &v));
        assert_true(fabs(json_object_get_double(json_object_object_get(v, "trust_score")) - 0.55) <
                    1e-9);
        assert_string_equal(param(v, "tier"), "medium");
        json_object_put(o);

        assert_string_equal(call(M "Adjust", "{\"id\":\"" RESTORED_ID "\"}", &o), "");
        assert_true(json_object_object_get_ex(o, "decision", &v));
        assert_string_equal(param(v, "kind"), "hold");
        assert_true(json_object_object_get_ex(o, "profile", &v));
        json_object_put(o);

        expect_invalid(M "Hop", "{\"id\":\"" RESTORED_ID "\"}", "tier");
        expect_invalid(M "Hop", "{\"id\":\"" RESTORED_ID "\",\"tier\":7}", "tier");
        assert_string_equal(call(M "Hop", "{\"id\":\"" RESTORED_ID "\",\"tier\":\"zzz\"}", NULL),
                            M "NoSuchTier");
        /* low is above the ceiling 0.7 */
        assert_string_equal(call(M "Hop", "{\"id\":\"" RESTORED_ID "\",\"tier\":\"low\"}", NULL),
                            M "InvalidChanges");

        assert_string_equal(call(M "Audit", "{}", NULL), "org.varlink.service.ExpectedMore");
        expect_invalid(M "AuditVerify", "{\"x\":1}", "x");
        assert_string_equal(call_stream(M "Audit", "{\"since\":1}", "record", &n), "");
        assert_true(n >= 1); /* the profile_update */
        assert_string_equal(call_stream(M "Audit", "{\"since\":-1}", "record", &n),
                            "org.varlink.service.InvalidParameter");
        assert_string_equal(call(M "AuditVerify", "{}", &o), "");
        assert_string_equal(param(o, "ok"), "true");
        assert_true(atoi(param(o, "records")) >= 1);
        json_object_put(o);

        if (geteuid() == 0) {
                assert_int_equal(as_nobody(M "GetProfile", "{\"id\":\"" RESTORED_ID "\"}"), 1);
                assert_int_equal(as_nobody(M "Adjust", "{\"id\":\"" RESTORED_ID "\"}"), 1);
                /* admin methods: PermissionDenied before anything else */
                assert_int_equal(
                        as_nobody(M "UpdateProfile", "{\"id\":\"" RESTORED_ID "\",\"changes\":{}}"),
                        2);
                assert_int_equal(as_nobody(M "AuditVerify", "{}"), 2);
        }
        assert_string_equal(call(M "Release", "{\"id\":\"" RESTORED_ID "\"}", NULL), "");
        for (int i = 0; i < 100 && count_domains() > 0; i++)
                usleep(50 * 1000);
}

static void test_reserve_cold_on_test_driver(void **state)
{
        struct json_object *o = NULL;
        const char *e;

        /* The domain is created with its record; the test driver has no
         * channels, so the boot fails there, with the reason. */
        e = call(M "Reserve", "{\"desired_trust_level\":0.1,\"labels\":{\"k\":\"v\"}}", &o);
        assert_string_equal(e, M "NoCapacity");
        assert_non_null(strstr(param(o, "reason"), "hannel"));
        json_object_put(o);
        /* the failed VM is destroyed in the background */
        for (int i = 0; i < 100 && count_domains() > 0; i++)
                usleep(50 * 1000);
        assert_int_equal(count_domains(), 0);
        assert_string_equal(call(M "List", NULL, &o), "");
        assert_string_equal(json_object_to_json_string(o), "{ \"sandboxes\": [ ] }");
        json_object_put(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_interface),
                cmocka_unit_test(test_parameter_validation),
                cmocka_unit_test(test_restore_authz_release),
                cmocka_unit_test(test_profile_methods),
                cmocka_unit_test(test_reserve_cold_on_test_driver),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
