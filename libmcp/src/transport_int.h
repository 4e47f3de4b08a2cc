/* Entry points of the transports that mcp_main chooses between. */
#ifndef MCP_TRANSPORT_INT_H
#define MCP_TRANSPORT_INT_H

struct mcp_server;
struct mcp_http_options;

/* Serves Streamable HTTP on "HOST:PORT" (IPv6 as "[::1]:PORT") until stopped, with the other
 * settings from `base` (borrowed; NULL: the defaults). */
int mcp__serve_http_address(struct mcp_server *srv, const char *host_port,
                            const struct mcp_http_options *base);

#endif
