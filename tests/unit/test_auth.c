/* Authentication for Streamable HTTP: the token digest file, bearer header parsing, JWT
 * access tokens (RS256 and ES256, with keys made here at run time so no private key is ever
 * committed), the RFC 9728 metadata and the challenges; then a served endpoint, to prove the
 * token's scopes reach the engine for legacy and 2026-07-28 requests alike. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "alloc_int.h"
#include "auth_int.h"
#include "base64_int.h"
#include "buf_int.h"
#include "json_int.h"
#include "mcp/http.h"
#include "mcp/mcp.h"
#include "test.h"

#define ISSUER "https://auth.example.test"
#define RESOURCE "https://mcp.example.test/mcp"

static char dir[] = "/tmp/mcp-auth-XXXXXX";
static char tokens_path[64], jwks_path[64];
static EVP_PKEY *rsa, *ec, *rsa_other;
static time_t now;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

/* The hex SHA-256 of `token`, as an operator would put it in the file. */
static void hex_digest(const char *token, char out[65])
{
    unsigned char d[32];
    EVP_Digest(token, strlen(token), d, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* --- Keys and tokens. */

static char *b64_bn(const BIGNUM *bn, int pad)
{
    int n = pad ? pad : BN_num_bytes(bn);
    unsigned char *raw = mcp__malloc((size_t)n);
    BN_bn2binpad(bn, raw, n);
    char *s = mcp__base64_encode(raw, (size_t)n, true);
    mcp__free(raw);
    return s;
}

static void add_rsa_jwk(struct mcp__buf *b, EVP_PKEY *key, const char *kid)
{
    BIGNUM *n = NULL, *e = NULL;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
    char *ns = b64_bn(n, 0), *es = b64_bn(e, 0);
    mcp__buf_addf(b,
                  "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"%s\",\"n\":\"%s\","
                  "\"e\":\"%s\"}",
                  kid, ns, es);
    mcp__free(ns);
    mcp__free(es);
    BN_free(n);
    BN_free(e);
}

static void add_ec_jwk(struct mcp__buf *b, EVP_PKEY *key, const char *kid)
{
    BIGNUM *x = NULL, *y = NULL;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    char *xs = b64_bn(x, 32), *ys = b64_bn(y, 32);
    mcp__buf_addf(b, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
                  kid, xs, ys);
    mcp__free(xs);
    mcp__free(ys);
    BN_free(x);
    BN_free(y);
}

/* Signs header.claims with `key` the JWS way (ES256 as raw r||s). Returns
 * "Bearer <jwt>" (owned). */
static char *mint(const char *header, const char *claims, EVP_PKEY *key)
{
    struct mcp__buf b;
    mcp__buf_init(&b, 1 << 16);
    char *h = mcp__base64_encode(header, strlen(header), true);
    char *c = mcp__base64_encode(claims, strlen(claims), true);
    mcp__buf_addf(&b, "%s.%s", h, c);
    mcp__free(h);
    mcp__free(c);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL);
    EVP_DigestSign(md, NULL, &len, (const unsigned char *)b.data, b.len);
    unsigned char *sig = mcp__malloc(len);
    EVP_DigestSign(md, sig, &len, (const unsigned char *)b.data, b.len);
    EVP_MD_CTX_free(md);
    if (EVP_PKEY_is_a(key, "EC")) {
        const unsigned char *p = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
        const BIGNUM *r, *s;
        ECDSA_SIG_get0(es, &r, &s);
        unsigned char raw[64];
        BN_bn2binpad(r, raw, 32);
        BN_bn2binpad(s, raw + 32, 32);
        ECDSA_SIG_free(es);
        memcpy(sig, raw, 64);
        len = 64;
    }
    char *s64 = mcp__base64_encode(sig, len, true);
    mcp__free(sig);
    char *body = mcp__buf_take(&b);
    mcp__buf_addf(&b, "Bearer %s.%s", body, s64);
    mcp__free(body);
    mcp__free(s64);
    return mcp__buf_take(&b);
}

/* Claims with `extra` JSON members (default: exp an hour from now). */
static char *claims(const char *iss, const char *aud_json, const char *extra)
{
    char exp[64];
    snprintf(exp, sizeof exp, "\"exp\":%ld", (long)now + 3600);
    struct mcp__buf b;
    mcp__buf_init(&b, 4096);
    mcp__buf_addf(&b, "{\"iss\":\"%s\",\"aud\":%s,\"sub\":\"user-42\",%s,\"iat\":%ld}", iss,
                  aud_json, extra ? extra : exp, (long)now);
    return mcp__buf_take(&b);
}

/* Checks `authorization`: returns the rc and sets *why; drops any identity. */
static int check(const struct mcp__auth *a, const char *authorization, const char **why)
{
    struct mcp__identity *id = NULL;
    int rc = mcp__auth_check(a, authorization, now, &id, why);
    mcp__identity_unref(id);
    return rc;
}

static struct mcp__auth *jwt_auth(void)
{
    struct mcp_http_options opt;
    mcp_http_options_init(&opt);
    opt.auth_jwks_file = jwks_path;
    opt.auth_issuer = ISSUER;
    opt.auth_resource = RESOURCE;
    struct mcp__auth *a = NULL;
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), 0);
    return a;
}

/* --- Tests. */

static int tool(struct mcp_call *call, const cJSON *args, void *ud)
{
    (void)args;
    (void)ud;
    return mcp_call_text(call, "hello %s", mcp_call_principal(call));
}

static void test_token_file(void)
{
    char d1[65], d2[65], d3[65], d4[65], file[1024];
    hex_digest("s3cret-alpha", d1);
    hex_digest("s3cret-beta", d2);
    hex_digest("s3cret-gamma", d3);
    hex_digest("s3cret-delta", d4);
    /* Upper-case hex, CRLF, comments, blank lines and tabs are all fine. */
    for (char *p = d3; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    snprintf(file, sizeof file,
             "# tokens for the test\n\n%s  alice drive.read drive.write\r\n"
             "   # indented comment\n%s\n\t%s\tcarol\n%s dave drive.write",
             d1, d2, d3, d4);
    write_file(tokens_path, file);
    struct mcp_http_options opt;
    mcp_http_options_init(&opt);
    opt.auth_token_file = tokens_path;
    opt.auth_required_scope = "drive.read";
    struct mcp__auth *a = NULL;
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), 0);
    if (!a)
        return;

    struct mcp__identity *id = NULL;
    const char *why = NULL;
    CHECK_INT(mcp__auth_check(a, "Bearer s3cret-alpha", now, &id, &why), 0);
    if (id) {
        CHECK_STR(id->origin.principal, "alice");
        CHECK_INT(id->origin.nscopes, 2);
        CHECK(id->origin.scopes != NULL);
        CHECK_STR(id->origin.scopes[1], "drive.write");
        CHECK(mcp__identity_has_scope(id, "drive.read"));
        CHECK(!mcp__identity_has_scope(id, "drive.delete"));
        CHECK(mcp__auth_missing_scope(a, id) == NULL);
    }
    mcp__identity_unref(id);
    id = NULL;
    /* No principal, no scopes: named by its digest, granted everything. */
    CHECK_INT(mcp__auth_check(a, "bearer   s3cret-beta  ", now, &id, &why), 0);
    if (id) {
        CHECK(strncmp(id->origin.principal, "token-", 6) == 0);
        CHECK(strstr(id->origin.principal, "s3cret") == NULL);
        CHECK(id->origin.scopes == NULL);
        CHECK(mcp__auth_missing_scope(a, id) == NULL);
    }
    mcp__identity_unref(id);
    id = NULL;
    /* A principal without scopes: named, and granted everything too. */
    CHECK_INT(mcp__auth_check(a, "Bearer s3cret-gamma", now, &id, &why), 0);
    if (id) {
        CHECK_STR(id->origin.principal, "carol");
        CHECK(id->origin.scopes == NULL);
        CHECK(mcp__auth_missing_scope(a, id) == NULL);
    }
    mcp__identity_unref(id);
    id = NULL;
    /* Scopes that leave out a required one (and a last line without a newline). */
    CHECK_INT(mcp__auth_check(a, "Bearer s3cret-delta", now, &id, &why), 0);
    if (id) {
        CHECK_INT(id->origin.nscopes, 1);
        CHECK_STR(mcp__auth_missing_scope(a, id), "drive.read");
    }
    mcp__identity_unref(id);

    /* Near misses, other schemes and malformed headers. */
    CHECK_INT(check(a, "Bearer s3cret-alphb", &why), MCP_EACCES);
    CHECK_STR(why, "The access token is not recognised");
    CHECK_INT(check(a, "Bearer s3cret-alpha0", &why), MCP_EACCES);
    CHECK_INT(check(a, "Bearer S3CRET-ALPHA", &why), MCP_EACCES);
    CHECK_INT(check(a, NULL, &why), MCP_ENOENT);
    CHECK_INT(check(a, "Basic YWxpY2U6cHc=", &why), MCP_ENOENT);
    CHECK_INT(check(a, "Bearers s3cret-alpha", &why), MCP_ENOENT);
    CHECK_INT(check(a, "Bearer", &why), MCP_EACCES);
    CHECK_INT(check(a, "Bearer ", &why), MCP_EACCES);
    CHECK_INT(check(a, "Bearer s3cret alpha", &why), MCP_EACCES);
    CHECK_INT(check(a, "Bearer s3cret\"-alpha", &why), MCP_EACCES);
    CHECK_STR(why, "The access token is malformed");
    /* No JWKS: a JWT-shaped token is simply unknown. */
    CHECK_INT(check(a, "Bearer a.b.c", &why), MCP_EACCES);
    CHECK_STR(why, "The access token is not recognised");
    mcp__auth_free(a);

    /* Bad files say where and refuse to start. */
    const char *bad[] = {
        "abc\n",              /* short */
        "",                   /* no digest at all */
        "# only a comment\n", /* no digest at all */
        "zz0000000000000000000000000000000000000000000000000000000000000000\n", /* not hex */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(tokens_path, bad[i]);
        a = NULL;
        CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL);
        CHECK(a == NULL);
    }
    snprintf(file, sizeof file, "%s bob\n%s carol\n", d1, d1);
    write_file(tokens_path, file);
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL);
    snprintf(file, sizeof file, "%s bob drive\"read\n", d1);
    write_file(tokens_path, file);
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL);
    opt.auth_token_file = "/nonexistent/tokens";
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL);

    /* Off unless a token file or JWKS is named; stray settings are an error. */
    mcp_http_options_init(&opt);
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), 0);
    CHECK(a == NULL);
    opt.auth_required_scope = "x";
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL);
}

static void write_jwks(void)
{
    struct mcp__buf b;
    mcp__buf_init(&b, 1 << 16);
    mcp__buf_adds(&b, "{\"keys\":[");
    add_rsa_jwk(&b, rsa, "rsa-1");
    mcp__buf_adds(&b, ",");
    add_ec_jwk(&b, ec, "ec-1");
    /* Keys we do not use are skipped, not fatal. */
    mcp__buf_adds(&b, ",{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},"
                      "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},"
                      "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AA\",\"e\":\"AQAB\"}]}");
    write_file(jwks_path, mcp__buf_str(&b));
    mcp__buf_release(&b);
}

static void expect_jwt(const struct mcp__auth *a, const char *header, const char *claims_json,
                       EVP_PKEY *key, int want, const char *want_why)
{
    char *auth = mint(header, claims_json, key);
    const char *why = NULL;
    CHECK_INT(check(a, auth, &why), want);
    if (want_why)
        CHECK_STR(why, want_why);
    mcp__free(auth);
}

static void test_jwt(void)
{
    write_jwks();
    struct mcp__auth *a = jwt_auth();
    if (!a)
        return;
    const char *rs = "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"rsa-1\"}";
    const char *es = "{\"alg\":\"ES256\",\"kid\":\"ec-1\"}";

    /* Good tokens, both algorithms; scopes from "scope" and from "scp". */
    char *good = claims(ISSUER, "\"" RESOURCE "\"", NULL);
    char *auth = mint(rs, good, rsa);
    struct mcp__identity *id = NULL;
    const char *why = NULL;
    CHECK_INT(mcp__auth_check(a, auth, now, &id, &why), 0);
    if (id) {
        CHECK_STR(id->origin.principal, "user-42");
        CHECK(id->origin.scopes != NULL);
        CHECK_INT(id->origin.nscopes, 0);
    }
    mcp__identity_unref(id);
    id = NULL;
    /* Bad signature: one character of the signature changed. */
    size_t len = strlen(auth);
    char was = auth[len - 10];
    auth[len - 10] = was == 'A' ? 'B' : 'A';
    CHECK_INT(check(a, auth, &why), MCP_EACCES);
    CHECK_STR(why, "The access token signature is invalid");
    /* ... or of the claims. */
    auth[len - 10] = was;
    CHECK_INT(check(a, auth, &why), 0);
    char *dot = strchr(auth, '.');
    dot[3] = dot[3] == 'x' ? 'y' : 'x';
    CHECK_INT(check(a, auth, &why), MCP_EACCES);
    mcp__free(auth);

    expect_jwt(a, es, good, ec, 0, NULL);
    char *scoped = claims(ISSUER, "[\"https://other.test\",\"" RESOURCE "\"]",
                          "\"exp\":9999999999,\"scope\":\"drive.read  drive.write\"");
    auth = mint(es, scoped, ec);
    CHECK_INT(mcp__auth_check(a, auth, now, &id, &why), 0);
    if (id) {
        CHECK_INT(id->origin.nscopes, 2);
        CHECK(mcp__identity_has_scope(id, "drive.write"));
        CHECK(!mcp__identity_has_scope(id, "drive"));
    }
    mcp__identity_unref(id);
    id = NULL;
    mcp__free(auth);
    mcp__free(scoped);
    scoped = claims(ISSUER, "\"" RESOURCE "\"", "\"exp\":9999999999,\"scp\":[\"a\",\"b\",\"c\"]");
    auth = mint(rs, scoped, rsa);
    CHECK_INT(mcp__auth_check(a, auth, now, &id, &why), 0);
    if (id)
        CHECK_INT(id->origin.nscopes, 3);
    mcp__identity_unref(id);
    id = NULL;
    mcp__free(auth);
    mcp__free(scoped);

    /* No kid: fine while one key of the type could have signed it. */
    expect_jwt(a, "{\"alg\":\"ES256\"}", good, ec, 0, NULL);
    /* Signed by a key we do not know, under a kid we know or one we do not. */
    expect_jwt(a, rs, good, rsa_other, MCP_EACCES, "The access token signature is invalid");
    expect_jwt(a, "{\"alg\":\"RS256\",\"kid\":\"rsa-9\"}", good, rsa, MCP_EACCES,
               "The access token is signed with an unknown key");
    /* A kid of the other type: the algorithm and the key must agree. */
    expect_jwt(a, "{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}", good, ec, MCP_EACCES,
               "The access token is signed with an unknown key");
    expect_jwt(a, "{\"alg\":\"RS256\",\"kid\":\"ec-1\"}", good, rsa, MCP_EACCES,
               "The access token is signed with an unknown key");
    /* Algorithms we do not take. */
    expect_jwt(a, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", good, rsa, MCP_EACCES,
               "The access token is not signed with RS256 or ES256");
    expect_jwt(a, "{\"alg\":\"PS256\",\"kid\":\"rsa-1\"}", good, rsa, MCP_EACCES,
               "The access token is not signed with RS256 or ES256");
    expect_jwt(a, "{\"kid\":\"rsa-1\"}", good, rsa, MCP_EACCES,
               "The access token is not signed with RS256 or ES256");
    expect_jwt(a, "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[\"x\"],\"x\":1}", good, rsa,
               MCP_EACCES, NULL);
    {
        /* alg none, with an empty signature and with a stolen one. */
        char *h = mcp__base64_encode("{\"alg\":\"none\"}", 14, true);
        char *c = mcp__base64_encode(good, strlen(good), true);
        struct mcp__buf b;
        mcp__buf_init(&b, 1 << 16);
        mcp__buf_addf(&b, "Bearer %s.%s.", h, c);
        CHECK_INT(check(a, mcp__buf_str(&b), &why), MCP_EACCES);
        CHECK_STR(why, "The access token is not signed with RS256 or ES256");
        mcp__buf_adds(&b, "AAAA");
        CHECK_INT(check(a, mcp__buf_str(&b), &why), MCP_EACCES);
        CHECK_STR(why, "The access token is not signed with RS256 or ES256");
        mcp__buf_release(&b);
        mcp__free(h);
        mcp__free(c);
    }
    /* Claims: issuer, audience, expiry, not-before, subject. */
    char *c = claims("https://evil.test", "\"" RESOURCE "\"", NULL);
    expect_jwt(a, rs, c, rsa, MCP_EACCES, "The access token was issued by another issuer");
    mcp__free(c);
    c = claims(ISSUER, "\"https://mcp.example.test/other\"", NULL);
    expect_jwt(a, es, c, ec, MCP_EACCES, "The access token is meant for another resource");
    mcp__free(c);
    c = claims(ISSUER, "[\"https://a.test\",\"https://b.test\"]", NULL);
    expect_jwt(a, es, c, ec, MCP_EACCES, "The access token is meant for another resource");
    mcp__free(c);
    c = claims(ISSUER, "[]", NULL);
    expect_jwt(a, es, c, ec, MCP_EACCES, "The access token is meant for another resource");
    mcp__free(c);
    char extra[128];
    snprintf(extra, sizeof extra, "\"exp\":%ld", (long)now - 120);
    c = claims(ISSUER, "\"" RESOURCE "\"", extra);
    expect_jwt(a, rs, c, rsa, MCP_EACCES, "The access token expired");
    mcp__free(c);
    snprintf(extra, sizeof extra, "\"exp\":%ld", (long)now - 10); /* within the leeway */
    c = claims(ISSUER, "\"" RESOURCE "\"", extra);
    expect_jwt(a, rs, c, rsa, 0, NULL);
    mcp__free(c);
    c = claims(ISSUER, "\"" RESOURCE "\"", "\"nbf\":1");
    expect_jwt(a, rs, c, rsa, MCP_EACCES, "The access token expired"); /* no exp at all */
    mcp__free(c);
    snprintf(extra, sizeof extra, "\"exp\":%ld,\"nbf\":%ld", (long)now + 3600, (long)now + 600);
    c = claims(ISSUER, "\"" RESOURCE "\"", extra);
    expect_jwt(a, rs, c, rsa, MCP_EACCES, "The access token is not valid yet");
    mcp__free(c);
    snprintf(extra, sizeof extra, "\"exp\":%ld,\"nbf\":%ld", (long)now + 3600, (long)now + 30);
    c = claims(ISSUER, "\"" RESOURCE "\"", extra);
    expect_jwt(a, rs, c, rsa, 0, NULL);
    mcp__free(c);
    c = mcp__strdup("{\"iss\":\"" ISSUER "\",\"aud\":\"" RESOURCE "\",\"exp\":9999999999}");
    expect_jwt(a, rs, c, rsa, MCP_EACCES, "The access token has no subject");
    mcp__free(c);
    expect_jwt(a, rs, "[1,2]", rsa, MCP_EACCES, "The access token is malformed");
    expect_jwt(a, "not json", good, rsa, MCP_EACCES, "The access token is malformed");
    /* Structure: segments, alphabet, padding. */
    CHECK_INT(check(a, "Bearer a.b", &why), MCP_EACCES);
    CHECK_INT(check(a, "Bearer a.b.c.d", &why), MCP_EACCES);
    CHECK_INT(check(a, "Bearer ...", &why), MCP_EACCES);
    auth = mint(es, good, ec);
    struct mcp__buf b;
    mcp__buf_init(&b, 1 << 16);
    mcp__buf_addf(&b, "%s=", auth);
    CHECK_INT(check(a, mcp__buf_str(&b), &why), MCP_EACCES);
    CHECK_STR(why, "The access token is malformed");
    mcp__buf_release(&b);
    /* An ES256 signature of the wrong length. */
    auth[strlen(auth) - 4] = '\0';
    CHECK_INT(check(a, auth, &why), MCP_EACCES);
    mcp__free(auth);
    mcp__free(good);
    mcp__auth_free(a);

    /* Configuration mistakes stop the server with a sentence. */
    struct mcp_http_options opt;
    mcp_http_options_init(&opt);
    opt.auth_jwks_file = jwks_path;
    opt.auth_resource = RESOURCE;
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL); /* no issuer */
    opt.auth_issuer = ISSUER;
    opt.auth_resource = NULL;
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL); /* no resource */
    opt.auth_resource = "https://mcp.example.test/mcp\" x=\"y";
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL);
    opt.auth_resource = RESOURCE;
    write_file(jwks_path, "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}");
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL); /* nothing usable */
    write_file(jwks_path, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" /* off-curve */
                          "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"y\":"
                          "\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}");
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL);
    write_file(jwks_path, "[]");
    CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL);
    {
        /* RSA under 2048 bits is refused. */
        EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
        mcp__buf_init(&b, 1 << 16);
        mcp__buf_adds(&b, "{\"keys\":[");
        add_rsa_jwk(&b, small, "small");
        mcp__buf_adds(&b, "]}");
        write_file(jwks_path, mcp__buf_str(&b));
        mcp__buf_release(&b);
        CHECK_INT(mcp__auth_new(&opt, NULL, &a), MCP_EINVAL);
        EVP_PKEY_free(small);
    }
    write_jwks();
}

static void test_metadata(void)
{
    struct mcp_http_options opt;
    mcp_http_options_init(&opt);
    opt.auth_jwks_file = jwks_path;
    opt.auth_issuer = ISSUER;
    opt.auth_resource = RESOURCE;
    opt.auth_required_scope = "mcp";
    static const struct mcp_tool_binding one[] = {{"read", tool, NULL}};
    struct mcp_server *srv = mcp_server_new("drive", "1");
    CHECK_INT(mcp_server_add_manifest_tools(
                  srv,
                  "{\"name\":\"drive\",\"tools\":[{\"name\":\"read\",\"description\":\"d\","
                  "\"scope\":\"drive.read\",\"inputSchema\":{\"type\":\"object\"}}]}",
                  one, 1),
              0);
    struct mcp__auth *a = NULL;
    CHECK_INT(mcp__auth_new(&opt, srv, &a), 0);
    if (!a) {
        mcp_server_free(srv);
        return;
    }
    CHECK(mcp__auth_is_metadata_path(a, "/.well-known/oauth-protected-resource"));
    CHECK(mcp__auth_is_metadata_path(a, "/.well-known/oauth-protected-resource/mcp"));
    CHECK(!mcp__auth_is_metadata_path(a, "/.well-known/oauth-protected-resource/other"));
    CHECK(!mcp__auth_is_metadata_path(a, "/mcp"));
    char *doc = mcp__auth_metadata(a, "evil.test");
    cJSON *m = doc ? mcp__json_parse(doc, strlen(doc)) : NULL;
    CHECK_STR(mcp__json_str(m, "resource"), RESOURCE);
    CHECK_STR(cJSON_GetArrayItem(mcp__json_arr(m, "authorization_servers"), 0)->valuestring,
              ISSUER);
    const cJSON *scopes = mcp__json_arr(m, "scopes_supported");
    CHECK_INT(cJSON_GetArraySize(scopes), 2);
    CHECK_STR(cJSON_GetArrayItem(scopes, 0)->valuestring, "mcp");
    CHECK_STR(cJSON_GetArrayItem(scopes, 1)->valuestring, "drive.read");
    CHECK_STR(cJSON_GetArrayItem(mcp__json_arr(m, "bearer_methods_supported"), 0)->valuestring,
              "header");
    cJSON_Delete(m);
    mcp__free(doc);

    char *ch = mcp__auth_challenge(a, "x", MCP__CHALLENGE_MISSING, NULL, NULL);
    CHECK_STR(ch, "Bearer resource_metadata=\"https://mcp.example.test/.well-known/"
                  "oauth-protected-resource/mcp\", scope=\"mcp\"");
    mcp__free(ch);
    ch = mcp__auth_challenge(a, "x", MCP__CHALLENGE_INVALID, NULL, "The access token expired");
    CHECK_STR(ch, "Bearer error=\"invalid_token\", resource_metadata=\"https://mcp.example.test/"
                  ".well-known/oauth-protected-resource/mcp\", scope=\"mcp\", "
                  "error_description=\"The access token expired\"");
    mcp__free(ch);
    ch = mcp__auth_challenge(a, "x", MCP__CHALLENGE_SCOPE, "drive.read", NULL);
    CHECK_STR(ch, "Bearer error=\"insufficient_scope\", resource_metadata=\"https://"
                  "mcp.example.test/.well-known/oauth-protected-resource/mcp\", "
                  "scope=\"mcp drive.read\"");
    mcp__free(ch);
    mcp__auth_free(a);

    /* Token-file mode without a resource URL: built from the (validated) Host header. */
    char d[65], file[128];
    hex_digest("t", d);
    snprintf(file, sizeof file, "%s\n", d);
    write_file(tokens_path, file);
    mcp_http_options_init(&opt);
    opt.auth_token_file = tokens_path;
    a = NULL;
    CHECK_INT(mcp__auth_new(&opt, srv, &a), 0);
    if (a) {
        doc = mcp__auth_metadata(a, "127.0.0.1:8080");
        m = doc ? mcp__json_parse(doc, strlen(doc)) : NULL;
        CHECK_STR(mcp__json_str(m, "resource"), "http://127.0.0.1:8080/mcp");
        CHECK(mcp__json_get(m, "authorization_servers") == NULL);
        CHECK_STR(cJSON_GetArrayItem(mcp__json_arr(m, "scopes_supported"), 0)->valuestring,
                  "drive.read");
        cJSON_Delete(m);
        mcp__free(doc);
        ch = mcp__auth_challenge(a, "bad\"host", MCP__CHALLENGE_MISSING, NULL, NULL);
        CHECK_STR(ch, "Bearer resource_metadata=\"http://localhost/.well-known/"
                      "oauth-protected-resource/mcp\", scope=\"drive.read\"");
        mcp__free(ch);
        mcp__auth_free(a);
    }
    mcp_server_free(srv);
}

/* Every allocation in loading and checking may fail: nothing leaks or crashes. */
static void test_alloc_failures(void)
{
    char d[65], file[256];
    hex_digest("tok", d);
    snprintf(file, sizeof file, "%s bob a b c\n", d);
    write_file(tokens_path, file);
    char *good = claims(ISSUER, "\"" RESOURCE "\"", "\"exp\":9999999999,\"scope\":\"x y\"");
    char *jwt = mint("{\"alg\":\"ES256\",\"kid\":\"ec-1\"}", good, ec);
    struct mcp_http_options opt;
    mcp_http_options_init(&opt);
    opt.auth_token_file = tokens_path;
    opt.auth_jwks_file = jwks_path;
    opt.auth_issuer = ISSUER;
    opt.auth_resource = RESOURCE;
    opt.auth_required_scope = "x";
    int ok = 0;
    for (long n = 1; n < 400; n++) {
        struct mcp__auth *a = NULL;
        mcp__alloc_fail_at(n);
        if (mcp__auth_new(&opt, NULL, &a) == 0) {
            const char *why;
            struct mcp__identity *id = NULL;
            if (mcp__auth_check(a, jwt, now, &id, &why) == 0)
                ok++;
            mcp__identity_unref(id);
            id = NULL;
            mcp__auth_check(a, "Bearer tok", now, &id, &why);
            mcp__identity_unref(id);
            mcp__free(mcp__auth_metadata(a, "h"));
            mcp__free(mcp__auth_challenge(a, "h", MCP__CHALLENGE_SCOPE, "y", "w"));
        }
        mcp__alloc_fail_at(0);
        mcp__auth_free(a);
    }
    CHECK(ok > 0);
    mcp__free(jwt);
    mcp__free(good);
}

/* --- Served: the token's scopes reach the engine for every POST. */

struct server_run {
    struct mcp_server *srv;
    struct mcp_http_options opt;
    int rc;
    bool done;
};

static void *serve(void *arg)
{
    struct server_run *r = arg;
    r->rc = mcp_server_serve_http(r->srv, &r->opt);
    __atomic_store_n(&r->done, true, __ATOMIC_SEQ_CST);
    return NULL;
}

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
    mcp__buf_add(ud, data, size * n);
    return size * n;
}

struct reply {
    long status;
    struct mcp__buf body;
    struct mcp__buf headers;
};

static void post(unsigned short port, const char *token, const char *session, bool modern,
                 const char *method, const char *body, struct reply *out)
{
    char url[64], line[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/mcp", port);
    mcp__buf_init(&out->body, 1 << 20);
    mcp__buf_init(&out->headers, 1 << 16);
    out->status = 0;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json, text/event-stream");
    if (token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, line);
    }
    if (session) {
        snprintf(line, sizeof line, "Mcp-Session-Id: %s", session);
        h = curl_slist_append(h, line);
        h = curl_slist_append(h, "MCP-Protocol-Version: 2025-06-18");
    }
    if (modern) {
        h = curl_slist_append(h, "MCP-Protocol-Version: 2026-07-28");
        snprintf(line, sizeof line, "Mcp-Method: %s", method);
        h = curl_slist_append(h, line);
        if (strcmp(method, "tools/call") == 0)
            h = curl_slist_append(h, "Mcp-Name: read");
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static void reply_release(struct reply *r)
{
    mcp__buf_release(&r->body);
    mcp__buf_release(&r->headers);
}

/* The names of the tools in a tools/list reply, space-separated, into `out`. */
static void tool_names(const struct reply *r, char *out, size_t size)
{
    out[0] = '\0';
    const char *json = strstr(mcp__buf_str(&r->body), "{");
    cJSON *msg = json ? mcp__json_parse(json, strcspn(json, "\r\n")) : NULL;
    const cJSON *t;
    size_t used = 0;
    cJSON_ArrayForEach (t, mcp__json_arr(mcp__json_obj(msg, "result"), "tools")) {
        used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "",
                                 mcp__json_str(t, "name"));
        if (used >= size)
            break;
    }
    cJSON_Delete(msg);
}

#define META                                                                                       \
    "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","                       \
    "\"io.modelcontextprotocol/clientCapabilities\":{}}"

static void test_served(void)
{
    char d1[65], d2[65], d3[65], file[512];
    hex_digest("reader-token", d1);
    hex_digest("writer-token", d2);
    hex_digest("outsider-token", d3);
    snprintf(file, sizeof file,
             "%s reader mcp drive.read\n%s writer mcp drive.read drive.write\n%s out drive.read\n",
             d1, d2, d3);
    write_file(tokens_path, file);
    static const struct mcp_tool_binding bindings[] = {{"read", tool, NULL}, {"write", tool, NULL}};
    struct server_run run = {.srv = mcp_server_new("drive", "1")};
    CHECK_INT(mcp_server_add_manifest_tools(
                  run.srv,
                  "{\"name\":\"drive\",\"tools\":["
                  "{\"name\":\"read\",\"description\":\"d\",\"scope\":\"drive.read\","
                  "\"inputSchema\":{\"type\":\"object\"}},"
                  "{\"name\":\"write\",\"description\":\"d\",\"scope\":\"drive.write\","
                  "\"inputSchema\":{\"type\":\"object\"}}]}",
                  bindings, 2),
              0);
    mcp_http_options_init(&run.opt);
    run.opt.auth_token_file = tokens_path;
    run.opt.auth_required_scope = "mcp";
    pthread_t thread;
    bool up = false;
    for (int attempt = 0; attempt < 8 && !up; attempt++) {
        run.opt.port = (unsigned short)(20000 + (unsigned)(rand() % 20000));
        run.done = false;
        pthread_create(&thread, NULL, serve, &run);
        for (int i = 0; i < 100 && !up && !__atomic_load_n(&run.done, __ATOMIC_SEQ_CST); i++) {
            struct reply r;
            post(run.opt.port, NULL, NULL, false, "ping", "{}", &r);
            up = r.status == 401;
            reply_release(&r);
            if (!up)
                usleep(50000);
        }
        if (!up) {
            /* Port taken: serving already returned. Anything else cannot be retried, since a
             * stopped server stays stopped. */
            bool bound = !__atomic_load_n(&run.done, __ATOMIC_SEQ_CST);
            if (bound)
                mcp_server_stop(run.srv);
            pthread_join(thread, NULL);
            if (bound)
                break;
        }
    }
    CHECK(up);
    if (!up) {
        mcp_server_free(run.srv);
        return;
    }
    unsigned short port = run.opt.port;
    struct reply r;
    char names[256];

    /* Legacy: initialize, then list and call within the session. */
    post(port, "reader-token", NULL, false, "initialize",
         "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
         "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
         "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
         &r);
    CHECK_INT(r.status, 200);
    char session[80] = "";
    const char *sid = strstr(mcp__buf_str(&r.headers), "Mcp-Session-Id: ");
    if (!sid)
        sid = strstr(mcp__buf_str(&r.headers), "mcp-session-id: ");
    if (sid)
        snprintf(session, sizeof session, "%.*s", (int)strcspn(sid + 16, "\r\n"), sid + 16);
    reply_release(&r);
    CHECK(session[0] != '\0');
    post(port, "reader-token", session, false, "notifications/initialized",
         "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &r);
    CHECK_INT(r.status, 202);
    reply_release(&r);
    post(port, "reader-token", session, false, "tools/list",
         "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", &r);
    CHECK_INT(r.status, 200);
    tool_names(&r, names, sizeof names);
    CHECK_STR(names, "read");
    reply_release(&r);
    /* The session belongs to the reader: the writer's token does not find it. */
    post(port, "writer-token", session, false, "tools/list",
         "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}", &r);
    CHECK_INT(r.status, 404);
    reply_release(&r);
    /* Without a session, the writer's scopes show on a 2026-07-28 request. */
    post(port, "writer-token", NULL, true, "tools/list",
         "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
         "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
         "\"io.modelcontextprotocol/clientCapabilities\":{}}}}",
         &r);
    tool_names(&r, names, sizeof names);
    CHECK_STR(names, "read write");
    reply_release(&r);
    post(port, "reader-token", session, false, "tools/call",
         "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"read\"}}",
         &r);
    CHECK_INT(r.status, 200);
    CHECK(strstr(mcp__buf_str(&r.body), "hello reader") != NULL);
    reply_release(&r);
    /* A tool whose scope the token lacks: 403 naming the scope to ask for. */
    post(port, "reader-token", session, false, "tools/call",
         "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"write\"}}",
         &r);
    CHECK_INT(r.status, 403);
    CHECK(strstr(mcp__buf_str(&r.headers), "error=\"insufficient_scope\"") != NULL);
    CHECK(strstr(mcp__buf_str(&r.headers), "scope=\"mcp drive.write\"") != NULL);
    reply_release(&r);
    /* A batch of one goes through the engine, which applies the same scopes. */
    post(port, "reader-token", session, false, "tools/list",
         "[{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/list\"}]", &r);
    CHECK(r.status == 200 || r.status == 400);
    CHECK(strstr(mcp__buf_str(&r.body), "\"write\"") == NULL);
    reply_release(&r);

    /* 2026-07-28: stateless, same narrowing. */
    post(port, "reader-token", NULL, true, "tools/list",
         "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\",\"params\":{" META "}}", &r);
    CHECK_INT(r.status, 200);
    tool_names(&r, names, sizeof names);
    CHECK_STR(names, "read");
    reply_release(&r);
    post(port, "writer-token", NULL, true, "tools/call",
         "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"read\","
         "\"arguments\":{}," META "}}",
         &r);
    CHECK_INT(r.status, 200);
    CHECK(strstr(mcp__buf_str(&r.body), "hello writer") != NULL);
    reply_release(&r);

    /* Refusals. */
    post(port, NULL, NULL, true, "tools/list", "{}", &r);
    CHECK_INT(r.status, 401);
    CHECK(strstr(mcp__buf_str(&r.headers), "resource_metadata=\"http://127.0.0.1:") != NULL);
    CHECK(strstr(mcp__buf_str(&r.headers), "error=") == NULL);
    reply_release(&r);
    post(port, "wrong-token", NULL, true, "tools/list", "{}", &r);
    CHECK_INT(r.status, 401);
    CHECK(strstr(mcp__buf_str(&r.headers), "error=\"invalid_token\"") != NULL);
    CHECK(strstr(mcp__buf_str(&r.body), "wrong-token") == NULL);
    reply_release(&r);

    /* Valid, but without the scope every request needs. */
    post(port, "outsider-token", NULL, true, "tools/list",
         "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\",\"params\":{" META "}}", &r);
    CHECK_INT(r.status, 403);
    CHECK(strstr(mcp__buf_str(&r.headers), "error=\"insufficient_scope\", ") != NULL);
    CHECK(strstr(mcp__buf_str(&r.headers), "scope=\"mcp\"") != NULL);
    reply_release(&r);

    mcp_server_stop(run.srv);
    pthread_join(thread, NULL);
    CHECK_INT(run.rc, 0);
    mcp_server_free(run.srv);
}

int main(void)
{
    mcp__alloc_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    now = time(NULL);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(tokens_path, sizeof tokens_path, "%s/tokens", dir);
    snprintf(jwks_path, sizeof jwks_path, "%s/jwks.json", dir);
    rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    rsa_other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CHECK(rsa && rsa_other && ec);
    if (rsa && rsa_other && ec) {
        test_token_file();
        test_jwt();
        test_metadata();
        test_alloc_failures();
        test_served();
    }
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(rsa_other);
    EVP_PKEY_free(ec);
    unlink(tokens_path);
    unlink(jwks_path);
    rmdir(dir);
    curl_global_cleanup();
    return test_report();
}
