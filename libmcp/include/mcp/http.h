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
};

/* Fills `opt` with the defaults above. All pointers in it are borrowed and must outlive
 * serving. */
void mcp_http_options_init(struct mcp_http_options *opt);

/* Serves Streamable HTTP until mcp_server_stop() (SIGTERM/SIGINT under mcp_main). Returns 0,
 * MCP_EINVAL for a bad address, MCP_EIO when the port cannot be bound. */
int mcp_server_serve_http(struct mcp_server *srv, const struct mcp_http_options *opt);

#endif
