/* A minimal MCP client for verify: starts a server as a child process and talks to it over
 * its stdin/stdout or over Streamable HTTP on a free 127.0.0.1 port. One request at a time;
 * requests the server sends back (sampling, elicitation, roots) are declined. */
#ifndef REGISTRY_CLIENT_H
#define REGISTRY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "buf_int.h"

struct reg_client {
    pid_t pid;
    int to_server;          /* the child's stdin (stdio), else -1 */
    int from_server;        /* the child's stdout (stdio), else -1 */
    struct mcp__buf unread; /* bytes read from the child's stdout after the last line used */
    char *url;              /* Streamable HTTP endpoint (owned), or NULL for stdio */
    char *session;          /* Mcp-Session-Id (owned), or NULL */
    char log[64];           /* file holding the child's stderr */
    cJSON *server_info;     /* initialize's serverInfo (owned), or NULL */
    long next_id;
};

/* Starts `argv` (argv[0] an absolute path; borrowed). With `http_path` (e.g. "/mcp") the
 * value after "--http" is replaced by 127.0.0.1:PORT on a free port and the server is
 * reached over HTTP; otherwise over stdio. Then runs initialize. Returns 0, or -1 with one
 * sentence in `why` (including the server's own complaint when it exited). */
int reg_client_start(struct reg_client *c, char *const *argv, const char *http_path, char *why,
                     size_t whylen);

/* Sends a request (`params` taken) and waits for its answer. Returns 0 with the result
 * (owned) in *result; 1 when the server answered with a JSON-RPC error (code in *code, the
 * message in `why`); -1 on a transport failure or time-out (`why` says which). */
int reg_client_call(struct reg_client *c, const char *method, cJSON *params, cJSON **result,
                    int *code, char *why, size_t whylen);

/* Ends the session and the child (SIGTERM, then SIGKILL) and removes its log. */
void reg_client_stop(struct reg_client *c);

#endif
