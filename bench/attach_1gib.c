/* attach_1gib.c - writes one large by-value attachment through IMessage on IStorage,
   reads it back and verifies it, and compares with plain write()/read() of the same bytes.

   usage: attach_1gib [MODE] [MiB] [DIR]
     MODE  all (default): baseline, then library write, then library read
           write:    library write only (leaves DIR/attach_bench.msg)
           write-late: the same as legacy code often writes it: no IStream::Commit, the
                     attachment's and the message's SaveChanges and IStorage::Commit while
                     the stream is still open, the stream released last (issue 12)
           read:     library read only (of DIR/attach_bench.msg written with the same MiB)
           baseline: plain file write (+fsync) and read only (DIR/attach_bench.bin)
     MiB   attachment size in MiB (default 1024)
     DIR   where the files go (default "."); files are removed at the end of `all`
           and `baseline`, kept by `write`, removed by `read`.

   Data is 64 KiB chunks of a deterministic pseudo-random sequence, written and read in
   64 KiB calls. Every phase prints its time and its peak resident memory (VmHWM, reset
   before each phase); lines starting with "RESULT" are for bench/run.sh. Any error or
   mismatch exits non-zero. */
#include "bench_common.h" /* first: it defines _GNU_SOURCE */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define SEED 0x1A77AC4D5EEDull

static unsigned char buf[CHUNK];
static unsigned char expect[CHUNK];
static uint64_t total_bytes;
static const char *dir = ".";
static int late_release; /* write-late */
static char msg_path[4096];
static char bin_path[4096];

/* One phase's result, for the summary. */
struct phase {
    double seconds;
    double peak_mib;
    int ran;
};
static struct phase base_w, base_r, lib_w, lib_r;

static void phase_begin(const char *name)
{
    if (!reset_peak_rss())
        fprintf(stderr, "note: cannot reset VmHWM; peak covers the whole process\n");
    printf("-- %s (%.0f MiB)\n", name, total_bytes / 1048576.0);
    fflush(stdout);
}

static void step(const char *what, double t0, double t1)
{
    printf("   %-44s %9.3f s   RSS now %7.1f MiB\n", what, t1 - t0, rss_mib());
    fflush(stdout);
}

static void phase_end(struct phase *p, const char *key, double seconds)
{
    p->seconds = seconds;
    p->peak_mib = peak_rss_mib();
    p->ran = 1;
    printf("   %-44s %9.3f s   %8.1f MiB/s   peak RSS %.1f MiB\n", "total", seconds,
           total_bytes / 1048576.0 / seconds, p->peak_mib);
    printf("RESULT %s seconds=%.6f peak_rss_mib=%.1f mib=%.0f\n", key, seconds, p->peak_mib,
           total_bytes / 1048576.0);
    fflush(stdout);
}

/* Verifies `got` against the expected bytes at `offset`. */
static void verify_chunk(const unsigned char *got, uint64_t offset, size_t len)
{
    fill_data(SEED, offset, expect, len);
    if (memcmp(got, expect, len) != 0) {
        size_t i = 0;
        while (got[i] == expect[i])
            i++;
        die("content mismatch at byte %llu (got 0x%02X, expected 0x%02X)",
            (unsigned long long)(offset + i), got[i], expect[i]);
    }
}

static uint64_t expected_checksum(void)
{
    checksum_t c;
    uint64_t off;
    checksum_init(&c);
    for (off = 0; off < total_bytes; off += CHUNK) {
        fill_data(SEED, off, expect, CHUNK);
        checksum_update(&c, expect, CHUNK);
    }
    return checksum_final(&c);
}

/* ===== baseline: plain file ===== */

static void baseline_write(void)
{
    double t0 = now_seconds(), t1;
    uint64_t off;
    int fd;
    phase_begin("baseline write: write() 64 KiB chunks + fsync");
    fd = open(bin_path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0)
        die("open %s: %s", bin_path, strerror(errno));
    for (off = 0; off < total_bytes; off += CHUNK) {
        size_t done = 0;
        fill_data(SEED, off, buf, CHUNK);
        while (done < CHUNK) {
            ssize_t n = write(fd, buf + done, CHUNK - done);
            if (n <= 0)
                die("write %s: %s", bin_path, strerror(errno));
            done += (size_t)n;
        }
    }
    t1 = now_seconds();
    step("write() loop", t0, t1);
    if (fsync(fd) != 0 || close(fd) != 0)
        die("fsync/close %s: %s", bin_path, strerror(errno));
    step("fsync + close", t1, now_seconds());
    phase_end(&base_w, "baseline_write", now_seconds() - t0);
}

static void baseline_read(void)
{
    double t0 = now_seconds();
    uint64_t off = 0;
    checksum_t c;
    int fd;
    checksum_init(&c);
    phase_begin("baseline read: read() 64 KiB chunks + verify");
    fd = open(bin_path, O_RDONLY);
    if (fd < 0)
        die("open %s: %s", bin_path, strerror(errno));
    while (off < total_bytes) {
        size_t done = 0;
        while (done < CHUNK) {
            ssize_t n = read(fd, buf + done, CHUNK - done);
            if (n < 0)
                die("read %s: %s", bin_path, strerror(errno));
            if (n == 0)
                die("%s is short: %llu bytes", bin_path, (unsigned long long)(off + done));
            done += (size_t)n;
        }
        verify_chunk(buf, off, CHUNK);
        checksum_update(&c, buf, CHUNK);
        off += CHUNK;
    }
    if (read(fd, buf, 1) != 0)
        die("%s is longer than written", bin_path);
    close(fd);
    phase_end(&base_r, "baseline_read", now_seconds() - t0);
    if (checksum_final(&c) != expected_checksum())
        die("checksum mismatch in the plain file");
    unlink(bin_path);
}

/* ===== the library ===== */

static void lib_write(void)
{
    WCHAR *wpath = wide_dup(msg_path);
    IStorage *stg = NULL;
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL;
    LPATTACH att = NULL;
    IStream *stream = NULL;
    ULONG num = 0;
    SPropValue props[4];
    LPSPropProblemArray problems = NULL;
    uint64_t off;
    checksum_t c;
    double t0, t1, t2, start;

    checksum_init(&c);
    phase_begin("library write: CreateAttach + OpenProperty(PR_ATTACH_DATA_BIN) + IStream::Write");
    start = t0 = now_seconds();
    CHECK_HR(StgCreateDocfile(wpath, STGM_TRANSACTED | STGM_READWRITE | STGM_CREATE, 0, &stg));
    CHECK_HR(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_HR(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    props[0].ulPropTag = TAG_SUBJECT;
    props[0].Value.lpszW = (LPWSTR)u"attach_1gib benchmark";
    CHECK_HR(msg->lpVtbl->SetProps(msg, 1, props, NULL));
    CHECK_HR(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    props[0].ulPropTag = TAG_ATTACH_METHOD;
    props[0].Value.l = ATTACH_BY_VALUE;
    props[1].ulPropTag = TAG_ATTACH_FILENAME;
    props[1].Value.lpszW = (LPWSTR)u"BIG.BIN";
    props[2].ulPropTag = TAG_ATTACH_LONG_FILENAME;
    props[2].Value.lpszW = (LPWSTR)u"big-random-data.bin";
    CHECK_HR(att->lpVtbl->SetProps(att, 3, props, &problems));
    if (problems)
        die("SetProps on the attachment reported %u problems", (unsigned)problems->cProblem);
    CHECK_HR(att->lpVtbl->OpenProperty(att, TAG_ATTACH_DATA_BIN, &IID_IStream, 0,
                                       MAPI_CREATE | MAPI_MODIFY, (LPUNKNOWN *)&stream));
    t1 = now_seconds();
    step("create docfile, message, attachment, stream", t0, t1);

    for (off = 0; off < total_bytes; off += CHUNK) {
        ULONG written = 0;
        fill_data(SEED, off, buf, CHUNK);
        checksum_update(&c, buf, CHUNK);
        CHECK_HR(stream->lpVtbl->Write(stream, buf, CHUNK, &written));
        if (written != CHUNK)
            die("IStream::Write wrote %u of %u bytes at %llu", (unsigned)written, CHUNK,
                (unsigned long long)off);
    }
    t2 = now_seconds();
    step("IStream::Write loop", t1, t2);
    t1 = t2;
    if (!late_release) {
        CHECK_HR(stream->lpVtbl->Commit(stream, STGC_DEFAULT));
        stream->lpVtbl->Release(stream);
        t2 = now_seconds();
        step("IStream::Commit + Release", t1, t2);
        t1 = t2;
    }
    CHECK_HR(att->lpVtbl->SaveChanges(att, KEEP_OPEN_READWRITE));
    t2 = now_seconds();
    step("IAttach::SaveChanges", t1, t2);
    t1 = t2;
    CHECK_HR(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
    t2 = now_seconds();
    step("IMessage::SaveChanges (writes + commits the file)", t1, t2);
    t1 = t2;
    CHECK_HR(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    t2 = now_seconds();
    step("IStorage::Commit", t1, t2);
    t1 = t2;
    att->lpVtbl->Release(att);
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
    if (late_release)
        stream->lpVtbl->Release(stream); /* never committed: the saves kept its bytes */
    CloseIMsgSession(sess);
    t2 = now_seconds();
    step(late_release ? "Release all (the stream last) + CloseIMsgSession" : "Release all + CloseIMsgSession", t1, t2);
    phase_end(&lib_w, "lib_write", t2 - start);
    {
        struct stat st;
        if (stat(msg_path, &st) == 0)
            printf("   file size %llu bytes (%.3f x the data)\n", (unsigned long long)st.st_size,
                   (double)st.st_size / (double)total_bytes);
    }
    printf("   checksum written %016llx\n", (unsigned long long)checksum_final(&c));
    free(wpath);
}

static void lib_read(void)
{
    WCHAR *wpath = wide_dup(msg_path);
    IStorage *stg = NULL;
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL;
    LPATTACH att = NULL;
    IStream *stream = NULL;
    LPSPropValue vals = NULL;
    ULONG count = 0;
    STATSTG st;
    SizedSPropTagArray(3, tags) = {3, {TAG_ATTACH_SIZE, TAG_ATTACH_METHOD, TAG_ATTACH_LONG_FILENAME}};
    uint64_t off = 0, got_sum, want;
    checksum_t c;
    double t0, t1, t2, start;
    HRESULT hr;

    checksum_init(&c);
    phase_begin("library read: OpenAttach + OpenProperty(PR_ATTACH_DATA_BIN) + IStream::Read");
    start = t0 = now_seconds();
    CHECK_HR(StgOpenStorage(wpath, NULL, STGM_READ | STGM_SHARE_DENY_WRITE, NULL, 0, &stg));
    CHECK_HR(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_HR(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    CHECK_HR(msg->lpVtbl->OpenAttach(msg, 0, NULL, 0, &att));
    hr = att->lpVtbl->GetProps(att, (LPSPropTagArray)&tags, MAPI_UNICODE, &count, &vals);
    if (FAILED(hr) || count != 3)
        die_hr("IAttach::GetProps", hr);
    if (vals[1].ulPropTag != TAG_ATTACH_METHOD || vals[1].Value.l != ATTACH_BY_VALUE)
        die("PR_ATTACH_METHOD is not ATTACH_BY_VALUE (tag 0x%08X)", (unsigned)vals[1].ulPropTag);
    if (vals[2].ulPropTag != TAG_ATTACH_LONG_FILENAME ||
        !wide_eq(vals[2].Value.lpszW, "big-random-data.bin"))
        die("PR_ATTACH_LONG_FILENAME differs");
    /* PR_ATTACH_SIZE counts the data plus the other property values. */
    if (vals[0].ulPropTag != TAG_ATTACH_SIZE)
        die("PR_ATTACH_SIZE missing (tag 0x%08X, value 0x%08X)", (unsigned)vals[0].ulPropTag,
            (unsigned)vals[0].Value.l);
    if ((uint64_t)(ULONG)vals[0].Value.l < total_bytes ||
        (uint64_t)(ULONG)vals[0].Value.l > total_bytes + 4096)
        die("PR_ATTACH_SIZE is %lu for %llu bytes of data", (unsigned long)(ULONG)vals[0].Value.l,
            (unsigned long long)total_bytes);
    printf("   PR_ATTACH_SIZE %lu (data %llu + %lu)\n", (unsigned long)(ULONG)vals[0].Value.l,
           (unsigned long long)total_bytes,
           (unsigned long)((ULONG)vals[0].Value.l - total_bytes));
    MAPIFreeBuffer(vals);
    CHECK_HR(att->lpVtbl->OpenProperty(att, TAG_ATTACH_DATA_BIN, &IID_IStream, 0, 0,
                                       (LPUNKNOWN *)&stream));
    CHECK_HR(stream->lpVtbl->Stat(stream, &st, STATFLAG_NONAME));
    if (st.cbSize.QuadPart != total_bytes)
        die("IStream::Stat says %llu bytes, expected %llu",
            (unsigned long long)st.cbSize.QuadPart, (unsigned long long)total_bytes);
    t1 = now_seconds();
    step("open docfile, message, attachment, stream", t0, t1);
    /* The peak so far covers opening only: it should not grow with the file. */
    printf("RESULT lib_open seconds=%.6f peak_rss_mib=%.1f\n", t1 - t0, peak_rss_mib());

    while (off < total_bytes) {
        ULONG got = 0, done = 0;
        while (done < CHUNK) {
            CHECK_HR(stream->lpVtbl->Read(stream, buf + done, CHUNK - done, &got));
            if (got == 0)
                die("stream ends early at byte %llu", (unsigned long long)(off + done));
            done += got;
        }
        verify_chunk(buf, off, CHUNK);
        checksum_update(&c, buf, CHUNK);
        off += CHUNK;
    }
    {
        ULONG got = 1;
        CHECK_HR(stream->lpVtbl->Read(stream, buf, 1, &got));
        if (got != 0)
            die("stream is longer than %llu bytes", (unsigned long long)total_bytes);
    }
    t2 = now_seconds();
    step("IStream::Read loop + verify", t1, t2);
    t1 = t2;
    stream->lpVtbl->Release(stream);
    att->lpVtbl->Release(att);
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
    CloseIMsgSession(sess);
    t2 = now_seconds();
    step("Release all + CloseIMsgSession", t1, t2);
    phase_end(&lib_r, "lib_read", t2 - start);
    want = expected_checksum();
    got_sum = checksum_final(&c);
    printf("   checksum read    %016llx (expected %016llx)\n", (unsigned long long)got_sum,
           (unsigned long long)want);
    if (got_sum != want)
        die("checksum mismatch");
    free(wpath);
}

static void ratio_line(const char *what, const struct phase *lib, const struct phase *base)
{
    if (lib->ran && base->ran)
        printf("   %-8s library %8.3f s   plain file %8.3f s   ratio %6.2f x   peak RSS %7.1f MiB\n",
               what, lib->seconds, base->seconds, lib->seconds / base->seconds, lib->peak_mib);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "all";
    long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 1024;
    if (argc > 3)
        dir = argv[3];
    if (mib <= 0 || mib > 1800) {
        fprintf(stderr, "usage: attach_1gib [all|write|write-late|read|baseline] [MiB 1..1800] [DIR]\n");
        return 2;
    }
    total_bytes = (uint64_t)mib * 1048576;
    snprintf(msg_path, sizeof msg_path, "%s/attach_bench.msg", dir);
    snprintf(bin_path, sizeof bin_path, "%s/attach_bench.bin", dir);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (strcmp(mode, "all") == 0) {
        baseline_write();
        baseline_read();
        lib_write();
        lib_read();
        unlink(msg_path);
        printf("-- summary (%ld MiB, 64 KiB calls)\n", mib);
        ratio_line("write", &lib_w, &base_w);
        ratio_line("read", &lib_r, &base_r);
    } else if (strcmp(mode, "write") == 0) {
        lib_write();
    } else if (strcmp(mode, "write-late") == 0) {
        late_release = 1;
        lib_write();
    } else if (strcmp(mode, "read") == 0) {
        lib_read();
        unlink(msg_path);
    } else if (strcmp(mode, "baseline") == 0) {
        baseline_write();
        baseline_read();
    } else {
        fprintf(stderr, "usage: attach_1gib [all|write|write-late|read|baseline] [MiB] [DIR]\n");
        return 2;
    }
    printf("OK\n");
    return 0;
}
