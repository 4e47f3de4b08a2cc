/* The argument validator: JSON Schema 2020-12 validation of a tool's arguments before its
 * handler runs, and of its structuredContent against its outputSchema.
 *
 * Supported assertions: type, enum, const, required, properties, patternProperties,
 * additionalProperties, propertyNames, minProperties, maxProperties, prefixItems, items,
 * contains (with minContains, maxContains), minItems, maxItems, uniqueItems, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength (in code points),
 * pattern, format (date-time, date, time, email, uri, uuid; other formats are annotations),
 * allOf, anyOf, oneOf, not, if/then/else, $ref to a pointer into the same document, and the
 * boolean schemas. Patterns are ECMA-262 translated to POSIX extended regular expressions;
 * what cannot be translated (look-around, back-references, \b, non-ASCII inside [...]) is
 * rejected by mcp__schema_check. Matching is byte-wise in the C locale, so `.` and negated
 * classes match one byte of a multi-byte character, and \s matches only ASCII white space.
 *
 * A tool's schemas never change once it is added, so they are compiled then
 * (mcp__schema_compile): every schema object's keywords and their values, each $ref's target
 * and each pattern's regex_t, found once rather than on every call. Any number of threads may
 * validate against it at once: a kept regex_t serves one match at a time and strings of up to
 * 256 bytes, and any other match compiles its own copy (glibc's regexec locks a regex_t, and
 * keeps in it the states a string made it build).
 *
 * No function here keeps state between calls; all are safe to call from any thread. */
#ifndef MCP_SCHEMA_INT_H
#define MCP_SCHEMA_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Checks at registration that `schema` (borrowed) is a schema libmcp can enforce: every
 * keyword is an assertion this validator implements or a known annotation (or starts with
 * "x-"), every keyword's value has the right shape, patterns translate and compile, and every
 * $ref resolves inside the document. Returns 0, MCP_EINVAL with one sentence in `msg` naming
 * the keyword and its location as a JSON pointer (e.g. "#/properties/zip"), or MCP_ENOMEM.
 * `msg` (msglen bytes, may be 0) is always NUL-terminated when msglen > 0, "" on success. */
int mcp__schema_check(const cJSON *schema, char *msg, size_t msglen);

/* Validates `instance` against `schema` (both borrowed; `schema` is the root that "#/$defs/..."
 * refs resolve against). Keywords mcp__schema_check would reject are ignored here.
 * Returns 0 when valid; MCP_EINVAL with one sentence in `msg` naming the argument as a path
 * (`address.zip`, `tags[2]`; the top level is "arguments") and the rule broken, e.g.
 *   argument 'count' must be at most 100 (maximum)
 *   missing required argument 'path'
 *   argument 'mode' must be one of "read", "write" (enum)
 *   unknown argument 'foo' (additionalProperties is false)
 * also when the instance nests deeper than 128 levels, $refs loop without descending into
 * the instance, or the schema would take more than 10 million subschema evaluations (anyOf or
 * oneOf branches that all recurse); MCP_ENOMEM on allocation failure. A NULL schema accepts
 * everything.
 * `msg` is as for mcp__schema_check; a message too long for it ends in "...".
 * It compiles `schema` for this one call: a schema used on every call is compiled once with
 * mcp__schema_compile instead. */
int mcp__schema_validate(const cJSON *schema, const cJSON *instance, char *msg, size_t msglen);

/* A schema compiled for validation. It borrows the schema's cJSON tree, which must outlive it. */
struct mcp__schema;

/* Checks `schema` (borrowed) as mcp__schema_check does, then compiles it. Returns 0 with the
 * compiled form in *out (free it with mcp__schema_free), MCP_EINVAL with the sentence of
 * mcp__schema_check in `msg`, or MCP_ENOMEM; *out is written only on success. */
int mcp__schema_compile(const cJSON *schema, char *msg, size_t msglen, struct mcp__schema **out);

/* Frees a compiled schema; NULL is a no-op. */
void mcp__schema_free(struct mcp__schema *s);

/* Validates `instance` (borrowed) against the compiled schema `s` (borrowed; NULL accepts
 * everything): the same results and messages as mcp__schema_validate on the schema `s` was
 * compiled from. Any number of threads may share one `s`. */
int mcp__schema_validate_compiled(const struct mcp__schema *s, const cJSON *instance, char *msg,
                                  size_t msglen);

#endif
