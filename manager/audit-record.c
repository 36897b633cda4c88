/* Audit records: type names, the line format, hashing and checking one line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit-priv.h"
#include "cleanup.h"
#include "proto-msg.h"

#define JSON_MAX_DEPTH 32
#define HEADER_MAX     256 /* the fixed fields before "details" */

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)

const char vgl_audit_genesis[VGL_AUDIT_HASH_HEX + 1] =
        "0000000000000000000000000000000000000000000000000000000000000000";

static const char *const type_names[VGL_AUDIT_TYPE_COUNT] = {
        [VGL_AUDIT_RESERVATION] = "reservation",
        [VGL_AUDIT_RELEASE] = "release",
        [VGL_AUDIT_ADJUSTMENT] = "adjustment",
        [VGL_AUDIT_ENFORCEMENT] = "enforcement",
        [VGL_AUDIT_DENIAL] = "denial",
        [VGL_AUDIT_HOP] = "hop",
        [VGL_AUDIT_MODEL] = "model",
        [VGL_AUDIT_PROFILE_UPDATE] = "profile_update",
        [VGL_AUDIT_CONFIG] = "config",
};

/* The keys of a line, in the only order a line may have them. */
static const char *const line_keys[] = {
        "seq", "time", "type", "sandbox", "actor", "details", "prev", "hash",
};

const char *vgl_audit_type_name(enum vgl_audit_type t)
{
        return (unsigned)t < VGL_AUDIT_TYPE_COUNT ? type_names[t] : NULL;
}

int vgl_audit_type_from_name(const char *name, enum vgl_audit_type *ret)
{
        for (unsigned i = 0; i < VGL_AUDIT_TYPE_COUNT; i++)
                if (strcmp(type_names[i], name) == 0) {
                        *ret = (enum vgl_audit_type)i;
                        return 0;
                }
        return -EINVAL;
}

void vgl_audit_format_time(const struct timespec *ts, char out[VGL_AUDIT_TIME_LEN + 1])
{
        struct tm tm;
        time_t s = ts->tv_sec;
        char base[64] = "0000-00-00T00:00:00";
        if (gmtime_r(&s, &tm))
                strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out, VGL_AUDIT_TIME_LEN + 1, "%.19s.%03uZ", base,
                 (unsigned)(ts->tv_nsec / 1000000L) % 1000u);
}

int vgl_audit_sha256_hex(const void *a, size_t alen, const void *b, size_t blen,
                         char out[VGL_AUDIT_HASH_HEX + 1])
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (!ctx)
                return -ENOMEM;
        if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
            EVP_DigestUpdate(ctx, a, alen) != 1 || EVP_DigestUpdate(ctx, b, blen) != 1 ||
            EVP_DigestFinal_ex(ctx, md, &n) != 1 || n * 2 != VGL_AUDIT_HASH_HEX)
                return -EIO;
        for (unsigned i = 0; i < n; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
        return 0;
}

static bool is_hex64(const char *s)
{
        for (size_t i = 0; i < VGL_AUDIT_HASH_HEX; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

static bool sandbox_id_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > VGL_AUDIT_SANDBOX_MAX)
                return false;
        /* Ids go into the line unescaped: letters, digits and ._:- only. */
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == n;
}

static bool time_valid(const char *s)
{
        static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
        if (strlen(s) != VGL_AUDIT_TIME_LEN)
                return false;
        for (size_t i = 0; i < VGL_AUDIT_TIME_LEN; i++)
                if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i])
                        return false;
        return true;
}

/* The fixed fields up to and including `"details":`; -E2BIG if they do not fit. */
static int format_header(char *buf, size_t size, uint64_t seq, const char *time,
                         enum vgl_audit_type type, const char *sandbox, int64_t actor)
{
        char sb[VGL_AUDIT_SANDBOX_MAX + 3] = "null", ac[24] = "null";
        if (sandbox)
                snprintf(sb, sizeof(sb), "\"%s\"", sandbox);
        if (actor != VGL_AUDIT_ACTOR_VIGILD)
                snprintf(ac, sizeof(ac), "%lld", (long long)actor);
        int n = snprintf(buf, size,
                         "{\"seq\":%llu,\"time\":\"%s\",\"type\":\"%s\",\"sandbox\":%s,"
                         "\"actor\":%s,\"details\":",
                         (unsigned long long)seq, time, vgl_audit_type_name(type), sb, ac);
        return n < 0 || (size_t)n >= size ? -E2BIG : n;
}

int vgl_audit_format_line(uint64_t seq, const char *time, enum vgl_audit_type type,
                          const char *sandbox, int64_t actor, struct json_object *details,
                          const char *prev, char **ret_line, size_t *ret_len, struct vgl_error *err)
{
        if (!vgl_audit_type_name(type))
                return vgl_error_set(err, EINVAL, "audit: unknown record type %d", (int)type);
        if (sandbox && !sandbox_id_valid(sandbox))
                return vgl_error_set(err, EINVAL, "audit: bad sandbox id");
        if (actor != VGL_AUDIT_ACTOR_VIGILD && (actor < 0 || actor >= UINT32_MAX))
                return vgl_error_set(err, EINVAL, "audit: bad actor uid %lld", (long long)actor);
        if (details && !json_object_is_type(details, json_type_object))
                return vgl_error_set(err, EINVAL, "audit: details must be a JSON object");

        size_t dlen = 2;
        const char *d = "{}";
        if (details)
                d = json_object_to_json_string_length(
                        details, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &dlen);
        if (!d)
                return vgl_error_set(err, ENOMEM, "audit: out of memory");
        if (!vgl_utf8_valid(d, dlen))
                return vgl_error_set(err, EINVAL, "audit: details hold text that is not UTF-8");

        char header[HEADER_MAX];
        int hlen = format_header(header, sizeof(header), seq, time, type, sandbox, actor);
        if (hlen < 0)
                return vgl_error_set(err, E2BIG, "audit: header too long");
        /* header + details + ,"prev":"P" | ,"hash":"H"} + \n */
        size_t plen = (size_t)hlen + dlen + 10 + VGL_AUDIT_HASH_HEX;
        size_t len = plen + VGL_AUDIT_HASH_TAIL + 1;
        if (len > VGL_AUDIT_LINE_MAX)
                return vgl_error_set(err, E2BIG, "audit: record of %zu bytes exceeds %u", len,
                                     VGL_AUDIT_LINE_MAX);
        _cleanup_free_ char *line = malloc(len + 1);
        if (!line)
                return vgl_error_set(err, ENOMEM, "audit: out of memory");
        memcpy(line, header, (size_t)hlen);
        memcpy(line + hlen, d, dlen);
        snprintf(line + hlen + dlen, len + 1 - (size_t)hlen - dlen, ",\"prev\":\"%s\"", prev);

        char hash[VGL_AUDIT_HASH_HEX + 1];
        int r = vgl_audit_sha256_hex(line, plen, "}", 1, hash);
        if (r < 0)
                return vgl_error_set(err, -r, "audit: SHA-256 failed");
        snprintf(line + plen, len + 1 - plen, VGL_AUDIT_HASH_KEY "%s\"}\n", hash);

        /* Never write what verify would reject (a too deep details object...). */
        struct vgl_audit_record check = {0};
        struct vgl_error e = {0};
        r = vgl_audit_parse_line(line, len - 1, &check, &e);
        vgl_audit_record_clear(&check);
        if (r < 0)
                return vgl_error_set(err, EINVAL, "audit: record would not read back: %s", e.msg);
        *ret_line = TAKE_PTR(line);
        *ret_len = len;
        return 0;
}

void vgl_audit_record_clear(struct vgl_audit_record *r)
{
        if (r->json)
                json_object_put(r->json);
        memset(r, 0, sizeof(*r));
}

static int parse_json(const char *line, size_t len, struct json_object **ret, struct vgl_error *err)
{
        _cleanup_(json_tokener_freep) struct json_tokener *tok =
                json_tokener_new_ex(JSON_MAX_DEPTH);
        if (!tok)
                return vgl_error_set(err, ENOMEM, "out of memory");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        _cleanup_json_ struct json_object *o = json_tokener_parse_ex(tok, line, (int)len);
        enum json_tokener_error e = json_tokener_get_error(tok);
        if (e != json_tokener_success || !o)
                return vgl_error_set(err, EBADMSG, "not JSON (%s at byte %zu)",
                                     json_tokener_error_desc(e), json_tokener_get_parse_end(tok));
        if (json_tokener_get_parse_end(tok) != len)
                return vgl_error_set(err, EBADMSG, "bytes after the JSON object");
        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EBADMSG, "not a JSON object");
        *ret = TAKE_PTR(o);
        return 0;
}

/* The keys, in order, exactly. */
static int check_keys(struct json_object *o, struct vgl_error *err)
{
        size_t i = 0;
        json_object_object_foreach(o, key, val)
        {
                (void)val;
                if (i >= ELEMENTSOF(line_keys) || strcmp(key, line_keys[i]) != 0)
                        return vgl_error_set(err, EBADMSG, "unexpected field '%s' at position %zu",
                                             key, i + 1);
                i++;
        }
        if (i != ELEMENTSOF(line_keys))
                return vgl_error_set(err, EBADMSG, "missing field '%s'", line_keys[i]);
        return 0;
}

static int get_str(struct json_object *o, const char *key, char *buf, size_t size,
                   struct vgl_error *err)
{
        struct json_object *v = json_object_object_get(o, key);
        if (!json_object_is_type(v, json_type_string) ||
            (size_t)json_object_get_string_len(v) >= size)
                return vgl_error_set(err, EBADMSG,
                                     "field '%s' must be a string of at most %zu bytes", key,
                                     size - 1);
        memcpy(buf, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
        if (strlen(buf) != (size_t)json_object_get_string_len(v))
                return vgl_error_set(err, EBADMSG, "field '%s' holds a NUL", key);
        return 0;
}

static int parse_fields(struct json_object *o, struct vgl_audit_record *r, struct vgl_error *err)
{
        char type[32];
        struct json_object *v = json_object_object_get(o, "seq");
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1)
                return vgl_error_set(err, EBADMSG, "field 'seq' must be an integer >= 1");
        r->seq = (uint64_t)json_object_get_int64(v);
        if (get_str(o, "time", r->time, sizeof(r->time), err) < 0 || !time_valid(r->time))
                return vgl_error_set(err, EBADMSG, "field 'time' is not YYYY-MM-DDTHH:MM:SS.mmmZ");
        if (get_str(o, "type", type, sizeof(type), err) < 0 ||
            vgl_audit_type_from_name(type, &r->type) < 0)
                return vgl_error_set(err, EBADMSG, "field 'type' is not a known record type");
        v = json_object_object_get(o, "sandbox");
        r->has_sandbox = v != NULL;
        if (v && (get_str(o, "sandbox", r->sandbox, sizeof(r->sandbox), err) < 0 ||
                  !sandbox_id_valid(r->sandbox)))
                return vgl_error_set(err, EBADMSG, "field 'sandbox' is not null or a sandbox id");
        v = json_object_object_get(o, "actor");
        r->actor = VGL_AUDIT_ACTOR_VIGILD;
        if (v && (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
                  json_object_get_int64(v) >= UINT32_MAX))
                return vgl_error_set(err, EBADMSG, "field 'actor' is not null or a uid");
        if (v)
                r->actor = json_object_get_int64(v);
        r->details = json_object_object_get(o, "details");
        if (!json_object_is_type(r->details, json_type_object))
                return vgl_error_set(err, EBADMSG, "field 'details' is not an object");
        if (get_str(o, "prev", r->prev, sizeof(r->prev), err) < 0 ||
            strlen(r->prev) != VGL_AUDIT_HASH_HEX || !is_hex64(r->prev))
                return vgl_error_set(err, EBADMSG, "field 'prev' is not 64 hex digits");
        return 0;
}

/* The fixed fields must be byte for byte what the writer would produce from
 * their values: the hash then covers one unambiguous form. */
static int check_canonical(const char *line, size_t len, const struct vgl_audit_record *r,
                           struct vgl_error *err)
{
        char header[HEADER_MAX], trailer[16 + 2 * VGL_AUDIT_HASH_HEX + 16];
        int hlen = format_header(header, sizeof(header), r->seq, r->time, r->type,
                                 r->has_sandbox ? r->sandbox : NULL, r->actor);
        int tlen = snprintf(trailer, sizeof(trailer), ",\"prev\":\"%s\"" VGL_AUDIT_HASH_KEY "%s\"}",
                            r->prev, r->hash);
        if (hlen < 0 || (size_t)hlen + (size_t)tlen > len || memcmp(line, header, (size_t)hlen) ||
            memcmp(line + len - (size_t)tlen, trailer, (size_t)tlen))
                return vgl_error_set(err, EBADMSG, "not in canonical form");
        return 0;
}

int vgl_audit_parse_line(const char *line, size_t len, struct vgl_audit_record *ret,
                         struct vgl_error *err)
{
        const char *tail = line + len - VGL_AUDIT_HASH_TAIL;
        if (len + 1 > VGL_AUDIT_LINE_MAX)
                return vgl_error_set(err, EBADMSG, "longer than %u bytes", VGL_AUDIT_LINE_MAX);
        if (memchr(line, '\0', len))
                return vgl_error_set(err, EBADMSG, "holds a NUL byte");
        if (len <= VGL_AUDIT_HASH_TAIL ||
            memcmp(tail, VGL_AUDIT_HASH_KEY, sizeof(VGL_AUDIT_HASH_KEY) - 1) != 0 ||
            memcmp(line + len - 2, "\"}", 2) != 0)
                return vgl_error_set(err, EBADMSG, "does not end with its \"hash\" field");
        const char *hex = tail + sizeof(VGL_AUDIT_HASH_KEY) - 1;
        if (!is_hex64(hex))
                return vgl_error_set(err, EBADMSG, "field 'hash' is not 64 hex digits");

        struct vgl_audit_record r = {0};
        int res = parse_json(line, len, &r.json, err);
        if (res >= 0)
                res = check_keys(r.json, err);
        if (res >= 0)
                res = parse_fields(r.json, &r, err);
        ret->seq = r.seq;
        memcpy(r.hash, hex, VGL_AUDIT_HASH_HEX);
        char computed[VGL_AUDIT_HASH_HEX + 1];
        if (res >= 0)
                res = vgl_audit_sha256_hex(line, len - VGL_AUDIT_HASH_TAIL, "}", 1, computed);
        if (res >= 0 && memcmp(computed, r.hash, VGL_AUDIT_HASH_HEX) != 0)
                res = vgl_error_set(err, EBADMSG,
                                    "hash does not match the record's content (altered)");
        if (res >= 0)
                res = check_canonical(line, len, &r, err);
        if (res < 0) {
                vgl_audit_record_clear(&r);
                return res == -ENOMEM ? res : -EBADMSG;
        }
        *ret = r;
        return 0;
}

int vgl_audit_check_link(const struct vgl_audit_record *r, uint64_t prev_seq, const char *prev_hash,
                         struct vgl_error *err)
{
        if (r->seq != prev_seq + 1)
                return vgl_error_set(err, EBADMSG,
                                     "seq %llu where %llu was expected (records missing, "
                                     "inserted or reordered)",
                                     (unsigned long long)r->seq,
                                     (unsigned long long)(prev_seq + 1));
        if (strcmp(r->prev, prev_hash) != 0)
                return vgl_error_set(err, EBADMSG,
                                     "prev does not match the hash of the record before it");
        return 0;
}
