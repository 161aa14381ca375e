/* entryids.c - the entry-identifier helpers of mapiutil.h with our encoding (README "Entry
   identifiers"):
   - HrSzFromEntryID / HrEntryIDFromSz: upper-case hex, two digits per byte, round trip;
     every string the encoder cannot write is MAPI_E_INVALID_ENTRYID;
   - HrComposeEID: with no record key a copy of the object's entry ID, otherwise the
     compound layout byte for byte (flags, our MAPIUID, the key's size, key, entry ID);
   - HrDecomposeEID: a compound ID split through a session written here in C, whose
     GetMsgStoresTable serves a CreateTable view of two stores; a plain ID copied with no
     store; the documented release of a MAPIAllocateBuffer input on success only; a NULL
     session, an unknown record key, a failing session and damaged IDs refused;
   - HrComposeMsgID / HrDecomposeMsgID as the two steps they are documented to be.
   Every result is freed with MAPIFreeBuffer, which must answer S_OK. */
#include <stdlib.h>

#include "check.h"
#include "mapiutil.h"

/* ===== a session of our own: GetMsgStoresTable only ===== */
typedef struct {
    IMAPISession iface;
    ULONG refs;
    HRESULT fail_with;   /* GetMsgStoresTable's answer when not S_OK */
    int tables_given;    /* views handed out */
    LPTABLEDATA stores;  /* the message-store table */
    LPMAPITABLE last_view; /* the last view handed out, with a reference of our own */
} Session;

static int views_released;

/* The library must release the table it asked for: the session keeps a reference of its
   own to the last one and drops it here, where the count must reach 0. (No CALLERRELEASE
   callback: mingw-w64 declares its first parameter ULONG, the SDK ULONG_PTR.) */
static void drop_last_view(Session *s)
{
    if (s->last_view) {
        if (s->last_view->lpVtbl->Release(s->last_view) == 0)
            views_released++;
        s->last_view = NULL;
    }
}

static HRESULT STDMETHODCALLTYPE s_qi(IMAPISession *This, REFIID riid, LPVOID *ppv)
{
    (void)riid;
    (void)This;
    *ppv = NULL;
    return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG STDMETHODCALLTYPE s_addref(IMAPISession *This)
{
    return ++((Session *)This)->refs;
}

static ULONG STDMETHODCALLTYPE s_release(IMAPISession *This)
{
    return --((Session *)This)->refs;
}

static HRESULT STDMETHODCALLTYPE s_stores(IMAPISession *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
    Session *s = (Session *)This;
    *lppTable = NULL;
    if (ulFlags != 0)
        return MAPI_E_UNKNOWN_FLAGS;
    if (s->fail_with != S_OK)
        return s->fail_with;
    s->tables_given++;
    drop_last_view(s);
    HRESULT hr = s->stores->lpVtbl->HrGetView(s->stores, NULL, NULL, 0, lppTable);
    if (hr == S_OK) {
        s->last_view = *lppTable;
        s->last_view->lpVtbl->AddRef(s->last_view);
    }
    return hr;
}

static IMAPISessionVtbl session_vtbl;

static BYTE key_a[16] = {0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8,
                         0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF, 0xA0};
static BYTE key_b[3] = {0xB1, 0xB2, 0xB3};
static BYTE store_a[12] = {0, 0, 0, 0, 0x38, 0xA1, 0xBB, 0x10, 0x05, 0xE5, 0x10, 0x1A};
static BYTE store_b[6] = {0, 0, 0, 0, 0x5B, 0x5B};

static void add_store(LPTABLEDATA td, LONG id, BYTE *key, ULONG cbKey, BYTE *eid, ULONG cbEid)
{
    SPropValue v[3];
    memset(v, 0, sizeof v);
    v[0].ulPropTag = PR_ROWID;
    v[0].Value.l = id;
    v[1].ulPropTag = PR_RECORD_KEY;
    v[1].Value.bin.cb = cbKey;
    v[1].Value.bin.lpb = key;
    v[2].ulPropTag = PR_ENTRYID;
    v[2].Value.bin.cb = cbEid;
    v[2].Value.bin.lpb = eid;
    SRow row = {0, 3, v};
    CHECK_OK(td->lpVtbl->HrModifyRow(td, &row));
}

static void session_init(Session *s)
{
    SizedSPropTagArray(3, cols) = {3, {PR_ROWID, PR_RECORD_KEY, PR_ENTRYID}};
    session_vtbl.QueryInterface = s_qi;
    session_vtbl.AddRef = s_addref;
    session_vtbl.Release = s_release;
    session_vtbl.GetMsgStoresTable = s_stores;
    memset(s, 0, sizeof *s);
    s->iface.lpVtbl = &session_vtbl;
    s->refs = 1;
    CHECK_OK(CreateTable(&IID_IMAPITableData, MAPIAllocateBuffer, MAPIAllocateMore,
                         MAPIFreeBuffer, NULL, TBLTYPE_DYNAMIC, PR_ROWID,
                         (LPSPropTagArray)&cols, &s->stores));
    if (s->stores) {
        add_store(s->stores, 1, key_a, sizeof key_a, store_a, sizeof store_a);
        add_store(s->stores, 2, key_b, sizeof key_b, store_b, sizeof store_b);
    }
}

/* ===== helpers ===== */
static BYTE msg[7] = {0x01, 0, 0, 0, 0x11, 0x22, 0x33};
static const BYTE our_uid[16] = {0x16, 0x5C, 0x5E, 0x4F, 0xD2, 0x8B, 0x43, 0xCD,
                                 0x90, 0x46, 0x0F, 0xB2, 0x25, 0x16, 0x06, 0xC0};

static int same(const void *a, ULONG cba, const void *b, ULONG cbb)
{
    return cba == cbb && a != NULL && memcmp(a, b, cba) == 0;
}

/* A MAPIAllocateBuffer copy, as a caller would hold an entry ID it got from MAPI. */
static LPENTRYID mapi_copy(const void *p, ULONG cb)
{
    LPVOID block = NULL;
    CHECK_OK(MAPIAllocateBuffer(cb, &block));
    if (block)
        memcpy(block, p, cb);
    return (LPENTRYID)block;
}

static void text(void)
{
    LPSTR sz = (LPSTR)1;
    BYTE eid[7] = {0, 0, 0, 0, 0x12, 0xAB, 0xFF};
    CHECK_OK(HrSzFromEntryID(sizeof eid, (LPENTRYID)eid, &sz));
    CHECK(sz != NULL && strcmp(sz, "0000000012ABFF") == 0);

    ULONG cb = 99;
    LPENTRYID back = NULL;
    CHECK_OK(HrEntryIDFromSz(sz, &cb, &back));
    CHECK(same(back, cb, eid, sizeof eid));
    CHECK_OK(MAPIFreeBuffer(back));
    CHECK_OK(MAPIFreeBuffer(sz));

    /* Refusals: the out-pointer is NULL afterwards. */
    sz = (LPSTR)1;
    CHECK_HR(HrSzFromEntryID(3, (LPENTRYID)eid, &sz), MAPI_E_INVALID_ENTRYID);
    CHECK(sz == NULL);
    CHECK_HR(HrSzFromEntryID(0, NULL, &sz), MAPI_E_INVALID_ENTRYID);
    CHECK_HR(HrSzFromEntryID(7, NULL, &sz), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrSzFromEntryID(7, (LPENTRYID)eid, NULL), MAPI_E_INVALID_PARAMETER);

    static const char *bad[] = {"0000000012abff", "0000000012ABF", "00000000 2ABFF",
                                "00000000-2ABFF", "000000",        "",
                                "0X00000012ABFF", "0000000012ABFG"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cb = 99;
        back = (LPENTRYID)1;
        CHECK_HR(HrEntryIDFromSz((LPSTR)bad[i], &cb, &back), MAPI_E_INVALID_ENTRYID);
        CHECK(back == NULL && cb == 0);
    }
    CHECK_HR(HrEntryIDFromSz(NULL, &cb, &back), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrEntryIDFromSz((LPSTR) "00000000", NULL, &back), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrEntryIDFromSz((LPSTR) "00000000", &cb, NULL), MAPI_E_INVALID_PARAMETER);
    /* The shortest: the 4 flag bytes. */
    CHECK_OK(HrEntryIDFromSz((LPSTR) "80000000", &cb, &back));
    CHECK(cb == 4 && back && back->abFlags[0] == 0x80);
    CHECK_OK(MAPIFreeBuffer(back));
}

/* The compound ID of `msg` in store A, as HrComposeEID makes it; the caller frees it. */
static LPENTRYID compound_a(ULONG *cb)
{
    LPENTRYID eid = NULL;
    CHECK_OK(HrComposeEID(NULL, sizeof key_a, key_a, sizeof msg, (LPENTRYID)msg, cb, &eid));
    return eid;
}

static void compose(void)
{
    ULONG cb = 99;
    LPENTRYID eid = (LPENTRYID)1;
    /* No record key: the object's entry ID copied. */
    CHECK_OK(HrComposeEID(NULL, 0, NULL, sizeof msg, (LPENTRYID)msg, &cb, &eid));
    CHECK(same(eid, cb, msg, sizeof msg) && (BYTE *)eid != msg);
    CHECK_OK(MAPIFreeBuffer(eid));

    eid = compound_a(&cb);
    CHECK(cb == 24 + sizeof key_a + sizeof msg);
    if (eid && cb == 24 + sizeof key_a + sizeof msg) {
        const BYTE *b = (const BYTE *)eid;
        CHECK(memcmp(b, msg, 4) == 0);
        CHECK(memcmp(b + 4, our_uid, 16) == 0);
        CHECK(b[20] == sizeof key_a && b[21] == 0 && b[22] == 0 && b[23] == 0);
        CHECK(memcmp(b + 24, key_a, sizeof key_a) == 0);
        CHECK(memcmp(b + 24 + sizeof key_a, msg, sizeof msg) == 0);
    }
    CHECK_OK(MAPIFreeBuffer(eid));

    /* Refusals. */
    eid = (LPENTRYID)1;
    cb = 99;
    CHECK_HR(HrComposeEID(NULL, sizeof key_a, key_a, 3, (LPENTRYID)msg, &cb, &eid),
             MAPI_E_INVALID_ENTRYID);
    CHECK(eid == NULL && cb == 0);
    CHECK_HR(HrComposeEID(NULL, 0, NULL, 0, NULL, &cb, &eid), MAPI_E_INVALID_ENTRYID);
    CHECK_HR(HrComposeEID(NULL, 4, NULL, sizeof msg, (LPENTRYID)msg, &cb, &eid),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrComposeEID(NULL, 0, NULL, sizeof msg, NULL, &cb, &eid), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrComposeEID(NULL, 0, NULL, sizeof msg, (LPENTRYID)msg, NULL, &eid),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrComposeEID(NULL, 0, NULL, sizeof msg, (LPENTRYID)msg, &cb, NULL),
             MAPI_E_INVALID_PARAMETER);
}

static void decompose(Session *s)
{
    ULONG cbStore = 99, cbMsg = 99, cb = 0;
    LPENTRYID pStore = (LPENTRYID)1, pMsg = (LPENTRYID)1;

    /* A compound ID through the session. */
    LPENTRYID eid = compound_a(&cb);
    int given = s->tables_given, released = views_released;
    CHECK_OK(HrDecomposeEID(&s->iface, cb, eid, &cbStore, &pStore, &cbMsg, &pMsg));
    CHECK(same(pStore, cbStore, store_a, sizeof store_a));
    CHECK(same(pMsg, cbMsg, msg, sizeof msg));
    drop_last_view(s);
    CHECK(s->tables_given == given + 1 && views_released == released + 1);
    CHECK(s->refs == 1);
    /* Documented: the input block is released on success, so it is no longer a live
       block (MAPIFreeBuffer looks it up without touching it). */
    CHECK_HR((SCODE)MAPIFreeBuffer(eid), MAPI_E_INVALID_PARAMETER);
    CHECK_OK(MAPIFreeBuffer(pStore));
    CHECK_OK(MAPIFreeBuffer(pMsg));

    /* The second store, with a 3-byte record key. */
    CHECK_OK(HrComposeEID(&s->iface, sizeof key_b, key_b, sizeof msg, (LPENTRYID)msg, &cb, &eid));
    CHECK_OK(HrDecomposeEID(&s->iface, cb, eid, &cbStore, &pStore, &cbMsg, &pMsg));
    CHECK(same(pStore, cbStore, store_b, sizeof store_b));
    CHECK(same(pMsg, cbMsg, msg, sizeof msg));
    CHECK_OK(MAPIFreeBuffer(pStore));
    CHECK_OK(MAPIFreeBuffer(pMsg));

    /* A plain ID (not ours: on the stack, left alone): no store, a copy. */
    given = s->tables_given;
    CHECK_OK(HrDecomposeEID(&s->iface, sizeof msg, (LPENTRYID)msg, &cbStore, &pStore, &cbMsg, &pMsg));
    CHECK(cbStore == 0 && pStore == NULL);
    CHECK(same(pMsg, cbMsg, msg, sizeof msg) && (BYTE *)pMsg != msg);
    CHECK(s->tables_given == given); /* no session needed */
    CHECK_OK(MAPIFreeBuffer(pMsg));
    CHECK(msg[4] == 0x11);
    /* ... also without a session; a plain ID in a MAPI block is released too. */
    eid = mapi_copy(msg, sizeof msg);
    CHECK_OK(HrDecomposeEID(NULL, sizeof msg, eid, &cbStore, &pStore, &cbMsg, &pMsg));
    CHECK(cbStore == 0 && pStore == NULL && same(pMsg, cbMsg, msg, sizeof msg));
    CHECK_HR((SCODE)MAPIFreeBuffer(eid), MAPI_E_INVALID_PARAMETER);
    CHECK_OK(MAPIFreeBuffer(pMsg));

    /* Refusals: nothing returned, the input kept. */
    eid = compound_a(&cb);
    cbStore = cbMsg = 99;
    pStore = pMsg = (LPENTRYID)1;
    CHECK_HR(HrDecomposeEID(NULL, cb, eid, &cbStore, &pStore, &cbMsg, &pMsg),
             MAPI_E_INVALID_PARAMETER);
    CHECK(pStore == NULL && pMsg == NULL && cbStore == 0 && cbMsg == 0);
    s->fail_with = MAPI_E_NO_ACCESS;
    CHECK_HR(HrDecomposeEID(&s->iface, cb, eid, &cbStore, &pStore, &cbMsg, &pMsg),
             MAPI_E_NO_ACCESS);
    CHECK(pStore == NULL && pMsg == NULL);
    s->fail_with = S_OK;
    /* A record key no store has. */
    LPENTRYID other = NULL;
    ULONG cbOther = 0;
    BYTE key_x[2] = {1, 2};
    CHECK_OK(HrComposeEID(NULL, sizeof key_x, key_x, sizeof msg, (LPENTRYID)msg, &cbOther, &other));
    drop_last_view(s);
    released = views_released;
    CHECK_HR(HrDecomposeEID(&s->iface, cbOther, other, &cbStore, &pStore, &cbMsg, &pMsg),
             MAPI_E_NOT_FOUND);
    drop_last_view(s);
    CHECK(pStore == NULL && pMsg == NULL && views_released == released + 1);
    CHECK_OK(MAPIFreeBuffer(other));
    /* Damaged compound IDs: our UID with sizes that do not add up. */
    BYTE damaged[64];
    memcpy(damaged, eid, cb);
    CHECK_HR(HrDecomposeEID(&s->iface, 24, (LPENTRYID)damaged, &cbStore, &pStore, &cbMsg, &pMsg),
             MAPI_E_INVALID_ENTRYID);
    CHECK_HR(HrDecomposeEID(&s->iface, cb - 4, (LPENTRYID)damaged, &cbStore, &pStore, &cbMsg,
                            &pMsg),
             MAPI_E_INVALID_ENTRYID);
    damaged[20] = 0xFF;
    CHECK_HR(HrDecomposeEID(&s->iface, cb, (LPENTRYID)damaged, &cbStore, &pStore, &cbMsg, &pMsg),
             MAPI_E_INVALID_ENTRYID);
    CHECK_HR(HrDecomposeEID(&s->iface, 3, (LPENTRYID)msg, &cbStore, &pStore, &cbMsg, &pMsg),
             MAPI_E_INVALID_ENTRYID);
    CHECK_HR(HrDecomposeEID(&s->iface, cb, NULL, &cbStore, &pStore, &cbMsg, &pMsg),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrDecomposeEID(&s->iface, cb, eid, NULL, &pStore, &cbMsg, &pMsg),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrDecomposeEID(&s->iface, cb, eid, &cbStore, &pStore, &cbMsg, NULL),
             MAPI_E_INVALID_PARAMETER);
    /* Still ours to free: nothing above released it. */
    CHECK_OK(MAPIFreeBuffer(eid));
    CHECK(s->refs == 1);
}

static void msg_ids(Session *s)
{
    LPSTR sz = NULL, sz2 = NULL;
    ULONG cb = 0, cbStore = 0, cbMsg = 0;
    LPENTRYID eid = NULL, pStore = NULL, pMsg = NULL;

    /* HrComposeMsgID is HrComposeEID then HrSzFromEntryID. */
    CHECK_OK(HrComposeMsgID(NULL, sizeof key_a, key_a, sizeof msg, (LPENTRYID)msg, &sz));
    eid = compound_a(&cb);
    CHECK_OK(HrSzFromEntryID(cb, eid, &sz2));
    CHECK(sz && sz2 && strcmp(sz, sz2) == 0 && strlen(sz) == 2 * cb);
    CHECK_OK(MAPIFreeBuffer(sz2));
    CHECK_OK(MAPIFreeBuffer(eid));

    /* HrDecomposeMsgID is HrEntryIDFromSz then HrDecomposeEID; the string is kept. */
    CHECK_OK(HrDecomposeMsgID(&s->iface, sz, &cbStore, &pStore, &cbMsg, &pMsg));
    CHECK(same(pStore, cbStore, store_a, sizeof store_a));
    CHECK(same(pMsg, cbMsg, msg, sizeof msg));
    CHECK_OK(MAPIFreeBuffer(pStore));
    CHECK_OK(MAPIFreeBuffer(pMsg));
    pStore = pMsg = (LPENTRYID)1;
    CHECK_HR(HrDecomposeMsgID(NULL, sz, &cbStore, &pStore, &cbMsg, &pMsg),
             MAPI_E_INVALID_PARAMETER);
    CHECK(pStore == NULL && pMsg == NULL);
    CHECK_OK(MAPIFreeBuffer(sz));

    /* No record key: the plain entry ID's string. */
    CHECK_OK(HrComposeMsgID(NULL, 0, NULL, sizeof msg, (LPENTRYID)msg, &sz));
    CHECK(sz && strcmp(sz, "01000000112233") == 0);
    CHECK_OK(HrDecomposeMsgID(NULL, sz, &cbStore, &pStore, &cbMsg, &pMsg));
    CHECK(cbStore == 0 && pStore == NULL && same(pMsg, cbMsg, msg, sizeof msg));
    CHECK_OK(MAPIFreeBuffer(pMsg));
    CHECK_OK(MAPIFreeBuffer(sz));

    /* Refusals. */
    sz = (LPSTR)1;
    CHECK_HR(HrComposeMsgID(NULL, 0, NULL, 2, (LPENTRYID)msg, &sz), MAPI_E_INVALID_ENTRYID);
    CHECK(sz == NULL);
    CHECK_HR(HrComposeMsgID(NULL, 0, NULL, sizeof msg, (LPENTRYID)msg, NULL),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrDecomposeMsgID(&s->iface, (LPSTR) "01000000112233x", &cbStore, &pStore, &cbMsg,
                              &pMsg),
             MAPI_E_INVALID_ENTRYID);
    CHECK_HR(HrDecomposeMsgID(&s->iface, NULL, &cbStore, &pStore, &cbMsg, &pMsg),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrDecomposeMsgID(&s->iface, (LPSTR) "01000000", &cbStore, NULL, &cbMsg, &pMsg),
             MAPI_E_INVALID_PARAMETER);
}

int main(void)
{
    Session s;
    session_init(&s);
    text();
    compose();
    if (s.stores) {
        decompose(&s);
        msg_ids(&s);
        drop_last_view(&s);
        CHECK(s.stores->lpVtbl->Release(s.stores) == 0);
    }
    return check_report("entryids");
}
