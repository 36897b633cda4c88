/* Decoder + tagger throughput on one core: TELEMETRY frames as the agent
 * sends them go through the host's whole path (frame decoder, agent
 * session, batch parser, record validation, tagging against a realistic
 * permission set, the rolling window) and the events are counted.
 *
 * Two mixes: "trace" (mostly traced system calls, as in trace mode) and
 * "critical" (only the heavier net/file/exec/privilege records of
 * critical-only mode). decode_events_per_s is the lower of the two. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "agent.h"
#include "behaviour-permset.h"
#include "behaviour.h"
#include "buf.h"
#include "proto-event.h"
#include "proto-msg.h"

#define BATCH    64u
#define EVENTS   (64u * 1024u) /* per pass */
#define MIN_TIME 1.0           /* seconds per mix, at least */

static const char *const set_json =
        "{\"egress\":[{\"cidr\":\"10.0.0.0/8\",\"ports\":\"443\"},{\"cidr\":\"192.168.1.0/24\"},"
        "{\"cidr\":\"172.16.0.0/12\",\"ports\":\"8000-8100\"},{\"cidr\":\"2001:db8::/32\"}],"
        "\"writable\":[\"/tmp\",\"/scratch\",\"/home/job/out\",\"/var/tmp\"],"
        "\"exec\":[\"/usr/bin\",\"/bin\"],"
        "\"sensitive\":[{\"pattern\":\"/etc/shadow\",\"action\":\"deny\"},"
        "{\"pattern\":\"/home/*/.ssh/*\"},{\"pattern\":\"/root/\"},{\"pattern\":\"/etc/*.pem\"},"
        "{\"pattern\":\"/etc/ssl/private/\"},{\"pattern\":\"/proc/*/environ\"}],"
        "\"privileged\":[\"setuid\"]}";

struct ctx {
        struct vgl_bhv *bhv;
        uint64_t events, tagged, errors;
};

static void on_event(const struct vgl_bhv_event *ev, void *u)
{
        struct ctx *c = u;

        c->events++;
        c->tagged += ev->tags != 0;
}

static void on_error(const struct vgl_error *e, void *u)
{
        ((struct ctx *)u)->errors++;
}

static void on_records(struct vgl_agent *a, const struct vgl_telemetry_batch *b, void *u)
{
        struct ctx *c = u;

        vgl_bhv_feed_batch(c->bhv, b, 1000, on_event, on_error, c);
}

/* One record of type t, the i-th of its kind. */
static void make(uint16_t t, uint32_t i, uint8_t *out)
{
        struct vgl_ev_head h = {.time_us = i, .exec_id = 1, .pid = 100 + i % 8};

        if (t == VGL_REC_SYSCALL) {
                struct vgl_ev_syscall e = {
                        .h = h, .nr = (uint16_t)(i * 7 % 300), .verdict = VGL_VERDICT_OBSERVE};
                vgl_ev_syscall_encode(&e, out);
        } else if (t == VGL_REC_NET) {
                struct vgl_ev_net e = {.h = h,
                                       .family = AF_INET,
                                       .port = i % 3 ? 443 : 80,
                                       .op = VGL_NET_CONNECT,
                                       .verdict = i % 3 ? VGL_VERDICT_ALLOW : VGL_VERDICT_DENY,
                                       .err = i % 3 ? 0 : 111,
                                       .addr = {10, 1, (uint8_t)i, 7}};
                vgl_ev_net_encode(&e, out);
        } else if (t == VGL_REC_FILE) {
                struct vgl_ev_file e = {.h = h,
                                        .op = i % 4 ? VGL_FILE_WRITE : VGL_FILE_READ,
                                        .verdict = VGL_VERDICT_EMULATE};
                snprintf(e.path, sizeof(e.path),
                         i % 4 ? "/scratch/build/obj/file-%u.o" : "/home/job/.ssh/key-%u", i);
                vgl_ev_file_encode(&e, out);
        } else if (t == VGL_REC_PROC) {
                struct vgl_ev_proc e = {.h = h, .argc = 3, .verdict = VGL_VERDICT_ALLOW};
                snprintf(e.path, sizeof(e.path), "/usr/bin/cc");
                snprintf(e.argv, sizeof(e.argv), "cc -c file-%u.c", i);
                vgl_ev_proc_encode(&e, out);
        } else {
                struct vgl_ev_priv e = {
                        .h = h, .nr = 105, .call = 4, .verdict = VGL_VERDICT_DENY, .err = 1};
                vgl_ev_priv_encode(&e, out);
        }
}

/* Frames for EVENTS records, the mix given as per-100 shares of types 2..6. */
static int build(const unsigned share[5], struct vgl_buf *out, uint64_t *ret_events)
{
        static uint8_t recs[BATCH * VGL_EV_PROC_SIZE];
        uint64_t n = 0;

        for (uint32_t round = 0; n < EVENTS; round++)
                for (uint16_t t = VGL_REC_SYSCALL; t <= VGL_REC_PRIV; t++) {
                        size_t size = vgl_ev_record_size(t);
                        uint32_t count = share[t - VGL_REC_SYSCALL] * BATCH / 100;
                        if (!count)
                                continue;
                        for (uint32_t i = 0; i < count; i++)
                                make(t, round * BATCH + i, recs + i * size);
                        if (vgl_telemetry_frame_append(out, t, (uint16_t)size, recs, count) < 0)
                                return -ENOMEM;
                        n += count;
                }
        *ret_events = n;
        return 0;
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int session(struct ctx *c, struct vgl_agent **ret)
{
        static const struct vgl_agent_callbacks cb = {.on_records = on_records};
        struct vgl_hello h = {.proto_version = VGL_PROTO_VERSION, .proto_min = 1};
        struct vgl_permset *p = NULL;
        struct json_object *o = json_tokener_parse(set_json);
        struct vgl_buf b;
        int r;

        snprintf(h.agent_version, sizeof(h.agent_version), "bench");
        if ((r = vgl_bhv_new(&c->bhv)) < 0 || (r = vgl_permset_from_json(o, 1, &p, NULL)) < 0 ||
            (r = vgl_bhv_set_permset(c->bhv, p)) < 0 || (r = vgl_agent_new(&cb, c, ret)) < 0)
                goto out;
        vgl_buf_init(&b, 0);
        r = vgl_msg_hello_append(&b, &h);
        if (r >= 0)
                vgl_agent_feed(*ret, b.data, b.len);
        vgl_buf_free(&b);
        r = r < 0 ? r : vgl_agent_ready(*ret) ? 0 : -EPROTO;
out:
        vgl_permset_free(p);
        json_object_put(o);
        return r;
}

/* Events per second of one mix. */
static double run_mix(const char *name, const unsigned share[5], uint64_t *ret_tagged)
{
        struct ctx c = {0};
        struct vgl_agent *a = NULL;
        struct vgl_buf frames;
        uint64_t per_pass = 0;
        double t0, dt;

        vgl_buf_init(&frames, 0);
        if (session(&c, &a) < 0 || build(share, &frames, &per_pass) < 0) {
                fprintf(stderr, "bench-decode: setup failed\n");
                exit(1);
        }
        t0 = now_s();
        do
                vgl_agent_feed(a, frames.data, frames.len);
        while ((dt = now_s() - t0) < MIN_TIME);
        if (c.errors) {
                fprintf(stderr, "bench-decode: %llu records rejected\n",
                        (unsigned long long)c.errors);
                exit(1);
        }
        printf("%-9s %10.0f events/s  (%llu events in %.2f s, %.0f%% tagged, %.1f bytes/event)\n",
               name, (double)c.events / dt, (unsigned long long)c.events, dt,
               100.0 * (double)c.tagged / (double)c.events, (double)frames.len / (double)per_pass);
        *ret_tagged = c.tagged;
        vgl_agent_free(a);
        vgl_bhv_free(c.bhv);
        vgl_buf_free(&frames);
        return (double)c.events / dt;
}

int main(int argc, char **argv)
{
        /* per 100 records: syscall, net, file, exec, privilege */
        static const unsigned trace[5] = {85, 4, 6, 3, 2}, critical[5] = {0, 30, 40, 20, 10};
        bool json = argc > 1 && !strcmp(argv[1], "--json");
        uint64_t tt, ct;
        double t, c, low;

        if (argc > 2 || (argc == 2 && !json)) {
                fprintf(stderr, "usage: bench-decode [--json]\n");
                return 2;
        }
        t = run_mix("trace", trace, &tt);
        c = run_mix("critical", critical, &ct);
        low = t < c ? t : c;
        printf("decoder + tagger: %.0f events/s on one core (target >= 200000): %s\n", low,
               low >= 200000 ? "ok" : "BELOW TARGET");
        printf("window per sandbox: %zu bytes (+ one permission set copy once set)\n",
               vgl_bhv_footprint());
        if (json)
                printf("{\"decode_events_per_s\": %.0f, \"decode_trace_events_per_s\": %.0f, "
                       "\"decode_critical_events_per_s\": %.0f, \"window_bytes\": %zu}\n",
                       low, t, c, vgl_bhv_footprint());
        return 0;
}
