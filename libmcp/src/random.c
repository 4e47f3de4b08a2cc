#include "random_int.h"

#include <errno.h>
#include <sys/random.h>

#include "mcp/error.h"

#include "banned.h"

int mcp__random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        /* Blocks only until the kernel's pool is first seeded, early in boot. */
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return MCP_EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
