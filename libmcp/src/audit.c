/* The audit log. Each line is `{...,"prev":"<hex>","hash":"<hex>"}` where hash is the
 * SHA-256 of the line's text up to (not including) `,"hash":`. Because that text includes
 * `prev`, editing, dropping or reordering any line breaks the chain at that point. */
#include "audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc_int.h"
#include "buf_int.h"
#include "call_int.h"
#include "crypto_int.h"
#include "json_int.h"
#include "server_int.h"

#include "banned.h"

#define HASH_HEX 64
#define MAX_LINE (64u << 10)
#define HASH_KEY ",\"hash\":\""

struct mcp__audit {
    int fd;
    pthread_mutex_t lock; /* one writer at a time keeps the chain linear */
    char prev[HASH_HEX + 1];
    unsigned long long seq;
};

static void sha256_hex(const void *data, size_t len, char out[HASH_HEX + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[HASH_HEX] = '\0';
}

/* The hash a line must carry, given the previous line's hash: over prev + body. */
static void chain_hash(const char *prev, const char *body, size_t len, char out[HASH_HEX + 1])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[32];
    unsigned int n = 0;
    static const char digits[] = "0123456789abcdef";
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(ctx, prev, HASH_HEX) || !EVP_DigestUpdate(ctx, body, len) ||
        !EVP_DigestFinal_ex(ctx, md, &n)) {
        memset(out, '0', HASH_HEX);
    } else {
        for (unsigned i = 0; i < 32; i++) {
            out[2 * i] = digits[md[i] >> 4];
            out[2 * i + 1] = digits[md[i] & 15];
        }
    }
    out[HASH_HEX] = '\0';
    EVP_MD_CTX_free(ctx);
}

/* Checks one line against the previous hash and sequence number. Returns NULL when it holds
 * (and updates prev and seq), or what is wrong. */
static const char *check_line(const char *line, size_t len, char prev[HASH_HEX + 1],
                              unsigned long long *seq)
{
    const char *key = NULL;
    for (const char *p = line; (p = strstr(p, HASH_KEY)); p++)
        key = p;
    if (!key || len < (size_t)(key - line) + strlen(HASH_KEY) + HASH_HEX + 2 ||
        strcmp(key + strlen(HASH_KEY) + HASH_HEX, "\"}") != 0)
        return "not an audit line (no hash at its end)";
    size_t body = (size_t)(key - line);
    char want[HASH_HEX + 1];
    chain_hash(prev, line, body, want);
    if (memcmp(want, key + strlen(HASH_KEY), HASH_HEX) != 0)
        return "hash does not match its contents and the line before (edited, dropped or "
               "reordered?)";
    cJSON *v = mcp__json_parse(line, len);
    const char *p = mcp__json_str(v, "prev");
    const cJSON *s = mcp__json_get(v, "seq");
    const char *why = NULL;
    if (!p || strcmp(p, prev) != 0)
        why = "its \"prev\" is not the previous line's hash";
    else if (!cJSON_IsNumber(s) || s->valuedouble != (double)(*seq + 1))
        why = "sequence number out of order";
    cJSON_Delete(v);
    if (why)
        return why;
    memcpy(prev, want, HASH_HEX + 1);
    (*seq)++;
    return NULL;
}

/* Walks the lines of a file; stops at the first bad one. */
static int walk(FILE *f, char prev[HASH_HEX + 1], unsigned long long *seq, char *msg, size_t msglen)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long long lineno = 0;
    int rc = 0;
    memset(prev, '0', HASH_HEX);
    prev[HASH_HEX] = '\0';
    *seq = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[n - 1] != '\n') {
            snprintf(msg, msglen, "line %llu: incomplete (no newline: a write was cut short)",
                     lineno);
            rc = MCP_EINVAL;
            break;
        }
        line[--n] = '\0';
        const char *why = check_line(line, (size_t)n, prev, seq);
        if (why) {
            snprintf(msg, msglen, "line %llu: %s", lineno, why);
            rc = MCP_EINVAL;
            break;
        }
    }
    free(line); /* getline allocates with malloc */
    if (!rc)
        snprintf(msg, msglen, "%llu lines, chain intact", lineno);
    return rc;
}

int mcp_audit_verify(const char *path, char *msg, size_t msglen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(msg, msglen, "%s: %s", path, strerror(errno));
        return MCP_EIO;
    }
    char prev[HASH_HEX + 1];
    unsigned long long seq;
    int rc = walk(f, prev, &seq, msg, msglen);
    fclose(f);
    return rc;
}

int mcp_server_set_audit(struct mcp_server *srv, const char *path)
{
    if (atomic_load(&srv->frozen))
        return MCP_EINVAL;
    struct mcp__audit *a = mcp__calloc(1, sizeof(*a));
    if (!a)
        return MCP_ENOMEM;
    a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    FILE *f = a->fd >= 0 ? fopen(path, "r") : NULL;
    char msg[256];
    int rc = f ? walk(f, a->prev, &a->seq, msg, sizeof msg) : MCP_EIO;
    if (f)
        fclose(f);
    if (rc) {
        fprintf(stderr, "audit log %s: %s; not appending to a broken chain\n", path,
                f ? msg : strerror(errno));
        if (a->fd >= 0)
            close(a->fd);
        mcp__free(a);
        return MCP_EIO;
    }
    pthread_mutex_init(&a->lock, NULL);
    mcp__audit_free(srv->audit);
    srv->audit = a;
    return 0;
}

void mcp__audit_free(struct mcp__audit *audit)
{
    if (!audit)
        return;
    close(audit->fd);
    pthread_mutex_destroy(&audit->lock);
    mcp__free(audit);
}

static void now_rfc3339(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void mcp__audit_record(struct mcp_server *srv, const struct mcp_call *call, const char *kind,
                       const char *target, const cJSON *args, const char *outcome,
                       double duration_ms)
{
    struct mcp__audit *a = srv->audit;
    if (!a)
        return;
    char when[32], digest[HASH_HEX + 1] = "";
    now_rfc3339(when);
    struct mcp__buf canon;
    mcp__buf_init(&canon, 16u << 20);
    if (args && !mcp__json_print_canonical(args, &canon))
        sha256_hex(canon.data, canon.len, digest);
    mcp__buf_release(&canon);

    pthread_mutex_lock(&a->lock);
    cJSON *line = cJSON_CreateObject();
    const char *principal = call ? mcp_call_principal(call) : NULL;
    bool ok = line && cJSON_AddNumberToObject(line, "seq", (double)(a->seq + 1)) &&
              cJSON_AddStringToObject(line, "time", when) &&
              cJSON_AddStringToObject(line, "connector", srv->name) &&
              (srv->policy ? cJSON_AddStringToObject(line, "profile", srv->policy->name)
                           : cJSON_AddNullToObject(line, "profile")) &&
              (principal ? cJSON_AddStringToObject(line, "principal", principal)
                         : cJSON_AddNullToObject(line, "principal")) &&
              cJSON_AddStringToObject(line, "kind", kind) &&
              cJSON_AddStringToObject(line, "name", target) &&
              cJSON_AddStringToObject(line, "args_sha256", digest) &&
              cJSON_AddStringToObject(line, "outcome", outcome) &&
              cJSON_AddNumberToObject(line, "duration_ms",
                                      (double)(long long)(duration_ms * 1000) / 1000) &&
              cJSON_AddStringToObject(line, "prev", a->prev);
    char *body = ok ? mcp__json_print(line) : NULL;
    cJSON_Delete(line);
    struct mcp__buf out;
    mcp__buf_init(&out, MAX_LINE);
    char hash[HASH_HEX + 1];
    int rc = MCP_ENOMEM;
    if (body) {
        size_t len = strlen(body) - 1; /* without the closing brace */
        chain_hash(a->prev, body, len, hash);
        rc = mcp__buf_add(&out, body, len);
        if (!rc)
            rc = mcp__buf_addf(&out, "%s%s\"}\n", HASH_KEY, hash);
    }
    /* One write of the whole line, then fsync: the call is answered only once it is kept. */
    if (!rc && (write(a->fd, out.data, out.len) != (ssize_t)out.len || fsync(a->fd) != 0))
        rc = MCP_EIO;
    if (!rc) {
        memcpy(a->prev, hash, sizeof hash);
        a->seq++;
    }
    pthread_mutex_unlock(&a->lock);
    if (rc)
        fprintf(stderr, "%s: audit log: could not record %s %s: %s\n", srv->name, kind, target,
                mcp_strerror(rc));
    mcp__buf_release(&out);
    mcp__free(body);
}
