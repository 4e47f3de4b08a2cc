#define DRIVE_CURL_LOADER
#include "curl_lib.h"

#include <pthread.h>
#include <stdio.h>

#include <mcp/mcp.h>

#include "drive.h"

/* The library's name since curl 7.16 (2006); curl's headers do not say it. */
#define SONAME "libcurl.so.4"

struct drive_curl drive_curl;

#define DRIVE_CURL_SYMBOL(name) {#name, &drive_curl.name, sizeof drive_curl.name},
static const struct drive_symbol symbols[] = {DRIVE_CURL_FUNCTIONS(DRIVE_CURL_SYMBOL)};
#undef DRIVE_CURL_SYMBOL

/* Once per process, before any thread uses curl. */
static int set_up(char *why, size_t whylen)
{
    CURLcode rc = drive_curl.curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc == CURLE_OK)
        return 0;
    snprintf(why, whylen, "could not initialise libcurl: %s", drive_curl.curl_easy_strerror(rc));
    return MCP_ENOTSUP;
}

static struct drive_library curl = {.soname = SONAME,
                                    .package = "libcurl4",
                                    .symbols = symbols,
                                    .nsymbols = sizeof symbols / sizeof *symbols,
                                    .set_up = set_up,
                                    .lock = PTHREAD_MUTEX_INITIALIZER};

int drive_curl_load(char *why, size_t whylen)
{
    return drive_library_load(&curl, why, whylen);
}
