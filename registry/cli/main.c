/* mcp-registry: lists, shows, validates, verifies and exports the connectors of the registry,
 * and checks audit logs. See docs/registry.md. */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alloc_int.h"

#include "banned.h"

static void usage(FILE *f)
{
    fputs("Usage: mcp-registry [options] COMMAND [ARGS...]\n\n"
          "Commands:\n"
          "  list                         the connectors in the index\n"
          "  show NAME                    one connector: launch, tools, scopes, grants\n"
          "  validate [FILE...]           manifests, profiles and the index (default: all)\n"
          "  verify [NAME...]             start each server over stdio and HTTP and compare\n"
          "                               what it serves with its manifest, under each profile\n"
          "  export FORMAT NAME...        host configuration; FORMAT is one of claude-code,\n"
          "                               claude-code-managed, cowork, claude-desktop, mcpb,\n"
          "                               server-json\n"
          "  audit verify FILE            check an audit log's hash chain\n\n"
          "Options:\n"
          "  --registry DIR     the registry (default: ./registry, else next to the binary)\n"
          "  --bin DIR          where the connector binaries are (default: next to this one)\n"
          "  --manifest FILE    verify or export this manifest instead of the index's\n"
          "  --profile FILE     verify or export under this profile only\n"
          "  --set NAME=VALUE   value for a ${NAME} placeholder in launch arguments\n"
          "  --transport T      stdio or http, for exports that support both\n"
          "  --url URL          the server's Streamable HTTP endpoint, for exports\n"
          "  --out DIR          write export files into DIR instead of printing them\n"
          "  --mcpb FILE        server-json: the bundle whose SHA-256 to publish\n"
          "  --package-url URL  server-json: where that bundle is downloaded from\n"
          "  --no-http          verify over stdio only\n"
          "  --json             list and show print JSON\n",
          f);
}

/* ./registry when run from the source tree, else <bin>/../../../registry: the binary lives
 * in build/<variant>/bin. */
static char *find_registry(void)
{
    if (access("registry/index.json", R_OK) == 0)
        return reg_realpath("registry");
    char *exe = reg_realpath("/proc/self/exe");
    char *bin = exe ? reg_dirname(exe) : NULL;
    char *guess = bin ? reg_path_join(bin, "../../../registry") : NULL;
    char *found = guess ? reg_realpath(guess) : NULL;
    mcp__free(exe);
    mcp__free(bin);
    mcp__free(guess);
    return found;
}

static char *own_bin_dir(void)
{
    char *exe = reg_realpath("/proc/self/exe");
    char *dir = exe ? reg_dirname(exe) : NULL;
    mcp__free(exe);
    return dir;
}

/* Takes the options out of argv; the rest are positional. Returns 0, or 2 on bad usage. */
static int parse(int argc, char **argv, struct reg_opts *o)
{
    static const struct {
        const char *flag;
        size_t offset;
    } values[] = {
        {"--registry", offsetof(struct reg_opts, root)},
        {"--bin", offsetof(struct reg_opts, bin_dir)},
        {"--manifest", offsetof(struct reg_opts, manifest)},
        {"--profile", offsetof(struct reg_opts, profile)},
        {"--out", offsetof(struct reg_opts, out)},
        {"--url", offsetof(struct reg_opts, url)},
        {"--mcpb", offsetof(struct reg_opts, mcpb)},
        {"--package-url", offsetof(struct reg_opts, package_url)},
        {"--transport", offsetof(struct reg_opts, transport)},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        size_t k = 0;
        while (k < sizeof values / sizeof *values && strcmp(a, values[k].flag) != 0)
            k++;
        bool is_set = strcmp(a, "--set") == 0;
        if ((k < sizeof values / sizeof *values || is_set) && i + 1 >= argc) {
            reg_err("%s needs a value (see --help)", a);
            return 2;
        }
        if (k < sizeof values / sizeof *values) {
            *(const char **)(void *)((char *)o + values[k].offset) = argv[++i];
        } else if (is_set) {
            if (o->nvars == sizeof o->vars / sizeof *o->vars || !strchr(argv[i + 1], '=')) {
                reg_err("--set takes NAME=VALUE, at most 16 times");
                return 2;
            }
            o->vars[o->nvars++] = argv[++i];
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--no-http") == 0) {
            o->no_http = true;
        } else if (a[0] == '-' && a[1] == '-') {
            reg_err("unknown option '%s' (see --help)", a);
            return 2;
        } else {
            o->args[o->nargs++] = argv[i];
        }
    }
    return 0;
}

static int dispatch(const char *cmd, const struct reg_opts *o)
{
    static const struct {
        const char *name;
        int (*run)(const struct reg_opts *o);
    } commands[] = {
        {"list", reg_cmd_list},     {"show", reg_cmd_show},     {"validate", reg_cmd_validate},
        {"verify", reg_cmd_verify}, {"export", reg_cmd_export}, {"audit", reg_cmd_audit},
    };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(o);
    reg_err("unknown command '%s' (see --help)", cmd);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    mcp__alloc_init();
    struct reg_opts o = {0};
    char **positional = mcp__calloc((size_t)argc + 1, sizeof *positional);
    if (!positional)
        return 1;
    o.args = positional;
    int status = parse(argc, argv, &o);
    char *root = NULL, *bin = NULL;
    if (!status && o.nargs == 0) {
        usage(stderr);
        status = 2;
    }
    if (!status && !o.root) {
        root = find_registry();
        o.root = root;
        if (!root) {
            reg_err("cannot find the registry (no ./registry/index.json); give --registry DIR");
            status = 2;
        }
    }
    if (!status && !o.bin_dir)
        o.bin_dir = bin = own_bin_dir();
    if (!status && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        status = 1;
    if (!status) {
        const char *cmd = o.args[0];
        o.args++;
        o.nargs--;
        status = dispatch(cmd, &o);
        curl_global_cleanup();
    }
    mcp__free(root);
    mcp__free(bin);
    mcp__free(positional);
    return status;
}
