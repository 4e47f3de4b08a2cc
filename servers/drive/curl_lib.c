#define DRIVE_CURL_LOADER
#include "curl_lib.h"

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

#define DRIVE_CURL_SYMBOL(name) {#name, &drive_curl.name, sizeof drive_curl.name},
static const struct drive_symbol symbols[] = {DRIVE_CURL_FUNCTIONS(DRIVE_CURL_SYMBOL)};
#undef DRIVE_CURL_SYMBOL

static void load(void)
{
    load_rc = drive_dlopen(SONAME, "libcurl4", symbols, sizeof symbols / sizeof *symbols, failure,
                           sizeof failure);
    if (load_rc)
        return;
    /* Once per process, before any thread uses curl. */
    CURLcode rc = drive_curl.curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(failure, sizeof failure, "could not initialise libcurl: %s",
                 drive_curl.curl_easy_strerror(rc));
        load_rc = MCP_ENOTSUP;
    }
}

int drive_curl_load(char *why, size_t whylen)
{
    pthread_once(&once, load);
    if (load_rc)
        snprintf(why, whylen, "%s", failure);
    return load_rc;
}
