/* storage_methods.c - the IStorage, IStream and IEnumSTATSTG methods beyond reading and
   writing: CopyTo with exclusions (into a file and into a memory lock-bytes, the "save a
   copy" flow), MoveElementTo, SetElementTimes, SetStateBits, Stat with times and class,
   LockRegion/UnlockRegion, Clone, and Next/Skip/Reset/Clone of enumerators. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testdir.h"
#include "wide.h"

#define RW_EXCL (STGM_READWRITE | STGM_SHARE_EXCLUSIVE)
#define RD_EXCL (STGM_READ | STGM_SHARE_EXCLUSIVE)

static const CLSID clsid_a = {0x11111111, 0x2222, 0x3333, {1, 2, 3, 4, 5, 6, 7, 8}};
static const CLSID clsid_b = {0xAAAAAAAA, 0xBBBB, 0xCCCC, {8, 7, 6, 5, 4, 3, 2, 1}};

static void put(IStorage *stg, const char *name, const char *text)
{
    IStream *s = NULL;
    ULONG n = 0;
    CHECK_OK(stg->lpVtbl->CreateStream(stg, W(name), RW_EXCL | STGM_CREATE, 0, 0, &s));
    if (s) {
        CHECK_OK(s->lpVtbl->Write(s, text, (ULONG)strlen(text), &n));
        s->lpVtbl->Release(s);
    }
}

/* Whether `stg` holds stream `name` with exactly `text`. */
static int has(IStorage *stg, const char *name, const char *text)
{
    IStream *s = NULL;
    char buf[256];
    ULONG n = 0;
    int ok;
    if (FAILED(stg->lpVtbl->OpenStream(stg, W(name), NULL, RD_EXCL, 0, &s)))
        return 0;
    ok = SUCCEEDED(s->lpVtbl->Read(s, buf, sizeof buf, &n)) && n == strlen(text) && memcmp(buf, text, n) == 0;
    s->lpVtbl->Release(s);
    return ok;
}

static int exists(IStorage *stg, const char *name)
{
    IEnumSTATSTG *e = NULL;
    STATSTG st;
    ULONG n;
    int found = 0;
    if (FAILED(stg->lpVtbl->EnumElements(stg, 0, NULL, 0, &e)))
        return 0;
    while (e->lpVtbl->Next(e, 1, &st, &n) == S_OK) {
        found |= wide_eq(st.pwcsName, name);
        CoTaskMemFree(st.pwcsName);
    }
    e->lpVtbl->Release(e);
    return found;
}

/* A source: class A, streams s1 s2, storage "sub" (class B) holding "inner". */
static IStorage *make_source(const WCHAR *path)
{
    IStorage *root = NULL, *sub = NULL;
    CHECK_OK(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE, 0, &root));
    if (!root)
        return NULL;
    CHECK_OK(root->lpVtbl->SetClass(root, &clsid_a));
    put(root, "s1", "first");
    put(root, "s2", "second");
    CHECK_OK(root->lpVtbl->CreateStorage(root, W("sub"), RW_EXCL, 0, 0, &sub));
    if (sub) {
        CHECK_OK(sub->lpVtbl->SetClass(sub, &clsid_b));
        put(sub, "inner", "deep");
        sub->lpVtbl->Release(sub);
    }
    return root;
}

static void copy_to(void)
{
    char path[256];
    WCHAR wsrc[256], wdst[256];
    IStorage *src, *dst = NULL, *sub = NULL, *mem = NULL;
    ILockBytes *lb = NULL;
    IID streams_only[1];
    WCHAR *snb[2];
    STATSTG st;

    test_path("copy-src.msg", path, wsrc);
    src = make_source(wsrc);
    if (!src)
        return;

    /* Whole tree into a new file: class, streams, sub-storages with their class. */
    test_path("copy-dst.msg", path, wdst);
    CHECK_OK(StgCreateDocfile(wdst, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE, 0, &dst));
    if (dst) {
        put(dst, "S1", "replaced");
        put(dst, "other", "kept");
        CHECK_OK(src->lpVtbl->CopyTo(src, 0, NULL, NULL, dst));
        CHECK_OK(dst->lpVtbl->Stat(dst, &st, STATFLAG_NONAME));
        CHECK(IsEqualCLSID(&st.clsid, &clsid_a));
        CHECK(has(dst, "s1", "first") && has(dst, "s2", "second") && has(dst, "other", "kept"));
        CHECK_OK(dst->lpVtbl->OpenStorage(dst, W("sub"), NULL, RD_EXCL, NULL, 0, &sub));
        if (sub) {
            CHECK(has(sub, "inner", "deep"));
            CHECK_OK(sub->lpVtbl->Stat(sub, &st, STATFLAG_NONAME));
            CHECK(IsEqualCLSID(&st.clsid, &clsid_b));
            sub->lpVtbl->Release(sub);
        }
        CHECK_OK(dst->lpVtbl->Commit(dst, STGC_DEFAULT));
        dst->lpVtbl->Release(dst);
    }

    /* Exclusions: IID_IStream (storages only), then an SNB. */
    CHECK_OK(CreateILockBytesOnHGlobal(NULL, TRUE, &lb));
    CHECK_OK(StgCreateDocfileOnILockBytes(lb, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE, 0, &mem));
    if (mem) {
        streams_only[0] = IID_IStream;
        CHECK_OK(src->lpVtbl->CopyTo(src, 1, streams_only, NULL, mem));
        CHECK(exists(mem, "sub") && !exists(mem, "s1") && !exists(mem, "s2"));
        snb[0] = W("S2");
        snb[1] = NULL;
        CHECK_OK(src->lpVtbl->CopyTo(src, 0, NULL, snb, mem));
        CHECK(exists(mem, "s1") && !exists(mem, "s2"));
        CHECK_OK(mem->lpVtbl->Commit(mem, STGC_DEFAULT));
        mem->lpVtbl->Release(mem);
    }
    if (lb)
        lb->lpVtbl->Release(lb);

    /* Into itself or one of its own storages. */
    CHECK_HR(src->lpVtbl->CopyTo(src, 0, NULL, NULL, src), STG_E_ACCESSDENIED);
    CHECK_OK(src->lpVtbl->OpenStorage(src, W("sub"), NULL, RW_EXCL, NULL, 0, &sub));
    if (sub) {
        CHECK_HR(src->lpVtbl->CopyTo(src, 0, NULL, NULL, sub), STG_E_ACCESSDENIED);
        sub->lpVtbl->Release(sub);
    }
    CHECK_HR(src->lpVtbl->CopyTo(src, 0, NULL, NULL, NULL), STG_E_INVALIDPOINTER);
    src->lpVtbl->Release(src);
}

static void move_element_to(void)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *root, *dest = NULL, *sub = NULL;

    test_path("move.msg", path, wpath);
    root = make_source(wpath);
    if (!root)
        return;
    CHECK_OK(root->lpVtbl->CreateStorage(root, W("dest"), RW_EXCL, 0, 0, &dest));
    if (!dest)
        return;
    CHECK_OK(root->lpVtbl->MoveElementTo(root, W("s1"), dest, W("moved"), STGMOVE_MOVE));
    CHECK(!exists(root, "s1") && has(dest, "moved", "first"));
    CHECK_OK(root->lpVtbl->MoveElementTo(root, W("sub"), dest, W("copied"), STGMOVE_COPY));
    CHECK(exists(root, "sub") && exists(dest, "copied"));
    CHECK_OK(dest->lpVtbl->OpenStorage(dest, W("copied"), NULL, RD_EXCL, NULL, 0, &sub));
    if (sub) {
        CHECK(has(sub, "inner", "deep"));
        sub->lpVtbl->Release(sub);
    }
    /* Renaming through MoveElementTo within one storage. */
    CHECK_OK(root->lpVtbl->MoveElementTo(root, W("s2"), root, W("s2b"), STGMOVE_MOVE));
    CHECK(has(root, "s2b", "second") && !exists(root, "s2"));

    CHECK_HR(root->lpVtbl->MoveElementTo(root, W("nope"), dest, W("x"), STGMOVE_MOVE), STG_E_FILENOTFOUND);
    CHECK_HR(root->lpVtbl->MoveElementTo(root, W("s2b"), dest, W("MOVED"), STGMOVE_MOVE), STG_E_FILEALREADYEXISTS);
    CHECK_HR(root->lpVtbl->MoveElementTo(root, W("s2b"), root, W("s2b"), STGMOVE_COPY), STG_E_ACCESSDENIED);
    CHECK_HR(root->lpVtbl->MoveElementTo(root, W("dest"), dest, W("loop"), STGMOVE_MOVE), STG_E_ACCESSDENIED);
    CHECK_HR(root->lpVtbl->MoveElementTo(root, W("s2b"), dest, W("x"), STGMOVE_SHALLOWCOPY), STG_E_INVALIDFLAG);
    CHECK_HR(root->lpVtbl->MoveElementTo(root, W("s2b"), dest, W("bad/name"), STGMOVE_MOVE), STG_E_INVALIDNAME);
    dest->lpVtbl->Release(dest);
    /* An open element does not move. */
    CHECK_OK(root->lpVtbl->OpenStorage(root, W("sub"), NULL, RW_EXCL, NULL, 0, &sub));
    CHECK_HR(root->lpVtbl->MoveElementTo(root, W("sub"), root, W("sub2"), STGMOVE_MOVE), STG_E_ACCESSDENIED);
    if (sub)
        sub->lpVtbl->Release(sub);
    root->lpVtbl->Release(root);
}

static void times_bits_and_stat(void)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *root = NULL, *sub = NULL;
    FILETIME c, a, m;
    STATSTG st;

    test_path("times.msg", path, wpath);
    root = make_source(wpath);
    if (!root)
        return;
    c.dwLowDateTime = 0x11111111;
    c.dwHighDateTime = 0x01D00000;
    m.dwLowDateTime = 0x22222222;
    m.dwHighDateTime = 0x01D90000;
    a = m;
    CHECK_OK(root->lpVtbl->SetElementTimes(root, W("sub"), &c, &a, &m));
    CHECK_OK(root->lpVtbl->SetElementTimes(root, W("s1"), NULL, NULL, &m)); /* streams: ignored */
    CHECK_HR(root->lpVtbl->SetElementTimes(root, W("none"), NULL, NULL, &m), STG_E_FILENOTFOUND);
    CHECK_OK(root->lpVtbl->SetStateBits(root, 0xF0F0, 0xFF00));
    CHECK_OK(root->lpVtbl->SetStateBits(root, 0x0005, 0x000F));
    CHECK_OK(root->lpVtbl->Commit(root, STGC_DEFAULT));
    root->lpVtbl->Release(root);

    CHECK_OK(StgOpenStorage(wpath, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &root));
    if (!root)
        return;
    CHECK_OK(root->lpVtbl->Stat(root, &st, STATFLAG_DEFAULT));
    CHECK(st.type == STGTY_STORAGE && IsEqualCLSID(&st.clsid, &clsid_a));
    CHECK(st.grfStateBits == 0xF005);
    CHECK(st.grfMode == (STGM_READ | STGM_TRANSACTED));
    CHECK(st.pwcsName && wide_eq(st.pwcsName, path));
    CoTaskMemFree(st.pwcsName);
    CHECK_OK(root->lpVtbl->OpenStorage(root, W("sub"), NULL, RD_EXCL, NULL, 0, &sub));
    if (sub) {
        CHECK_OK(sub->lpVtbl->Stat(sub, &st, STATFLAG_NONAME));
        CHECK(st.pwcsName == NULL && IsEqualCLSID(&st.clsid, &clsid_b));
        CHECK(st.ctime.dwLowDateTime == c.dwLowDateTime && st.ctime.dwHighDateTime == c.dwHighDateTime);
        CHECK(st.mtime.dwLowDateTime == m.dwLowDateTime && st.mtime.dwHighDateTime == m.dwHighDateTime);
        sub->lpVtbl->Release(sub);
    }
    root->lpVtbl->Release(root);
}

static void streams_and_enumerators(void)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *root;
    IStream *s = NULL, *c = NULL;
    IEnumSTATSTG *e = NULL, *e2 = NULL;
    STATSTG items[8];
    ULONG n = 0, i;
    char buf[16];
    ULARGE_INTEGER off, len;
    LARGE_INTEGER zero;
    int names = 0;

    test_path("streams.msg", path, wpath);
    root = make_source(wpath);
    if (!root)
        return;
    CHECK_OK(root->lpVtbl->OpenStream(root, W("s1"), NULL, RW_EXCL, 0, &s));
    if (!s)
        return;
    off.QuadPart = 0;
    len.QuadPart = 4;
    CHECK_HR(s->lpVtbl->LockRegion(s, off, len, LOCK_WRITE), STG_E_INVALIDFUNCTION);
    CHECK_HR(s->lpVtbl->UnlockRegion(s, off, len, LOCK_WRITE), STG_E_INVALIDFUNCTION);
    CHECK_OK(s->lpVtbl->Read(s, buf, 3, &n));
    CHECK_OK(s->lpVtbl->Clone(s, &c));
    if (c) {
        /* The clone starts at the same position and moves on its own. */
        CHECK_OK(c->lpVtbl->Read(c, buf, 2, &n));
        CHECK(n == 2 && memcmp(buf, "st", 2) == 0);
        zero.QuadPart = 0;
        CHECK_OK(c->lpVtbl->Seek(c, zero, STREAM_SEEK_SET, NULL));
        CHECK_OK(c->lpVtbl->Write(c, "F", 1, &n));
        /* Writes through the clone are seen by the original. */
        CHECK_OK(s->lpVtbl->Seek(s, zero, STREAM_SEEK_SET, NULL));
        CHECK_OK(s->lpVtbl->Read(s, buf, 5, &n));
        CHECK(n == 5 && memcmp(buf, "First", 5) == 0);
        /* Still open through the clone after the original is gone. */
        s->lpVtbl->Release(s);
        s = NULL;
        CHECK_HR(root->lpVtbl->OpenStream(root, W("s1"), NULL, RW_EXCL, 0, &s), STG_E_ACCESSDENIED);
        c->lpVtbl->Release(c);
    }
    if (s)
        s->lpVtbl->Release(s);

    CHECK_OK(root->lpVtbl->EnumElements(root, 0, NULL, 0, &e));
    if (e) {
        /* Three elements: asking for 8 gives 3 and S_FALSE. */
        CHECK_HR(e->lpVtbl->Next(e, 8, items, &n), S_FALSE);
        CHECK(n == 3);
        for (i = 0; i < n; i++) {
            names += wide_eq(items[i].pwcsName, "s1") || wide_eq(items[i].pwcsName, "s2") ||
                     wide_eq(items[i].pwcsName, "sub");
            CoTaskMemFree(items[i].pwcsName);
        }
        CHECK(names == 3);
        CHECK_HR(e->lpVtbl->Next(e, 1, items, &n), S_FALSE);
        CHECK(n == 0);
        CHECK_OK(e->lpVtbl->Reset(e));
        CHECK_OK(e->lpVtbl->Skip(e, 2));
        CHECK_OK(e->lpVtbl->Clone(e, &e2));
        CHECK_HR(e->lpVtbl->Skip(e, 2), S_FALSE);
        if (e2) {
            CHECK_OK(e2->lpVtbl->Next(e2, 1, items, NULL));
            CoTaskMemFree(items[0].pwcsName);
            CHECK_HR(e2->lpVtbl->Next(e2, 1, items, NULL), S_FALSE);
            e2->lpVtbl->Release(e2);
        }
        CHECK_HR(e->lpVtbl->Next(e, 2, items, NULL), STG_E_INVALIDPOINTER);
        e->lpVtbl->Release(e);
    }
    root->lpVtbl->Release(root);
}

int main(void)
{
    if (!test_dir_create("imsg-storage-methods"))
        return 1;
    copy_to();
    move_element_to();
    times_bits_and_stat();
    streams_and_enumerators();
    test_dir_remove();
    return check_report("storage_methods");
}
