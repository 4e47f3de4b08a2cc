/* Error codes of libmcp: one table generates the enum and mcp_strerror(). */
#ifndef MCP_ERROR_H
#define MCP_ERROR_H

#define MCP_ERRORS(X)                                                                              \
    X(OK, 0, "success")                                                                            \
    X(ENOMEM, -1, "out of memory")                                                                 \
    X(EINVAL, -2, "invalid argument")                                                              \
    X(E2BIG, -3, "size limit exceeded")                                                            \
    X(ENOENT, -4, "not found")                                                                     \
    X(EEXIST, -5, "already exists")                                                                \
    X(EIO, -6, "input/output error")                                                               \
    X(ECANCELED, -7, "cancelled by the client")                                                    \
    X(ETIMEDOUT, -8, "timed out")                                                                  \
    X(ENOTSUP, -9, "the client does not support this request")                                     \
    X(EPEER, -10, "the client answered with an error")                                             \
    X(EINPUT, -11, "input required: return this code from the handler")                            \
    X(EACCES, -12, "not permitted")                                                                \
    X(EPARSE, -13, "malformed JSON")                                                               \
    X(ECLOSED, -14, "connection closed")                                                           \
    X(EAGAIN, -15, "temporarily unavailable, try again")                                           \
    X(ESTATE, -16, "request state is invalid, expired or bound to another call")

enum mcp_error {
#define MCP_ERROR_ENUM(name, code, text) MCP_##name = (code),
    MCP_ERRORS(MCP_ERROR_ENUM)
#undef MCP_ERROR_ENUM
};

/* Returns a static English description of an MCP_E* code (never NULL). */
const char *mcp_strerror(int code);

#endif
