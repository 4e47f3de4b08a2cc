#define DRIVE_CURL_LOADER
#include "curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include <mcp/mcp.h>

#include "drive.h"

/* The library's name since curl 7.16 (2006); curl's headers do not say it. */
#define SONAME "libcurl.so.4"

struct drive_curl drive_curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_rc;
static char failure[512]; /* set by load(): what went wrong */

static void load(void)
{
    void *lib = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(failure, sizeof failure,
                 "cannot load " SONAME ", which WebDAV needs (Debian package libcurl4): %s",
                 dlerror());
        load_rc = MCP_ENOTSUP;
        return;
    }
#define DRIVE_CURL_RESOLVE(name)                                                                   \
    if (!load_rc)                                                                                  \
        load_rc = drive_dlsym(lib, SONAME, #name, &drive_curl.name, sizeof drive_curl.name,        \
                              failure, sizeof failure);
    DRIVE_CURL_FUNCTIONS(DRIVE_CURL_RESOLVE)
#undef DRIVE_CURL_RESOLVE
    if (load_rc)
        return;
    /* Once per process, before any thread uses curl. */
    CURLcode rc = drive_curl.curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(failure, sizeof failure, "could not initialise libcurl: %s",
                 drive_curl.curl_easy_strerror(rc));
        load_rc = MCP_ENOTSUP;
    }
    /* The library stays loaded for the life of the process, like a linked one. */
}

int drive_curl_load(char *why, size_t whylen)
{
    pthread_once(&once, load);
    if (load_rc)
        snprintf(why, whylen, "%s", failure);
    return load_rc;
}
