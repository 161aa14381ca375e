/* lockbytes.c - messages kept in memory and on a caller's own lock-bytes:
   CreateILockBytesOnHGlobal + StgCreateDocfileOnILockBytes + OpenIMsgOnIStg, the bytes taken
   back with GetHGlobalFromILockBytes/GlobalLock/GlobalSize and read again from a file and
   from a second lock-bytes (StgOpenStorageOnILockBytes); the ILockBytes methods; a lock-bytes
   written in C underneath our storage, including a full medium at commit; memory streams
   (CreateStreamOnHGlobal) and the HGLOBAL functions. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testdir.h"
#include "wide.h"

#define TAG_SUBJECT PROP_TAG(PT_UNICODE, 0x0037)
#define TAG_BODY PROP_TAG(PT_BINARY, 0x1000)
#define RW_EXCL (STGM_READWRITE | STGM_SHARE_EXCLUSIVE)

static ULARGE_INTEGER ul(ULONGLONG v)
{
    ULARGE_INTEGER u;
    u.QuadPart = v;
    return u;
}

/* Writes a message with a subject and a body of `body_len` bytes into `stg`, saves it (which
   commits the storage). */
static void write_message(IStorage *stg, const char *subject, ULONG body_len)
{
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL;
    SPropValue v[2];
    BYTE *body = (BYTE *)malloc(body_len ? body_len : 1);
    ULONG i;
    for (i = 0; i < body_len; i++)
        body[i] = (BYTE)(i * 7 + 3);
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (msg) {
        v[0].ulPropTag = TAG_SUBJECT;
        v[0].Value.lpszW = W(subject);
        v[1].ulPropTag = TAG_BODY;
        v[1].Value.bin.cb = body_len;
        v[1].Value.bin.lpb = body;
        CHECK_OK(msg->lpVtbl->SetProps(msg, 2, v, NULL));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
        msg->lpVtbl->Release(msg);
    }
    CloseIMsgSession(sess);
    free(body);
}

/* Opens the message in `stg` and checks its subject and body. */
static void check_message(IStorage *stg, const char *subject, ULONG body_len)
{
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL;
    SizedSPropTagArray(2, tags) = {2, {TAG_SUBJECT, TAG_BODY}};
    LPSPropValue got = NULL;
    ULONG n = 0, i, bad = 0;
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (msg) {
        CHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, MAPI_UNICODE, &n, &got));
        CHECK(n == 2 && got != NULL);
        if (got && n == 2) {
            CHECK(got[0].ulPropTag == TAG_SUBJECT && wide_eq(got[0].Value.lpszW, subject));
            CHECK(got[1].ulPropTag == TAG_BODY && got[1].Value.bin.cb == body_len);
            for (i = 0; got[1].ulPropTag == TAG_BODY && i < got[1].Value.bin.cb; i++)
                bad += got[1].Value.bin.lpb[i] != (BYTE)(i * 7 + 3);
            CHECK(bad == 0);
        }
        MAPIFreeBuffer(got);
        msg->lpVtbl->Release(msg);
    }
    CloseIMsgSession(sess);
}

/* ===== a lock-bytes written in C: memory with a capacity (a full medium past it) ===== */

typedef struct MemLockBytes {
    ILockBytes iface;
    ULONG refs;
    BYTE *data;
    size_t size;
    size_t capacity;
    int writes, flushes, set_sizes;
} MemLockBytes;

static MemLockBytes *impl(ILockBytes *p)
{
    return (MemLockBytes *)p;
}

static HRESULT STDMETHODCALLTYPE mlb_qi(ILockBytes *This, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ILockBytes)) {
        *out = This;
        impl(This)->refs++;
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE mlb_addref(ILockBytes *This)
{
    return ++impl(This)->refs;
}

static ULONG STDMETHODCALLTYPE mlb_release(ILockBytes *This)
{
    MemLockBytes *m = impl(This);
    ULONG left = --m->refs;
    if (left == 0) {
        free(m->data);
        free(m);
    }
    return left;
}

static HRESULT grow(MemLockBytes *m, size_t size)
{
    BYTE *p;
    if (size > m->capacity)
        return STG_E_MEDIUMFULL;
    if (size <= m->size)
        return S_OK;
    p = (BYTE *)realloc(m->data, size);
    if (!p)
        return STG_E_INSUFFICIENTMEMORY;
    memset(p + m->size, 0, size - m->size);
    m->data = p;
    m->size = size;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE mlb_read(ILockBytes *This, ULARGE_INTEGER off, void *pv, ULONG cb,
                                          ULONG *read)
{
    MemLockBytes *m = impl(This);
    size_t n = 0;
    if (off.QuadPart < m->size) {
        n = m->size - (size_t)off.QuadPart;
        if (n > cb)
            n = cb;
        memcpy(pv, m->data + off.QuadPart, n);
    }
    if (read)
        *read = (ULONG)n;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE mlb_write(ILockBytes *This, ULARGE_INTEGER off, const void *pv,
                                           ULONG cb, ULONG *written)
{
    MemLockBytes *m = impl(This);
    HRESULT hr = grow(m, (size_t)off.QuadPart + cb);
    if (written)
        *written = 0;
    if (FAILED(hr))
        return hr;
    memcpy(m->data + off.QuadPart, pv, cb);
    m->writes++;
    if (written)
        *written = cb;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE mlb_flush(ILockBytes *This)
{
    impl(This)->flushes++;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE mlb_setsize(ILockBytes *This, ULARGE_INTEGER cb)
{
    MemLockBytes *m = impl(This);
    HRESULT hr = grow(m, (size_t)cb.QuadPart);
    m->set_sizes++;
    if (FAILED(hr))
        return hr;
    m->size = (size_t)cb.QuadPart;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE mlb_lock(ILockBytes *This, ULARGE_INTEGER a, ULARGE_INTEGER b, DWORD t)
{
    (void)This, (void)a, (void)b, (void)t;
    return STG_E_INVALIDFUNCTION;
}

static HRESULT STDMETHODCALLTYPE mlb_stat(ILockBytes *This, STATSTG *st, DWORD flag)
{
    (void)flag;
    memset(st, 0, sizeof *st);
    st->type = STGTY_LOCKBYTES;
    st->cbSize.QuadPart = impl(This)->size;
    return S_OK;
}

/* Not const: the SDK headers declare lpVtbl to a non-const vtable (unless CONST_VTABLE). */
static ILockBytesVtbl mem_lockbytes_vtbl = {
    mlb_qi, mlb_addref, mlb_release, mlb_read, mlb_write, mlb_flush, mlb_setsize, mlb_lock, mlb_lock,
    mlb_stat,
};

static MemLockBytes *new_mem_lockbytes(size_t capacity)
{
    MemLockBytes *m = (MemLockBytes *)calloc(1, sizeof *m);
    m->iface.lpVtbl = &mem_lockbytes_vtbl;
    m->refs = 1;
    m->capacity = capacity;
    return m;
}

/* ===== the tests ===== */

/* The flow of programs that keep a message in memory: HGLOBAL lock-bytes, a message saved
   into it, the bytes taken out with GlobalLock/GlobalSize and written to a file. */
static void message_in_memory(void)
{
    ILockBytes *lb = NULL, *lb2 = NULL;
    IStorage *stg = NULL, *again = NULL;
    HGLOBAL h = NULL, h2;
    BYTE *mem, *copy;
    SIZE_T size;
    STATSTG st;
    ULONG n = 0;
    BYTE head[8];
    char path[256];
    WCHAR wpath[256];
    FILE *f;
    static const BYTE signature[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

    CHECK_OK(CreateILockBytesOnHGlobal(NULL, TRUE, &lb));
    CHECK(lb != NULL);
    if (!lb)
        return;
    CHECK_HR(StgIsStorageILockBytes(lb), S_FALSE);
    CHECK_OK(StgCreateDocfileOnILockBytes(lb, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE, 0, &stg));
    CHECK(stg != NULL);
    if (!stg)
        return;
    CHECK_OK(WriteClassStg(stg, &CLSID_MailMessage));
    write_message(stg, "kept in memory", 70000);
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    /* A storage on a lock-bytes has no name. */
    CHECK_OK(stg->lpVtbl->Stat(stg, &st, STATFLAG_DEFAULT));
    CHECK(st.pwcsName == NULL && st.type == STGTY_STORAGE);
    CHECK(IsEqualCLSID(&st.clsid, &CLSID_MailMessage));

    /* The ILockBytes methods. */
    CHECK_HR(StgIsStorageILockBytes(lb), S_OK);
    CHECK_OK(lb->lpVtbl->Stat(lb, &st, STATFLAG_NONAME));
    CHECK(st.type == STGTY_LOCKBYTES && st.cbSize.QuadPart > 70000 && st.pwcsName == NULL);
    CHECK_OK(lb->lpVtbl->ReadAt(lb, ul(0), head, sizeof head, &n));
    CHECK(n == 8 && memcmp(head, signature, 8) == 0);
    CHECK_OK(lb->lpVtbl->ReadAt(lb, ul(st.cbSize.QuadPart - 4), head, sizeof head, &n));
    CHECK(n == 4);
    CHECK_HR(lb->lpVtbl->LockRegion(lb, ul(0), ul(1), LOCK_EXCLUSIVE), STG_E_INVALIDFUNCTION);
    CHECK_OK(lb->lpVtbl->Flush(lb));

    /* The bytes, as a program takes them to write a .msg file. */
    CHECK_OK(GetHGlobalFromILockBytes(lb, &h));
    CHECK(h != NULL);
    size = GlobalSize(h);
    CHECK(size == st.cbSize.QuadPart);
    mem = (BYTE *)GlobalLock(h);
    CHECK(mem != NULL && memcmp(mem, signature, 8) == 0);
    test_path("from-memory.msg", path, wpath);
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fwrite(mem, 1, size, f) == size);
        fclose(f);
    }
    copy = (BYTE *)malloc(size);
    memcpy(copy, mem, size);
    GlobalUnlock(h);
    stg->lpVtbl->Release(stg);
    stg = NULL;

    /* The file reads back through our own storage. */
    CHECK_OK(StgOpenStorage(wpath, NULL, STGM_READ | STGM_SHARE_DENY_WRITE, NULL, 0, &again));
    if (again) {
        check_message(again, "kept in memory", 70000);
        again->lpVtbl->Release(again);
    }

    /* A second lock-bytes over a caller's own GlobalAlloc block holding the same bytes. */
    h2 = GlobalAlloc(GMEM_MOVEABLE, size);
    CHECK(h2 != NULL);
    mem = (BYTE *)GlobalLock(h2);
    memcpy(mem, copy, size);
    CHECK(GlobalUnlock(h2) == 0);
    CHECK_OK(CreateILockBytesOnHGlobal(h2, FALSE, &lb2));
    CHECK_OK(StgOpenStorageOnILockBytes(lb2, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &again));
    if (again) {
        check_message(again, "kept in memory", 70000);
        again->lpVtbl->Release(again);
    }
    CHECK(lb2->lpVtbl->Release(lb2) == 0);
    /* fDeleteOnRelease FALSE: the block is still the caller's. */
    CHECK(GlobalSize(h2) == size);
    CHECK(GlobalFree(h2) == NULL);
    CHECK(GlobalSize(h2) == 0);
    free(copy);

    CHECK(lb->lpVtbl->Release(lb) == 0);
    /* fDeleteOnRelease TRUE: freed with the lock-bytes (and its storage). */
    CHECK(GlobalSize(h) == 0);
    CHECK(GlobalLock(h) == NULL);

    /* Refusals. */
    CHECK_HR(CreateILockBytesOnHGlobal((HGLOBAL)(uintptr_t)0x1234, FALSE, &lb), E_INVALIDARG);
    CHECK(lb == NULL);
    CHECK_HR(CreateILockBytesOnHGlobal(NULL, TRUE, NULL), E_INVALIDARG);
    CHECK_HR(StgCreateDocfileOnILockBytes(NULL, RW_EXCL | STGM_CREATE, 0, &stg), STG_E_INVALIDPOINTER);
}

/* Our storage on a lock-bytes implemented here in C: written only at commit, read back,
   and a medium too small for the next commit leaves the previous content in place. */
static void storage_on_callers_lockbytes(void)
{
    MemLockBytes *m = new_mem_lockbytes(1 << 22);
    IStorage *stg = NULL;
    BYTE *before;
    size_t before_size;
    IStream *s = NULL;
    ULONG written = 0;
    static BYTE big[300000];

    CHECK_OK(StgCreateDocfileOnILockBytes(&m->iface, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE, 0, &stg));
    if (!stg)
        return;
    /* Our storage holds its own reference. */
    CHECK(m->refs == 2);
    write_message(stg, "on the caller's lock-bytes", 5000);
    CHECK(m->size > 5000 && m->flushes >= 1);
    CHECK(stg->lpVtbl->Release(stg) == 0);
    CHECK(m->refs == 1);

    /* Reopen from it, check, then try to commit more than the medium holds. */
    CHECK_OK(StgOpenStorageOnILockBytes(&m->iface, NULL, STGM_READWRITE | STGM_TRANSACTED, NULL, 0, &stg));
    if (!stg)
        return;
    check_message(stg, "on the caller's lock-bytes", 5000);
    before_size = m->size;
    before = (BYTE *)malloc(before_size);
    memcpy(before, m->data, before_size);
    m->capacity = before_size + 100000;
    m->writes = 0;
    CHECK_OK(stg->lpVtbl->CreateStream(stg, W("too big"), RW_EXCL, 0, 0, &s));
    if (s) {
        memset(big, 0x5A, sizeof big);
        CHECK_OK(s->lpVtbl->Write(s, big, sizeof big, &written));
        s->lpVtbl->Release(s);
    }
    CHECK_HR(stg->lpVtbl->Commit(stg, STGC_DEFAULT), STG_E_MEDIUMFULL);
    /* Refused when growing, before any byte was overwritten. */
    CHECK(m->writes == 0);
    CHECK(m->size == before_size && memcmp(m->data, before, before_size) == 0);
    /* With room again, the same changes commit. */
    m->capacity = 1 << 22;
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    CHECK(m->size > before_size + sizeof big);
    CHECK(stg->lpVtbl->Release(stg) == 0);
    free(before);

    /* Not a compound file. */
    m->size = 4;
    CHECK_HR(StgOpenStorageOnILockBytes(&m->iface, NULL, STGM_READ, NULL, 0, &stg), STG_E_FILEALREADYEXISTS);
    CHECK_HR(StgIsStorageILockBytes(&m->iface), S_FALSE);
    CHECK(m->iface.lpVtbl->Release(&m->iface) == 0);
}

static void memory_streams(void)
{
    IStream *s = NULL, *c = NULL;
    HGLOBAL h = NULL, mine;
    ULONG n = 0;
    char buf[32];
    ULARGE_INTEGER pos;
    LARGE_INTEGER zero, back;
    STATSTG st;
    BYTE *p;

    zero.QuadPart = 0;
    CHECK_OK(CreateStreamOnHGlobal(NULL, TRUE, &s));
    if (!s)
        return;
    CHECK_OK(s->lpVtbl->Write(s, "hello, world", 12, &n));
    CHECK(n == 12);
    CHECK_OK(s->lpVtbl->Clone(s, &c));
    back.QuadPart = -5;
    CHECK_OK(c->lpVtbl->Seek(c, back, STREAM_SEEK_CUR, &pos));
    CHECK(pos.QuadPart == 7);
    CHECK_OK(c->lpVtbl->Read(c, buf, sizeof buf, &n));
    CHECK(n == 5 && memcmp(buf, "world", 5) == 0);
    /* The original's position did not move; both see the same content. */
    CHECK_OK(s->lpVtbl->Write(s, "!", 1, &n));
    CHECK_OK(c->lpVtbl->Read(c, buf, sizeof buf, &n));
    CHECK(n == 1 && buf[0] == '!');
    CHECK_OK(s->lpVtbl->Stat(s, &st, STATFLAG_DEFAULT));
    CHECK(st.type == STGTY_STREAM && st.cbSize.QuadPart == 13 && st.pwcsName == NULL);
    CHECK_OK(GetHGlobalFromStream(s, &h));
    CHECK(GlobalSize(h) == 13);
    p = (BYTE *)GlobalLock(h);
    CHECK(p && memcmp(p, "hello, world!", 13) == 0);
    GlobalUnlock(h);
    CHECK_OK(s->lpVtbl->SetSize(s, ul(5)));
    CHECK(GlobalSize(h) == 5);
    c->lpVtbl->Release(c);
    CHECK(s->lpVtbl->Release(s) == 0);
    CHECK(GlobalSize(h) == 0);

    /* Over a block of the caller's, kept after the stream. */
    mine = GlobalAlloc(GMEM_FIXED | GMEM_ZEROINIT, 4);
    CHECK(mine != NULL && GlobalLock(mine) == mine);
    memcpy(mine, "abcd", 4);
    CHECK_OK(CreateStreamOnHGlobal(mine, FALSE, &s));
    if (s) {
        CHECK_OK(s->lpVtbl->Read(s, buf, sizeof buf, &n));
        CHECK(n == 4 && memcmp(buf, "abcd", 4) == 0);
        CHECK_OK(s->lpVtbl->Seek(s, zero, STREAM_SEEK_SET, NULL));
        CHECK_OK(s->lpVtbl->Write(s, "AB", 2, &n));
        CHECK_OK(GetHGlobalFromStream(s, &h));
        CHECK(h == mine);
        CHECK(s->lpVtbl->Release(s) == 0);
    }
    CHECK(memcmp(mine, "ABcd", 4) == 0);
    CHECK(GlobalFree(mine) == NULL);
    CHECK_HR(CreateStreamOnHGlobal(mine, FALSE, &s), E_INVALIDARG);
    CHECK_HR(GetHGlobalFromStream(NULL, &h), E_INVALIDARG);
}

static void hglobal_functions(void)
{
    HGLOBAL h = GlobalAlloc(GHND, 10), h2;
    BYTE *p;
    int i, zero = 1;
    CHECK(h != NULL);
    CHECK(GlobalSize(h) == 10);
    p = (BYTE *)GlobalLock(h);
    for (i = 0; i < 10; i++)
        zero &= p[i] == 0;
    CHECK(zero);
    memcpy(p, "0123456789", 10);
    CHECK(GlobalLock(h) == p);
    CHECK(GlobalUnlock(h) != 0); /* still locked once */
    CHECK(GlobalUnlock(h) == 0);
    h2 = GlobalReAlloc(h, 100000, GMEM_MOVEABLE);
    CHECK(h2 == h && GlobalSize(h) == 100000);
    p = (BYTE *)GlobalLock(h);
    CHECK(memcmp(p, "0123456789", 10) == 0 && p[99999] == 0);
    GlobalUnlock(h);
    CHECK(GlobalFree(h) == NULL);
    CHECK(GlobalFree(h) == h);
    CHECK(GlobalFree(NULL) == NULL);
    CHECK(GlobalSize(NULL) == 0 && GlobalLock(NULL) == NULL);

    /* A fixed block cannot grow in place without GMEM_MOVEABLE; it can shrink. */
    h = GlobalAlloc(GPTR, 16);
    CHECK(h != NULL && GlobalLock(h) == h);
    CHECK(GlobalReAlloc(h, 1 << 20, 0) == NULL);
    CHECK(GlobalSize(h) == 16);
    CHECK(GlobalReAlloc(h, 8, 0) == h && GlobalSize(h) == 8);
    h2 = GlobalReAlloc(h, 1 << 20, GMEM_MOVEABLE);
    CHECK(h2 != NULL && GlobalSize(h2) == (1u << 20));
    CHECK(GlobalFree(h2) == NULL);
}

int main(void)
{
    if (!test_dir_create("imsg-lockbytes"))
        return 1;
    message_in_memory();
    storage_on_callers_lockbytes();
    memory_streams();
    hglobal_functions();
    test_dir_remove();
    return check_report("lockbytes");
}
