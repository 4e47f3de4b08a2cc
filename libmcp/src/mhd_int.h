/* libmicrohttpd, loaded when the first HTTP server starts instead of at program start: it
 * pulls in GnuTLS and its dependencies, half of a stdio server's cold start for a library
 * stdio never uses. The HTTP code calls the usual MHD_* names; they resolve to the loaded
 * functions through the macros below. */
#ifndef MCP_MHD_INT_H
#define MCP_MHD_INT_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

struct mcp__mhd {
    enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
    struct MHD_Response *(*create_response_from_buffer)(size_t, void *,
                                                        enum MHD_ResponseMemoryMode);
    struct MHD_Response *(*create_response_from_callback)(uint64_t, size_t,
                                                          MHD_ContentReaderCallback, void *,
                                                          MHD_ContentReaderFreeCallback);
    void (*destroy_response)(struct MHD_Response *);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *,
                                                           enum MHD_ConnectionInfoType, ...);
    const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind,
                                           const char *);
    enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
    struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                       MHD_AccessHandlerCallback, void *, ...);
    void (*stop_daemon)(struct MHD_Daemon *);
};

extern struct mcp__mhd mcp__mhd;

/* Loads libmicrohttpd once (thread-safe). Returns 0, or MCP_ENOTSUP with the reason on
 * stderr when the library or one of its functions is missing. */
int mcp__mhd_load(void);

#define MHD_add_response_header (mcp__mhd.add_response_header)
#define MHD_create_response_from_buffer (mcp__mhd.create_response_from_buffer)
#define MHD_create_response_from_callback (mcp__mhd.create_response_from_callback)
#define MHD_destroy_response (mcp__mhd.destroy_response)
#define MHD_get_connection_info (mcp__mhd.get_connection_info)
#define MHD_lookup_connection_value (mcp__mhd.lookup_connection_value)
#define MHD_queue_response (mcp__mhd.queue_response)
#define MHD_start_daemon (mcp__mhd.start_daemon)
#define MHD_stop_daemon (mcp__mhd.stop_daemon)

#endif
