/* mcp_main: the command line every server shares. */
#include "mcp/main.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_int.h"
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
    const char *config;
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
            "  --config FILE        read backend settings from a JSON file\n"
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
        } else if (strcmp(a, "--config") == 0) {
            value = &o->config;
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

int mcp_main(struct mcp_server *srv, int argc, char **argv)
{
    if (!srv) {
        fprintf(stderr, "mcp: could not create the server (out of memory or a bad table)\n");
        return 1;
    }
    struct options o = {0};
    mcp_http_options_init(&o.http_opt);
    int status = parse(argc, argv, &o, srv);
    if (status < 0 && o.manifest)
        status = print_manifest(srv);
    const struct mcp_http_options *ho = &o.http_opt;
    if (status < 0 && !o.http &&
        (ho->auth_token_file || ho->auth_jwks_file || ho->auth_issuer || ho->auth_resource ||
         ho->auth_server || ho->auth_required_scope)) {
        /* stdio has no tokens: the host that starts the server is the one it trusts. */
        fprintf(stderr, "%s: --auth-* options apply to --http only\n", srv->name);
        status = 2;
    }
    if (status < 0 && o.config) {
        fprintf(stderr, "%s: --config is not supported by this server\n", srv->name);
        status = 2;
    }
    /* A profile or audit log that cannot be applied stops the server: never run with a
     * wider grant, or less record, than the operator asked for. */
    if (status < 0 && o.profile && mcp_server_load_profile(srv, o.profile))
        status = 2;
    if (status < 0 && o.audit && mcp_server_set_audit(srv, o.audit))
        status = 2;
    if (status >= 0) {
        mcp_server_free(srv);
        return status;
    }

    signalled_server = srv;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int rc = o.http ? mcp__serve_http_address(srv, o.http, &o.http_opt)
                    : mcp_server_serve_stdio(srv, STDIN_FILENO, STDOUT_FILENO);
    if (rc)
        fprintf(stderr, "%s: %s\n", srv->name, mcp_strerror(rc));
    signalled_server = NULL;
    mcp_server_free(srv);
    return rc ? 1 : 0;
}
