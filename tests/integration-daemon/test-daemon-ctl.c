/* vigilctl end to end against the test's vigild: tiers, reserve, list, exec
 * (output and exit status passed on), cp both ways, info, release, --json,
 * and the exit codes of a failed call and of a missing daemon. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "test-daemon.h"

static char out[65536];

#define CTL(want, ...)                                                                             \
        do {                                                                                       \
                const char *const a_[] = {__VA_ARGS__, NULL};                                      \
                int st_ = run_vigilctl(out, sizeof(out), vd.sock, a_);                             \
                if (st_ != (want))                                                                 \
                        fail_msg("vigilctl %s ...: exit %d, want %d; output:\n%s", a_[0], st_,     \
                                 (want), out);                                                     \
        } while (0)

static struct json_object *parse_or_fail(const char *text)
{
        struct json_object *o = json_tokener_parse(text);

        if (!o || !json_object_is_type(o, json_type_object))
                fail_msg("not one JSON object: %s", text);
        return o;
}

static const char *get_str(struct json_object *o, const char *key)
{
        struct json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                fail_msg("no string '%s' in %s", key, json_object_to_json_string(o));
        return json_object_get_string(v);
}

static void ctl_copy(const char *id)
{
        char local[400], back[400], remote[200], cmp[1024];
        FILE *f;

        snprintf(local, sizeof(local), "%s/ctl-in.txt", vd.dir);
        snprintf(back, sizeof(back), "%s/ctl-back.txt", vd.dir);
        snprintf(remote, sizeof(remote), "%s:/tmp/ctl.txt", id);
        f = fopen(local, "we");
        assert_non_null(f);
        for (int i = 0; i < 5000; i++)
                fprintf(f, "line %d\n", i);
        fclose(f);
        CTL(0, "cp", local, remote);
        CTL(0, "exec", id, "--", "sh", "-c", "wc -l < /tmp/ctl.txt");
        assert_string_equal(out, "5000\n");
        CTL(0, "--json", "cp", remote, back);
        json_object_put(parse_or_fail(out));
        snprintf(cmp, sizeof(cmp), "cmp -s '%s' '%s'", local, back);
        assert_int_equal(system(cmp), 0);
}

void test_vigilctl(void **state)
{
        struct json_object *o;
        char id[64], nosock[400];

        if (access(vigilctl_path(), X_OK) < 0) {
                fprintf(stderr, "# skipped: vigilctl not built (%s)\n", vigilctl_path());
                skipped++;
                skip();
        }
        CTL(0, "tiers");
        assert_non_null(strstr(out, POOL_TIER));
        CTL(0, "--json", "reserve", "--trust", "0.3", "--label", "via=vigilctl");
        o = parse_or_fail(out);
        snprintf(id, sizeof(id), "%s", get_str(o, "id"));
        assert_string_equal(get_str(o, "state"), "reserved");
        json_object_put(o);

        CTL(0, "list");
        assert_non_null(strstr(out, id));
        CTL(0, "--json", "list");
        json_object_put(parse_or_fail(out));
        CTL(3, "exec", id, "--", "sh", "-c", "echo out; echo err >&2; exit 3");
        assert_string_equal(out, "out\n");
        ctl_copy(id);
        CTL(0, "info", id);
        assert_non_null(strstr(out, id));
        CTL(0, "--json", "info", id);
        o = parse_or_fail(out);
        assert_string_equal(get_str(o, "id"), id);
        json_object_put(o);
        CTL(0, "--json", "release", id);
        json_object_put(parse_or_fail(out));
        CTL(1, "info", id); /* NoSuchSandbox */

        snprintf(nosock, sizeof(nosock), "%s/no-such.sock", vd.dir);
        {
                const char *const a[] = {"list", NULL};
                assert_int_equal(run_vigilctl(out, sizeof(out), nosock, a), 3);
        }
        fprintf(stderr, "# vigilctl: tiers, reserve %s, list, exec, cp, info, release ok\n", id);
}
