/* every_type.h - one property of every type a .msg can hold, and a checker, shared by the C
   and C++ round-trip tests. Compiles as C and as C++. */
#ifndef IMSG_EVERY_TYPE_H
#define IMSG_EVERY_TYPE_H

#include "check.h"
#include "imessage.h"

#define ID(n) (0x6600 + (n))

static short mv_i2[] = {1, -2, 32767};
static LONG mv_long[] = {7, -8, 2147483647};
static float mv_r4[] = {1.5f, -2.25f};
static double mv_dbl[] = {3.141592653589793, -1e300};
static CURRENCY mv_cur[2];
static double mv_at[] = {45000.5, 1.0};
static FILETIME mv_ft[] = {{0x12345678u, 0x01D9ABCDu}, {0u, 0u}};
static GUID mv_guid[] = {{0x11223344u, 0x5566, 0x7788, {1, 2, 3, 4, 5, 6, 7, 8}},
                         {0xAABBCCDDu, 0xEEFF, 0x0011, {8, 7, 6, 5, 4, 3, 2, 1}}};
static LARGE_INTEGER mv_li[2];
static BYTE bin_a[] = {0, 1, 2, 255};
static BYTE bin_b[] = {42};
static SBinary mv_bin[] = {{4, bin_a}, {0, NULL}, {1, bin_b}};
static char mv_sz_a0[] = "alpha";
static char mv_sz_a1[] = "";
static char mv_sz_a2[] = "gamma \xE9";
static LPSTR mv_sza[] = {mv_sz_a0, mv_sz_a1, mv_sz_a2};
static WCHAR mv_sz_w0[] = {'a', 'l', 'p', 'h', 'a', 0};
static WCHAR mv_sz_w1[] = {0};
static WCHAR mv_sz_w2[] = {0x3042, 0x00E9, 0xD83D, 0xDE00, 0};
static LPWSTR mv_szw[] = {mv_sz_w0, mv_sz_w1, mv_sz_w2};
static char str_a[] = "Subject \xE9t\xE9 (1252)";
static WCHAR str_w[] = {'S', 'u', 'b', 'j', 0x00E9, ' ', 0x65E5, 0x672C, 0xD83D, 0xDE00, 0};
static GUID one_guid = {0xDEADBEEFu, 0x0102, 0x0304, {9, 10, 11, 12, 13, 14, 15, 16}};
static BYTE big_bin[100000];

#define EVERY_TYPE_COUNT 27

/* Fills `v` with the test values (strings of the message's own width for strings). */
static void every_type_values(SPropValue *v)
{
    int n = 0;
    size_t i;
    mv_cur[0].int64 = 123456789;
    mv_cur[1].int64 = -5;
    mv_li[0].QuadPart = -1;
    mv_li[1].QuadPart = 0x7FFFFFFFFFFFFFFFLL;
    for (i = 0; i < sizeof(big_bin); i++)
        big_bin[i] = (BYTE)(i * 7 + 3);
    memset(v, 0, EVERY_TYPE_COUNT * sizeof(SPropValue));
    v[n].ulPropTag = PROP_TAG(PT_I2, ID(n)); v[n].Value.i = -1234; n++;
    v[n].ulPropTag = PROP_TAG(PT_LONG, ID(n)); v[n].Value.l = -123456; n++;
    v[n].ulPropTag = PROP_TAG(PT_R4, ID(n)); v[n].Value.flt = 0.15625f; n++;
    v[n].ulPropTag = PROP_TAG(PT_DOUBLE, ID(n)); v[n].Value.dbl = 2.718281828459045; n++;
    v[n].ulPropTag = PROP_TAG(PT_CURRENCY, ID(n)); v[n].Value.cur.int64 = 99990000; n++;
    v[n].ulPropTag = PROP_TAG(PT_APPTIME, ID(n)); v[n].Value.at = 45291.75; n++;
    v[n].ulPropTag = PROP_TAG(PT_BOOLEAN, ID(n)); v[n].Value.b = 1; n++;
    v[n].ulPropTag = PROP_TAG(PT_I8, ID(n)); v[n].Value.li.QuadPart = -9000000000000LL; n++;
    v[n].ulPropTag = PROP_TAG(PT_STRING8, ID(n)); v[n].Value.lpszA = str_a; n++;
    v[n].ulPropTag = PROP_TAG(PT_UNICODE, ID(n)); v[n].Value.lpszW = str_w; n++;
    v[n].ulPropTag = PROP_TAG(PT_SYSTIME, ID(n)); v[n].Value.ft.dwLowDateTime = 0x89ABCDEFu;
    v[n].Value.ft.dwHighDateTime = 0x01DA0000u; n++;
    v[n].ulPropTag = PROP_TAG(PT_CLSID, ID(n)); v[n].Value.lpguid = &one_guid; n++;
    v[n].ulPropTag = PROP_TAG(PT_BINARY, ID(n)); v[n].Value.bin.cb = 4; v[n].Value.bin.lpb = bin_a; n++;
    v[n].ulPropTag = PROP_TAG(PT_BINARY, ID(n)); v[n].Value.bin.cb = sizeof(big_bin);
    v[n].Value.bin.lpb = big_bin; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_I2, ID(n)); v[n].Value.MVi.cValues = 3; v[n].Value.MVi.lpi = mv_i2; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_LONG, ID(n)); v[n].Value.MVl.cValues = 3; v[n].Value.MVl.lpl = mv_long; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_R4, ID(n)); v[n].Value.MVflt.cValues = 2; v[n].Value.MVflt.lpflt = mv_r4; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_DOUBLE, ID(n)); v[n].Value.MVdbl.cValues = 2;
    v[n].Value.MVdbl.lpdbl = mv_dbl; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_CURRENCY, ID(n)); v[n].Value.MVcur.cValues = 2;
    v[n].Value.MVcur.lpcur = mv_cur; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_APPTIME, ID(n)); v[n].Value.MVat.cValues = 2; v[n].Value.MVat.lpat = mv_at; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_SYSTIME, ID(n)); v[n].Value.MVft.cValues = 2; v[n].Value.MVft.lpft = mv_ft; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_CLSID, ID(n)); v[n].Value.MVguid.cValues = 2;
    v[n].Value.MVguid.lpguid = mv_guid; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_I8, ID(n)); v[n].Value.MVli.cValues = 2; v[n].Value.MVli.lpli = mv_li; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_BINARY, ID(n)); v[n].Value.MVbin.cValues = 3;
    v[n].Value.MVbin.lpbin = mv_bin; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_STRING8, ID(n)); v[n].Value.MVszA.cValues = 3;
    v[n].Value.MVszA.lppszA = mv_sza; n++;
    v[n].ulPropTag = PROP_TAG(PT_MV_UNICODE, ID(n)); v[n].Value.MVszW.cValues = 3;
    v[n].Value.MVszW.lppszW = mv_szw; n++;
    /* Ignored by SetProps, as documented: never stored. */
    v[n].ulPropTag = PROP_TAG(PT_ERROR, ID(n)); v[n].Value.err = MAPI_E_NOT_FOUND; n++;
}

static size_t wlen(const WCHAR *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int wsame(const WCHAR *a, const WCHAR *b)
{
    return wlen(a) == wlen(b) && memcmp(a, b, wlen(a) * sizeof(WCHAR)) == 0;
}

/* The value `want` must come back as `got`. Strings were set in their own type; a message
   of the other width stores them converted, so they are asked for with their set type and
   come back converted (1252 characters survive both ways; others become '?' in 8-bit). */
static void every_type_compare(const SPropValue *want, const SPropValue *got, int unicode)
{
    ULONG i;
    if (PROP_TYPE(want->ulPropTag) == PT_ERROR) {
        CHECK(PROP_TYPE(got->ulPropTag) == PT_ERROR && got->Value.err == MAPI_E_NOT_FOUND);
        return;
    }
    if (got->ulPropTag != want->ulPropTag) {
        fprintf(stderr, "tag 0x%08X came back as 0x%08X (err 0x%08X)\n", (unsigned)want->ulPropTag,
                (unsigned)got->ulPropTag, (unsigned)got->Value.err);
        check_failures++;
        return;
    }
    switch (PROP_TYPE(want->ulPropTag)) {
    case PT_I2: CHECK(got->Value.i == want->Value.i); break;
    case PT_LONG: CHECK(got->Value.l == want->Value.l); break;
    case PT_R4: CHECK(got->Value.flt == want->Value.flt); break;
    case PT_DOUBLE: CHECK(got->Value.dbl == want->Value.dbl); break;
    case PT_CURRENCY: CHECK(got->Value.cur.int64 == want->Value.cur.int64); break;
    case PT_APPTIME: CHECK(got->Value.at == want->Value.at); break;
    case PT_BOOLEAN: CHECK(got->Value.b == want->Value.b); break;
    case PT_I8: CHECK(got->Value.li.QuadPart == want->Value.li.QuadPart); break;
    case PT_SYSTIME:
        CHECK(got->Value.ft.dwLowDateTime == want->Value.ft.dwLowDateTime &&
              got->Value.ft.dwHighDateTime == want->Value.ft.dwHighDateTime);
        break;
    case PT_CLSID: CHECK(memcmp(got->Value.lpguid, want->Value.lpguid, sizeof(GUID)) == 0); break;
    case PT_BINARY:
        CHECK(got->Value.bin.cb == want->Value.bin.cb &&
              memcmp(got->Value.bin.lpb, want->Value.bin.lpb, want->Value.bin.cb) == 0);
        break;
    case PT_STRING8:
        CHECK(strcmp(got->Value.lpszA, want->Value.lpszA) == 0);
        break;
    case PT_UNICODE:
        if (unicode) {
            CHECK(wsame(got->Value.lpszW, want->Value.lpszW));
        } else {
            /* Through code page 1252: the Latin part survives, the rest is '?'. */
            const WCHAR *g = got->Value.lpszW;
            CHECK(wlen(g) == 9 && g[4] == 0x00E9 && g[6] == '?' && g[8] == '?');
        }
        break;
    case PT_MV_I2:
        CHECK(got->Value.MVi.cValues == want->Value.MVi.cValues);
        for (i = 0; i < want->Value.MVi.cValues && i < got->Value.MVi.cValues; i++)
            CHECK(got->Value.MVi.lpi[i] == want->Value.MVi.lpi[i]);
        break;
    case PT_MV_LONG:
        CHECK(got->Value.MVl.cValues == want->Value.MVl.cValues);
        for (i = 0; i < want->Value.MVl.cValues && i < got->Value.MVl.cValues; i++)
            CHECK(got->Value.MVl.lpl[i] == want->Value.MVl.lpl[i]);
        break;
    case PT_MV_R4:
        CHECK(got->Value.MVflt.cValues == want->Value.MVflt.cValues);
        for (i = 0; i < want->Value.MVflt.cValues && i < got->Value.MVflt.cValues; i++)
            CHECK(got->Value.MVflt.lpflt[i] == want->Value.MVflt.lpflt[i]);
        break;
    case PT_MV_DOUBLE:
        CHECK(got->Value.MVdbl.cValues == want->Value.MVdbl.cValues);
        for (i = 0; i < want->Value.MVdbl.cValues && i < got->Value.MVdbl.cValues; i++)
            CHECK(got->Value.MVdbl.lpdbl[i] == want->Value.MVdbl.lpdbl[i]);
        break;
    case PT_MV_CURRENCY:
        CHECK(got->Value.MVcur.cValues == want->Value.MVcur.cValues);
        for (i = 0; i < want->Value.MVcur.cValues && i < got->Value.MVcur.cValues; i++)
            CHECK(got->Value.MVcur.lpcur[i].int64 == want->Value.MVcur.lpcur[i].int64);
        break;
    case PT_MV_APPTIME:
        CHECK(got->Value.MVat.cValues == want->Value.MVat.cValues);
        for (i = 0; i < want->Value.MVat.cValues && i < got->Value.MVat.cValues; i++)
            CHECK(got->Value.MVat.lpat[i] == want->Value.MVat.lpat[i]);
        break;
    case PT_MV_SYSTIME:
        CHECK(got->Value.MVft.cValues == want->Value.MVft.cValues);
        for (i = 0; i < want->Value.MVft.cValues && i < got->Value.MVft.cValues; i++)
            CHECK(memcmp(&got->Value.MVft.lpft[i], &want->Value.MVft.lpft[i], sizeof(FILETIME)) == 0);
        break;
    case PT_MV_CLSID:
        CHECK(got->Value.MVguid.cValues == want->Value.MVguid.cValues);
        for (i = 0; i < want->Value.MVguid.cValues && i < got->Value.MVguid.cValues; i++)
            CHECK(memcmp(&got->Value.MVguid.lpguid[i], &want->Value.MVguid.lpguid[i], sizeof(GUID)) == 0);
        break;
    case PT_MV_I8:
        CHECK(got->Value.MVli.cValues == want->Value.MVli.cValues);
        for (i = 0; i < want->Value.MVli.cValues && i < got->Value.MVli.cValues; i++)
            CHECK(got->Value.MVli.lpli[i].QuadPart == want->Value.MVli.lpli[i].QuadPart);
        break;
    case PT_MV_BINARY:
        CHECK(got->Value.MVbin.cValues == want->Value.MVbin.cValues);
        for (i = 0; i < want->Value.MVbin.cValues && i < got->Value.MVbin.cValues; i++) {
            const SBinary *a = &got->Value.MVbin.lpbin[i], *b = &want->Value.MVbin.lpbin[i];
            CHECK(a->cb == b->cb && (b->cb == 0 || memcmp(a->lpb, b->lpb, b->cb) == 0));
        }
        break;
    case PT_MV_STRING8:
        CHECK(got->Value.MVszA.cValues == want->Value.MVszA.cValues);
        for (i = 0; i < want->Value.MVszA.cValues && i < got->Value.MVszA.cValues; i++)
            CHECK(strcmp(got->Value.MVszA.lppszA[i], want->Value.MVszA.lppszA[i]) == 0);
        break;
    case PT_MV_UNICODE:
        CHECK(got->Value.MVszW.cValues == want->Value.MVszW.cValues);
        for (i = 0; i < want->Value.MVszW.cValues && i < got->Value.MVszW.cValues; i++) {
            if (unicode || i < 2)
                CHECK(wsame(got->Value.MVszW.lppszW[i], want->Value.MVszW.lppszW[i]));
            else /* U+3042 and the emoji have no 1252 form; U+00E9 does. */
                CHECK(wlen(got->Value.MVszW.lppszW[i]) == 3 && got->Value.MVszW.lppszW[i][1] == 0x00E9);
        }
        break;
    default:
        fprintf(stderr, "unexpected type 0x%04X\n", (unsigned)PROP_TYPE(want->ulPropTag));
        check_failures++;
    }
}

#endif
