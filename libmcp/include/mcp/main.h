/* One entry point for every server: the shared command line, so a connector's main() is a
 * few lines. */
#ifndef MCP_MAIN_H
#define MCP_MAIN_H

struct mcp_server;

/* Parses the shared command line (--stdio, --http HOST:PORT, --profile FILE, --audit FILE,
 * --config FILE, --log-level LEVEL, --manifest, --help, --version), serves `srv` (taken:
 * freed before returning) until end of input or SIGTERM/SIGINT, and returns the process exit
 * status: 0, 1 on a serving error, 2 on a usage error. */
int mcp_main(struct mcp_server *srv, int argc, char **argv);

#endif
