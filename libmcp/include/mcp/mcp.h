/* libmcp: Model Context Protocol servers in C. Include this one header. */
#ifndef MCP_MCP_H
#define MCP_MCP_H

#include "mcp/audit.h"
#include "mcp/call.h"
#include "mcp/error.h"
#include "mcp/main.h"
#include "mcp/server.h"

#define MCP_LIBRARY_VERSION "0.1.0"

#endif
