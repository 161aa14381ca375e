/* mapiutil.c - the mapiutil.h helpers through C, on our own messages and tables and on
   hand-built values: HrGetOneProp, HrSetOneProp, FPropExists, HrQueryAllRows, FreeProws,
   FreePadrlist, PpropFindProp, LpValFindProp, UlPropSize, FPropCompareProp,
   LPropCompareProp, FPropContainsProp, FEqualNames, UlAddRef/UlRelease,
   ScInitMapiUtil/DeinitMapiUtil. The sizes and copies (ScCountProps, ScCopyProps,
   ScDupPropset, ScRelocProps, PropCopyMore) are mapiutil_packed.c's.
   Everything a helper returns is freed with MAPIFreeBuffer or FreeProws (valgrind checks
   that nothing leaks). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "check.h"
#include "mapiutil.h"
#include "tags.h"
#include "testdir.h"
#include "wide.h"

static LPMESSAGE new_message(IStorage **stg_out, const char *name)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    test_path(name, path, wpath);
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (!stg)
        return NULL;
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    *stg_out = stg;
    return msg;
}

/* ===== HrGetOneProp, HrSetOneProp, FPropExists ===== */

static void one_prop(void)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = new_message(&stg, "one.msg");
    LPMAPIPROP prop = (LPMAPIPROP)msg;
    LPSPropValue got = (LPSPropValue)1;
    SPropValue v;
    IStream *stm = NULL;
    static BYTE chunk[65536];
    int i;

    if (!msg)
        return;
    v.ulPropTag = PR_SUBJECT_W;
    v.dwAlignPad = 0;
    v.Value.lpszW = W("Hello");
    CHECK_OK(HrSetOneProp(prop, &v));
    CHECK_OK(HrGetOneProp(prop, PR_SUBJECT_W, &got));
    CHECK(got && got->ulPropTag == PR_SUBJECT_W && wide_eq(got->Value.lpszW, "Hello"));
    MAPIFreeBuffer(got);
    /* The other width, converted by GetProps. */
    CHECK_OK(HrGetOneProp(prop, PR_SUBJECT_A, &got));
    CHECK(got && got->ulPropTag == PR_SUBJECT_A && strcmp(got->Value.lpszA, "Hello") == 0);
    MAPIFreeBuffer(got);

    /* A missing property: MAPI_E_NOT_FOUND and NULL, never the warning GetProps gives. */
    got = (LPSPropValue)1;
    CHECK_HR(HrGetOneProp(prop, PR_BODY_W, &got), MAPI_E_NOT_FOUND);
    CHECK(got == NULL);
    CHECK_HR(HrGetOneProp(prop, PR_BODY_W, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrGetOneProp(NULL, PR_BODY_W, &got), MAPI_E_INVALID_PARAMETER);
    CHECK(got == NULL);

    /* A value too large for GetProps: the slot's error, for the caller to open a stream. */
    CHECK_OK(msg->lpVtbl->OpenProperty(msg, PR_BODY_HTML, &IID_IStream, STGM_WRITE,
                                       MAPI_MODIFY | MAPI_CREATE, (LPUNKNOWN *)&stm));
    if (stm) {
        memset(chunk, 'x', sizeof(chunk));
        for (i = 0; i < 40; i++)
            CHECK_OK(stm->lpVtbl->Write(stm, chunk, sizeof(chunk), NULL));
        CHECK_OK(stm->lpVtbl->Commit(stm, STGC_DEFAULT));
        stm->lpVtbl->Release(stm);
    }
    got = (LPSPropValue)1;
    CHECK_HR(HrGetOneProp(prop, PR_BODY_HTML, &got), MAPI_E_NOT_ENOUGH_MEMORY);
    CHECK(got == NULL);

    /* A property the message refuses: its problem becomes the result. */
    v.ulPropTag = PR_OBJECT_TYPE;
    v.Value.l = MAPI_FOLDER;
    CHECK_HR(HrSetOneProp(prop, &v), MAPI_E_COMPUTED);
    CHECK_OK(HrGetOneProp(prop, PR_OBJECT_TYPE, &got));
    CHECK(got && got->Value.l == MAPI_MESSAGE);
    MAPIFreeBuffer(got);
    CHECK_HR(HrSetOneProp(prop, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrSetOneProp(NULL, &v), MAPI_E_INVALID_PARAMETER);

    /* FPropExists: the exact tag, either string width, any type for PT_UNSPECIFIED. */
    CHECK(FPropExists(prop, PR_SUBJECT_W));
    CHECK(FPropExists(prop, PR_SUBJECT_A));
    CHECK(FPropExists(prop, CHANGE_PROP_TYPE(PR_SUBJECT_W, PT_UNSPECIFIED)));
    CHECK(!FPropExists(prop, CHANGE_PROP_TYPE(PR_SUBJECT_W, PT_LONG)));
    CHECK(!FPropExists(prop, PR_BODY_W));
    CHECK(FPropExists(prop, PR_BODY_HTML_W));
    CHECK(!FPropExists(NULL, PR_SUBJECT_W));

    /* UlAddRef/UlRelease on any COM object. */
    CHECK(UlAddRef(msg) == 2);
    CHECK(UlRelease(msg) == 1);
    CHECK(UlAddRef(NULL) == 0 && UlRelease(NULL) == 0);

    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
}

/* ===== HrQueryAllRows, FreeProws, FreePadrlist ===== */

static void add_recipients(LPMESSAGE msg, int count)
{
    LPADRLIST list = NULL;
    int i;
    char name[32];
    CHECK_OK(MAPIAllocateBuffer(CbNewADRLIST(count), (void **)&list));
    if (!list)
        return;
    list->cEntries = 0;
    for (i = 0; i < count; i++) {
        LPSPropValue v = NULL;
        CHECK_OK(MAPIAllocateBuffer(2 * sizeof(SPropValue), (void **)&v));
        if (!v)
            break;
        snprintf(name, sizeof(name), "Person %02d", i);
        v[0].ulPropTag = PR_DISPLAY_NAME_A;
        CHECK_OK(MAPIAllocateMore((ULONG)strlen(name) + 1, v, (void **)&v[0].Value.lpszA));
        strcpy(v[0].Value.lpszA, name);
        v[1].ulPropTag = PR_RECIPIENT_TYPE;
        v[1].Value.l = i % 3 == 0 ? MAPI_CC : MAPI_TO;
        list->aEntries[i].ulReserved1 = 0;
        list->aEntries[i].cValues = 2;
        list->aEntries[i].rgPropVals = v;
        list->cEntries++;
    }
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, list));
    /* The caller's list is the caller's: each entry's values and the list, freed the way
       FreePadrlist frees them. */
    FreePadrlist(list);
}

static void query_all_rows(void)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = new_message(&stg, "rows.msg");
    LPMAPITABLE table = NULL;
    LPSRowSet rows = (LPSRowSet)1;
    SizedSPropTagArray(2, columns) = {2, {PR_DISPLAY_NAME_A, PR_RECIPIENT_TYPE}};
    SizedSSortOrderSet(1, descending) = {1, 0, 0, {{PR_DISPLAY_NAME_A, TABLE_SORT_DESCEND}}};
    SPropValue to;
    SRestriction only_to;
    ULONG i, count = 0;

    if (!msg)
        return;
    add_recipients(msg, 10);
    CHECK_OK(msg->lpVtbl->GetRecipientTable(msg, 0, &table));
    if (!table) {
        msg->lpVtbl->Release(msg);
        stg->lpVtbl->Release(stg);
        return;
    }

    /* Everything, current columns, table order. */
    CHECK_OK(HrQueryAllRows(table, NULL, NULL, NULL, 0, &rows));
    CHECK(rows && rows->cRows == 10);
    FreeProws(rows);

    /* Columns, restriction and sort order. */
    to.ulPropTag = PR_RECIPIENT_TYPE;
    to.Value.l = MAPI_TO;
    only_to.rt = RES_PROPERTY;
    only_to.res.resProperty.relop = RELOP_EQ;
    only_to.res.resProperty.ulPropTag = PR_RECIPIENT_TYPE;
    only_to.res.resProperty.lpProp = &to;
    CHECK_OK(HrQueryAllRows(table, (LPSPropTagArray)&columns, &only_to,
                            (LPSSortOrderSet)&descending, 0, &rows));
    CHECK(rows && rows->cRows == 6);
    for (i = 0; rows && i < rows->cRows; i++) {
        CHECK(rows->aRow[i].cValues == 2);
        CHECK(rows->aRow[i].lpProps[0].ulPropTag == PR_DISPLAY_NAME_A);
        CHECK(rows->aRow[i].lpProps[1].Value.l == MAPI_TO);
        if (i > 0)
            CHECK(strcmp(rows->aRow[i - 1].lpProps[0].Value.lpszA,
                         rows->aRow[i].lpProps[0].Value.lpszA) > 0);
    }
    CHECK(rows && rows->cRows > 0 && strcmp(rows->aRow[0].lpProps[0].Value.lpszA, "Person 08") == 0);
    FreeProws(rows);

    /* The table keeps what was set; read again from the first row whatever the cursor. */
    CHECK_OK(table->lpVtbl->SeekRow(table, BOOKMARK_END, 0, NULL));
    CHECK_OK(table->lpVtbl->GetRowCount(table, 0, &count));
    CHECK(count == 6);
    CHECK_OK(HrQueryAllRows(table, NULL, NULL, NULL, 6, &rows));
    CHECK(rows && rows->cRows == 6);
    FreeProws(rows);

    /* More rows than crowsMax. */
    rows = (LPSRowSet)1;
    CHECK_HR(HrQueryAllRows(table, NULL, NULL, NULL, 5, &rows), MAPI_E_TABLE_TOO_BIG);
    CHECK(rows == NULL);

    /* A restriction that matches nothing: an empty set, still freed with FreeProws. */
    to.Value.l = MAPI_BCC;
    CHECK_OK(HrQueryAllRows(table, NULL, &only_to, NULL, 0, &rows));
    CHECK(rows && rows->cRows == 0);
    FreeProws(rows);

    /* Errors from the table come back; bad arguments are refused. */
    columns.cValues = 0;
    CHECK(FAILED(HrQueryAllRows(table, (LPSPropTagArray)&columns, NULL, NULL, 0, &rows)));
    CHECK(rows == NULL);
    CHECK_HR(HrQueryAllRows(NULL, NULL, NULL, NULL, 0, &rows), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrQueryAllRows(table, NULL, NULL, NULL, 0, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrQueryAllRows(table, NULL, NULL, NULL, -1, &rows), MAPI_E_INVALID_PARAMETER);

    FreeProws(NULL);
    FreePadrlist(NULL);
    table->lpVtbl->Release(table);
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
}

/* ===== finding and sizes ===== */

static void find_and_size(void)
{
    SPropValue v[4];
    WCHAR wide[] = {'a', 'b', 0};
    char narrow[] = "abc";
    BYTE bytes[5] = {1, 2, 3, 4, 5};
    LPSTR strings[2];
    char s0[] = "x", s1[] = "yz";

    memset(v, 0, sizeof(v));
    v[0].ulPropTag = PR_SUBJECT_A;
    v[0].Value.lpszA = narrow;
    v[1].ulPropTag = PR_BODY_W;
    v[1].Value.lpszW = wide;
    v[2].ulPropTag = PR_ATTACH_DATA_BIN;
    v[2].Value.bin.cb = 5;
    v[2].Value.bin.lpb = bytes;
    v[3].ulPropTag = PR_ATTACH_DATA_OBJ;

    CHECK(PpropFindProp(v, 4, PR_SUBJECT_A) == &v[0]);
    CHECK(PpropFindProp(v, 4, PR_SUBJECT_W) == NULL);
    CHECK(PpropFindProp(v, 4, CHANGE_PROP_TYPE(PR_SUBJECT_W, PT_UNSPECIFIED)) == &v[0]);
    CHECK(PpropFindProp(v, 4, PR_ATTACH_DATA_OBJ) == &v[3]);
    CHECK(PpropFindProp(v, 3, PR_ATTACH_DATA_OBJ) == NULL);
    CHECK(PpropFindProp(NULL, 4, PR_SUBJECT_A) == NULL);
    CHECK(LpValFindProp(PR_SUBJECT_W, 4, v) == &v[0]);
    CHECK(LpValFindProp(PR_ATTACH_DATA_OBJ, 4, v) == &v[2]);
    CHECK(LpValFindProp(PR_HASATTACH, 4, v) == NULL);
    CHECK(LpValFindProp(PR_SUBJECT_W, 0, v) == NULL);

    CHECK(UlPropSize(&v[0]) == 4);
    CHECK(UlPropSize(&v[1]) == 6);
    CHECK(UlPropSize(&v[2]) == 5);
    CHECK(UlPropSize(&v[3]) == 0);
    CHECK(UlPropSize(NULL) == 0);
    v[0].ulPropTag = PR_HASATTACH;
    CHECK(UlPropSize(&v[0]) == 2);
    v[0].ulPropTag = PR_MESSAGE_FLAGS;
    CHECK(UlPropSize(&v[0]) == 4);
    v[0].ulPropTag = PR_CREATION_TIME;
    CHECK(UlPropSize(&v[0]) == 8);
    v[0].ulPropTag = PROP_TAG(PT_CLSID, 0x6600);
    CHECK(UlPropSize(&v[0]) == 16);
    v[0].ulPropTag = PROP_TAG(PT_MV_STRING8, 0x6600);
    strings[0] = s0;
    strings[1] = s1;
    v[0].Value.MVszA.cValues = 2;
    v[0].Value.MVszA.lppszA = strings;
    CHECK(UlPropSize(&v[0]) == 5);
    v[0].ulPropTag = PROP_TAG(0x0999, 0x6600);
    CHECK(UlPropSize(&v[0]) == 0);
}

/* ===== comparisons ===== */

static void comparisons(void)
{
    SPropValue a, b;
    BYTE x[] = {1, 2, 3}, y[] = {1, 2, 3, 0}, z[] = {1, 3};
    LONG la[] = {1, 2}, lb[] = {1, 3};
    MAPINAMEID n1, n2;
    GUID g1 = PS_PUBLIC_STRINGS, g2 = PS_PUBLIC_STRINGS;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.ulPropTag = b.ulPropTag = PR_MESSAGE_FLAGS;
    a.Value.l = 1;
    b.Value.l = 2;
    CHECK(FPropCompareProp(&a, RELOP_LT, &b) && FPropCompareProp(&a, RELOP_LE, &b));
    CHECK(!FPropCompareProp(&a, RELOP_GT, &b) && !FPropCompareProp(&a, RELOP_GE, &b));
    CHECK(!FPropCompareProp(&a, RELOP_EQ, &b) && FPropCompareProp(&a, RELOP_NE, &b));
    CHECK(!FPropCompareProp(&a, RELOP_RE, &b) && !FPropCompareProp(&a, 99, &b));
    CHECK(LPropCompareProp(&a, &b) < 0 && LPropCompareProp(&b, &a) > 0);
    b.Value.l = 1;
    CHECK(LPropCompareProp(&a, &b) == 0 && FPropCompareProp(&a, RELOP_EQ, &b));
    /* Different types never compare equal, and order by type. */
    b.ulPropTag = PR_HASATTACH;
    CHECK(!FPropCompareProp(&a, RELOP_EQ, &b) && !FPropCompareProp(&a, RELOP_NE, &b));
    CHECK(LPropCompareProp(&a, &b) != 0 && LPropCompareProp(&a, &b) == -LPropCompareProp(&b, &a));
    CHECK(!FPropCompareProp(NULL, RELOP_EQ, &b));

    /* Strings compare like lstrcmp: case first ignored, then lowercase first. */
    a.ulPropTag = b.ulPropTag = PR_SUBJECT_A;
    a.Value.lpszA = (LPSTR) "apple";
    b.Value.lpszA = (LPSTR) "Banana";
    CHECK(LPropCompareProp(&a, &b) < 0 && FPropCompareProp(&b, RELOP_GT, &a));
    b.Value.lpszA = (LPSTR) "APPLE";
    CHECK(LPropCompareProp(&a, &b) < 0 && !FPropCompareProp(&a, RELOP_EQ, &b));
    a.ulPropTag = b.ulPropTag = PR_SUBJECT_W;
    a.Value.lpszW = W("same");
    b.Value.lpszW = W("same");
    CHECK(LPropCompareProp(&a, &b) == 0 && FPropCompareProp(&a, RELOP_GE, &b));

    /* Binaries byte by byte, then by length. */
    a.ulPropTag = b.ulPropTag = PR_ENTRYID;
    a.Value.bin.cb = 3;
    a.Value.bin.lpb = x;
    b.Value.bin.cb = 4;
    b.Value.bin.lpb = y;
    CHECK(LPropCompareProp(&a, &b) < 0);
    b.Value.bin.cb = 2;
    b.Value.bin.lpb = z;
    CHECK(LPropCompareProp(&a, &b) < 0 && FPropCompareProp(&b, RELOP_GT, &a));

    /* Multi-valued element by element; errors and booleans only equal or not. */
    a.ulPropTag = b.ulPropTag = PROP_TAG(PT_MV_LONG, 0x6600);
    a.Value.MVl.cValues = b.Value.MVl.cValues = 2;
    a.Value.MVl.lpl = la;
    b.Value.MVl.lpl = lb;
    CHECK(LPropCompareProp(&a, &b) < 0 && FPropCompareProp(&a, RELOP_NE, &b));
    a.ulPropTag = b.ulPropTag = PROP_TAG(PT_ERROR, 0x6600);
    a.Value.err = b.Value.err = MAPI_E_NOT_FOUND;
    CHECK(LPropCompareProp(&a, &b) == 0 && FPropCompareProp(&a, RELOP_EQ, &b));
    b.Value.err = MAPI_E_NOT_ENOUGH_MEMORY;
    CHECK(LPropCompareProp(&a, &b) != 0 && FPropCompareProp(&a, RELOP_NE, &b));
    a.ulPropTag = b.ulPropTag = PR_HASATTACH;
    a.Value.b = 1;
    b.Value.b = 0;
    CHECK(LPropCompareProp(&a, &b) != 0 && !FPropCompareProp(&a, RELOP_EQ, &b));

    /* FPropContainsProp: strings and binaries of one type. */
    a.ulPropTag = b.ulPropTag = PR_SUBJECT_A;
    a.Value.lpszA = (LPSTR) "Quarterly Report";
    b.Value.lpszA = (LPSTR) "report";
    CHECK(!FPropContainsProp(&a, &b, FL_SUBSTRING));
    CHECK(FPropContainsProp(&a, &b, FL_SUBSTRING | FL_IGNORECASE));
    CHECK(!FPropContainsProp(&a, &b, FL_PREFIX | FL_IGNORECASE));
    b.Value.lpszA = (LPSTR) "QUARTER";
    CHECK(FPropContainsProp(&a, &b, FL_PREFIX | FL_LOOSE));
    CHECK(!FPropContainsProp(&a, &b, FL_FULLSTRING | FL_IGNORECASE));
    b.Value.lpszA = (LPSTR) "Quarterly Report";
    CHECK(FPropContainsProp(&a, &b, FL_FULLSTRING));
    a.ulPropTag = b.ulPropTag = PR_SUBJECT_W;
    a.Value.lpszW = W("Caf\xe9 au lait");
    b.Value.lpszW = W("cafe");
    CHECK(!FPropContainsProp(&a, &b, FL_PREFIX | FL_IGNORECASE));
    CHECK(FPropContainsProp(&a, &b, FL_PREFIX | FL_IGNORECASE | FL_IGNORENONSPACE));
    a.ulPropTag = b.ulPropTag = PR_ENTRYID;
    a.Value.bin.cb = 4;
    a.Value.bin.lpb = y;
    b.Value.bin.cb = 2;
    b.Value.bin.lpb = y + 1;
    CHECK(FPropContainsProp(&a, &b, FL_SUBSTRING) && !FPropContainsProp(&a, &b, FL_PREFIX));
    b.ulPropTag = PR_SUBJECT_A;
    CHECK(!FPropContainsProp(&a, &b, FL_SUBSTRING));
    a.ulPropTag = b.ulPropTag = PR_MESSAGE_FLAGS;
    CHECK(!FPropContainsProp(&a, &b, FL_FULLSTRING));

    /* FEqualNames: GUID, kind, then id or case-sensitive name. */
    n1.lpguid = &g1;
    n2.lpguid = &g2;
    n1.ulKind = n2.ulKind = MNID_ID;
    n1.Kind.lID = n2.Kind.lID = 0x8501;
    CHECK(FEqualNames(&n1, &n2));
    n2.Kind.lID = 0x8502;
    CHECK(!FEqualNames(&n1, &n2));
    n1.ulKind = n2.ulKind = MNID_STRING;
    n1.Kind.lpwstrName = W("Keywords");
    n2.Kind.lpwstrName = W("Keywords");
    CHECK(FEqualNames(&n1, &n2));
    n2.Kind.lpwstrName = W("keywords");
    CHECK(!FEqualNames(&n1, &n2));
    n2.Kind.lpwstrName = W("Keywords");
    g2 = PS_MAPI;
    CHECK(!FEqualNames(&n1, &n2));
    n2.lpguid = &g1;
    n2.ulKind = MNID_ID;
    CHECK(!FEqualNames(&n1, &n2));
    CHECK(!FEqualNames(&n1, NULL));
}

int main(void)
{
    if (!test_dir_create("imsg-mapiutil")) {
        perror("mkdtemp");
        return 1;
    }
    CHECK_OK(ScInitMapiUtil(0));
    one_prop();
    query_all_rows();
    find_and_size();
    comparisons();
    DeinitMapiUtil();
    test_dir_remove();
    return check_report("mapiutil.c");
}
