/* Bearer-token authentication for Streamable HTTP: a file of token digests, and JWT access
 * tokens verified with keys from a JWKS file (OAuth 2.1 resource server). See auth_int.h. */
#include "auth_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc_int.h"
#include "base64_int.h"
#include "buf_int.h"
#include "crypto_int.h"
#include "json_int.h"
#include "mcp/error.h"
#include "mcp/http.h"
#include "server_int.h"

#include "banned.h"

#define WELL_KNOWN "/.well-known/oauth-protected-resource"
#define MAX_TOKEN 8192      /* longer Authorization values are refused unread */
#define MAX_FILE (1u << 20) /* a token or JWKS file larger than this is a mistake */
#define LEEWAY_SECONDS 60   /* clock skew tolerated on exp and nbf */
#define MIN_RSA_BITS 2048

/* Messages for the client: fixed sentences, safe inside a quoted header value. */
#define WHY_MALFORMED "The access token is malformed"
#define WHY_UNKNOWN "The access token is not recognised"
#define WHY_ALG "The access token is not signed with RS256 or ES256"
#define WHY_KID "The access token is signed with an unknown key"
#define WHY_SIG "The access token signature is invalid"
#define WHY_ISS "The access token was issued by another issuer"
#define WHY_AUD "The access token is meant for another resource"
#define WHY_EXP "The access token expired"
#define WHY_NBF "The access token is not valid yet"
#define WHY_SUB "The access token has no subject"

enum key_kind { KEY_RSA, KEY_EC };

struct jwk {
    char *kid; /* or NULL */
    char *alg; /* "RS256"/"ES256" when the JWK names one, or NULL */
    enum key_kind kind;
    EVP_PKEY *pkey;
};

struct token {
    unsigned char digest[32];
    struct mcp__identity *id; /* one reference held here */
};

struct words {
    char **v;
    size_t n;
};

struct mcp__auth {
    const char *name; /* the server's, for messages (borrowed) */
    struct token *tokens;
    size_t ntokens;
    struct jwk *keys;
    size_t nkeys;
    char *issuer;   /* NULL without JWKS */
    char *resource; /* NULL: http://HOST/endpoint per request */
    char *server;   /* NULL: no authorization server advertised */
    char *endpoint;
    char *resource_path; /* path part of the resource URL (or the endpoint) */
    struct words required;
    struct words supported;
};

/* --- Small helpers. */

static void words_release(struct words *w)
{
    for (size_t i = 0; i < w->n; i++)
        mcp__free(w->v[i]);
    mcp__free(w->v);
    w->v = NULL;
    w->n = 0;
}

static bool words_has(const struct words *w, const char *s, size_t n)
{
    for (size_t i = 0; i < w->n; i++)
        if (strlen(w->v[i]) == n && memcmp(w->v[i], s, n) == 0)
            return true;
    return false;
}

/* Appends a copy of s[0..n) unless already there. */
static int words_add(struct words *w, const char *s, size_t n)
{
    if (words_has(w, s, n))
        return 0;
    char **v = mcp__reallocarray(w->v, w->n + 1, sizeof(*v));
    if (!v)
        return MCP_ENOMEM;
    w->v = v;
    if (!(v[w->n] = mcp__strndup(s, n)))
        return MCP_ENOMEM;
    w->n++;
    return 0;
}

/* RFC 6749 scope-token: visible ASCII except '"' and '\'. Such values are also safe inside
 * the quoted strings of a WWW-Authenticate header. */
static bool scope_ok(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
            return false;
    }
    return true;
}

/* Splits space-separated scopes into `w`: MCP_EINVAL on a character a scope cannot hold. */
static int words_split(struct words *w, const char *s)
{
    while (s && *s) {
        s += strspn(s, " ");
        size_t n = strcspn(s, " ");
        if (n == 0)
            break;
        if (!scope_ok(s, n))
            return MCP_EINVAL;
        int rc = words_add(w, s, n);
        if (rc)
            return rc;
        s += n;
    }
    return 0;
}

/* A URL that may go into JSON and into a quoted header value: http(s), no spaces, quotes,
 * backslashes or control characters, no fragment. */
static bool url_ok(const char *u)
{
    if (!u || (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0))
        return false;
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '"' || *p == '\\' ||
            *p == '#')
            return false;
    return true;
}

/* Where the path of an absolute URL starts ("" when it has none). */
static const char *url_path(const char *u)
{
    const char *p = strstr(u, "://");
    p = p ? p + 3 : u;
    return p + strcspn(p, "/?");
}

/* A Host header value fit to build a URL from; anything odd becomes "localhost". The
 * transport has already matched its name against the allowlist. */
static const char *safe_host(const char *host)
{
    if (!host || !*host || strlen(host) > 255)
        return "localhost";
    for (const char *p = host; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(".-:[]", *p)))
            return "localhost";
    return host;
}

/* --- Identities. */

static struct mcp__identity *identity_new(const char *principal, size_t len, bool all_scopes)
{
    struct mcp__identity *id = mcp__calloc(1, sizeof(*id));
    if (!id)
        return NULL;
    atomic_init(&id->refs, 1);
    id->all_scopes = all_scopes;
    if (!(id->principal = mcp__strndup(principal, len))) {
        mcp__free(id);
        return NULL;
    }
    return id;
}

static int identity_add_scope(struct mcp__identity *id, const char *s, size_t n)
{
    struct words w = {id->scopes, id->nscopes};
    int rc = words_add(&w, s, n);
    id->scopes = w.v;
    id->nscopes = w.n;
    return rc;
}

/* Points the origin at the final fields: call once the identity is complete. */
static void identity_seal(struct mcp__identity *id)
{
    id->origin.principal = id->principal;
    /* An origin with scopes narrows the tools to those granted; with none it does not. */
    static const char *const none[1] = {NULL};
    id->origin.scopes = id->all_scopes ? NULL : id->scopes ? (const char *const *)id->scopes : none;
    id->origin.nscopes = id->all_scopes ? 0 : id->nscopes;
}

void mcp__identity_ref(struct mcp__identity *id)
{
    atomic_fetch_add(&id->refs, 1);
}

void mcp__identity_unref(struct mcp__identity *id)
{
    if (!id || atomic_fetch_sub(&id->refs, 1) != 1)
        return;
    struct words w = {id->scopes, id->nscopes};
    words_release(&w);
    mcp__free(id->principal);
    mcp__free(id);
}

bool mcp__identity_has_scope(const struct mcp__identity *id, const char *scope)
{
    if (id->all_scopes)
        return true;
    for (size_t i = 0; i < id->nscopes; i++)
        if (strcmp(id->scopes[i], scope) == 0)
            return true;
    return false;
}

/* --- The token digest file. */

/* One line: DIGEST [PRINCIPAL [SCOPE...]]. Returns 0, MCP_ENOMEM, or MCP_EINVAL with *why. */
static int parse_token_line(struct mcp__auth *a, const char *line, const char **why)
{
    const char *p = line + strspn(line, " \t");
    size_t n = strcspn(p, " \t");
    struct token t;
    if (n != 64) {
        *why = "expected a SHA-256 digest of 64 hex digits";
        return MCP_EINVAL;
    }
    for (size_t i = 0; i < 32; i++) {
        int hi = mcp__hex_value(p[2 * i]), lo = mcp__hex_value(p[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            *why = "expected a SHA-256 digest of 64 hex digits";
            return MCP_EINVAL;
        }
        t.digest[i] = (unsigned char)(hi << 4 | lo);
    }
    for (size_t i = 0; i < a->ntokens; i++)
        if (memcmp(a->tokens[i].digest, t.digest, sizeof t.digest) == 0) {
            *why = "this digest is already on an earlier line";
            return MCP_EINVAL;
        }
    p += n;
    p += strspn(p, " \t");
    n = strcspn(p, " \t");
    char fallback[24];
    const char *principal = p;
    const char *rest = p + n;
    if (n == 0) { /* unnamed: name it by its digest's start, which gives nothing away */
        snprintf(fallback, sizeof fallback, "token-%02x%02x%02x%02x", t.digest[0], t.digest[1],
                 t.digest[2], t.digest[3]);
        principal = fallback;
        n = strlen(fallback);
    } else if (!scope_ok(p, n)) {
        *why = "the principal has a character it cannot hold";
        return MCP_EINVAL;
    }
    rest += strspn(rest, " \t");
    if (!(t.id = identity_new(principal, n, *rest == '\0')))
        return MCP_ENOMEM;
    int rc = 0;
    while (!rc && *rest) {
        n = strcspn(rest, " \t");
        if (!scope_ok(rest, n)) {
            *why = "a scope has a character it cannot hold";
            rc = MCP_EINVAL;
            break;
        }
        rc = identity_add_scope(t.id, rest, n);
        rest += n;
        rest += strspn(rest, " \t");
    }
    struct token *tokens = rc ? NULL : mcp__reallocarray(a->tokens, a->ntokens + 1, sizeof(t));
    if (!tokens) {
        mcp__identity_unref(t.id);
        return rc ? rc : MCP_ENOMEM;
    }
    identity_seal(t.id);
    a->tokens = tokens;
    a->tokens[a->ntokens++] = t;
    return 0;
}

static int load_tokens(struct mcp__auth *a, const char *path)
{
    struct mcp__buf text;
    mcp__buf_init(&text, MAX_FILE);
    int rc = mcp__buf_add_file(&text, path);
    if (rc) {
        fprintf(stderr, "%s: cannot read the token digest file %s: %s\n", a->name, path,
                rc == MCP_EIO ? strerror(errno) : mcp_strerror(rc));
        rc = rc == MCP_ENOMEM ? rc : MCP_EINVAL;
        goto release_text;
    }
    const char *why = NULL;
    unsigned lineno = 0;
    for (char *line = text.data; !rc && line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[len - 1] = '\0';
        const char *p = line + strspn(line, " \t");
        if (*p && *p != '#')
            rc = parse_token_line(a, p, &why);
        line = nl ? nl + 1 : NULL;
    }
    if (rc == MCP_EINVAL)
        fprintf(stderr, "%s: %s:%u: %s\n", a->name, path, lineno, why);
    if (!rc && a->ntokens == 0) {
        fprintf(stderr, "%s: %s holds no token digest (one SHA-256 hex digest a line)\n", a->name,
                path);
        rc = MCP_EINVAL;
    }
release_text:
    mcp__buf_release(&text);
    return rc;
}

/* --- JWKS. */

/* Decodes the base64url member `key` of `jwk`: NULL when absent or not base64url. */
static unsigned char *jwk_bytes(const cJSON *jwk, const char *key, size_t *len)
{
    const char *s = mcp__json_str(jwk, key);
    return s ? mcp__base64_decode(s, strlen(s), len) : NULL;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM *params)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *rsa_key(const cJSON *jwk)
{
    size_t nlen = 0, elen = 0;
    unsigned char *n = jwk_bytes(jwk, "n", &nlen), *e = jwk_bytes(jwk, "e", &elen);
    BIGNUM *bn_n = n && nlen ? BN_bin2bn(n, (int)nlen, NULL) : NULL;
    BIGNUM *bn_e = e && elen ? BN_bin2bn(e, (int)elen, NULL) : NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY *pkey = NULL;
    if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
        pkey = from_params("RSA", params);
    if (pkey && EVP_PKEY_get_bits(pkey) < MIN_RSA_BITS) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    mcp__free(n);
    mcp__free(e);
    return pkey;
}

static EVP_PKEY *ec_key(const cJSON *jwk)
{
    const char *crv = mcp__json_str(jwk, "crv");
    if (!crv || strcmp(crv, "P-256") != 0)
        return NULL;
    size_t xlen = 0, ylen = 0;
    unsigned char *x = jwk_bytes(jwk, "x", &xlen), *y = jwk_bytes(jwk, "y", &ylen);
    EVP_PKEY *pkey = NULL;
    if (x && y && xlen == 32 && ylen == 32) {
        unsigned char point[65];
        char group[] = "prime256v1";
        point[0] = 0x04; /* uncompressed */
        memcpy(point + 1, x, 32);
        memcpy(point + 33, y, 32);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
            OSSL_PARAM_construct_end(),
        };
        pkey = from_params("EC", params);
        /* A point off the curve must never be used. */
        EVP_PKEY_CTX *check = pkey ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
        if (pkey && (!check || EVP_PKEY_public_check(check) != 1)) {
            EVP_PKEY_free(pkey);
            pkey = NULL;
        }
        EVP_PKEY_CTX_free(check);
    }
    mcp__free(x);
    mcp__free(y);
    return pkey;
}

/* Adds one JWK. Keys of other types, curves or uses are skipped (a JWKS may hold
 * encryption keys too); a key of ours that cannot be built is an error. */
static int add_jwk(struct mcp__auth *a, const cJSON *jwk, const char **why)
{
    const char *kty = mcp__json_str(jwk, "kty");
    const char *use = mcp__json_str(jwk, "use");
    const char *alg = mcp__json_str(jwk, "alg");
    const char *kid = mcp__json_str(jwk, "kid");
    if (!kty || (use && strcmp(use, "sig") != 0))
        return 0;
    struct jwk k = {0};
    if (strcmp(kty, "RSA") == 0)
        k.kind = KEY_RSA;
    else if (strcmp(kty, "EC") == 0)
        k.kind = KEY_EC;
    else
        return 0;
    const char *ours = k.kind == KEY_RSA ? "RS256" : "ES256";
    if (alg && strcmp(alg, ours) != 0)
        return 0;
    if (k.kind == KEY_EC) {
        const char *crv = mcp__json_str(jwk, "crv");
        if (!crv || strcmp(crv, "P-256") != 0)
            return 0;
    }
    k.pkey = k.kind == KEY_RSA ? rsa_key(jwk) : ec_key(jwk);
    if (!k.pkey) {
        *why = k.kind == KEY_RSA ? "an RSA key has a bad \"n\" or \"e\", or fewer than 2048 bits"
                                 : "an EC key has a bad \"x\" or \"y\", or a point off P-256";
        return MCP_EINVAL;
    }
    struct jwk *keys = NULL;
    if ((kid && !(k.kid = mcp__strdup(kid))) || (alg && !(k.alg = mcp__strdup(alg))) ||
        !(keys = mcp__reallocarray(a->keys, a->nkeys + 1, sizeof(k)))) {
        mcp__free(k.kid);
        mcp__free(k.alg);
        EVP_PKEY_free(k.pkey);
        return MCP_ENOMEM;
    }
    a->keys = keys;
    a->keys[a->nkeys++] = k;
    return 0;
}

static int load_jwks(struct mcp__auth *a, const char *path)
{
    struct mcp__buf text;
    mcp__buf_init(&text, MAX_FILE);
    int rc = mcp__buf_add_file(&text, path);
    if (rc) {
        fprintf(stderr, "%s: cannot read the JWKS file %s: %s\n", a->name, path,
                rc == MCP_EIO ? strerror(errno) : mcp_strerror(rc));
        rc = rc == MCP_ENOMEM ? rc : MCP_EINVAL;
        goto release_text;
    }
    cJSON *jwks = mcp__json_parse(mcp__buf_str(&text), text.len);
    const cJSON *keys = mcp__json_arr(jwks, "keys");
    const char *why = NULL;
    if (!keys) {
        fprintf(stderr, "%s: %s is not a JWKS: want {\"keys\": [...]}\n", a->name, path);
        rc = MCP_EINVAL;
        goto delete_jwks;
    }
    const cJSON *jwk;
    cJSON_ArrayForEach (jwk, keys) {
        if ((rc = add_jwk(a, jwk, &why)) != 0)
            break;
    }
    if (rc == MCP_EINVAL)
        fprintf(stderr, "%s: %s: %s\n", a->name, path, why);
    if (!rc && a->nkeys == 0) {
        fprintf(stderr, "%s: %s holds no RS256 or ES256 (P-256) signing key\n", a->name, path);
        rc = MCP_EINVAL;
    }
delete_jwks:
    cJSON_Delete(jwks);
release_text:
    mcp__buf_release(&text);
    return rc;
}

/* --- JWT. */

static const struct jwk *find_key(const struct mcp__auth *a, enum key_kind kind, const char *alg,
                                  const char *kid)
{
    const struct jwk *found = NULL;
    for (size_t i = 0; i < a->nkeys; i++) {
        const struct jwk *k = &a->keys[i];
        if (k->kind != kind || (k->alg && strcmp(k->alg, alg) != 0))
            continue;
        if (kid) {
            if (k->kid && strcmp(k->kid, kid) == 0)
                return k;
        } else if (found) {
            return NULL; /* no kid and more than one candidate: ambiguous */
        } else {
            found = k;
        }
    }
    return found;
}

/* ES256 signatures are r||s, 32 bytes each; OpenSSL verifies DER. Returns an OPENSSL_malloc'd
 * DER encoding, or NULL. */
static unsigned char *ecdsa_der(const unsigned char *raw, int *der_len)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
    unsigned char *der = NULL;
    if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL; /* the signature owns them now */
        int n = i2d_ECDSA_SIG(sig, &der);
        if (n <= 0)
            der = NULL;
        *der_len = n;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return der;
}

static bool signature_ok(const struct jwk *k, const char *signed_part, size_t signed_len,
                         const unsigned char *sig, size_t sig_len)
{
    unsigned char *der = NULL;
    int der_len = 0;
    if (k->kind == KEY_EC) {
        if (sig_len != 64 || !(der = ecdsa_der(sig, &der_len)))
            return false;
        sig = der;
        sig_len = (size_t)der_len;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok =
        md && EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, k->pkey, NULL) == 1 &&
        EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)signed_part, signed_len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return ok;
}

/* Decodes one base64url JWT segment that must hold a JSON object. */
static cJSON *segment_json(const char *s, size_t n)
{
    size_t len = 0;
    unsigned char *raw = mcp__base64_decode(s, n, &len);
    cJSON *obj = raw ? mcp__json_parse((const char *)raw, len) : NULL;
    mcp__free(raw);
    if (obj && !cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        obj = NULL;
    }
    return obj;
}

static bool audience_ok(const cJSON *aud, const char *resource)
{
    if (cJSON_IsString(aud))
        return strcmp(aud->valuestring, resource) == 0;
    const cJSON *item;
    if (cJSON_IsArray(aud))
        cJSON_ArrayForEach (item, aud) {
            if (cJSON_IsString(item) && strcmp(item->valuestring, resource) == 0)
                return true;
        }
    return false;
}

/* Adds the scopes of "scope" (space-separated) or "scp" (array or space-separated). */
static int claim_scopes(struct mcp__identity *id, const cJSON *claims)
{
    const cJSON *scp = mcp__json_get(claims, "scope");
    if (!cJSON_IsString(scp))
        scp = mcp__json_get(claims, "scp");
    int rc = 0;
    if (cJSON_IsString(scp)) {
        for (const char *s = scp->valuestring; !rc && *s;) {
            s += strspn(s, " ");
            size_t n = strcspn(s, " ");
            if (n)
                rc = identity_add_scope(id, s, n);
            s += n;
        }
    } else if (cJSON_IsArray(scp)) {
        const cJSON *item;
        cJSON_ArrayForEach (item, scp) {
            if (!rc && cJSON_IsString(item) && *item->valuestring)
                rc = identity_add_scope(id, item->valuestring, strlen(item->valuestring));
        }
    }
    return rc;
}

static int check_jwt(const struct mcp__auth *a, const char *tok, size_t len, time_t now,
                     struct mcp__identity **out, const char **why)
{
    /* header.payload.signature, base64url without padding. */
    if (strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != len) {
        *why = WHY_MALFORMED;
        return MCP_EACCES;
    }
    const char *d1 = memchr(tok, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    const char *sig_text = d2 ? d2 + 1 : NULL;
    size_t sig_text_len = d2 ? len - (size_t)(sig_text - tok) : 0;
    if (!d2 || memchr(sig_text, '.', sig_text_len)) {
        *why = WHY_MALFORMED;
        return MCP_EACCES;
    }
    int rc = MCP_EACCES;
    *why = WHY_MALFORMED;
    cJSON *header = segment_json(tok, (size_t)(d1 - tok));
    cJSON *claims = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
    size_t sig_len = 0;
    unsigned char *sig = mcp__base64_decode(sig_text, sig_text_len, &sig_len);
    struct mcp__identity *id = NULL;
    if (!header || !claims || !sig)
        goto free_parts;

    /* Only the two algorithms we implement; never "none", never HMAC with a public key. */
    const char *alg = mcp__json_str(header, "alg");
    enum key_kind kind;
    if (alg && strcmp(alg, "RS256") == 0) {
        kind = KEY_RSA;
    } else if (alg && strcmp(alg, "ES256") == 0) {
        kind = KEY_EC;
    } else {
        *why = WHY_ALG;
        goto free_parts;
    }
    if (mcp__json_get(header, "crit")) /* extensions we would have to understand */
        goto free_parts;
    const cJSON *kid = mcp__json_get(header, "kid");
    if (kid && !cJSON_IsString(kid))
        goto free_parts;
    const struct jwk *key = find_key(a, kind, alg, kid ? kid->valuestring : NULL);
    if (!key) {
        *why = WHY_KID;
        goto free_parts;
    }
    if (!signature_ok(key, tok, (size_t)(d2 - tok), sig, sig_len)) {
        *why = WHY_SIG;
        goto free_parts;
    }

    /* Signed by a key we trust: now the claims. */
    const char *iss = mcp__json_str(claims, "iss");
    if (!iss || !a->issuer || strcmp(iss, a->issuer) != 0) {
        *why = WHY_ISS;
        goto free_parts;
    }
    if (!a->resource || !audience_ok(mcp__json_get(claims, "aud"), a->resource)) {
        *why = WHY_AUD;
        goto free_parts;
    }
    const cJSON *exp = mcp__json_get(claims, "exp");
    if (!cJSON_IsNumber(exp) || (double)now - LEEWAY_SECONDS >= exp->valuedouble) {
        *why = WHY_EXP;
        goto free_parts;
    }
    const cJSON *nbf = mcp__json_get(claims, "nbf");
    if (nbf && (!cJSON_IsNumber(nbf) || (double)now + LEEWAY_SECONDS < nbf->valuedouble)) {
        *why = WHY_NBF;
        goto free_parts;
    }
    const char *sub = mcp__json_str(claims, "sub");
    if (!sub || !*sub) {
        *why = WHY_SUB;
        goto free_parts;
    }
    rc = MCP_ENOMEM;
    if (!(id = identity_new(sub, strlen(sub), false)) || claim_scopes(id, claims))
        goto free_parts;
    identity_seal(id);
    *out = id;
    id = NULL;
    *why = NULL;
    rc = 0;
free_parts:
    mcp__identity_unref(id);
    mcp__free_secret(sig, sig_len);
    cJSON_Delete(claims);
    cJSON_Delete(header);
    return rc;
}

/* --- Checking a request. */

int mcp__auth_check(const struct mcp__auth *a, const char *authorization, time_t now,
                    struct mcp__identity **out, const char **why)
{
    *why = NULL;
    if (!authorization)
        return MCP_ENOENT;
    const char *p = authorization + strspn(authorization, " \t");
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t' && p[6] != '\0'))
        return MCP_ENOENT; /* another scheme is no bearer token */
    p += 6;
    p += strspn(p, " \t");
    /* RFC 6750 b64token, then optional whitespace. */
    size_t len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/");
    len += strspn(p + len, "=");
    if (len == 0) {
        *why = WHY_MALFORMED;
        return MCP_EACCES;
    }
    if (p[len + strspn(p + len, " \t")] != '\0' || len > MAX_TOKEN) {
        *why = WHY_MALFORMED;
        return MCP_EACCES;
    }

    if (a->ntokens) {
        unsigned char digest[32];
        unsigned int dlen = 0;
        if (EVP_Digest(p, len, digest, &dlen, EVP_sha256(), NULL) != 1 || dlen != 32)
            return MCP_ENOMEM;
        /* Every entry is compared, each in constant time: how long this takes says nothing
         * about which digest, or how much of one, matched. */
        const struct token *match = NULL;
        for (size_t i = 0; i < a->ntokens; i++)
            if (CRYPTO_memcmp(digest, a->tokens[i].digest, sizeof digest) == 0)
                match = &a->tokens[i];
        explicit_bzero(digest, sizeof digest);
        if (match) {
            mcp__identity_ref(match->id);
            *out = match->id;
            return 0;
        }
    }
    if (a->nkeys && memchr(p, '.', len))
        return check_jwt(a, p, len, now, out, why);
    *why = WHY_UNKNOWN;
    return MCP_EACCES;
}

const char *mcp__auth_missing_scope(const struct mcp__auth *a, const struct mcp__identity *id)
{
    for (size_t i = 0; i < a->required.n; i++)
        if (!mcp__identity_has_scope(id, a->required.v[i]))
            return a->required.v[i];
    return NULL;
}

/* --- Metadata and challenges. */

bool mcp__auth_is_metadata_path(const struct mcp__auth *a, const char *path)
{
    size_t n = strlen(WELL_KNOWN);
    if (strncmp(path, WELL_KNOWN, n) != 0)
        return false;
    path += n;
    return *path == '\0' || strcmp(path, a->resource_path) == 0 || strcmp(path, a->endpoint) == 0;
}

/* The resource URL: configured, or http://HOST/endpoint. */
static int resource_url(const struct mcp__auth *a, const char *host, struct mcp__buf *out)
{
    if (a->resource)
        return mcp__buf_adds(out, a->resource);
    return mcp__buf_addf(out, "http://%s%s", safe_host(host), a->endpoint);
}

/* RFC 9728 section 3.1: the well-known path goes between the authority and the path. */
static int metadata_url(const struct mcp__auth *a, const char *host, struct mcp__buf *out)
{
    if (!a->resource)
        return mcp__buf_addf(out, "http://%s" WELL_KNOWN "%s", safe_host(host), a->endpoint);
    const char *path = url_path(a->resource);
    size_t authority = (size_t)(path - a->resource);
    return mcp__buf_addf(out, "%.*s" WELL_KNOWN "%s", (int)authority, a->resource,
                         strcmp(path, "/") == 0 ? "" : path);
}

char *mcp__auth_metadata(const struct mcp__auth *a, const char *host)
{
    struct mcp__buf url;
    mcp__buf_init(&url, 4096);
    cJSON *doc = cJSON_CreateObject();
    cJSON *servers = NULL, *scopes = NULL, *methods = NULL;
    bool ok = doc && !resource_url(a, host, &url) &&
              cJSON_AddStringToObject(doc, "resource", mcp__buf_str(&url));
    if (ok && a->server)
        ok = (servers = cJSON_AddArrayToObject(doc, "authorization_servers")) != NULL &&
             mcp__json_add_take(servers, NULL, cJSON_CreateString(a->server));
    ok = ok && (scopes = cJSON_AddArrayToObject(doc, "scopes_supported")) != NULL;
    for (size_t i = 0; ok && i < a->supported.n; i++)
        ok = mcp__json_add_take(scopes, NULL, cJSON_CreateString(a->supported.v[i]));
    ok = ok && (methods = cJSON_AddArrayToObject(doc, "bearer_methods_supported")) != NULL &&
         mcp__json_add_take(methods, NULL, cJSON_CreateString("header"));
    ok = ok && cJSON_AddStringToObject(doc, "resource_name", a->name);
    char *text = ok ? mcp__json_print(doc) : NULL;
    cJSON_Delete(doc);
    mcp__buf_release(&url);
    return text;
}

char *mcp__auth_challenge(const struct mcp__auth *a, const char *host, enum mcp__challenge kind,
                          const char *extra_scope, const char *why)
{
    struct mcp__buf b;
    mcp__buf_init(&b, 8192);
    int rc = mcp__buf_adds(&b, "Bearer ");
    if (!rc && kind != MCP__CHALLENGE_MISSING)
        rc = mcp__buf_addf(&b, "error=\"%s\", ",
                           kind == MCP__CHALLENGE_SCOPE ? "insufficient_scope" : "invalid_token");
    if (!rc)
        rc = mcp__buf_adds(&b, "resource_metadata=\"");
    if (!rc)
        rc = metadata_url(a, host, &b);
    if (!rc)
        rc = mcp__buf_adds(&b, "\"");
    /* The scopes to ask for: those every request needs and this one's, else all we know. */
    const struct words *list = a->required.n || extra_scope ? &a->required : &a->supported;
    bool extra = extra_scope && scope_ok(extra_scope, strlen(extra_scope)) &&
                 !words_has(list, extra_scope, strlen(extra_scope));
    if (!rc && (list->n || extra)) {
        rc = mcp__buf_adds(&b, ", scope=\"");
        for (size_t i = 0; !rc && i < list->n; i++)
            rc = mcp__buf_addf(&b, "%s%s", i ? " " : "", list->v[i]);
        if (!rc && extra)
            rc = mcp__buf_addf(&b, "%s%s", list->n ? " " : "", extra_scope);
        if (!rc)
            rc = mcp__buf_adds(&b, "\"");
    }
    if (!rc && why)
        rc = mcp__buf_addf(&b, ", error_description=\"%s\"", why);
    if (rc) {
        mcp__buf_release(&b);
        return NULL;
    }
    return mcp__buf_take(&b);
}

/* --- Set-up. */

void mcp__auth_free(struct mcp__auth *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->ntokens; i++)
        mcp__identity_unref(a->tokens[i].id);
    if (a->tokens)
        explicit_bzero(a->tokens, a->ntokens * sizeof(*a->tokens));
    mcp__free(a->tokens);
    for (size_t i = 0; i < a->nkeys; i++) {
        mcp__free(a->keys[i].kid);
        mcp__free(a->keys[i].alg);
        EVP_PKEY_free(a->keys[i].pkey);
    }
    mcp__free(a->keys);
    mcp__free(a->issuer);
    mcp__free(a->resource);
    mcp__free(a->server);
    mcp__free(a->endpoint);
    mcp__free(a->resource_path);
    words_release(&a->required);
    words_release(&a->supported);
    mcp__free(a);
}

/* Checks the settings that go together; prints what is wrong. */
static int check_options(const struct mcp_http_options *opt, const char *name)
{
    const char *bad = NULL;
    if (opt->auth_jwks_file && !opt->auth_issuer)
        bad = "--auth-jwks needs --auth-issuer URL: the issuer tokens must come from";
    else if (opt->auth_jwks_file && !opt->auth_resource)
        bad = "--auth-jwks needs --auth-resource URL: this server's canonical URL, which "
              "tokens must name as their audience";
    else if (opt->auth_issuer && !url_ok(opt->auth_issuer))
        bad = "--auth-issuer must be an http(s) URL without spaces, quotes or fragment";
    else if (opt->auth_resource && !url_ok(opt->auth_resource))
        bad = "--auth-resource must be an http(s) URL without spaces, quotes or fragment";
    else if (opt->auth_server && !url_ok(opt->auth_server))
        bad = "--auth-server must be an http(s) URL without spaces, quotes or fragment";
    else if (!opt->auth_jwks_file && opt->auth_issuer)
        bad = "--auth-issuer only applies with --auth-jwks FILE";
    if (bad) {
        fprintf(stderr, "%s: %s\n", name, bad);
        return MCP_EINVAL;
    }
    return 0;
}

/* scopes_supported: as configured, or the required scopes and every tool's scope. */
static int supported_scopes(struct mcp__auth *a, const struct mcp_http_options *opt,
                            const struct mcp_server *srv)
{
    int rc = 0;
    if (opt->auth_scopes_supported) {
        for (size_t i = 0; !rc && i < opt->nauth_scopes_supported; i++)
            rc = words_split(&a->supported, opt->auth_scopes_supported[i]);
        return rc;
    }
    for (size_t i = 0; !rc && i < a->required.n; i++)
        rc = words_add(&a->supported, a->required.v[i], strlen(a->required.v[i]));
    for (size_t i = 0; !rc && srv && i < srv->tools.len; i++) {
        const char *s = srv->tools.items[i].scope;
        if (s && scope_ok(s, strlen(s)))
            rc = words_add(&a->supported, s, strlen(s));
    }
    return rc;
}

int mcp__auth_new(const struct mcp_http_options *opt, const struct mcp_server *srv,
                  struct mcp__auth **out)
{
    if (!opt->auth_token_file && !opt->auth_jwks_file) {
        const char *stray = opt->auth_issuer           ? "--auth-issuer"
                            : opt->auth_resource       ? "--auth-resource"
                            : opt->auth_server         ? "--auth-server"
                            : opt->auth_required_scope ? "--auth-scope"
                                                       : NULL;
        if (stray) {
            fprintf(stderr, "%s: %s needs --auth-tokens FILE or --auth-jwks FILE\n",
                    srv ? srv->name : "mcp", stray);
            return MCP_EINVAL;
        }
        *out = NULL;
        return 0;
    }
    const char *name = srv ? srv->name : "mcp";
    int rc = check_options(opt, name);
    if (rc)
        return rc;
    struct mcp__auth *a = mcp__calloc(1, sizeof(*a));
    if (!a)
        return MCP_ENOMEM;
    a->name = name;
    const char *endpoint = opt->endpoint ? opt->endpoint : "/mcp";
    if (!(a->endpoint = mcp__strdup(endpoint)) ||
        (opt->auth_issuer && !(a->issuer = mcp__strdup(opt->auth_issuer))) ||
        (opt->auth_resource && !(a->resource = mcp__strdup(opt->auth_resource))) ||
        ((opt->auth_server || opt->auth_issuer) &&
         !(a->server = mcp__strdup(opt->auth_server ? opt->auth_server : opt->auth_issuer))) ||
        !(a->resource_path = mcp__strdup(
              a->resource && *url_path(a->resource) ? url_path(a->resource) : endpoint))) {
        rc = MCP_ENOMEM;
        goto fail;
    }
    if ((rc = words_split(&a->required, opt->auth_required_scope)) != 0) {
        if (rc == MCP_EINVAL)
            fprintf(stderr,
                    "%s: --auth-scope: a scope is visible ASCII without quotes or "
                    "backslashes; separate several with spaces\n",
                    name);
        goto fail;
    }
    if ((rc = supported_scopes(a, opt, srv)) != 0) {
        if (rc == MCP_EINVAL)
            fprintf(stderr, "%s: auth_scopes_supported holds a scope with a bad character\n", name);
        goto fail;
    }
    if (opt->auth_token_file && (rc = load_tokens(a, opt->auth_token_file)) != 0)
        goto fail;
    if (opt->auth_jwks_file && (rc = load_jwks(a, opt->auth_jwks_file)) != 0)
        goto fail;
    *out = a;
    return 0;
fail:
    mcp__auth_free(a);
    return rc;
}
