#define MCP__CRYPTO_LOADER
#include "crypto_int.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/opensslv.h>

#include "banned.h"

#define SONAME_OF(major) "libcrypto.so." #major
#define SONAME(major) SONAME_OF(major)

static struct mcp__crypto table;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure; /* set by load(): what went wrong */
static char failure_detail[256];

/* dlsym returns an object pointer; POSIX guarantees it converts to a function pointer, ISO C
 * does not, hence the copy instead of a cast. */
static int resolve(void *lib, const char *name, void *slot, size_t size)
{
    void *fn = dlsym(lib, name);
    if (!fn) {
        failure = "libcrypto lacks a function";
        snprintf(failure_detail, sizeof failure_detail, "%s", name);
        return -1;
    }
    memcpy(slot, &fn, size);
    return 0;
}

static void load(void)
{
    /* Built against these headers, so the library of the same major version is the one. */
    void *lib = dlopen(SONAME(OPENSSL_SHLIB_VERSION), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        failure = "cannot load " SONAME(OPENSSL_SHLIB_VERSION);
        snprintf(failure_detail, sizeof failure_detail, "%s", dlerror());
        return;
    }
#define MCP__CRYPTO_RESOLVE(name)                                                                  \
    if (resolve(lib, #name, &table.name, sizeof table.name))                                       \
        return;
    MCP__CRYPTO_FUNCTIONS(MCP__CRYPTO_RESOLVE)
#undef MCP__CRYPTO_RESOLVE
    /* The library stays loaded for the life of the process, like any linked library. */
}

const struct mcp__crypto *mcp__crypto(void)
{
    pthread_once(&once, load);
    if (failure) {
        fprintf(stderr, "libmcp: %s: %s\n", failure, failure_detail);
        abort();
    }
    return &table;
}
