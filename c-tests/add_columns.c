/* add_columns.c - HrAddColumns and HrAddColumnsEx on a message's recipient table: the new
   columns come first, then the table's other current columns in their order, a column in
   both appears once; QueryRows then gives values in that order. HrAddColumnsEx's filter
   sees the current columns before the merge and may change their tags in place (here the
   Unicode display name into an 8-bit one). Memory goes through the caller's allocator pair:
   counted here, every block allocated is freed. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "check.h"
#include "mapiutil.h"
#include "tags.h"
#include "testdir.h"

static int allocs, frees, filter_calls;
static ULONG filter_seen;

static SCODE STDMETHODCALLTYPE counting_alloc(ULONG cb, LPVOID *pp)
{
    allocs++;
    return MAPIAllocateBuffer(cb, pp);
}

static ULONG STDAPICALLTYPE counting_free(LPVOID p)
{
    frees++;
    return MAPIFreeBuffer(p);
}

/* Every Unicode string column becomes an 8-bit one, as Microsoft's example describes. */
static void to_8bit(LPSPropTagArray cols)
{
    ULONG i;
    filter_calls++;
    filter_seen = cols->cValues;
    for (i = 0; i < cols->cValues; i++)
        if (PROP_TYPE(cols->aulPropTag[i]) == PT_UNICODE)
            cols->aulPropTag[i] = CHANGE_PROP_TYPE(cols->aulPropTag[i], PT_STRING8);
}

static int index_of(LPSPropTagArray cols, ULONG tag)
{
    ULONG i;
    for (i = 0; i < cols->cValues; i++)
        if (cols->aulPropTag[i] == tag)
            return (int)i;
    return -1;
}

static void add_recipient(LPMESSAGE msg, const char *name)
{
    LPADRLIST list = NULL;
    LPSPropValue v = NULL;
    CHECK_OK(MAPIAllocateBuffer(CbNewADRLIST(1), (void **)&list));
    CHECK_OK(MAPIAllocateBuffer(2 * sizeof(SPropValue), (void **)&v));
    if (!list || !v)
        return;
    v[0].ulPropTag = PR_DISPLAY_NAME_A;
    v[0].Value.lpszA = (LPSTR)name; /* the table copies what ModifyRecipients stores */
    v[1].ulPropTag = PR_RECIPIENT_TYPE;
    v[1].Value.l = MAPI_TO;
    list->cEntries = 1;
    list->aEntries[0].ulReserved1 = 0;
    list->aEntries[0].cValues = 2;
    list->aEntries[0].rgPropVals = v;
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, list));
    FreePadrlist(list);
}

int main(void)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    LPMAPITABLE table = NULL;
    LPSPropTagArray cols = NULL;
    LPSRowSet rows = NULL;
    SizedSPropTagArray(2, start) = {2, {PR_DISPLAY_NAME_W, PR_ROWID}};
    SizedSPropTagArray(2, add) = {2, {PR_RECIPIENT_TYPE, PR_ROWID}};
    SizedSPropTagArray(1, front) = {1, {PR_INSTANCE_KEY}};

    if (!test_dir_create("imsg-addcols"))
        return 1;
    test_path("cols.msg", path, wpath);
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (stg)
        CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                                MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (!msg) {
        test_dir_remove();
        return check_report("add_columns");
    }
    add_recipient(msg, "Alice");
    add_recipient(msg, "Bob");
    CHECK_OK(msg->lpVtbl->GetRecipientTable(msg, MAPI_UNICODE, &table));
    if (!table)
        goto out;
    CHECK_OK(table->lpVtbl->SetColumns(table, (LPSPropTagArray)&start, 0));

    /* PR_RECIPIENT_TYPE is added, PR_ROWID moved to the front; the display name follows. */
    CHECK_OK(HrAddColumns(table, (LPSPropTagArray)&add, counting_alloc, counting_free));
    CHECK(allocs == 1 && frees == 2); /* the merged set; it and the table's current set */
    CHECK_OK(table->lpVtbl->QueryColumns(table, 0, &cols));
    CHECK(cols && cols->cValues == 3);
    if (cols && cols->cValues == 3) {
        CHECK(cols->aulPropTag[0] == PR_RECIPIENT_TYPE);
        CHECK(cols->aulPropTag[1] == PR_ROWID);
        CHECK(cols->aulPropTag[2] == PR_DISPLAY_NAME_W);
    }
    MAPIFreeBuffer(cols);
    cols = NULL;
    CHECK_OK(table->lpVtbl->SeekRow(table, BOOKMARK_BEGINNING, 0, NULL));
    CHECK_OK(table->lpVtbl->QueryRows(table, 10, 0, &rows));
    CHECK(rows && rows->cRows == 2);
    if (rows && rows->cRows == 2) {
        CHECK(rows->aRow[0].cValues == 3);
        CHECK(rows->aRow[0].lpProps[0].ulPropTag == PR_RECIPIENT_TYPE);
        CHECK(rows->aRow[0].lpProps[0].Value.l == MAPI_TO);
        CHECK(rows->aRow[1].lpProps[2].ulPropTag == PR_DISPLAY_NAME_W);
    }
    FreeProws(rows);
    rows = NULL;

    /* The filter sees the three current columns and turns the Unicode name 8-bit. */
    allocs = frees = 0;
    CHECK_OK(HrAddColumnsEx(table, (LPSPropTagArray)&front, counting_alloc, counting_free,
                            to_8bit));
    CHECK(filter_calls == 1 && filter_seen == 3);
    CHECK(allocs == 1 && frees == 2);
    CHECK_OK(table->lpVtbl->QueryColumns(table, 0, &cols));
    CHECK(cols && cols->cValues == 4);
    if (cols && cols->cValues == 4) {
        CHECK(cols->aulPropTag[0] == PR_INSTANCE_KEY);
        CHECK(index_of(cols, PR_DISPLAY_NAME_A) == 3);
        CHECK(index_of(cols, PR_DISPLAY_NAME_W) == -1);
    }
    MAPIFreeBuffer(cols);
    cols = NULL;
    CHECK_OK(table->lpVtbl->SeekRow(table, BOOKMARK_BEGINNING, 0, NULL));
    CHECK_OK(table->lpVtbl->QueryRows(table, 1, 0, &rows));
    CHECK(rows && rows->cRows == 1);
    if (rows && rows->cRows == 1) {
        CHECK(rows->aRow[0].lpProps[0].ulPropTag == PR_INSTANCE_KEY);
        CHECK(rows->aRow[0].lpProps[3].ulPropTag == PR_DISPLAY_NAME_A);
        CHECK(strcmp(rows->aRow[0].lpProps[3].Value.lpszA, "Alice") == 0);
    }
    FreeProws(rows);
    rows = NULL;

    /* A NULL filter is no call; adding what is already first changes nothing. */
    filter_calls = 0;
    CHECK_OK(HrAddColumnsEx(table, (LPSPropTagArray)&front, MAPIAllocateBuffer, MAPIFreeBuffer,
                            NULL));
    CHECK(filter_calls == 0);
    CHECK_OK(table->lpVtbl->QueryColumns(table, 0, &cols));
    CHECK(cols && cols->cValues == 4 && cols->aulPropTag[0] == PR_INSTANCE_KEY);
    MAPIFreeBuffer(cols);

    /* Refusals touch nothing. */
    allocs = frees = 0;
    CHECK_HR(HrAddColumns(NULL, (LPSPropTagArray)&add, counting_alloc, counting_free),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrAddColumns(table, NULL, counting_alloc, counting_free), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrAddColumns(table, (LPSPropTagArray)&add, NULL, counting_free),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrAddColumns(table, (LPSPropTagArray)&add, counting_alloc, NULL),
             MAPI_E_INVALID_PARAMETER);
    CHECK(allocs == 0 && frees == 0);

    table->lpVtbl->Release(table);
out:
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
    test_dir_remove();
    return check_report("add_columns");
}
