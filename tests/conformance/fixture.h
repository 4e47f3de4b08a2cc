/* The conformance fixture server: every tool, resource and prompt the official MCP
 * conformance suite calls by name, for the 2025-11-25 and 2026-07-28 requirement sets. */
#ifndef MCP_FIXTURE_H
#define MCP_FIXTURE_H

#include <cjson/cJSON.h>

#include "mcp/mcp.h"

/* A 1x1 PNG and a minimal WAV, the bytes the suite expects back. */
extern const unsigned char fixture_png[];
extern const unsigned long fixture_png_len;
extern const unsigned char fixture_wav[];
extern const unsigned long fixture_wav_len;

/* Each adds one group to the server; 0 or the first MCP_E* error. */
int fixture_add_tools(struct mcp_server *srv);
int fixture_add_input_tools(struct mcp_server *srv);
int fixture_add_task_tools(struct mcp_server *srv);
int fixture_add_resources(struct mcp_server *srv);
int fixture_add_prompts(struct mcp_server *srv);

/* The string member `field` of an elicitation answer's content, or "unknown". */
const char *fixture_answer_text(const cJSON *answer, const char *field);

#endif
