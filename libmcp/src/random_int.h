/* Secret random bytes straight from the kernel (getrandom(2)): session ids and the state
 * key need nothing more, and OpenSSL's generator costs a millisecond or two to seed on first
 * use, which a server would pay on its first session. */
#ifndef MCP_RANDOM_INT_H
#define MCP_RANDOM_INT_H

#include <stddef.h>

/* Fills `buf` with `len` random bytes: 0, or MCP_EIO when the kernel cannot give them. */
int mcp__random(void *buf, size_t len);

#endif
