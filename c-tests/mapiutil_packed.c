/* mapiutil_packed.c - UlPropSize, ScCountProps, ScCopyProps, ScRelocProps, ScDupPropset and
   PropCopyMore as native mapi32 computes and lays them out, and the default IMalloc's
   contract:
   - sizes are exact: sizeof(SPropValue) per value plus the value's bytes, no padding
     (PT_STRING8 "abc" 28, PT_BINARY of 2 bytes 26, PT_MV_I2 of 3 values 30, PT_MV_STRING8
     of three "Hi!" 60, PT_MV_STRING8 of one "Test" 37 on 64-bit);
   - a copy is the array, then each value's data in the array's order, packed; any
     destination alignment is accepted;
   - ScCountProps refuses PT_UNSPECIFIED, PT_NULL, PT_PTR, MV_INSTANCE and unknown types,
     PROP_ID_NULL/PROP_ID_INVALID, multi-valued properties without values and NULL data,
     leaving the size untouched;
   - UlPropSize gives cValues x element for a multi-valued fixed-size property without
     reading its array, 0 for MV_INSTANCE types;
   - MAPIGetDefaultMalloc's blocks are LocalAlloc's: GetSize == LocalSize, LocalFree frees.
   Packed data sits at any address, so copies are read back with memcpy only (UBSan). Every
   copy goes into a block of exactly the counted size from malloc, so valgrind and ASan see
   any byte written past it. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>

#include "every_type.h"
#include "mapiutil.h"
#include "tags.h"
#include "testdir.h"

#ifndef PT_PTR
#define PT_PTR 0x0103 /* Microsoft's mapidefs.h has it; mingw-w64's does not */
#endif

#define SPV sizeof(SPropValue)
#define PTR sizeof(void *)

/* ===== the oracle: what a value takes in a packed copy ===== */

/* Bytes of `v`'s data in a packed copy, what ScCountProps adds to sizeof(SPropValue). */
static size_t packed_data(const SPropValue *v)
{
    ULONG i, n = v->Value.MVi.cValues;
    size_t total = 0;
    switch (PROP_TYPE(v->ulPropTag)) {
    case PT_STRING8: return strlen(v->Value.lpszA) + 1;
    case PT_UNICODE: return (wlen(v->Value.lpszW) + 1) * sizeof(WCHAR);
    case PT_CLSID: return sizeof(GUID);
    case PT_BINARY: return v->Value.bin.cb;
    case PT_MV_I2: return n * sizeof(short);
    case PT_MV_LONG:
    case PT_MV_R4: return n * 4;
    case PT_MV_DOUBLE:
    case PT_MV_CURRENCY:
    case PT_MV_APPTIME:
    case PT_MV_SYSTIME:
    case PT_MV_I8: return n * 8;
    case PT_MV_CLSID: return n * sizeof(GUID);
    case PT_MV_STRING8:
        total = n * PTR;
        for (i = 0; i < n; i++)
            total += strlen(v->Value.MVszA.lppszA[i]) + 1;
        return total;
    case PT_MV_UNICODE:
        total = n * PTR;
        for (i = 0; i < n; i++)
            total += (wlen(v->Value.MVszW.lppszW[i]) + 1) * sizeof(WCHAR);
        return total;
    case PT_MV_BINARY:
        total = n * sizeof(SBinary);
        for (i = 0; i < n; i++)
            total += v->Value.MVbin.lpbin[i].cb;
        return total;
    default: return 0;
    }
}

static size_t packed_size(const SPropValue *v, int n)
{
    size_t total = n * SPV;
    int i;
    for (i = 0; i < n; i++)
        total += packed_data(&v[i]);
    return total;
}

static void *read_ptr(const BYTE *at)
{
    void *p;
    memcpy(&p, at, sizeof(p));
    return p;
}

/* Checks one piece of data: it must be at `*cursor` and hold `len` bytes equal to `want`.
   Returns the pointer read. */
static void check_piece(const BYTE *got, const void *want, size_t len, BYTE **cursor, int i)
{
    if (got != *cursor || memcmp(got, want, len) != 0) {
        fprintf(stderr, "value %d: piece at %p, expected at %p (%zu bytes)\n", i, (void *)got,
                (void *)*cursor, len);
        check_failures++;
    }
    check_count++;
    *cursor += len;
}

/* Whether `block` holds `want[0..n)` packed as native mapi32 packs them: the values, then
   each one's data in order, nothing between. Returns the bytes the layout takes. */
static size_t check_packed(const SPropValue *want, int n, BYTE *block)
{
    BYTE *cursor = block + n * SPV;
    int i;
    ULONG j;
    for (i = 0; i < n; i++) {
        const SPropValue *w = &want[i];
        SPropValue got;
        BYTE *array;
        memcpy(&got, block + i * SPV, SPV);
        CHECK(got.ulPropTag == w->ulPropTag);
        switch (PROP_TYPE(w->ulPropTag)) {
        case PT_STRING8:
        case PT_UNICODE:
        case PT_CLSID:
            /* lpszA shares the union slot of lpszW and lpguid (mingw-w64 lacks lpv). */
            check_piece((BYTE *)got.Value.lpszA, w->Value.lpszA, packed_data(w), &cursor, i);
            break;
        case PT_BINARY:
            CHECK(got.Value.bin.cb == w->Value.bin.cb);
            if (w->Value.bin.cb == 0)
                CHECK(got.Value.bin.lpb == NULL);
            else
                check_piece(got.Value.bin.lpb, w->Value.bin.lpb, w->Value.bin.cb, &cursor, i);
            break;
        case PT_MV_STRING8:
        case PT_MV_UNICODE:
            CHECK(got.Value.MVszA.cValues == w->Value.MVszA.cValues);
            array = (BYTE *)got.Value.MVszA.lppszA;
            CHECK(array == cursor);
            cursor += w->Value.MVszA.cValues * PTR;
            for (j = 0; j < w->Value.MVszA.cValues; j++) {
                size_t len = PROP_TYPE(w->ulPropTag) == PT_MV_STRING8
                                 ? strlen(w->Value.MVszA.lppszA[j]) + 1
                                 : (wlen(w->Value.MVszW.lppszW[j]) + 1) * sizeof(WCHAR);
                check_piece((BYTE *)read_ptr(array + j * PTR), w->Value.MVszA.lppszA[j], len,
                            &cursor, i);
            }
            break;
        case PT_MV_BINARY:
            CHECK(got.Value.MVbin.cValues == w->Value.MVbin.cValues);
            array = (BYTE *)got.Value.MVbin.lpbin;
            CHECK(array == cursor);
            cursor += w->Value.MVbin.cValues * sizeof(SBinary);
            for (j = 0; j < w->Value.MVbin.cValues; j++) {
                SBinary b;
                memcpy(&b, array + j * sizeof(SBinary), sizeof(b));
                CHECK(b.cb == w->Value.MVbin.lpbin[j].cb);
                if (b.cb == 0)
                    CHECK(b.lpb == NULL);
                else
                    check_piece(b.lpb, w->Value.MVbin.lpbin[j].lpb, b.cb, &cursor, i);
            }
            break;
        default:
            if (w->ulPropTag & MV_FLAG) {
                CHECK(got.Value.MVi.cValues == w->Value.MVi.cValues);
                check_piece((BYTE *)got.Value.MVi.lpi, w->Value.MVi.lpi, packed_data(w), &cursor,
                            i);
            } else {
                /* Everything is in the value. */
                CHECK(memcmp(&got.Value, &w->Value, sizeof(got.Value)) == 0);
            }
        }
    }
    return (size_t)(cursor - block);
}

/* ===== the figures of native mapi32 ===== */

static void native_figures(void)
{
    static char hi[] = "Hi!", test[] = "Test", abc[] = "abc";
    LPSTR three[3] = {hi, hi, hi}, one[1] = {test};
    short i2[3] = {1, 2, 3};
    BYTE two[2] = {7, 8};
    SPropValue v;
    ULONG cb;
    BYTE buffer[512], buffer2[512];
    LPSPropValue copy = (LPSPropValue)buffer2;
    char **strings;

    memset(&v, 0, sizeof(v));
    v.ulPropTag = PROP_TAG(PT_STRING8, 1);
    v.Value.lpszA = abc;
    CHECK_OK(ScCountProps(1, &v, &cb));
    CHECK(cb == SPV + 4);
    v.ulPropTag = PROP_TAG(PT_BINARY, 1);
    v.Value.bin.cb = 2;
    v.Value.bin.lpb = two;
    CHECK_OK(ScCountProps(1, &v, &cb));
    CHECK(cb == SPV + 2);
    v.ulPropTag = PROP_TAG(PT_MV_I2, 1);
    v.Value.MVi.cValues = 3;
    v.Value.MVi.lpi = i2;
    CHECK_OK(ScCountProps(1, &v, &cb));
    CHECK(cb == SPV + 6);
    v.ulPropTag = PROP_TAG(PT_MV_STRING8, 1);
    v.Value.MVszA.cValues = 3;
    v.Value.MVszA.lppszA = three;
    CHECK_OK(ScCountProps(1, &v, &cb));
    CHECK(cb == SPV + 3 * PTR + 12);
    if (sizeof(void *) == 8) {
        /* The figures as the issue gives them, on 64-bit. */
        CHECK(cb == 60);
        v.ulPropTag = PROP_TAG(PT_STRING8, 1);
        v.Value.lpszA = abc;
        CHECK_OK(ScCountProps(1, &v, &cb));
        CHECK(cb == 28);
    }

    /* One "Test" in a PT_MV_STRING8: the pointer array right after the value, the string
       right after it; 37 bytes on 64-bit (not 40). */
    v.ulPropTag = PROP_TAG(PT_MV_STRING8, 1);
    v.Value.MVszA.cValues = 1;
    v.Value.MVszA.lppszA = one;
    cb = 0;
    memset(buffer, 0xEE, sizeof(buffer));
    CHECK_OK(ScCopyProps(1, &v, buffer, &cb));
    CHECK(cb == SPV + PTR + 5);
    if (sizeof(void *) == 8)
        CHECK(cb == 37);
    CHECK(buffer[cb] == 0xEE); /* not a byte more */
    CHECK(check_packed(&v, 1, buffer) == cb);
    memcpy(&strings, buffer + offsetof(SPropValue, Value) + offsetof(SLPSTRArray, lppszA),
           sizeof(strings));
    CHECK((BYTE *)strings == buffer + SPV);
    CHECK((BYTE *)read_ptr((BYTE *)strings) == buffer + SPV + PTR);

    /* Moved, with the old block cleared: the pointers are read relocated. */
    memcpy(buffer2, buffer, sizeof(buffer));
    memset(buffer, 0, sizeof(buffer));
    cb = 0;
    CHECK_OK(ScRelocProps(1, copy, buffer, buffer2, &cb));
    CHECK(cb == SPV + PTR + 5);
    CHECK(check_packed(&v, 1, buffer2) == cb);

    /* UlPropSize: cValues x element without reading the array. */
    memset(&v, 0, sizeof(v));
    v.ulPropTag = PT_MV_I2;
    v.Value.MVi.cValues = 2;
    CHECK(UlPropSize(&v) == 4);
    v.ulPropTag = PT_MV_CURRENCY;
    CHECK(UlPropSize(&v) == 16);
    v.ulPropTag = PT_MV_I2 | MV_INSTANCE;
    CHECK(UlPropSize(&v) == 0);
}

/* ===== every type ===== */

static char hi_a[] = "Hi!";
static WCHAR hi_w[] = {'H', 'i', '!', 0};

/* Fills `pv` (zeroed, tag set) with a value of `type` as the conformance figures use them:
   strings "Hi!", a 2-byte binary, three values in a multi-valued property. Returns the
   data bytes ScCountProps adds, or -1 where it must refuse the type. */
static long fill_for_count(SPropValue *pv, ULONG type, void *scratch, LPSTR *sa, LPWSTR *sw,
                           SBinary *sb)
{
    int i;
    switch (type) {
    case PT_I2: case PT_LONG: case PT_R4: case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME:
    case PT_SYSTIME: case PT_ERROR: case PT_BOOLEAN: case PT_OBJECT: case PT_I8:
        return 0;
    case PT_CLSID: pv->Value.lpguid = (GUID *)scratch; return sizeof(GUID);
    case PT_STRING8: pv->Value.lpszA = hi_a; return 4;
    case PT_UNICODE: pv->Value.lpszW = hi_w; return 4 * sizeof(WCHAR);
    case PT_BINARY:
        pv->Value.bin.cb = 2;
        pv->Value.bin.lpb = (BYTE *)scratch;
        return 2;
    case PT_MV_I2: case PT_MV_LONG: case PT_MV_R4: case PT_MV_DOUBLE: case PT_MV_CURRENCY:
    case PT_MV_APPTIME: case PT_MV_SYSTIME: case PT_MV_I8: case PT_MV_CLSID:
        pv->Value.MVi.cValues = 3;
        pv->Value.MVi.lpi = (short *)scratch;
        return (long)packed_data(pv);
    case PT_MV_STRING8:
        for (i = 0; i < 3; i++)
            sa[i] = hi_a;
        pv->Value.MVszA.cValues = 3;
        pv->Value.MVszA.lppszA = sa;
        return (long)(3 * PTR + 12);
    case PT_MV_UNICODE:
        for (i = 0; i < 3; i++)
            sw[i] = hi_w;
        pv->Value.MVszW.cValues = 3;
        pv->Value.MVszW.lppszW = sw;
        return (long)(3 * PTR + 24);
    case PT_MV_BINARY:
        sb[0].cb = 17;
        sb[1].cb = 2;
        sb[2].cb = 1;
        for (i = 0; i < 3; i++)
            sb[i].lpb = (BYTE *)scratch;
        pv->Value.MVbin.cValues = 3;
        pv->Value.MVbin.lpbin = sb;
        return (long)(3 * sizeof(SBinary) + 20);
    default:
        return -1; /* PT_UNSPECIFIED, PT_NULL, PT_PTR, MV_INSTANCE and unknown types */
    }
}

/* Copies `v` into blocks of exactly `size` bytes at several alignments and checks each. */
static void copy_at_every_alignment(SPropValue *v, int n, ULONG size)
{
    size_t offset;
    for (offset = 0; offset < 8; offset++) {
        BYTE *block = (BYTE *)malloc(size + offset);
        ULONG written = 0;
        if (!block) {
            CHECK(block != NULL);
            return;
        }
        CHECK_OK(ScCopyProps(n, v, block + offset, &written));
        CHECK(written == size);
        CHECK(check_packed(v, n, block + offset) == size);
        free(block);
    }
}

static void every_type(void)
{
    static GUID scratch[8];
    LPSTR sa[3];
    LPWSTR sw[3];
    SBinary sb[3];
    ULONG type, cb;
    int accepted = 0, refused = 0, wrong = 0;

    for (type = 0; type < PROP_ID_INVALID; type++) {
        SPropValue pv;
        long data;
        SCODE sc;
        memset(&pv, 0, sizeof(pv));
        pv.ulPropTag = PROP_TAG(type, 1);
        data = fill_for_count(&pv, type, scratch, sa, sw, sb);
        cb = 0xFFFFFFFF;
        sc = ScCountProps(1, &pv, &cb);
        if (data < 0) {
            refused++;
            if (sc != MAPI_E_INVALID_PARAMETER || cb != 0xFFFFFFFF) {
                if (wrong++ < 10)
                    fprintf(stderr, "type 0x%04lX: ScCountProps 0x%08lX, size %lu; expected a refusal\n",
                            (unsigned long)type, (unsigned long)(unsigned int)sc, (unsigned long)cb);
            }
        } else {
            accepted++;
            if (sc != S_OK || cb != SPV + (ULONG)data) {
                if (wrong++ < 10)
                    fprintf(stderr, "type 0x%04lX: ScCountProps 0x%08lX, size %lu; expected %lu\n",
                            (unsigned long)type, (unsigned long)(unsigned int)sc, (unsigned long)cb,
                            (unsigned long)(SPV + data));
            } else {
                copy_at_every_alignment(&pv, 1, cb);
            }
        }
    }
    CHECK(wrong == 0);
    /* 11 inline types, 4 single-valued with data, 12 multi-valued. */
    CHECK(accepted == 27);
    CHECK(refused == PROP_ID_INVALID - 27);

    /* UlPropSize over every type (id 0): fixed sizes, a string's bytes, a binary's cb, a
       multi-valued fixed-size property's cValues x element with a NULL array, the strings'
       and binaries' bytes without their arrays; 0 for everything else. */
    wrong = 0;
    for (type = 0; type < PROP_ID_INVALID; type++) {
        SPropValue pv;
        ULONG want, got;
        memset(&pv, 0, sizeof(pv));
        pv.ulPropTag = type;
        switch (type) {
        case PT_I2: case PT_BOOLEAN: want = 2; break;
        case PT_LONG: case PT_R4: case PT_ERROR: want = 4; break;
        case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME: case PT_SYSTIME: case PT_I8: want = 8; break;
        case PT_CLSID: want = 16; break;
        case PT_STRING8: pv.Value.lpszA = hi_a; want = 4; break;
        case PT_UNICODE: pv.Value.lpszW = hi_w; want = 8; break;
        case PT_BINARY: pv.Value.bin.cb = 19; want = 19; break;
        case PT_MV_I2: pv.Value.MVi.cValues = 2; want = 4; break;
        case PT_MV_LONG: case PT_MV_R4: pv.Value.MVi.cValues = 2; want = 8; break;
        case PT_MV_DOUBLE: case PT_MV_CURRENCY: case PT_MV_APPTIME: case PT_MV_SYSTIME:
        case PT_MV_I8: pv.Value.MVi.cValues = 2; want = 16; break;
        case PT_MV_CLSID: pv.Value.MVi.cValues = 2; want = 32; break;
        case PT_MV_STRING8:
            sa[0] = sa[1] = hi_a;
            pv.Value.MVszA.cValues = 2;
            pv.Value.MVszA.lppszA = sa;
            want = 8;
            break;
        case PT_MV_UNICODE:
            sw[0] = sw[1] = hi_w;
            pv.Value.MVszW.cValues = 2;
            pv.Value.MVszW.lppszW = sw;
            want = 16;
            break;
        case PT_MV_BINARY:
            sb[0].cb = 19;
            sb[1].cb = 1;
            pv.Value.MVbin.cValues = 2;
            pv.Value.MVbin.lpbin = sb;
            want = 20;
            break;
        default:
            /* Types with MV_INSTANCE get a count too: it must not be used. */
            pv.Value.MVi.cValues = 2;
            want = 0;
        }
        got = UlPropSize(&pv);
        if (got != want && wrong++ < 10)
            fprintf(stderr, "type 0x%04lX: UlPropSize %lu, expected %lu\n", (unsigned long)type,
                    (unsigned long)got, (unsigned long)want);
    }
    CHECK(wrong == 0);
    CHECK(UlPropSize(NULL) == 0);
}

/* ===== refusals, NULLs and empty values ===== */

static void refusals(void)
{
    static char s[] = "s";
    LONG longs[2] = {1, 2};
    LPSTR with_null[2] = {s, NULL};
    SBinary bins[2] = {{0, NULL}, {3, NULL}};
    SPropValue v[2];
    ULONG cb = 0xFFFFFFFF;
    BYTE out[256];
    LPSPropValue dup = (LPSPropValue)1;

#define REFUSED(n, arr)                                                      \
    do {                                                                     \
        cb = 0xFFFFFFFF;                                                     \
        CHECK_HR(ScCountProps(n, arr, &cb), MAPI_E_INVALID_PARAMETER);       \
        CHECK(cb == 0xFFFFFFFF);                                             \
        CHECK_HR(ScCopyProps(n, arr, out, &cb), MAPI_E_INVALID_PARAMETER);   \
        CHECK(cb == 0xFFFFFFFF);                                             \
        CHECK_HR(ScDupPropset(n, arr, MAPIAllocateBuffer, &dup), MAPI_E_INVALID_PARAMETER); \
        CHECK(dup == NULL);                                                  \
    } while (0)

    memset(v, 0, sizeof(v));
    CHECK_OK(ScCountProps(0, NULL, &cb));
    CHECK(cb == 0);
    REFUSED(-1, v);
    REFUSED(1, NULL);
    v[0].ulPropTag = PR_NULL;
    REFUSED(1, v);
    v[0].ulPropTag = PROP_TAG(PT_PTR, 0x6600);
    REFUSED(1, v);
    v[0].ulPropTag = PROP_TAG(PT_LONG, PROP_ID_NULL);
    REFUSED(1, v);
    v[0].ulPropTag = PROP_TAG(PT_LONG, PROP_ID_INVALID);
    REFUSED(1, v);
    /* A multi-valued property without values, or with a NULL array. */
    v[0].ulPropTag = PROP_TAG(PT_MV_LONG, 0x6600);
    REFUSED(1, v);
    v[0].Value.MVl.cValues = 2;
    REFUSED(1, v);
    /* MV_INSTANCE, whatever the value holds. */
    v[0].Value.MVl.lpl = longs;
    CHECK_OK(ScCountProps(1, v, &cb));
    v[0].ulPropTag = MVI_PROP(PROP_TAG(PT_MV_LONG, 0x6600));
    REFUSED(1, v);
    /* NULL where data is due. */
    v[0].ulPropTag = PR_SUBJECT_A;
    v[0].Value.lpszA = NULL;
    REFUSED(1, v);
    v[0].ulPropTag = PROP_TAG(PT_CLSID, 0x6600);
    REFUSED(1, v);
    v[0].ulPropTag = PROP_TAG(PT_MV_STRING8, 0x6600);
    v[0].Value.MVszA.cValues = 2;
    v[0].Value.MVszA.lppszA = with_null;
    REFUSED(1, v);
    v[0].ulPropTag = PROP_TAG(PT_MV_BINARY, 0x6600);
    v[0].Value.MVbin.lpbin = bins;
    REFUSED(1, v);
    /* The second of two values is the bad one: nothing is counted or copied. */
    v[1] = v[0];
    v[0].ulPropTag = PR_MESSAGE_FLAGS;
    REFUSED(2, v);
    /* A NULL destination. */
    CHECK_HR(ScCopyProps(1, v, NULL, &cb), MAPI_E_INVALID_PARAMETER);

    /* Empty binaries are no data: NULL pointers, sizeof(SPropValue) alone. */
    bins[1].cb = 0;
    CHECK_OK(ScCountProps(1, &v[1], &cb));
    CHECK(cb == SPV + 2 * sizeof(SBinary));
    copy_at_every_alignment(&v[1], 1, cb);
    v[0].ulPropTag = PR_ENTRYID;
    v[0].Value.bin.cb = 0;
    v[0].Value.bin.lpb = NULL;
    CHECK_OK(ScCountProps(1, v, &cb));
    CHECK(cb == SPV);
    copy_at_every_alignment(v, 1, cb);
    /* pcb NULL: validation only. */
    CHECK_OK(ScCountProps(1, v, NULL));
    CHECK_HR(ScCountProps(1, &v[1], NULL), S_OK);
    CHECK_HR(ScDupPropset(1, v, NULL, &dup), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(ScDupPropset(1, v, MAPIAllocateBuffer, NULL), MAPI_E_INVALID_PARAMETER);
#undef REFUSED
}

/* ===== every type at once: count, copy, move, duplicate ===== */

static ULONG asked = 0;
static int allocations = 0;

static SCODE STDMETHODCALLTYPE counting_buffer(ULONG cb, LPVOID *out)
{
    asked = cb;
    allocations++;
    return MAPIAllocateBuffer(cb, out);
}

static SCODE STDMETHODCALLTYPE counting_more(ULONG cb, LPVOID parent, LPVOID *out)
{
    asked = cb;
    allocations++;
    return MAPIAllocateMore(cb, parent, out);
}

static void every_type_packed(void)
{
    SPropValue values[EVERY_TYPE_COUNT];
    ULONG size = 0, again = 0, written = 0;
    BYTE *block, *moved, *odd;
    LPSPropValue dup = NULL;
    int i;

    every_type_values(values);
    CHECK_OK(ScCountProps(EVERY_TYPE_COUNT, values, &size));
    CHECK(size == packed_size(values, EVERY_TYPE_COUNT));
    copy_at_every_alignment(values, EVERY_TYPE_COUNT, size);

    block = (BYTE *)malloc(size);
    moved = (BYTE *)malloc(size);
    odd = (BYTE *)malloc(size + 1);
    if (block && moved && odd) {
        CHECK_OK(ScCopyProps(EVERY_TYPE_COUNT, values, block, &written));
        CHECK(written == size);
        /* The library reads packed values, unaligned data and all. */
        for (i = 0; i < EVERY_TYPE_COUNT; i++)
            CHECK(LPropCompareProp(&values[i], (LPSPropValue)(block + i * SPV)) == 0);
        /* ...and counts them as it counted the originals. */
        CHECK_OK(ScCountProps(EVERY_TYPE_COUNT, (LPSPropValue)block, &again));
        CHECK(again == size);

        /* Moved (as a realloc or memcpy would), the old place cleared. */
        memcpy(moved, block, size);
        memset(block, 0xCC, size);
        CHECK_OK(ScRelocProps(EVERY_TYPE_COUNT, (LPSPropValue)moved, block, moved, &again));
        CHECK(again == size);
        CHECK(check_packed(values, EVERY_TYPE_COUNT, moved) == size);

        /* Written out with base NULL, read back in at an odd address. */
        CHECK_OK(ScRelocProps(EVERY_TYPE_COUNT, (LPSPropValue)moved, moved, NULL, NULL));
        memcpy(odd + 1, moved, size);
        memset(moved, 0xDD, size);
        CHECK_OK(ScRelocProps(EVERY_TYPE_COUNT, (LPSPropValue)(odd + 1), NULL, odd + 1, &again));
        CHECK(again == size);
        CHECK(check_packed(values, EVERY_TYPE_COUNT, odd + 1) == size);
    }
    free(block);
    free(moved);
    free(odd);

    /* ScDupPropset: one block of exactly the counted size. */
    allocations = 0;
    CHECK_OK(ScDupPropset(EVERY_TYPE_COUNT, values, counting_buffer, &dup));
    CHECK(allocations == 1 && asked == size);
    if (dup) {
        CHECK(check_packed(values, EVERY_TYPE_COUNT, (BYTE *)dup) == size);
        CHECK(MAPIFreeBuffer(dup) == 0);
    }
}

/* ===== PropCopyMore ===== */

static void prop_copy_more(void)
{
    SPropValue values[EVERY_TYPE_COUNT], v;
    LPSPropValue root = NULL;
    BYTE odd[1 + sizeof(SPropValue)];
    int i;

    every_type_values(values);
    CHECK_OK(MAPIAllocateBuffer(EVERY_TYPE_COUNT * sizeof(SPropValue), (void **)&root));
    if (!root)
        return;
    for (i = 0; i < EVERY_TYPE_COUNT; i++) {
        size_t data = packed_data(&values[i]);
        allocations = 0;
        asked = 0;
        CHECK_OK(PropCopyMore(&root[i], &values[i], counting_more, root));
        /* One block of the value's exact data size, or none. */
        CHECK(allocations == (data > 0) && asked == data);
        /* A lone value's data starts its own block, so it is aligned: read it directly. */
        every_type_compare(&values[i], &root[i], 1);
        CHECK(FPropCompareProp(&values[i], RELOP_EQ, &root[i]));
    }
    CHECK(root[8].Value.lpszA != values[8].Value.lpszA);

    /* An unaligned destination. */
    CHECK_OK(PropCopyMore((LPSPropValue)(odd + 1), &values[9], MAPIAllocateMore, root));
    memcpy(&v, odd + 1, sizeof(v));
    every_type_compare(&values[9], &v, 1);

    /* PT_NULL, PT_OBJECT and empty multi-valued properties copy without data;
       MV_INSTANCE and unknown types do not copy. */
    memset(&v, 0, sizeof(v));
    v.ulPropTag = PR_NULL;
    allocations = 0;
    CHECK_OK(PropCopyMore(&root[0], &v, counting_more, root));
    CHECK(allocations == 0 && root[0].ulPropTag == PR_NULL);
    v.ulPropTag = PR_ATTACH_DATA_OBJ;
    CHECK_OK(PropCopyMore(&root[0], &v, counting_more, root));
    v.ulPropTag = PROP_TAG(PT_MV_STRING8, 0x6600);
    CHECK_OK(PropCopyMore(&root[0], &v, counting_more, root));
    CHECK(allocations == 0 && root[0].Value.MVszA.cValues == 0 && root[0].Value.MVszA.lppszA == NULL);
    v.ulPropTag = MVI_PROP(PROP_TAG(PT_MV_STRING8, 0x6600));
    CHECK_HR(PropCopyMore(&root[0], &v, counting_more, root), MAPI_E_INVALID_PARAMETER);
    v.ulPropTag = PROP_TAG(0x0999, 0x6600);
    CHECK_HR(PropCopyMore(&root[0], &v, counting_more, root), MAPI_E_INVALID_PARAMETER);
    v.ulPropTag = PR_SUBJECT_A;
    CHECK_HR(PropCopyMore(&root[0], &v, counting_more, root), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(PropCopyMore(&root[0], &values[0], NULL, root), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(PropCopyMore(NULL, &values[0], MAPIAllocateMore, root), MAPI_E_INVALID_PARAMETER);
    MAPIFreeBuffer(root);
}

/* ===== packed values given to a message ===== */

static void packed_into_a_message(void)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    SPropValue values[EVERY_TYPE_COUNT];
    LPSPropValue dup = NULL, got = NULL;
    SizedSPropTagArray(EVERY_TYPE_COUNT - 1, tags);
    ULONG count = 0;
    int i;
    const int n = EVERY_TYPE_COUNT - 1; /* all but the PT_ERROR value */

    every_type_values(values);
    CHECK_OK(ScDupPropset(n, values, MAPIAllocateBuffer, &dup));
    test_path("packed.msg", path, wpath);
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (stg)
        CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                                MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (msg && dup) {
        CHECK_OK(msg->lpVtbl->SetProps(msg, n, dup, NULL));
        tags.cValues = n;
        for (i = 0; i < n; i++)
            tags.aulPropTag[i] = values[i].ulPropTag;
        CHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &count, &got));
        CHECK(count == (ULONG)n);
        for (i = 0; got && i < n; i++)
            every_type_compare(&values[i], &got[i], 1);
        MAPIFreeBuffer(got);
    }
    MAPIFreeBuffer(dup);
    if (msg)
        msg->lpVtbl->Release(msg);
    if (stg)
        stg->lpVtbl->Release(stg);
}

/* ===== the default IMalloc: LocalAlloc memory ===== */

static void default_malloc(void)
{
    IMalloc *m = MAPIGetDefaultMalloc();
    BYTE *p, *q;
    HLOCAL h;
    size_t i;
    int zero = 1;

    CHECK(m != NULL);
    if (!m)
        return;
    /* As the conformance suite checks native: GetSize is LocalSize, LocalFree frees. */
    p = (BYTE *)m->lpVtbl->Alloc(m, 61);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK(m->lpVtbl->GetSize(m, p) == LocalSize(p));
    CHECK(LocalSize(p) >= 61);
    memset(p, 0x5A, 61);
    q = (BYTE *)m->lpVtbl->Realloc(m, p, 5000);
    CHECK(q != NULL);
    if (q) {
        CHECK(q[60] == 0x5A && q[0] == 0x5A);
        CHECK(m->lpVtbl->GetSize(m, q) == LocalSize(q) && LocalSize(q) >= 5000);
        p = q;
    }
    CHECK(m->lpVtbl->DidAlloc(m, p) == -1);
    CHECK(LocalFree(p) == NULL);
    CHECK(m->lpVtbl->GetSize(m, NULL) == 0 && LocalSize(NULL) == 0);

    /* And the other way: the IMalloc frees LocalAlloc's blocks. */
    p = (BYTE *)LocalAlloc(LPTR, 32);
    CHECK(p != NULL);
    for (i = 0; p && i < 32; i++)
        zero &= p[i] == 0;
    CHECK(zero);
    CHECK(m->lpVtbl->GetSize(m, p) == LocalSize(p) && LocalSize(p) >= 32);
    m->lpVtbl->Free(m, p);
    p = (BYTE *)m->lpVtbl->Realloc(m, NULL, 10);
    CHECK(p != NULL);
    CHECK(m->lpVtbl->Realloc(m, p, 0) == NULL); /* frees */

    /* Movable blocks: a handle, locked for its memory. */
    h = LocalAlloc(LHND, 16);
    CHECK(h != NULL);
    p = (BYTE *)LocalLock(h);
    CHECK(p != NULL && p[15] == 0);
    if (p)
        memcpy(p, "movable", 8);
    CHECK(LocalUnlock(h) == 0); /* FALSE: the last lock is gone */
    h = LocalReAlloc(h, 4096, LMEM_MOVEABLE);
    CHECK(h != NULL && LocalSize(h) >= 4096);
    p = (BYTE *)LocalLock(h);
    CHECK(p != NULL && memcmp(p, "movable", 8) == 0);
    CHECK(LocalLock(h) == p);
    CHECK(LocalUnlock(h) != 0); /* one lock left */
    CHECK(LocalUnlock(h) == 0);
    CHECK(LocalFree(h) == NULL);
    CHECK(LocalFree(NULL) == NULL);

    /* GlobalUnlock answers FALSE, never an error code read as TRUE. */
    h = GlobalAlloc(GMEM_MOVEABLE, 8);
    CHECK(h != NULL && GlobalLock(h) != NULL);
    CHECK(GlobalUnlock(h) == FALSE);
    CHECK(GlobalFree(h) == NULL);
#ifndef _WIN32
    /* Here task memory shares the heap: LocalFree and the IMalloc free CoTaskMemAlloc's. */
    p = (BYTE *)CoTaskMemAlloc(24);
    CHECK(p != NULL && LocalSize(p) == 24);
    m->lpVtbl->Free(m, p);
    /* A foreign or stale pointer is refused, not freed. */
    CHECK(LocalFree(p) == p);
    CHECK(LocalSize(p) == 0);
#endif
}

int main(void)
{
    if (!test_dir_create("imsg-packed")) {
        perror("mkdtemp");
        return 1;
    }
    native_figures();
    every_type();
    refusals();
    every_type_packed();
    prop_copy_more();
    packed_into_a_message();
    default_malloc();
    test_dir_remove();
    return check_report("mapiutil_packed.c");
}
