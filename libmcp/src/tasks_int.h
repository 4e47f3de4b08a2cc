/* The tasks extension (io.modelcontextprotocol/tasks, 2026-07-28): a tool call the handler
 * turns into a task with mcp_call_start_task() is answered at once with CreateTaskResult and
 * goes on in the background on its worker thread; the client polls tasks/get, answers the
 * task's questions with tasks/update and stops it with tasks/cancel.
 *
 * Tasks live in a store of the server, keyed by an unguessable random id and bound to the
 * principal that created them: another principal's task id is as good as none. A task is kept
 * for its ttlMs after it was created, then forgotten (and stopped, if still running); the
 * store holds at most max_tasks of them, of which at most max_active run at once. */
#ifndef MCP_TASKS_INT_H
#define MCP_TASKS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define MCP__TASKS_EXT "io.modelcontextprotocol/tasks"

/* What a tool's definition declares in execution.taskSupport. */
enum mcp__task_support {
    MCP__TASK_FORBIDDEN, /* the default: never a task */
    MCP__TASK_OPTIONAL,  /* a task when the client declared the extension */
    MCP__TASK_REQUIRED,  /* refused (-32021) when the client did not declare it */
};

enum mcp__task_status {
    MCP__TASK_WORKING,
    MCP__TASK_INPUT_REQUIRED,
    MCP__TASK_COMPLETED,
    MCP__TASK_FAILED,
    MCP__TASK_CANCELLED,
};

struct mcp__task {
    char id[40];     /* base64url of random bytes */
    char *principal; /* owned; NULL without authentication */
    enum mcp__task_status status;
    char *status_message; /* owned, or NULL */
    int64_t created_ms, updated_ms, expires_ms;
    cJSON *result;         /* completed: the tool result */
    cJSON *error;          /* failed: the JSON-RPC error object */
    cJSON *input_requests; /* input_required: key -> request still unanswered */
    cJSON *answers;        /* answers received and not yet taken by the handler */
    atomic_bool cancelled; /* the handler must stop: tasks/cancel or expiry */
    unsigned refs;         /* the store's while listed, and one per holder */
    bool listed;
    struct mcp__task *next;
};

struct mcp__tasks {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* answers arrived, or a task was cancelled or forgotten */
    struct mcp__task *head;
    size_t count;      /* tasks listed */
    size_t active;     /* tasks whose handler still runs */
    size_t max_tasks;  /* listed tasks at most; the oldest finished one makes room */
    size_t max_active; /* running tasks at most: each holds a worker thread */
    long ttl_ms;       /* how long a task is kept after its creation */
    long poll_ms;      /* the polling interval suggested to clients */
};

/* Creates an empty store with the defaults; NULL on ENOMEM. */
struct mcp__tasks *mcp__tasks_new(void);

/* Frees the store and every task in it; no handler may still run. NULL is a no-op. */
void mcp__tasks_free(struct mcp__tasks *ts);

/* Creates a working task of `principal` (borrowed, copied; may be NULL). *out carries a
 * reference for the handler that runs it, which ends it with mcp__tasks_end(). MCP_EAGAIN
 * when the store is full of unfinished tasks or max_active handlers run. */
int mcp__tasks_create(struct mcp__tasks *ts, const char *principal, struct mcp__task **out);

/* The listed, unexpired task `id` of `principal`, with a reference (mcp__tasks_put), or
 * NULL. */
struct mcp__task *mcp__tasks_find(struct mcp__tasks *ts, const char *id, const char *principal);

/* Drops a reference from mcp__tasks_find(). */
void mcp__tasks_put(struct mcp__tasks *ts, struct mcp__task *t);

/* Ends the handler's part: unless the task already ended (cancelled), it becomes completed
 * with `result`, failed with `error`, or cancelled with neither. Both are taken. Drops the
 * handler's reference. */
void mcp__tasks_end(struct mcp__tasks *ts, struct mcp__task *t, cJSON *result, cJSON *error);

/* The task as the wire shows it (new object): taskId, status, statusMessage, createdAt,
 * lastUpdatedAt, ttlMs, pollIntervalMs, and with `detailed` the inputRequests, result or
 * error its status carries. NULL on ENOMEM. */
cJSON *mcp__tasks_describe(struct mcp__tasks *ts, struct mcp__task *t, bool detailed);

/* Cancels an unfinished task: it is cancelled at once and its handler told to stop. A no-op
 * on a finished task. */
void mcp__tasks_cancel(struct mcp__tasks *ts, struct mcp__task *t);

/* Accepts the answers in `responses` (borrowed: key -> result) to the questions the task
 * waits for; other keys are ignored. When none is left unanswered the handler resumes. */
int mcp__tasks_answer(struct mcp__tasks *ts, struct mcp__task *t, const cJSON *responses);

/* Forgets expired tasks now (also done by every other store call). */
void mcp__tasks_sweep(struct mcp__tasks *ts);

struct mcp_call;
struct mcp__request;

/* True when the client capabilities `caps` (borrowed, may be NULL) declare the extension. */
bool mcp__caps_have_tasks(const cJSON *caps);
/* True when the request's client declared the extension. */
bool mcp__call_has_tasks(const struct mcp_call *call);

/* True once the call's task was cancelled or forgotten. */
bool mcp__task_cancelled(const struct mcp__task *t);

/* For a running task whose handler returned MCP_EINPUT: parks the task in input_required
 * with the call's questions, waits until every one is answered and adds the answers to the
 * call. MCP_ECANCELED when the task was cancelled, forgotten, or the request went away. */
int mcp__task_await_input(struct mcp_call *call);

/* After the handler of a task returned (`rc`) and the request's outcome was built: moves that
 * outcome into the task and marks the request as answered. */
void mcp__task_finish(struct mcp__request *req, int rc);

/* Records error -32021 naming the extension as the request's outcome. */
int mcp__tasks_required(struct mcp__request *req);

/* tasks/get, tasks/update, tasks/cancel. */
int mcp__method_tasks_get(struct mcp__request *req);
int mcp__method_tasks_update(struct mcp__request *req);
int mcp__method_tasks_cancel(struct mcp__request *req);

#endif
