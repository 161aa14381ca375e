/* propdata.c - CreateIProp's IPropData and CreateTable's ITableData through C:
   - IPropData: values in and out, access levels and statuses (HrSetPropAccess,
     HrGetPropAccess, with deleted properties listed as 0), a read-only property and a
     read-only object refusing changes with the documented SCODEs, HrAddObjProps, a
     property stream, CopyTo into one of our messages;
   - ITableData: rows added, replaced, inserted, queried, enumerated and deleted by their
     index column; a view (HrGetView) sorted at creation that sees later changes, with
     Restrict and GetStatus as our tables answer; the CALLERRELEASE callback on release.
   Everything returned is freed with MAPIFreeBuffer or FreeProws (valgrind checks it). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "check.h"
#include "mapiutil.h"
#include "testdir.h"
#include "wide.h"

#define PR_DISPLAY_NAME_A_ PROP_TAG(PT_STRING8, 0x3001)
#define PR_RANK_ PROP_TAG(PT_LONG, 0x6700)
#define PR_OBJ_ PROP_TAG(PT_OBJECT, 0x6701)

static LPPROPDATA new_propdata(void)
{
    LPPROPDATA pd = NULL;
    CHECK_OK(CreateIProp(&IID_IMAPIPropData, MAPIAllocateBuffer, MAPIAllocateMore,
                         MAPIFreeBuffer, NULL, &pd));
    CHECK(pd != NULL);
    return pd;
}

static void create_iprop_arguments(void)
{
    LPPROPDATA pd = (LPPROPDATA)1;
    CHECK_HR(CreateIProp(&IID_IMessage, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                         NULL, &pd),
             MAPI_E_INTERFACE_NOT_SUPPORTED);
    CHECK(pd == NULL);
    CHECK_HR(CreateIProp(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                         (LPVOID)&pd, &pd),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(CreateIProp(NULL, NULL, MAPIAllocateMore, MAPIFreeBuffer, NULL, &pd),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(CreateIProp(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL,
                         NULL),
             MAPI_E_INVALID_PARAMETER);
    /* NULL interface: an IPropData all the same. */
    CHECK_OK(CreateIProp(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL,
                         &pd));
    LPUNKNOWN unk = NULL;
    CHECK_OK(pd->lpVtbl->QueryInterface(pd, &IID_IMAPIProp, (void **)&unk));
    CHECK(unk == (LPUNKNOWN)pd);
    if (unk)
        unk->lpVtbl->Release(unk);
    CHECK_HR(pd->lpVtbl->QueryInterface(pd, &IID_IMessage, (void **)&unk),
             MAPI_E_INTERFACE_NOT_SUPPORTED);
    pd->lpVtbl->Release(pd);
}

static void access_levels(void)
{
    LPPROPDATA pd = new_propdata();
    if (!pd)
        return;
    SPropValue v[2];
    v[0].ulPropTag = PR_SUBJECT_A;
    v[0].Value.lpszA = "Hello";
    v[1].ulPropTag = PR_IMPORTANCE;
    v[1].Value.l = 2;
    LPSPropProblemArray problems = (LPSPropProblemArray)1;
    CHECK_OK(pd->lpVtbl->SetProps(pd, 2, v, &problems));
    CHECK(problems == NULL);

    ULONG count = 0;
    LPSPropValue got = NULL;
    SizedSPropTagArray(1, subj) = {1, {PR_SUBJECT_A}};
    CHECK_OK(pd->lpVtbl->GetProps(pd, (LPSPropTagArray)&subj, 0, &count, &got));
    CHECK(count == 1 && got && strcmp(got[0].Value.lpszA, "Hello") == 0);
    MAPIFreeBuffer(got);

    /* New values are dirty. */
    SizedSPropTagArray(2, both) = {2, {PR_SUBJECT_A, PR_IMPORTANCE}};
    LPSPropTagArray tags = (LPSPropTagArray)&both;
    ULONG *access = NULL;
    CHECK_OK(pd->lpVtbl->HrGetPropAccess(pd, &tags, &access));
    CHECK(tags == (LPSPropTagArray)&both);
    CHECK(access && access[0] == IPROP_DIRTY && access[1] == IPROP_DIRTY);
    MAPIFreeBuffer(access);

    ULONG levels[2] = {IPROP_READONLY | IPROP_CLEAN, IPROP_CLEAN};
    CHECK_OK(pd->lpVtbl->HrSetPropAccess(pd, (LPSPropTagArray)&both, levels));
    ULONG bad[2] = {IPROP_READONLY | IPROP_READWRITE, IPROP_CLEAN};
    CHECK_HR(pd->lpVtbl->HrSetPropAccess(pd, (LPSPropTagArray)&both, bad),
             MAPI_E_INVALID_PARAMETER);
    tags = NULL;
    CHECK_OK(pd->lpVtbl->HrGetPropAccess(pd, &tags, &access));
    /* In id order: PR_IMPORTANCE (0x0017), PR_SUBJECT (0x0037). */
    CHECK(tags && tags->cValues == 2 && tags->aulPropTag[0] == PR_IMPORTANCE &&
          tags->aulPropTag[1] == PR_SUBJECT_A);
    CHECK(access && access[0] == IPROP_READWRITE && access[1] == IPROP_READONLY);
    MAPIFreeBuffer(tags);
    MAPIFreeBuffer(access);

    /* A read-only property: problem entries, not a failed call. */
    v[0].Value.lpszA = "Changed";
    v[1].Value.l = 1;
    CHECK_OK(pd->lpVtbl->SetProps(pd, 2, v, &problems));
    CHECK(problems && problems->cProblem == 1 && problems->aProblem[0].ulIndex == 0 &&
          problems->aProblem[0].ulPropTag == PR_SUBJECT_A &&
          problems->aProblem[0].scode == MAPI_E_NO_ACCESS);
    MAPIFreeBuffer(problems);
    CHECK_OK(pd->lpVtbl->DeleteProps(pd, (LPSPropTagArray)&both, &problems));
    CHECK(problems && problems->cProblem == 1 && problems->aProblem[0].ulIndex == 0 &&
          problems->aProblem[0].scode == MAPI_E_NO_ACCESS);
    MAPIFreeBuffer(problems);
    /* The deleted PR_IMPORTANCE is listed with 0. */
    tags = NULL;
    CHECK_OK(pd->lpVtbl->HrGetPropAccess(pd, &tags, &access));
    CHECK(tags && tags->cValues == 2 && access && access[0] == 0 &&
          access[1] == IPROP_READONLY);
    MAPIFreeBuffer(tags);
    MAPIFreeBuffer(access);

    /* A read-only object refuses every change. */
    CHECK_HR(pd->lpVtbl->HrSetObjAccess(pd, 7), MAPI_E_INVALID_PARAMETER);
    CHECK_OK(pd->lpVtbl->HrSetObjAccess(pd, IPROP_READONLY));
    CHECK_HR(pd->lpVtbl->SetProps(pd, 1, &v[1], NULL), MAPI_E_NO_ACCESS);
    SizedSPropTagArray(1, obj) = {1, {PR_OBJ_}};
    CHECK_HR(pd->lpVtbl->HrAddObjProps(pd, (LPSPropTagArray)&obj, NULL), MAPI_E_NO_ACCESS);
    LPMAPIERROR err = NULL;
    CHECK_OK(pd->lpVtbl->GetLastError(pd, MAPI_E_NO_ACCESS, 0, &err));
    CHECK(err && err->lpszError && strstr((char *)err->lpszError, "read-only"));
    MAPIFreeBuffer(err);
    CHECK_OK(pd->lpVtbl->HrSetObjAccess(pd, IPROP_READWRITE));

    /* HrAddObjProps: PT_OBJECT only; GetPropList lists it. */
    CHECK_HR(pd->lpVtbl->HrAddObjProps(pd, (LPSPropTagArray)&subj, NULL), MAPI_E_INVALID_TYPE);
    CHECK_OK(pd->lpVtbl->HrAddObjProps(pd, (LPSPropTagArray)&obj, &problems));
    CHECK(problems == NULL);
    LPSPropTagArray list = NULL;
    CHECK_OK(pd->lpVtbl->GetPropList(pd, 0, &list));
    CHECK(list && list->cValues == 2 && list->aulPropTag[0] == PR_SUBJECT_A &&
          list->aulPropTag[1] == PR_OBJ_);
    MAPIFreeBuffer(list);
    /* A read-only property opens for reading only. */
    LPSTREAM stm = NULL;
    CHECK_HR(pd->lpVtbl->OpenProperty(pd, PR_SUBJECT_A, &IID_IStream, 0, MAPI_MODIFY,
                                      (LPUNKNOWN *)&stm),
             MAPI_E_NO_ACCESS);
    CHECK(stm == NULL);
    CHECK_OK(pd->lpVtbl->OpenProperty(pd, PR_SUBJECT_A, &IID_IStream, 0, 0, (LPUNKNOWN *)&stm));
    if (stm) {
        char buf[16] = {0};
        ULONG n = 0;
        CHECK_OK(stm->lpVtbl->Read(stm, buf, sizeof buf, &n));
        CHECK(n == 5 && memcmp(buf, "Hello", 5) == 0);
        stm->lpVtbl->Release(stm);
    }
    CHECK_HR(pd->lpVtbl->OpenProperty(pd, PR_IMPORTANCE, &IID_IStream, 0, 0, (LPUNKNOWN *)&stm),
             MAPI_E_INTERFACE_NOT_SUPPORTED);
    CHECK_HR(pd->lpVtbl->OpenProperty(pd, PR_SUBJECT_A, &IID_IMAPITable, 0, 0, (LPUNKNOWN *)&stm),
             MAPI_E_INTERFACE_NOT_SUPPORTED);
    CHECK_OK(pd->lpVtbl->SaveChanges(pd, KEEP_OPEN_READWRITE));
    pd->lpVtbl->Release(pd);
}

static void stream_and_copy(void)
{
    LPPROPDATA pd = new_propdata();
    if (!pd)
        return;
    LPSTREAM stm = NULL;
    CHECK_OK(pd->lpVtbl->OpenProperty(pd, PR_BODY_A, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY,
                                      (LPUNKNOWN *)&stm));
    if (stm) {
        ULONG written = 0;
        CHECK_OK(stm->lpVtbl->Write(stm, "body text", 9, &written));
        CHECK(written == 9);
        stm->lpVtbl->Release(stm);
    }
    SPropValue v[2];
    v[0].ulPropTag = PR_SUBJECT_A;
    v[0].Value.lpszA = "Copied";
    v[1].ulPropTag = PR_IMPORTANCE;
    v[1].Value.l = 2;
    CHECK_OK(pd->lpVtbl->SetProps(pd, 2, v, NULL));
    /* A named property of the IPropData's own name map. */
    MAPINAMEID name;
    LPMAPINAMEID names[1] = {&name};
    name.lpguid = (LPGUID)&PS_PUBLIC_STRINGS;
    name.ulKind = MNID_STRING;
    name.Kind.lpwstrName = W("Mood");
    LPSPropTagArray named = NULL;
    CHECK_HR(pd->lpVtbl->GetIDsFromNames(pd, 1, names, 0, &named), MAPI_W_ERRORS_RETURNED);
    MAPIFreeBuffer(named);
    named = NULL;
    CHECK_OK(pd->lpVtbl->GetIDsFromNames(pd, 1, names, MAPI_CREATE, &named));
    ULONG mood_tag = named ? PROP_TAG(PT_LONG, PROP_ID(named->aulPropTag[0])) : 0;
    CHECK(PROP_ID(mood_tag) >= 0x8000);
    MAPIFreeBuffer(named);
    SPropValue mood;
    mood.ulPropTag = mood_tag;
    mood.Value.l = 42;
    CHECK_OK(pd->lpVtbl->SetProps(pd, 1, &mood, NULL));
    /* A read-only object creates no name. */
    CHECK_OK(pd->lpVtbl->HrSetObjAccess(pd, IPROP_READONLY));
    name.Kind.lpwstrName = W("Other");
    CHECK_HR(pd->lpVtbl->GetIDsFromNames(pd, 1, names, MAPI_CREATE, &named), MAPI_E_NO_ACCESS);
    CHECK(named == NULL);
    CHECK_OK(pd->lpVtbl->HrSetObjAccess(pd, IPROP_READWRITE));
    name.Kind.lpwstrName = W("Mood");

    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    test_path("propdata_copy.msg", path, wpath);
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (!stg) {
        pd->lpVtbl->Release(pd);
        return;
    }
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, 0, &msg));
    if (msg) {
        LPSPropProblemArray problems = (LPSPropProblemArray)1;
        CHECK_OK(pd->lpVtbl->CopyTo(pd, 0, NULL, NULL, 0, NULL, &IID_IMessage, msg, 0,
                                    &problems));
        CHECK(problems == NULL);
        SizedSPropTagArray(3, want) = {3, {PR_SUBJECT_A, PR_IMPORTANCE, PR_BODY_A}};
        ULONG count = 0;
        LPSPropValue got = NULL;
        CHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&want, 0, &count, &got));
        CHECK(count == 3 && got && strcmp(got[0].Value.lpszA, "Copied") == 0 &&
              got[1].Value.l == 2 && strcmp(got[2].Value.lpszA, "body text") == 0);
        MAPIFreeBuffer(got);
        /* The named property arrives under the message's id for the same name. */
        named = NULL;
        CHECK_OK(msg->lpVtbl->GetIDsFromNames(msg, 1, names, 0, &named));
        if (named) {
            SizedSPropTagArray(1, one) = {1, {PROP_TAG(PT_LONG, PROP_ID(named->aulPropTag[0]))}};
            CHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&one, 0, &count, &got));
            CHECK(count == 1 && got && got[0].Value.l == 42);
            MAPIFreeBuffer(got);
        }
        MAPIFreeBuffer(named);
        /* Onto itself: refused. */
        CHECK_HR(pd->lpVtbl->CopyTo(pd, 0, NULL, NULL, 0, NULL, &IID_IMAPIProp, pd, 0, NULL),
                 MAPI_E_NO_ACCESS);
        msg->lpVtbl->Release(msg);
    }
    stg->lpVtbl->Release(stg);
    pd->lpVtbl->Release(pd);
}

/* ===== ITableData ===== */

static int released = 0;
static LPTABLEDATA released_data = NULL;
static LPMAPITABLE released_view = NULL;

static void STDAPICALLTYPE on_release(ULONG_PTR data, LPTABLEDATA td, LPMAPITABLE view)
{
    released += (int)data;
    released_data = td;
    released_view = view;
}

static BYTE keys[5] = {0, 1, 2, 3, 4};

static void set_row(SPropValue *v, int key, const char *name)
{
    v[0].ulPropTag = PR_INSTANCE_KEY;
    v[0].Value.bin.cb = 1;
    v[0].Value.bin.lpb = &keys[key];
    v[1].ulPropTag = PR_DISPLAY_NAME_A_;
    v[1].Value.lpszA = (char *)name;
}

/* The display names of the view's rows from the start, joined. */
static void view_names(LPMAPITABLE view, char *out, size_t size)
{
    out[0] = 0;
    LPSRowSet rows = NULL;
    CHECK_OK(view->lpVtbl->SeekRow(view, BOOKMARK_BEGINNING, 0, NULL));
    CHECK_OK(view->lpVtbl->QueryRows(view, 10, 0, &rows));
    for (ULONG i = 0; rows && i < rows->cRows; i++) {
        for (ULONG j = 0; j < rows->aRow[i].cValues; j++) {
            SPropValue *p = &rows->aRow[i].lpProps[j];
            if (p->ulPropTag == PR_DISPLAY_NAME_A_ && strlen(out) + strlen(p->Value.lpszA) < size)
                strcat(out, p->Value.lpszA);
        }
    }
    FreeProws(rows);
}

static void table_data(void)
{
    SizedSPropTagArray(2, cols) = {2, {PR_INSTANCE_KEY, PR_DISPLAY_NAME_A_}};
    LPTABLEDATA td = (LPTABLEDATA)1;
    CHECK_HR(CreateTable(&IID_IMAPITableData, MAPIAllocateBuffer, MAPIAllocateMore,
                         MAPIFreeBuffer, NULL, 9, PR_INSTANCE_KEY, (LPSPropTagArray)&cols, &td),
             MAPI_E_INVALID_PARAMETER);
    CHECK(td == NULL);
    CHECK_HR(CreateTable(&IID_IMAPITable, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                         NULL, TBLTYPE_DYNAMIC, PR_INSTANCE_KEY, (LPSPropTagArray)&cols, &td),
             MAPI_E_INTERFACE_NOT_SUPPORTED);
    CHECK_OK(CreateTable(&IID_IMAPITableData, MAPIAllocateBuffer, MAPIAllocateMore,
                         MAPIFreeBuffer, NULL, TBLTYPE_KEYSET, PR_INSTANCE_KEY,
                         (LPSPropTagArray)&cols, &td));
    if (!td)
        return;

    SPropValue v[3][2];
    set_row(v[0], 1, "c");
    set_row(v[1], 2, "a");
    set_row(v[2], 3, "b");
    SRow row = {0, 2, v[0]};
    CHECK_OK(td->lpVtbl->HrModifyRow(td, &row));
    struct {
        ULONG cRows;
        SRow aRow[2];
    } set = {2, {{0, 2, v[1]}, {0, 2, v[2]}}};
    CHECK_OK(td->lpVtbl->HrModifyRows(td, 0, (LPSRowSet)&set));
    /* A row without the index column. */
    SRow no_key = {0, 1, &v[0][1]};
    CHECK_HR(td->lpVtbl->HrModifyRow(td, &no_key), MAPI_E_INVALID_PARAMETER);

    /* Bad arguments: clear errors, nothing changed. */
    CHECK_HR(td->lpVtbl->HrModifyRow(td, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(td->lpVtbl->HrModifyRows(td, 0, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(td->lpVtbl->HrModifyRows(td, 1, (LPSRowSet)&set), MAPI_E_UNKNOWN_FLAGS);
    SPropValue distant[2];
    set_row(distant, 0, "far");
    SRow far_row = {0, 2, distant};
    CHECK_HR(td->lpVtbl->HrInsertRow(td, 4, &far_row), MAPI_E_INVALID_PARAMETER); /* past the end */
    CHECK_HR(td->lpVtbl->HrInsertRow(td, 0, &row), MAPI_E_INVALID_PARAMETER);     /* key taken */
    CHECK_HR(td->lpVtbl->HrDeleteRow(td, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(td->lpVtbl->HrQueryRow(td, &v[0][0], NULL, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(td->lpVtbl->HrEnumRow(td, 0, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(td->lpVtbl->HrGetView(td, NULL, NULL, 0, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(td->lpVtbl->HrNotify(td, 0, 1, &v[0][1]), MAPI_E_INVALID_PARAMETER);

    /* A view sorted by name at creation. */
    SizedSSortOrderSet(1, by_name) = {1, 0, 0, {{PR_DISPLAY_NAME_A_, TABLE_SORT_ASCEND}}};
    LPMAPITABLE view = NULL;
    CHECK_OK(td->lpVtbl->HrGetView(td, (LPSSortOrderSet)&by_name, on_release, 5, &view));
    if (!view) {
        td->lpVtbl->Release(td);
        return;
    }
    char names[32];
    view_names(view, names, sizeof names);
    CHECK(strcmp(names, "abc") == 0);
    ULONG status = 0, type = 0;
    CHECK_OK(view->lpVtbl->GetStatus(view, &status, &type));
    CHECK(status == TBLSTAT_COMPLETE && type == TBLTYPE_KEYSET);

    /* Replacing a row by its index value; the view sees it. */
    set_row(v[0], 1, "z");
    CHECK_OK(td->lpVtbl->HrModifyRow(td, &row));
    view_names(view, names, sizeof names);
    CHECK(strcmp(names, "abz") == 0);

    /* Delete, query, enumerate, insert. */
    CHECK_OK(td->lpVtbl->HrDeleteRow(td, &v[1][0]));
    CHECK_HR(td->lpVtbl->HrDeleteRow(td, &v[1][0]), MAPI_E_NOT_FOUND);
    CHECK_HR(td->lpVtbl->HrDeleteRow(td, &v[1][1]), MAPI_E_INVALID_PARAMETER);
    LPSRow found = NULL;
    ULONG at = 99;
    CHECK_OK(td->lpVtbl->HrQueryRow(td, &v[2][0], &found, &at));
    CHECK(found && found->cValues == 2 && at == 1 &&
          strcmp(found->lpProps[1].Value.lpszA, "b") == 0);
    MAPIFreeBuffer(found);
    CHECK_HR(td->lpVtbl->HrQueryRow(td, &v[1][0], &found, &at), MAPI_E_NOT_FOUND);
    CHECK(found == NULL);
    CHECK_OK(td->lpVtbl->HrEnumRow(td, 2, &found));
    CHECK(found == NULL);
    SPropValue d[2];
    set_row(d, 4, "d");
    SRow drow = {0, 2, d};
    CHECK_OK(td->lpVtbl->HrInsertRow(td, 0, &drow));
    CHECK_HR(td->lpVtbl->HrInsertRow(td, 0, &drow), MAPI_E_INVALID_PARAMETER);
    CHECK_OK(td->lpVtbl->HrEnumRow(td, 0, &found));
    CHECK(found && found->lpProps[0].Value.bin.cb == 1 && found->lpProps[0].Value.bin.lpb[0] == 4);
    MAPIFreeBuffer(found);
    CHECK_OK(td->lpVtbl->HrNotify(td, 0, 2, d));
    view_names(view, names, sizeof names);
    CHECK(strcmp(names, "bdz") == 0);

    /* The view restricts as our tables do. */
    SPropValue want;
    want.ulPropTag = PR_DISPLAY_NAME_A_;
    want.Value.lpszA = "d";
    SRestriction res;
    res.rt = RES_PROPERTY;
    res.res.resProperty.relop = RELOP_EQ;
    res.res.resProperty.ulPropTag = PR_DISPLAY_NAME_A_;
    res.res.resProperty.lpProp = &want;
    CHECK_OK(view->lpVtbl->Restrict(view, &res, 0));
    ULONG n = 0;
    CHECK_OK(view->lpVtbl->GetRowCount(view, 0, &n));
    CHECK(n == 1);
    CHECK_OK(view->lpVtbl->Restrict(view, NULL, 0));

    ULONG deleted = 99;
    CHECK_OK(td->lpVtbl->HrDeleteRows(td, TAD_ALL_ROWS, NULL, &deleted));
    CHECK(deleted == 3);
    CHECK_OK(view->lpVtbl->GetRowCount(view, 0, &n));
    CHECK(n == 0);
    CHECK_HR(td->lpVtbl->HrDeleteRows(td, 0, NULL, &deleted), MAPI_E_INVALID_PARAMETER);

    /* A view without callback outlives the ITableData and still follows its rows. */
    LPMAPITABLE plain = NULL;
    CHECK_OK(td->lpVtbl->HrGetView(td, NULL, NULL, 0, &plain));
    CHECK_OK(td->lpVtbl->HrModifyRow(td, &drow));

    /* Releasing the view calls back with the ITableData and the view. */
    CHECK(released == 0);
    LPMAPITABLE view_ptr = view;
    view->lpVtbl->Release(view);
    CHECK(released == 5 && released_data == td && released_view == view_ptr);
    td->lpVtbl->Release(td);
    if (plain) {
        view_names(plain, names, sizeof names);
        CHECK(strcmp(names, "d") == 0);
        LPSPropTagArray columns = NULL;
        CHECK_OK(plain->lpVtbl->QueryColumns(plain, 0, &columns));
        CHECK(columns && columns->cValues == 2 && columns->aulPropTag[0] == PR_INSTANCE_KEY &&
              columns->aulPropTag[1] == PR_DISPLAY_NAME_A_);
        MAPIFreeBuffer(columns);
        plain->lpVtbl->Release(plain);
    }
    CHECK(released == 5);
}

int main(void)
{
    if (!test_dir_create("imsg-propdata")) {
        fprintf(stderr, "cannot create a test directory\n");
        return 1;
    }
    create_iprop_arguments();
    access_levels();
    stream_and_copy();
    table_data();
    test_dir_remove();
    return check_report("propdata");
}
