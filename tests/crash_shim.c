/* crash_shim.c - preloaded into the writer process of tests/crash.rs (LD_PRELOAD).
 *
 * Counts the calls that change files (open, write, truncate, sync, rename, unlink, lock)
 * and, when IMSG_KILL_AT=N is set, sends the process SIGKILL on entering the N-th one:
 * the call never runs, and every call before it has completed. Killing at each N in turn
 * therefore leaves the file system in every state a commit passes through, including
 * between the sync of the new file and its rename, and between the rename and the sync
 * of the directory. With IMSG_IO_LOG=path, each call is logged as "N name" so that the
 * test knows which N falls where.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static long kill_at = -1;
static long calls = 0;
static int log_fd = -1;

__attribute__((constructor)) static void shim_init(void)
{
    const char *at = getenv("IMSG_KILL_AT");
    const char *log = getenv("IMSG_IO_LOG");
    if (at)
        kill_at = atol(at);
    if (log)
        log_fd = (int)syscall(SYS_openat, AT_FDCWD, log,
                              O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
}

static void point(const char *what)
{
    long n = __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    if (log_fd >= 0) {
        char line[64];
        int len = snprintf(line, sizeof line, "%ld %s\n", n, what);
        if (len > 0)
            (void)syscall(SYS_write, log_fd, line, (size_t)len);
    }
    if (n == kill_at)
        (void)syscall(SYS_kill, (long)getpid(), (long)SIGKILL);
}

#define REAL(name) \
    static __typeof__(name) *real; \
    if (!real) \
        real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(write);
    point("write");
    return real(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int count)
{
    REAL(writev);
    point("writev");
    return real(fd, iov, count);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t offset)
{
    REAL(pwrite64);
    point("pwrite64");
    return real(fd, buf, n, offset);
}

int fsync(int fd)
{
    REAL(fsync);
    point("fsync");
    return real(fd);
}

int fdatasync(int fd)
{
    REAL(fdatasync);
    point("fdatasync");
    return real(fd);
}

int ftruncate64(int fd, off64_t len)
{
    REAL(ftruncate64);
    point("ftruncate64");
    return real(fd, len);
}

int rename(const char *from, const char *to)
{
    REAL(rename);
    point("rename");
    return real(from, to);
}

int unlink(const char *path)
{
    REAL(unlink);
    point("unlink");
    return real(path);
}

int flock(int fd, int op)
{
    REAL(flock);
    point("flock");
    return real(fd, op);
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | __O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    REAL(open64);
    point("open64");
    return real(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    REAL(open);
    point("open");
    return real(path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    REAL(openat64);
    point("openat64");
    return real(dir, path, flags, mode);
}
