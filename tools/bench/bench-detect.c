/* Detector scoring throughput on one core, against the host decoder's
 * events per second measured in the same run (bench-decode.c's two mixes,
 * compiled in here unchanged), and the memory a sandbox's online stream adds
 * to vigild.
 *
 * Each method is trained on ADFA-LD's train.tsv (../shared; synthetic traces
 * when absent) with its default architecture but one training pass (the cost
 * of scoring depends on the architecture, not on how long it trained), then
 * scores validation.tsv + attack.tsv whole traces, repeatedly for at least
 * MIN_TIME seconds. The default method is also run through the online
 * stream (one feed per call, a score query every 256 calls). */
#include <stdbool.h>

/* The decoder benchmark, its main() renamed. */
int bench_decode_main(int argc, char **argv);
#define main bench_decode_main
#include "bench-decode.c"
#undef main

#include "cleanup.h"
#include "detect.h"
#include "stream.h"

#define DETECT_MIN_TIME 1.0

struct figures {
        double per_method[8];
        double stream;
        size_t bytes_per_sandbox;
};

static const char *const methods[] = {"stide", "ngram", "knn", "ae", "lm", "ensemble"};

static void add_synthetic(struct vgl_traceset *s, uint32_t n, uint32_t seed)
{
        uint16_t calls[512];
        char name[32];

        for (uint32_t t = 0; t < n; t++) {
                uint32_t len = 50 + (t * 37 + seed) % 400;
                for (uint32_t i = 0; i < len; i++)
                        calls[i] = (uint16_t)((i * 7 + t * 3 + seed) % 11 * 17 % 190);
                snprintf(name, sizeof(name), "syn-%u", t);
                if (vgl_traceset_add(s, name, calls, len) < 0)
                        exit(1);
        }
}

static void load(const char *file, struct vgl_traceset *s, uint32_t seed)
{
        const char *root = getenv("VIGIL_SOURCE_ROOT");
        struct vgl_error err = {0};
        char path[4096];

        snprintf(path, sizeof(path), "%s/../shared/datasets/adfa-ld/%s", root ? root : ".", file);
        if (vgl_traceset_read(path, s, &err) == 0)
                return;
        fprintf(stderr, "bench-detect: %s; using synthetic traces\n", err.msg);
        add_synthetic(s, 800, seed);
}

static double score_rate(const struct vgl_detector *d, const struct vgl_traceset *probe)
{
        uint64_t calls = 0;
        double t0 = now_s(), dt, sink = 0;

        do
                for (size_t i = 0; i < probe->n; i++) {
                        double s;
                        if (vgl_detector_score(d, probe->v[i].calls, probe->v[i].len, &s) < 0)
                                exit(1);
                        sink += s;
                        calls += probe->v[i].len;
                }
        while ((dt = now_s() - t0) < DETECT_MIN_TIME);
        if (sink < 0)
                printf("impossible\n");
        return (double)calls / dt;
}

/* The online path: one stream per trace (as if each were a sandbox). */
static double stream_rate(const struct vgl_detector *d, const struct vgl_traceset *probe)
{
        struct vgl_stream *s = NULL;
        uint64_t calls = 0;
        double t0 = now_s(), dt, sink = 0;

        if (vgl_stream_new(d, &s) < 0)
                exit(1);
        do
                for (size_t i = 0; i < probe->n; i++) {
                        for (uint32_t k = 0; k < probe->v[i].len; k++) {
                                vgl_stream_feed(s, (uint32_t)i, probe->v[i].calls[k]);
                                if (++calls % 256 == 0)
                                        sink += vgl_stream_score(s, NULL);
                        }
                        vgl_stream_forget(s, (uint32_t)i);
                }
        while ((dt = now_s() - t0) < DETECT_MIN_TIME);
        vgl_stream_free(s);
        if (sink < 0)
                printf("impossible\n");
        return (double)calls / dt;
}

static void run_detectors(struct figures *f, double decode)
{
        struct vgl_traceset train = {0}, probe = {0};

        load("train.tsv", &train, 1);
        load("validation.tsv", &probe, 2);
        load("attack.tsv", &probe, 3);
        for (size_t m = 0; m < ELEMENTSOF(methods); m++) {
                struct vgl_detect_train_opts o = {.method = methods[m],
                                                  .seed = 1,
                                                  .lm_epochs = 1,
                                                  .ae_epochs = 1,
                                                  .folds = 2};
                struct vgl_detector *d = NULL;
                struct vgl_error err = {0};
                if (vgl_detector_train(&train, &o, &d, &err) < 0) {
                        fprintf(stderr, "bench-detect: %s: %s\n", methods[m], err.msg);
                        exit(1);
                }
                f->per_method[m] = score_rate(d, &probe);
                printf("%-9s %10.0f calls/s  %6.3f x the decoder%s\n", methods[m], f->per_method[m],
                       f->per_method[m] / decode,
                       !strcmp(methods[m], VGL_DETECT_DEFAULT_METHOD) ? "  (default method)" : "");
                if (!strcmp(methods[m], VGL_DETECT_DEFAULT_METHOD)) {
                        f->stream = stream_rate(d, &probe);
                        f->bytes_per_sandbox = vgl_stream_footprint(d);
                        printf("%-9s %10.0f calls/s  %6.3f x the decoder  (default method, online "
                               "stream)\n",
                               "stream", f->stream, f->stream / decode);
                }
                vgl_detector_free(d);
        }
        vgl_traceset_free(&train);
        vgl_traceset_free(&probe);
}

int main(int argc, char **argv)
{
        static const unsigned trace[5] = {85, 4, 6, 3, 2}, critical[5] = {0, 30, 40, 20, 10};
        bool json = argc > 1 && !strcmp(argv[1], "--json");
        struct figures f = {0};
        uint64_t tt, ct;

        if (argc > 2 || (argc == 2 && !json)) {
                fprintf(stderr, "usage: bench-detect [--json]\n");
                return 2;
        }
        double t = run_mix("trace", trace, &tt), c = run_mix("critical", critical, &ct);
        double decode = t < c ? t : c;
        printf("decoder + tagger: %.0f events/s on one core\n", decode);
        run_detectors(&f, decode);
        double def = f.per_method[ELEMENTSOF(methods) - 1];
        double stide = f.per_method[0];
        printf("stide:   %.0f calls/s, %.2f x the decoder (target >= 1000000): %s\n", stide,
               stide / decode, stide >= 1e6 ? "ok" : "BELOW TARGET");
        printf("default: %.0f calls/s, %.2f x the decoder (target >= 200000): %s\n", def,
               def / decode, def >= 2e5 ? "ok" : "BELOW TARGET");
        printf("vigild memory per sandbox (online stream, %u processes x %u calls): %zu bytes\n",
               VGL_STREAM_PROCS, VGL_STREAM_WINDOW, f.bytes_per_sandbox);
        if (json) {
                printf("{\"stide_calls_per_s\": %.0f, \"default_calls_per_s\": %.0f, "
                       "\"decode_events_per_s\": %.0f, \"bytes_per_sandbox\": %zu, "
                       "\"default_method\": \"%s\", \"default_stream_calls_per_s\": %.0f",
                       stide, def, decode, f.bytes_per_sandbox, VGL_DETECT_DEFAULT_METHOD,
                       f.stream);
                printf(", \"per_method_calls_per_s\": {");
                for (size_t m = 0; m < ELEMENTSOF(methods); m++)
                        printf("%s\"%s\": %.0f", m ? ", " : "", methods[m], f.per_method[m]);
                printf("}}\n");
        }
        return 0;
}
