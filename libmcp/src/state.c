#include "state_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "base64_int.h"
#include "buf_int.h"
#include "clock_int.h"
#include "crypto_int.h"
#include "json_int.h"
#include "random_int.h"

#include "banned.h"

#define MAX_STATE (1u << 20)

static int key_of(struct mcp_server *srv, unsigned char key[32])
{
    int rc = 0;
    pthread_mutex_lock(&srv->state_key_lock);
    if (!srv->state_key_set) {
        if (mcp__random(srv->state_key, sizeof(srv->state_key)) == 0)
            srv->state_key_set = true;
        else
            rc = MCP_EIO;
    }
    memcpy(key, srv->state_key, 32);
    pthread_mutex_unlock(&srv->state_key_lock);
    return rc;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int mcp__state_binding(const char *method, const char *name, const cJSON *args, char out[65])
{
    struct mcp__buf b;
    mcp__buf_init(&b, MAX_STATE);
    int rc = mcp__buf_addf(&b, "%s\n%s\n", method, name ? name : "");
    if (!rc && args)
        rc = mcp__json_print_canonical(args, &b);
    if (!rc) {
        unsigned char md[32];
        unsigned int mdlen = 0;
        if (EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha256(), NULL) != 1)
            rc = MCP_EIO;
        else
            to_hex(md, 32, out);
    }
    mcp__buf_release(&b);
    return rc;
}

/* The MAC of `payload`, base64url, into out (at least 44 bytes). */
static int mac_of(struct mcp_server *srv, const char *payload, char *out, size_t outlen)
{
    unsigned char key[32], mac[32];
    unsigned int maclen = 0;
    int rc = key_of(srv, key);
    if (!rc && !HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)payload, strlen(payload),
                     mac, &maclen))
        rc = MCP_EIO;
    explicit_bzero(key, sizeof key);
    if (rc)
        return rc;
    char *b64 = mcp__base64_encode(mac, maclen, true);
    if (!b64)
        return MCP_ENOMEM;
    snprintf(out, outlen, "%s", b64);
    mcp__free(b64);
    return 0;
}

int mcp__state_seal(struct mcp_server *srv, const char *binding, const char *principal,
                    const cJSON *answers, const cJSON *pending, char **out)
{
    int rc = MCP_ENOMEM;
    char *json = NULL, *payload = NULL;
    cJSON *st = cJSON_CreateObject();
    if (!st || !cJSON_AddNumberToObject(st, "exp", (double)(mcp__wall_ms() + MCP__STATE_TTL_MS)) ||
        !cJSON_AddStringToObject(st, "bind", binding) ||
        !cJSON_AddStringToObject(st, "sub", principal ? principal : "") ||
        !mcp__json_add_copy(st, "answers", answers) || !mcp__json_add_copy(st, "pending", pending))
        goto done;
    if (!(json = mcp__json_print(st)) || !(payload = mcp__base64_encode(json, strlen(json), true)))
        goto done;
    char mac[64];
    if ((rc = mac_of(srv, payload, mac, sizeof mac)))
        goto done;
    struct mcp__buf b;
    mcp__buf_init(&b, MAX_STATE);
    rc = mcp__buf_addf(&b, "%s.%s", payload, mac);
    if (rc)
        mcp__buf_release(&b);
    else
        *out = mcp__buf_take(&b);
done:
    mcp__free(payload);
    mcp__free(json);
    cJSON_Delete(st);
    return rc;
}

int mcp__state_open(struct mcp_server *srv, const char *state, const char *binding,
                    const char *principal, cJSON **answers, cJSON **pending)
{
    const char *dot = strchr(state, '.');
    if (!dot || strlen(state) > MAX_STATE)
        return MCP_ESTATE;
    char *payload = mcp__strndup(state, (size_t)(dot - state));
    if (!payload)
        return MCP_ENOMEM;
    char mac[64];
    int rc = mac_of(srv, payload, mac, sizeof mac);
    size_t maclen = strlen(mac);
    if (!rc && (strlen(dot + 1) != maclen || CRYPTO_memcmp(mac, dot + 1, maclen) != 0))
        rc = MCP_ESTATE;
    size_t jsonlen = 0;
    unsigned char *json = rc ? NULL : mcp__base64_decode(payload, strlen(payload), &jsonlen);
    cJSON *st = json ? mcp__json_parse((const char *)json, jsonlen) : NULL;
    if (!rc && !st)
        rc = MCP_ESTATE;
    if (!rc) {
        const cJSON *exp = mcp__json_get(st, "exp");
        const char *bind = mcp__json_str(st, "bind"), *sub = mcp__json_str(st, "sub");
        const cJSON *a = mcp__json_obj(st, "answers"), *p = mcp__json_arr(st, "pending");
        if (!cJSON_IsNumber(exp) || exp->valuedouble < (double)mcp__wall_ms() || !bind ||
            strcmp(bind, binding) != 0 || !sub || strcmp(sub, principal ? principal : "") || !a ||
            !p)
            rc = MCP_ESTATE;
        else if (!(*answers = cJSON_Duplicate(a, true)))
            rc = MCP_ENOMEM;
        else if (!(*pending = cJSON_Duplicate(p, true))) {
            cJSON_Delete(*answers);
            *answers = NULL;
            rc = MCP_ENOMEM;
        }
    }
    cJSON_Delete(st);
    mcp__free(json);
    mcp__free(payload);
    return rc;
}
