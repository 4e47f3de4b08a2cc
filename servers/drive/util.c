/* Small pieces every drive tool uses: entries as JSON, times, MIME types, error results that
 * tell the agent what to do next, random bytes, and the look-up behind the libraries loaded
 * on first use (curl_lib.c, xml_lib.c). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <mcp/mcp.h>

#include "drive.h"

int drive_join(char *out, size_t len, const char *a, const char *b)
{
    /* On every entry of a search: plain copies, not snprintf. */
    size_t na = strlen(a), nb = strlen(b), sep = na > 0;
    if (na + sep + nb >= len)
        return MCP_E2BIG;
    memmove(out, a, na);
    out[na] = '/';
    memcpy(out + na + sep, b, nb + 1);
    return 0;
}

int drive_percent_decode(const char *in, char *out, size_t len)
{
    size_t used = 0;
    for (const char *p = in; *p; p++) {
        if (used + 1 >= len)
            return MCP_E2BIG;
        unsigned v;
        if (*p != '%') {
            out[used++] = *p;
        } else if (p[1] && p[2] && sscanf(p + 1, "%2x", &v) == 1 && v != 0) {
            out[used++] = (char)v;
            p += 2;
        } else {
            return MCP_EINVAL; /* a malformed escape, or %00 */
        }
    }
    out[used] = '\0';
    return 0;
}

int drive_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        /* Requests over 256 bytes may come back short, and a signal may cut one off. */
        ssize_t k = getrandom(p, len, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return MCP_EIO;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

static int open_library(struct drive_library *l)
{
    void *handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(l->failure, sizeof l->failure, "cannot load %s (Debian package %s): %s", l->soname,
                 l->package, dlerror());
        return MCP_ENOTSUP;
    }
    for (size_t i = 0; i < l->nsymbols; i++) {
        const struct drive_symbol *sym = &l->symbols[i];
        void *address = dlsym(handle, sym->name);
        if (!address) {
            snprintf(l->failure, sizeof l->failure,
                     "%s lacks %s (an older version than mcp-drive was built for?)", l->soname,
                     sym->name);
            return MCP_ENOTSUP;
        }
        /* dlsym gives an object pointer; POSIX guarantees it converts to a function pointer,
         * ISO C does not, hence the copy instead of a cast. */
        memcpy(sym->slot, &address, sym->size);
    }
    return l->set_up ? l->set_up(l->failure, sizeof l->failure) : 0;
}

int drive_library_load(struct drive_library *l, char *why, size_t whylen)
{
    pthread_mutex_lock(&l->lock);
    if (!l->tried) {
        l->rc = open_library(l);
        l->tried = true;
    }
    int rc = l->rc;
    pthread_mutex_unlock(&l->lock);
    if (rc)
        snprintf(why, whylen, "%s", l->failure);
    return rc;
}

/* Writes n digits of v, zero-padded. */
static char *put_digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

void drive_format_time(long long t, char *buf, size_t len)
{
    /* Years 1970-9999 by arithmetic (days to civil date, after H. Hinnant): a search formats
     * one time per result, and gmtime_r + strftime cost ten times as much. */
    if (t >= 0 && t <= 253402300799LL && len >= 21) {
        long long days = t / 86400, secs = t % 86400;
        long long z = days + 719468, era = z / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153, day = doy - (153 * mp + 2) / 5 + 1;
        unsigned month = mp < 10 ? mp + 3 : mp - 9;
        unsigned year = (unsigned)(yoe + era * 400) + (month <= 2);
        char *p = put_digits(buf, year, 4);
        *p++ = '-';
        p = put_digits(p, month, 2);
        *p++ = '-';
        p = put_digits(p, day, 2);
        *p++ = 'T';
        p = put_digits(p, (unsigned)(secs / 3600), 2);
        *p++ = ':';
        p = put_digits(p, (unsigned)(secs / 60 % 60), 2);
        *p++ = ':';
        p = put_digits(p, (unsigned)(secs % 60), 2);
        memcpy(p, "Z", 2);
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "1970-01-01T00:00:00Z");
}

/* Adds `item` (taken) under a key that is a string literal, which cJSON then neither copies
 * nor frees: a search builds a thousand entries per page. */
static bool add_literal_key(cJSON *obj, const char *key, cJSON *item)
{
    if (item && cJSON_AddItemToObjectCS(obj, key, item))
        return true;
    cJSON_Delete(item);
    return false;
}

cJSON *drive_entry_json(const char *display_path, const char *name, const struct drive_stat *st)
{
    char when[32];
    drive_format_time(st->mtime, when, sizeof when);
    cJSON *e = cJSON_CreateObject();
    if (!e || !add_literal_key(e, "path", cJSON_CreateString(display_path)) ||
        !add_literal_key(e, "name", cJSON_CreateString(name)) ||
        !add_literal_key(e, "type", cJSON_CreateStringReference(st->is_dir ? "folder" : "file")) ||
        !add_literal_key(e, "size", cJSON_CreateNumber((double)st->size)) ||
        !add_literal_key(e, "modified", cJSON_CreateString(when)) ||
        (st->etag[0] && !add_literal_key(e, "etag", cJSON_CreateString(st->etag)))) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

static const struct {
    const char *ext;
    const char *mime;
} mime_types[] = {
    {"txt", "text/plain"},
    {"md", "text/markdown"},
    {"csv", "text/csv"},
    {"tsv", "text/tab-separated-values"},
    {"html", "text/html"},
    {"htm", "text/html"},
    {"css", "text/css"},
    {"xml", "application/xml"},
    {"json", "application/json"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"js", "text/javascript"},
    {"ts", "text/plain"},
    {"c", "text/x-c"},
    {"h", "text/x-c"},
    {"py", "text/x-python"},
    {"sh", "text/x-shellscript"},
    {"ics", "text/calendar"},
    {"eml", "message/rfc822"},
    {"log", "text/plain"},
    {"ini", "text/plain"},
    {"toml", "text/plain"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
};

const char *drive_mime_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && dot != name)
        for (size_t i = 0; i < sizeof mime_types / sizeof *mime_types; i++)
            if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
                return mime_types[i].mime;
    return "application/octet-stream";
}

bool drive_mime_is_text(const char *mime)
{
    return strncmp(mime, "text/", 5) == 0 || strcmp(mime, "application/json") == 0 ||
           strcmp(mime, "application/xml") == 0 || strcmp(mime, "application/yaml") == 0 ||
           strcmp(mime, "image/svg+xml") == 0 || strcmp(mime, "message/rfc822") == 0;
}

int drive_fail(struct mcp_call *call, int rc, const struct drive_op *op, const char *what,
               const char *path)
{
    if (rc == MCP_ECANCELED || rc == MCP_ENOMEM)
        return rc;
    const char *why = op && op->why[0] ? op->why : NULL;
    const char *hint = "";
    switch (rc) {
    case MCP_ENOENT:
        why = why ? why : "no such file or folder";
        hint = " Use list_folder or search_files to find the right path.";
        break;
    case MCP_EEXIST:
        why = why ? why : "something is already there";
        hint = " Pass overwrite: true to replace it, or choose another name.";
        break;
    case MCP_EINVAL:
        why = why ? why : "it is a folder where a file is needed, or a file where a folder is";
        break;
    case MCP_ETIMEDOUT:
        why = why ? why : "the storage did not answer in time";
        hint = " Try again later.";
        break;
    default:
        why = why ? why : mcp_strerror(rc);
        break;
    }
    return mcp_call_error(call, "Could not %s '%s': %s.%s", what, path, why, hint);
}
