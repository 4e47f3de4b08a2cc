#include "alloc_int.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "banned.h"

static atomic_long fail_countdown;

static bool should_fail(void)
{
    long n = atomic_load(&fail_countdown);
    while (n > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
            return n == 1;
    }
    return false;
}

void mcp__alloc_fail_at(long n)
{
    atomic_store(&fail_countdown, n);
}

void *mcp__malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *mcp__calloc(size_t nmemb, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(nmemb ? nmemb : 1, size ? size : 1);
}

void *mcp__reallocarray(void *ptr, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    size_t total = nmemb * size;
    return realloc(ptr, total ? total : 1);
}

char *mcp__strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *copy = mcp__malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *mcp__strdup(const char *s)
{
    return mcp__strndup(s, SIZE_MAX);
}

void mcp__free(void *ptr)
{
    free(ptr);
}

void mcp__free_secret(void *ptr, size_t len)
{
    if (!ptr)
        return;
    explicit_bzero(ptr, len);
    free(ptr);
}

void mcp__alloc_init(void)
{
    static atomic_flag done = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&done))
        return;
    cJSON_Hooks hooks = {.malloc_fn = mcp__malloc, .free_fn = mcp__free};
    cJSON_InitHooks(&hooks);
}
