/* bench_common.h - helpers shared by the benchmark programs: clocks, memory readings from
   /proc, UTF-16 paths, error reports and the deterministic data generator. */
#ifndef IMSG_BENCH_COMMON_H
#define IMSG_BENCH_COMMON_H

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imessage.h"
#include "../c-tests/wide.h"

/* ===== property tags (mapitags.h values) ===== */
#define TAG_ENTRYID PROP_TAG(PT_BINARY, 0x0FFF)
#define TAG_RECIPIENT_TYPE PROP_TAG(PT_LONG, 0x0C15)
#define TAG_ROWID PROP_TAG(PT_LONG, 0x3000)
#define TAG_DISPLAY_NAME PROP_TAG(PT_UNICODE, 0x3001)
#define TAG_ADDRTYPE PROP_TAG(PT_UNICODE, 0x3002)
#define TAG_EMAIL_ADDRESS PROP_TAG(PT_UNICODE, 0x3003)
#define TAG_ATTACH_SIZE PROP_TAG(PT_LONG, 0x0E20)
#define TAG_ATTACH_NUM PROP_TAG(PT_LONG, 0x0E21)
#define TAG_ATTACH_DATA_BIN PROP_TAG(PT_BINARY, 0x3701)
#define TAG_ATTACH_FILENAME PROP_TAG(PT_UNICODE, 0x3704)
#define TAG_ATTACH_METHOD PROP_TAG(PT_LONG, 0x3705)
#define TAG_ATTACH_LONG_FILENAME PROP_TAG(PT_UNICODE, 0x3707)
#define TAG_SUBJECT PROP_TAG(PT_UNICODE, 0x0037)

/* ===== clocks ===== */
static inline double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User plus system CPU time of this process: under load from other processes it varies
   less than the wall clock. */
static inline double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ===== memory (Linux /proc) ===== */

/* A "VmXXX:" field of /proc/self/status in KiB, or -1. */
static inline long proc_status_kib(const char *field)
{
    char line[256];
    size_t len = strlen(field);
    long value = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            value = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return value;
}

static inline double rss_mib(void) { return proc_status_kib("VmRSS") / 1024.0; }
static inline double peak_rss_mib(void) { return proc_status_kib("VmHWM") / 1024.0; }

/* Resets the peak-RSS mark (VmHWM) so that the next reading covers one phase only
   (Linux >= 4.0); returns 0 when the kernel refuses. */
static inline int reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    int ok;
    if (!f)
        return 0;
    ok = fputs("5", f) >= 0;
    return (fclose(f) == 0) && ok;
}

/* ===== strings ===== */

/* UTF-8 to NUL-terminated UTF-16 in a malloc'd buffer (for file names). */
static inline WCHAR *wide_dup(const char *s)
{
    size_t n = strlen(s), i = 0, o = 0;
    WCHAR *out = (WCHAR *)malloc((n + 1) * 2 * sizeof(WCHAR));
    if (!out) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        int extra;
        if (c < 0x80) {
            cp = c;
            extra = 0;
        } else if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F;
            extra = 1;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F;
            extra = 2;
        } else {
            cp = c & 0x07;
            extra = 3;
        }
        i++;
        while (extra-- > 0 && i < n)
            cp = (cp << 6) | ((unsigned char)s[i++] & 0x3F);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out[o++] = (WCHAR)(0xD800 + (cp >> 10));
            out[o++] = (WCHAR)(0xDC00 + (cp & 0x3FF));
        } else {
            out[o++] = (WCHAR)cp;
        }
    }
    out[o] = 0;
    return out;
}

/* ASCII into a caller's UTF-16 buffer of `cap` units. */
static inline void wide_ascii(WCHAR *out, size_t cap, const char *fmt, ...)
{
    char tmp[512];
    size_t i;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    for (i = 0; i + 1 < cap && tmp[i]; i++)
        out[i] = (WCHAR)(unsigned char)tmp[i];
    out[i] = 0;
}

/* ===== errors ===== */

static inline void die_hr(const char *what, HRESULT hr)
{
    fprintf(stderr, "FAILED: %s returned 0x%08X\n", what, (unsigned)hr);
    exit(1);
}

#define CHECK_HR(expr)                 \
    do {                               \
        HRESULT hr_ = (expr);          \
        if (FAILED(hr_))               \
            die_hr(#expr, hr_);        \
    } while (0)

static inline void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAILED: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

/* ===== deterministic data ===== */

/* splitmix64: word `i` of the sequence named by `seed`. */
static inline uint64_t data_word(uint64_t seed, uint64_t i)
{
    uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Generating 1 GiB word by word with splitmix64 costs as much as reading it back from
   the page cache, which would blur the comparison; instead each 64 KiB block is a window
   of a fixed 1 MiB random table, starting at a pseudo-random word and XORed with a
   pseudo-random key, both derived from (seed, block number). Blocks therefore differ
   from each other and from other seeds, and generating is about as cheap as memcpy. */
#define DATA_TABLE_WORDS (1u << 17)
#define DATA_BLOCK_WORDS 8192u

static inline const uint64_t *data_table(void)
{
    static uint64_t table[DATA_TABLE_WORDS];
    static int ready;
    if (!ready) {
        uint32_t i;
        for (i = 0; i < DATA_TABLE_WORDS; i++)
            table[i] = data_word(0x7AB1E5EEDull, i);
        ready = 1;
    }
    return table;
}

/* Fills `buf` (a multiple of 8 bytes) with the bytes at `offset` (a multiple of 8) of the
   data named by `seed`. */
static inline void fill_data(uint64_t seed, uint64_t offset, unsigned char *buf, size_t len)
{
    const uint64_t *table = data_table();
    uint64_t w = offset / 8, end = w + len / 8;
    unsigned char *out = buf;
    while (w < end) {
        uint64_t block = w / DATA_BLOCK_WORDS;
        uint64_t key = data_word(seed, 2 * block);
        uint32_t pos = (uint32_t)((data_word(seed, 2 * block + 1) + w % DATA_BLOCK_WORDS) %
                                  DATA_TABLE_WORDS);
        uint64_t n = (block + 1) * DATA_BLOCK_WORDS - w, i;
        if (n > end - w)
            n = end - w;
        for (i = 0; i < n; i++) {
            uint64_t v = table[pos] ^ key;
            memcpy(out, &v, 8);
            out += 8;
            pos = (pos + 1) & (DATA_TABLE_WORDS - 1);
        }
        w += n;
    }
}

/* A running checksum of everything written or read: four interleaved FNV-1a-style lanes
   over 64-bit words (so that it keeps up with memory), folded by checksum_final. */
typedef struct {
    uint64_t lane[4];
    uint64_t bytes;
} checksum_t;

static inline void checksum_init(checksum_t *c)
{
    c->lane[0] = 0xCBF29CE484222325ull;
    c->lane[1] = 0x84222325CBF29CE4ull;
    c->lane[2] = 0x9E3779B97F4A7C15ull;
    c->lane[3] = 0xBF58476D1CE4E5B9ull;
    c->bytes = 0;
}

/* `len` must be a multiple of 32 except for the last call. */
static inline void checksum_update(checksum_t *c, const unsigned char *buf, size_t len)
{
    const uint64_t p = 0x100000001B3ull;
    uint64_t a = c->lane[0], b = c->lane[1], d = c->lane[2], e = c->lane[3];
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        uint64_t v[4];
        memcpy(v, buf + i, 32);
        a = (a ^ v[0]) * p;
        b = (b ^ v[1]) * p;
        d = (d ^ v[2]) * p;
        e = (e ^ v[3]) * p;
    }
    for (; i < len; i++)
        a = (a ^ buf[i]) * p;
    c->lane[0] = a;
    c->lane[1] = b;
    c->lane[2] = d;
    c->lane[3] = e;
    c->bytes += len;
}

static inline uint64_t checksum_final(const checksum_t *c)
{
    uint64_t h = c->bytes;
    int k;
    for (k = 0; k < 4; k++)
        h = (h ^ c->lane[k]) * 0x100000001B3ull;
    return h;
}

#endif
