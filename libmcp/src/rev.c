#include "rev_int.h"

#include <stddef.h>
#include <string.h>

#include "banned.h"

#define F_2025_06 (MCP__F_TOOL_ANNOTATIONS | MCP__F_STRUCTURED | MCP__F_ELICITATION)

static const struct mcp__rev revisions[] = {
    {"2026-07-28", F_2025_06 | MCP__F_ICONS | MCP__F_MODERN},
    {"2025-11-25", F_2025_06 | MCP__F_ICONS},
    {"2025-06-18", F_2025_06},
    {"2025-03-26", MCP__F_BATCH | MCP__F_TOOL_ANNOTATIONS},
    {"2024-11-05", 0},
    {NULL, 0},
};

const struct mcp__rev *mcp__rev_find(const char *version)
{
    if (!version)
        return NULL;
    for (const struct mcp__rev *r = revisions; r->version; r++)
        if (strcmp(r->version, version) == 0)
            return r;
    return NULL;
}

const struct mcp__rev *mcp__rev_latest_legacy(void)
{
    return &revisions[1];
}

const struct mcp__rev *mcp__rev_latest(void)
{
    return &revisions[0];
}

const struct mcp__rev *mcp__rev_all(void)
{
    return revisions;
}
