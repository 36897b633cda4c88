/* The hop: the XML scanner, the plan (restore XML + live settings) on the
 * XML our builder emits and on libvirt's own rendering of it, and the
 * save/restore flow with its way back against test:///default, whose
 * restore refuses any new XML: every hop there must end rolled back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "domain-xml.h"
#include "hop-priv.h"
#include "hop.h"
#include "virt.h"

static const struct vgl_tier medium = {.name = "medium",
                                       .vcpus = 2,
                                       .max_vcpus = 2,
                                       .memory_mib = 512,
                                       .max_memory_mib = 512,
                                       .cpu_quota_percent = 100,
                                       .network = VGL_NET_ALLOWLIST};
static const struct vgl_tier paranoid = {.name = "paranoid",
                                         .vcpus = 1,
                                         .max_vcpus = 1,
                                         .memory_mib = 128,
                                         .max_memory_mib = 256,
                                         .cpu_quota_percent = 50,
                                         .network = VGL_NET_NONE};

/* The builder's XML for a medium sandbox, optionally with a NIC. */
static char *medium_xml(const char *type, const char *network)
{
        struct vgl_domain_spec s = {
                .id = "h1",
                .type = type,
                .vcpus = 2,
                .max_vcpus = 2,
                .memory_kib = 512 * 1024,
                .max_memory_kib = 512 * 1024,
                .kernel = "/images/vmlinuz",
                .initrd = "/images/initramfs.img",
                .console_log = "/state/h1/console.log",
                .tier = "medium",
                .record_json = "{\"trust\":0.6,\"note\":\"<tier>x</tier>&\"}",
                .network = network,
        };
        struct vgl_error e = {};
        char *xml = NULL;

        if (vgl_domain_xml_render(&s, &xml, &e) < 0)
                fail_msg("render: %s", e.msg);
        return xml;
}

/* The text of the first top-level element called name. */
static char *element_text(const char *xml, const char *name)
{
        struct vgl_hop_xel root, el;

        if (vgl_hop_xml_root(xml, strlen(xml), &root) < 0 ||
            vgl_hop_xml_child(xml, &root, name, false, 0, &el) < 0)
                return NULL;
        return strndup(xml + el.start, el.end - el.start);
}

static size_t count(const char *hay, const char *needle)
{
        size_t n = 0;

        for (const char *p = hay; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

/* ---- the scanner ---- */

static void test_scan(void **state)
{
        const char *x = "<?xml version='1.0'?>\n<!-- c <a> -->\n<d a='1>2' b=\"x\">"
                        "<p:e xmlns:p='u'><![CDATA[<z>]]></p:e><e/><!-- <e> --><f>t</f></d>\n";
        struct vgl_hop_xel root, el;
        size_t off, len;

        assert_int_equal(vgl_hop_xml_root(x, strlen(x), &root), 0);
        assert_memory_equal(x + root.name, "d", 1);
        assert_true(vgl_hop_xml_attr(x, &root, "a", &off, &len));
        assert_int_equal(len, 3);
        assert_memory_equal(x + off, "1>2", 3);
        assert_false(vgl_hop_xml_attr(x, &root, "c", &off, &len));
        assert_int_equal(vgl_hop_xml_child(x, &root, "e", false, 0, &el), 0);
        assert_int_equal(el.close, el.end); /* <e/>, not p:e */
        assert_int_equal(vgl_hop_xml_child(x, &root, "e", true, 0, &el), 0);
        assert_memory_equal(x + el.name, "p:e", 3);
        assert_int_equal(vgl_hop_xml_child(x, &root, "e", true, el.end, &el), 0);
        assert_int_equal(el.close, el.end);
        assert_int_equal(vgl_hop_xml_child(x, &root, "e", true, el.end, &el), -ENOENT);
        assert_int_equal(vgl_hop_xml_child(x, &root, NULL, false, 0, &el), 0);
        assert_int_equal(vgl_hop_xml_child(x, &root, "f", false, 0, &el), 0);
        assert_false(vgl_hop_xml_blank(x, &el));
        assert_memory_equal(x + el.open_end, "t", 1);
}

static void test_scan_malformed(void **state)
{
        static const char *const bad[] = {
                "",
                "text only",
                "<a>",
                "<a></b>",
                "<a><b></a>",
                "<a x=1></a>",
                "<a x='1></a>",
                "<a><!-- open </a>",
                "<a><![CDATA[ </a>",
                "<!DOCTYPE a [<!ENTITY e 'x'>]><a/>",
                "<a/><b/>",
                "<a></a",
                "< a/>",
        };
        struct vgl_hop_xel root;
        char nul[] = "<a>\0</a>";

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (vgl_hop_xml_root(bad[i], strlen(bad[i]), &root) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
        assert_int_equal(vgl_hop_xml_root(nul, sizeof(nul) - 1, &root), -EBADMSG);
}

static void test_splice(void **state)
{
        char *doc = strdup("<a>xy</a>");

        assert_int_equal(vgl_hop_xml_splice(&doc, 3, 5, "long text"), 0);
        assert_string_equal(doc, "<a>long text</a>");
        assert_int_equal(vgl_hop_xml_splice(&doc, 0, 0, "<!-- -->"), 0);
        assert_string_equal(doc, "<!-- --><a>long text</a>");
        assert_int_equal(vgl_hop_xml_splice(&doc, 5, 100, ""), -EINVAL);
        free(doc);
}

/* ---- the plan ---- */

static void test_plan_medium_to_paranoid(void **state)
{
        _cleanup_free_ char *xml = medium_xml("qemu", NULL);
        struct vgl_hop_plan p = {};
        struct vgl_error e = {};
        static const char *const kept[] = {"name",      "memory", "currentMemory", "vcpu",
                                           "os",        "cpu",    "devices",       "on_crash",
                                           "on_reboot", "vcpus"};

        assert_int_equal(vgl_hop_plan(xml, &paranoid, NULL, &p, &e), 0);
        assert_int_equal(p.vcpus, 2);
        assert_int_equal(p.vcpu_quota, 50000);
        assert_int_equal(p.global_quota, 50000); /* one vCPU's worth at 50 % */
        assert_int_equal(p.balloon_kib, 128 * 1024);
        assert_string_equal(p.tier, "paranoid");
        assert_non_null(strstr(p.xml, "<cputune>\n    <period>100000</period>\n"
                                      "    <quota>50000</quota>\n  </cputune>"));
        assert_null(strstr(p.xml, "global_quota"));
        assert_non_null(strstr(p.xml, "<vigil:tier>paranoid</vigil:tier>"));
        assert_null(strstr(p.xml, "<vigil:tier>medium</vigil:tier>"));
        assert_null(strstr(p.xml, "<memtune>"));
        /* The record's text that looks like a tier element is left alone. */
        assert_non_null(strstr(p.xml, "&lt;tier&gt;x&lt;/tier&gt;"));
        /* Whatever the guest sees stays byte for byte. */
        for (size_t i = 0; i < ELEMENTSOF(kept); i++) {
                _cleanup_free_ char *a = element_text(xml, kept[i]);
                _cleanup_free_ char *b = element_text(p.xml, kept[i]);

                if (!a)
                        continue;
                assert_non_null(b);
                assert_string_equal(a, b);
        }
        vgl_hop_plan_done(&p);
        assert_null(p.xml);
}

static void test_plan_idempotent_and_back(void **state)
{
        _cleanup_free_ char *xml = medium_xml("qemu", NULL);
        struct vgl_hop_plan p = {}, q = {}, back = {};
        struct vgl_error e = {};

        assert_int_equal(vgl_hop_plan(xml, &paranoid, NULL, &p, &e), 0);
        assert_int_equal(vgl_hop_plan(p.xml, &paranoid, NULL, &q, &e), 0);
        assert_string_equal(p.xml, q.xml);
        /* Back to medium: no quota at 100 %, no cputune left, same text as
         * the original. */
        assert_int_equal(vgl_hop_plan(p.xml, &medium, NULL, &back, &e), 0);
        assert_int_equal(back.vcpu_quota, -1);
        assert_int_equal(back.global_quota, -1);
        assert_int_equal(back.balloon_kib, 512 * 1024);
        assert_string_equal(back.xml, xml);
        vgl_hop_plan_done(&p);
        vgl_hop_plan_done(&q);
        vgl_hop_plan_done(&back);
}

static void test_plan_cputune_memtune(void **state)
{
        const char *xml = "<domain type='qemu'>\n  <name>n</name>\n"
                          "  <memory unit='KiB'>262144</memory>\n"
                          "  <currentMemory unit='KiB'>262144</currentMemory>\n"
                          "  <memtune>\n    <hard_limit unit='KiB'>9</hard_limit>\n"
                          "    <soft_limit unit='KiB'>7</soft_limit>\n  </memtune>\n"
                          "  <vcpu placement='static'>4</vcpu>\n  <cputune>\n"
                          "    <shares>512</shares>\n    <period>50000</period>\n"
                          "    <quota>1</quota>\n    <global_period>100000</global_period>\n"
                          "    <global_quota>5</global_quota>\n  </cputune>\n</domain>\n";
        struct vgl_hop_opts o = {.memory_hard_limit_kib = 300000};
        struct vgl_tier t = paranoid;
        struct vgl_hop_plan p = {};
        struct vgl_error e = {};

        t.vcpus = 2;
        t.memory_mib = 1024; /* above the domain's maximum: clamped */
        assert_int_equal(vgl_hop_plan(xml, &t, &o, &p, &e), 0);
        assert_int_equal(p.vcpus, 4);
        assert_int_equal(p.global_quota, 100000); /* 2 vCPUs x 50 % */
        assert_int_equal(p.balloon_kib, 262144);
        assert_non_null(strstr(p.xml, "<shares>512</shares>"));
        assert_int_equal(count(p.xml, "<period>"), 1);
        assert_non_null(strstr(p.xml, "<quota>50000</quota>"));
        assert_null(strstr(p.xml, "global_"));
        assert_null(strstr(p.xml, "<quota>1</quota>"));
        assert_non_null(strstr(p.xml, "<hard_limit unit='KiB'>300000</hard_limit>"));
        assert_null(strstr(p.xml, ">9</hard_limit>"));
        assert_non_null(strstr(p.xml, "<soft_limit unit='KiB'>7</soft_limit>"));
        /* no metadata before: ours is added */
        assert_non_null(strstr(p.xml,
                               "<metadata>\n    <vigil:sandbox xmlns:vigil='" VGL_XMLNS_SANDBOX
                               "'>\n      <vigil:tier>paranoid</vigil:tier>"));
        vgl_hop_plan_done(&p);
        /* memtune created when there is none */
        o.memory_hard_limit_kib = 1234;
        assert_int_equal(vgl_hop_plan("<domain><name>n</name><memory>1024</memory>"
                                      "<currentMemory>1024</currentMemory><vcpu>1</vcpu></domain>",
                                      &t, &o, &p, &e),
                         0);
        assert_non_null(strstr(p.xml,
                               "<currentMemory>1024</currentMemory>\n  <memtune>\n"
                               "    <hard_limit unit='KiB'>1234</hard_limit>\n  </memtune>"));
        assert_non_null(strstr(p.xml, "<vcpu>1</vcpu>\n  <cputune>"));
        vgl_hop_plan_done(&p);
}

static void test_plan_metadata_forms(void **state)
{
        static const struct {
                const char *md, *want, *absent;
        } cases[] = {
                {"<metadata><v:sandbox xmlns:v='" VGL_XMLNS_SANDBOX "'><v:id>a</v:id>"
                 "<v:tier>low</v:tier></v:sandbox></metadata>",
                 "<v:id>a</v:id><v:tier>paranoid</v:tier>", ">low<"},
                {"<metadata><sandbox xmlns='" VGL_XMLNS_SANDBOX "'><tier/></sandbox></metadata>",
                 "<sandbox xmlns='" VGL_XMLNS_SANDBOX "'><tier>paranoid</tier></sandbox>", NULL},
                {"<metadata><v:sandbox xmlns:v=\"" VGL_XMLNS_SANDBOX "\"/></metadata>",
                 "<v:tier>paranoid</v:tier>\n    </v:sandbox></metadata>", NULL},
                /* a decoy in another namespace stays as it is */
                {"<metadata><x:sandbox xmlns:x='urn:other'><x:tier>low</x:tier></x:sandbox>"
                 "</metadata>",
                 "</vigil:sandbox><x:sandbox xmlns:x='urn:other'><x:tier>low</x:tier>", NULL},
                {"<metadata/>", "<vigil:tier>paranoid</vigil:tier>", "<metadata/>"},
        };
        struct vgl_error e = {};

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *xml = NULL;
                struct vgl_hop_plan p = {};

                assert_true(asprintf(&xml,
                                     "<domain><name>n</name>%s<memory unit='KiB'>1024</memory>"
                                     "<vcpu current='1'>2</vcpu></domain>",
                                     cases[i].md) > 0);
                if (vgl_hop_plan(xml, &paranoid, NULL, &p, &e) < 0)
                        fail_msg("case %zu: %s", i, e.msg);
                if (!strstr(p.xml, cases[i].want))
                        fail_msg("case %zu: no '%s' in\n%s", i, cases[i].want, p.xml);
                if (cases[i].absent && strstr(p.xml, cases[i].absent))
                        fail_msg("case %zu: '%s' still in\n%s", i, cases[i].absent, p.xml);
                assert_int_equal(count(p.xml, "paranoid"), 1);
                assert_int_equal(p.vcpus, 1);
                assert_int_equal(p.global_quota, -1);
                vgl_hop_plan_done(&p);
        }
}

static void test_plan_links(void **state)
{
        _cleanup_free_ char *xml = medium_xml("qemu", "vgl-net");
        _cleanup_free_ char *two = NULL;
        struct vgl_hop_plan p = {};
        struct vgl_error e = {};
        char *nic;

        assert_int_equal(vgl_hop_plan(xml, &medium, NULL, &p, &e), 0);
        assert_null(strstr(p.xml, "<link"));
        vgl_hop_plan_done(&p);
        assert_int_equal(vgl_hop_plan(xml, &paranoid, NULL, &p, &e), 0);
        assert_int_equal(count(p.xml, "<link state='down'/>"), 1);
        nic = strstr(p.xml, "<interface");
        assert_non_null(nic);
        assert_true(strstr(p.xml, "<link state='down'/>") < strstr(nic, "</interface>"));
        /* two NICs, one already with a link element */
        two = strdup(p.xml);
        vgl_hop_plan_done(&p);
        nic = strstr(two, "<interface");
        assert_int_equal(
                vgl_hop_xml_splice(&two, (size_t)(nic - two), (size_t)(nic - two),
                                   "<interface type='user'><link state='up'/></interface>\n"),
                0);
        assert_int_equal(vgl_hop_plan(two, &paranoid, NULL, &p, &e), 0);
        assert_int_equal(count(p.xml, "<link state='down'/>"), 2);
        assert_null(strstr(p.xml, "state='up'"));
        vgl_hop_plan_done(&p);
}

static void test_plan_errors(void **state)
{
        static const char *const bad[] = {
                "<domain><memory>1</memory></domain>",                          /* no vcpu */
                "<domain><vcpu>1</vcpu></domain>",                              /* no memory */
                "<domain><vcpu>x</vcpu><memory>1</memory></domain>",            /* bad count */
                "<domain><vcpu>1</vcpu><memory unit='MiB'>1</memory></domain>", /* unit */
                "<network><vcpu>1</vcpu><memory>1</memory></network>",
                "<domain><vcpu>1</vcpu><memory>1</memory>",
        };
        struct vgl_hop_plan p = {.xml = (char *)0x1};
        struct vgl_tier t = paranoid;
        struct vgl_error e = {};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (vgl_hop_plan(bad[i], &paranoid, NULL, &p, &e) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
                assert_ptr_equal(p.xml, (char *)0x1);
        }
        /* no name to put metadata after */
        assert_int_equal(vgl_hop_plan("<domain><vcpu>1</vcpu><memory>1</memory></domain>",
                                      &paranoid, NULL, &p, &e),
                         -EBADMSG);
        t.cpu_quota_percent = 0;
        assert_int_equal(vgl_hop_plan("<domain/>", &t, NULL, &p, &e), -EINVAL);
        assert_int_equal(vgl_hop_plan(NULL, &paranoid, NULL, &p, &e), -EINVAL);
        assert_ptr_equal(p.xml, (char *)0x1);
}

/* libvirt's own rendering of the builder's XML (what a migratable dump
 * looks like) plans too, and libvirt parses the plan back with the new
 * settings in place. */
static void test_plan_through_libvirt(void **state)
{
        _cleanup_free_ char *xml = medium_xml("qemu", NULL), *dumped = NULL, *back = NULL;
        _cleanup_virconn_ virConnectPtr c = NULL;
        _cleanup_virdomain_ virDomainPtr d = NULL;
        struct vgl_hop_plan p = {};
        struct vgl_error e = {};

        vgl_virt_quiet_errors();
        assert_int_equal(vgl_virt_open("test:///default", NULL, &c, &e), 0);
        d = virDomainDefineXML(c, xml);
        if (!d)
                fail_msg("define: %s", virGetLastErrorMessage());
        dumped = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_MIGRATABLE | VIR_DOMAIN_XML_SECURE);
        assert_non_null(dumped);
        assert_int_equal(vgl_hop_plan(dumped, &paranoid, NULL, &p, &e), 0);
        vgl_virt_domain_discard(d);
        vgl_virt_domain_freep(&d);
        d = virDomainDefineXML(c, p.xml);
        if (!d)
                fail_msg("define the plan: %s\n%s", virGetLastErrorMessage(), p.xml);
        back = virDomainGetXMLDesc(d, 0);
        assert_non_null(strstr(back, "<quota>50000</quota>"));
        assert_non_null(strstr(back, ":tier>paranoid</"));
        assert_non_null(strstr(back, "<memory unit='KiB'>524288</memory>"));
        assert_non_null(strstr(back, "<currentMemory unit='KiB'>524288</currentMemory>"));
        vgl_virt_domain_discard(d);
        vgl_hop_plan_done(&p);
}

/* ---- the flow, on test:///default ---- */

struct flow {
        virConnectPtr conn;
        virDomainPtr dom;
        char dir[64];
};

static int flow_setup(void **state)
{
        static struct flow f;
        struct vgl_error e = {};
        const char *tmp = getenv("TMPDIR");

        vgl_virt_quiet_errors();
        if (vgl_virt_open("test:///default", NULL, &f.conn, &e) < 0)
                return -1;
        f.dom = virDomainLookupByName(f.conn, "test");
        snprintf(f.dir, sizeof(f.dir), "%s/vgl-hop-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
        if (!f.dom || !mkdtemp(f.dir))
                return -1;
        *state = &f;
        return 0;
}

static int flow_teardown(void **state)
{
        struct flow *f = *state;

        virDomainFree(f->dom);
        virConnectClose(f->conn);
        rmdir(f->dir);
        return 0;
}

static int files_in(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

static void assert_running_same(struct flow *f, virDomainPtr before, const unsigned char *uuid)
{
        unsigned char now[VIR_UUID_BUFLEN];
        int st = 0;

        assert_ptr_not_equal(f->dom, before); /* a new handle */
        assert_int_equal(virDomainGetUUID(f->dom, now), 0);
        assert_memory_equal(now, uuid, VIR_UUID_BUFLEN);
        assert_string_equal(virDomainGetName(f->dom), "test");
        assert_int_equal(virDomainGetState(f->dom, &st, NULL, 0), 0);
        assert_int_equal(st, VIR_DOMAIN_RUNNING);
}

static void test_hop_rolls_back(void **state)
{
        struct flow *f = *state;
        unsigned char uuid[VIR_UUID_BUFLEN];
        _cleanup_free_ char *before_xml = NULL, *after_xml = NULL;
        struct vgl_hop_result r;
        struct vgl_error e = {};
        virDomainPtr before = f->dom;

        assert_int_equal(virDomainGetUUID(f->dom, uuid), 0);
        before_xml = virDomainGetXMLDesc(f->dom, 0);
        virDomainRef(before);
        assert_true(vgl_hop(f->conn, &f->dom, &paranoid, NULL, f->dir, &r, &e) < 0);
        assert_int_equal(r.state, VGL_HOP_ROLLED_BACK);
        assert_string_equal(vgl_hop_state_name(r.state), "rolled_back");
        assert_non_null(strstr(e.msg, "old state"));
        /* the test driver refuses both the XML and restoring paused */
        assert_non_null(strstr(r.restore_error, "restore: "));
        assert_string_equal(r.rollback_error, "");
        assert_string_equal(r.save_path, "");
        assert_int_equal(files_in(f->dir), 0);
        assert_true(r.save_ms >= 0 && r.restore_ms >= 0 && r.total_ms >= r.save_ms);
        assert_running_same(f, before, uuid);
        virDomainFree(before);
        /* the old XML, not the plan's */
        after_xml = virDomainGetXMLDesc(f->dom, 0);
        assert_null(strstr(after_xml, "<quota>"));
        assert_null(strstr(after_xml, "paranoid"));
}

static void test_hop_bad_xml_rolls_back(void **state)
{
        struct flow *f = *state;
        unsigned char uuid[VIR_UUID_BUFLEN];
        struct vgl_hop_result r;
        struct vgl_error e = {};
        virDomainPtr before = f->dom;

        assert_int_equal(virDomainGetUUID(f->dom, uuid), 0);
        virDomainRef(before);
        assert_true(vgl_hop_to_xml(f->conn, &f->dom, "<domain><broken", f->dir, true, &r, &e) < 0);
        assert_int_equal(r.state, VGL_HOP_ROLLED_BACK);
        assert_int_equal(files_in(f->dir), 0);
        assert_running_same(f, before, uuid);
        virDomainFree(before);
}

static void test_hop_untouched(void **state)
{
        struct flow *f = *state;
        struct vgl_hop_result r;
        struct vgl_error e = {};
        virDomainPtr before = f->dom;
        char missing[128];
        int st = 0;

        snprintf(missing, sizeof(missing), "%s/no/such/dir", f->dir);
        assert_true(vgl_hop(f->conn, &f->dom, &paranoid, NULL, missing, &r, &e) < 0);
        assert_int_equal(r.state, VGL_HOP_UNTOUCHED);
        assert_non_null(strstr(e.msg, "save file"));
        assert_int_equal(vgl_hop(f->conn, &f->dom, &paranoid, NULL, "relative", &r, &e), -EINVAL);
        assert_int_equal(r.state, VGL_HOP_UNTOUCHED);
        assert_ptr_equal(f->dom, before);
        assert_int_equal(virDomainGetState(f->dom, &st, NULL, 0), 0);
        assert_int_equal(st, VIR_DOMAIN_RUNNING);
        /* not running: nothing to hop */
        assert_int_equal(virDomainDestroy(f->dom), 0);
        assert_int_equal(vgl_hop(f->conn, &f->dom, &paranoid, NULL, f->dir, &r, &e), -EINVAL);
        assert_int_equal(r.state, VGL_HOP_UNTOUCHED);
        assert_int_equal(virDomainCreate(f->dom), 0);
        assert_int_equal(files_in(f->dir), 0);
}

int main(void)
{
        const struct CMUnitTest scan[] = {
                cmocka_unit_test(test_scan),
                cmocka_unit_test(test_scan_malformed),
                cmocka_unit_test(test_splice),
                cmocka_unit_test(test_plan_medium_to_paranoid),
                cmocka_unit_test(test_plan_idempotent_and_back),
                cmocka_unit_test(test_plan_cputune_memtune),
                cmocka_unit_test(test_plan_metadata_forms),
                cmocka_unit_test(test_plan_links),
                cmocka_unit_test(test_plan_errors),
                cmocka_unit_test(test_plan_through_libvirt),
        };
        const struct CMUnitTest flow[] = {
                cmocka_unit_test(test_hop_rolls_back),
                cmocka_unit_test(test_hop_bad_xml_rolls_back),
                cmocka_unit_test(test_hop_untouched),
        };

        return cmocka_run_group_tests_name("hop-plan", scan, NULL, NULL) |
               cmocka_run_group_tests_name("hop-flow", flow, flow_setup, flow_teardown);
}
