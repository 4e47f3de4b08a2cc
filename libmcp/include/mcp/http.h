/* Serving Streamable HTTP with options beyond mcp_main's --http HOST:PORT. */
#ifndef MCP_HTTP_H
#define MCP_HTTP_H

#include <stddef.h>

struct mcp_server;

struct mcp_http_options {
    const char *host;                 /* numeric address to bind; default 127.0.0.1 */
    unsigned short port;              /* default 8080 */
    const char *endpoint;             /* default "/mcp" */
    const char *const *allowed_hosts; /* Host/Origin names accepted (DNS rebinding guard);
                                         default localhost, 127.0.0.1, [::1], any port */
    size_t nallowed_hosts;
    size_t max_body;                     /* larger POST bodies get 413; default 4 MiB */
    size_t max_sessions;                 /* live legacy sessions; default 1000 */
    unsigned session_ttl_seconds;        /* idle sessions expire; default 600 */
    size_t max_connections;              /* default 512 */
    unsigned connection_timeout_seconds; /* an idle or slow connection is closed; default 300 */

    /* Authentication: off unless auth_token_file or auth_jwks_file is set; then every request
     * to the endpoint needs "Authorization: Bearer TOKEN" (see docs/auth.md). */
    const char *auth_token_file; /* SHA-256 hex digests of accepted tokens, one a line, each
                                    optionally followed by a principal and its scopes */
    const char *auth_jwks_file;  /* OAuth resource-server mode: JWT access tokens (RS256,
                                    ES256) signed by a key in this JWKS file */
    const char *auth_issuer;     /* with auth_jwks_file: the "iss" tokens must carry */
    const char *auth_resource;   /* this server's canonical URL: the "aud" tokens must name
                                    and the metadata's "resource"; required with
                                    auth_jwks_file; default http://HOST/endpoint */
    const char *auth_server;     /* authorization server advertised in the metadata;
                                    default auth_issuer */
    const char *const *auth_scopes_supported; /* advertised scopes; default the required
                                                 scopes and the scopes of the tools */
    size_t nauth_scopes_supported;
    const char *auth_required_scope; /* space-separated scopes every request needs, or NULL */
};

/* Fills `opt` with the defaults above. All pointers in it are borrowed and must outlive
 * serving. */
void mcp_http_options_init(struct mcp_http_options *opt);

/* Serves Streamable HTTP until mcp_server_stop() (SIGTERM/SIGINT under mcp_main). Returns 0,
 * MCP_EINVAL for a bad address or authentication settings that cannot be loaded (a sentence
 * on stderr says why), MCP_EIO when the port cannot be bound. */
int mcp_server_serve_http(struct mcp_server *srv, const struct mcp_http_options *opt);

#endif
