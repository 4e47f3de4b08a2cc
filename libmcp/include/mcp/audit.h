/* The audit log: one JSON line per tool call and resource read, in a SHA-256 hash chain. */
#ifndef MCP_AUDIT_H
#define MCP_AUDIT_H

#include <stddef.h>

struct mcp_server;

/* Appends an audit line for every tool call and resource read of `srv` to the file at
 * `path` (borrowed), continuing the chain of lines already there. Each line holds the time,
 * connector, profile, principal, tool or URI, the SHA-256 of the arguments (never the
 * arguments), the outcome and the duration, plus the previous line's hash and its own; it is
 * written whole and fsynced before the call's answer goes out. Returns MCP_EIO when the file
 * cannot be opened or its last line is not a valid audit line. */
int mcp_server_set_audit(struct mcp_server *srv, const char *path);

/* Checks a whole audit file: every line's hash, the chain from one line to the next, and the
 * sequence numbers. Returns 0, or MCP_EINVAL with the first bad line's number and what is
 * wrong in msg ("line 7: hash does not match its contents (edited?)"). MCP_EIO when the file
 * cannot be read. */
int mcp_audit_verify(const char *path, char *msg, size_t msglen);

#endif
