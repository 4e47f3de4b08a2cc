/* libcurl, loaded when the first WebDAV root is opened instead of at program start: libcurl
 * and the libraries it pulls in cost a drive 3.5 ms and 6.7 MiB at start, and a drive that
 * serves only local folders never uses them. webdav.c calls the usual curl_* names; the
 * macros below route them through the table drive_curl_load() fills.
 *
 * Type checks. With GCC, <curl/curl.h> wraps curl_easy_setopt and curl_easy_getinfo in macros
 * that check each argument against the type its option takes (curl/typecheck-gcc.h): a string
 * given to a long option fails the build. Those macros end in a call of the function itself,
 * so routing the call through the table means replacing them, checks and all. Instead of
 * copying curl's checks, the Makefile compiles webdav.c a second time with DRIVE_CURL_DIRECT
 * defined, where the names below are left alone and curl's macros do their work, and throws
 * that object away: every build still runs the checks, and the binary links no libcurl. */
#ifndef DRIVE_CURL_LIB_H
#define DRIVE_CURL_LIB_H

#include <stddef.h>

#include <curl/curl.h>

#define DRIVE_CURL_FUNCTIONS(X)                                                                    \
    X(curl_easy_cleanup)                                                                           \
    X(curl_easy_getinfo)                                                                           \
    X(curl_easy_init)                                                                              \
    X(curl_easy_perform)                                                                           \
    X(curl_easy_reset)                                                                             \
    X(curl_easy_setopt)                                                                            \
    X(curl_easy_strerror)                                                                          \
    X(curl_free)                                                                                   \
    X(curl_getdate)                                                                                \
    X(curl_global_init)                                                                            \
    X(curl_slist_append)                                                                           \
    X(curl_slist_free_all)                                                                         \
    X(curl_url)                                                                                    \
    X(curl_url_cleanup)                                                                            \
    X(curl_url_get)                                                                                \
    X(curl_url_set)

/* A pointer to each function, by its own name (a function-like macro's name not followed by
 * a parenthesis is not expanded, so curl's setopt and getinfo macros leave these alone). */
#define DRIVE_CURL_FIELD(name) __typeof__(name) *name;
struct drive_curl {
    DRIVE_CURL_FUNCTIONS(DRIVE_CURL_FIELD)
};
#undef DRIVE_CURL_FIELD

/* The functions; filled by the first drive_curl_load() that succeeds, to be used only after
 * one did. */
extern struct drive_curl drive_curl;

/* Loads libcurl and runs curl_global_init, once (thread-safe). Returns 0, or MCP_ENOTSUP with
 * a sentence in why (every call gives the same) when the library, one of its functions or
 * its initialisation is missing. */
int drive_curl_load(char *why, size_t whylen);

/* curl_lib.c fills the table by these names, so it alone sees the functions themselves. */
#if !defined(DRIVE_CURL_LOADER) && !defined(DRIVE_CURL_DIRECT)
#undef curl_easy_getinfo
#undef curl_easy_setopt
#define curl_easy_cleanup (*drive_curl.curl_easy_cleanup)
#define curl_easy_getinfo (*drive_curl.curl_easy_getinfo)
#define curl_easy_init (*drive_curl.curl_easy_init)
#define curl_easy_perform (*drive_curl.curl_easy_perform)
#define curl_easy_reset (*drive_curl.curl_easy_reset)
#define curl_easy_setopt (*drive_curl.curl_easy_setopt)
#define curl_easy_strerror (*drive_curl.curl_easy_strerror)
#define curl_free (*drive_curl.curl_free)
#define curl_getdate (*drive_curl.curl_getdate)
#define curl_global_init (*drive_curl.curl_global_init)
#define curl_slist_append (*drive_curl.curl_slist_append)
#define curl_slist_free_all (*drive_curl.curl_slist_free_all)
#define curl_url (*drive_curl.curl_url)
#define curl_url_cleanup (*drive_curl.curl_url_cleanup)
#define curl_url_get (*drive_curl.curl_url_get)
#define curl_url_set (*drive_curl.curl_url_set)
#endif

#endif
