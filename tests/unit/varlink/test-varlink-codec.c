/* Unit tests of the varlink codec (call/reply parsing and building, names)
 * and of the NUL framing reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "varlink-codec.h"
#include "varlink-reader.h"

static int parse_call(const char *text, struct vgl_varlink_request *req, struct vgl_error *err)
{
        return vgl_varlink_request_parse(text, strlen(text), req, err);
}

static void test_call_valid(void **state)
{
        struct vgl_varlink_request req = {0};
        struct vgl_error err = {0};

        assert_int_equal(parse_call("{\"method\":\"org.varlink.service.GetInfo\"}", &req, &err), 0);
        assert_string_equal(req.method, "org.varlink.service.GetInfo");
        assert_int_equal(req.interface_len, strlen("org.varlink.service"));
        assert_true(json_object_is_type(req.parameters, json_type_object));
        assert_int_equal(json_object_object_length(req.parameters), 0);
        assert_int_equal(req.flags, 0);
        vgl_varlink_request_done(&req);

        assert_int_equal(parse_call(" {\"parameters\":{\"a\":[1,{\"b\":null}]},\"more\":true,"
                                    "\"oneway\":false,\"upgrade\":false,"
                                    "\"method\":\"io.vigil.Manager.Exec\"}\r\n ",
                                    &req, &err),
                         0);
        assert_string_equal(req.method, "io.vigil.Manager.Exec");
        assert_int_equal(req.flags, VGL_VARLINK_CALL_MORE);
        assert_int_equal(json_object_object_length(req.parameters), 1);
        vgl_varlink_request_done(&req);

        assert_int_equal(parse_call("{\"method\":\"a.b.C\",\"parameters\":null,\"oneway\":true}",
                                    &req, &err),
                         0);
        assert_int_equal(req.flags, VGL_VARLINK_CALL_ONEWAY);
        assert_int_equal(json_object_object_length(req.parameters), 0);
        vgl_varlink_request_done(&req);
        vgl_varlink_request_done(&req); /* a zeroed request is fine */
}

/* Every malformed call, with a word its error message must contain. */
static const struct {
        const char *text;
        const char *why;
} bad_calls[] = {
        {"", "incomplete"},
        {"   ", "incomplete"},
        {"{", "incomplete"},
        {"{\"method\":\"a.b.C\"", "incomplete"},
        {"[]", "not a JSON object"},
        {"\"a.b.C\"", "not a JSON object"},
        {"null", "not a JSON object"},
        {"true", "not a JSON object"},
        {"12", "not a JSON object"},
        {"\"x\"", "not a JSON object"},
        {"{}", "no \"method\""},
        {"{\"method\":null}", "no \"method\""},
        {"{\"parameters\":{}}", "no \"method\""},
        {"{\"method\":1}", "not a string"},
        {"{\"method\":[\"a.b.C\"]}", "not a string"},
        {"{\"method\":\"\"}", "invalid method name"},
        {"{\"method\":\"Foo\"}", "invalid method name"},
        {"{\"method\":\"org.Foo\"}", "invalid method name"}, /* one label is no interface */
        {"{\"method\":\"org.example\"}", "invalid method name"},
        {"{\"method\":\"org.example.foo\"}", "invalid method name"},
        {"{\"method\":\".Foo\"}", "invalid method name"},
        {"{\"method\":\"org.example.\"}", "invalid method name"},
        {"{\"method\":\"org..example.Foo\"}", "invalid method name"},
        {"{\"method\":\"org.example.Foo-Bar\"}", "invalid method name"},
        {"{\"method\":\"org.example.Foo_Bar\"}", "invalid method name"},
        {"{\"method\":\"1org.example.Foo\"}", "invalid method name"},
        {"{\"method\":\"org.example-.Foo\"}", "invalid method name"},
        {"{\"method\":\"org.-example.Foo\"}", "invalid method name"},
        {"{\"method\":\"org.exa mple.Foo\"}", "invalid method name"},
        {"{\"method\":\"org.example.Fo\\u0000o\"}", "invalid method name"},
        {"{\"method\":\"org.\\u00e9xample.Foo\"}", "invalid method name"},
        {"{\"method\":\"a.b.C\",\"parameters\":[]}", "\"parameters\" is not an object"},
        {"{\"method\":\"a.b.C\",\"parameters\":1}", "\"parameters\" is not an object"},
        {"{\"method\":\"a.b.C\",\"parameters\":\"{}\"}", "\"parameters\" is not an object"},
        {"{\"method\":\"a.b.C\",\"parameters\":true}", "\"parameters\" is not an object"},
        {"{\"method\":\"a.b.C\",\"oneway\":1}", "\"oneway\" is not a boolean"},
        {"{\"method\":\"a.b.C\",\"more\":\"yes\"}", "\"more\" is not a boolean"},
        {"{\"method\":\"a.b.C\",\"more\":null}", "\"more\" is not a boolean"},
        {"{\"method\":\"a.b.C\",\"upgrade\":{}}", "\"upgrade\" is not a boolean"},
        {"{\"method\":\"a.b.C\",\"oneway\":true,\"more\":true}", "both set"},
        {"{\"method\":\"a.b.C\",\"id\":1}", "unknown field \"id\""},
        {"{\"method\":\"a.b.C\",\"continues\":true}", "unknown field \"continues\""},
        {"{\"method\":\"a.b.C\"}x", "trailing bytes"},
        {"{\"method\":\"a.b.C\"}{}", "trailing bytes"},
        {"{\"method\":\"a.b.C\"} ]", "trailing bytes"},
        {"{'method':'a.b.C'}", "invalid JSON"},
        {"{\"method\":\"a.b.C\",}", "invalid JSON"},
        {"{\"method\":\"a.b.C\",\"parameters\":{\"x\":NaN}}", "not finite"},
        {"{\"method\":\"a.b.C\",\"parameters\":{\"x\":[-Infinity]}}", "not finite"},
        {"{\"method\":\"a.b.C\",\"parameters\":{\"x\":1e999}}", "not finite"},
        {"{\"method\":\"a.b.C\",\"parameters\":{\"x\":01}}", "invalid JSON"},
        {"{\"method\":\"a.b.C\",\"parameters\":{\"x\":\"\xff\xfe\"}}", "invalid JSON"},
        {"{\"method\":\"a.b.C\",\"parameters\":{\"x\":\"\xc0\xaf\"}}", "invalid UTF-8"},
        {"{\"method\":\"a.b.C\",\"parameters\":{\"x\":[\"\xed\xa0\x80\"]}}", "invalid UTF-8"},
        {"{\"method\":\"a.b.C\",\"parameters\":{\"\xc0\xaf\":1}}", "invalid UTF-8"},
        {"{\"method\" \"a.b.C\"}", "invalid JSON"},
        {"{\"method\":\"a.b.C\"/* c */}", "invalid JSON"},
};

static void test_call_malformed(void **state)
{
        for (size_t i = 0; i < sizeof(bad_calls) / sizeof(bad_calls[0]); i++) {
                struct vgl_varlink_request req = {.method = (char *)"untouched"};
                struct vgl_error err = {0};
                int r = parse_call(bad_calls[i].text, &req, &err);

                if (r != -EBADMSG || !strstr(err.msg, bad_calls[i].why))
                        fail_msg("case %zu <%s>: r=%d msg=\"%s\", expected \"%s\"", i,
                                 bad_calls[i].text, r, err.msg, bad_calls[i].why);
                assert_string_equal(req.method, "untouched"); /* ret untouched on failure */
        }
}

static char *nested(unsigned depth)
{
        size_t len = strlen("{\"method\":\"a.b.C\",\"parameters\":{\"x\":}}") + 2 * depth + 1;
        char *s = malloc(len);
        char *p = s;

        p += sprintf(p, "{\"method\":\"a.b.C\",\"parameters\":{\"x\":");
        memset(p, '[', depth);
        p += depth;
        memset(p, ']', depth);
        p += depth;
        strcpy(p, "}}");
        return s;
}

static void test_call_depth_and_length(void **state)
{
        struct vgl_varlink_request req = {0};
        struct vgl_error err = {0};
        char *ok = nested(VGL_VARLINK_MAX_DEPTH - 3);
        char *deep = nested(10000);
        char name[600];

        assert_int_equal(parse_call(ok, &req, &err), 0);
        vgl_varlink_request_done(&req);
        assert_int_equal(parse_call(deep, &req, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "invalid JSON"));
        free(ok);
        free(deep);

        /* Interface names up to 255 bytes; 256 is one too many. */
        for (size_t len = 255; len <= 256; len++) {
                memset(name, 'a', sizeof(name));
                memcpy(name, "{\"method\":\"a.", 13); /* the interface starts at [11] */
                strcpy(name + 11 + len, ".Foo\"}");
                assert_int_equal(parse_call(name, &req, &err), len == 255 ? 0 : -EBADMSG);
                vgl_varlink_request_done(&req);
        }
}

static void test_names(void **state)
{
        static const char *good_ifaces[] = {"org.varlink.service", "io.vigil.Manager", "a.b",
                                            "a1.b-c.d--e", "A.B"};
        static const char *bad_ifaces[] = {"",     "a",    "a.",   ".a",    "a..b",
                                           "1a.b", "a-.b", "a.-b", "a.b_c", "a.b/c"};

        for (size_t i = 0; i < sizeof(good_ifaces) / sizeof(*good_ifaces); i++)
                assert_true(
                        vgl_varlink_interface_name_valid(good_ifaces[i], strlen(good_ifaces[i])));
        for (size_t i = 0; i < sizeof(bad_ifaces) / sizeof(*bad_ifaces); i++)
                assert_false(
                        vgl_varlink_interface_name_valid(bad_ifaces[i], strlen(bad_ifaces[i])));
        assert_true(vgl_varlink_member_name_valid("GetInfo", 7));
        assert_true(vgl_varlink_member_name_valid("X1", 2));
        assert_false(vgl_varlink_member_name_valid("getInfo", 7));
        assert_false(vgl_varlink_member_name_valid("Get-Info", 8));
        assert_false(vgl_varlink_member_name_valid("", 0));
        assert_int_equal(vgl_varlink_qualified_name_check("a.b.C", 5), 3);
        assert_int_equal(vgl_varlink_qualified_name_check("C", 1), -EINVAL);
}

static int parse_reply(const char *text, struct vgl_varlink_reply *rep, struct vgl_error *err)
{
        return vgl_varlink_reply_parse(text, strlen(text), rep, err);
}

static void test_reply_parse(void **state)
{
        struct vgl_varlink_reply rep = {0};
        struct vgl_error err = {0};

        assert_int_equal(parse_reply("{\"parameters\":{\"a\":1},\"continues\":true}", &rep, &err),
                         0);
        assert_null(rep.error);
        assert_true(rep.continues);
        vgl_varlink_reply_done(&rep);

        assert_int_equal(parse_reply("{\"error\":\"io.vigil.Manager.NoSuchSandbox\","
                                     "\"future\":[1]}",
                                     &rep, &err),
                         0);
        assert_string_equal(rep.error, "io.vigil.Manager.NoSuchSandbox");
        assert_false(rep.continues);
        assert_int_equal(json_object_object_length(rep.parameters), 0);
        vgl_varlink_reply_done(&rep);

        assert_int_equal(parse_reply("{\"error\":7}", &rep, &err), -EBADMSG);
        assert_int_equal(parse_reply("{\"error\":\"nope\"}", &rep, &err), -EBADMSG);
        assert_int_equal(parse_reply("{\"continues\":1}", &rep, &err), -EBADMSG);
        assert_int_equal(parse_reply("{\"parameters\":[]}", &rep, &err), -EBADMSG);
        assert_int_equal(parse_reply("{\"error\":\"a.b.C\",\"continues\":true}", &rep, &err),
                         -EBADMSG);
        assert_int_equal(parse_reply("[]", &rep, &err), -EBADMSG);
}

/* Takes the single message of b (text + NUL) and checks its NUL. */
static const char *only_message(struct vgl_buf *b)
{
        assert_true(b->len > 0);
        assert_int_equal(b->data[b->len - 1], 0);
        assert_int_equal(strlen((const char *)b->data), b->len - 1);
        return (const char *)b->data;
}

static void test_build(void **state)
{
        struct json_object *p = json_tokener_parse("{\"id\":\"x/y\",\"n\":3}");
        struct vgl_varlink_request req = {0};
        struct vgl_varlink_reply rep = {0};
        struct vgl_buf b;
        const char *s;

        vgl_buf_init(&b, 0);
        assert_int_equal(
                vgl_varlink_call_append(&b, "io.vigil.Manager.Get", p, VGL_VARLINK_CALL_MORE), 0);
        s = only_message(&b);
        assert_int_equal(vgl_varlink_request_parse(s, b.len - 1, &req, NULL), 0);
        assert_string_equal(req.method, "io.vigil.Manager.Get");
        assert_int_equal(req.flags, VGL_VARLINK_CALL_MORE);
        assert_true(json_object_equal(req.parameters, p));
        vgl_varlink_request_done(&req);

        b.len = 0;
        assert_int_equal(vgl_varlink_reply_append(&b, p, true), 0);
        s = only_message(&b);
        assert_string_equal(s, "{\"parameters\":{\"id\":\"x/y\",\"n\":3},\"continues\":true}");

        b.len = 0;
        assert_int_equal(vgl_varlink_reply_append(&b, NULL, false), 0);
        assert_string_equal(only_message(&b), "{\"parameters\":{}}");

        b.len = 0;
        assert_int_equal(vgl_varlink_error_append(&b, VGL_VARLINK_ERROR_EXPECTED_MORE, NULL), 0);
        s = only_message(&b);
        assert_int_equal(vgl_varlink_reply_parse(s, b.len - 1, &rep, NULL), 0);
        assert_string_equal(rep.error, "org.varlink.service.ExpectedMore");
        vgl_varlink_reply_done(&rep);

        assert_int_equal(vgl_varlink_error_append(&b, "bad", NULL), -EINVAL);
        assert_int_equal(vgl_varlink_call_append(&b, "a.b.c", NULL, 0), -EINVAL);
        assert_int_equal(vgl_varlink_call_append(&b, "a.b.C", NULL,
                                                 VGL_VARLINK_CALL_MORE | VGL_VARLINK_CALL_ONEWAY),
                         -EINVAL);
        assert_int_equal(vgl_varlink_call_append(&b, "a.b.C", NULL, 1u << 7), -EINVAL);
        vgl_buf_free(&b);

        /* Past the buffer's limit: an error and the buffer unchanged. */
        vgl_buf_init(&b, 20);
        assert_int_equal(vgl_buf_append(&b, "abc", 3), 0);
        assert_int_equal(vgl_varlink_reply_append(&b, p, false), -ENOBUFS);
        assert_int_equal(b.len, 3);
        vgl_buf_free(&b);
        json_object_put(p);
}

static void feed_all(struct vgl_varlink_reader *r, const char *data, size_t n)
{
        assert_int_equal(vgl_varlink_reader_feed(r, data, n), (int)n);
}

static void expect_next(struct vgl_varlink_reader *r, const char *want)
{
        const char *msg = NULL;
        size_t len = 0;

        assert_int_equal(vgl_varlink_reader_next(r, &msg, &len), 1);
        assert_int_equal(len, strlen(want));
        assert_string_equal(msg, want);
}

static void expect_none(struct vgl_varlink_reader *r)
{
        const char *msg = NULL;
        size_t len = 0;

        assert_int_equal(vgl_varlink_reader_next(r, &msg, &len), 0);
}

static void test_reader_framing(void **state)
{
        struct vgl_varlink_reader r;
        const char stream[] = "{\"a\":1}\0{}\0\0{\"b\":";

        vgl_varlink_reader_init(&r, 0);
        assert_int_equal(r.max_message, VGL_VARLINK_MAX_MESSAGE_DEFAULT);
        expect_none(&r);
        feed_all(&r, stream, sizeof(stream) - 1);
        expect_next(&r, "{\"a\":1}");
        expect_next(&r, "{}");
        expect_next(&r, ""); /* an empty message is framed; the parser rejects it */
        expect_none(&r);
        assert_int_equal(vgl_varlink_reader_pending(&r), 5);
        /* The rest of the message byte by byte. */
        feed_all(&r, "2", 1);
        expect_none(&r);
        feed_all(&r, "}", 1);
        expect_none(&r);
        feed_all(&r, "", 1);
        expect_next(&r, "{\"b\":2}");
        expect_none(&r);
        assert_int_equal(vgl_varlink_reader_pending(&r), 0);
        vgl_varlink_reader_done(&r);
}

static void test_reader_cap(void **state)
{
        struct vgl_varlink_reader r;
        char big[64];
        const char *msg = NULL;
        size_t len = 0;

        memset(big, 'x', sizeof(big));
        vgl_varlink_reader_init(&r, 16);
        /* Exactly the cap fits, with its NUL. */
        feed_all(&r, big, 16);
        expect_none(&r);
        feed_all(&r, "", 1);
        assert_int_equal(vgl_varlink_reader_next(&r, &msg, &len), 1);
        assert_int_equal(len, 16);
        expect_none(&r);
        /* One byte more never fits: the reader stores at most cap + 1 bytes. */
        assert_int_equal(vgl_varlink_reader_feed(&r, big, sizeof(big)), 17);
        assert_int_equal(vgl_varlink_reader_next(&r, &msg, &len), -EMSGSIZE);
        assert_true(r.buf.cap <= 17);
        assert_int_equal(vgl_varlink_reader_feed(&r, big, sizeof(big)), 0);
        vgl_varlink_reader_done(&r);

        /* A full buffer of complete messages waits to be drained, then takes more. */
        vgl_varlink_reader_init(&r, 7);
        assert_int_equal(vgl_varlink_reader_feed(&r, "ab\0cd\0efghij", 12), 8);
        expect_next(&r, "ab");
        expect_next(&r, "cd");
        expect_none(&r);
        assert_int_equal(vgl_varlink_reader_feed(&r, "ghij", 4), 4);
        assert_int_equal(vgl_varlink_reader_feed(&r, "\0", 1), 1);
        expect_next(&r, "efghij");
        vgl_varlink_reader_done(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_call_valid),
                cmocka_unit_test(test_call_malformed),
                cmocka_unit_test(test_call_depth_and_length),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_reply_parse),
                cmocka_unit_test(test_build),
                cmocka_unit_test(test_reader_framing),
                cmocka_unit_test(test_reader_cap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
