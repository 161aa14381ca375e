/* recipients.c - ModifyRecipients in its four modes, the recipient table, SetReadFlag and
   SubmitMessage through the C interface, with saves and reopens in between; the caller's
   ADRLIST is checked untouched after each call. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "check.h"
#include "tags.h"
#include "testdir.h"
#include "wide.h"

static WCHAR msg_path[256];

/* Fills one ADRENTRY with a name, a type and, when `row_id` >= 0, PR_ROWID; the values
   come from MAPIAllocateBuffer as real callers build them. */
static void entry(ADRENTRY *e, const char *name, ULONG type, long row_id)
{
    LPSPropValue v = NULL;
    ULONG n = 0;
    CHECK_OK(MAPIAllocateBuffer(4 * sizeof(SPropValue), (void **)&v));
    memset(v, 0, 4 * sizeof(SPropValue));
    v[n].ulPropTag = PR_DISPLAY_NAME_W;
    v[n++].Value.lpszW = W(name);
    v[n].ulPropTag = PR_RECIPIENT_TYPE;
    v[n++].Value.l = (LONG)type;
    /* PT_ERROR values are ignored by ModifyRecipients. */
    v[n].ulPropTag = PROP_TAG(PT_ERROR, 0x3003);
    v[n++].Value.err = MAPI_E_NOT_FOUND;
    if (row_id >= 0) {
        v[n].ulPropTag = PR_ROWID;
        v[n++].Value.l = (LONG)row_id;
    }
    e->ulReserved1 = 0;
    e->cValues = n;
    e->rgPropVals = v;
}

static void free_entries(ADRLIST *list)
{
    ULONG i;
    for (i = 0; i < list->cEntries; i++) {
        MAPIFreeBuffer(list->aEntries[i].rgPropVals);
        list->aEntries[i].rgPropVals = NULL;
    }
}

/* The row ids, names and types of the recipient table in table order; returns the count.
   Opens the table through GetRecipientTable or, with `via_property`, OpenProperty. */
#define MAX_ROWS 16
struct recip {
    LONG row_id;
    ULONG type;
    char name[64];
};

static ULONG read_table(LPMESSAGE msg, int via_property, struct recip *out)
{
    LPMAPITABLE table = NULL;
    LPSRowSet rows = NULL;
    SizedSPropTagArray(3, cols) = {3, {PR_ROWID, PR_DISPLAY_NAME_W, PR_RECIPIENT_TYPE}};
    ULONG count = 0, i, j;

    if (via_property)
        CHECK_OK(msg->lpVtbl->OpenProperty(msg, PR_MESSAGE_RECIPIENTS, &IID_IMAPITable, MAPI_UNICODE, 0,
                                           (LPUNKNOWN *)&table));
    else
        CHECK_OK(msg->lpVtbl->GetRecipientTable(msg, MAPI_UNICODE, &table));
    if (!table)
        return 0;
    CHECK_OK(table->lpVtbl->SetColumns(table, (LPSPropTagArray)&cols, 0));
    CHECK_OK(table->lpVtbl->GetRowCount(table, 0, &count));
    CHECK_OK(table->lpVtbl->QueryRows(table, MAX_ROWS, 0, &rows));
    CHECK(rows && rows->cRows == count);
    for (i = 0; rows && i < rows->cRows && i < MAX_ROWS; i++) {
        LPSPropValue p = rows->aRow[i].lpProps;
        CHECK(rows->aRow[i].cValues == 3);
        CHECK(p[0].ulPropTag == PR_ROWID);
        out[i].row_id = p[0].Value.l;
        /* A NULL recipient has no type: the column is PT_ERROR. */
        out[i].type = p[2].ulPropTag == PR_RECIPIENT_TYPE ? (ULONG)p[2].Value.l : 0xFFFFFFFFu;
        out[i].name[0] = 0;
        if (p[1].ulPropTag == PR_DISPLAY_NAME_W) {
            for (j = 0; p[1].Value.lpszW[j] && j < 63; j++)
                out[i].name[j] = (char)p[1].Value.lpszW[j];
            out[i].name[j] = 0;
        }
        MAPIFreeBuffer(rows->aRow[i].lpProps);
    }
    MAPIFreeBuffer(rows);
    table->lpVtbl->Release(table);
    return count;
}

static void check_row(const struct recip *r, LONG row_id, const char *name, ULONG type)
{
    CHECK(r->row_id == row_id);
    CHECK(strcmp(r->name, name) == 0);
    CHECK(r->type == type);
    if (r->row_id != row_id || strcmp(r->name, name) != 0 || r->type != type)
        fprintf(stderr, "  row: id %ld name '%s' type %lu; expected id %ld name '%s' type %lu\n",
                (long)r->row_id, r->name, (unsigned long)r->type, (long)row_id, name, (unsigned long)type);
}

static LPMESSAGE open_message(LPMSGSESS sess, IStorage **stg, int create)
{
    LPMESSAGE msg = NULL;
    *stg = NULL;
    if (create)
        CHECK_OK(StgCreateDocfile(msg_path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, stg));
    else
        CHECK_OK(StgOpenStorage(msg_path, NULL, STGM_READWRITE | STGM_TRANSACTED, NULL, 0, stg));
    if (!*stg)
        return NULL;
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, *stg, NULL, 0, MAPI_UNICODE, &msg));
    return msg;
}

static void close_message(LPMESSAGE msg, IStorage *stg, int save)
{
    if (save) {
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    }
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
}

static int has_storage(IStorage *stg, const char *name)
{
    IStorage *sub = NULL;
    HRESULT hr = stg->lpVtbl->OpenStorage(stg, W(name), NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, NULL, 0, &sub);
    if (sub)
        sub->lpVtbl->Release(sub);
    return hr == S_OK;
}

static LONG message_flags(LPMESSAGE msg)
{
    SizedSPropTagArray(1, tags) = {1, {PR_MESSAGE_FLAGS}};
    LPSPropValue v = NULL;
    ULONG n = 0;
    LONG flags = -1;
    CHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &n, &v));
    if (v && v[0].ulPropTag == PR_MESSAGE_FLAGS)
        flags = v[0].Value.l;
    MAPIFreeBuffer(v);
    return flags;
}

static void test_modes(LPMSGSESS sess)
{
    IStorage *stg;
    LPMESSAGE msg = open_message(sess, &stg, 1);
    SizedADRLIST(3, three);
    SizedADRLIST(2, two);
    SizedADRLIST(1, one);
    struct recip r[MAX_ROWS];
    LPSPropValue before;
    SPropValue null_value[2];

    if (!msg)
        return;
    /* 0 = replace the whole list; PR_ROWIDs are assigned from 0. */
    three.cEntries = 3;
    entry(&three.aEntries[0], "Alice", MAPI_TO, -1);
    entry(&three.aEntries[1], "Bob", MAPI_CC, -1);
    entry(&three.aEntries[2], "Carol", MAPI_BCC, -1);
    before = three.aEntries[0].rgPropVals;
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, 0, (LPADRLIST)&three));
    /* The caller's list is read, not freed: the entry still holds the caller's values. */
    CHECK(three.cEntries == 3);
    CHECK(three.aEntries[0].rgPropVals == before);
    CHECK(wide_eq(three.aEntries[0].rgPropVals[0].Value.lpszW, "Alice"));
    CHECK(read_table(msg, 0, r) == 3);
    check_row(&r[0], 0, "Alice", MAPI_TO);
    check_row(&r[1], 1, "Bob", MAPI_CC);
    check_row(&r[2], 2, "Carol", MAPI_BCC);

    /* Replacing again starts a new list; row ids keep increasing. */
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, 0, (LPADRLIST)&three));
    CHECK(read_table(msg, 1, r) == 3);
    check_row(&r[0], 3, "Alice", MAPI_TO);
    check_row(&r[2], 5, "Carol", MAPI_BCC);
    free_entries((ADRLIST *)&three);

    /* MODRECIP_ADD appends; a NULL recipient (no values) is legal. */
    two.cEntries = 2;
    entry(&two.aEntries[0], "Dave", MAPI_TO, -1);
    two.aEntries[1].ulReserved1 = 0;
    two.aEntries[1].cValues = 0;
    two.aEntries[1].rgPropVals = NULL;
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, (LPADRLIST)&two));
    CHECK(read_table(msg, 0, r) == 5);
    check_row(&r[3], 6, "Dave", MAPI_TO);
    CHECK(r[4].row_id == 7 && r[4].name[0] == 0 && r[4].type == 0xFFFFFFFFu);
    free_entries((ADRLIST *)&two);

    /* MODRECIP_MODIFY replaces the whole row: Bob (id 4) becomes Bert, CC to TO. */
    one.cEntries = 1;
    entry(&one.aEntries[0], "Bert", MAPI_TO, 4);
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_MODIFY, (LPADRLIST)&one));
    CHECK(read_table(msg, 0, r) == 5);
    check_row(&r[1], 4, "Bert", MAPI_TO);
    free_entries((ADRLIST *)&one);

    /* MODRECIP_REMOVE by PR_ROWID: the NULL recipient (7) and Alice (3). */
    two.cEntries = 2;
    entry(&two.aEntries[0], "", 0, 7);
    entry(&two.aEntries[1], "", 0, 3);
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_REMOVE, (LPADRLIST)&two));
    free_entries((ADRLIST *)&two);
    CHECK(read_table(msg, 0, r) == 3);
    check_row(&r[0], 4, "Bert", MAPI_TO);
    check_row(&r[1], 5, "Carol", MAPI_BCC);
    check_row(&r[2], 6, "Dave", MAPI_TO);

    /* Refusals change nothing. */
    one.cEntries = 1;
    entry(&one.aEntries[0], "Eve", MAPI_TO, 99);
    CHECK_HR(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_MODIFY, (LPADRLIST)&one), MAPI_E_NOT_FOUND);
    CHECK_HR(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD | MODRECIP_REMOVE, (LPADRLIST)&one),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(msg->lpVtbl->ModifyRecipients(msg, 0x1, (LPADRLIST)&one), MAPI_E_UNKNOWN_FLAGS);
    CHECK_HR(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, NULL), MAPI_E_INVALID_PARAMETER);
    free_entries((ADRLIST *)&one);
    null_value[0].ulPropTag = PR_DISPLAY_NAME_W;
    null_value[0].Value.lpszW = W("Nobody");
    null_value[1].ulPropTag = PROP_TAG(PT_NULL, 0x6700);
    null_value[1].Value.l = 0;
    one.aEntries[0].cValues = 2;
    one.aEntries[0].rgPropVals = null_value;
    CHECK_HR(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, (LPADRLIST)&one), MAPI_E_INVALID_PARAMETER);
    CHECK(read_table(msg, 0, r) == 3);

    /* PR_DISPLAY_TO and PR_DISPLAY_CC follow the list (empty when no one is in CC). */
    {
        SizedSPropTagArray(2, tags) = {2, {PR_DISPLAY_TO_W, PR_DISPLAY_CC_W}};
        LPSPropValue v = NULL;
        ULONG n = 0;
        CHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &n, &v));
        CHECK(n == 2 && v && wide_eq(v[0].Value.lpszW, "Bert; Dave"));
        CHECK(v && v[1].ulPropTag == PR_DISPLAY_CC_W && wide_eq(v[1].Value.lpszW, ""));
        MAPIFreeBuffer(v);
    }
    close_message(msg, stg, 1);

    /* Reopened: the same rows with their row ids; storages numbered 0..2 without gaps. */
    msg = open_message(sess, &stg, 0);
    if (!msg)
        return;
    CHECK(has_storage(stg, "__recip_version1.0_#00000000"));
    CHECK(has_storage(stg, "__recip_version1.0_#00000002"));
    CHECK(!has_storage(stg, "__recip_version1.0_#00000003"));
    CHECK(read_table(msg, 0, r) == 3);
    check_row(&r[0], 0, "Bert", MAPI_TO);
    check_row(&r[1], 1, "Carol", MAPI_BCC);
    check_row(&r[2], 2, "Dave", MAPI_TO);

    /* Remove the first, add one, save, reopen: the rest keep their order. */
    one.cEntries = 1;
    entry(&one.aEntries[0], "", 0, 0);
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_REMOVE, (LPADRLIST)&one));
    free_entries((ADRLIST *)&one);
    entry(&one.aEntries[0], "Frank", MAPI_CC, -1);
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, (LPADRLIST)&one));
    free_entries((ADRLIST *)&one);
    close_message(msg, stg, 1);

    msg = open_message(sess, &stg, 0);
    if (!msg)
        return;
    CHECK(read_table(msg, 1, r) == 3);
    check_row(&r[0], 0, "Carol", MAPI_BCC);
    check_row(&r[1], 1, "Dave", MAPI_TO);
    check_row(&r[2], 2, "Frank", MAPI_CC);
    CHECK(!has_storage(stg, "__recip_version1.0_#00000003"));

    /* An unsaved change is not in the file: drop it by releasing without saving. */
    one.cEntries = 1;
    entry(&one.aEntries[0], "Ghost", MAPI_TO, -1);
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, (LPADRLIST)&one));
    free_entries((ADRLIST *)&one);
    CHECK(read_table(msg, 0, r) == 4);
    close_message(msg, stg, 0);
    msg = open_message(sess, &stg, 0);
    if (!msg)
        return;
    CHECK(read_table(msg, 0, r) == 3);
    close_message(msg, stg, 0);
}

static void test_read_flag_and_submit(LPMSGSESS sess)
{
    IStorage *stg;
    LPMESSAGE msg = open_message(sess, &stg, 1);
    if (!msg)
        return;
    CHECK(message_flags(msg) == MSGFLAG_UNSENT);
    CHECK_OK(msg->lpVtbl->SetReadFlag(msg, 0));
    CHECK(message_flags(msg) == (MSGFLAG_UNSENT | MSGFLAG_READ));
    CHECK_OK(msg->lpVtbl->SetReadFlag(msg, CLEAR_READ_FLAG));
    CHECK(message_flags(msg) == MSGFLAG_UNSENT);
    CHECK_OK(msg->lpVtbl->SetReadFlag(msg, GENERATE_RECEIPT_ONLY));
    CHECK(message_flags(msg) == MSGFLAG_UNSENT);
    CHECK_OK(msg->lpVtbl->SetReadFlag(msg, SUPPRESS_RECEIPT));
    CHECK(message_flags(msg) == (MSGFLAG_UNSENT | MSGFLAG_READ));
    CHECK_HR(msg->lpVtbl->SetReadFlag(msg, SUPPRESS_RECEIPT | CLEAR_READ_FLAG), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(msg->lpVtbl->SetReadFlag(msg, CLEAR_READ_FLAG | GENERATE_RECEIPT_ONLY), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(msg->lpVtbl->SetReadFlag(msg, 0x80000000u), MAPI_E_UNKNOWN_FLAGS);
    CHECK(message_flags(msg) == (MSGFLAG_UNSENT | MSGFLAG_READ));
    CHECK_HR(msg->lpVtbl->SubmitMessage(msg, 0), MAPI_E_NO_SUPPORT);
    {
        LPMAPIERROR err = NULL;
        CHECK_OK(msg->lpVtbl->GetLastError(msg, MAPI_E_NO_SUPPORT, 0, &err));
        CHECK(err && err->lpszError && strstr((const char *)err->lpszError, "SubmitMessage") != NULL);
        MAPIFreeBuffer(err);
    }
    /* SetReadFlag saves the message: committing the storage alone keeps the flag. */
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    close_message(msg, stg, 0);
    msg = open_message(sess, &stg, 0);
    if (!msg)
        return;
    CHECK(message_flags(msg) == (MSGFLAG_UNSENT | MSGFLAG_READ));
    close_message(msg, stg, 0);
}

int main(void)
{
    LPMSGSESS sess = NULL;
    char path[256];

    if (!test_dir_create("imsg-recip")) {
        perror("mkdtemp");
        return 1;
    }
    test_path("recipients.msg", path, msg_path);
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    test_modes(sess);
    test_read_flag_and_submit(sess);
    CloseIMsgSession(sess);
    test_dir_remove();
    return check_report("recipients");
}
