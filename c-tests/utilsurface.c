/* utilsurface.c - mapi32's utility functions at the C boundary:
   - FILETIME arithmetic (FtAddFt, FtAdcFt, FtSubFt, FtNegFt, FtMulDw, FtMulDwDw): unsigned,
     modulo 2^64, carries and borrows across the 32-bit halves, FtAdcFt's carry in and out;
   - hexadecimal text (HexFromBin, FBinFromHex, ScBinFromHexBounded, UlFromSzHex) and the
     C-runtime stand-ins (UFromSz, SzFindCh, SzFindLastCh, SzFindSz, SwapPword, SwapPlong),
     with Microsoft's documented examples; a refused conversion writes nothing;
   - ScCreateConversationIndex ([MS-OXOMSG] 2.2.1.3: a 22-byte header for a new thread with
     the current time, 5 bytes per reply with the time since the header) and ScGenerateMuid;
     the index is one MAPIAllocateBuffer block;
   - the mapival.h validators (FBadProp, FBadPropTag, FBadRow, FBadRowSet, FBadColumnSet,
     FBadSortOrderSet, FBadRestriction, FBadEntryList, FBadRglpszA/W, FBadRglpNameID): a
     good structure of each kind passes, and each defect named in their documentation is
     caught, NULL included. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "mapiutil.h"
#include "mapival.h"

static uint64_t u64(FILETIME ft)
{
    return ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
}

static FILETIME ft_of(uint64_t v)
{
    FILETIME ft;
    ft.dwLowDateTime = (DWORD)v;
    ft.dwHighDateTime = (DWORD)(v >> 32);
    return ft;
}

/* The current time as a FILETIME (100 ns units since 1601). */
static uint64_t now_filetime(void)
{
    return ((uint64_t)time(NULL) + 11644473600ULL) * 10000000ULL;
}

static void filetime_arithmetic(void)
{
    const uint64_t max = UINT64_MAX;
    WORD carry;

    /* The low half's carry reaches the high half; the sum wraps past 2^64. */
    CHECK(u64(FtAddFt(ft_of(0xFFFFFFFFu), ft_of(1))) == 0x100000000ULL);
    CHECK(u64(FtAddFt(ft_of(max), ft_of(2))) == 1);
    /* One hour added to a time: 3600 s x 10^7 units. */
    CHECK(u64(FtAddFt(ft_of(0x01D57DF85E000000ULL), FtMulDwDw(10000000u, 3600u))) ==
          0x01D57DF85E000000ULL + 36000000000ULL);

    carry = 0;
    CHECK(u64(FtAdcFt(ft_of(max), ft_of(1), &carry)) == 0 && carry == 1);
    carry = 1;
    CHECK(u64(FtAdcFt(ft_of(1), ft_of(2), &carry)) == 4 && carry == 0);
    carry = 5; /* any nonzero carry counts as one */
    CHECK(u64(FtAdcFt(ft_of(max), ft_of(0), &carry)) == 0 && carry == 1);
    carry = 1;
    CHECK(u64(FtAdcFt(ft_of(max), ft_of(max), &carry)) == max && carry == 1);
    CHECK(u64(FtAdcFt(ft_of(7), ft_of(8), NULL)) == 15);

    /* The borrow crosses the halves; below zero wraps. */
    CHECK(u64(FtSubFt(ft_of(0x100000000ULL), ft_of(1))) == 0xFFFFFFFFULL);
    CHECK(u64(FtSubFt(ft_of(0), ft_of(1))) == max);
    CHECK(u64(FtSubFt(ft_of(12345), ft_of(12345))) == 0);

    CHECK(u64(FtNegFt(ft_of(1))) == max);
    CHECK(u64(FtNegFt(ft_of(0))) == 0);
    CHECK(u64(FtNegFt(ft_of(0x100000000ULL))) == 0xFFFFFFFF00000000ULL);

    CHECK(u64(FtMulDw(3, ft_of(0x8000000000000001ULL))) == 0x8000000000000003ULL);
    CHECK(u64(FtMulDw(0, ft_of(max))) == 0);
    CHECK(u64(FtMulDw(0x10, ft_of(0x0FFFFFFFFULL))) == 0xFFFFFFFF0ULL);
    CHECK(u64(FtMulDwDw(0xFFFFFFFFu, 0xFFFFFFFFu)) == 0xFFFFFFFE00000001ULL);
    CHECK(u64(FtMulDwDw(0, 0xFFFFFFFFu)) == 0);
}

static void hex_text(void)
{
    BYTE bytes[] = {0x0A, 0xFF, 0x00, 0x7B};
    char text[16];
    BYTE out[8];

    memset(text, 'x', sizeof text);
    HexFromBin(bytes, 4, text);
    CHECK(strcmp(text, "0AFF007B") == 0);
    CHECK(text[9] == 'x'); /* nothing past the terminator */
    memset(text, 'x', sizeof text);
    HexFromBin(bytes, 0, text);
    CHECK(text[0] == 0 && text[1] == 'x');
    HexFromBin(bytes, -3, text);
    CHECK(text[0] == 0);
    HexFromBin(bytes, 4, NULL); /* writes nothing, does not crash */

    memset(out, 0xCC, sizeof out);
    CHECK(FBinFromHex("0aFf10", out) == TRUE);
    CHECK(out[0] == 0x0A && out[1] == 0xFF && out[2] == 0x10 && out[3] == 0xCC);
    memset(out, 0xCC, sizeof out);
    CHECK(FBinFromHex("0A1", out) == FALSE); /* odd length */
    CHECK(FBinFromHex("0A0G", out) == FALSE);
    CHECK(FBinFromHex("0A 0", out) == FALSE);
    CHECK(out[0] == 0xCC); /* refused: nothing written */
    CHECK(FBinFromHex("", out) == TRUE && out[0] == 0xCC);
    CHECK(FBinFromHex(NULL, out) == FALSE);
    CHECK(FBinFromHex("00", NULL) == FALSE);

    memset(out, 0xCC, sizeof out);
    CHECK_OK(ScBinFromHexBounded("0A0B0C", out, 2));
    CHECK(out[0] == 0x0A && out[1] == 0x0B && out[2] == 0xCC);
    CHECK_OK(ScBinFromHexBounded("0102", out, 8));
    CHECK(out[0] == 1 && out[1] == 2 && out[2] == 0xCC);
    /* Only the part within the bound is read: a bad digit past it does not matter. */
    CHECK_OK(ScBinFromHexBounded("FFZZ", out, 1));
    CHECK(out[0] == 0xFF);
    memset(out, 0xCC, sizeof out);
    CHECK_HR(ScBinFromHexBounded("0A0", out, 5), MAPI_E_CALL_FAILED);
    CHECK_HR(ScBinFromHexBounded("zz", out, 5), MAPI_E_CALL_FAILED);
    CHECK(out[0] == 0xCC);
    CHECK_HR(ScBinFromHexBounded(NULL, out, 5), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(ScBinFromHexBounded("00", NULL, 1), MAPI_E_INVALID_PARAMETER);
    CHECK_OK(ScBinFromHexBounded("00", NULL, 0));

    /* Microsoft's examples. */
    CHECK(UlFromSzHex("5a") == 90);
    CHECK(UlFromSzHex("5g5h") == 5);
    CHECK(UlFromSzHex("g5h5") == 0);
    CHECK(UlFromSzHex("FFFFFFFF") == 0xFFFFFFFFu);
    CHECK(UlFromSzHex("") == 0);
    CHECK(UlFromSzHex(NULL) == 0);
    CHECK(UFromSz("55") == 55);
    CHECK(UFromSz("5a5b") == 5);
    CHECK(UFromSz("a5b5") == 0);
    CHECK(UFromSz("4294967295") == 4294967295u);
    CHECK(UFromSz(NULL) == 0);
}

static void text_search(void)
{
    const char *s = "hello world";
    WORD words[2] = {0x1234, 0xABCD};
    ULONG longs[2] = {0xFFFF0001u, 0x12345678u};

    CHECK(SzFindCh(s, 'l') == s + 2);
    CHECK(SzFindLastCh(s, 'l') == s + 9);
    CHECK(SzFindCh(s, 'z') == NULL && SzFindLastCh(s, 'z') == NULL);
    CHECK(SzFindCh(s, 'H') == NULL); /* case-sensitive */
    CHECK(SzFindCh(s, 0) == s + 11 && SzFindLastCh(s, 0) == s + 11);
    CHECK(SzFindCh(s, 0x16C) == NULL); /* not an 8-bit character */
    CHECK(SzFindCh(NULL, 'a') == NULL && SzFindLastCh(NULL, 'a') == NULL);

    CHECK(SzFindSz(s, "o w") == s + 4);
    CHECK(SzFindSz(s, "world") == s + 6);
    CHECK(SzFindSz(s, "") == s);
    CHECK(SzFindSz(s, "worlds") == NULL);
    CHECK(SzFindSz(s, "World") == NULL);
    CHECK(SzFindSz("ab", "abc") == NULL);
    CHECK(SzFindSz(NULL, "a") == NULL && SzFindSz(s, NULL) == NULL);

    SwapPword(words, 2);
    CHECK(words[0] == 0x3412 && words[1] == 0xCDAB);
    SwapPword(words, 1);
    CHECK(words[0] == 0x1234 && words[1] == 0xCDAB);
    SwapPlong(longs, 2);
    CHECK(longs[0] == 0x0100FFFFu && longs[1] == 0x78563412u);
    SwapPlong(longs, 0);
    CHECK(longs[0] == 0x0100FFFFu);
    SwapPword(NULL, 3);
    SwapPlong(NULL, 3);
}

/* The 40-bit time of an index's header (its bytes 1..5), a FILETIME shifted right 24. */
static uint64_t header_time(const BYTE *index)
{
    uint64_t t = 0;
    int i;
    for (i = 1; i < 6; i++)
        t = (t << 8) | index[i];
    return t;
}

static uint32_t level_word(const BYTE *level)
{
    return ((uint32_t)level[0] << 24) | ((uint32_t)level[1] << 16) | ((uint32_t)level[2] << 8) |
           level[3];
}

static void conversation_index(void)
{
    ULONG cb = 99, cb2 = 99, cb3 = 99;
    BYTE *index = NULL, *other = NULL, *reply = NULL, *reply2 = NULL;
    BYTE old[22];
    uint64_t before, after, t;
    MAPIUID a, b;

    before = now_filetime() >> 24;
    CHECK_OK(ScCreateConversationIndex(0, NULL, &cb, &index));
    after = (now_filetime() + 10000000ULL) >> 24;
    CHECK(cb == 22 && index != NULL);
    if (cb != 22 || index == NULL)
        return;
    CHECK(index[0] == 0x01);
    t = header_time(index);
    CHECK(t >= before && t <= after);

    /* A second thread has its own GUID. */
    CHECK_OK(ScCreateConversationIndex(0, NULL, &cb, &other));
    CHECK(cb == 22 && memcmp(index + 6, other + 6, 16) != 0);

    /* A reply: the parent, then one level, made within seconds of the header's time (the
       header keeps the time to 2^24 units, 1.7 s, so the delta is under a few seconds). */
    CHECK_OK(ScCreateConversationIndex(22, index, &cb2, &reply));
    CHECK(cb2 == 27 && memcmp(reply, index, 22) == 0);
    CHECK((level_word(reply + 22) >> 31) == 0);
    CHECK(((uint64_t)level_word(reply + 22) << 18) <= 5 * 10000000ULL);
    /* A reply to the reply measures from the same header. */
    CHECK_OK(ScCreateConversationIndex(cb2, reply, &cb3, &reply2));
    CHECK(cb3 == 32 && memcmp(reply2, reply, 27) == 0);
    CHECK(level_word(reply2 + 27) >= level_word(reply + 22));
    MAPIFreeBuffer(reply2);
    reply2 = NULL;

    /* A thread started on 2000-01-01 is more than 2^49 units old: the long form, code 1
       and the delta shifted right 23. */
    memcpy(old, index, 22);
    t = 0x01BF53EB256D4000ULL >> 24;
    old[1] = (BYTE)(t >> 32);
    old[2] = (BYTE)(t >> 24);
    old[3] = (BYTE)(t >> 16);
    old[4] = (BYTE)(t >> 8);
    old[5] = (BYTE)t;
    MAPIFreeBuffer(reply);
    reply = NULL;
    before = now_filetime();
    CHECK_OK(ScCreateConversationIndex(22, old, &cb2, &reply));
    after = now_filetime() + 10000000ULL;
    CHECK(cb2 == 27);
    {
        uint32_t w = level_word(reply + 22);
        uint64_t delta = (uint64_t)(w & 0x7FFFFFFFu) << 23;
        uint64_t start = t << 24;
        CHECK((w >> 31) == 1);
        CHECK(delta + (1ULL << 23) >= before - start && delta <= after - start);
    }

    /* Refusals: nothing allocated, the out-pointers cleared. */
    CHECK_HR(ScCreateConversationIndex(21, index, &cb2, &reply2), MAPI_E_INVALID_PARAMETER);
    CHECK(reply2 == NULL && cb2 == 0);
    CHECK_HR(ScCreateConversationIndex(22, NULL, &cb2, &reply2), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(ScCreateConversationIndex(0, NULL, NULL, &reply2), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(ScCreateConversationIndex(0, NULL, &cb2, NULL), MAPI_E_INVALID_PARAMETER);

    MAPIFreeBuffer(index);
    MAPIFreeBuffer(other);
    MAPIFreeBuffer(reply);

    CHECK_OK(ScGenerateMuid(&a));
    CHECK_OK(ScGenerateMuid(&b));
    CHECK(memcmp(a.ab, b.ab, 16) != 0);
    CHECK_HR(ScGenerateMuid(NULL), MAPI_E_INVALID_PARAMETER);
}

#define PR_SUBJ_A PROP_TAG(PT_STRING8, 0x0037)
#define PR_IMPORTANCE_L PROP_TAG(PT_LONG, 0x0017)

static void property_validators(void)
{
    SPropValue v[2], bad;
    LONG longs[2] = {1, 2};
    SRow row;
    SRowSet *set;

    CHECK(FBadPropTag(PR_SUBJ_A) == 0);
    CHECK(FBadPropTag(PROP_TAG(PT_MV_LONG, 0x8001)) == 0);
    CHECK(FBadPropTag(PROP_TAG(PT_MV_LONG | MV_INSTANCE, 0x8001)) == 0);
    CHECK(FBadPropTag(PROP_TAG(PT_LONG | MV_INSTANCE, 0x8001)) != 0);
    CHECK(FBadPropTag(PROP_TAG(0x0100, 0x8001)) != 0); /* no such type */
    CHECK(FBadPropTag(PROP_TAG(PT_LONG, 0xFFFF)) != 0); /* PROP_ID_INVALID */

    memset(v, 0, sizeof v);
    v[0].ulPropTag = PR_SUBJ_A;
    v[0].Value.lpszA = "subject";
    v[1].ulPropTag = PR_IMPORTANCE_L;
    v[1].Value.l = 2;
    CHECK(FBadProp(&v[0]) == 0 && FBadProp(&v[1]) == 0);
    CHECK(FBadProp(NULL) != 0);

    memset(&bad, 0, sizeof bad);
    bad.ulPropTag = PR_SUBJ_A; /* NULL string */
    CHECK(FBadProp(&bad) != 0);
    bad.ulPropTag = PROP_TAG(PT_BOOLEAN, 0x8000);
    bad.Value.b = 2;
    CHECK(FBadProp(&bad) != 0);
    bad.Value.b = 1;
    CHECK(FBadProp(&bad) == 0);
    bad.ulPropTag = PROP_TAG(PT_BINARY, 0x8000);
    bad.Value.bin.cb = 0;
    bad.Value.bin.lpb = NULL;
    CHECK(FBadProp(&bad) == 0); /* an empty binary needs no bytes */
    bad.Value.bin.cb = 3;
    CHECK(FBadProp(&bad) != 0);
    bad.ulPropTag = PROP_TAG(PT_MV_LONG, 0x8000);
    bad.Value.MVl.cValues = 2;
    bad.Value.MVl.lpl = NULL;
    CHECK(FBadProp(&bad) != 0);
    bad.Value.MVl.lpl = longs;
    CHECK(FBadProp(&bad) == 0);
    bad.ulPropTag = PROP_TAG(PT_CLSID, 0x8000);
    bad.Value.lpguid = NULL;
    CHECK(FBadProp(&bad) != 0);
    bad.ulPropTag = PROP_TAG(PT_UNSPECIFIED, 0x8000);
    CHECK(FBadProp(&bad) != 0);
    bad.ulPropTag = PROP_TAG(0x0100, 0x8000);
    CHECK(FBadProp(&bad) != 0);

    row.ulAdrEntryPad = 0;
    row.cValues = 2;
    row.lpProps = v;
    CHECK(FBadRow(&row) == 0);
    row.lpProps = NULL;
    CHECK(FBadRow(&row) != 0);
    row.cValues = 0;
    CHECK(FBadRow(&row) == 0);
    CHECK(FBadRow(NULL) != 0);

    set = (SRowSet *)malloc(CbNewSRowSet(2));
    set->cRows = 2;
    set->aRow[0].ulAdrEntryPad = set->aRow[1].ulAdrEntryPad = 0;
    set->aRow[0].cValues = 2;
    set->aRow[0].lpProps = v;
    set->aRow[1].cValues = 1;
    set->aRow[1].lpProps = &v[1];
    CHECK(FBadRowSet(set) == FALSE);
    set->aRow[1].lpProps = &bad; /* the unknown type above */
    CHECK(FBadRowSet(set) == TRUE);
    set->cRows = 1;
    CHECK(FBadRowSet(set) == FALSE);
    CHECK(FBadRowSet(NULL) == TRUE);
    free(set);
}

static void column_and_sort_validators(void)
{
    SizedSPropTagArray(3, cols) = {3, {PR_SUBJ_A, PR_IMPORTANCE_L, PROP_TAG(PT_NULL, 0x8001)}};
    SizedSSortOrderSet(2, sort) = {2, 1, 1, {{PR_SUBJ_A, TABLE_SORT_ASCEND},
                                             {PR_IMPORTANCE_L, TABLE_SORT_DESCEND}}};

    CHECK(FBadColumnSet((LPSPropTagArray)&cols) == 0);
    cols.aulPropTag[1] = PROP_TAG(PT_ERROR, 0x0017);
    CHECK(FBadColumnSet((LPSPropTagArray)&cols) != 0);
    cols.aulPropTag[1] = PROP_TAG(PT_LONG, 0xFFFF);
    CHECK(FBadColumnSet((LPSPropTagArray)&cols) != 0);
    cols.cValues = 1;
    CHECK(FBadColumnSet((LPSPropTagArray)&cols) == 0);
    CHECK(FBadColumnSet(NULL) != 0);

    CHECK(FBadSortOrderSet((LPSSortOrderSet)&sort) == 0);
    sort.aSort[1].ulOrder = TABLE_SORT_CATEG_MAX;
    CHECK(FBadSortOrderSet((LPSSortOrderSet)&sort) == 0);
    sort.aSort[1].ulOrder = 7; /* no such order */
    CHECK(FBadSortOrderSet((LPSSortOrderSet)&sort) != 0);
    sort.aSort[1].ulOrder = TABLE_SORT_ASCEND;
    sort.cCategories = 3; /* more categories than keys */
    CHECK(FBadSortOrderSet((LPSSortOrderSet)&sort) != 0);
    sort.cCategories = 1;
    sort.cExpanded = 2; /* more expanded than categories */
    CHECK(FBadSortOrderSet((LPSSortOrderSet)&sort) != 0);
    sort.cExpanded = 0;
    sort.aSort[0].ulPropTag = PROP_TAG(PT_ERROR, 0x0037);
    CHECK(FBadSortOrderSet((LPSSortOrderSet)&sort) != 0);
    CHECK(FBadSortOrderSet(NULL) != 0);
}

static void restriction_validators(void)
{
    SPropValue subj, imp;
    SRestriction leaves[3], top, sub, self;

    memset(&subj, 0, sizeof subj);
    subj.ulPropTag = PR_SUBJ_A;
    subj.Value.lpszA = "Hello";
    memset(&imp, 0, sizeof imp);
    imp.ulPropTag = PR_IMPORTANCE_L;
    imp.Value.l = 2;
    memset(leaves, 0, sizeof leaves);

    leaves[0].rt = RES_CONTENT;
    leaves[0].res.resContent.ulFuzzyLevel = FL_SUBSTRING | FL_IGNORECASE;
    leaves[0].res.resContent.ulPropTag = PR_SUBJ_A;
    leaves[0].res.resContent.lpProp = &subj;
    leaves[1].rt = RES_PROPERTY;
    leaves[1].res.resProperty.relop = RELOP_GE;
    leaves[1].res.resProperty.ulPropTag = PR_IMPORTANCE_L;
    leaves[1].res.resProperty.lpProp = &imp;
    leaves[2].rt = RES_BITMASK;
    leaves[2].res.resBitMask.relBMR = BMR_NEZ;
    leaves[2].res.resBitMask.ulPropTag = PR_IMPORTANCE_L;
    leaves[2].res.resBitMask.ulMask = 1;
    top.rt = RES_AND;
    top.res.resAnd.cRes = 3;
    top.res.resAnd.lpRes = leaves;
    CHECK(FBadRestriction(&top) == 0);
    CHECK(FBadRestriction(NULL) != 0);

    /* Each defect in one leaf makes the whole tree bad. */
    leaves[1].res.resProperty.relop = 99;
    CHECK(FBadRestriction(&top) != 0);
    leaves[1].res.resProperty.relop = RELOP_EQ;
    leaves[1].res.resProperty.lpProp = &subj; /* a string value for a PT_LONG tag */
    CHECK(FBadRestriction(&top) != 0);
    leaves[1].res.resProperty.lpProp = &imp;
    leaves[0].res.resContent.ulFuzzyLevel = 5;
    CHECK(FBadRestriction(&top) != 0);
    leaves[0].res.resContent.ulFuzzyLevel = FL_PREFIX;
    leaves[0].res.resContent.ulPropTag = PR_IMPORTANCE_L; /* content needs a string */
    leaves[0].res.resContent.lpProp = &imp;
    CHECK(FBadRestriction(&top) != 0);
    leaves[0].res.resContent.ulPropTag = PR_SUBJ_A;
    leaves[0].res.resContent.lpProp = &subj;
    leaves[2].res.resBitMask.relBMR = 3;
    CHECK(FBadRestriction(&top) != 0);
    leaves[2].res.resBitMask.relBMR = BMR_EQZ;
    CHECK(FBadRestriction(&top) == 0);
    top.res.resAnd.lpRes = NULL; /* three sub-restrictions promised, none given */
    CHECK(FBadRestriction(&top) != 0);
    top.res.resAnd.cRes = 0;
    CHECK(FBadRestriction(&top) == 0);

    leaves[2].rt = RES_EXIST;
    leaves[2].res.resExist.ulPropTag = PR_SUBJ_A;
    CHECK(FBadRestriction(&leaves[2]) == 0);
    leaves[2].rt = RES_SIZE;
    leaves[2].res.resSize.relop = RELOP_RE; /* a size is not a pattern */
    CHECK(FBadRestriction(&leaves[2]) != 0);
    leaves[2].res.resSize.relop = RELOP_LT;
    CHECK(FBadRestriction(&leaves[2]) == 0);
    leaves[2].rt = 99;
    CHECK(FBadRestriction(&leaves[2]) != 0);

    sub.rt = RES_SUBRESTRICTION;
    sub.res.resSub.ulSubObject = PR_MESSAGE_RECIPIENTS;
    sub.res.resSub.lpRes = &leaves[0];
    CHECK(FBadRestriction(&sub) == 0);
    sub.res.resSub.ulSubObject = PR_SUBJ_A;
    CHECK(FBadRestriction(&sub) != 0);

    top.rt = RES_NOT;
    top.res.resNot.ulReserved = 0;
    top.res.resNot.lpRes = NULL;
    CHECK(FBadRestriction(&top) != 0);
    top.res.resNot.lpRes = &leaves[0];
    CHECK(FBadRestriction(&top) == 0);
    /* A restriction that contains itself is refused, not walked forever. */
    self.rt = RES_NOT;
    self.res.resNot.ulReserved = 0;
    self.res.resNot.lpRes = &self;
    CHECK(FBadRestriction(&self) != 0);
}

static void list_validators(void)
{
    BYTE id1[8] = {0}, id2[24] = {0};
    SBinary ids[2];
    ENTRYLIST list;
    LPSTR strs[3] = {"a", "b", "c"};
    LPSTR nulls[4] = {NULL, NULL, NULL, NULL};
    WCHAR w1[] = {'x', 0}, w2[] = {'y', 0};
    LPWSTR wstrs[2] = {w1, w2};
    GUID guid = {0x00020329, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
    MAPINAMEID n1, n2;
    LPMAPINAMEID names[2] = {&n1, &n2};

    ids[0].cb = sizeof id1;
    ids[0].lpb = id1;
    ids[1].cb = sizeof id2;
    ids[1].lpb = id2;
    list.cValues = 2;
    list.lpbin = ids;
    CHECK(FBadEntryList(&list) == FALSE);
    ids[1].cb = 2; /* shorter than the flags */
    CHECK(FBadEntryList(&list) == TRUE);
    ids[1].cb = 4;
    ids[1].lpb = NULL;
    CHECK(FBadEntryList(&list) == TRUE);
    list.cValues = 0;
    list.lpbin = NULL;
    CHECK(FBadEntryList(&list) == FALSE);
    CHECK(FBadEntryList(NULL) == TRUE);

    CHECK(FBadRglpszA(strs, 3) == FALSE);
    CHECK(FBadRglpszA(NULL, 10) == TRUE);
    CHECK(FBadRglpszA(nulls, 4) == TRUE);
    strs[1] = NULL;
    CHECK(FBadRglpszA(strs, 3) == TRUE);
    CHECK(FBadRglpszA(strs, 1) == FALSE);
    CHECK(FBadRglpszA(NULL, 0) == FALSE);
    CHECK(FBadRglpszW(wstrs, 2) == FALSE);
    CHECK(FBadRglpszW(NULL, 1) == TRUE);
    wstrs[0] = NULL;
    CHECK(FBadRglpszW(wstrs, 2) == TRUE);

    n1.lpguid = &guid;
    n1.ulKind = MNID_ID;
    n1.Kind.lID = 0x8501;
    n2.lpguid = &guid;
    n2.ulKind = MNID_STRING;
    n2.Kind.lpwstrName = w2;
    CHECK(FBadRglpNameID(names, 2) == FALSE);
    n2.Kind.lpwstrName = NULL;
    CHECK(FBadRglpNameID(names, 2) == TRUE);
    n2.Kind.lpwstrName = w2;
    n2.ulKind = 7;
    CHECK(FBadRglpNameID(names, 2) == TRUE);
    n2.ulKind = MNID_STRING;
    n1.lpguid = NULL;
    CHECK(FBadRglpNameID(names, 2) == TRUE);
    CHECK(FBadRglpNameID(names + 1, 1) == FALSE);
    names[1] = NULL;
    CHECK(FBadRglpNameID(names + 1, 1) == TRUE);
    CHECK(FBadRglpNameID(NULL, 1) == TRUE);
}

int main(void)
{
    filetime_arithmetic();
    hex_text();
    text_search();
    conversation_index();
    property_validators();
    column_and_sort_validators();
    restriction_validators();
    list_validators();
    return check_report("utilsurface");
}
