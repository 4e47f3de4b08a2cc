/* The local backend: one folder on this machine.
 *
 * Confinement does not rely on checking a path string and then opening it, which a symlink
 * swapped in between would defeat. The root is held open as a descriptor, and every path is
 * walked one segment at a time with openat(O_NOFOLLOW) from there, so no symlink is ever
 * followed, whether it is the last segment, a parent, or one created mid-walk. Writes go to a
 * temporary file beside the target and are renamed over it after fsync, so a crash leaves the
 * old file or the new one, never a mix. */
#define _GNU_SOURCE /* renameat2, O_PATH, getdents64 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif
#endif

#include <mcp/mcp.h>

#include "backend.h"
#include "drive.h"

struct local_root {
    struct drive_root base;
    int fd; /* the root folder, O_PATH */
    /* Writes check an If-Match ETag and then rename: the lock keeps two writers of this
     * process from both passing the check. */
    pthread_mutex_t write_lock;
};

static struct local_root *local(struct drive_op *op)
{
    return (struct local_root *)op->root;
}

static int fail_errno(struct drive_op *op, int err, const char *what, const char *path)
{
    switch (err) {
    case ENOENT:
        return MCP_ENOENT;
    case EEXIST:
    case ENOTEMPTY:
        return MCP_EEXIST;
    case ELOOP:
        snprintf(op->why, sizeof op->why,
                 "'%s' is or passes through a symbolic link, which the drive never follows", path);
        return MCP_EACCES;
    case EACCES:
    case EPERM:
        snprintf(op->why, sizeof op->why, "permission denied to %s '%s'", what, path);
        return MCP_EACCES;
    case ENOTDIR:
    case EISDIR:
        return MCP_EINVAL;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        snprintf(op->why, sizeof op->why, "no space left to %s '%s'", what, path);
        return MCP_E2BIG;
    default:
        snprintf(op->why, sizeof op->why, "could not %s '%s': %s", what, path, strerror(err));
        return MCP_EIO;
    }
}

/* Opens the folder holding the last segment of `path` and points *leaf at that segment.
 * Returns the folder's descriptor (close it) or -errno. "" gives the root itself with
 * *leaf = NULL. */
static int open_parent(struct local_root *r, const char *path, const char **leaf)
{
    int fd = dup(r->fd);
    if (fd < 0)
        return -errno;
    const char *seg = path;
    *leaf = NULL;
    while (*seg) {
        const char *slash = strchr(seg, '/');
        if (!slash) {
            *leaf = seg;
            return fd;
        }
        char name[NAME_MAX + 1];
        size_t n = (size_t)(slash - seg);
        if (n == 0 || n > NAME_MAX) {
            close(fd);
            return -ENAMETOOLONG;
        }
        memcpy(name, seg, n);
        name[n] = '\0';
        int next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        close(fd);
        if (next < 0) {
            /* O_NOFOLLOW on a symlinked folder says ENOTDIR: tell the two apart. */
            return err == ENOTDIR ? -ELOOP : -err;
        }
        fd = next;
        seg = slash + 1;
    }
    return fd;
}

/* Lowercase hex of v, no leading zeros, like printf's %llx. */
static char *put_hex(char *p, unsigned long long v)
{
    char digits[16];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        *p++ = digits[--n];
    return p;
}

static void fill_stat(const struct stat *s, struct drive_stat *out)
{
    _Static_assert(sizeof out->etag >= 2 + 3 * 16 + 2 + 1, "three 64-bit hex numbers fit");
    memset(out, 0, sizeof *out);
    out->is_dir = S_ISDIR(s->st_mode);
    out->size = out->is_dir ? 0 : (long long)s->st_size;
    out->mtime = (long long)s->st_mtim.tv_sec;
    /* "<mtime ns>-<size>-<inode>" in hex, quoted, formatted by hand: a search fills one per
     * match. */
    char *p = out->etag;
    *p++ = '"';
    p = put_hex(p, (unsigned long long)s->st_mtim.tv_sec * 1000000000ull +
                       (unsigned long long)s->st_mtim.tv_nsec);
    *p++ = '-';
    p = put_hex(p, (unsigned long long)s->st_size);
    *p++ = '-';
    p = put_hex(p, (unsigned long long)s->st_ino);
    *p++ = '"';
    *p = '\0';
}

/* fstatat without following, refusing anything but files and folders. */
static int stat_at(int dirfd, const char *leaf, struct stat *s)
{
    if (fstatat(dirfd, leaf ? leaf : "", s, leaf ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) != 0)
        return -errno;
    if (S_ISLNK(s->st_mode))
        return -ELOOP;
    if (!S_ISREG(s->st_mode) && !S_ISDIR(s->st_mode))
        return -EACCES;
    return 0;
}

static int local_stat(struct drive_op *op, const char *path, struct drive_stat *out)
{
    const char *leaf;
    int dirfd = open_parent(local(op), path, &leaf);
    if (dirfd < 0)
        return fail_errno(op, -dirfd, "look up", path);
    struct stat s;
    int rc = stat_at(dirfd, leaf, &s);
    close(dirfd);
    if (rc)
        return fail_errno(op, -rc, "look up", path);
    fill_stat(&s, out);
    return 0;
}

/* The whole of open_parent's walk in one system call: openat2 refuses a symlink anywhere on
 * the way (RESOLVE_NO_SYMLINKS) and any step outside the root (RESOLVE_BENEATH), where the walk
 * makes two calls per segment. A search opens every folder it lists. Returns -1 on any failure,
 * and the caller walks again to say why (and to work where openat2 is missing). */
static int open_beneath(struct local_root *r, const char *path, int flags)
{
#if defined(RESOLVE_BENEATH) && defined(SYS_openat2)
    static atomic_bool missing; /* ENOSYS: a kernel before 5.6 */
    if (!path[0] || path[0] == '/' || strstr(path, "//") || path[strlen(path) - 1] == '/' ||
        atomic_load_explicit(&missing, memory_order_relaxed))
        return -1; /* the root itself, or a path the walk refuses */
    struct open_how how = {.flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC),
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
    long fd = syscall(SYS_openat2, r->fd, path, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS)
        atomic_store_explicit(&missing, true, memory_order_relaxed);
    return fd < 0 ? -1 : (int)fd;
#else
    (void)r, (void)path, (void)flags;
    return -1; /* headers without openat2: the walk alone */
#endif
}

/* Opens `path` for reading without following a symlink anywhere on the way. */
static int open_at_path(struct drive_op *op, const char *path, int flags, const char *what)
{
    int fast = open_beneath(local(op), path, flags);
    if (fast >= 0)
        return fast;
    const char *leaf;
    int dirfd = open_parent(local(op), path, &leaf);
    if (dirfd < 0)
        return fail_errno(op, -dirfd, what, path);
    int fd = openat(dirfd, leaf ? leaf : ".", flags | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    close(dirfd);
    if (fd < 0)
        return fail_errno(op, err, what, path);
    return fd;
}

void drive_dirents_free(struct drive_dirent *d, size_t n)
{
    (void)n; /* the names live in the same allocation */
    free(d);
}

int drive_listing_add(struct drive_listing *l, const char *name, const struct drive_stat *st)
{
    size_t len = strlen(name) + 1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 128;
        struct drive_dirent *v =
            cap <= SIZE_MAX / 2 / sizeof *v ? realloc(l->v, cap * sizeof *v) : NULL;
        if (!v)
            return MCP_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    if (len > l->room - l->used) {
        size_t room = l->room ? l->room : 2048;
        while (room - l->used < len && room <= SIZE_MAX / 4)
            room *= 2;
        char *names = room - l->used >= len ? realloc(l->names, room) : NULL;
        if (!names)
            return MCP_ENOMEM;
        l->names = names;
        l->room = room;
    }
    memcpy(l->names + l->used, name, len);
    l->used += len;
    l->v[l->n].name = NULL;
    l->v[l->n].st = *st;
    l->n++;
    return 0;
}

int drive_listing_take(struct drive_listing *l, struct drive_dirent **out, size_t *n)
{
    /* The entries stay where they are (usually shrunk in place); the names follow them. */
    struct drive_dirent *d = realloc(l->v, l->n * sizeof *d + l->used + 1);
    if (!d)
        return MCP_ENOMEM;
    l->v = NULL;
    char *names = (char *)(d + l->n);
    if (l->used)
        memcpy(names, l->names, l->used);
    for (size_t i = 0; i < l->n; i++) {
        d[i].name = names;
        names += strlen(names) + 1;
    }
    *out = d;
    *n = l->n;
    drive_listing_release(l);
    return 0;
}

void drive_listing_release(struct drive_listing *l)
{
    free(l->v);
    free(l->names);
    memset(l, 0, sizeof *l);
}

static int local_list(struct drive_op *op, const char *path, struct drive_dirent **out, size_t *n)
{
    int fd = open_at_path(op, path, O_RDONLY | O_DIRECTORY, "list");
    if (fd < 0)
        return fd;
    /* getdents64 rather than fdopendir + readdir, which add an fstat and an fcntl to every
     * folder a search lists. The buffer is not on the stack: a search lists from deep in
     * its recursion, perhaps on a connection thread's small stack. */
    enum { DIRENTS_BYTES = 32768 };
    char *buf = malloc(DIRENTS_BYTES);
    if (!buf) {
        close(fd);
        return MCP_ENOMEM;
    }
    struct drive_listing l = {0};
    int rc = 0;
    ssize_t got;
    while (!rc && (got = getdents64(fd, buf, DIRENTS_BYTES)) > 0) {
        for (ssize_t off = 0; off < got && !rc;) {
            const struct dirent64 *e = (const struct dirent64 *)(buf + off);
            off += e->d_reclen;
            if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
                continue; /* "." and ".." */
            if (e->d_type != DT_UNKNOWN && e->d_type != DT_DIR && e->d_type != DT_REG)
                continue; /* symlinks, sockets and devices are never shown */
            bool full =
                e->d_type == DT_UNKNOWN || !op->want_stat || op->want_stat(e->d_name, op->want_ctx);
            struct stat s;
            if (full && stat_at(fd, e->d_name, &s) != 0)
                continue; /* a symlink after all, or gone meanwhile */
            struct drive_stat st = {.is_dir = e->d_type == DT_DIR, .partial = true};
            if (full)
                fill_stat(&s, &st);
            rc = drive_listing_add(&l, e->d_name, &st);
        }
    }
    close(fd); /* a read error ends the listing, as readdir's did */
    free(buf);
    if (!rc)
        rc = drive_listing_take(&l, out, n);
    drive_listing_release(&l);
    return rc;
}

static int local_read(struct drive_op *op, const char *path, long long offset, size_t len,
                      char **data, size_t *got, struct drive_stat *st)
{
    int fd = open_at_path(op, path, O_RDONLY, "read");
    if (fd < 0)
        return fd;
    struct stat s;
    int rc = 0;
    char *buf = NULL;
    if (fstat(fd, &s) != 0 || !S_ISREG(s.st_mode)) {
        rc = S_ISDIR(s.st_mode) ? MCP_EINVAL : MCP_EACCES;
        goto out_close;
    }
    long long avail = offset < s.st_size ? (long long)s.st_size - offset : 0;
    size_t want = avail < (long long)len ? (size_t)avail : len;
    if (!(buf = malloc(want + 1))) {
        rc = MCP_ENOMEM;
        goto out_close;
    }
    size_t have = 0;
    while (have < want) {
        ssize_t k = pread(fd, buf + have, want - have, (off_t)offset + (off_t)have);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rc = fail_errno(op, errno, "read", path);
            goto out_free;
        }
        if (k == 0)
            break; /* the file shrank meanwhile */
        have += (size_t)k;
    }
    buf[have] = '\0';
    fill_stat(&s, st);
    *data = buf;
    *got = have;
    close(fd);
    return 0;
out_free:
    free(buf);
out_close:
    close(fd);
    return rc;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* Creates a fresh temporary file in `dirfd`; its name goes to `name` (at least 32 bytes). */
static int open_temp(int dirfd, char *name, size_t namelen, mode_t mode)
{
    for (int tries = 0; tries < 8; tries++) {
        unsigned char r[8];
        if (drive_random(r, sizeof r))
            return -EIO;
        snprintf(name, namelen, DRIVE_TEMP_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1],
                 r[2], r[3], r[4], r[5], r[6], r[7]);
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : -errno;
    }
    return -EEXIST;
}

/* Checks the target against if_match / create_only, under the write lock. */
static int check_target(struct drive_op *op, int dirfd, const char *leaf, const char *path,
                        const char *if_match, bool create_only, mode_t *mode)
{
    struct stat s;
    int rc = stat_at(dirfd, leaf, &s);
    if (rc == -ENOENT) {
        if (if_match) {
            snprintf(op->why, sizeof op->why,
                     "'%s' no longer exists, so it cannot match ETag %s; read it again", path,
                     if_match);
            return MCP_ESTATE;
        }
        return 0;
    }
    if (rc)
        return fail_errno(op, -rc, "write", path);
    if (S_ISDIR(s.st_mode)) {
        snprintf(op->why, sizeof op->why, "'%s' is a folder, not a file", path);
        return MCP_EINVAL;
    }
    if (create_only)
        return MCP_EEXIST;
    struct drive_stat now;
    fill_stat(&s, &now);
    if (if_match && strcmp(if_match, now.etag) != 0) {
        snprintf(op->why, sizeof op->why,
                 "'%s' changed since ETag %s (it is now %s); read it again before writing", path,
                 if_match, now.etag);
        return MCP_ESTATE;
    }
    *mode = s.st_mode & 07777;
    return 0;
}

static int local_write(struct drive_op *op, const char *path, const void *data, size_t len,
                       const char *if_match, bool create_only, struct drive_stat *st)
{
    struct local_root *r = local(op);
    const char *leaf;
    int dirfd = open_parent(r, path, &leaf);
    if (dirfd < 0)
        return fail_errno(op, -dirfd, "write", path);
    if (!leaf) {
        close(dirfd);
        return MCP_EINVAL;
    }
    /* O_PATH descriptors cannot create files: reopen the folder for real. */
    int real = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(dirfd);
    if (real < 0)
        return fail_errno(op, errno, "write", path);
    dirfd = real;

    char tmp[64];
    int rc;
    int fd = open_temp(dirfd, tmp, sizeof tmp, 0644);
    if (fd < 0) {
        rc = fail_errno(op, -fd, "write", path);
        goto out_dir;
    }
    int err = write_all(fd, data, len);
    if (!err && fsync(fd) != 0)
        err = -errno;
    if (err) {
        close(fd);
        rc = fail_errno(op, -err, "write", path);
        goto out_unlink;
    }
    pthread_mutex_lock(&r->write_lock);
    mode_t mode = 0644;
    rc = check_target(op, dirfd, leaf, path, if_match, create_only, &mode);
    if (!rc) {
        fchmod(fd, mode);
        unsigned flags = create_only ? RENAME_NOREPLACE : 0;
        if (renameat2(dirfd, tmp, dirfd, leaf, flags) != 0)
            rc = fail_errno(op, errno, "write", path);
    }
    pthread_mutex_unlock(&r->write_lock);
    struct stat s;
    if (!rc && fstat(fd, &s) == 0)
        fill_stat(&s, st);
    close(fd);
    if (rc)
        goto out_unlink;
    fsync(dirfd); /* make the rename itself durable */
    close(dirfd);
    return 0;
out_unlink:
    unlinkat(dirfd, tmp, 0);
out_dir:
    close(dirfd);
    return rc;
}

/* Reopens the parent of `path` as a real (non-O_PATH) folder descriptor. */
static int open_parent_dir(struct drive_op *op, const char *path, const char **leaf,
                           const char *what)
{
    int dirfd = open_parent(local(op), path, leaf);
    if (dirfd < 0)
        return fail_errno(op, -dirfd, what, path);
    int real = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err = errno;
    close(dirfd);
    if (real < 0)
        return fail_errno(op, err, what, path);
    if (!*leaf) {
        close(real);
        snprintf(op->why, sizeof op->why, "the root itself cannot be changed");
        return MCP_EINVAL;
    }
    return real;
}

static int local_mkdir(struct drive_op *op, const char *path)
{
    const char *leaf;
    int dirfd = open_parent_dir(op, path, &leaf, "create the folder");
    if (dirfd < 0)
        return dirfd;
    int rc = mkdirat(dirfd, leaf, 0755) == 0 ? 0 : fail_errno(op, errno, "create", path);
    close(dirfd);
    return rc;
}

/* The folders holding `from` and `to`, for a move or a copy (`verb`); *fdir is closed again
 * when the second cannot be opened. Returns 0 or the error, explained in op->why. */
static int open_both_parents(struct drive_op *op, const char *from, const char *to,
                             const char *verb, int *fdir, const char **fleaf, int *tdir,
                             const char **tleaf)
{
    char to_what[32];
    snprintf(to_what, sizeof to_what, "%s to", verb);
    *fdir = open_parent_dir(op, from, fleaf, verb);
    if (*fdir < 0)
        return *fdir;
    *tdir = open_parent_dir(op, to, tleaf, to_what);
    if (*tdir < 0) {
        close(*fdir);
        return *tdir;
    }
    return 0;
}

static int local_move(struct drive_op *op, const char *from, const char *to, bool overwrite)
{
    const char *fleaf, *tleaf;
    int fdir, tdir;
    int rc = open_both_parents(op, from, to, "move", &fdir, &fleaf, &tdir, &tleaf);
    if (rc)
        return rc;
    struct stat s;
    rc = stat_at(fdir, fleaf, &s);
    if (rc)
        rc = fail_errno(op, -rc, "move", from);
    else if (renameat2(fdir, fleaf, tdir, tleaf, overwrite ? 0 : RENAME_NOREPLACE) != 0)
        rc = fail_errno(op, errno, "move", to);
    close(fdir);
    close(tdir);
    return rc;
}

static int copy_file_fd(struct drive_op *op, int in, int tdir, const char *tleaf, const char *to,
                        bool overwrite, mode_t mode)
{
    char tmp[64];
    int out = open_temp(tdir, tmp, sizeof tmp, mode & 0777);
    if (out < 0)
        return fail_errno(op, -out, "copy to", to);
    int rc = 0;
    char buf[65536];
    for (;;) {
        if (op->call && mcp_call_cancelled(op->call)) {
            rc = MCP_ECANCELED;
            break;
        }
        ssize_t k = read(in, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k < 0)
                rc = fail_errno(op, errno, "copy", to);
            break;
        }
        int err = write_all(out, buf, (size_t)k);
        if (err) {
            rc = fail_errno(op, -err, "copy to", to);
            break;
        }
    }
    if (!rc && fsync(out) != 0)
        rc = fail_errno(op, errno, "copy to", to);
    close(out);
    if (!rc && renameat2(tdir, tmp, tdir, tleaf, overwrite ? 0 : RENAME_NOREPLACE) != 0)
        rc = fail_errno(op, errno, "copy to", to);
    if (rc)
        unlinkat(tdir, tmp, 0);
    return rc;
}

/* Copies the entry `fleaf` of `fdir` to `tleaf` of `tdir`, folders recursively. */
static int copy_at(struct drive_op *op, int fdir, const char *fleaf, int tdir, const char *tleaf,
                   const char *to, bool overwrite, int depth)
{
    struct stat s;
    int rc = stat_at(fdir, fleaf, &s);
    if (rc)
        return rc == -ELOOP ? 0 : fail_errno(op, -rc, "copy", fleaf); /* links stay behind */
    if (depth > 64) {
        snprintf(op->why, sizeof op->why, "folders nest too deeply to copy");
        return MCP_E2BIG;
    }
    if (S_ISREG(s.st_mode)) {
        int in = openat(fdir, fleaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
            return fail_errno(op, errno, "copy", fleaf);
        rc = copy_file_fd(op, in, tdir, tleaf, to, overwrite, s.st_mode);
        close(in);
        return rc;
    }
    if (mkdirat(tdir, tleaf, 0755) != 0 && !(errno == EEXIST && overwrite))
        return fail_errno(op, errno, "copy to", to);
    int src = openat(fdir, fleaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int dst = openat(tdir, tleaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dir = src >= 0 ? fdopendir(src) : NULL;
    if (!dir || dst < 0) {
        rc = fail_errno(op, errno, "copy", fleaf);
        if (!dir && src >= 0)
            close(src);
        goto out;
    }
    struct dirent *e;
    while (!rc && (e = readdir(dir))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        rc = copy_at(op, dirfd(dir), e->d_name, dst, e->d_name, to, overwrite, depth + 1);
    }
out:
    if (dir)
        closedir(dir);
    if (dst >= 0)
        close(dst);
    return rc;
}

static int local_copy(struct drive_op *op, const char *from, const char *to, bool overwrite)
{
    const char *fleaf, *tleaf;
    int fdir, tdir;
    int rc = open_both_parents(op, from, to, "copy", &fdir, &fleaf, &tdir, &tleaf);
    if (rc)
        return rc;
    struct stat s;
    rc = stat_at(tdir, tleaf, &s);
    if (rc == 0 && !overwrite)
        rc = MCP_EEXIST;
    else if (rc == 0 && S_ISDIR(s.st_mode)) {
        snprintf(op->why, sizeof op->why,
                 "'%s' is an existing folder; copy into a new name, or delete it first", to);
        rc = MCP_EEXIST;
    } else
        rc = copy_at(op, fdir, fleaf, tdir, tleaf, to, overwrite, 0);
    close(fdir);
    close(tdir);
    return rc;
}

static int remove_at(struct drive_op *op, int parent, const char *leaf, int depth)
{
    struct stat s;
    if (fstatat(parent, leaf, &s, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_errno(op, errno, "delete", leaf);
    if (!S_ISDIR(s.st_mode))
        return unlinkat(parent, leaf, 0) == 0 ? 0 : fail_errno(op, errno, "delete", leaf);
    if (depth > 64)
        return MCP_E2BIG;
    int fd = openat(parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return fail_errno(op, errno, "delete", leaf);
    }
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(dir)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = remove_at(op, dirfd(dir), e->d_name, depth + 1);
    closedir(dir);
    if (!rc && unlinkat(parent, leaf, AT_REMOVEDIR) != 0)
        rc = fail_errno(op, errno, "delete", leaf);
    return rc;
}

static int local_remove(struct drive_op *op, const char *path)
{
    const char *leaf;
    int dirfd = open_parent_dir(op, path, &leaf, "delete");
    if (dirfd < 0)
        return dirfd;
    int rc = remove_at(op, dirfd, leaf, 0);
    close(dirfd);
    return rc;
}

static void local_free(struct drive_root *root)
{
    struct local_root *r = (struct local_root *)root;
    if (!r)
        return;
    close(r->fd);
    pthread_mutex_destroy(&r->write_lock);
    free(r->base.name);
    free(r->base.where);
    free(r);
}

static const struct drive_backend_ops local_ops = {
    .kind = "local",
    .stat = local_stat,
    .list = local_list,
    .read = local_read,
    .write = local_write,
    .mkdir = local_mkdir,
    .move = local_move,
    .copy = local_copy,
    .remove = local_remove,
    .free = local_free,
};

struct drive_root *drive_local_open(const char *dir, char *why, size_t whylen)
{
    char *real = realpath(dir, NULL);
    if (!real) {
        snprintf(why, whylen, "cannot use '%s' as a root: %s", dir, strerror(errno));
        return NULL;
    }
    struct local_root *r = calloc(1, sizeof *r);
    if (!r)
        goto fail_real;
    r->fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r->fd < 0) {
        snprintf(why, whylen, "cannot use '%s' as a root: %s", dir, strerror(errno));
        goto fail_r;
    }
    const char *base = strrchr(real, '/');
    base = base && base[1] ? base + 1 : "root";
    r->base.ops = &local_ops;
    r->base.name = strdup(base);
    r->base.where = real;
    if (!r->base.name)
        goto fail_fd;
    pthread_mutex_init(&r->write_lock, NULL);
    return &r->base;
fail_fd:
    close(r->fd);
fail_r:
    free(r);
fail_real:
    free(real);
    if (!*why)
        snprintf(why, whylen, "out of memory");
    return NULL;
}
