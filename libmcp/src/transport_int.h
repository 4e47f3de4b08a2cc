/* Entry points of the transports that mcp_main chooses between. */
#ifndef MCP_TRANSPORT_INT_H
#define MCP_TRANSPORT_INT_H

struct mcp_server;

/* Serves Streamable HTTP on "HOST:PORT" (IPv6 as "[::1]:PORT") until stopped. */
int mcp__serve_http_address(struct mcp_server *srv, const char *host_port);

#endif
