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

/* Replaces each "--config FILE" in argv by the options FILE holds: a JSON object whose members
 * are long option names without the dashes, e.g. {"root": ["/data/a", "/data/b"],
 * "read-only": true, "http": "127.0.0.1:8741"}. A string or number becomes "--name VALUE",
 * true "--name", false nothing, an array one option per element. The options stand where
 * --config stood, so one given later on the command line wins. On success *argv is a new
 * vector (owned: free with mcp_args_free) and *argc its length; returns 0. Returns 2, with
 * one sentence on stderr naming the file, for a missing or malformed file. mcp_main calls it
 * itself; a connector that parses options of its own calls it first. */
int mcp_args_expand_config(int *argc, char ***argv, const char *prog);
void mcp_args_free(char **argv);

#endif
