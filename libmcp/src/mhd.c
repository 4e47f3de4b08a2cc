#include "mhd_int.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "mcp/error.h"

#include "banned.h"

struct mcp__mhd mcp__mhd;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_rc;

/* Pointers to functions come from dlsym as object pointers; POSIX guarantees the two
 * convert, ISO C does not, hence the copy instead of a cast. */
static int resolve(void *lib, const char *name, void *slot, size_t size)
{
    void *fn = dlsym(lib, name);
    if (!fn) {
        fprintf(stderr, "libmcp: libmicrohttpd lacks %s\n", name);
        return MCP_ENOTSUP;
    }
    memcpy(slot, &fn, size);
    return 0;
}

#define RESOLVE(lib, field, name) resolve(lib, name, &mcp__mhd.field, sizeof mcp__mhd.field)

static void load(void)
{
    void *lib = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "libmcp: cannot load libmicrohttpd for --http: %s\n", dlerror());
        load_rc = MCP_ENOTSUP;
        return;
    }
    load_rc =
        RESOLVE(lib, add_response_header, "MHD_add_response_header") ||
                RESOLVE(lib, create_response_from_buffer, "MHD_create_response_from_buffer") ||
                RESOLVE(lib, create_response_from_callback, "MHD_create_response_from_callback") ||
                RESOLVE(lib, destroy_response, "MHD_destroy_response") ||
                RESOLVE(lib, get_connection_info, "MHD_get_connection_info") ||
                RESOLVE(lib, lookup_connection_value, "MHD_lookup_connection_value") ||
                RESOLVE(lib, queue_response, "MHD_queue_response") ||
                RESOLVE(lib, start_daemon, "MHD_start_daemon") ||
                RESOLVE(lib, stop_daemon, "MHD_stop_daemon")
            ? MCP_ENOTSUP
            : 0;
    /* The library stays loaded for the life of the process: servers may be started again. */
}

int mcp__mhd_load(void)
{
    pthread_once(&once, load);
    return load_rc;
}
