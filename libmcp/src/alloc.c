#include "alloc_int.h"

#include <malloc.h>
#include <pthread.h>
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

/* Small blocks freed by a thread wait in that thread's cache for its next allocations of
 * their size. glibc's own per-thread cache keeps seven blocks of a size, but a request's
 * cJSON tree has a dozen nodes and as many short strings, so most of their allocations and
 * frees took malloc's slower paths: a quarter of an echo call's CPU. Cached here: blocks
 * whose usable size is one of glibc's four smallest (24, 40, 56, 72 bytes), up to
 * CACHED_PER_SIZE of each; malloc_usable_size tells a block's size, so a block from any
 * allocator is only ever reused for what fits it. A thread's cache is freed when it exits.
 * Sanitizer builds go without, so they see every allocation and free. */
#ifdef MCP__SMALL_CACHE
#define SMALL_SIZES 4
#define SMALLEST 24
#define LARGEST (SMALLEST + 16 * (SMALL_SIZES - 1))
#define CACHED_PER_SIZE 32

struct small_cache {
    void *head[SMALL_SIZES]; /* each block's first bytes point to the next */
    unsigned count[SMALL_SIZES];
    bool registered; /* the thread's exit frees it */
};

static __thread struct small_cache cache __attribute__((tls_model("initial-exec")));
static pthread_key_t cache_key;
static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;
static bool cache_key_made;

static void drop_cache(void *arg)
{
    struct small_cache *c = arg;
    for (int k = 0; k < SMALL_SIZES; k++) {
        while (c->head[k]) {
            void *block = c->head[k];
            memcpy(&c->head[k], block, sizeof block);
            free(block);
        }
        c->count[k] = 0;
    }
    c->registered = false;
}

static void make_cache_key(void)
{
    cache_key_made = pthread_key_create(&cache_key, drop_cache) == 0;
}

/* Takes a cached block for `size` bytes, or NULL. Inline in both allocators: a call costs as
 * much as what it does. */
static inline void *cached(size_t size)
{
    if (size > LARGEST)
        return NULL;
    int k = size <= SMALLEST ? 0 : (int)(size - SMALLEST + 15) / 16;
    void *block = cache.head[k];
    if (block) {
        memcpy(&cache.head[k], block, sizeof block);
        cache.count[k]--;
    }
    return block;
}

/* Keeps a block that is about to be freed, if it is small and there is room. */
static bool keep(void *block)
{
    size_t usable = malloc_usable_size(block);
    if (usable < SMALLEST || usable > LARGEST || (usable - SMALLEST) % 16)
        return false;
    int k = (int)(usable - SMALLEST) / 16;
    if (cache.count[k] >= CACHED_PER_SIZE)
        return false;
    if (!cache.registered) {
        pthread_once(&cache_key_once, make_cache_key);
        if (!cache_key_made || pthread_setspecific(cache_key, &cache))
            return false;
        cache.registered = true;
    }
    memcpy(block, &cache.head[k], sizeof block);
    cache.head[k] = block;
    cache.count[k]++;
    return true;
}
#else
static void *cached(size_t size)
{
    (void)size;
    return NULL;
}

static bool keep(void *block)
{
    (void)block;
    return false;
}
#endif

void *mcp__malloc(size_t size)
{
    if (should_fail())
        return NULL;
    void *block = cached(size);
    return block ? block : malloc(size ? size : 1);
}

void *mcp__calloc(size_t nmemb, size_t size)
{
    if (should_fail())
        return NULL;
    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    /* Small zeroed blocks come and go per request too (in-flight records, calls). */
    void *block = cached(nmemb * size);
    if (block) {
        memset(block, 0, nmemb * size);
        return block;
    }
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
    if (ptr && !keep(ptr))
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
