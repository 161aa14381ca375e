/* commit.c - what IStorage::Commit costs, and how fast a large stream goes in and out.
 *
 *   commit [DIR] [MAX_FILE_MiB] [STREAM_MiB] [REPEAT]
 *
 * Part 1: files of 1 MiB up to MAX_FILE_MiB (default 256), shaped like a .msg (one large
 * stream, 100 streams of 1 KiB, a sub-storage), reopened in transacted and in direct mode,
 * changed by nothing, by rewriting one 1 KiB stream, by writing a new 1 MiB stream, or by
 * overwriting 10% of the large stream, then committed: the time of the Commit call, best
 * of REPEAT (default 3). For scale, the time to write and fsync a plain file of the same
 * size is printed beside it (every commit writes a whole new file, DESIGN decision 9).
 *
 * Part 2: one stream of STREAM_MiB (default 512) written in 64 KiB Writes into a new
 * transacted file and committed, then read back in 64 KiB Reads from the reopened file,
 * against write() + fsync and read() of a plain file with the same bytes, in the same run.
 * Every byte read is checked. Peak resident memory of each phase is printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_common.h"

#define CHUNK (64 * 1024)
#define RW_EXCL (STGM_READWRITE | STGM_SHARE_EXCLUSIVE)
#define MIB (1024.0 * 1024.0)

static unsigned char buf[CHUNK];

static void write_stream(IStorage *stg, const char *name, uint64_t seed, uint64_t bytes)
{
    WCHAR wname[64];
    IStream *s = NULL;
    uint64_t done = 0;
    wide_ascii(wname, 64, "%s", name);
    CHECK_HR(stg->lpVtbl->CreateStream(stg, wname, RW_EXCL | STGM_CREATE, 0, 0, &s));
    while (done < bytes) {
        ULONG n = (ULONG)(bytes - done < CHUNK ? bytes - done : CHUNK), w = 0;
        fill_data(seed, done, buf, (n + 7) & ~7u);
        CHECK_HR(s->lpVtbl->Write(s, buf, n, &w));
        if (w != n)
            die("short write");
        done += n;
    }
    s->lpVtbl->Release(s);
}

/* Overwrites `bytes` of stream `name` at `offset`. */
static void overwrite(IStorage *stg, const char *name, uint64_t offset, uint64_t bytes, uint64_t seed)
{
    WCHAR wname[64];
    IStream *s = NULL;
    LARGE_INTEGER at;
    uint64_t done = 0;
    wide_ascii(wname, 64, "%s", name);
    CHECK_HR(stg->lpVtbl->OpenStream(stg, wname, NULL, RW_EXCL, 0, &s));
    at.QuadPart = (LONGLONG)offset;
    CHECK_HR(s->lpVtbl->Seek(s, at, STREAM_SEEK_SET, NULL));
    while (done < bytes) {
        ULONG n = (ULONG)(bytes - done < CHUNK ? bytes - done : CHUNK), w = 0;
        fill_data(seed, done, buf, (n + 7) & ~7u);
        CHECK_HR(s->lpVtbl->Write(s, buf, n, &w));
        done += n;
    }
    s->lpVtbl->Release(s);
}

/* A .msg-shaped file of about `mib` MiB. */
static void make_file(const WCHAR *path, uint64_t mib)
{
    IStorage *stg = NULL, *sub = NULL;
    char name[32];
    int i;
    CHECK_HR(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE, 0, &stg));
    write_stream(stg, "big", 1, mib * 1024 * 1024 - 100 * 1024);
    for (i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "small%03d", i);
        write_stream(stg, name, 100 + i, 1024);
    }
    CHECK_HR(stg->lpVtbl->CreateStorage(stg, (WCHAR *)u"__recip_version1.0_#00000000", RW_EXCL, 0, 0, &sub));
    write_stream(sub, "__properties_version1.0", 7, 200);
    sub->lpVtbl->Release(sub);
    CHECK_HR(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    stg->lpVtbl->Release(stg);
}

enum change { NONE, SMALL, ONE_MIB, TENTH, CHANGES };
static const char *change_name[CHANGES] = {"none", "1 KiB", "1 MiB", "10%"};

/* Opens `path` in `mode`, makes `change`, and returns the seconds Commit took. */
static double commit_once(const WCHAR *path, DWORD mode, enum change change, uint64_t mib, int round)
{
    IStorage *stg = NULL;
    double t0, t1;
    CHECK_HR(StgOpenStorage(path, NULL, mode, NULL, 0, &stg));
    switch (change) {
    case NONE:
        break;
    case SMALL:
        write_stream(stg, "small017", 1000 + round, 1024);
        break;
    case ONE_MIB:
        write_stream(stg, "delta", 2000 + round, 1024 * 1024);
        break;
    case TENTH:
        overwrite(stg, "big", (mib * 1024 * 1024) / 3, (mib * 1024 * 1024) / 10, 3000 + round);
        break;
    default:
        break;
    }
    t0 = now_seconds();
    CHECK_HR(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    t1 = now_seconds();
    stg->lpVtbl->Release(stg);
    return t1 - t0;
}

/* write() + fsync of `bytes` into a new plain file. */
static double plain_write(const char *path, uint64_t bytes, uint64_t seed)
{
    uint64_t done = 0;
    double t0 = now_seconds();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("open %s: %s", path, strerror(errno));
    while (done < bytes) {
        size_t n = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;
        fill_data(seed, done, buf, (n + 7) & ~(size_t)7);
        if (write(fd, buf, n) != (ssize_t)n)
            die("write: %s", strerror(errno));
        done += n;
    }
    if (fsync(fd) != 0)
        die("fsync: %s", strerror(errno));
    close(fd);
    return now_seconds() - t0;
}

static void commit_table(const char *dir, uint64_t max_mib, int repeat)
{
    static const uint64_t sizes[] = {1, 4, 16, 64, 256, 1024};
    const DWORD modes[2] = {STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE, RW_EXCL};
    const char *mode_name[2] = {"transacted", "direct"};
    char path[512], plain[512];
    WCHAR *wpath;
    size_t s;
    int m, c, r;

    snprintf(path, sizeof path, "%s/commit_bench.msg", dir);
    snprintf(plain, sizeof plain, "%s/commit_bench.plain", dir);
    wpath = wide_dup(path);
    printf("== commit time (ms, best of %d) by file size and change; files in %s\n", repeat, dir);
    printf("%9s %-11s", "file", "mode");
    for (c = 0; c < CHANGES; c++)
        printf(" %9s", change_name[c]);
    printf(" | %s\n", "write+fsync of a plain file that size");
    for (s = 0; s < sizeof sizes / sizeof sizes[0] && sizes[s] <= max_mib; s++) {
        double best_plain = 1e9;
        make_file(wpath, sizes[s]);
        for (r = 0; r < repeat; r++) {
            double t = plain_write(plain, sizes[s] * 1024 * 1024, 9);
            if (t < best_plain)
                best_plain = t;
        }
        unlink(plain);
        for (m = 0; m < 2; m++) {
            printf("%6lu MiB %-11s", (unsigned long)sizes[s], mode_name[m]);
            for (c = 0; c < CHANGES; c++) {
                double best = 1e9;
                for (r = 0; r < repeat; r++) {
                    double t = commit_once(wpath, modes[m], (enum change)c, sizes[s], r);
                    if (t < best)
                        best = t;
                }
                printf(" %9.2f", best * 1000);
            }
            printf(" | %9.2f\n", best_plain * 1000);
            fflush(stdout);
        }
    }
    unlink(path);
    free(wpath);
}

static void throughput(const char *dir, uint64_t mib)
{
    char path[512], plain[512];
    WCHAR *wpath;
    IStorage *stg = NULL;
    IStream *s = NULL;
    uint64_t bytes = mib * 1024 * 1024, done = 0;
    double t0, t_write, t_commit, t_read, t_pw, t_pr, hwm_w, hwm_r;
    static unsigned char want[CHUNK];
    checksum_t ck;
    int fd;

    snprintf(path, sizeof path, "%s/stream_bench.msg", dir);
    snprintf(plain, sizeof plain, "%s/stream_bench.plain", dir);
    wpath = wide_dup(path);

    /* Library: write + commit. */
    reset_peak_rss();
    t0 = now_seconds();
    CHECK_HR(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE, 0, &stg));
    CHECK_HR(stg->lpVtbl->CreateStream(stg, (WCHAR *)u"large", RW_EXCL, 0, 0, &s));
    while (done < bytes) {
        ULONG w = 0;
        fill_data(42, done, buf, CHUNK);
        CHECK_HR(s->lpVtbl->Write(s, buf, CHUNK, &w));
        done += CHUNK;
    }
    s->lpVtbl->Release(s);
    t_write = now_seconds() - t0;
    t0 = now_seconds();
    CHECK_HR(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    t_commit = now_seconds() - t0;
    stg->lpVtbl->Release(stg);
    hwm_w = peak_rss_mib();

    /* Library: read back. */
    reset_peak_rss();
    t0 = now_seconds();
    CHECK_HR(StgOpenStorage(wpath, NULL, STGM_READ | STGM_SHARE_DENY_WRITE, NULL, 0, &stg));
    CHECK_HR(stg->lpVtbl->OpenStream(stg, (WCHAR *)u"large", NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &s));
    checksum_init(&ck);
    for (done = 0; done < bytes;) {
        ULONG n = 0;
        CHECK_HR(s->lpVtbl->Read(s, buf, CHUNK, &n));
        if (n != CHUNK)
            die("short read at %llu", (unsigned long long)done);
        fill_data(42, done, want, CHUNK);
        if (memcmp(buf, want, CHUNK) != 0)
            die("wrong bytes at %llu", (unsigned long long)done);
        checksum_update(&ck, buf, n);
        done += n;
    }
    s->lpVtbl->Release(s);
    stg->lpVtbl->Release(stg);
    t_read = now_seconds() - t0;
    hwm_r = peak_rss_mib();

    /* Plain file: the same bytes in the same calls. */
    t_pw = plain_write(plain, bytes, 42);
    t0 = now_seconds();
    fd = open(plain, O_RDONLY);
    if (fd < 0)
        die("open %s", plain);
    for (done = 0; done < bytes;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n != CHUNK)
            die("short plain read");
        fill_data(42, done, want, CHUNK);
        if (memcmp(buf, want, CHUNK) != 0)
            die("wrong plain bytes");
        done += (uint64_t)n;
    }
    close(fd);
    t_pr = now_seconds() - t0;

    printf("\n== one stream of %llu MiB in 64 KiB calls (every byte checked; files in %s)\n",
           (unsigned long long)mib, dir);
    printf("  write  library %8.3f s = Write %.3f s + Commit %.3f s (%7.1f MiB/s)  plain write+fsync %8.3f s (%7.1f MiB/s)  ratio %.2fx  peak RSS %.1f MiB\n",
           t_write + t_commit, t_write, t_commit, mib / (t_write + t_commit), t_pw, mib / t_pw,
           (t_write + t_commit) / t_pw, hwm_w);
    printf("  read   library %8.3f s (%7.1f MiB/s)                          plain read        %8.3f s (%7.1f MiB/s)  ratio %.2fx  peak RSS %.1f MiB\n",
           t_read, mib / t_read, t_pr, mib / t_pr, t_read / t_pr, hwm_r);
    printf("RESULT stream mib=%llu lib_write=%.3f lib_commit=%.3f plain_write=%.3f lib_read=%.3f plain_read=%.3f\n",
           (unsigned long long)mib, t_write, t_commit, t_pw, t_read, t_pr);
    unlink(path);
    unlink(plain);
    free(wpath);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    uint64_t max_mib = argc > 2 ? strtoull(argv[2], NULL, 10) : 256;
    uint64_t stream_mib = argc > 3 ? strtoull(argv[3], NULL, 10) : 512;
    int repeat = argc > 4 ? atoi(argv[4]) : 3;
    if (repeat < 1)
        repeat = 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    commit_table(dir, max_mib, repeat);
    if (stream_mib > 0)
        throughput(dir, stream_mib);
    return 0;
}
