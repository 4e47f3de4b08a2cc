/* audit verify FILE: checks an audit log written by a server's --audit with libmcp's own
 * verifier, so the CLI and the servers cannot disagree about what a valid chain is. */
#include "registry.h"

#include <stdio.h>
#include <string.h>

#include "mcp/audit.h"
#include "mcp/error.h"

#include "banned.h"

static long count_lines(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    long n = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

int reg_cmd_audit(const struct reg_opts *o)
{
    if (o->nargs != 2 || strcmp(o->args[0], "verify") != 0) {
        reg_err("usage: mcp-registry audit verify FILE");
        return 2;
    }
    const char *path = o->args[1];
    char msg[512] = "";
    int rc = mcp_audit_verify(path, msg, sizeof msg);
    if (rc == MCP_EIO) {
        fprintf(stderr, "%s: cannot be read%s%s\n", path, msg[0] ? ": " : "", msg);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "%s: %s\n", path, msg[0] ? msg : mcp_strerror(rc));
        return 1;
    }
    printf("%s: %ld line%s, hash chain intact\n", path, count_lines(path),
           count_lines(path) == 1 ? "" : "s");
    return 0;
}
