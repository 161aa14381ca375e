/* api_errors.c - argument checking, error codes, lifetimes and memory ownership of the C
   API (spec/mapi-abi.md §1, §10, §11; spec/callers.md §3.1), through the C interface form
   (lpVtbl). Every check asserts a value; each test function starts from its own file. */
/* mkdtemp, syscall. Not _GNU_SOURCE: <fcntl.h> would then define LOCK_WRITE too. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "imessage.h"
#include "testdir.h"

/* Tags from mapitags.h (not part of our headers yet). */
#ifndef PR_SUBJECT_A
#define PR_SUBJECT_A PROP_TAG(PT_STRING8, 0x0037)
#endif
#ifndef PR_MESSAGE_FLAGS
#define PR_MESSAGE_FLAGS PROP_TAG(PT_LONG, 0x0E07)
#endif
#ifndef PR_ACCESS
#define PR_ACCESS PROP_TAG(PT_LONG, 0x0FF4)
#endif
#ifndef PR_ACCESS_LEVEL
#define PR_ACCESS_LEVEL PROP_TAG(PT_LONG, 0x0FF7)
#endif
#ifndef PR_OBJECT_TYPE
#define PR_OBJECT_TYPE PROP_TAG(PT_LONG, 0x0FFE)
#endif
#ifndef PR_STORE_SUPPORT_MASK
#define PR_STORE_SUPPORT_MASK PROP_TAG(PT_LONG, 0x340D)
#endif

/* Test properties in the 0x66xx range, one id per purpose. */
#define TAG(type, n) PROP_TAG(type, 0x6600 + (n))

#define RW_MODE (STGM_READWRITE | STGM_TRANSACTED)
#define CHILD_RW (STGM_READWRITE | STGM_SHARE_EXCLUSIVE)

static const GUID other_clsid = {0x12345678u, 0x9ABC, 0xDEF0, {1, 2, 3, 4, 5, 6, 7, 8}};

/* ===== helpers ===== */

static IStorage *create_stg(const char *name)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    test_path(name, path, wpath);
    CHECK_OK(StgCreateDocfile(wpath, RW_MODE | STGM_CREATE, 0, &stg));
    return stg;
}

static IStorage *open_stg(const char *name, DWORD mode)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    test_path(name, path, wpath);
    CHECK_OK(StgOpenStorage(wpath, NULL, mode, NULL, 0, &stg));
    return stg;
}

/* A message on `stg` with MAPI's own allocators. */
static LPMESSAGE open_msg(LPMSGSESS sess, IStorage *stg, ULONG flags)
{
    LPMESSAGE msg = NULL;
    if (!stg)
        return NULL;
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, flags, &msg));
    return msg;
}

/* The storage's reference count, seen through AddRef/Release. */
static ULONG stg_refs(IStorage *stg)
{
    stg->lpVtbl->AddRef(stg);
    return stg->lpVtbl->Release(stg);
}

static HRESULT get1(LPMESSAGE msg, ULONG tag, LPSPropValue *out)
{
    SizedSPropTagArray(1, tags);
    ULONG n = 0;
    HRESULT hr;
    tags.cValues = 1;
    tags.aulPropTag[0] = tag;
    *out = NULL;
    hr = msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &n, out);
    if (SUCCEEDED(hr))
        CHECK(n == 1 && *out != NULL);
    return hr;
}

/* The value of a PT_LONG property, or `missing` when the slot is an error. */
static LONG get_long(LPMESSAGE msg, ULONG tag, LONG missing)
{
    LPSPropValue v = NULL;
    LONG r = missing;
    if (SUCCEEDED(get1(msg, tag, &v)) && v && v->ulPropTag == tag)
        r = v->Value.l;
    MAPIFreeBuffer(v);
    return r;
}

/* Whether the PT_STRING8 form of `tag` equals `want` (NULL: the property must be absent). */
static int has_string8(LPMESSAGE msg, ULONG tag, const char *want)
{
    LPSPropValue v = NULL;
    int same;
    HRESULT hr = get1(msg, tag, &v);
    if (!want)
        same = hr == MAPI_W_ERRORS_RETURNED && v && PROP_TYPE(v->ulPropTag) == PT_ERROR &&
               v->Value.err == MAPI_E_NOT_FOUND;
    else
        same = hr == S_OK && v && v->ulPropTag == tag && strcmp(v->Value.lpszA, want) == 0;
    MAPIFreeBuffer(v);
    return same;
}

/* Whether GetProps reports `tag` as not found. */
static int absent(LPMESSAGE msg, ULONG tag)
{
    LPSPropValue v = NULL;
    int r = get1(msg, tag, &v) == MAPI_W_ERRORS_RETURNED && v && v->ulPropTag == CHANGE_PROP_TYPE(tag, PT_ERROR) &&
            v->Value.err == MAPI_E_NOT_FOUND;
    MAPIFreeBuffer(v);
    return r;
}

/* The number of properties GetPropList lists. */
static ULONG prop_count(LPMESSAGE msg)
{
    LPSPropTagArray list = NULL;
    ULONG n = 0;
    CHECK_OK(msg->lpVtbl->GetPropList(msg, 0, &list));
    if (list)
        n = list->cValues;
    MAPIFreeBuffer(list);
    return n;
}

static HRESULT set_long(LPMESSAGE msg, ULONG tag, LONG value)
{
    SPropValue v;
    memset(&v, 0, sizeof(v));
    v.ulPropTag = tag;
    v.Value.l = value;
    return msg->lpVtbl->SetProps(msg, 1, &v, NULL);
}

static HRESULT set_string8(LPMESSAGE msg, ULONG tag, const char *s)
{
    SPropValue v;
    memset(&v, 0, sizeof(v));
    v.ulPropTag = tag;
    v.Value.lpszA = (LPSTR)s;
    return msg->lpVtbl->SetProps(msg, 1, &v, NULL);
}

static LPSPropValue find_prop(LPSPropValue props, ULONG n, ULONG tag)
{
    ULONG i;
    for (i = 0; props && i < n; i++)
        if (props[i].ulPropTag == tag)
            return &props[i];
    return NULL;
}

static ULONG write_bytes(IStream *stm, const void *data, ULONG cb)
{
    ULONG done = 0;
    CHECK_OK(stm->lpVtbl->Write(stm, data, cb, &done));
    return done;
}

static ULONG read_bytes(IStream *stm, void *buf, ULONG cb)
{
    ULONG done = 0;
    CHECK_OK(stm->lpVtbl->Read(stm, buf, cb, &done));
    return done;
}

static ULONGLONG seek(IStream *stm, LONGLONG move, DWORD origin)
{
    LARGE_INTEGER li;
    ULARGE_INTEGER pos;
    li.QuadPart = move;
    pos.QuadPart = 0xDEADBEEF;
    CHECK_OK(stm->lpVtbl->Seek(stm, li, origin, &pos));
    return pos.QuadPart;
}

static int wide_eq(const WCHAR *a, const char *b)
{
    while (*a && *b && *a == (WCHAR)(unsigned char)*b) {
        a++;
        b++;
    }
    return *a == 0 && *b == 0;
}

/* ===== OpenIMsgSession / CloseIMsgSession ===== */

static void test_sessions(void)
{
    LPMSGSESS sess = NULL, other = NULL;
    IMalloc *malloc_ = MAPIGetDefaultMalloc();
    IStorage *stg;
    LPMESSAGE msg;
    int not_a_session = 0;
    ULONG flags;

    CHECK_OK(OpenIMsgSession(malloc_, 0, &sess));
    CHECK(sess != NULL);
    other = (LPMSGSESS)&not_a_session;
    CHECK_HR(OpenIMsgSession(NULL, 0, &other), MAPI_E_INVALID_PARAMETER);
    CHECK(other == NULL);
    CHECK_HR(OpenIMsgSession(malloc_, 0, NULL), MAPI_E_INVALID_PARAMETER);

    /* MAPI_UNICODE is accepted; every other bit is refused with the documented name,
       which has the value of MAPI_E_UNKNOWN_FLAGS. */
    CHECK((ULONG)MAPI_E_UNKNOWN_FLAGS == 0x80040106u);
    CHECK(MAPI_E_INVALID_FLAGS == MAPI_E_UNKNOWN_FLAGS);
    CHECK_OK(OpenIMsgSession(malloc_, MAPI_UNICODE, &other));
    CHECK(other != NULL && other != sess);
    CloseIMsgSession(other);
    for (flags = 1; flags != MAPI_UNICODE; flags <<= 1) {
        other = (LPMSGSESS)&not_a_session;
        CHECK_HR(OpenIMsgSession(malloc_, flags, &other), MAPI_E_INVALID_FLAGS);
        CHECK(other == NULL);
    }
    CHECK_HR(OpenIMsgSession(malloc_, MAPI_UNICODE | IMSG_NO_ISTG_COMMIT, &other), MAPI_E_INVALID_FLAGS);

    /* Closing NULL, a pointer that is no session, or a closed session does nothing: a
       message of a live session stays usable. */
    stg = create_stg("sessions.msg");
    msg = open_msg(sess, stg, 0);
    CloseIMsgSession(NULL);
    CloseIMsgSession((LPMSGSESS)&not_a_session);
    CloseIMsgSession((LPMSGSESS)(uintptr_t)0x5551);
    CHECK_OK(OpenIMsgSession(malloc_, 0, &other));
    CloseIMsgSession(other);
    CloseIMsgSession(other);
    if (msg) {
        CHECK_OK(set_long(msg, TAG(PT_LONG, 1), 5));
        CHECK(get_long(msg, TAG(PT_LONG, 1), -1) == 5);
    }
    CloseIMsgSession(sess);
    CloseIMsgSession(sess);
    if (msg) {
        CHECK_HR(set_long(msg, TAG(PT_LONG, 1), 6), MAPI_E_OBJECT_DELETED);
        CHECK(msg->lpVtbl->Release(msg) == 0);
    }
    if (stg)
        CHECK(stg->lpVtbl->Release(stg) == 0);
}

/* ===== OpenIMsgOnIStg arguments and the storage reference ===== */

static int dummy_support; /* stands for an IMAPISupport the library must never call */

static void test_open_args(void)
{
    IStorage *stg = create_stg("args.msg"), *wo = NULL, *sub = NULL;
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL;
    LPMESSAGE const garbage = (LPMESSAGE)&dummy_support;
    LPSPropValue v = NULL;
    char path[256];
    WCHAR wpath[256];
    ULONG flags;

    if (!stg)
        return;
    CHECK(stg_refs(stg) == 1);

    /* No session, no support object, no callback: the common case. */
    msg = open_msg(NULL, stg, 0);
    CHECK(msg != NULL);
    if (msg)
        CHECK(msg->lpVtbl->Release(msg) == 0);

    msg = garbage;
    CHECK_HR(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, NULL, NULL, 0, 0, &msg),
             MAPI_E_INVALID_PARAMETER);
    CHECK(msg == NULL);
    CHECK_HR(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, 0, NULL),
             MAPI_E_INVALID_PARAMETER);

    /* The allocators are optional only with a support object. */
    msg = garbage;
    CHECK_HR(OpenIMsgOnIStg(NULL, NULL, NULL, NULL, MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, 0, &msg),
             MAPI_E_INVALID_PARAMETER);
    CHECK(msg == NULL);
    CHECK_HR(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, NULL, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, 0, &msg),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(OpenIMsgOnIStg(NULL, NULL, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, 0, &msg),
             MAPI_E_INVALID_PARAMETER);
    CHECK_OK(OpenIMsgOnIStg(NULL, NULL, NULL, NULL, MAPIGetDefaultMalloc(), &dummy_support, stg,
                            NULL, 0, 0, &msg));
    if (msg) {
        /* Results then come from MAPIAllocateBuffer. */
        CHECK_OK(get1(msg, PR_OBJECT_TYPE, &v));
        CHECK(v && v->Value.l == MAPI_MESSAGE);
        CHECK_OK(MAPIFreeBuffer(v));
        CHECK(msg->lpVtbl->Release(msg) == 0);
    }

    /* Flags: IMSG_NO_ISTG_COMMIT | MAPI_UNICODE and nothing else. */
    for (flags = 2; flags != 0; flags <<= 1) {
        if (flags == MAPI_UNICODE)
            continue;
        msg = garbage;
        CHECK_HR(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                                MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, flags, &msg),
                 MAPI_E_UNKNOWN_FLAGS);
        CHECK(msg == NULL);
    }
    msg = open_msg(NULL, stg, IMSG_NO_ISTG_COMMIT | MAPI_UNICODE);
    CHECK(msg != NULL);
    if (msg)
        msg->lpVtbl->Release(msg);

    /* Write-only storages are refused: a root and a sub-storage. */
    test_path("write-only.msg", path, wpath);
    CHECK_OK(StgCreateDocfile(wpath, STGM_WRITE | STGM_TRANSACTED | STGM_CREATE, 0, &wo));
    if (wo) {
        msg = garbage;
        CHECK_HR(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                                MAPIGetDefaultMalloc(), NULL, wo, NULL, 0, 0, &msg),
                 MAPI_E_NO_ACCESS);
        CHECK(msg == NULL);
        CHECK(stg_refs(wo) == 1);
        wo->lpVtbl->Release(wo);
    }
    CHECK_OK(stg->lpVtbl->CreateStorage(stg, u"WriteOnly", STGM_WRITE | STGM_SHARE_EXCLUSIVE, 0, 0, &sub));
    if (sub) {
        CHECK_HR(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                                MAPIGetDefaultMalloc(), NULL, sub, NULL, 0, 0, &msg),
                 MAPI_E_NO_ACCESS);
        CHECK(msg == NULL);
        sub->lpVtbl->Release(sub);
    }
    CHECK_OK(stg->lpVtbl->DestroyElement(stg, u"WriteOnly"));

    /* Session handles: unknown and closed ones are refused. */
    msg = garbage;
    CHECK_HR(OpenIMsgOnIStg((LPMSGSESS)&dummy_support, MAPIAllocateBuffer, MAPIAllocateMore,
                            MAPIFreeBuffer, MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, 0, &msg),
             MAPI_E_INVALID_PARAMETER);
    CHECK(msg == NULL);
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CloseIMsgSession(sess);
    CHECK_HR(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, 0, &msg),
             MAPI_E_INVALID_PARAMETER);
    CHECK(msg == NULL);

    /* None of the failed calls kept a reference; a successful one keeps exactly one until
       the message's last Release. */
    CHECK(stg_refs(stg) == 1);
    msg = open_msg(NULL, stg, 0);
    CHECK(stg_refs(stg) == 2);
    if (msg) {
        CHECK(msg->lpVtbl->Release(msg) == 0);
        CHECK(stg_refs(stg) == 1);
    }

    /* Callers release their storage right after the open (spec/callers.md P5): the
       message keeps working, saves, and the file has the value. */
    msg = open_msg(NULL, stg, 0);
    CHECK(stg->lpVtbl->Release(stg) == 1);
    stg = NULL;
    if (msg) {
        CHECK_OK(set_string8(msg, PR_SUBJECT_A, "kept alive"));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
        CHECK(has_string8(msg, PR_SUBJECT_A, "kept alive"));
        CHECK(msg->lpVtbl->Release(msg) == 0);
    }
    stg = open_stg("args.msg", STGM_READ | STGM_TRANSACTED);
    msg = open_msg(NULL, stg, 0);
    if (msg) {
        CHECK(has_string8(msg, PR_SUBJECT_A, "kept alive"));
        msg->lpVtbl->Release(msg);
    }
    if (stg)
        CHECK(stg->lpVtbl->Release(stg) == 0);
}

/* ===== MSGCALLRELEASE ===== */

static int cb_calls;
static ULONG cb_data;
static LPMESSAGE cb_msg;

static void STDAPICALLTYPE on_release(ULONG data, LPMESSAGE msg)
{
    cb_calls++;
    cb_data = data;
    cb_msg = msg;
}

static LPMESSAGE open_with_callback(LPMSGSESS sess, IStorage *stg, ULONG data)
{
    LPMESSAGE msg = NULL;
    cb_calls = 0;
    cb_data = 0;
    cb_msg = NULL;
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, on_release, data, 0, &msg));
    return msg;
}

static void test_release_callback(void)
{
    IStorage *stg = create_stg("callback.msg");
    LPMSGSESS sess = NULL;
    LPMESSAGE msg;

    if (!stg)
        return;
    /* No session: at the last Release of the message, not before. */
    msg = open_with_callback(NULL, stg, 0xC0FFEE12u);
    if (msg) {
        CHECK(msg->lpVtbl->AddRef(msg) == 2);
        CHECK(msg->lpVtbl->Release(msg) == 1);
        CHECK(cb_calls == 0);
        CHECK(msg->lpVtbl->Release(msg) == 0);
        CHECK(cb_calls == 1);
        CHECK(cb_data == 0xC0FFEE12u);
        CHECK(cb_msg == msg);
    }

    /* In a session, at CloseIMsgSession while the caller still holds the message, and
       never again at its Release. */
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    msg = open_with_callback(sess, stg, 7);
    CloseIMsgSession(sess);
    CHECK(cb_calls == 1);
    CHECK(cb_data == 7);
    CHECK(cb_msg == msg);
    if (msg)
        CHECK(msg->lpVtbl->Release(msg) == 0);
    CHECK(cb_calls == 1);

    /* In a session, released before the close: once, at the Release. */
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    msg = open_with_callback(sess, stg, 8);
    if (msg)
        CHECK(msg->lpVtbl->Release(msg) == 0);
    CHECK(cb_calls == 1 && cb_data == 8 && cb_msg == msg);
    CloseIMsgSession(sess);
    CHECK(cb_calls == 1);

    CHECK(stg->lpVtbl->Release(stg) == 0);
}

/* ===== CloseIMsgSession with messages still referenced ===== */

static void test_session_close(void)
{
    IStorage *stg = create_stg("close.msg");
    LPMSGSESS sess = NULL;
    LPMESSAGE msg;
    IStream *stm = NULL;
    IUnknown *unk = (IUnknown *)&dummy_support;
    LPSPropValue props = (LPSPropValue)&dummy_support;
    LPSPropTagArray list = NULL;
    LPSPropAttrArray attrs = NULL;
    SizedSPropTagArray(1, tags) = {1, {PR_SUBJECT_A}};
    ULONG count = 99, n = 0;
    BYTE buf[8];
    STATSTG st;

    if (!stg)
        return;
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    msg = open_with_callback(sess, stg, 42);
    if (!msg) {
        stg->lpVtbl->Release(stg);
        return;
    }
    CHECK_OK(set_string8(msg, PR_SUBJECT_A, "saved"));
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
    /* Unsaved changes, and a property stream with pending writes. */
    CHECK_OK(set_string8(msg, PR_SUBJECT_A, "unsaved"));
    CHECK_OK(set_long(msg, TAG(PT_LONG, 2), 99));
    CHECK_OK(msg->lpVtbl->OpenProperty(msg, TAG(PT_BINARY, 3), &IID_IStream, STGM_READWRITE,
                                       MAPI_MODIFY | MAPI_CREATE, (LPUNKNOWN *)&stm));
    if (stm)
        CHECK(write_bytes(stm, "abcd", 4) == 4);
    CHECK(stg_refs(stg) == 2);

    CloseIMsgSession(sess);
    CHECK(cb_calls == 1 && cb_msg == msg && cb_data == 42);
    /* The message gave its storage reference back. */
    CHECK(stg_refs(stg) == 1);

    CHECK_HR(msg->lpVtbl->GetProps(msg, NULL, 0, &count, &props), MAPI_E_OBJECT_DELETED);
    CHECK(props == NULL && count == 0);
    CHECK_HR(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &count, &props), MAPI_E_OBJECT_DELETED);
    CHECK_HR(set_string8(msg, PR_SUBJECT_A, "after close"), MAPI_E_OBJECT_DELETED);
    CHECK_HR(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE), MAPI_E_OBJECT_DELETED);
    CHECK_HR(msg->lpVtbl->OpenProperty(msg, PR_SUBJECT_A, &IID_IStream, 0, 0, &unk), MAPI_E_OBJECT_DELETED);
    CHECK(unk == NULL);
    CHECK_HR(msg->lpVtbl->GetPropList(msg, 0, &list), MAPI_E_OBJECT_DELETED);
    CHECK(list == NULL);
    CHECK_HR(msg->lpVtbl->DeleteProps(msg, (LPSPropTagArray)&tags, NULL), MAPI_E_OBJECT_DELETED);
    CHECK_HR(GetAttribIMsgOnIStg(msg, (LPSPropTagArray)&tags, &attrs), MAPI_E_OBJECT_DELETED);
    CHECK(attrs == NULL);
    if (stm) {
        /* The stream was closed with its message. */
        CHECK_HR(stm->lpVtbl->Read(stm, buf, sizeof(buf), &n), MAPI_E_OBJECT_DELETED);
        CHECK_HR(stm->lpVtbl->Write(stm, "efgh", 4, &n), MAPI_E_OBJECT_DELETED);
        CHECK_HR(stm->lpVtbl->Commit(stm, STGC_DEFAULT), MAPI_E_OBJECT_DELETED);
        CHECK_HR(stm->lpVtbl->Stat(stm, &st, STATFLAG_NONAME), MAPI_E_OBJECT_DELETED);
        CHECK(stm->lpVtbl->Release(stm) == 0);
    }
    CHECK(msg->lpVtbl->Release(msg) == 0);
    CHECK(cb_calls == 1);

    /* Nothing unsaved reached the storage: even the caller's own Commit writes the saved
       state only. */
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    CHECK(stg->lpVtbl->Release(stg) == 0);
    stg = open_stg("close.msg", STGM_READ | STGM_TRANSACTED);
    msg = open_msg(NULL, stg, 0);
    if (msg) {
        CHECK(has_string8(msg, PR_SUBJECT_A, "saved"));
        CHECK(absent(msg, TAG(PT_LONG, 2)));
        CHECK(absent(msg, TAG(PT_BINARY, 3)));
        msg->lpVtbl->Release(msg);
    }
    if (stg)
        stg->lpVtbl->Release(stg);
}

/* ===== caller-supplied allocators ===== */

#define MAX_BLOCKS 256
static struct {
    void *p;
    int root;    /* from counting_alloc (else counting_more) */
    int root_of; /* for counting_more blocks: index of their root */
    int live;
} blocks[MAX_BLOCKS];
static int n_blocks, roots_allocated, roots_freed, more_calls, foreign_parents, foreign_frees;

static int block_index(void *p)
{
    int i;
    for (i = 0; i < n_blocks; i++)
        if (blocks[i].p == p && blocks[i].live)
            return i;
    return -1;
}

static void remember(void *p, int root, int root_of)
{
    if (n_blocks < MAX_BLOCKS) {
        blocks[n_blocks].p = p;
        blocks[n_blocks].root = root;
        blocks[n_blocks].root_of = root_of;
        blocks[n_blocks].live = 1;
        n_blocks++;
    }
}

static SCODE STDMETHODCALLTYPE counting_alloc(ULONG cb, LPVOID *pp)
{
    SCODE sc = MAPIAllocateBuffer(cb, pp);
    if (sc == S_OK) {
        roots_allocated++;
        remember(*pp, 1, n_blocks);
    }
    return sc;
}

static SCODE STDMETHODCALLTYPE counting_more(ULONG cb, LPVOID parent, LPVOID *pp)
{
    SCODE sc;
    int i = block_index(parent);
    more_calls++;
    if (i < 0)
        foreign_parents++;
    sc = MAPIAllocateMore(cb, parent, pp);
    if (sc == S_OK && i >= 0)
        remember(*pp, 0, blocks[i].root_of);
    return sc;
}

static ULONG STDAPICALLTYPE counting_free(LPVOID p)
{
    int i = block_index(p), j;
    if (p && (i < 0 || !blocks[i].root))
        foreign_frees++;
    if (i >= 0 && blocks[i].root) {
        /* The root and everything linked to it are gone (their addresses may come back). */
        for (j = 0; j < n_blocks; j++)
            if (blocks[j].root_of == i)
                blocks[j].live = 0;
        roots_freed++;
    }
    return MAPIFreeBuffer(p);
}

/* Whether `p` is a live root block handed out by counting_alloc. */
static int ours(const void *p)
{
    int i = block_index((void *)p);
    return i >= 0 && blocks[i].root;
}

static void test_allocators(void)
{
    IStorage *stg = create_stg("alloc.msg");
    LPMESSAGE msg = NULL;
    SPropValue v[3];
    LPSPropValue props = NULL;
    LPSPropTagArray list = NULL;
    LPSPropProblemArray problems = NULL;
    LPMAPIERROR err = NULL;
    LPSPropAttrArray attrs = NULL;
    SizedSPropTagArray(2, tags) = {2, {PR_SUBJECT_A, PR_OBJECT_TYPE}};
    ULONG count = 0;
    int more_before;

    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(NULL, counting_alloc, counting_more, counting_free, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, 0, &msg));
    if (!msg) {
        stg->lpVtbl->Release(stg);
        return;
    }

    memset(v, 0, sizeof(v));
    v[0].ulPropTag = PR_SUBJECT_A;
    v[0].Value.lpszA = (LPSTR) "allocated by the caller's functions";
    v[1].ulPropTag = PR_OBJECT_TYPE; /* computed: a problem entry */
    v[1].Value.l = MAPI_ATTACH;
    CHECK_OK(msg->lpVtbl->SetProps(msg, 2, v, &problems));
    CHECK(problems != NULL && ours(problems));
    counting_free(problems);

    more_before = more_calls;
    CHECK_OK(msg->lpVtbl->GetProps(msg, NULL, 0, &count, &props));
    CHECK(props != NULL && ours(props));
    /* The subject's characters live in a block linked to the array. */
    CHECK(more_calls > more_before);
    counting_free(props);

    CHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &count, &props));
    CHECK(props != NULL && ours(props));
    counting_free(props);

    CHECK_OK(msg->lpVtbl->GetPropList(msg, 0, &list));
    CHECK(list != NULL && ours(list));
    counting_free(list);

    CHECK_OK(msg->lpVtbl->DeleteProps(msg, (LPSPropTagArray)&tags, &problems));
    CHECK(problems != NULL && ours(problems));
    counting_free(problems);

    CHECK_HR(msg->lpVtbl->SetProps(msg, 0, v, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_OK(msg->lpVtbl->GetLastError(msg, MAPI_E_INVALID_PARAMETER, 0, &err));
    CHECK(err != NULL && ours(err));
    counting_free(err);
    CHECK_OK(msg->lpVtbl->GetLastError(msg, MAPI_E_INVALID_PARAMETER, MAPI_UNICODE, &err));
    CHECK(err != NULL && ours(err));
    counting_free(err);

    CHECK_OK(GetAttribIMsgOnIStg(msg, (LPSPropTagArray)&tags, &attrs));
    CHECK(attrs != NULL && ours(attrs));
    counting_free(attrs);

    CHECK(msg->lpVtbl->Release(msg) == 0);
    CHECK(stg->lpVtbl->Release(stg) == 0);

    /* Every root was handed to us and freed by us; AllocateMore always extended one. */
    CHECK(n_blocks < MAX_BLOCKS);
    CHECK(roots_allocated == 8);
    CHECK(roots_allocated == roots_freed);
    CHECK(more_calls > 0);
    CHECK(foreign_parents == 0);
    CHECK(foreign_frees == 0);
}

/* ===== MAPI memory ===== */

static void test_mapi_memory(void)
{
    void *root = NULL, *child = NULL, *grandchild = NULL, *p = NULL, *q;
    ULONG sizes[] = {1, 7, 24, 1000, 65536};
    IMalloc *m = MAPIGetDefaultMalloc(), *m2 = NULL;
    size_t i;
    int ok;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        CHECK_OK(MAPIAllocateBuffer(sizes[i], &p));
        /* SPropValue arrays need 8; the library gives 16. */
        CHECK(p != NULL && (uintptr_t)p % 16 == 0);
        if (p)
            memset(p, 0xA5, sizes[i]);
        CHECK_OK(MAPIFreeBuffer(p));
    }

    /* A tree of linked blocks goes with its root (valgrind sees any leak). */
    CHECK_OK(MAPIAllocateBuffer(24, &root));
    CHECK_OK(MAPIAllocateMore(100, root, &child));
    CHECK(child != NULL && child != root && (uintptr_t)child % 16 == 0);
    CHECK_OK(MAPIAllocateMore(7, child, &grandchild));
    CHECK(grandchild != NULL);
    if (child && grandchild) {
        memset(child, 1, 100);
        memset(grandchild, 2, 7);
    }
    CHECK_OK(MAPIFreeBuffer(root));
    /* The library keeps a registry of its blocks (its header documents refusing what is
       not live): the linked block went with its root. */
    p = child;
    CHECK_HR(MAPIAllocateMore(8, child, &p), MAPI_E_INVALID_PARAMETER);
    CHECK(p == NULL);

    CHECK_OK(MAPIFreeBuffer(NULL));
    CHECK_HR(MAPIAllocateBuffer(8, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_OK(MAPIAllocateBuffer(8, &root));
    CHECK_HR(MAPIAllocateMore(8, root, NULL), MAPI_E_INVALID_PARAMETER);
    child = root;
    CHECK_HR(MAPIAllocateMore(8, NULL, &child), MAPI_E_INVALID_PARAMETER);
    CHECK(child == NULL);
    CHECK_OK(MAPIFreeBuffer(root));

    /* The default IMalloc: one static object whose counts stay at 1. */
    CHECK(m != NULL && m == MAPIGetDefaultMalloc());
    if (!m)
        return;
    CHECK(m->lpVtbl->AddRef(m) == 1);
    CHECK(m->lpVtbl->Release(m) == 1);
    for (i = 0, ok = 1; i < 1000; i++)
        ok &= m->lpVtbl->Release(m) == 1;
    CHECK(ok);
    CHECK(MAPIGetDefaultMalloc() == m);
    p = m->lpVtbl->Alloc(m, 100);
    CHECK(p != NULL);
    if (p) {
        CHECK(m->lpVtbl->GetSize(m, p) >= 100);
        memcpy(p, "0123456789", 10);
        q = m->lpVtbl->Realloc(m, p, 5000);
        CHECK(q != NULL);
        if (q) {
            CHECK(memcmp(q, "0123456789", 10) == 0);
            CHECK(m->lpVtbl->GetSize(m, q) >= 5000);
            p = q;
        }
        CHECK(m->lpVtbl->DidAlloc(m, p) == -1);
        m->lpVtbl->Free(m, p);
    }
    CHECK(m->lpVtbl->DidAlloc(m, NULL) == -1);
    m->lpVtbl->HeapMinimize(m);
    CHECK_OK(m->lpVtbl->QueryInterface(m, &IID_IMalloc, (void **)&m2));
    CHECK(m2 == m);
    CHECK_HR(m->lpVtbl->QueryInterface(m, &IID_IStorage, (void **)&m2), E_NOINTERFACE);
    CHECK(m2 == NULL);
    CHECK_OK(CoGetMalloc(1, &m2));
    CHECK(m2 == m);

    CHECK_OK(MAPIInitialize(NULL));
    MAPIUninitialize();
}

/* ===== GetLastError ===== */

static void test_get_last_error(void)
{
    IStorage *stg = create_stg("lasterror.msg");
    LPMESSAGE msg = open_msg(NULL, stg, 0);
    LPMAPIERROR err = NULL;
    HRESULT hr;

    if (msg) {
        hr = msg->lpVtbl->SetProps(msg, 0, NULL, NULL);
        CHECK_HR(hr, MAPI_E_INVALID_PARAMETER);
        CHECK_OK(msg->lpVtbl->GetLastError(msg, hr, 0, &err));
        CHECK(err != NULL);
        if (err) {
            CHECK(err->ulVersion == MAPI_ERROR_VERSION);
            CHECK(err->lpszError != NULL && strlen((const char *)err->lpszError) > 0);
        }
        MAPIFreeBuffer(err);

        err = NULL;
        CHECK_OK(msg->lpVtbl->GetLastError(msg, hr, MAPI_UNICODE, &err));
        CHECK(err != NULL);
        if (err) {
            CHECK(err->ulVersion == MAPI_ERROR_VERSION);
            CHECK(err->lpszError != NULL && ((const WCHAR *)err->lpszError)[0] != 0);
        }
        MAPIFreeBuffer(err);

        CHECK_HR(msg->lpVtbl->GetLastError(msg, hr, 0, NULL), MAPI_E_INVALID_PARAMETER);
        err = (LPMAPIERROR)&dummy_support;
        CHECK_HR(msg->lpVtbl->GetLastError(msg, hr, 1, &err), MAPI_E_UNKNOWN_FLAGS);
        CHECK(err == NULL);
        msg->lpVtbl->Release(msg);
    }
    if (stg)
        stg->lpVtbl->Release(stg);
}

/* ===== IMAPIProp argument checks and computed properties ===== */

static void test_props(int unicode)
{
    IStorage *stg = create_stg(unicode ? "props-w.msg" : "props-a.msg");
    LPMESSAGE msg = open_msg(NULL, stg, unicode ? MAPI_UNICODE : 0);
    SizedSPropTagArray(2, tags);
    SizedSPropTagArray(1, one);
    SPropValue v[4];
    LPSPropValue props = NULL, p;
    LPSPropTagArray list = NULL;
    LPSPropProblemArray problems = NULL;
    ULONG count = 0, i, j, before;
    LONG mv[1] = {1};
    int all_found;

    if (!msg) {
        if (stg)
            stg->lpVtbl->Release(stg);
        return;
    }
    tags.cValues = 2;
    tags.aulPropTag[0] = PR_SUBJECT_A;
    tags.aulPropTag[1] = TAG(PT_LONG, 4);

    /* GetProps arguments. */
    CHECK_HR(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, NULL, &props), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &count, NULL), MAPI_E_INVALID_PARAMETER);
    one.cValues = 0;
    props = (LPSPropValue)&dummy_support;
    CHECK_HR(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&one, 0, &count, &props), MAPI_E_INVALID_PARAMETER);
    CHECK(props == NULL);
    CHECK_HR(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 1, &count, &props), MAPI_E_UNKNOWN_FLAGS);
    CHECK(props == NULL);

    /* GetProps(NULL) on a new message: the computed properties. */
    CHECK_OK(msg->lpVtbl->GetProps(msg, NULL, 0, &count, &props));
    p = find_prop(props, count, PR_OBJECT_TYPE);
    CHECK(PR_OBJECT_TYPE == 0x0FFE0003u && p != NULL && p->Value.l == MAPI_MESSAGE && MAPI_MESSAGE == 5);
    p = find_prop(props, count, PR_ACCESS);
    CHECK(p != NULL && (p->Value.l & (MAPI_ACCESS_READ | MAPI_ACCESS_MODIFY)) ==
                           (MAPI_ACCESS_READ | MAPI_ACCESS_MODIFY));
    p = find_prop(props, count, PR_ACCESS_LEVEL);
    CHECK(p != NULL && p->Value.l == MAPI_MODIFY);
    CHECK(find_prop(props, count, PR_MESSAGE_FLAGS) != NULL);
    p = find_prop(props, count, PR_STORE_SUPPORT_MASK);
    CHECK(p != NULL && ((p->Value.l & STORE_UNICODE_OK) != 0) == (unicode != 0));
    MAPIFreeBuffer(props);

    /* A missing tag: a PT_ERROR slot with the same id, and a warning. */
    CHECK_OK(set_string8(msg, PR_SUBJECT_A, "subject"));
    CHECK_HR(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &count, &props), MAPI_W_ERRORS_RETURNED);
    CHECK(count == 2 && props != NULL);
    if (props && count == 2) {
        CHECK(props[0].ulPropTag == PR_SUBJECT_A && strcmp(props[0].Value.lpszA, "subject") == 0);
        CHECK(props[1].ulPropTag == TAG(PT_ERROR, 4) && props[1].Value.err == MAPI_E_NOT_FOUND);
    }
    MAPIFreeBuffer(props);
    /* PT_UNSPECIFIED asks for the stored type; a different explicit type is an error. */
    CHECK_OK(set_long(msg, TAG(PT_LONG, 5), 42));
    CHECK_OK(get1(msg, TAG(PT_UNSPECIFIED, 5), &props));
    CHECK(props && props->ulPropTag == TAG(PT_LONG, 5) && props->Value.l == 42);
    MAPIFreeBuffer(props);
    CHECK_HR(get1(msg, TAG(PT_I2, 5), &props), MAPI_W_ERRORS_RETURNED);
    CHECK(props && PROP_TYPE(props->ulPropTag) == PT_ERROR && PROP_ID(props->ulPropTag) == 0x6605);
    MAPIFreeBuffer(props);

    /* SetProps refusals: the whole call fails and nothing is set. */
    memset(v, 0, sizeof(v));
    v[0].ulPropTag = TAG(PT_LONG, 6);
    v[0].Value.l = 1;
    CHECK_HR(msg->lpVtbl->SetProps(msg, 0, v, NULL), MAPI_E_INVALID_PARAMETER);
    v[1].ulPropTag = TAG(PT_OBJECT, 7);
    CHECK_HR(msg->lpVtbl->SetProps(msg, 2, v, NULL), MAPI_E_INVALID_PARAMETER);
    v[1].ulPropTag = TAG(PT_MV_LONG, 7);
    v[1].Value.MVl.cValues = 0;
    v[1].Value.MVl.lpl = mv;
    problems = (LPSPropProblemArray)&dummy_support;
    CHECK_HR(msg->lpVtbl->SetProps(msg, 2, v, &problems), MAPI_E_INVALID_PARAMETER);
    CHECK(problems == NULL);
    CHECK(absent(msg, TAG(PT_LONG, 6)));

    /* PR_NULL and PT_ERROR entries are skipped silently. */
    before = prop_count(msg);
    memset(v, 0, sizeof(v));
    v[0].ulPropTag = PR_NULL;
    v[1].ulPropTag = TAG(PT_ERROR, 8);
    v[1].Value.err = MAPI_E_NOT_FOUND;
    v[2].ulPropTag = TAG(PT_LONG, 6);
    v[2].Value.l = 66;
    CHECK_OK(msg->lpVtbl->SetProps(msg, 3, v, &problems));
    CHECK(problems == NULL);
    CHECK(get_long(msg, TAG(PT_LONG, 6), -1) == 66);
    CHECK(absent(msg, TAG(PT_UNSPECIFIED, 8)));
    CHECK(prop_count(msg) == before + 1);

    /* Computed properties are problems, not failures; an unknown type too. */
    memset(v, 0, sizeof(v));
    v[0].ulPropTag = PR_OBJECT_TYPE;
    v[0].Value.l = MAPI_ATTACH;
    v[1].ulPropTag = TAG(PT_LONG, 9);
    v[1].Value.l = 9;
    v[2].ulPropTag = PR_STORE_SUPPORT_MASK;
    v[2].Value.l = 0;
    v[3].ulPropTag = TAG(0x0099, 10);
    CHECK_OK(msg->lpVtbl->SetProps(msg, 4, v, &problems));
    CHECK(problems != NULL && problems->cProblem == 3);
    if (problems && problems->cProblem == 3) {
        CHECK(problems->aProblem[0].ulIndex == 0 && problems->aProblem[0].ulPropTag == PR_OBJECT_TYPE &&
              problems->aProblem[0].scode == MAPI_E_COMPUTED);
        CHECK(problems->aProblem[1].ulIndex == 2 && problems->aProblem[1].ulPropTag == PR_STORE_SUPPORT_MASK &&
              problems->aProblem[1].scode == MAPI_E_COMPUTED);
        CHECK(problems->aProblem[2].ulIndex == 3 && problems->aProblem[2].scode == MAPI_E_INVALID_TYPE);
    }
    MAPIFreeBuffer(problems);
    CHECK(get_long(msg, PR_OBJECT_TYPE, -1) == MAPI_MESSAGE);
    CHECK(get_long(msg, TAG(PT_LONG, 9), -1) == 9);
    CHECK((get_long(msg, PR_STORE_SUPPORT_MASK, 0) & STORE_UNICODE_OK) == (unicode ? STORE_UNICODE_OK : 0));

    /* DeleteProps matches ids, not types; computed ones are problems. */
    CHECK_HR(msg->lpVtbl->DeleteProps(msg, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    one.cValues = 0;
    CHECK_HR(msg->lpVtbl->DeleteProps(msg, (LPSPropTagArray)&one, NULL), MAPI_E_INVALID_PARAMETER);
    tags.aulPropTag[0] = PROP_TAG(PT_LONG, PROP_ID(PR_SUBJECT_A));
    tags.aulPropTag[1] = PR_OBJECT_TYPE;
    CHECK_OK(msg->lpVtbl->DeleteProps(msg, (LPSPropTagArray)&tags, &problems));
    CHECK(problems != NULL && problems->cProblem == 1);
    if (problems && problems->cProblem == 1)
        CHECK(problems->aProblem[0].ulIndex == 1 && problems->aProblem[0].ulPropTag == PR_OBJECT_TYPE &&
              problems->aProblem[0].scode == MAPI_E_COMPUTED);
    MAPIFreeBuffer(problems);
    CHECK(has_string8(msg, PR_SUBJECT_A, NULL));
    CHECK(get_long(msg, PR_OBJECT_TYPE, -1) == MAPI_MESSAGE);

    /* GetPropList lists what GetProps(NULL) returns. */
    CHECK_OK(set_string8(msg, PR_SUBJECT_A, "listed"));
    CHECK_OK(msg->lpVtbl->GetProps(msg, NULL, 0, &count, &props));
    CHECK_OK(msg->lpVtbl->GetPropList(msg, 0, &list));
    CHECK(list != NULL && props != NULL);
    if (list && props) {
        CHECK(list->cValues == count);
        all_found = 1;
        for (i = 0; i < list->cValues; i++) {
            for (j = 0; j < count && props[j].ulPropTag != list->aulPropTag[i]; j++) {
            }
            all_found &= j < count;
        }
        CHECK(all_found);
        CHECK(find_prop(props, count, PR_SUBJECT_A) != NULL);
        CHECK(find_prop(props, count, TAG(PT_LONG, 9)) != NULL);
    }
    MAPIFreeBuffer(props);
    MAPIFreeBuffer(list);
    CHECK_HR(msg->lpVtbl->GetPropList(msg, 0, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(msg->lpVtbl->GetPropList(msg, 1, &list), MAPI_E_UNKNOWN_FLAGS);

    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
}

/* ===== OpenProperty(IID_IStream) ===== */

/* The bytes a stream on a string or binary property holds for `v` (strings without
   their terminator, UTF-16LE for PT_UNICODE). */
static ULONG value_bytes(const SPropValue *v, const BYTE **bytes)
{
    switch (PROP_TYPE(v->ulPropTag)) {
    case PT_BINARY:
        *bytes = v->Value.bin.lpb;
        return v->Value.bin.cb;
    case PT_STRING8:
        *bytes = (const BYTE *)v->Value.lpszA;
        return (ULONG)strlen(v->Value.lpszA);
    case PT_UNICODE: {
        ULONG n = 0;
        while (v->Value.lpszW[n])
            n++;
        *bytes = (const BYTE *)v->Value.lpszW;
        return n * 2;
    }
    }
    *bytes = NULL;
    return 0;
}

/* One property type on one message: set, read through a stream, write through a
   stream (Commit, then Release without Commit), create over an existing value. */
static void stream_one_type(LPMESSAGE msg, ULONG type, int n)
{
    static const WCHAR wide_first[] = u"first value";
    static const WCHAR wide_second[] = u"second value, from a stream";
    ULONG tag = TAG(type, n);
    SPropValue v;
    LPSPropValue got = NULL;
    IStream *stm = NULL;
    BYTE buf[256];
    const BYTE *want;
    ULONG want_len, len;
    const void *second, *tail = "ZZ";
    ULONG second_len, tail_len = 2;
    STATSTG st;

    memset(&v, 0, sizeof(v));
    v.ulPropTag = tag;
    if (type == PT_BINARY) {
        v.Value.bin.cb = 5;
        v.Value.bin.lpb = (LPBYTE) "\x00\x01\x02\xFE\xFF";
        second = "\x10\x20\x30";
        second_len = 3;
    } else if (type == PT_STRING8) {
        v.Value.lpszA = (LPSTR) "first value";
        second = "second value, from a stream";
        second_len = (ULONG)strlen((const char *)second);
    } else {
        v.Value.lpszW = (LPWSTR)wide_first;
        second = wide_second;
        second_len = (ULONG)(sizeof(wide_second) - sizeof(WCHAR));
        tail = u"ZZ";
        tail_len = 4;
    }
    CHECK_OK(msg->lpVtbl->SetProps(msg, 1, &v, NULL));

    /* Read: the same bytes GetProps gives. */
    CHECK_OK(get1(msg, tag, &got));
    CHECK_OK(msg->lpVtbl->OpenProperty(msg, tag, &IID_IStream, STGM_READ, 0, (LPUNKNOWN *)&stm));
    if (stm && got) {
        want_len = value_bytes(got, &want);
        len = read_bytes(stm, buf, sizeof(buf));
        CHECK(len == want_len && memcmp(buf, want, len) == 0);
        CHECK_OK(stm->lpVtbl->Stat(stm, &st, STATFLAG_NONAME));
        CHECK(st.cbSize.QuadPart == want_len && st.type == STGTY_STREAM);
        /* Opened without MAPI_MODIFY: read-only. */
        CHECK_HR(stm->lpVtbl->Write(stm, "x", 1, NULL), STG_E_ACCESSDENIED);
    }
    if (stm)
        CHECK(stm->lpVtbl->Release(stm) == 0);
    MAPIFreeBuffer(got);

    /* Write, Commit: GetProps sees the new value while the stream is still open. */
    stm = NULL;
    CHECK_OK(msg->lpVtbl->OpenProperty(msg, tag, &IID_IStream, STGM_WRITE, MAPI_MODIFY | MAPI_CREATE,
                                       (LPUNKNOWN *)&stm));
    if (stm) {
        /* MAPI_CREATE starts from an empty value. */
        CHECK_OK(stm->lpVtbl->Stat(stm, &st, STATFLAG_NONAME));
        CHECK(st.cbSize.QuadPart == 0);
        CHECK(write_bytes(stm, second, second_len) == second_len);
        CHECK_OK(stm->lpVtbl->Commit(stm, STGC_DEFAULT));
        CHECK_OK(get1(msg, tag, &got));
        if (got) {
            want_len = value_bytes(got, &want);
            CHECK(got->ulPropTag == tag && want_len == second_len && memcmp(want, second, second_len) == 0);
        }
        MAPIFreeBuffer(got);
        CHECK(stm->lpVtbl->Release(stm) == 0);
    }

    /* Write, Release without Commit: the value changes at the Release. */
    stm = NULL;
    CHECK_OK(msg->lpVtbl->OpenProperty(msg, tag, &IID_IStream, STGM_READWRITE, MAPI_MODIFY, (LPUNKNOWN *)&stm));
    if (stm) {
        CHECK(seek(stm, 0, STREAM_SEEK_END) == second_len);
        CHECK(write_bytes(stm, tail, tail_len) == tail_len);
        CHECK(stm->lpVtbl->Release(stm) == 0);
        CHECK_OK(get1(msg, tag, &got));
        if (got) {
            want_len = value_bytes(got, &want);
            CHECK(want_len == second_len + tail_len && memcmp(want, second, second_len) == 0 &&
                  memcmp(want + second_len, tail, tail_len) == 0);
        }
        MAPIFreeBuffer(got);
    }
}

static void test_open_property(int unicode)
{
    IStorage *stg = create_stg(unicode ? "stream-w.msg" : "stream-a.msg");
    LPMESSAGE msg = open_msg(NULL, stg, unicode ? MAPI_UNICODE : 0);
    IUnknown *unk = NULL;
    IStream *stm = NULL;
    LPSPropValue got = NULL;
    BYTE *big, *back;
    ULONG big_len = 2 * 1024 * 1024, i, chunk = 64 * 1024;
    STATSTG st;

    if (!msg) {
        if (stg)
            stg->lpVtbl->Release(stg);
        return;
    }
    stream_one_type(msg, PT_BINARY, 11);
    stream_one_type(msg, PT_STRING8, 12);
    stream_one_type(msg, PT_UNICODE, 13);

    /* Refusals. */
    unk = (IUnknown *)&dummy_support;
    CHECK_HR(msg->lpVtbl->OpenProperty(msg, TAG(PT_BINARY, 14), &IID_IStream, STGM_READ, 0, &unk),
             MAPI_E_NOT_FOUND);
    CHECK(unk == NULL);
    CHECK_HR(msg->lpVtbl->OpenProperty(msg, TAG(PT_UNSPECIFIED, 11), &IID_IStream, STGM_READ, 0, &unk),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(msg->lpVtbl->OpenProperty(msg, TAG(PT_BINARY, 11), NULL, STGM_READ, 0, &unk),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(msg->lpVtbl->OpenProperty(msg, TAG(PT_BINARY, 11), &IID_IStream, STGM_READ, 0, NULL),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(msg->lpVtbl->OpenProperty(msg, TAG(PT_BINARY, 11), &IID_IMAPITable, 0, 0, &unk),
             MAPI_E_INTERFACE_NOT_SUPPORTED);
    CHECK(unk == NULL);

    /* 2 MiB through a stream: too big for GetProps, whole through the stream, and after
       a save and reopen. */
    big = (BYTE *)malloc(big_len);
    back = (BYTE *)malloc(big_len);
    if (!big || !back) {
        CHECK(!"out of memory");
        free(big);
        free(back);
        msg->lpVtbl->Release(msg);
        stg->lpVtbl->Release(stg);
        return;
    }
    for (i = 0; i < big_len; i++)
        big[i] = (BYTE)(i * 31 + (i >> 16));
    CHECK_OK(msg->lpVtbl->OpenProperty(msg, TAG(PT_BINARY, 15), &IID_IStream, STGM_WRITE,
                                       MAPI_MODIFY | MAPI_CREATE, (LPUNKNOWN *)&stm));
    if (stm) {
        for (i = 0; i < big_len; i += chunk)
            write_bytes(stm, big + i, chunk);
        CHECK_OK(stm->lpVtbl->Commit(stm, STGC_DEFAULT));
        CHECK(stm->lpVtbl->Release(stm) == 0);
    }
    CHECK_HR(get1(msg, TAG(PT_BINARY, 15), &got), MAPI_W_ERRORS_RETURNED);
    CHECK(got && got->ulPropTag == TAG(PT_ERROR, 15) && got->Value.err == MAPI_E_NOT_ENOUGH_MEMORY);
    MAPIFreeBuffer(got);
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);

    stg = open_stg(unicode ? "stream-w.msg" : "stream-a.msg", STGM_READ | STGM_TRANSACTED);
    msg = open_msg(NULL, stg, 0);
    stm = NULL;
    if (msg)
        CHECK_OK(msg->lpVtbl->OpenProperty(msg, TAG(PT_BINARY, 15), &IID_IStream, STGM_READ, 0, (LPUNKNOWN *)&stm));
    if (stm) {
        CHECK_OK(stm->lpVtbl->Stat(stm, &st, STATFLAG_NONAME));
        CHECK(st.cbSize.QuadPart == big_len);
        memset(back, 0, big_len);
        CHECK(read_bytes(stm, back, big_len) == big_len);
        CHECK(memcmp(back, big, big_len) == 0);
        stm->lpVtbl->Release(stm);
    }
    free(big);
    free(back);
    if (msg)
        msg->lpVtbl->Release(msg);
    if (stg)
        stg->lpVtbl->Release(stg);
}

/* ===== GetAttribIMsgOnIStg / SetAttribIMsgOnIStg / MapStorageSCode ===== */

static void test_attribs(void)
{
    IStorage *stg = create_stg("attribs.msg");
    LPMESSAGE msg = open_msg(NULL, stg, 0);
    SizedSPropTagArray(4, tags) = {4, {PR_SUBJECT_A, TAG(PT_LONG, 20), TAG(PT_LONG, 21), PR_OBJECT_TYPE}};
    SizedSPropTagArray(1, ro_tag) = {1, {TAG(PT_LONG, 20)}};
    SizedSPropAttrArray(1, ro_attr) = {1, {PROPATTR_READABLE}};
    LPSPropAttrArray attrs = NULL;
    LPSPropProblemArray problems = NULL;
    SPropValue v;
    IStream *stm = NULL;

    if (!msg) {
        if (stg)
            stg->lpVtbl->Release(stg);
        return;
    }
    CHECK_OK(set_string8(msg, PR_SUBJECT_A, "attributes"));
    CHECK_OK(set_long(msg, TAG(PT_LONG, 20), 20));

    CHECK_OK(GetAttribIMsgOnIStg(msg, (LPSPropTagArray)&tags, &attrs));
    CHECK(attrs != NULL && attrs->cValues == 4);
    if (attrs && attrs->cValues == 4) {
        CHECK(attrs->aPropAttr[0] == (PROPATTR_READABLE | PROPATTR_WRITEABLE));
        CHECK(attrs->aPropAttr[1] == (PROPATTR_READABLE | PROPATTR_WRITEABLE));
        CHECK((attrs->aPropAttr[2] & PROPATTR_NOT_PRESENT) != 0);
        /* Computed: readable only. */
        CHECK(attrs->aPropAttr[3] == PROPATTR_READABLE);
    }
    MAPIFreeBuffer(attrs);

    /* A read-only property refuses SetProps (a problem entry, the call succeeds). */
    CHECK_OK(SetAttribIMsgOnIStg(msg, (LPSPropTagArray)&ro_tag, (LPSPropAttrArray)&ro_attr, &problems));
    CHECK(problems == NULL);
    memset(&v, 0, sizeof(v));
    v.ulPropTag = TAG(PT_LONG, 20);
    v.Value.l = 21;
    CHECK_OK(msg->lpVtbl->SetProps(msg, 1, &v, &problems));
    CHECK(problems != NULL && problems->cProblem == 1);
    if (problems && problems->cProblem == 1)
        CHECK(problems->aProblem[0].ulIndex == 0 && problems->aProblem[0].ulPropTag == TAG(PT_LONG, 20) &&
              problems->aProblem[0].scode == MAPI_E_NO_ACCESS);
    MAPIFreeBuffer(problems);
    CHECK(get_long(msg, TAG(PT_LONG, 20), -1) == 20);

    /* ...and survives a save and a reopen. */
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
    stg = open_stg("attribs.msg", RW_MODE);
    msg = open_msg(NULL, stg, 0);
    if (msg) {
        CHECK_OK(GetAttribIMsgOnIStg(msg, (LPSPropTagArray)&tags, &attrs));
        if (attrs && attrs->cValues == 4) {
            CHECK(attrs->aPropAttr[0] == (PROPATTR_READABLE | PROPATTR_WRITEABLE));
            CHECK(attrs->aPropAttr[1] == PROPATTR_READABLE);
        }
        MAPIFreeBuffer(attrs);
        problems = NULL;
        CHECK_OK(msg->lpVtbl->SetProps(msg, 1, &v, &problems));
        CHECK(problems != NULL && problems->cProblem == 1 && problems->aProblem[0].scode == MAPI_E_NO_ACCESS);
        MAPIFreeBuffer(problems);
        CHECK(get_long(msg, TAG(PT_LONG, 20), -1) == 20);
    }

    /* Only objects made by OpenIMsgOnIStg. */
    attrs = (LPSPropAttrArray)&dummy_support;
    CHECK_HR(GetAttribIMsgOnIStg(NULL, (LPSPropTagArray)&tags, &attrs), MAPI_E_INVALID_PARAMETER);
    CHECK(attrs == NULL);
    CHECK_HR(GetAttribIMsgOnIStg(stg, (LPSPropTagArray)&tags, &attrs), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(SetAttribIMsgOnIStg(NULL, (LPSPropTagArray)&ro_tag, (LPSPropAttrArray)&ro_attr, NULL),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(SetAttribIMsgOnIStg(stg, (LPSPropTagArray)&ro_tag, (LPSPropAttrArray)&ro_attr, NULL),
             MAPI_E_INVALID_PARAMETER);
    if (msg) {
        CHECK_HR(GetAttribIMsgOnIStg(msg, (LPSPropTagArray)&tags, NULL), MAPI_E_INVALID_PARAMETER);
        CHECK_OK(msg->lpVtbl->OpenProperty(msg, PR_SUBJECT_A, &IID_IStream, STGM_READ, 0, (LPUNKNOWN *)&stm));
        if (stm) {
            CHECK_HR(GetAttribIMsgOnIStg(stm, (LPSPropTagArray)&tags, &attrs), MAPI_E_INVALID_PARAMETER);
            stm->lpVtbl->Release(stm);
        }
        msg->lpVtbl->Release(msg);
    }
    if (stg)
        stg->lpVtbl->Release(stg);

    CHECK_HR(MapStorageSCode(STG_E_FILENOTFOUND), MAPI_E_NOT_FOUND);
    CHECK_HR(MapStorageSCode((SCODE)0x8003ABCDu), MAPI_E_CALL_FAILED);
    CHECK_HR(MapStorageSCode(E_NOTIMPL), MAPI_E_CALL_FAILED);
    CHECK_HR(MapStorageSCode(S_OK), S_OK);
}

/* ===== QueryInterface ===== */

static void test_query_interface(void)
{
    IStorage *stg = create_stg("qi.msg");
    LPMESSAGE msg = open_msg(NULL, stg, 0);
    void *p = NULL;

    if (msg) {
        CHECK_OK(msg->lpVtbl->QueryInterface(msg, &IID_IUnknown, &p));
        CHECK(p == msg);
        CHECK(msg->lpVtbl->Release(msg) == 1);
        CHECK_OK(msg->lpVtbl->QueryInterface(msg, &IID_IMAPIProp, &p));
        CHECK(p == msg);
        CHECK(msg->lpVtbl->Release(msg) == 1);
        CHECK_OK(msg->lpVtbl->QueryInterface(msg, &IID_IMessage, &p));
        CHECK(p == msg);
        CHECK(msg->lpVtbl->Release(msg) == 1);
        p = msg;
        CHECK_HR(msg->lpVtbl->QueryInterface(msg, &IID_IStorage, &p), E_NOINTERFACE);
        CHECK(p == NULL);
        p = msg;
        CHECK_HR(msg->lpVtbl->QueryInterface(msg, &IID_IAttachment, &p), E_NOINTERFACE);
        CHECK(p == NULL);
        CHECK(msg->lpVtbl->Release(msg) == 0);
    }
    if (stg)
        stg->lpVtbl->Release(stg);
}

/* ===== SaveChanges, IMSG_NO_ISTG_COMMIT, the root CLSID ===== */

static void read_clsid(const char *name, CLSID *clsid)
{
    IStorage *stg = open_stg(name, STGM_READ | STGM_TRANSACTED);
    memset(clsid, 0xFF, sizeof(*clsid));
    if (stg) {
        CHECK_OK(ReadClassStg(stg, clsid));
        stg->lpVtbl->Release(stg);
    }
}

/* The subject of the message in file `name` as stored on disk right now. */
static int file_subject_is(const char *name, const char *want)
{
    IStorage *stg = open_stg(name, STGM_READ | STGM_TRANSACTED);
    LPMESSAGE msg = open_msg(NULL, stg, 0);
    int same = msg && has_string8(msg, PR_SUBJECT_A, want);
    if (msg)
        msg->lpVtbl->Release(msg);
    if (stg)
        stg->lpVtbl->Release(stg);
    return same;
}

static int file_has_stream(const char *name, const WCHAR *stream)
{
    IStorage *stg = open_stg(name, STGM_READ | STGM_TRANSACTED);
    IStream *stm = NULL;
    if (stg) {
        stg->lpVtbl->OpenStream(stg, stream, NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &stm);
        stg->lpVtbl->Release(stg);
    }
    if (stm)
        stm->lpVtbl->Release(stm);
    return stm != NULL;
}

static void test_save(void)
{
    IStorage *stg = create_stg("save.msg");
    LPMESSAGE msg = open_msg(NULL, stg, 0);
    IStream *own = NULL;
    CLSID clsid;

    if (msg) {
        CHECK_OK(set_long(msg, TAG(PT_LONG, 30), 1));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, FORCE_SAVE | KEEP_OPEN_READWRITE));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, MAPI_DEFERRED_ERRORS | KEEP_OPEN_READWRITE));
        CHECK_HR(msg->lpVtbl->SaveChanges(msg, 0x20), MAPI_E_UNKNOWN_FLAGS);
        CHECK_HR(msg->lpVtbl->SaveChanges(msg, 0x40000000), MAPI_E_UNKNOWN_FLAGS);
        /* Last: an implementation may leave the message read-only after this one. */
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READONLY));
        CHECK(get_long(msg, TAG(PT_LONG, 30), -1) == 1);
        msg->lpVtbl->Release(msg);
    }
    if (stg)
        stg->lpVtbl->Release(stg);
    /* A null root class was stamped CLSID_MailMessage. */
    read_clsid("save.msg", &clsid);
    CHECK(IsEqualGUID(&clsid, &CLSID_MailMessage));

    /* IMSG_NO_ISTG_COMMIT: SaveChanges leaves the commit to the caller, whose own
       elements beside the message survive. */
    stg = create_stg("nocommit.msg");
    msg = open_msg(NULL, stg, IMSG_NO_ISTG_COMMIT);
    if (msg) {
        CHECK_OK(stg->lpVtbl->CreateStream(stg, u"CallerData", CHILD_RW | STGM_CREATE, 0, 0, &own));
        if (own) {
            CHECK(write_bytes(own, "mine", 4) == 4);
            own->lpVtbl->Release(own);
        }
        CHECK_OK(set_string8(msg, PR_SUBJECT_A, "v1"));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
        CHECK(file_subject_is("nocommit.msg", NULL));
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
        CHECK(file_subject_is("nocommit.msg", "v1"));
        CHECK(file_has_stream("nocommit.msg", u"CallerData"));
        read_clsid("nocommit.msg", &clsid);
        CHECK(IsEqualGUID(&clsid, &CLSID_MailMessage));
        /* A second save without the caller's commit changes nothing on disk. */
        CHECK_OK(set_string8(msg, PR_SUBJECT_A, "v2"));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
        CHECK(file_subject_is("nocommit.msg", "v1"));
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
        CHECK(file_subject_is("nocommit.msg", "v2"));
        msg->lpVtbl->Release(msg);
    }
    if (stg)
        stg->lpVtbl->Release(stg);

    /* A class the caller set is never overwritten: before the open, and after a save
       that had stamped CLSID_MailMessage. */
    stg = create_stg("class.msg");
    if (stg) {
        CHECK_OK(WriteClassStg(stg, &other_clsid));
        msg = open_msg(NULL, stg, 0);
        if (msg) {
            CHECK_OK(set_long(msg, TAG(PT_LONG, 31), 1));
            CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
            msg->lpVtbl->Release(msg);
        }
        stg->lpVtbl->Release(stg);
    }
    read_clsid("class.msg", &clsid);
    CHECK(IsEqualGUID(&clsid, &other_clsid));
    stg = open_stg("save.msg", RW_MODE);
    msg = open_msg(NULL, stg, 0);
    if (msg) {
        CHECK_OK(WriteClassStg(stg, &other_clsid));
        CHECK_OK(set_long(msg, TAG(PT_LONG, 30), 2));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
        msg->lpVtbl->Release(msg);
    }
    if (stg)
        stg->lpVtbl->Release(stg);
    read_clsid("save.msg", &clsid);
    CHECK(IsEqualGUID(&clsid, &other_clsid));
}

/* ===== storage stand-ins ===== */

/* Turns CAP_DAC_OVERRIDE in the effective set off (0) or back on (1); 0 on failure. */
static int dac_override(int on)
{
    struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &head, data) != 0)
        return 0;
    if (on)
        data[0].effective |= data[0].permitted & (1u << CAP_DAC_OVERRIDE);
    else
        data[0].effective &= ~(1u << CAP_DAC_OVERRIDE);
    return syscall(SYS_capset, &head, data) == 0;
}

static void test_storage_functions(void)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    FILE *f;
    int fd, dropped = 0;

    test_path("missing.msg", path, wpath);
    stg = (IStorage *)&dummy_support;
    CHECK_HR(StgOpenStorage(wpath, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg), STG_E_FILENOTFOUND);
    CHECK(stg == NULL);
    CHECK_HR(StgIsStorageFile(wpath), STG_E_FILENOTFOUND);

    /* Not a compound file (MIME text saved as .msg), and an empty file. */
    test_path("text.msg", path, wpath);
    f = fopen(path, "w");
    if (f) {
        fputs("From: someone\r\nSubject: not a compound file\r\n\r\nbody\r\n", f);
        fclose(f);
    }
    CHECK_HR(StgOpenStorage(wpath, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg), STG_E_FILEALREADYEXISTS);
    CHECK(stg == NULL);
    CHECK_HR(StgIsStorageFile(wpath), S_FALSE);
    test_path("empty.msg", path, wpath);
    f = fopen(path, "w");
    if (f)
        fclose(f);
    CHECK_HR(StgOpenStorage(wpath, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg), STG_E_FILEALREADYEXISTS);

    /* A compound file the user may not write: read-write is denied, read-only works. */
    stg = create_stg("readonly.msg");
    if (stg) {
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
        stg->lpVtbl->Release(stg);
    }
    test_path("readonly.msg", path, wpath);
    CHECK_HR(StgIsStorageFile(wpath), S_OK);
    CHECK(chmod(path, 0444) == 0);
    if (geteuid() == 0)
        dropped = dac_override(0);
    fd = open(path, O_RDWR);
    if (fd >= 0) {
        close(fd);
        printf("note: running as root with CAP_DAC_OVERRIDE that cannot be dropped; "
               "the read-only file check (STG_E_ACCESSDENIED) is skipped\n");
    } else {
        if (geteuid() == 0)
            printf("note: running as root; CAP_DAC_OVERRIDE dropped for the read-only file check\n");
        stg = (IStorage *)&dummy_support;
        CHECK_HR(StgOpenStorage(wpath, NULL, RW_MODE, NULL, 0, &stg), STG_E_ACCESSDENIED);
        CHECK(stg == NULL);
    }
    if (dropped)
        CHECK(dac_override(1));
    CHECK_OK(StgOpenStorage(wpath, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg));
    if (stg)
        stg->lpVtbl->Release(stg);
    chmod(path, 0644);

    CHECK_HR(StgOpenStorage(wpath, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, NULL), STG_E_INVALIDPOINTER);
}

/* Finds `name` among `n` enumerated elements; returns its index or -1. */
static int find_element(STATSTG *st, ULONG n, const char *name)
{
    ULONG i;
    for (i = 0; i < n; i++)
        if (st[i].pwcsName && wide_eq(st[i].pwcsName, name))
            return (int)i;
    return -1;
}

static void test_istorage(void)
{
    IStorage *stg = create_stg("storage.cfb"), *sub = NULL, *sub2 = NULL;
    IStream *stm = NULL, *stm2 = NULL;
    IEnumSTATSTG *en = NULL, *en2 = NULL;
    STATSTG st[8];
    ULONG fetched = 0, i;
    char buf[32];
    int k;

    if (!stg)
        return;
    CHECK_OK(stg->lpVtbl->CreateStream(stg, u"Data", CHILD_RW, 0, 0, &stm));
    if (stm) {
        CHECK(write_bytes(stm, "0123456789", 10) == 10);
        /* Elements are opened exclusively. */
        CHECK_HR(stg->lpVtbl->OpenStream(stg, u"Data", NULL, CHILD_RW, 0, &stm2), STG_E_ACCESSDENIED);
        CHECK(stm2 == NULL);
        stm->lpVtbl->Release(stm);
    }
    CHECK_HR(stg->lpVtbl->CreateStream(stg, u"Data", CHILD_RW, 0, 0, &stm), STG_E_FILEALREADYEXISTS);
    CHECK(stm == NULL);
    CHECK_HR(stg->lpVtbl->OpenStream(stg, u"Nope", NULL, CHILD_RW, 0, &stm), STG_E_FILENOTFOUND);
    CHECK_HR(stg->lpVtbl->OpenStream(stg, u"Data", NULL, STGM_READWRITE, 0, &stm), STG_E_INVALIDFLAG);
    CHECK_OK(stg->lpVtbl->OpenStream(stg, u"Data", NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &stm));
    if (stm) {
        memset(buf, 0, sizeof(buf));
        CHECK(read_bytes(stm, buf, sizeof(buf)) == 10 && memcmp(buf, "0123456789", 10) == 0);
        stm->lpVtbl->Release(stm);
    }

    /* A sub-storage with a stream; a transacted one publishes only at its Commit. */
    CHECK_OK(stg->lpVtbl->CreateStorage(stg, u"Sub", CHILD_RW, 0, 0, &sub));
    if (sub) {
        CHECK_OK(sub->lpVtbl->CreateStream(sub, u"Inner", CHILD_RW, 0, 0, &stm));
        if (stm) {
            CHECK(write_bytes(stm, "inner", 5) == 5);
            stm->lpVtbl->Release(stm);
        }
        CHECK_OK(sub->lpVtbl->SetClass(sub, &other_clsid));
        sub->lpVtbl->Release(sub);
    }
    CHECK_OK(stg->lpVtbl->CreateStorage(stg, u"TSub", CHILD_RW | STGM_TRANSACTED, 0, 0, &sub));
    if (sub) {
        CHECK_OK(sub->lpVtbl->CreateStream(sub, u"Kept", CHILD_RW, 0, 0, &stm));
        if (stm)
            stm->lpVtbl->Release(stm);
        CHECK_OK(sub->lpVtbl->Commit(sub, STGC_DEFAULT));
        CHECK_OK(sub->lpVtbl->CreateStream(sub, u"Dropped", CHILD_RW, 0, 0, &stm));
        if (stm)
            stm->lpVtbl->Release(stm);
        sub->lpVtbl->Release(sub);
    }
    CHECK_OK(stg->lpVtbl->OpenStorage(stg, u"TSub", NULL, CHILD_RW, NULL, 0, &sub));
    if (sub) {
        CHECK_OK(sub->lpVtbl->OpenStream(sub, u"Kept", NULL, CHILD_RW, 0, &stm));
        if (stm)
            stm->lpVtbl->Release(stm);
        CHECK_HR(sub->lpVtbl->OpenStream(sub, u"Dropped", NULL, CHILD_RW, 0, &stm), STG_E_FILENOTFOUND);
        sub->lpVtbl->Release(sub);
    }
    CHECK_HR(stg->lpVtbl->OpenStorage(stg, u"Nope", NULL, CHILD_RW, NULL, 0, &sub2), STG_E_FILENOTFOUND);
    CHECK(sub2 == NULL);

    /* Enumeration: Data, Sub, TSub. */
    CHECK_OK(stg->lpVtbl->EnumElements(stg, 0, NULL, 0, &en));
    if (en) {
        memset(st, 0, sizeof(st));
        CHECK_HR(en->lpVtbl->Next(en, 8, st, &fetched), S_FALSE);
        CHECK(fetched == 3);
        k = find_element(st, fetched, "Data");
        CHECK(k >= 0 && st[k].type == STGTY_STREAM && st[k].cbSize.QuadPart == 10);
        k = find_element(st, fetched, "Sub");
        CHECK(k >= 0 && st[k].type == STGTY_STORAGE && IsEqualGUID(&st[k].clsid, &other_clsid));
        CHECK(find_element(st, fetched, "TSub") >= 0);
        for (i = 0; i < fetched; i++)
            CoTaskMemFree(st[i].pwcsName);
        CHECK_HR(en->lpVtbl->Next(en, 1, st, NULL), S_FALSE);
        CHECK_OK(en->lpVtbl->Reset(en));
        CHECK_OK(en->lpVtbl->Skip(en, 1));
        CHECK_OK(en->lpVtbl->Next(en, 1, st, &fetched));
        CHECK(fetched == 1 && st[0].pwcsName != NULL);
        CoTaskMemFree(st[0].pwcsName);
        CHECK_OK(en->lpVtbl->Clone(en, &en2));
        if (en2) {
            /* The clone continues from the same place. */
            CHECK_HR(en2->lpVtbl->Next(en2, 8, st, &fetched), S_FALSE);
            CHECK(fetched == 1);
            if (fetched == 1)
                CoTaskMemFree(st[0].pwcsName);
            CHECK(en2->lpVtbl->Release(en2) == 0);
        }
        CHECK_HR(en->lpVtbl->Skip(en, 5), S_FALSE);
        CHECK(en->lpVtbl->Release(en) == 0);
    }

    /* Destroy, rename. */
    CHECK_OK(stg->lpVtbl->DestroyElement(stg, u"TSub"));
    CHECK_HR(stg->lpVtbl->OpenStorage(stg, u"TSub", NULL, CHILD_RW, NULL, 0, &sub), STG_E_FILENOTFOUND);
    CHECK_HR(stg->lpVtbl->DestroyElement(stg, u"TSub"), STG_E_FILENOTFOUND);
    CHECK_OK(stg->lpVtbl->RenameElement(stg, u"Data", u"Renamed"));
    CHECK_HR(stg->lpVtbl->OpenStream(stg, u"Data", NULL, CHILD_RW, 0, &stm), STG_E_FILENOTFOUND);
    CHECK_HR(stg->lpVtbl->RenameElement(stg, u"Renamed", u"Sub"), STG_E_FILEALREADYEXISTS);
    CHECK_HR(stg->lpVtbl->RenameElement(stg, u"Nope", u"Other"), STG_E_FILENOTFOUND);

    /* Class and Stat. */
    CHECK_OK(stg->lpVtbl->SetClass(stg, &other_clsid));
    CHECK_OK(stg->lpVtbl->Stat(stg, &st[0], STATFLAG_DEFAULT));
    CHECK(st[0].type == STGTY_STORAGE && IsEqualGUID(&st[0].clsid, &other_clsid));
    CHECK(st[0].pwcsName != NULL && (st[0].grfMode & 3) == STGM_READWRITE);
    CoTaskMemFree(st[0].pwcsName);
    CHECK_OK(stg->lpVtbl->Stat(stg, &st[0], STATFLAG_NONAME));
    CHECK(st[0].pwcsName == NULL);

    /* Commit publishes; Revert drops what came after. */
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    CHECK_OK(stg->lpVtbl->CreateStream(stg, u"Temporary", CHILD_RW, 0, 0, &stm));
    if (stm)
        stm->lpVtbl->Release(stm);
    CHECK_OK(stg->lpVtbl->Revert(stg));
    CHECK_HR(stg->lpVtbl->OpenStream(stg, u"Temporary", NULL, CHILD_RW, 0, &stm), STG_E_FILENOTFOUND);
    CHECK(stg->lpVtbl->Release(stg) == 0);

    /* The file as committed. */
    stg = open_stg("storage.cfb", STGM_READ | STGM_TRANSACTED);
    if (!stg)
        return;
    CHECK_OK(stg->lpVtbl->Stat(stg, &st[0], STATFLAG_NONAME));
    CHECK(IsEqualGUID(&st[0].clsid, &other_clsid));
    CHECK_OK(stg->lpVtbl->OpenStream(stg, u"Renamed", NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &stm));
    if (stm) {
        memset(buf, 0, sizeof(buf));
        CHECK(read_bytes(stm, buf, sizeof(buf)) == 10 && memcmp(buf, "0123456789", 10) == 0);
        stm->lpVtbl->Release(stm);
    }
    CHECK_OK(stg->lpVtbl->OpenStorage(stg, u"Sub", NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, NULL, 0, &sub));
    if (sub) {
        CHECK_OK(sub->lpVtbl->OpenStream(sub, u"Inner", NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &stm));
        if (stm) {
            memset(buf, 0, sizeof(buf));
            CHECK(read_bytes(stm, buf, sizeof(buf)) == 5 && memcmp(buf, "inner", 5) == 0);
            stm->lpVtbl->Release(stm);
        }
        sub->lpVtbl->Release(sub);
    }
    CHECK_HR(stg->lpVtbl->OpenStorage(stg, u"TSub", NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, NULL, 0, &sub),
             STG_E_FILENOTFOUND);
    /* Read-only: no changes. */
    CHECK_HR(stg->lpVtbl->CreateStream(stg, u"New", CHILD_RW, 0, 0, &stm), STG_E_ACCESSDENIED);
    CHECK_HR(stg->lpVtbl->DestroyElement(stg, u"Renamed"), STG_E_ACCESSDENIED);
    CHECK(stg->lpVtbl->Release(stg) == 0);
}

static void test_istream(void)
{
    IStorage *stg = create_stg("stream.cfb");
    IStream *stm = NULL, *copy = NULL, *clone = NULL;
    ULARGE_INTEGER size, nread, nwritten;
    STATSTG st;
    char buf[32];

    if (!stg)
        return;
    CHECK_OK(stg->lpVtbl->CreateStream(stg, u"Main", CHILD_RW, 0, 0, &stm));
    CHECK_OK(stg->lpVtbl->CreateStream(stg, u"Copy", CHILD_RW, 0, 0, &copy));
    if (!stm || !copy)
        goto done;

    CHECK(write_bytes(stm, "hello world", 11) == 11);
    CHECK(seek(stm, 0, STREAM_SEEK_CUR) == 11);
    CHECK(seek(stm, 0, STREAM_SEEK_SET) == 0);
    memset(buf, 0, sizeof(buf));
    CHECK(read_bytes(stm, buf, sizeof(buf)) == 11 && strcmp(buf, "hello world") == 0);
    CHECK(read_bytes(stm, buf, sizeof(buf)) == 0);
    CHECK(seek(stm, -5, STREAM_SEEK_END) == 6);
    memset(buf, 0, sizeof(buf));
    CHECK(read_bytes(stm, buf, 5) == 5 && strcmp(buf, "world") == 0);
    CHECK(seek(stm, -3, STREAM_SEEK_CUR) == 8);

    /* Clone: same content, own position. */
    CHECK_OK(stm->lpVtbl->Clone(stm, &clone));
    if (clone) {
        memset(buf, 0, sizeof(buf));
        CHECK(read_bytes(clone, buf, sizeof(buf)) == 3 && strcmp(buf, "rld") == 0);
        CHECK(seek(clone, 0, STREAM_SEEK_SET) == 0);
        CHECK(seek(stm, 0, STREAM_SEEK_CUR) == 8);
        CHECK(clone->lpVtbl->Release(clone) == 0);
    }

    /* CopyTo from the current position. */
    CHECK(seek(stm, 0, STREAM_SEEK_SET) == 0);
    size.QuadPart = 5;
    CHECK_OK(stm->lpVtbl->CopyTo(stm, copy, size, &nread, &nwritten));
    CHECK(nread.QuadPart == 5 && nwritten.QuadPart == 5);
    CHECK(seek(stm, 0, STREAM_SEEK_CUR) == 5);
    size.QuadPart = 1000; /* more than is left */
    CHECK_OK(stm->lpVtbl->CopyTo(stm, copy, size, &nread, NULL));
    CHECK(nread.QuadPart == 6);
    CHECK(seek(copy, 0, STREAM_SEEK_SET) == 0);
    memset(buf, 0, sizeof(buf));
    CHECK(read_bytes(copy, buf, sizeof(buf)) == 11 && strcmp(buf, "hello world") == 0);

    /* SetSize, Stat, Commit. */
    size.QuadPart = 5;
    CHECK_OK(stm->lpVtbl->SetSize(stm, size));
    CHECK_OK(stm->lpVtbl->Stat(stm, &st, STATFLAG_DEFAULT));
    CHECK(st.type == STGTY_STREAM && st.cbSize.QuadPart == 5);
    CHECK(st.pwcsName != NULL && wide_eq(st.pwcsName, "Main"));
    CoTaskMemFree(st.pwcsName);
    CHECK_OK(stm->lpVtbl->Stat(stm, &st, STATFLAG_NONAME));
    CHECK(st.pwcsName == NULL && st.cbSize.QuadPart == 5);
    size.QuadPart = 20;
    CHECK_OK(stm->lpVtbl->SetSize(stm, size));
    CHECK(seek(stm, 0, STREAM_SEEK_END) == 20);
    CHECK(seek(stm, 0, STREAM_SEEK_SET) == 0);
    memset(buf, 0x55, sizeof(buf));
    CHECK(read_bytes(stm, buf, sizeof(buf)) == 20);
    /* Growing pads with zeros. */
    CHECK(memcmp(buf, "hello\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20) == 0);
    CHECK_OK(stm->lpVtbl->Commit(stm, STGC_DEFAULT));
    CHECK_HR(stm->lpVtbl->Read(stm, NULL, 1, NULL), STG_E_INVALIDPOINTER);

done:
    if (stm)
        CHECK(stm->lpVtbl->Release(stm) == 0);
    if (copy)
        CHECK(copy->lpVtbl->Release(copy) == 0);
    CHECK(stg->lpVtbl->Release(stg) == 0);
}

int main(void)
{
    if (!test_dir_create("imsg-api-errors"))
        return 1;
    test_sessions();
    test_open_args();
    test_release_callback();
    test_session_close();
    test_allocators();
    test_mapi_memory();
    test_get_last_error();
    test_props(1);
    test_props(0);
    test_open_property(1);
    test_open_property(0);
    test_attribs();
    test_query_interface();
    test_save();
    test_storage_functions();
    test_istorage();
    test_istream();
    test_dir_remove();
    return check_report("api_errors.c");
}
