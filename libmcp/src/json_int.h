/* Typed, case-sensitive access to cJSON values, and the few JSON operations libmcp needs
 * beyond cJSON. Getters return NULL / the fallback when the member is absent or of another
 * type, so callers check one thing. */
#ifndef MCP_JSON_INT_H
#define MCP_JSON_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf_int.h"

const char *mcp__json_str(const cJSON *obj, const char *key);
const cJSON *mcp__json_obj(const cJSON *obj, const char *key);
const cJSON *mcp__json_arr(const cJSON *obj, const char *key);
const cJSON *mcp__json_get(const cJSON *obj, const char *key);
bool mcp__json_bool(const cJSON *obj, const char *key, bool fallback);

/* Parses exactly `len` bytes of JSON (no trailing garbage). NULL on malformed input, and on
 * a string holding U+0000 or an unpaired surrogate, which cJSON would cut short or refuse. */
cJSON *mcp__json_parse(const char *text, size_t len);

/* True when the text has one of those escapes. */
bool mcp__json_bad_escapes(const char *text, size_t len);

/* The "id" of a message refused for one of those escapes (owned), so the answer can name the
 * request; NULL when there is none or the message is malformed otherwise. */
cJSON *mcp__json_recover_id(const char *text, size_t len);

/* Parses JSON text known to be valid (built into the program); NULL only on ENOMEM. */
cJSON *mcp__json_parse_str(const char *text);

/* Prints without whitespace into a new string (owned; mcp__free). NULL on ENOMEM. */
char *mcp__json_print(const cJSON *value);
/* The length of the text mcp__json_print would give, without making it; false where it
 * would give NULL for anything but memory (a value cJSON cannot print). */
bool mcp__json_printed_length(const cJSON *value, size_t *len);
/* {"jsonrpc":"2.0","id":ID,"result":RESULT}, the text mcp__json_print gives for that
 * object, without building it: every answer is one. */
char *mcp__json_print_result(const cJSON *id, const cJSON *result);

/* Prints with object keys sorted, so equal values print equally (for digests). */
int mcp__json_print_canonical(const cJSON *value, struct mcp__buf *out);

/* True when a and b are equal JSON values (numbers by value, objects regardless of order). */
bool mcp__json_equal(const cJSON *a, const cJSON *b);

/* Adds a duplicate of `value` (borrowed) under `key`; false on ENOMEM. */
bool mcp__json_add_copy(cJSON *obj, const char *key, const cJSON *value);

/* Adds a new empty object under `key` and returns it; NULL on ENOMEM. */
cJSON *mcp__json_add_obj(cJSON *obj, const char *key);

/* Adds `item` (taken, freed on failure) under `key`, or to an array when key is NULL. */
bool mcp__json_add_take(cJSON *obj, const char *key, cJSON *item);

/* True when the bytes are valid UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
bool mcp__utf8_valid(const char *s, size_t len);

/* The value of hex digit `c` (either case), or -1. */
int mcp__hex_value(int c);

/* Writes `v` in decimal into the bytes that end just before `end` (20 at most) and returns
 * where the digits begin. */
char *mcp__decimal(char *end, long long v);

#endif
