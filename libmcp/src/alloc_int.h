/* Allocation for all of libmcp: overflow-checked, and able to fail on purpose so tests can
 * prove that every allocation failure is handled. Also installed as cJSON's hooks. */
#ifndef MCP_ALLOC_INT_H
#define MCP_ALLOC_INT_H

#include <stddef.h>

void *mcp__malloc(size_t size);
void *mcp__calloc(size_t nmemb, size_t size);
/* Like realloc, but fails when nmemb * size overflows. */
void *mcp__reallocarray(void *ptr, size_t nmemb, size_t size);
char *mcp__strdup(const char *s);
char *mcp__strndup(const char *s, size_t n);
void mcp__free(void *ptr);

/* Overwrites `len` bytes at `ptr` in a way the compiler keeps, then frees: for secrets. */
void mcp__free_secret(void *ptr, size_t len);

/* Freed small blocks wait in a per-thread cache for reuse (alloc.c), except under the
 * sanitizers, which must see every allocation and free. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MCP__SANITIZED 1
#endif
#ifdef __has_feature /* clang says it this way */
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define MCP__SANITIZED 1
#endif
#endif
#ifndef MCP__SANITIZED
#define MCP__SMALL_CACHE 1
#endif

/* Test hook: the Nth allocation from now fails (1 = the next); 0 turns failures off. */
void mcp__alloc_fail_at(long n);

/* Makes cJSON allocate through the functions above. Idempotent; called by mcp_server_new. */
void mcp__alloc_init(void);

#endif
