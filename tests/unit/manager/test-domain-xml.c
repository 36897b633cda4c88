/* Domain XML: validation, escaping, and a round trip through libvirt's
 * test driver (test:///default), which parses it as QEMU's would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "domain-xml.h"
#include "virt.h"

static struct vgl_domain_spec base_spec(void)
{
        return (struct vgl_domain_spec){
                .id = "t1",
                .type = "qemu",
                .vcpus = 1,
                .max_vcpus = 2,
                .memory_kib = 128 * 1024,
                .max_memory_kib = 256 * 1024,
                .kernel = "/images/vmlinuz",
                .initrd = "/images/initramfs.img",
                .cmdline = "console=ttyS0 quiet vigil.x=\"a&b<c>'d'\"",
                .console_log = "/state/t1/console.log",
                .tier = "high",
                .record_json = "{\"trust\":0.5,\"tags\":[\"<x>&\"]}",
        };
}

static void test_validate(void **state)
{
        struct vgl_domain_spec s;
        struct vgl_error e = {};
        char *xml = NULL;

        s = base_spec();
        s.id = "bad id";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "sandbox id"));
        s = base_spec();
        s.vcpus = 3;
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        s = base_spec();
        s.memory_kib = 512 * 1024;
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        s = base_spec();
        s.type = "xen";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        s = base_spec();
        s.kernel = "relative/vmlinuz";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        s = base_spec();
        s.cmdline = "a\nb";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        assert_null(xml);
        assert_int_equal(vgl_sandbox_id_validate("abc-DEF_1.2", &e), 0);
        assert_int_equal(vgl_sandbox_id_validate("", &e), -EINVAL);
}

static void test_render_escapes(void **state)
{
        struct vgl_domain_spec s = base_spec();
        struct vgl_error e = {};
        _cleanup_free_ char *xml = NULL;

        s.channel_path = "/state/t1/agent&.sock";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), 0);
        assert_non_null(strstr(xml, "<name>vigil-t1</name>"));
        assert_non_null(strstr(xml, "vigil.x=&quot;a&amp;b&lt;c&gt;&apos;d&apos;&quot;"));
        assert_non_null(strstr(xml, "path='/state/t1/agent&amp;.sock'"));
        assert_non_null(strstr(xml, "name='org.vigil.agent.0'"));
        assert_non_null(strstr(xml, "machine='q35'"));
        assert_null(strstr(xml, "<disk"));
        assert_null(strstr(xml, "<interface"));
        assert_null(strstr(xml, "host-passthrough"));
        assert_non_null(strstr(xml, "name='rdrand'")); /* TCG: entropy at boot */
        free(xml);
        xml = NULL;
        s.type = "kvm";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), 0);
        assert_non_null(strstr(xml, "<domain type='kvm'>"));
        assert_non_null(strstr(xml, "<cpu mode='host-passthrough'/>"));
}

static void test_define_roundtrip(void **state)
{
        struct vgl_domain_spec s = base_spec();
        struct vgl_error e = {};
        _cleanup_free_ char *xml = NULL, *back = NULL, *meta = NULL;
        _cleanup_virconn_ virConnectPtr c = NULL;
        _cleanup_virdomain_ virDomainPtr d = NULL;
        virDomainInfo info;

        vgl_virt_quiet_errors();
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), 0);
        assert_int_equal(vgl_virt_open("test:///default", NULL, &c, &e), 0);
        d = virDomainDefineXML(c, xml);
        if (!d)
                fail_msg("define failed: %s", virGetLastErrorMessage());
        assert_string_equal(virDomainGetName(d), "vigil-t1");
        assert_int_equal(virDomainGetInfo(d, &info), 0);
        assert_int_equal(info.maxMem, 256 * 1024);
        assert_int_equal(virDomainGetVcpusFlags(d, VIR_DOMAIN_AFFECT_CONFIG), 1);
        assert_int_equal(
                virDomainGetVcpusFlags(d, VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_VCPU_MAXIMUM), 2);
        back = virDomainGetXMLDesc(d, 0);
        assert_non_null(back);
        assert_non_null(strstr(back, "<kernel>/images/vmlinuz</kernel>"));
        assert_non_null(strstr(back, "<initrd>/images/initramfs.img</initrd>"));
        assert_non_null(strstr(back, "vigil.x=&quot;a&amp;b&lt;c&gt;&apos;d&apos;&quot;")
                                ?: strstr(back, "vigil.x=\"a&amp;b&lt;c&gt;'d'\""));
        assert_non_null(strstr(back, "<currentMemory unit='KiB'>131072</currentMemory>"));
        assert_non_null(strstr(back, "name='org.vigil.agent.0'"));
        assert_non_null(strstr(back, "<on_crash>destroy</on_crash>"));
        assert_non_null(strstr(back, "/state/t1/console.log"));
        meta = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, VGL_XMLNS_SANDBOX, 0);
        if (!meta)
                fail_msg("metadata: %s", virGetLastErrorMessage());
        assert_non_null(strstr(meta, ">t1<"));
        assert_non_null(strstr(meta, ">high<"));
        assert_non_null(strstr(meta, "&lt;x&gt;&amp;"));
        vgl_virt_domain_discard(d);
        vgl_virt_domain_freep(&d);
        d = virDomainLookupByName(c, "vigil-t1");
        assert_null(d);
}

/* vCPUs above the first are hotpluggable (enforcement unplugs them live),
 * and the optional NIC renders, validates and survives libvirt's parser. */
static void test_vcpus_and_nic(void **state)
{
        struct vgl_domain_spec s = base_spec();
        struct vgl_error e = {};
        _cleanup_free_ char *xml = NULL, *back = NULL;
        _cleanup_virconn_ virConnectPtr c = NULL;
        _cleanup_virdomain_ virDomainPtr d = NULL;

        s.max_vcpus = 3;
        s.network = "vgl-net";
        s.mac = "52:54:00:ab:cd:ef";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), 0);
        assert_non_null(strstr(xml, "<vcpu id='0' enabled='yes' hotpluggable='no'/>"));
        assert_non_null(strstr(xml, "<vcpu id='2' enabled='no' hotpluggable='yes'/>"));
        assert_non_null(strstr(xml, "<source network='vgl-net'/>"));
        assert_non_null(strstr(xml, "<mac address='52:54:00:ab:cd:ef'/>"));
        assert_non_null(strstr(xml, "<model type='virtio'/>"));

        vgl_virt_quiet_errors();
        assert_int_equal(vgl_virt_open("test:///default", NULL, &c, &e), 0);
        d = virDomainDefineXML(c, xml);
        if (!d)
                fail_msg("define failed: %s", virGetLastErrorMessage());
        back = virDomainGetXMLDesc(d, 0);
        assert_non_null(back);
        assert_non_null(strstr(back, "hotpluggable='yes'"));
        assert_non_null(strstr(back, "52:54:00:ab:cd:ef"));
        assert_int_equal(
                virDomainGetVcpusFlags(d, VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_VCPU_MAXIMUM), 3);
        vgl_virt_domain_discard(d);

        free(xml);
        xml = NULL;
        s.mac = "52:54:00:ab:cd";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "MAC"));
        s.mac = NULL;
        s.network = "";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        s.network = NULL;
        s.max_vcpus = VGL_VCPUS_MAX + 1;
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        s.max_vcpus = 1;
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), 0);
        assert_null(strstr(xml, "<vcpus>"));
        assert_null(strstr(xml, "<interface"));
}

/* A disk image sandbox: its overlay as a virtio-blk qcow2 disk, root= in the
 * cmdline; libvirt's parser takes it. */
static void test_disk(void **state)
{
        struct vgl_domain_spec s = base_spec();
        struct vgl_error e = {};
        _cleanup_free_ char *xml = NULL, *back = NULL;
        _cleanup_virconn_ virConnectPtr c = NULL;
        _cleanup_virdomain_ virDomainPtr d = NULL;

        s.cmdline = "console=ttyS0 rw";
        s.disk = "/state/t1/disk&.qcow2";
        s.disk_root = "/dev/vda1";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), 0);
        assert_non_null(strstr(xml, "<cmdline>console=ttyS0 rw root=/dev/vda1</cmdline>"));
        assert_non_null(strstr(xml, "<driver name='qemu' type='qcow2' discard='unmap'/>"));
        assert_non_null(strstr(xml, "<source file='/state/t1/disk&amp;.qcow2'/>"));
        assert_non_null(strstr(xml, "<target dev='vda' bus='virtio'/>"));

        vgl_virt_quiet_errors();
        assert_int_equal(vgl_virt_open("test:///default", NULL, &c, &e), 0);
        d = virDomainDefineXML(c, xml);
        if (!d)
                fail_msg("define failed: %s", virGetLastErrorMessage());
        back = virDomainGetXMLDesc(d, 0);
        assert_non_null(back);
        assert_non_null(strstr(back, "root=/dev/vda1"));
        assert_non_null(strstr(back, "dev='vda' bus='virtio'"));
        vgl_virt_domain_discard(d);

        free(xml);
        xml = NULL;
        s.cmdline = NULL;
        s.disk_root = "UUID=1234-abcd";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), 0);
        assert_non_null(strstr(xml, "<cmdline>root=UUID=1234-abcd</cmdline>"));
        free(xml);
        xml = NULL;
        s.disk_root = "/dev/vda1 init=/bin/sh";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "disk_root"));
        s.disk_root = "/dev/vda1";
        s.disk = "relative.qcow2";
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        s.disk = NULL;
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), -EINVAL);
        s.disk_root = NULL;
        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), 0);
        assert_null(strstr(xml, "<disk"));
        assert_null(strstr(xml, "root="));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_render_escapes),
                cmocka_unit_test(test_define_roundtrip),
                cmocka_unit_test(test_vcpus_and_nic),
                cmocka_unit_test(test_disk),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
