/* mcp_main: the command line every server shares. */
#include "mcp/main.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_int.h"
#include "buf_int.h"
#include "json_int.h"
#include "mcp/http.h"
#include "mcp/mcp.h"
#include "server_int.h"
#include "transport_int.h"

#include "banned.h"

struct options {
    const char *http; /* HOST:PORT, or NULL for stdio */
    const char *profile;
    const char *audit;
    const char *log_level;
    bool manifest;
    struct mcp_http_options http_opt; /* the --auth-* and HTTP limit settings */
    const char *allowed_hosts[16];    /* --allow-host, on top of the loopback names */
};

static struct mcp_server *signalled_server;

static void on_signal(int sig)
{
    (void)sig;
    if (signalled_server)
        mcp_server_stop(signalled_server);
}

static void usage(FILE *f, const struct mcp_server *srv)
{
    fprintf(f,
            "Usage: %s [options]\n"
            "Serve the Model Context Protocol over stdio (default) or Streamable HTTP.\n\n"
            "  --stdio              serve newline-delimited JSON-RPC on stdin/stdout\n"
            "  --http HOST:PORT     serve Streamable HTTP at http://HOST:PORT/mcp\n"
            "  --profile FILE       enforce a surface profile (allow/ask/blocked per tool)\n"
            "  --audit FILE         append a hash-chained audit line per call\n"
            "  --config FILE        read options from a JSON object, e.g. {\"http\":\n"
            "                       \"127.0.0.1:8741\", \"profile\": \"cowork.json\"}\n"
            "  --log-level LEVEL    diagnostics on stderr: debug, info, warning, error\n"
            "  --manifest           print what this server offers as JSON and exit\n"
            "  --help               show this help\n"
            "  --version            show the version\n"
            "\nAuthentication over HTTP (off unless --auth-tokens or --auth-jwks is given):\n"
            "  --auth-tokens FILE   accept bearer tokens whose SHA-256 hex digest is in FILE,\n"
            "                       one a line: DIGEST [PRINCIPAL [SCOPE...]]\n"
            "  --auth-jwks FILE     accept JWT access tokens (RS256, ES256) signed by a key in\n"
            "                       this JWKS file; needs --auth-issuer and --auth-resource\n"
            "  --auth-issuer URL    the issuer (\"iss\") JWTs must come from\n"
            "  --auth-resource URL  this server's canonical URL: the JWT audience (\"aud\")\n"
            "                       and the resource in /.well-known/oauth-protected-resource\n"
            "  --auth-server URL    authorization server to advertise (default: the issuer)\n"
            "  --auth-scope SCOPES  space-separated scopes every request needs (else 403)\n"
            "\nHTTP limits:\n"
            "  --allow-host NAME    also accept this Host/Origin name (repeatable; default:\n"
            "                       localhost, 127.0.0.1 and [::1] only)\n"
            "  --session-ttl SECS   end legacy sessions idle this long (default 600)\n"
            "  --max-sessions N     live legacy sessions at most (default 1000)\n",
            srv->name);
}

/* Prints the server's tables: the live source of what it offers. */
static int print_manifest(const struct mcp_server *srv)
{
    static const struct {
        const char *key;
        size_t offset;
    } tables[] = {
        {"tools", offsetof(struct mcp_server, tools)},
        {"resources", offsetof(struct mcp_server, resources)},
        {"resourceTemplates", offsetof(struct mcp_server, templates)},
        {"prompts", offsetof(struct mcp_server, prompts)},
    };
    cJSON *m = cJSON_CreateObject();
    bool ok = m && cJSON_AddStringToObject(m, "name", srv->name) &&
              cJSON_AddStringToObject(m, "version", srv->version);
    for (size_t i = 0; ok && i < sizeof tables / sizeof *tables; i++) {
        const struct mcp__table *t =
            (const struct mcp__table *)((const char *)srv + tables[i].offset);
        cJSON *arr = cJSON_AddArrayToObject(m, tables[i].key);
        for (size_t j = 0; ok && arr && j < t->len; j++)
            ok = mcp__json_add_copy(arr, NULL, t->items[j].def);
        ok = ok && arr;
    }
    char *text = ok ? cJSON_Print(m) : NULL;
    cJSON_Delete(m);
    if (!text)
        return 1;
    puts(text);
    mcp__free(text);
    return 0;
}

/* --- --config FILE */

struct argv_buf {
    char **v;
    int n, cap;
};

static int argv_push(struct argv_buf *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        int cap = a->cap ? a->cap * 2 : 16;
        char **v = mcp__reallocarray(a->v, (size_t)cap, sizeof(*v));
        if (!v)
            return MCP_ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    if (!(a->v[a->n] = mcp__strdup(s)))
        return MCP_ENOMEM;
    a->v[++a->n] = NULL;
    return 0;
}

/* Appends the options of one config member: "--name VALUE", "--name", or nothing. */
static int push_member(struct argv_buf *a, const char *name, const cJSON *v)
{
    char opt[128], num[64];
    snprintf(opt, sizeof opt, "--%s", name);
    if (cJSON_IsFalse(v))
        return 0;
    if (cJSON_IsTrue(v))
        return argv_push(a, opt);
    if (cJSON_IsString(v))
        return argv_push(a, opt) ? MCP_ENOMEM : argv_push(a, v->valuestring);
    if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof num, "%.17g", v->valuedouble);
        return argv_push(a, opt) ? MCP_ENOMEM : argv_push(a, num);
    }
    if (cJSON_IsArray(v)) {
        const cJSON *e;
        cJSON_ArrayForEach (e, v)
            if (cJSON_IsArray(e) || cJSON_IsObject(e) || push_member(a, name, e))
                return MCP_EINVAL;
        return 0;
    }
    return MCP_EINVAL;
}

static int expand_file(struct argv_buf *a, const char *path, const char *prog)
{
    struct mcp__buf text;
    mcp__buf_init(&text, 1 << 20);
    int rc = mcp__buf_add_file(&text, path);
    cJSON *cfg = rc ? NULL : mcp__json_parse(mcp__buf_str(&text), text.len);
    mcp__buf_release(&text);
    if (rc) {
        fprintf(stderr, "%s: cannot read the config file %s: %s\n", prog, path,
                rc == MCP_EIO ? strerror(errno) : mcp_strerror(rc));
        return 2;
    }
    if (!cJSON_IsObject(cfg)) {
        fprintf(stderr, "%s: the config file %s is not a JSON object of options\n", prog, path);
        cJSON_Delete(cfg);
        return 2;
    }
    rc = 0;
    const cJSON *m;
    cJSON_ArrayForEach (m, cfg) {
        if ((rc = push_member(a, m->string, m))) {
            fprintf(stderr,
                    "%s: in %s, \"%s\" must be a string, number, boolean or array of them\n", prog,
                    path, m->string);
            break;
        }
    }
    cJSON_Delete(cfg);
    return rc ? 2 : 0;
}

int mcp_args_expand_config(int *argc, char ***argv, const char *prog)
{
    struct argv_buf a = {0};
    int status = argv_push(&a, (*argv)[0]) ? 1 : 0;
    for (int i = 1; i < *argc && !status; i++) {
        if (strcmp((*argv)[i], "--config") == 0 && i + 1 < *argc)
            status = expand_file(&a, (*argv)[++i], prog);
        else if (argv_push(&a, (*argv)[i]))
            status = 1;
    }
    if (status) {
        mcp_args_free(a.v);
        return status == 1 ? (fprintf(stderr, "%s: out of memory\n", prog), 1) : status;
    }
    *argc = a.n;
    *argv = a.v;
    return 0;
}

void mcp_args_free(char **argv)
{
    for (char **p = argv; p && *p; p++)
        mcp__free(*p);
    mcp__free(argv);
}

/* Parses argv; returns -1 to go on serving, or the exit status to return. */
static int parse(int argc, char **argv, struct options *o, const struct mcp_server *srv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **value = NULL;
        if (strcmp(a, "--stdio") == 0) {
            o->http = NULL;
        } else if (strcmp(a, "--manifest") == 0) {
            o->manifest = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, srv);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("%s %s (libmcp %s)\n", srv->name, srv->version, MCP_LIBRARY_VERSION);
            return 0;
        } else if (strcmp(a, "--http") == 0) {
            value = &o->http;
        } else if (strcmp(a, "--profile") == 0) {
            value = &o->profile;
        } else if (strcmp(a, "--audit") == 0) {
            value = &o->audit;
        } else if (strcmp(a, "--log-level") == 0) {
            value = &o->log_level;
        } else if (strcmp(a, "--session-ttl") == 0 || strcmp(a, "--max-sessions") == 0) {
            char *end = NULL;
            unsigned long n = i + 1 < argc ? strtoul(argv[i + 1], &end, 10) : 0;
            if (!end || *end || n == 0 || n > 1000000) {
                fprintf(stderr, "%s: %s needs a whole number from 1 to 1000000\n", srv->name, a);
                return 2;
            }
            if (a[2] == 's')
                o->http_opt.session_ttl_seconds = (unsigned)n;
            else
                o->http_opt.max_sessions = n;
            i++;
        } else if (strcmp(a, "--allow-host") == 0) {
            size_t n = o->http_opt.nallowed_hosts;
            if (n >= sizeof o->allowed_hosts / sizeof *o->allowed_hosts || i + 1 >= argc) {
                fprintf(stderr, "%s: --allow-host takes a name, at most 16 times\n", srv->name);
                return 2;
            }
            if (o->http_opt.allowed_hosts != o->allowed_hosts) /* keep the defaults */
                memcpy(o->allowed_hosts, o->http_opt.allowed_hosts, n * sizeof *o->allowed_hosts);
            o->allowed_hosts[n] = argv[++i];
            o->http_opt.allowed_hosts = o->allowed_hosts;
            o->http_opt.nallowed_hosts = n + 1;
        } else if (strcmp(a, "--auth-tokens") == 0) {
            value = &o->http_opt.auth_token_file;
        } else if (strcmp(a, "--auth-jwks") == 0) {
            value = &o->http_opt.auth_jwks_file;
        } else if (strcmp(a, "--auth-issuer") == 0) {
            value = &o->http_opt.auth_issuer;
        } else if (strcmp(a, "--auth-resource") == 0) {
            value = &o->http_opt.auth_resource;
        } else if (strcmp(a, "--auth-server") == 0) {
            value = &o->http_opt.auth_server;
        } else if (strcmp(a, "--auth-scope") == 0) {
            value = &o->http_opt.auth_required_scope;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", srv->name, a);
            return 2;
        }
        if (value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s needs a value (see --help)\n", srv->name, a);
                return 2;
            }
            *value = argv[++i];
        }
    }
    return -1;
}

/* Checks the options and applies the profile and audit log; -1 to go on serving. */
static int prepare(struct mcp_server *srv, struct options *o, int argc, char **argv)
{
    int status = parse(argc, argv, o, srv);
    if (status < 0 && o->manifest)
        status = print_manifest(srv);
    const struct mcp_http_options *ho = &o->http_opt;
    if (status < 0 && !o->http &&
        (ho->auth_token_file || ho->auth_jwks_file || ho->auth_issuer || ho->auth_resource ||
         ho->auth_server || ho->auth_required_scope)) {
        /* stdio has no tokens: the host that starts the server is the one it trusts. */
        fprintf(stderr, "%s: --auth-* options apply to --http only\n", srv->name);
        status = 2;
    }
    /* A profile or audit log that cannot be applied stops the server: never run with a
     * wider grant, or less record, than the operator asked for. */
    if (status < 0 && o->profile && mcp_server_load_profile(srv, o->profile))
        status = 2;
    if (status < 0 && o->audit && mcp_server_set_audit(srv, o->audit))
        status = 2;
    return status;
}

/* glibc gives threads their own malloc arenas, up to eight per CPU, and each arena keeps its
 * own pages: an HTTP server's few dozen threads, which mostly wait, held a megabyte in them.
 * One arena per CPU keeps contention as low, since no more threads run at once. An arena
 * limit in the environment (MALLOC_ARENA_MAX, GLIBC_TUNABLES) still decides. */
static void limit_malloc_arenas(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (!getenv("MALLOC_ARENA_MAX") && !(tunables && strstr(tunables, "arena_max")) && cpus > 0)
        mallopt(M_ARENA_MAX, cpus < INT_MAX ? (int)cpus : INT_MAX);
}

static int serve(struct mcp_server *srv, const struct options *o)
{
    limit_malloc_arenas();
    signalled_server = srv;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int rc = o->http ? mcp__serve_http_address(srv, o->http, &o->http_opt)
                     : mcp_server_serve_stdio(srv, STDIN_FILENO, STDOUT_FILENO);
    if (rc)
        fprintf(stderr, "%s: %s\n", srv->name, mcp_strerror(rc));
    signalled_server = NULL;
    return rc ? 1 : 0;
}

int mcp_main(struct mcp_server *srv, int argc, char **argv)
{
    if (!srv) {
        fprintf(stderr, "mcp: could not create the server (out of memory or a bad table)\n");
        return 1;
    }
    int status = mcp_args_expand_config(&argc, &argv, srv->name);
    if (status) {
        mcp_server_free(srv);
        return status;
    }
    struct options o = {0};
    mcp_http_options_init(&o.http_opt);
    status = prepare(srv, &o, argc, argv);
    if (status < 0)
        status = serve(srv, &o);
    mcp_server_free(srv);
    mcp_args_free(argv);
    return status;
}
