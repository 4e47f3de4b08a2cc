/* The protocol revisions libmcp speaks, and what each one has. Every version-dependent
 * decision in libmcp asks this table instead of comparing version strings. */
#ifndef MCP_REV_INT_H
#define MCP_REV_INT_H

#include <stdbool.h>

enum mcp__feature {
    MCP__F_BATCH = 1u << 0,            /* JSON-RPC batches (2025-03-26 only) */
    MCP__F_TOOL_ANNOTATIONS = 1u << 1, /* tool annotations, audio content, completions */
    MCP__F_STRUCTURED = 1u << 2,       /* title, outputSchema, structuredContent, resource_link */
    MCP__F_ELICITATION = 1u << 3,      /* elicitation/create */
    MCP__F_ICONS = 1u << 4,            /* icons, websiteUrl, elicitation enums and URL mode */
    MCP__F_MODERN = 1u << 5,           /* stateless: _meta version, resultType, input_required */
};

struct mcp__rev {
    const char *version;
    unsigned features;
};

/* The revision named `version`, or NULL when libmcp does not speak it. */
const struct mcp__rev *mcp__rev_find(const char *version);

/* The newest legacy (initialize-based) revision, offered when a client asks for an unknown
 * one in initialize. */
const struct mcp__rev *mcp__rev_latest_legacy(void);

/* The modern revision used when a request does not say. */
const struct mcp__rev *mcp__rev_latest(void);

/* All revisions, newest first, terminated by an entry with a NULL version. */
const struct mcp__rev *mcp__rev_all(void);

static inline bool mcp__rev_has(const struct mcp__rev *rev, enum mcp__feature f)
{
    return rev && (rev->features & f);
}

#endif
