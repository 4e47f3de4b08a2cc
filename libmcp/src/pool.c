#include "pool_int.h"

#include <pthread.h>
#include <stdbool.h>

#include "alloc_int.h"
#include "mcp/error.h"

#include "banned.h"

struct job {
    mcp__job_fn fn;
    void *arg;
    struct job *next;
};

struct mcp__pool {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job was queued, or the pool is closing */
    struct job *head, *tail;
    pthread_t *threads;
    unsigned nthreads, max_threads;
    unsigned idle;   /* workers waiting for a job */
    unsigned queued; /* jobs no worker has taken yet */
    bool closing;
};

static void *worker(void *arg)
{
    struct mcp__pool *pool = arg;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->head && !pool->closing) {
            pool->idle++;
            pthread_cond_wait(&pool->work, &pool->lock);
            pool->idle--;
        }
        struct job *j = pool->head;
        if (!j)
            break; /* closing, and nothing left to run */
        pool->head = j->next;
        if (!pool->head)
            pool->tail = NULL;
        pool->queued--;
        pthread_mutex_unlock(&pool->lock);
        j->fn(j->arg);
        mcp__free(j);
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

struct mcp__pool *mcp__pool_new(unsigned max_threads)
{
    struct mcp__pool *pool = mcp__calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->max_threads = max_threads ? max_threads : 1;
    pool->threads = mcp__calloc(pool->max_threads, sizeof(*pool->threads));
    if (!pool->threads) {
        mcp__free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    return pool;
}

int mcp__pool_submit(struct mcp__pool *pool, mcp__job_fn fn, void *arg)
{
    struct job *j = mcp__malloc(sizeof(*j));
    if (!j)
        return MCP_ENOMEM;
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&pool->lock);
    /* A new worker only when every idle one already has a job waiting for it: most servers
     * need one or two, and a woken worker that has not yet run still counts as idle. */
    if (pool->idle <= pool->queued && pool->nthreads < pool->max_threads &&
        pthread_create(&pool->threads[pool->nthreads], NULL, worker, pool) == 0)
        pool->nthreads++;
    if (!pool->nthreads) {
        pthread_mutex_unlock(&pool->lock);
        mcp__free(j);
        return MCP_EAGAIN;
    }
    if (pool->tail)
        pool->tail->next = j;
    else
        pool->head = j;
    pool->tail = j;
    pool->queued++;
    bool wake = pool->idle > 0;
    pthread_mutex_unlock(&pool->lock);
    /* Signalled after unlocking, so the woken worker does not block on the lock at once. */
    if (wake)
        pthread_cond_signal(&pool->work);
    return 0;
}

void mcp__pool_free(struct mcp__pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->closing = true;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->nthreads; i++)
        pthread_join(pool->threads[i], NULL);
    for (struct job *j = pool->head, *next; j; j = next) {
        next = j->next;
        j->fn(j->arg);
        mcp__free(j);
    }
    pthread_cond_destroy(&pool->work);
    pthread_mutex_destroy(&pool->lock);
    mcp__free(pool->threads);
    mcp__free(pool);
}
