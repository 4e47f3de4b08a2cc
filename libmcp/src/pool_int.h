/* A pool of worker threads that grows on demand up to a cap, so a handler waiting for the
 * client (an ask, a long download) never stops the others from running. */
#ifndef MCP_POOL_INT_H
#define MCP_POOL_INT_H

typedef void (*mcp__job_fn)(void *arg);

struct mcp__pool;

/* Creates a pool that keeps up to `max_threads` workers. NULL on ENOMEM. */
struct mcp__pool *mcp__pool_new(unsigned max_threads);

/* Queues fn(arg). Returns 0 or MCP_ENOMEM (then fn was not queued). */
int mcp__pool_submit(struct mcp__pool *pool, mcp__job_fn fn, void *arg);

/* Runs every queued job, waits for the workers to finish, and frees the pool. */
void mcp__pool_free(struct mcp__pool *pool);

#endif
