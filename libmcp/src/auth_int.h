/* Authentication for the Streamable HTTP transport: bearer tokens checked against a file of
 * SHA-256 digests, and OAuth 2.1 resource-server mode validating JWT access tokens (RS256,
 * ES256) against keys from a JWKS file. Also what the transport needs to answer for it: the
 * RFC 9728 protected-resource metadata and the WWW-Authenticate challenges of RFC 6750.
 *
 * Tokens are never logged, printed or kept: only their digest is compared, and a JWT's claims
 * are copied out of it. */
#ifndef MCP_AUTH_INT_H
#define MCP_AUTH_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "engine_int.h"

struct mcp_http_options;
struct mcp_server;
struct mcp__auth;

/* Whom a valid token speaks for. Reference-counted and immutable once made: each request in
 * flight holds a reference, so the origin it hands the engine outlives the HTTP request. */
struct mcp__identity {
    struct mcp__origin origin; /* what the engine sees; points into the fields below */
    char *principal;           /* owned: the JWT "sub", or the token file's name */
    char **scopes;             /* owned; unused when all_scopes */
    size_t nscopes;
    bool all_scopes; /* a token-file line that names no scopes grants every scope */
    atomic_uint refs;
};

void mcp__identity_ref(struct mcp__identity *id);
/* Drops a reference; frees on the last. NULL is a no-op. */
void mcp__identity_unref(struct mcp__identity *id);
/* True when the identity was granted `scope`. */
bool mcp__identity_has_scope(const struct mcp__identity *id, const char *scope);

/* Loads what `opt` configures (auth_token_file, auth_jwks_file, ...). Sets *out to a new
 * checker (free with mcp__auth_free), or to NULL when authentication is off. `srv` (borrowed,
 * may be NULL) names the server in messages and, unless opt->auth_scopes_supported is set,
 * supplies scopes_supported from its tools' scopes: call this after the tools are added.
 * Returns 0, MCP_ENOMEM, or MCP_EINVAL after printing one sentence to stderr saying what is
 * wrong (unreadable file, bad line, no usable key, missing issuer or resource). */
int mcp__auth_new(const struct mcp_http_options *opt, const struct mcp_server *srv,
                  struct mcp__auth **out);
void mcp__auth_free(struct mcp__auth *a);

/* Checks an Authorization header value (borrowed, may be NULL) at time `now`. Returns 0 with
 * *out holding a new identity reference; MCP_ENOENT when no bearer token was given;
 * MCP_EACCES when the token is not accepted, with *why a static sentence for the client
 * (safe inside a quoted header value); MCP_ENOMEM. */
int mcp__auth_check(const struct mcp__auth *a, const char *authorization, time_t now,
                    struct mcp__identity **out, const char **why);

/* The first scope every request needs (opt->auth_required_scope) that `id` lacks, or NULL. */
const char *mcp__auth_missing_scope(const struct mcp__auth *a, const struct mcp__identity *id);

/* True when `path` is where the protected-resource metadata is served: the well-known path,
 * bare or followed by the resource's path (RFC 9728 section 3.1). */
bool mcp__auth_is_metadata_path(const struct mcp__auth *a, const char *path);

/* The protected-resource metadata document (owned string, mcp__free), or NULL on ENOMEM.
 * `host` is the request's validated Host header (borrowed, may be NULL); it forms the
 * resource URL when none is configured. */
char *mcp__auth_metadata(const struct mcp__auth *a, const char *host);

enum mcp__challenge {
    MCP__CHALLENGE_MISSING, /* 401, no token */
    MCP__CHALLENGE_INVALID, /* 401, error="invalid_token" */
    MCP__CHALLENGE_SCOPE,   /* 403, error="insufficient_scope" */
};

/* A WWW-Authenticate value (owned string, mcp__free), or NULL on ENOMEM. `extra_scope`
 * (borrowed, may be NULL) is a scope this request needs beyond the required ones; `why`
 * (borrowed, may be NULL) becomes error_description. */
char *mcp__auth_challenge(const struct mcp__auth *a, const char *host, enum mcp__challenge kind,
                          const char *extra_scope, const char *why);

#endif
