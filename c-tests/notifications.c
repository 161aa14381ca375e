/* notifications.c - ScCountNotifications, ScCopyNotifications and ScRelocNotifications on
   an array of every event type: the copy is exactly the counted size (a malloc block of
   that size, so valgrind and ASan see a byte written past it), points only into itself,
   keeps every value after the originals are overwritten, and reads right after the block
   is moved and relocated (directly, and through a NULL placeholder base and back).
   Refusals: a negative count, an unknown event type, data missing where a count says
   there is some, a NULL destination.
   HrAllocAdviseSink: the sink's OnNotify calls the callback with the context, count and
   array as given and answers what it answers; QueryInterface and Release as COM's. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "mapiutil.h"
#include "wide.h"

#define N 7
#define PR_SUBJ_A PROP_TAG(PT_STRING8, 0x0037)
#define PR_KEY_BIN PROP_TAG(PT_BINARY, 0x0FF6)
#define PR_NUMS PROP_TAG(PT_MV_LONG, 0x8001)
#define PR_COUNT_L PROP_TAG(PT_LONG, 0x3602)

static BYTE eid[24], parent[20], old_eid[16], key[4], prior_key[4], ext_data[9];
static char msg_class[32], subject[32];
static WCHAR err_text[32], err_comp[32];
static LONG nums[3];
static SizedSPropTagArray(2, changed) = {2, {PR_SUBJ_A, PR_COUNT_L}};
static MAPIERROR error;
static SPropValue row_props[3], status_props[1];

static void fill(NOTIFICATION *n)
{
    int i;
    for (i = 0; i < (int)sizeof eid; i++)
        eid[i] = (BYTE)(i + 1);
    for (i = 0; i < (int)sizeof parent; i++)
        parent[i] = (BYTE)(0x80 + i);
    memset(old_eid, 0x5A, sizeof old_eid);
    memcpy(key, "\x01\x02\x03\x04", 4);
    memcpy(prior_key, "\x09\x08\x07\x06", 4);
    memcpy(ext_data, "extended", 9);
    strcpy(msg_class, "IPM.Note");
    strcpy(subject, "Quarterly report");
    memcpy(err_text, W("Disk full"), 20);
    memcpy(err_comp, W("store"), 12);
    nums[0] = 10;
    nums[1] = 20;
    nums[2] = 30;
    memset(n, 0, N * sizeof *n);

    n[0].ulEventType = fnevNewMail;
    n[0].info.newmail.cbEntryID = sizeof eid;
    n[0].info.newmail.lpEntryID = (LPENTRYID)eid;
    n[0].info.newmail.cbParentID = sizeof parent;
    n[0].info.newmail.lpParentID = (LPENTRYID)parent;
    n[0].info.newmail.lpszMessageClass = msg_class;
    n[0].info.newmail.ulMessageFlags = 7;

    n[1].ulEventType = fnevObjectMoved;
    n[1].info.obj.cbEntryID = sizeof eid;
    n[1].info.obj.lpEntryID = (LPENTRYID)eid;
    n[1].info.obj.ulObjType = MAPI_MESSAGE;
    n[1].info.obj.cbParentID = sizeof parent;
    n[1].info.obj.lpParentID = (LPENTRYID)parent;
    n[1].info.obj.cbOldID = sizeof old_eid;
    n[1].info.obj.lpOldID = (LPENTRYID)old_eid;
    n[1].info.obj.cbOldParentID = 0; /* none: stays NULL */
    n[1].info.obj.lpPropTagArray = (LPSPropTagArray)&changed;

    n[2].ulEventType = fnevTableModified;
    n[2].info.tab.ulTableEvent = TABLE_ROW_ADDED;
    n[2].info.tab.propIndex.ulPropTag = PR_KEY_BIN;
    n[2].info.tab.propIndex.Value.bin.cb = 4;
    n[2].info.tab.propIndex.Value.bin.lpb = key;
    n[2].info.tab.propPrior.ulPropTag = PR_KEY_BIN;
    n[2].info.tab.propPrior.Value.bin.cb = 4;
    n[2].info.tab.propPrior.Value.bin.lpb = prior_key;
    row_props[0].ulPropTag = PR_SUBJ_A;
    row_props[0].Value.lpszA = subject;
    row_props[1].ulPropTag = PR_NUMS;
    row_props[1].Value.MVl.cValues = 3;
    row_props[1].Value.MVl.lpl = nums;
    row_props[2].ulPropTag = PR_COUNT_L;
    row_props[2].Value.l = 42;
    n[2].info.tab.row.cValues = 3;
    n[2].info.tab.row.lpProps = row_props;

    /* A row added first: propPrior is PR_NULL, which points at nothing. */
    n[3].ulEventType = fnevTableModified;
    n[3].info.tab.ulTableEvent = TABLE_ROW_ADDED;
    n[3].info.tab.propIndex.ulPropTag = PR_COUNT_L;
    n[3].info.tab.propIndex.Value.l = 5;
    n[3].info.tab.propPrior.ulPropTag = PROP_TAG(PT_NULL, 0);

    error.ulVersion = MAPI_ERROR_VERSION;
    error.lpszError = (LPTSTR)err_text;
    error.lpszComponent = (LPTSTR)err_comp;
    error.ulLowLevelError = 99;
    n[4].ulEventType = fnevCriticalError;
    n[4].info.err.cbEntryID = 8;
    n[4].info.err.lpEntryID = (LPENTRYID)eid;
    n[4].info.err.scode = MAPI_E_NOT_ENOUGH_MEMORY;
    n[4].info.err.ulFlags = MAPI_UNICODE;
    n[4].info.err.lpMAPIError = &error;

    n[5].ulEventType = fnevExtended;
    n[5].info.ext.ulEvent = 0x1234;
    n[5].info.ext.cb = sizeof ext_data;
    n[5].info.ext.pbEventParameters = ext_data;

    status_props[0].ulPropTag = PR_SUBJ_A;
    status_props[0].Value.lpszA = subject;
    n[6].ulEventType = fnevStatusObjectModified;
    n[6].info.statobj.cbEntryID = 4;
    n[6].info.statobj.lpEntryID = (LPENTRYID)eid;
    n[6].info.statobj.cValues = 1;
    n[6].info.statobj.lpPropVals = status_props;
}

/* Overwrites the originals, so a copy that still points at them reads garbage. */
static void clobber(void)
{
    memset(eid, 0xEE, sizeof eid);
    memset(parent, 0xEE, sizeof parent);
    memset(key, 0xEE, sizeof key);
    memset(prior_key, 0xEE, sizeof prior_key);
    memset(ext_data, 0xEE, sizeof ext_data);
    strcpy(msg_class, "XXXXXXXX");
    strcpy(subject, "XXXXXXXXXXXXXXXX");
    memset(err_text, 0x45, 18);
    nums[1] = -1;
    changed.aulPropTag[0] = 0;
}

static const char *lo, *hi; /* the block being checked */

static int inside(const void *p, size_t len)
{
    const char *c = (const char *)p;
    return c >= lo && c + len <= hi;
}

static int aligned(const void *p)
{
    return ((uintptr_t)p & 7) == 0;
}

/* Everything the copy at `n` says, read in place. */
static void check_copy(const NOTIFICATION *n, const char *what)
{
    int i, ok;
    const SPropValue *row;
    fprintf(stderr, "checking %s\n", what);

    CHECK(n[0].ulEventType == fnevNewMail && n[0].info.newmail.ulMessageFlags == 7);
    CHECK(inside(n[0].info.newmail.lpEntryID, 24) && inside(n[0].info.newmail.lpParentID, 20));
    for (ok = 1, i = 0; i < 24; i++)
        ok &= ((BYTE *)n[0].info.newmail.lpEntryID)[i] == (BYTE)(i + 1);
    CHECK(ok);
    CHECK(((BYTE *)n[0].info.newmail.lpParentID)[19] == 0x80 + 19);
    CHECK(inside(n[0].info.newmail.lpszMessageClass, 9) &&
          strcmp((char *)n[0].info.newmail.lpszMessageClass, "IPM.Note") == 0);

    CHECK(n[1].info.obj.ulObjType == MAPI_MESSAGE && inside(n[1].info.obj.lpOldID, 16));
    CHECK(((BYTE *)n[1].info.obj.lpOldID)[15] == 0x5A);
    CHECK(n[1].info.obj.lpOldParentID == NULL && n[1].info.obj.cbOldParentID == 0);
    CHECK(inside(n[1].info.obj.lpPropTagArray, 12) && aligned(n[1].info.obj.lpPropTagArray));
    CHECK(n[1].info.obj.lpPropTagArray->cValues == 2 &&
          n[1].info.obj.lpPropTagArray->aulPropTag[0] == PR_SUBJ_A &&
          n[1].info.obj.lpPropTagArray->aulPropTag[1] == PR_COUNT_L);

    CHECK(n[2].info.tab.ulTableEvent == TABLE_ROW_ADDED);
    CHECK(inside(n[2].info.tab.propIndex.Value.bin.lpb, 4) &&
          memcmp(n[2].info.tab.propIndex.Value.bin.lpb, "\x01\x02\x03\x04", 4) == 0);
    CHECK(memcmp(n[2].info.tab.propPrior.Value.bin.lpb, "\x09\x08\x07\x06", 4) == 0);
    row = n[2].info.tab.row.lpProps;
    CHECK(n[2].info.tab.row.cValues == 3 && inside(row, 3 * sizeof(SPropValue)) && aligned(row));
    if (inside(row, 3 * sizeof(SPropValue))) {
        CHECK(inside(row[0].Value.lpszA, 17) &&
              strcmp(row[0].Value.lpszA, "Quarterly report") == 0);
        CHECK(row[1].Value.MVl.cValues == 3 && inside(row[1].Value.MVl.lpl, 12));
        if (inside(row[1].Value.MVl.lpl, 12)) {
            LONG got[3];
            memcpy(got, row[1].Value.MVl.lpl, sizeof got); /* packed: any alignment */
            CHECK(got[0] == 10 && got[1] == 20 && got[2] == 30);
        }
        CHECK(row[2].Value.l == 42);
    }
    CHECK(n[3].info.tab.propIndex.Value.l == 5 &&
          n[3].info.tab.propPrior.ulPropTag == PROP_TAG(PT_NULL, 0));
    CHECK(n[3].info.tab.row.cValues == 0 && n[3].info.tab.row.lpProps == NULL);

    CHECK(n[4].info.err.scode == MAPI_E_NOT_ENOUGH_MEMORY && inside(n[4].info.err.lpEntryID, 8));
    CHECK(inside(n[4].info.err.lpMAPIError, sizeof(MAPIERROR)) &&
          aligned(n[4].info.err.lpMAPIError));
    if (inside(n[4].info.err.lpMAPIError, sizeof(MAPIERROR))) {
        const MAPIERROR *e = n[4].info.err.lpMAPIError;
        CHECK(e->ulVersion == MAPI_ERROR_VERSION && e->ulLowLevelError == 99);
        CHECK(inside(e->lpszError, 20) && wide_eq((const WCHAR *)e->lpszError, "Disk full"));
        CHECK(inside(e->lpszComponent, 12) && wide_eq((const WCHAR *)e->lpszComponent, "store"));
    }

    CHECK(n[5].info.ext.ulEvent == 0x1234 && inside(n[5].info.ext.pbEventParameters, 9) &&
          memcmp(n[5].info.ext.pbEventParameters, "extended", 9) == 0);

    CHECK(n[6].info.statobj.cValues == 1 && inside(n[6].info.statobj.lpPropVals, 24));
    if (inside(n[6].info.statobj.lpPropVals, sizeof(SPropValue)))
        CHECK(strcmp(n[6].info.statobj.lpPropVals[0].Value.lpszA, "Quarterly report") == 0);
}

static int calls;
static void *seen_context;
static ULONG seen_count;
static LPNOTIFICATION seen_array;

static LONG STDAPICALLTYPE on_event(LPVOID context, ULONG count, LPNOTIFICATION array)
{
    calls++;
    seen_context = context;
    seen_count = count;
    seen_array = array;
    return calls == 1 ? 0 : (LONG)0x80000000; /* CALLBACK_DISCONTINUE the second time */
}

static void advise_sink(void)
{
    LPMAPIADVISESINK sink = NULL;
    void *other = NULL;
    NOTIFICATION n[2];
    int context = 7;

    CHECK_OK(HrAllocAdviseSink(on_event, &context, &sink));
    CHECK(sink != NULL);
    if (!sink)
        return;
    memset(n, 0, sizeof n);
    n[0].ulEventType = fnevNewMail;
    n[1].ulEventType = fnevExtended;
    CHECK(sink->lpVtbl->OnNotify(sink, 2, n) == 0);
    CHECK(calls == 1 && seen_context == &context && seen_count == 2 && seen_array == n);
    CHECK(sink->lpVtbl->OnNotify(sink, 1, n + 1) == 0x80000000u);
    CHECK(calls == 2 && seen_count == 1 && seen_array == n + 1);

    CHECK_OK(sink->lpVtbl->QueryInterface(sink, &IID_IMAPIAdviseSink, &other));
    CHECK(other == (void *)sink);
    CHECK(sink->lpVtbl->Release(sink) == 1);
    CHECK_OK(sink->lpVtbl->QueryInterface(sink, &IID_IUnknown, &other));
    CHECK(other == (void *)sink);
    CHECK(sink->lpVtbl->Release(sink) == 1);
    other = (void *)1;
    CHECK_HR(sink->lpVtbl->QueryInterface(sink, &IID_IMessage, &other), E_NOINTERFACE);
    CHECK(other == NULL);
    CHECK(sink->lpVtbl->Release(sink) == 0);

    sink = (LPMAPIADVISESINK)1;
    CHECK_HR(HrAllocAdviseSink(NULL, &context, &sink), MAPI_E_INVALID_PARAMETER);
    CHECK(sink == NULL);
    CHECK_HR(HrAllocAdviseSink(on_event, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK(calls == 2);
}

int main(void)
{
    NOTIFICATION src[N];
    ULONG cb = 0, used = 0, cb2 = 0;
    NOTIFICATION *copy, *moved;

    CHECK(sizeof(NOTIFICATION) == 8 + sizeof(TABLE_NOTIFICATION));
    CHECK(offsetof(TABLE_NOTIFICATION, row) == 8 + 2 * sizeof(SPropValue));
    CHECK(sizeof(TABLE_NOTIFICATION) == (sizeof(void *) == 8 ? 80 : 56));

    fill(src);
    CHECK_OK(ScCountNotifications(N, src, &cb));
    CHECK(cb > N * sizeof(NOTIFICATION));
    CHECK_OK(ScCountNotifications(N, src, NULL));
    CHECK_OK(ScCountNotifications(0, NULL, &used));
    CHECK(used == 0);

    copy = (NOTIFICATION *)malloc(cb);
    moved = (NOTIFICATION *)malloc(cb);
    if (!copy || !moved)
        return 1;
    CHECK_OK(ScCopyNotifications(N, src, copy, &used));
    CHECK(used == cb);
    clobber();
    lo = (const char *)copy;
    hi = lo + cb;
    check_copy(copy, "the copy");

    /* Moved as bytes, then relocated from the copy's address to its new one. */
    memcpy(moved, copy, cb);
    CHECK_OK(ScRelocNotifications(N, moved, copy, moved, &cb2));
    CHECK(cb2 == cb);
    memset(copy, 0xDD, cb); /* nothing may point back into the old block */
    lo = (const char *)moved;
    hi = lo + cb;
    check_copy(moved, "the moved block");

    /* Through a placeholder base (offsets from NULL, as in a file) and back. */
    CHECK_OK(ScRelocNotifications(N, moved, moved, NULL, NULL));
    CHECK((uintptr_t)moved[0].info.newmail.lpEntryID < cb);
    memcpy(copy, moved, cb);
    CHECK_OK(ScRelocNotifications(N, copy, NULL, copy, &cb2));
    CHECK(cb2 == cb);
    lo = (const char *)copy;
    hi = lo + cb;
    check_copy(copy, "the block relocated through NULL");

    /* Refusals. */
    fill(src);
    CHECK_HR(ScCountNotifications(-1, src, &cb2), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(ScCountNotifications(1, NULL, &cb2), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(ScCopyNotifications(N, src, NULL, &cb2), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(ScRelocNotifications(-2, copy, NULL, copy, &cb2), MAPI_E_INVALID_PARAMETER);
    src[5].ulEventType = 0x0400; /* no such event */
    CHECK_HR(ScCountNotifications(N, src, &cb2), MAPI_E_INVALID_PARAMETER);
    memset(moved, 0xAB, cb);
    CHECK_HR(ScCopyNotifications(N, src, moved, &cb2), MAPI_E_INVALID_PARAMETER);
    CHECK(((BYTE *)moved)[0] == 0xAB); /* refused before anything is written */
    src[5].ulEventType = fnevExtended;
    src[0].info.newmail.lpEntryID = NULL; /* 24 bytes promised, none given */
    CHECK_HR(ScCountNotifications(N, src, &cb2), MAPI_E_INVALID_PARAMETER);
    src[0].info.newmail.lpEntryID = (LPENTRYID)eid;
    src[2].info.tab.row.lpProps = NULL;
    CHECK_HR(ScCountNotifications(N, src, &cb2), MAPI_E_INVALID_PARAMETER);
    src[2].info.tab.row.lpProps = row_props;
    CHECK_OK(ScCountNotifications(N, src, &cb2));
    CHECK(cb2 == cb);

    free(copy);
    free(moved);
    advise_sink();
    return check_report("notifications");
}
