#include "tasks_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "base64_int.h"
#include "clock_int.h"
#include "json_int.h"
#include "random_int.h"
#include "request_int.h"

#include "banned.h"

#define DEFAULT_TTL_MS (10L * 60 * 1000)
#define DEFAULT_POLL_MS 1000L
#define DEFAULT_MAX_TASKS 1000
#define DEFAULT_MAX_ACTIVE 32
#define ID_BYTES 24 /* 192 random bits: a task id is a bearer handle */
/* How often a waiting handler looks at what does not signal it (a request that went away). */
#define WAIT_STEP_MS 200

static const char *const status_names[] = {
    [MCP__TASK_WORKING] = "working",     [MCP__TASK_INPUT_REQUIRED] = "input_required",
    [MCP__TASK_COMPLETED] = "completed", [MCP__TASK_FAILED] = "failed",
    [MCP__TASK_CANCELLED] = "cancelled",
};

static bool finished(const struct mcp__task *t)
{
    return t->status == MCP__TASK_COMPLETED || t->status == MCP__TASK_FAILED ||
           t->status == MCP__TASK_CANCELLED;
}

static bool same_principal(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

/* --- The store. */

struct mcp__tasks *mcp__tasks_new(void)
{
    struct mcp__tasks *ts = mcp__calloc(1, sizeof(*ts));
    if (!ts)
        return NULL;
    pthread_mutex_init(&ts->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&ts->cond, &attr);
    pthread_condattr_destroy(&attr);
    ts->max_tasks = DEFAULT_MAX_TASKS;
    ts->max_active = DEFAULT_MAX_ACTIVE;
    ts->ttl_ms = DEFAULT_TTL_MS;
    ts->poll_ms = DEFAULT_POLL_MS;
    return ts;
}

static void task_free(struct mcp__task *t)
{
    cJSON_Delete(t->result);
    cJSON_Delete(t->error);
    cJSON_Delete(t->input_requests);
    cJSON_Delete(t->answers);
    mcp__free(t->status_message);
    mcp__free(t->principal);
    mcp__free(t);
}

void mcp__tasks_free(struct mcp__tasks *ts)
{
    if (!ts)
        return;
    for (struct mcp__task *t = ts->head, *next; t; t = next) {
        next = t->next;
        task_free(t);
    }
    pthread_cond_destroy(&ts->cond);
    pthread_mutex_destroy(&ts->lock);
    mcp__free(ts);
}

/* With the lock held: drops a reference, freeing an unlisted task with none left. */
static void put_locked(struct mcp__task *t)
{
    if (--t->refs == 0)
        task_free(t);
}

/* With the lock held: takes `t` out of the list (dropping the list's reference) and tells
 * its handler, if one still runs, to stop. */
static void unlist(struct mcp__tasks *ts, struct mcp__task **link)
{
    struct mcp__task *t = *link;
    *link = t->next;
    t->next = NULL;
    t->listed = false;
    ts->count--;
    atomic_store(&t->cancelled, true);
    pthread_cond_broadcast(&ts->cond);
    put_locked(t);
}

static void sweep_locked(struct mcp__tasks *ts, int64_t now)
{
    for (struct mcp__task **p = &ts->head; *p;) {
        if ((*p)->expires_ms <= now)
            unlist(ts, p);
        else
            p = &(*p)->next;
    }
}

void mcp__tasks_sweep(struct mcp__tasks *ts)
{
    pthread_mutex_lock(&ts->lock);
    sweep_locked(ts, mcp__wall_ms());
    pthread_mutex_unlock(&ts->lock);
}

/* With the lock held: makes room for one more task by forgetting the oldest finished one. */
static bool make_room(struct mcp__tasks *ts)
{
    struct mcp__task **oldest = NULL;
    for (struct mcp__task **p = &ts->head; *p; p = &(*p)->next)
        if (finished(*p))
            oldest = p; /* the list is newest first */
    if (!oldest)
        return false;
    unlist(ts, oldest);
    return true;
}

static int new_id(char out[40])
{
    unsigned char raw[ID_BYTES];
    int rc = mcp__random(raw, sizeof raw);
    if (rc)
        return rc;
    char *b64 = mcp__base64_encode(raw, sizeof raw, true);
    if (!b64)
        return MCP_ENOMEM;
    snprintf(out, 40, "%s", b64);
    mcp__free(b64);
    return 0;
}

int mcp__tasks_create(struct mcp__tasks *ts, const char *principal, struct mcp__task **out)
{
    struct mcp__task *t = mcp__calloc(1, sizeof(*t));
    if (!t)
        return MCP_ENOMEM;
    int rc = new_id(t->id);
    if (!rc && principal && !(t->principal = mcp__strdup(principal)))
        rc = MCP_ENOMEM;
    if (rc) {
        task_free(t);
        return rc;
    }
    atomic_init(&t->cancelled, false);
    t->status = MCP__TASK_WORKING;
    pthread_mutex_lock(&ts->lock);
    int64_t now = mcp__wall_ms();
    sweep_locked(ts, now);
    if (ts->active >= ts->max_active || (ts->count >= ts->max_tasks && !make_room(ts))) {
        pthread_mutex_unlock(&ts->lock);
        task_free(t);
        return MCP_EAGAIN;
    }
    t->created_ms = t->updated_ms = now;
    t->expires_ms = now + ts->ttl_ms;
    t->refs = 2; /* the list's and the handler's */
    t->listed = true;
    t->next = ts->head;
    ts->head = t;
    ts->count++;
    ts->active++;
    pthread_mutex_unlock(&ts->lock);
    *out = t;
    return 0;
}

struct mcp__task *mcp__tasks_find(struct mcp__tasks *ts, const char *id, const char *principal)
{
    pthread_mutex_lock(&ts->lock);
    sweep_locked(ts, mcp__wall_ms());
    struct mcp__task *t = ts->head;
    while (t && !(strcmp(t->id, id) == 0 && same_principal(t->principal, principal)))
        t = t->next;
    if (t)
        t->refs++;
    pthread_mutex_unlock(&ts->lock);
    return t;
}

void mcp__tasks_put(struct mcp__tasks *ts, struct mcp__task *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&ts->lock);
    put_locked(t);
    pthread_mutex_unlock(&ts->lock);
}

/* With the lock held: the task changed now. */
static void touch(struct mcp__task *t, enum mcp__task_status status)
{
    t->status = status;
    t->updated_ms = mcp__wall_ms();
    if (t->updated_ms < t->created_ms)
        t->updated_ms = t->created_ms; /* the clock went back */
}

void mcp__tasks_end(struct mcp__tasks *ts, struct mcp__task *t, cJSON *result, cJSON *error)
{
    pthread_mutex_lock(&ts->lock);
    if (!finished(t)) {
        cJSON_Delete(t->input_requests);
        t->input_requests = NULL;
        if (result) {
            t->result = result;
            result = NULL;
            touch(t, MCP__TASK_COMPLETED);
        } else if (error) {
            const char *message = mcp__json_str(error, "message");
            mcp__free(t->status_message);
            t->status_message = message ? mcp__strdup(message) : NULL;
            t->error = error;
            error = NULL;
            touch(t, MCP__TASK_FAILED);
        } else {
            touch(t, MCP__TASK_CANCELLED);
        }
    }
    ts->active--;
    put_locked(t);
    pthread_mutex_unlock(&ts->lock);
    cJSON_Delete(result);
    cJSON_Delete(error);
}

void mcp__tasks_cancel(struct mcp__tasks *ts, struct mcp__task *t)
{
    pthread_mutex_lock(&ts->lock);
    if (!finished(t)) {
        cJSON_Delete(t->input_requests);
        t->input_requests = NULL;
        touch(t, MCP__TASK_CANCELLED);
        atomic_store(&t->cancelled, true);
        pthread_cond_broadcast(&ts->cond);
    }
    pthread_mutex_unlock(&ts->lock);
}

int mcp__tasks_answer(struct mcp__tasks *ts, struct mcp__task *t, const cJSON *responses)
{
    int rc = 0;
    pthread_mutex_lock(&ts->lock);
    const cJSON *r;
    cJSON_ArrayForEach (r, responses) {
        if (finished(t) || !t->input_requests || rc)
            break;
        if (!cJSON_GetObjectItemCaseSensitive(t->input_requests, r->string))
            continue; /* never asked, answered already, or another round's: ignored */
        if (!t->answers && !(t->answers = cJSON_CreateObject())) {
            rc = MCP_ENOMEM;
            break;
        }
        if (!mcp__json_add_copy(t->answers, r->string, r)) {
            rc = MCP_ENOMEM;
            break;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(t->input_requests, r->string);
    }
    if (!rc && t->input_requests && !cJSON_GetArraySize(t->input_requests)) {
        cJSON_Delete(t->input_requests);
        t->input_requests = NULL;
        touch(t, MCP__TASK_WORKING);
        pthread_cond_broadcast(&ts->cond); /* the handler goes on */
    }
    pthread_mutex_unlock(&ts->lock);
    return rc;
}

/* RFC 3339 in UTC with milliseconds. */
static void format_time(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", base, (int)(ms % 1000));
}

cJSON *mcp__tasks_describe(struct mcp__tasks *ts, struct mcp__task *t, bool detailed)
{
    char created[32], updated[32];
    cJSON *r = cJSON_CreateObject();
    pthread_mutex_lock(&ts->lock);
    format_time(t->created_ms, created);
    format_time(t->updated_ms, updated);
    bool ok =
        r && cJSON_AddStringToObject(r, "taskId", t->id) &&
        cJSON_AddStringToObject(r, "status", status_names[t->status]) &&
        (!t->status_message || cJSON_AddStringToObject(r, "statusMessage", t->status_message)) &&
        cJSON_AddStringToObject(r, "createdAt", created) &&
        cJSON_AddStringToObject(r, "lastUpdatedAt", updated) &&
        cJSON_AddNumberToObject(r, "ttlMs", (double)ts->ttl_ms) &&
        cJSON_AddNumberToObject(r, "pollIntervalMs", (double)ts->poll_ms);
    if (ok && detailed) {
        if (t->status == MCP__TASK_INPUT_REQUIRED && t->input_requests)
            ok = mcp__json_add_copy(r, "inputRequests", t->input_requests);
        else if (t->status == MCP__TASK_COMPLETED && t->result)
            ok = mcp__json_add_copy(r, "result", t->result);
        else if (t->status == MCP__TASK_FAILED && t->error)
            ok = mcp__json_add_copy(r, "error", t->error);
    }
    pthread_mutex_unlock(&ts->lock);
    if (!ok) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

/* --- The engine's side. */

bool mcp__caps_have_tasks(const cJSON *caps)
{
    return mcp__json_obj(mcp__json_obj(caps, "extensions"), MCP__TASKS_EXT) != NULL;
}

bool mcp__call_has_tasks(const struct mcp_call *call)
{
    return mcp__caps_have_tasks(call->client_caps);
}

bool mcp__task_cancelled(const struct mcp__task *t)
{
    return atomic_load(&t->cancelled);
}

/* Where a task's notifications go once its request was answered: nowhere. */
static int detached_send(struct mcp__sink *sink, const char *json, size_t len, bool final,
                         int error)
{
    (void)sink;
    (void)json;
    (void)len;
    (void) final;
    (void)error;
    return 0;
}

static struct mcp__sink detached = {.send = detached_send};

int mcp_call_start_task(struct mcp_call *call)
{
    if (call->task)
        return 0; /* running again with answers: a task already */
    struct mcp__request *req = call->req;
    if (!req || !req->modern || call->kind != MCP__CALL_TOOL || !call->entry ||
        call->entry->task_support == MCP__TASK_FORBIDDEN || !mcp__call_has_tasks(call))
        return MCP_ENOTSUP;
    struct mcp__tasks *ts = req->srv->tasks;
    struct mcp__task *t;
    int rc = mcp__tasks_create(ts, mcp_call_principal(call), &t);
    if (rc)
        return rc;
    /* Listed before the answer goes out, so a tasks/get right after it finds the task. */
    cJSON *r = mcp__tasks_describe(ts, t, false);
    if (!r || !cJSON_AddStringToObject(r, "resultType", "task")) {
        cJSON_Delete(r);
        mcp__tasks_cancel(ts, t);
        mcp__tasks_end(ts, t, NULL, NULL);
        return MCP_ENOMEM;
    }
    cJSON_Delete(req->result);
    req->result = r;
    rc = mcp__request_respond(req);
    cJSON_Delete(req->result);
    req->result = NULL;
    if (rc == MCP_ENOMEM) {
        mcp__tasks_cancel(ts, t);
        mcp__tasks_end(ts, t, NULL, NULL);
        return rc;
    }
    /* Sent, or the client went away before it could learn the id: then nobody can poll. */
    if (rc)
        mcp__tasks_cancel(ts, t);
    call->task = t;
    call->sink = &detached;
    return 0;
}

int mcp__task_await_input(struct mcp_call *call)
{
    struct mcp__tasks *ts = call->req->srv->tasks;
    struct mcp__task *t = call->task;
    int rc = 0;
    pthread_mutex_lock(&ts->lock);
    if (!finished(t)) {
        cJSON_Delete(t->input_requests);
        t->input_requests = call->input_requests;
        call->input_requests = NULL;
        touch(t, MCP__TASK_INPUT_REQUIRED);
    }
    while (t->input_requests && !mcp_call_cancelled(call)) {
        struct timespec step = mcp__deadline_after(WAIT_STEP_MS);
        pthread_cond_timedwait(&ts->cond, &ts->lock, &step);
    }
    if (mcp_call_cancelled(call)) {
        rc = MCP_ECANCELED;
    } else if (t->answers) {
        if (!call->answers) {
            call->answers = t->answers;
        } else {
            cJSON *a;
            while (!rc && (a = t->answers->child)) {
                cJSON_DetachItemViaPointer(t->answers, a);
                cJSON_DeleteItemFromObjectCaseSensitive(call->answers, a->string);
                if (!cJSON_AddItemToObject(call->answers, a->string, a)) {
                    cJSON_Delete(a);
                    rc = MCP_ENOMEM;
                }
            }
            cJSON_Delete(t->answers);
        }
        t->answers = NULL;
    }
    pthread_mutex_unlock(&ts->lock);
    return rc;
}

/* The JSON-RPC error object of a request's outcome; NULL on ENOMEM. */
static cJSON *error_object(const struct mcp__request *req, int code, const char *message)
{
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddNumberToObject(e, "code", code) ||
        !cJSON_AddStringToObject(e, "message", message) ||
        (req->error_data && !mcp__json_add_copy(e, "data", req->error_data))) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

void mcp__task_finish(struct mcp__request *req, int rc)
{
    struct mcp_call *call = &req->call;
    cJSON *result = NULL, *error = NULL;
    if (req->silent) {
        /* cancelled: the task says so already, or becomes so below */
    } else if (req->error_code) {
        error = error_object(req, req->error_code, req->error_message);
    } else if (req->result) {
        result = req->result;
        req->result = NULL;
        if (!mcp__json_get(result, "resultType"))
            cJSON_AddStringToObject(result, "resultType", "complete");
    } else {
        char message[160];
        snprintf(message, sizeof message, "Internal error: %s", mcp_strerror(rc ? rc : MCP_ENOMEM));
        error = error_object(req, MCP__RPC_INTERNAL_ERROR, message);
    }
    if (!result && !error && !req->silent)
        error = cJSON_CreateObject(); /* out of memory: failed, though without details */
    mcp__tasks_end(req->srv->tasks, call->task, result, error);
    call->task = NULL;
    cJSON_Delete(req->result);
    cJSON_Delete(req->error_data);
    req->result = req->error_data = NULL;
    req->error_code = 0;
    req->silent = true;
}

/* --- tasks/get, tasks/update, tasks/cancel. */

int mcp__tasks_required(struct mcp__request *req)
{
    int code =
        mcp__request_fail(req, MCP__RPC_MISSING_CAPABILITY,
                          "Missing required client capability: extension %s", MCP__TASKS_EXT);
    cJSON *data = cJSON_CreateObject();
    cJSON *caps = data ? mcp__json_add_obj(data, "requiredCapabilities") : NULL;
    cJSON *ext = caps ? mcp__json_add_obj(caps, "extensions") : NULL;
    if (!ext || !mcp__json_add_obj(ext, MCP__TASKS_EXT)) {
        cJSON_Delete(data);
        return code; /* the error goes out without its data */
    }
    cJSON_Delete(req->error_data);
    req->error_data = data;
    return code;
}

/* The task a tasks/ request names, with a reference; NULL with the error recorded. `check`,
 * when given, validates the rest of the params first (0, or the error it recorded). */
static struct mcp__task *task_of(struct mcp__request *req, int (*check)(struct mcp__request *))
{
    if (!mcp__call_has_tasks(&req->call)) {
        mcp__tasks_required(req);
        return NULL;
    }
    const cJSON *id = mcp__json_get(req->params, "taskId");
    if (!cJSON_IsString(id)) {
        mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                          "Invalid params: \"taskId\" must be a string");
        return NULL;
    }
    if (check && check(req))
        return NULL;
    struct mcp__task *t =
        mcp__tasks_find(req->srv->tasks, id->valuestring, mcp_call_principal(&req->call));
    if (!t)
        mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                          "Failed to retrieve task: no task '%.64s' (unknown, expired, or "
                          "created by someone else)",
                          id->valuestring);
    return t;
}

/* An empty result: tasks/update and tasks/cancel only acknowledge. */
static int ack(struct mcp__request *req)
{
    req->result = cJSON_CreateObject();
    return req->result ? 0 : MCP_ENOMEM;
}

int mcp__method_tasks_get(struct mcp__request *req)
{
    struct mcp__task *t = task_of(req, NULL);
    if (!t)
        return req->error_code;
    req->result = mcp__tasks_describe(req->srv->tasks, t, true);
    mcp__tasks_put(req->srv->tasks, t);
    return req->result ? 0 : MCP_ENOMEM;
}

/* inputResponses: an object of results, each an object (an ElicitResult, a
 * CreateMessageResult, ...). */
static int check_responses(struct mcp__request *req)
{
    const cJSON *responses = mcp__json_get(req->params, "inputResponses");
    if (!cJSON_IsObject(responses))
        return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                 "Invalid params: \"inputResponses\" must be an object");
    const cJSON *r;
    cJSON_ArrayForEach (r, responses) {
        if (!cJSON_IsObject(r))
            return mcp__request_fail(req, MCP__RPC_INVALID_PARAMS,
                                     "Invalid params: inputResponses.%.64s must be an object (the "
                                     "result of the request it answers)",
                                     r->string);
    }
    return 0;
}

int mcp__method_tasks_update(struct mcp__request *req)
{
    struct mcp__task *t = task_of(req, check_responses);
    if (!t)
        return req->error_code;
    int rc = mcp__tasks_answer(req->srv->tasks, t, mcp__json_get(req->params, "inputResponses"));
    mcp__tasks_put(req->srv->tasks, t);
    return rc ? rc : ack(req);
}

int mcp__method_tasks_cancel(struct mcp__request *req)
{
    struct mcp__task *t = task_of(req, NULL);
    if (!t)
        return req->error_code;
    mcp__tasks_cancel(req->srv->tasks, t);
    mcp__tasks_put(req->srv->tasks, t);
    return ack(req);
}
