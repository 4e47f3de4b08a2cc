/* Text extraction: the document goes to a private temporary file, a well-kept tool reads it
 * (no shell: argv is fixed), and its output is capped and time-limited so a hostile document
 * cannot hold a worker forever. */
#define _GNU_SOURCE /* pipe2 */
#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mcp/mcp.h>

#include "xml_lib.h"

extern char **environ;

#define MAX_OUTPUT (32u << 20)
#define TIME_LIMIT_MS 20000

struct format {
    const char *mime;
    const char *member;    /* file inside the zip container holding the text, or NULL for PDF */
    const char *text_tag;  /* XML element whose text is content */
    const char *break_tag; /* XML element after which a newline goes */
};

static const struct format formats[] = {
    {"application/pdf", NULL, NULL, NULL},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "word/document.xml",
     "t", "p"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xl/sharedStrings.xml",
     "t", "si"},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation",
     "ppt/slides/slide*.xml", "t", "p"},
    {"application/vnd.oasis.opendocument.text", "content.xml", NULL, "p"},
    {"application/vnd.oasis.opendocument.spreadsheet", "content.xml", NULL, "p"},
};

static const struct format *find_format(const char *mime)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (strcmp(formats[i].mime, mime) == 0)
            return &formats[i];
    return NULL;
}

bool drive_extract_supported(const char *mime)
{
    return find_format(mime) != NULL;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv, collecting stdout (at most MAX_OUTPUT) into *out. */
static int run_tool(char *const argv[], char **out, size_t *outlen, char *why, size_t whylen)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return MCP_EIO;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (err) {
        close(pipefd[0]);
        snprintf(why, whylen, "%s is not installed (Debian package %s)", argv[0],
                 strcmp(argv[0], "pdftotext") == 0 ? "poppler-utils" : "unzip");
        return MCP_ENOTSUP;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    long long deadline = now_ms() + TIME_LIMIT_MS;
    for (;;) {
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            rc = MCP_ETIMEDOUT;
            break;
        }
        if (len + 65536 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 131072;
            char *nb = ncap <= MAX_OUTPUT + 65537 ? realloc(buf, ncap) : NULL;
            if (!nb) {
                snprintf(why, whylen, "the text is longer than %u bytes", MAX_OUTPUT);
                rc = MCP_E2BIG;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t k = read(pipefd[0], buf + len, 65536);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    close(pipefd[0]);
    if (rc)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        snprintf(why, whylen, "%s could not read it (is the file damaged?)", argv[0]);
        rc = MCP_EIO;
    }
    if (rc) {
        free(buf);
        return rc;
    }
    if (!buf && !(buf = malloc(1)))
        return MCP_ENOMEM;
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return 0;
}

struct text {
    char *data;
    size_t len, cap;
};

static int text_add(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t ncap = t->cap ? t->cap : 4096;
        while (ncap < t->len + n + 1)
            ncap *= 2;
        char *nd = realloc(t->data, ncap);
        if (!nd)
            return MCP_ENOMEM;
        t->data = nd;
        t->cap = ncap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
    return 0;
}

/* Collects the text of `f->text_tag` elements (any text when NULL), a newline after each
 * `f->break_tag`. */
static int collect(const struct format *f, xmlNode *node, bool inside, struct text *t)
{
    int rc = 0;
    for (xmlNode *n = node; n && !rc; n = n->next) {
        if (n->type == XML_TEXT_NODE && inside && n->content)
            rc = text_add(t, (const char *)n->content, strlen((const char *)n->content));
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)n->name;
        bool in = inside || (f->text_tag && strcmp(name, f->text_tag) == 0);
        rc = collect(f, n->children, in, t);
        if (!rc && strcmp(name, f->break_tag) == 0)
            rc = text_add(t, "\n", 1);
    }
    return rc;
}

/* The XML of the members the container holds, concatenated by unzip, parsed one document
 * at a time (unzip -p writes them back to back). */
static int xml_text(const struct format *f, char *xml, size_t len, struct text *t)
{
    char *p = xml, *end = xml + len;
    int rc = 0;
    while (!rc && p < end) {
        char *next = strstr(p + 1, "<?xml");
        size_t n = next ? (size_t)(next - p) : (size_t)(end - p);
        xmlDoc *doc = xmlReadMemory(p, (int)n, NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc)
            return MCP_EIO;
        rc = collect(f, xmlDocGetRootElement(doc), f->text_tag == NULL, t);
        xmlFreeDoc(doc);
        p = next ? next : end;
    }
    return rc;
}

int drive_extract_text(const char *mime, const char *data, size_t len, char **text, size_t *tlen,
                       char *why, size_t whylen)
{
    const struct format *f = find_format(mime);
    if (!f)
        return MCP_ENOTSUP;
    /* The XML inside the containers is read with libxml2, loaded the first time it is. */
    if (f->member && drive_xml_load(why, whylen))
        return MCP_ENOTSUP;
    char path[] = "/tmp/mcp-drive-extract-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return MCP_EIO;
    int rc = 0;
    for (size_t off = 0; off < len && !rc;) {
        ssize_t k = write(fd, data + off, len - off);
        if (k < 0 && errno != EINTR)
            rc = MCP_EIO;
        else if (k > 0)
            off += (size_t)k;
    }
    close(fd);
    char *out = NULL;
    size_t outlen = 0;
    if (!rc && !f->member) {
        char *argv[] = {"pdftotext", "-q", "-enc", "UTF-8", path, "-", NULL};
        rc = run_tool(argv, &out, &outlen, why, whylen);
        if (!rc) {
            *text = out;
            *tlen = outlen;
        }
    } else if (!rc) {
        char member[64];
        snprintf(member, sizeof member, "%s", f->member);
        char *argv[] = {"unzip", "-p", "-qq", path, member, NULL};
        rc = run_tool(argv, &out, &outlen, why, whylen);
        struct text t = {0};
        if (!rc && !(rc = xml_text(f, out, outlen, &t)) && !(rc = text_add(&t, "", 0))) {
            *text = t.data;
            *tlen = t.len;
        } else {
            free(t.data);
            if (rc == MCP_EIO && !why[0])
                snprintf(why, whylen, "its XML could not be read (is the file damaged?)");
        }
        free(out);
    }
    unlink(path);
    return rc;
}
