#include "mcp/error.h"

#include "banned.h"

const char *mcp_strerror(int code)
{
    switch (code) {
#define MCP_ERROR_TEXT(name, value, text)                                                          \
    case MCP_##name:                                                                               \
        return text;
        MCP_ERRORS(MCP_ERROR_TEXT)
#undef MCP_ERROR_TEXT
    }
    return "unknown error";
}
