/* The audit log: a chain written by many threads verifies, and any edited, dropped or
 * reordered line is caught. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_int.h"
#include "json_int.h"
#include "mcp/mcp.h"
#include "test.h"

#define THREADS 8
#define PER_THREAD 1250 /* 10,000 lines in all */

static struct mcp_server *srv;

static void *writer(void *arg)
{
    cJSON *args = cJSON_CreateObject();
    cJSON_AddNumberToObject(args, "n", (double)(size_t)arg);
    for (int i = 0; i < PER_THREAD; i++)
        mcp__audit_record(srv, NULL, "tool", "write_file", args, "ok", 1.5);
    cJSON_Delete(args);
    return NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *data = malloc(*len + 1);
    *len = fread(data, 1, *len, f);
    data[*len] = '\0';
    fclose(f);
    return data;
}

static void spit(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
}

static int verify(const char *path, char *msg)
{
    return mcp_audit_verify(path, msg, 256);
}

int main(void)
{
    char path[] = "/tmp/mcp-audit-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char msg[256];

    srv = mcp_server_new("drive", "1");
    CHECK_INT(mcp_server_set_audit(srv, path), 0);
    pthread_t t[THREADS];
    for (size_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, writer, (void *)i);
    for (size_t i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    mcp_server_free(srv);
    CHECK_INT(verify(path, msg), 0);
    CHECK_STR(msg, "10000 lines, chain intact");

    /* A restarted server continues the chain. */
    srv = mcp_server_new("drive", "1");
    CHECK_INT(mcp_server_set_audit(srv, path), 0);
    mcp__audit_record(srv, NULL, "resource", "drive://docs/a", NULL, "ok", 0.2);
    mcp_server_free(srv);
    CHECK_INT(verify(path, msg), 0);
    CHECK_STR(msg, "10001 lines, chain intact");

    size_t len;
    char *good = slurp(path, &len);
    CHECK(strstr(good, "\"args_sha256\":\"") != NULL);
    CHECK(strstr(good, "\"n\"") == NULL); /* arguments are digested, never written */

    /* A flipped byte inside line 500. */
    char *bad = malloc(len + 1);
    memcpy(bad, good, len + 1);
    char *line = bad;
    for (int i = 1; i < 500; i++)
        line = strchr(line, '\n') + 1;
    char *outcome = strstr(line, "\"ok\"");
    outcome[1] = 'O';
    spit(path, bad, len);
    CHECK_INT(verify(path, msg), MCP_EINVAL);
    CHECK(strncmp(msg, "line 500:", 9) == 0);
    /* ... and the server refuses to append to the broken chain. */
    srv = mcp_server_new("drive", "1");
    CHECK_INT(mcp_server_set_audit(srv, path), MCP_EIO);
    mcp_server_free(srv);

    /* A deleted line (the 20th). */
    memcpy(bad, good, len + 1);
    char *l20 = bad, *l21;
    for (int i = 1; i < 20; i++)
        l20 = strchr(l20, '\n') + 1;
    l21 = strchr(l20, '\n') + 1;
    memmove(l20, l21, strlen(l21) + 1);
    spit(path, bad, strlen(bad));
    CHECK_INT(verify(path, msg), MCP_EINVAL);
    CHECK(strncmp(msg, "line 20:", 8) == 0);

    /* A swapped pair (lines 3 and 4). */
    memcpy(bad, good, len + 1);
    char *l3 = bad;
    for (int i = 1; i < 3; i++)
        l3 = strchr(l3, '\n') + 1;
    char *l4 = strchr(l3, '\n') + 1, *l5 = strchr(l4, '\n') + 1;
    size_t n3 = (size_t)(l4 - l3), n4 = (size_t)(l5 - l4);
    char *tmp = malloc(n3 + n4);
    memcpy(tmp, l4, n4);
    memcpy(tmp + n4, l3, n3);
    memcpy(l3, tmp, n3 + n4);
    free(tmp);
    spit(path, bad, len);
    CHECK_INT(verify(path, msg), MCP_EINVAL);
    CHECK(strncmp(msg, "line 3:", 7) == 0);

    /* A line cut short by a crash. */
    spit(path, good, len - 5);
    CHECK_INT(verify(path, msg), MCP_EINVAL);

    spit(path, good, len);
    CHECK_INT(verify(path, msg), 0);
    CHECK_INT(mcp_audit_verify("/nonexistent/audit.log", msg, sizeof msg), MCP_EIO);

    free(bad);
    free(good);
    unlink(path);
    return test_report();
}
