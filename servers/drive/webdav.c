/* The WebDAV backend: drive operations as HTTP requests (RFC 4918) below one collection URL.
 *
 * Each operation borrows a curl easy handle from a small pool on the root, so concurrent tool
 * calls never share a handle while kept-alive connections are still reused. Paths become URLs
 * by percent-encoding every segment below the base URL, and redirects are followed only while
 * they stay below it, so no drive path reaches outside the root. PROPFIND answers are parsed
 * by libxml2 without network access and without entity substitution. Both libraries are
 * loaded when the first WebDAV root is opened (curl_lib.h, xml_lib.h), so a drive of local
 * folders never maps them. */
#include "backend.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mcp/mcp.h>

#include "curl_lib.h"
#include "xml_lib.h"

#define POOL_MAX 8
#define MAX_REDIRECTS 3
#define PROPFIND_MAX ((size_t)16 << 20)
#define DEFAULT_TIMEOUT_MS 15000L
#define CONNECT_TIMEOUT_MS 5000L

static const char PROPFIND_BODY[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                                    "<d:propfind xmlns:d=\"DAV:\"><d:prop>"
                                    "<d:resourcetype/><d:getcontentlength/>"
                                    "<d:getlastmodified/><d:getetag/>"
                                    "</d:prop></d:propfind>\n";

struct webdav {
    struct drive_root root; /* first, so the ops can turn a drive_root back into this */
    char *base;             /* the collection's URL without credentials, ending in '/' */
    char *base_path;        /* its path, percent-decoded, ending in '/' */
    char *user;             /* NULL for none */
    char *password;         /* NULL for none; cleansed before free */
    char *ca_file;          /* NULL for the system's */
    long timeout_ms;
    long auth; /* CURLAUTH_* the server asked for, learnt when opening */
    pthread_mutex_t lock;
    bool lock_ready;
    CURL *idle[POOL_MAX]; /* handles between operations, under lock */
    size_t nidle;
};

/* One HTTP request and what came back for it. */
struct xfer {
    struct drive_op *op;
    const char *method;
    const char *path; /* the drive path, for messages */
    char *url;        /* owned */
    struct curl_slist *headers;
    const char *body; /* request body (borrowed) or NULL */
    size_t body_len;
    bool keep;              /* keep a 2xx answer's body (else it is dropped) */
    bool ranged;            /* a ranged GET: a 200 answer is sliced to the range */
    long long range_offset; /* where the range starts */

    /* The answer; reset for every response (a 401 or a redirect comes before the real one). */
    long status;
    char reason[64];
    char etag[96];
    char *data; /* owned, NUL-terminated once anything was kept */
    size_t len;
    size_t cap;
    size_t max;        /* most body bytes kept */
    long long skip;    /* bytes still to drop before the range starts */
    bool body_started; /* the first body byte of this response has been seen */
    bool over;         /* the body went past max */
    bool enough;       /* a ranged GET has all it asked for and stopped the transfer */
    bool oom;          /* growing the body failed */
    bool cancelled;    /* the call was cancelled during the transfer */
    long auth_offered; /* CURLAUTH_* the server offered in its last 401 */
};

typedef int (*response_fn)(void *ctx, const char *href, const struct drive_stat *st);

static const struct drive_backend_ops webdav_ops;

static struct webdav *webdav_of(struct drive_root *root)
{
    return (struct webdav *)root;
}

__attribute__((format(printf, 3, 4))) static int fail(struct drive_op *op, int code,
                                                      const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(op->why, sizeof op->why, fmt, ap);
    va_end(ap);
    return code;
}

/* --- URLs and hrefs */

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static bool dot_segment(const char *s, size_t n)
{
    return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

/* The URL of drive path `path`: the base and each segment percent-encoded. Segments that
 * are empty, "." or ".." are refused even though paths.c already did, because a URL
 * resolver would take them out of the base. */
static int url_of(const struct webdav *w, const char *path, char **out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t blen = strlen(w->base), plen = strlen(path);
    char *url, *p;

    for (const char *s = path; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 0 || dot_segment(s, n))
            return MCP_EINVAL;
        s += n + (s[n] == '/');
        if (s[-1] == '/' && *s == '\0')
            return MCP_EINVAL;
    }
    if (plen > (SIZE_MAX - blen - 1) / 3)
        return MCP_E2BIG;
    url = malloc(blen + 3 * plen + 1);
    if (!url)
        return MCP_ENOMEM;
    memcpy(url, w->base, blen);
    p = url + blen;
    for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
        if (*s == '/' || unreserved(*s)) {
            *p++ = (char)*s;
        } else {
            *p++ = '%';
            *p++ = hex[*s >> 4];
            *p++ = hex[*s & 15];
        }
    }
    *p = '\0';
    *out = url;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes n bytes of s into a new string (free with free()), NULL when out of
 * memory. A malformed escape, or one for NUL, stays as it is. */
static char *pct_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *p = out;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0 &&
            (hexval(s[i + 1]) | hexval(s[i + 2])) != 0) {
            *p++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
            i += 2;
        } else {
            *p++ = s[i];
        }
    }
    *p = '\0';
    return out;
}

/* The path part of an href, which servers send as a full URL or as an absolute path, up to
 * any query or fragment. */
static void href_path(const char *href, const char **path, size_t *n)
{
    const char *s = strstr(href, "://");

    if (s) {
        s = strchr(s + 3, '/');
        if (!s)
            s = "/";
    } else {
        s = href;
    }
    *path = s;
    *n = strcspn(s, "?#");
}

/* Whether two decoded paths name the same resource: a collection's trailing slash aside. */
static bool same_path(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);

    while (na > 0 && a[na - 1] == '/')
        na--;
    while (nb > 0 && b[nb - 1] == '/')
        nb--;
    return na == nb && memcmp(a, b, na) == 0;
}

/* Whether a redirect target stays below the base URL, without dot segments that would
 * climb back out of it. */
static bool within_base(const struct webdav *w, const char *url)
{
    size_t blen = strlen(w->base);
    const char *s;

    if (strncmp(url, w->base, blen) != 0)
        return false;
    s = url + blen;
    while (*s && *s != '?' && *s != '#') {
        size_t n = strcspn(s, "/?#");
        char *seg = pct_decode(s, n);
        bool dots = !seg || dot_segment(seg, strlen(seg));

        free(seg);
        if (dots)
            return false;
        s += n + (s[n] == '/');
    }
    return true;
}

/* --- Transfers */

static int xfer_init(struct xfer *x, struct drive_op *op, const char *method, const char *path)
{
    int err;

    memset(x, 0, sizeof *x);
    x->op = op;
    x->method = method;
    x->path = path;
    err = url_of(webdav_of(op->root), path, &x->url);
    if (err == MCP_ENOMEM)
        return fail(op, err, "out of memory building the URL for /%s", path);
    if (err)
        return fail(op, err, "/%s is not a valid path on the WebDAV server", path);
    return 0;
}

static void xfer_release(struct xfer *x)
{
    free(x->url);
    curl_slist_free_all(x->headers);
    free(x->data);
    x->url = NULL;
    x->headers = NULL;
    x->data = NULL;
}

/* Forgets what a previous response said, keeping the request. */
static void xfer_reset_answer(struct xfer *x)
{
    x->status = 0;
    x->reason[0] = '\0';
    x->etag[0] = '\0';
    x->len = 0;
    if (x->data)
        x->data[0] = '\0';
    x->skip = 0;
    x->body_started = false;
    x->over = false;
    x->enough = false;
}

__attribute__((format(printf, 2, 3))) static int add_header(struct xfer *x, const char *fmt, ...)
{
    va_list ap;
    struct curl_slist *l;
    char *line;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return fail(x->op, MCP_EINVAL, "could not format a request header");
    line = malloc((size_t)n + 1);
    if (!line)
        return fail(x->op, MCP_ENOMEM, "out of memory building a request header");
    va_start(ap, fmt);
    vsnprintf(line, (size_t)n + 1, fmt, ap);
    va_end(ap);
    l = curl_slist_append(x->headers, line);
    free(line);
    if (!l)
        return fail(x->op, MCP_ENOMEM, "out of memory building a request header");
    x->headers = l;
    return 0;
}

static bool header_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);

    return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* Copies a header's value, trimmed, when it fits; else leaves dst empty. */
static void header_value(const char *line, size_t len, size_t skip, char *dst, size_t dstlen)
{
    const char *v = line + skip, *end = line + len;

    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    dst[0] = '\0';
    if ((size_t)(end - v) < dstlen) {
        memcpy(dst, v, (size_t)(end - v));
        dst[end - v] = '\0';
    }
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * nmemb;

    if (len > 5 && memcmp(line, "HTTP/", 5) == 0) {
        const char *sp = memchr(line, ' ', len);

        xfer_reset_answer(x);
        if (sp) {
            char *end;
            x->status = strtol(sp + 1, &end, 10);
            header_value(end, len - (size_t)(end - line), 0, x->reason, sizeof x->reason);
        }
    } else if (header_is(line, len, "ETag")) {
        header_value(line, len, 5, x->etag, sizeof x->etag);
    }
    return len;
}

static bool body_grow(struct xfer *x, size_t need)
{
    size_t cap = x->cap ? x->cap : 4096;
    char *p;

    if (need <= x->cap)
        return true;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > x->max + 1)
        cap = x->max + 1;
    p = realloc(x->data, cap);
    if (!p)
        return false;
    x->data = p;
    x->cap = cap;
    return true;
}

/* Keeps a 2xx answer's body up to x->max bytes. Returning less than given stops the
 * transfer: a ranged GET that has its bytes stops early on purpose (x->enough). */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * nmemb, take;

    if (!x->keep || x->status < 200 || x->status > 299)
        return len;
    if (!x->body_started) {
        x->body_started = true;
        /* A server that ignores Range sends the whole file with 200: drop what comes before
         * the range. */
        x->skip = x->ranged && x->status == 200 ? x->range_offset : 0;
    }
    take = len;
    if (x->skip > 0) {
        size_t drop = (unsigned long long)x->skip < take ? (size_t)x->skip : take;
        p += drop;
        take -= drop;
        x->skip -= (long long)drop;
    }
    if (take > x->max - x->len) {
        take = x->max - x->len;
        if (x->ranged)
            x->enough = true;
        else
            x->over = true;
    }
    if (take > 0) {
        if (!body_grow(x, x->len + take + 1)) {
            x->oom = true;
            return 0;
        }
        memcpy(x->data + x->len, p, take);
        x->len += take;
        x->data[x->len] = '\0';
    }
    return x->enough || x->over ? 0 : len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct xfer *x = ud;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (x->op->call && mcp_call_cancelled(x->op->call)) {
        x->cancelled = true;
        return 1;
    }
    return 0;
}

static CURL *handle_take(struct webdav *w)
{
    CURL *h = NULL;

    pthread_mutex_lock(&w->lock);
    if (w->nidle > 0)
        h = w->idle[--w->nidle];
    pthread_mutex_unlock(&w->lock);
    return h ? h : curl_easy_init();
}

/* Returns a handle to the pool; its options go, its live connections stay for the next
 * operation. */
static void handle_give(struct webdav *w, CURL *h)
{
    curl_easy_reset(h);
    pthread_mutex_lock(&w->lock);
    if (w->nidle < POOL_MAX) {
        w->idle[w->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&w->lock);
    curl_easy_cleanup(h);
}

/* Where and how to connect: the same for every request of a root. */
static CURLcode setup_connection(const struct webdav *w, CURL *h, char *errbuf)
{
    long connect_ms = w->timeout_ms < CONNECT_TIMEOUT_MS ? w->timeout_ms : CONNECT_TIMEOUT_MS;
    CURLcode rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");

    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, w->timeout_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_USERAGENT, "mcp-drive");
    if (rc == CURLE_OK && w->ca_file)
        rc = curl_easy_setopt(h, CURLOPT_CAINFO, w->ca_file);
    if (rc == CURLE_OK && w->user) {
        rc = curl_easy_setopt(h, CURLOPT_USERNAME, w->user);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h, CURLOPT_PASSWORD, w->password ? w->password : "");
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h, CURLOPT_HTTPAUTH, w->auth);
    }
    return rc;
}

/* What to send and where the answer goes. */
static CURLcode setup_request(CURL *h, struct xfer *x)
{
    CURLcode rc = curl_easy_setopt(h, CURLOPT_URL, x->url);

    if (rc == CURLE_OK && strcmp(x->method, "GET") != 0)
        rc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, x->method);
    if (rc == CURLE_OK && x->body) {
        /* POSTFIELDS with a custom method sends the body as it is and lets curl resend it
         * when authentication needs a second round. */
        rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->body);
    }
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    return rc;
}

/* Turns a failed transfer into an MCP_E* code with a sentence naming the server. */
static int curl_error(struct xfer *x, CURLcode rc, const char *errbuf)
{
    const struct webdav *w = webdav_of(x->op->root);
    const char *msg = errbuf[0] ? errbuf : curl_easy_strerror(rc);

    if (rc == CURLE_WRITE_ERROR && x->enough)
        return 0;
    if (rc == CURLE_WRITE_ERROR && x->over)
        return fail(x->op, MCP_E2BIG, "the WebDAV server's answer to %s /%s is over %zu bytes",
                    x->method, x->path, x->max);
    if ((rc == CURLE_WRITE_ERROR && x->oom) || rc == CURLE_OUT_OF_MEMORY)
        return fail(x->op, MCP_ENOMEM, "out of memory during %s /%s", x->method, x->path);
    if (rc == CURLE_ABORTED_BY_CALLBACK && x->cancelled)
        return fail(x->op, MCP_ECANCELED, "%s /%s was cancelled", x->method, x->path);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return fail(x->op, MCP_ETIMEDOUT,
                    "the WebDAV server at %s did not answer %s /%s within %ld ms", w->base,
                    x->method, x->path, w->timeout_ms);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
        rc == CURLE_COULDNT_RESOLVE_PROXY)
        return fail(x->op, MCP_EIO, "could not reach the WebDAV server at %s: %s", w->base, msg);
    return fail(x->op, MCP_EIO, "%s /%s to the WebDAV server at %s failed: %s", x->method, x->path,
                w->base, msg);
}

static bool is_redirect(long status)
{
    return status == 301 || status == 302 || status == 307 || status == 308;
}

/* Points the request at a redirect's target when it stays below the base (a server that
 * wants a collection's trailing slash); anything else is refused. */
static int follow(struct xfer *x, CURL *h)
{
    const struct webdav *w = webdav_of(x->op->root);
    char *target = NULL, *copy;

    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &target);
    if (!target || !within_base(w, target))
        return fail(x->op, MCP_EIO,
                    "the WebDAV server redirected %s /%s to %s, outside %s; point the drive at "
                    "the final URL",
                    x->method, x->path, target ? target : "an unknown place", w->base);
    copy = strdup(target);
    if (!copy)
        return fail(x->op, MCP_ENOMEM, "out of memory following a redirect");
    free(x->url);
    x->url = copy;
    return 0;
}

/* Runs the request; on return x->status holds the final HTTP status. */
static int perform(struct xfer *x)
{
    struct webdav *w = webdav_of(x->op->root);
    char errbuf[CURL_ERROR_SIZE];
    CURL *h = handle_take(w);
    int err = 0;

    if (!h)
        return fail(x->op, MCP_ENOMEM, "out of memory starting %s /%s", x->method, x->path);
    for (int hop = 0;; hop++) {
        CURLcode rc;

        errbuf[0] = '\0';
        xfer_reset_answer(x);
        rc = setup_connection(w, h, errbuf);
        if (rc == CURLE_OK)
            rc = setup_request(h, x);
        if (rc == CURLE_OK)
            rc = curl_easy_perform(h);
        err = rc == CURLE_OK ? 0 : curl_error(x, rc, errbuf);
        if (err)
            break;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->status);
        curl_easy_getinfo(h, CURLINFO_HTTPAUTH_AVAIL, &x->auth_offered);
        if (!is_redirect(x->status) || hop == MAX_REDIRECTS)
            break;
        err = follow(x, h);
        if (err)
            break;
        curl_easy_reset(h);
    }
    handle_give(w, h);
    return err;
}

static void status_text(const struct xfer *x, char *buf, size_t len)
{
    snprintf(buf, len, "%ld%s%s", x->status, x->reason[0] ? " " : "", x->reason);
}

/* The one place HTTP statuses become MCP_E* codes. Callers first handle the statuses that
 * mean something particular for their method (412 on PUT, 405 on MKCOL, ...). */
static int http_error(const struct xfer *x)
{
    const struct webdav *w = webdav_of(x->op->root);
    struct drive_op *op = x->op;
    long s = x->status;
    char st[96];

    status_text(x, st, sizeof st);
    if (s == 404 || s == 410)
        return fail(op, MCP_ENOENT, "/%s does not exist on the WebDAV server", x->path);
    if (s == 401 && !w->user)
        return fail(op, MCP_EACCES,
                    "the WebDAV server at %s asks for a user name and password (%s)", w->base, st);
    if (s == 401)
        return fail(op, MCP_EACCES,
                    "the WebDAV server at %s did not accept the user name and password (%s)",
                    w->base, st);
    if (s == 403 || s == 423)
        return fail(op, MCP_EACCES, "the WebDAV server refused %s /%s (%s)", x->method, x->path,
                    st);
    if (s == 413 || s == 507)
        return fail(op, MCP_E2BIG, "the WebDAV server refused %s /%s as too large (%s)", x->method,
                    x->path, st);
    if (s == 207)
        return fail(op, MCP_EIO,
                    "the WebDAV server did %s /%s only in part (207 Multi-Status); list the "
                    "folder to see what is left",
                    x->method, x->path);
    return fail(op, MCP_EIO, "the WebDAV server answered %s for %s /%s", st, x->method, x->path);
}

/* --- PROPFIND and multistatus */

static bool is_dav(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, "DAV:") == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *dav_child(const xmlNode *parent, const char *name)
{
    for (const xmlNode *n = parent->children; n; n = n->next)
        if (is_dav(n, name))
            return n;
    return NULL;
}

/* The element's text, trimmed, into buf; false when absent, too long or out of memory. */
static bool node_text(const xmlNode *n, char *buf, size_t len)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *s = (const char *)t, *end;
    bool ok = false;

    if (!t)
        return false;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        end--;
    if ((size_t)(end - s) < len) {
        memcpy(buf, s, (size_t)(end - s));
        buf[end - s] = '\0';
        ok = true;
    }
    xmlFree(t);
    return ok;
}

/* Drops a weak ETag's "W/". Apache marks a file's tag weak for the first second after each
 * change (its clock might not tell two changes apart) and strong afterwards; without the
 * prefix the tag of one version stays the same. */
static void strip_weak(char *etag)
{
    if (strncmp(etag, "W/", 2) == 0)
        memmove(etag, etag + 2, strlen(etag + 2) + 1);
}

/* "HTTP/1.1 200 OK" */
static bool status_ok(const xmlNode *status)
{
    char text[128];
    const char *sp;

    if (!status || !node_text(status, text, sizeof text))
        return false;
    sp = strchr(text, ' ');
    return sp && sp[1] == '2';
}

static void read_props(const xmlNode *prop, struct drive_stat *st)
{
    char text[256];

    for (const xmlNode *n = prop->children; n; n = n->next) {
        if (is_dav(n, "resourcetype")) {
            st->is_dir = dav_child(n, "collection") != NULL;
        } else if (is_dav(n, "getcontentlength") && node_text(n, text, sizeof text)) {
            char *end;
            long long v;

            errno = 0;
            v = strtoll(text, &end, 10);
            st->size = errno == 0 && end != text && *end == '\0' && v > 0 ? v : 0;
        } else if (is_dav(n, "getlastmodified") && node_text(n, text, sizeof text)) {
            /* curl_getdate reads all three HTTP date forms, RFC 1123 first among them. */
            time_t t = curl_getdate(text, NULL);
            st->mtime = t == (time_t)-1 ? 0 : (long long)t;
        } else if (is_dav(n, "getetag")) {
            /* Kept with its quotes so it can go back in If-Match; one too long for the field
             * is dropped rather than cut. */
            if (!node_text(n, st->etag, sizeof st->etag))
                st->etag[0] = '\0';
            strip_weak(st->etag);
        }
    }
}

/* Calls fn for a <response> with at least one successful <propstat>, merging their props. */
static int parse_response(const xmlNode *resp, response_fn fn, void *ctx)
{
    const xmlNode *href = dav_child(resp, "href");
    struct drive_stat st;
    bool found = false;
    xmlChar *text;
    int err;

    memset(&st, 0, sizeof st);
    if (!href)
        return 0;
    for (const xmlNode *n = resp->children; n; n = n->next) {
        const xmlNode *prop;

        if (!is_dav(n, "propstat") || !status_ok(dav_child(n, "status")))
            continue;
        prop = dav_child(n, "prop");
        if (prop) {
            read_props(prop, &st);
            found = true;
        }
    }
    if (!found)
        return 0;
    if (st.is_dir)
        st.size = 0;
    text = xmlNodeGetContent(href);
    if (!text)
        return MCP_ENOMEM;
    err = fn(ctx, (const char *)text, &st);
    xmlFree(text);
    return err;
}

static int parse_multistatus(const struct xfer *x, response_fn fn, void *ctx)
{
    /* No XML_PARSE_NOENT: entities are not substituted, so no entity expansion bombs and no
     * external entities; XML_PARSE_NONET keeps the parser off the network. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDoc *doc = NULL;
    const xmlNode *root = NULL;
    int err = 0;

    if (x->data && x->len <= INT_MAX)
        doc = xmlReadMemory(x->data, (int)x->len, NULL, NULL, opts);
    if (doc)
        root = xmlDocGetRootElement(doc);
    if (!is_dav(root, "multistatus")) {
        err = fail(x->op, MCP_EIO,
                   "the WebDAV server's answer to PROPFIND /%s is not a multistatus document",
                   x->path);
        goto free_doc;
    }
    for (const xmlNode *n = root->children; n && !err; n = n->next)
        if (is_dav(n, "response"))
            err = parse_response(n, fn, ctx);
    if (err == MCP_ENOMEM)
        fail(x->op, err, "out of memory reading the answer to PROPFIND /%s", x->path);
free_doc:
    xmlFreeDoc(doc);
    return err;
}

/* Sends PROPFIND; the caller releases x whatever this returns. */
static int propfind(struct xfer *x, struct drive_op *op, const char *path, int depth)
{
    int err = xfer_init(x, op, "PROPFIND", path);

    if (!err)
        err = add_header(x, "Depth: %d", depth);
    if (!err)
        err = add_header(x, "Content-Type: application/xml; charset=utf-8");
    if (err)
        return err;
    x->body = PROPFIND_BODY;
    x->body_len = sizeof PROPFIND_BODY - 1;
    x->keep = true;
    x->max = PROPFIND_MAX;
    return perform(x);
}

struct first_found {
    struct drive_stat st;
    bool found;
};

static int take_first(void *ctx, const char *href, const struct drive_stat *st)
{
    struct first_found *f = ctx;

    (void)href;
    if (!f->found) {
        f->st = *st;
        f->found = true;
    }
    return 0;
}

static int webdav_stat(struct drive_op *op, const char *path, struct drive_stat *out)
{
    struct first_found f;
    struct xfer x;
    int err = propfind(&x, op, path, 0);

    memset(&f, 0, sizeof f);
    if (!err && x.status != 207)
        err = http_error(&x);
    if (!err)
        err = parse_multistatus(&x, take_first, &f);
    if (!err && !f.found)
        err =
            fail(op, MCP_EIO, "the WebDAV server's answer to PROPFIND /%s named no resource", path);
    if (!err)
        *out = f.st;
    xfer_release(&x);
    return err;
}

struct listing {
    char *self; /* the listed folder's decoded URL path */
    bool self_seen;
    bool self_is_dir;
    struct drive_listing entries;
};

/* The decoded last segment of an href path, or NULL for none fit to be a name. */
static int entry_name(const char *path, size_t n, char **out)
{
    size_t start;
    char *name;

    while (n > 0 && path[n - 1] == '/')
        n--;
    start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    name = pct_decode(path + start, n - start);
    if (!name)
        return MCP_ENOMEM;
    if (name[0] == '\0' || strchr(name, '/') || dot_segment(name, strlen(name))) {
        free(name);
        name = NULL;
    }
    *out = name;
    return 0;
}

static int take_entry(void *ctx, const char *href, const struct drive_stat *st)
{
    struct listing *l = ctx;
    const char *path;
    size_t n;
    char *decoded, *name;
    bool self;
    int err;

    href_path(href, &path, &n);
    decoded = pct_decode(path, n);
    if (!decoded)
        return MCP_ENOMEM;
    self = same_path(decoded, l->self);
    free(decoded);
    if (self) {
        l->self_seen = true;
        l->self_is_dir = st->is_dir;
        return 0;
    }
    err = entry_name(path, n, &name);
    if (err || !name)
        return err;
    err = drive_listing_add(&l->entries, name, st);
    free(name);
    return err;
}

static int listing_self(const struct webdav *w, const char *path, struct listing *l)
{
    size_t bl = strlen(w->base_path), pl = strlen(path);

    l->self = malloc(bl + pl + 1);
    if (!l->self)
        return MCP_ENOMEM;
    memcpy(l->self, w->base_path, bl);
    memcpy(l->self + bl, path, pl + 1);
    return 0;
}

static int webdav_list(struct drive_op *op, const char *path, struct drive_dirent **out, size_t *n)
{
    struct listing l;
    struct xfer x;
    int err;

    memset(&l, 0, sizeof l);
    err = propfind(&x, op, path, 1);
    if (!err && x.status != 207)
        err = http_error(&x);
    if (!err && listing_self(webdav_of(op->root), path, &l))
        err = fail(op, MCP_ENOMEM, "out of memory listing /%s", path);
    if (!err)
        err = parse_multistatus(&x, take_entry, &l);
    if (!err && l.self_seen && !l.self_is_dir)
        err = fail(op, MCP_EINVAL, "/%s is a file, not a folder", path);
    if (!err)
        err = drive_listing_take(&l.entries, out, n);
    drive_listing_release(&l.entries);
    free(l.self);
    xfer_release(&x);
    return err;
}

/* --- Reading and writing */

static int ranged_get(struct xfer *x, struct drive_op *op, const char *path, long long offset,
                      size_t len)
{
    int err = xfer_init(x, op, "GET", path);

    if (err)
        return err;
    if ((unsigned long long)len - 1 > (unsigned long long)(LLONG_MAX - offset))
        err = add_header(x, "Range: bytes=%lld-", offset);
    else
        err = add_header(x, "Range: bytes=%lld-%lld", offset, offset + (long long)(len - 1));
    if (err)
        return err;
    x->keep = true;
    x->ranged = true;
    x->range_offset = offset;
    x->max = len;
    err = perform(x);
    if (!err && x->status == 416)
        x->len = 0; /* the range starts at or past the end: nothing to read */
    else if (!err && x->status != 200 && x->status != 206)
        err = http_error(x);
    return err;
}

static int webdav_read(struct drive_op *op, const char *path, long long offset, size_t len,
                       char **data, size_t *got, struct drive_stat *st)
{
    struct drive_stat s;
    struct xfer x;
    size_t got_n;
    char *buf;
    int err;

    if (offset < 0)
        return fail(op, MCP_EINVAL, "the offset must not be negative");
    /* Stat first: the ETag handed out is then never newer than the bytes read, so a later
     * write with if_match cannot overwrite a change the reader did not see. */
    err = webdav_stat(op, path, &s);
    if (err)
        return err;
    if (s.is_dir)
        return fail(op, MCP_EINVAL, "/%s is a folder, not a file", path);
    memset(&x, 0, sizeof x);
    if (len > 0)
        err = ranged_get(&x, op, path, offset, len);
    if (err)
        goto release;
    got_n = x.data ? x.len : 0;
    buf = x.data ? x.data : malloc(1);
    if (!buf) {
        err = fail(op, MCP_ENOMEM, "out of memory reading /%s", path);
        goto release;
    }
    buf[got_n] = '\0';
    x.data = NULL;
    *data = buf;
    *got = got_n;
    *st = s;
release:
    xfer_release(&x);
    return err;
}

/* An if_match argument as a tag for a precondition header: quoted as this backend hands tags
 * out (an agent may have dropped the quotes), without "W/". Control characters would split
 * the header, and a tag longer than any handed out cannot match, so both are refused. */
static int if_match_tag(struct drive_op *op, const char *arg, char *tag, size_t len)
{
    const char *s = strncmp(arg, "W/", 2) == 0 ? arg + 2 : arg;
    int n;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return fail(op, MCP_ESTATE, "the if_match ETag is not one this server gave");
    n = snprintf(tag, len, s[0] == '"' ? "%s" : "\"%s\"", s);
    if (n < 0 || (size_t)n >= len)
        return fail(op, MCP_ESTATE, "the if_match ETag is not one this server gave");
    return 0;
}

/* One PUT with an optional precondition header; the caller releases x. */
static int put(struct xfer *x, struct drive_op *op, const char *path, const void *data, size_t len,
               const char *precondition)
{
    int err = xfer_init(x, op, "PUT", path);

    if (!err)
        err = add_header(x, "Content-Type: application/octet-stream");
    if (!err)
        err = add_header(x, "Expect:"); /* no 100-continue pause before the body */
    if (!err && precondition)
        err = add_header(x, "%s", precondition);
    if (err)
        return err;
    x->body = data ? data : "";
    x->body_len = len;
    return perform(x);
}

/* Whether a PUT refused with 412 under If-Match names the current version after all: the
 * server compared strongly and its tag is (still) weak. */
static bool only_weak(struct drive_op *op, const char *path, const char *tag)
{
    struct drive_stat st;

    return webdav_stat(op, path, &st) == 0 && !st.is_dir && strcmp(st.etag, tag) == 0;
}

/* The status of a PUT that did not succeed, as an MCP_E* code. */
static int put_error(struct xfer *x, const char *if_match)
{
    struct drive_stat st;
    const char *path = x->path;

    if (x->status == 412 && if_match) {
        /* A precondition fails the same way when the file is gone; tell the two apart. */
        if (webdav_stat(x->op, path, &st) == MCP_ENOENT)
            return fail(x->op, MCP_ENOENT, "/%s no longer exists", path);
        return fail(x->op, MCP_ESTATE,
                    "/%s changed since ETag %s was read; read it again and redo the change", path,
                    if_match);
    }
    if (x->status == 412)
        return fail(x->op, MCP_EEXIST, "/%s already exists", path);
    /* Apache answers 409 both for a missing parent and for a PUT onto a folder. */
    if ((x->status == 409 && webdav_stat(x->op, path, &st) == 0 && st.is_dir) || x->status == 405)
        return fail(x->op, MCP_EINVAL, "/%s is a folder, not a file", path);
    if (x->status == 409)
        return fail(x->op, MCP_ENOENT, "the folder that should hold /%s does not exist", path);
    return http_error(x);
}

static int webdav_write(struct drive_op *op, const char *path, const void *data, size_t len,
                        const char *if_match, bool create_only, struct drive_stat *st)
{
    char tag[sizeof st->etag], cond[sizeof tag + 16], etag[sizeof st->etag];
    const char *precondition = create_only ? "If-None-Match: *" : NULL;
    struct drive_stat s;
    struct xfer x;
    int err = 0;

    memset(&x, 0, sizeof x);
    if (if_match) {
        err = if_match_tag(op, if_match, tag, sizeof tag);
        snprintf(cond, sizeof cond, "If-Match: %s", tag);
        precondition = cond;
    }
    if (!err)
        err = put(&x, op, path, data, len, precondition);
    if (!err && x.status == 412 && if_match && only_weak(op, path, tag)) {
        /* Apache's If-Match refuses a weak tag for a second after each change; mod_dav's
         * own If header compares weakly, as RFC 4918 allows, so ask again with that. */
        xfer_release(&x);
        snprintf(cond, sizeof cond, "If: ([%s])", tag);
        err = put(&x, op, path, data, len, cond);
    }
    if (!err && (x.status < 200 || x.status > 299))
        err = put_error(&x, if_match);
    if (err)
        goto release;
    memcpy(etag, x.etag, sizeof etag);
    strip_weak(etag);
    err = webdav_stat(op, path, &s);
    if (err)
        goto release;
    /* The PUT's own ETag names exactly what was written, should another write follow. */
    if (etag[0])
        memcpy(s.etag, etag, sizeof s.etag);
    *st = s;
release:
    xfer_release(&x);
    return err;
}

static int webdav_mkdir(struct drive_op *op, const char *path)
{
    struct xfer x;
    int err = xfer_init(&x, op, "MKCOL", path);

    if (!err)
        err = perform(&x);
    if (err)
        goto release;
    if (x.status == 405)
        err = fail(op, MCP_EEXIST, "/%s already exists", path);
    else if (x.status == 409)
        err = fail(op, MCP_ENOENT, "the folder that should hold /%s does not exist", path);
    else if (x.status < 200 || x.status > 299)
        err = http_error(&x);
release:
    xfer_release(&x);
    return err;
}

/* Whether the folder that would hold `path` is missing; asked only after a failure whose
 * status does not say (Apache answers a MOVE into a missing folder with 500). */
static bool parent_missing(struct drive_op *op, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    struct drive_op probe = {.root = op->root, .call = op->call};
    struct drive_stat st;
    char *parent = strndup(path, n);
    int err;

    if (!parent)
        return false;
    err = webdav_stat(&probe, parent, &st);
    free(parent);
    return err == MCP_ENOENT || (err == 0 && !st.is_dir);
}

/* MOVE or COPY inside the root. */
static int relocate(struct drive_op *op, const char *method, const char *from, const char *to,
                    bool overwrite)
{
    char *dest = NULL;
    struct xfer x;
    int err = xfer_init(&x, op, method, from);

    if (!err && url_of(webdav_of(op->root), to, &dest))
        err = fail(op, MCP_EINVAL, "/%s is not a valid path on the WebDAV server", to);
    if (!err)
        err = add_header(&x, "Destination: %s", dest);
    if (!err)
        err = add_header(&x, "Overwrite: %s", overwrite ? "T" : "F");
    /* A folder is copied with everything in it. */
    if (!err && strcmp(method, "COPY") == 0)
        err = add_header(&x, "Depth: infinity");
    if (!err)
        err = perform(&x);
    if (err)
        goto release;
    if (x.status == 412)
        err = fail(op, MCP_EEXIST, "/%s already exists", to);
    else if (x.status == 409 || (x.status >= 500 && parent_missing(op, to)))
        err = fail(op, MCP_ENOENT, "the folder that should hold /%s does not exist", to);
    else if (x.status < 200 || x.status > 299 || x.status == 207)
        err = http_error(&x);
release:
    free(dest);
    xfer_release(&x);
    return err;
}

static int webdav_move(struct drive_op *op, const char *from, const char *to, bool overwrite)
{
    return relocate(op, "MOVE", from, to, overwrite);
}

static int webdav_copy(struct drive_op *op, const char *from, const char *to, bool overwrite)
{
    return relocate(op, "COPY", from, to, overwrite);
}

static int webdav_remove(struct drive_op *op, const char *path)
{
    struct xfer x;
    int err = xfer_init(&x, op, "DELETE", path);

    if (!err)
        err = perform(&x);
    if (!err && (x.status < 200 || x.status > 299 || x.status == 207))
        err = http_error(&x);
    xfer_release(&x);
    return err;
}

/* --- Opening and freeing */

static void cleanse_free(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

static void webdav_free(struct drive_root *root)
{
    struct webdav *w = webdav_of(root);

    if (!w)
        return;
    for (size_t i = 0; i < w->nidle; i++)
        curl_easy_cleanup(w->idle[i]);
    if (w->lock_ready)
        pthread_mutex_destroy(&w->lock);
    free(w->root.name);
    free(w->root.where);
    free(w->base);
    free(w->base_path);
    cleanse_free(w->user);
    cleanse_free(w->password);
    free(w->ca_file);
    free(w);
}

/* A string from curl_url_get copied into malloc'd memory (curl's is freed with curl_free). */
static int url_part(CURLU *u, CURLUPart part, unsigned flags, char **out)
{
    char *s = NULL, *copy;
    CURLUcode rc = curl_url_get(u, part, &s, flags);

    *out = NULL;
    if (rc != CURLUE_OK)
        return rc == CURLUE_OUT_OF_MEMORY ? MCP_ENOMEM : 0;
    copy = strdup(s);
    if (s)
        explicit_bzero(s, strlen(s));
    curl_free(s);
    if (!copy)
        return MCP_ENOMEM;
    *out = copy;
    return 0;
}

/* The root's name: the last segment of the URL's path, or the host for "/". */
static int root_name(struct webdav *w, CURLU *u)
{
    size_t n = strlen(w->base_path), start;

    while (n > 0 && w->base_path[n - 1] == '/')
        n--;
    if (n == 0)
        return url_part(u, CURLUPART_HOST, 0, &w->root.name);
    start = n;
    while (start > 0 && w->base_path[start - 1] != '/')
        start--;
    w->root.name = strndup(w->base_path + start, n - start);
    return w->root.name ? 0 : MCP_ENOMEM;
}

/* Credentials in the URL are taken out of it (and kept when the options name none), so
 * `where` and every message show the URL without them. */
static int take_credentials(struct webdav *w, CURLU *u, const struct drive_webdav_options *opt)
{
    char *user = NULL, *password = NULL;
    int err = url_part(u, CURLUPART_USER, CURLU_URLDECODE, &user);

    if (!err)
        err = url_part(u, CURLUPART_PASSWORD, CURLU_URLDECODE, &password);
    if (!err && (curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
                 curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
                 curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) != CURLUE_OK))
        err = MCP_ENOMEM;
    if (!err && opt->user) {
        cleanse_free(user);
        cleanse_free(password);
        user = strdup(opt->user);
        password = opt->password ? strdup(opt->password) : NULL;
        if (!user || (opt->password && !password))
            err = MCP_ENOMEM;
    }
    w->user = user;
    w->password = password;
    return err;
}

/* The base URL ending in '/', and its decoded path. */
static int set_base(struct webdav *w, CURLU *u)
{
    char *path = NULL;
    int err = url_part(u, CURLUPART_PATH, 0, &path);

    if (!err && path && (path[0] == '\0' || path[strlen(path) - 1] != '/')) {
        size_t n = strlen(path);
        char *slashed = malloc(n + 2);

        if (slashed)
            snprintf(slashed, n + 2, "%s/", path);
        free(path);
        path = slashed;
        if (!path || curl_url_set(u, CURLUPART_PATH, path, 0) != CURLUE_OK)
            err = MCP_ENOMEM;
    }
    if (!err && (curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK))
        err = MCP_ENOMEM;
    if (!err)
        err = url_part(u, CURLUPART_URL, 0, &w->base);
    if (!err && path) {
        w->base_path = pct_decode(path, strlen(path));
        if (!w->base_path)
            err = MCP_ENOMEM;
    }
    free(path);
    if (!err && (!w->base || !w->base_path))
        err = MCP_EINVAL;
    return err;
}

static int parse_url(struct webdav *w, const struct drive_webdav_options *opt, char *why,
                     size_t whylen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *query = NULL;
    int err = 0;

    if (!u)
        return MCP_ENOMEM;
    /* The URL is not quoted back: it may hold a password. */
    if (!opt->url || curl_url_set(u, CURLUPART_URL, opt->url, 0) != CURLUE_OK ||
        url_part(u, CURLUPART_SCHEME, 0, &scheme) || !scheme ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        snprintf(why, whylen, "the WebDAV URL is not a valid http:// or https:// URL");
        err = MCP_EINVAL;
        goto free_url;
    }
    err = url_part(u, CURLUPART_QUERY, 0, &query);
    if (!err && query) {
        snprintf(why, whylen, "the WebDAV URL must not have a query (\"?...\")");
        err = MCP_EINVAL;
    }
    if (!err)
        err = take_credentials(w, u, opt);
    if (!err)
        err = set_base(w, u);
    if (!err)
        err = root_name(w, u);
    if (!err) {
        w->root.where = strdup(w->base);
        if (!w->root.where)
            err = MCP_ENOMEM;
    }
    if (err == MCP_ENOMEM)
        snprintf(why, whylen, "out of memory opening the WebDAV folder");
    else if (err && !why[0])
        snprintf(why, whylen, "the WebDAV URL is not a valid http:// or https:// URL");
free_url:
    free(scheme);
    free(query);
    curl_url_cleanup(u);
    return err;
}

/* http_error's sentence, saying which folder could not be opened. */
static int probe_error(const struct xfer *x)
{
    char detail[sizeof x->op->why];
    int err = http_error(x);

    memcpy(detail, x->op->why, sizeof detail);
    return fail(x->op, err, "could not open %s: %s", webdav_of(x->op->root)->base, detail);
}

/* A PROPFIND on the base: the server must answer as a WebDAV collection. It also learns
 * which authentication the server wants, so later requests send it at once. */
static int probe(struct webdav *w, char *why, size_t whylen)
{
    struct drive_op op;
    struct first_found f;
    struct xfer x;
    char st[96];
    int err;

    memset(&op, 0, sizeof op);
    memset(&f, 0, sizeof f);
    op.root = &w->root;
    w->auth = CURLAUTH_BASIC | CURLAUTH_DIGEST;
    err = propfind(&x, &op, "", 0);
    if (!err && w->user)
        w->auth = (x.auth_offered & CURLAUTH_DIGEST) && !(x.auth_offered & CURLAUTH_BASIC)
                      ? CURLAUTH_DIGEST
                      : CURLAUTH_BASIC;
    status_text(&x, st, sizeof st);
    if (!err && x.status == 404)
        err = fail(&op, MCP_ENOENT, "there is no folder at %s (%s)", w->base, st);
    else if (!err && x.status == 401)
        err = http_error(&x);
    else if (!err && (x.status == 403 || x.status >= 500))
        err = probe_error(&x);
    else if (!err && x.status != 207)
        err =
            fail(&op, MCP_EIO, "%s is not a WebDAV collection: the server answered %s to PROPFIND",
                 w->base, st);
    if (!err)
        err = parse_multistatus(&x, take_first, &f);
    if (!err && (!f.found || !f.st.is_dir))
        err = fail(&op, MCP_EINVAL, "%s is a file, not a WebDAV collection", w->base);
    if (err)
        snprintf(why, whylen, "%s", op.why);
    xfer_release(&x);
    return err;
}

struct drive_root *drive_webdav_open(const struct drive_webdav_options *opt, char *why,
                                     size_t whylen)
{
    struct webdav *w;

    why[0] = '\0';
    /* Every curl and libxml2 call of this backend comes after this, on a root it opened. */
    if (drive_curl_load(why, whylen) || drive_xml_load(why, whylen))
        return NULL;
    w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(why, whylen, "out of memory opening the WebDAV folder");
        return NULL;
    }
    w->root.ops = &webdav_ops;
    w->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : DEFAULT_TIMEOUT_MS;
    if (pthread_mutex_init(&w->lock, NULL) != 0) {
        snprintf(why, whylen, "could not create a lock for the WebDAV folder");
        goto free_root;
    }
    w->lock_ready = true;
    if (opt->ca_file && !(w->ca_file = strdup(opt->ca_file))) {
        snprintf(why, whylen, "out of memory opening the WebDAV folder");
        goto free_root;
    }
    if (parse_url(w, opt, why, whylen) || probe(w, why, whylen))
        goto free_root;
    return &w->root;
free_root:
    webdav_free(&w->root);
    return NULL;
}

static const struct drive_backend_ops webdav_ops = {
    .kind = "webdav",
    .stat = webdav_stat,
    .list = webdav_list,
    .read = webdav_read,
    .write = webdav_write,
    .mkdir = webdav_mkdir,
    .move = webdav_move,
    .copy = webdav_copy,
    .remove = webdav_remove,
    .free = webdav_free,
};
