// api_errors_cpp.cpp - the C++ face of the API: the round trip of roundtrip.c written with
// method calls (msg->SetProps, stg->Commit), for a Unicode and an ANSI message, with an
// IMalloc implemented in C++ by subclassing the interface from our headers and passed to
// OpenIMsgSession and OpenIMsgOnIStg.
#include <cstdlib>
#include <cstring>

#include "every_type.h"
#include "testdir.h"

#ifndef PR_STORE_SUPPORT_MASK
#define PR_STORE_SUPPORT_MASK PROP_TAG(PT_LONG, 0x340D)
#endif

// An allocator that counts what it hands out. Every method is a pure virtual of IMalloc,
// so this class only compiles if it overrides each one with the header's signature.
class CountingMalloc : public IMalloc {
public:
    ULONG refs = 1;
    int live = 0;

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override
    {
        if (!ppv)
            return E_INVALIDARG;
        if (riid == IID_IUnknown || riid == IID_IMalloc) {
            *ppv = this;
            AddRef();
            return S_OK;
        }
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return ++refs; }
    // The object lives on the stack of main; the count only proves the calls balance.
    ULONG STDMETHODCALLTYPE Release() override { return --refs; }

    void *STDMETHODCALLTYPE Alloc(SIZE_T cb) override
    {
        // A 16-byte header holds the size, for GetSize and Realloc.
        SIZE_T *p = static_cast<SIZE_T *>(std::malloc(cb + 16));
        if (!p)
            return nullptr;
        *p = cb;
        live++;
        return reinterpret_cast<char *>(p) + 16;
    }
    void *STDMETHODCALLTYPE Realloc(void *pv, SIZE_T cb) override
    {
        if (!pv)
            return Alloc(cb);
        void *q = Alloc(cb);
        if (q) {
            SIZE_T old = GetSize(pv);
            std::memcpy(q, pv, old < cb ? old : cb);
            Free(pv);
        }
        return q;
    }
    void STDMETHODCALLTYPE Free(void *pv) override
    {
        if (pv) {
            live--;
            std::free(static_cast<char *>(pv) - 16);
        }
    }
    SIZE_T STDMETHODCALLTYPE GetSize(void *pv) override
    {
        return pv ? *reinterpret_cast<SIZE_T *>(static_cast<char *>(pv) - 16) : static_cast<SIZE_T>(-1);
    }
    int STDMETHODCALLTYPE DidAlloc(void *) override { return -1; }
    void STDMETHODCALLTYPE HeapMinimize() override {}
};

static void write_message(const WCHAR *path, bool unicode, IMalloc *malloc_)
{
    IStorage *stg = nullptr;
    LPMSGSESS sess = nullptr;
    LPMESSAGE msg = nullptr;
    SPropValue values[EVERY_TYPE_COUNT];
    LPSPropProblemArray problems = nullptr;
    ULONG flags = unicode ? MAPI_UNICODE : 0;

    CHECK_OK(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    CHECK_OK(OpenIMsgSession(malloc_, flags, &sess));
    if (stg)
        CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, malloc_, nullptr, stg,
                                nullptr, 0, flags, &msg));
    if (!msg) {
        CHECK(msg != nullptr);
        if (stg)
            stg->Release();
        CloseIMsgSession(sess);
        return;
    }
    // REFCLSID and REFIID are references in C++.
    CHECK_OK(WriteClassStg(stg, CLSID_MailMessage));
    IMessage *same = nullptr;
    CHECK_OK(msg->QueryInterface(IID_IMessage, reinterpret_cast<void **>(&same)));
    CHECK(same == msg);
    if (same)
        CHECK(same->Release() == 1);

    every_type_values(values);
    CHECK_OK(msg->SetProps(EVERY_TYPE_COUNT, values, &problems));
    CHECK(problems == nullptr);
    MAPIFreeBuffer(problems);

    CHECK_OK(msg->SaveChanges(KEEP_OPEN_READWRITE));
    CHECK_OK(stg->Commit(STGC_DEFAULT));
    CHECK(stg->Release() > 0);
    CHECK(msg->Release() == 0);
    CloseIMsgSession(sess);
}

static void read_message(const WCHAR *path, bool unicode, IMalloc *malloc_)
{
    IStorage *stg = nullptr;
    LPMESSAGE msg = nullptr;
    SPropValue want[EVERY_TYPE_COUNT];
    SizedSPropTagArray(EVERY_TYPE_COUNT, tags);
    SizedSPropTagArray(1, mask_tag) = {1, {PR_STORE_SUPPORT_MASK}};
    LPSPropValue got = nullptr;
    ULONG count = 0;
    CLSID clsid;

    CHECK_OK(StgOpenStorage(path, nullptr, STGM_READ | STGM_TRANSACTED, nullptr, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(nullptr, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, malloc_, nullptr, stg,
                            nullptr, 0, 0, &msg));
    CHECK_OK(ReadClassStg(stg, &clsid));
    CHECK(clsid == CLSID_MailMessage);
    stg->Release();
    if (!msg)
        return;

    every_type_values(want);
    tags.cValues = EVERY_TYPE_COUNT;
    for (int i = 0; i < EVERY_TYPE_COUNT; i++)
        tags.aulPropTag[i] = want[i].ulPropTag;
    // The PT_ERROR entry was never stored, so a warning comes back.
    CHECK_HR(msg->GetProps(reinterpret_cast<LPSPropTagArray>(&tags), 0, &count, &got), MAPI_W_ERRORS_RETURNED);
    CHECK(count == EVERY_TYPE_COUNT && got != nullptr);
    if (got && count == EVERY_TYPE_COUNT)
        for (int i = 0; i < EVERY_TYPE_COUNT; i++)
            every_type_compare(&want[i], &got[i], unicode);
    MAPIFreeBuffer(got);

    CHECK_OK(msg->GetProps(reinterpret_cast<LPSPropTagArray>(&mask_tag), 0, &count, &got));
    if (got)
        CHECK(((got[0].Value.l & STORE_UNICODE_OK) != 0) == unicode);
    MAPIFreeBuffer(got);

    // The 100000-byte binary, through a stream opened with a C++ call.
    IStream *stm = nullptr;
    CHECK_OK(msg->OpenProperty(want[13].ulPropTag, &IID_IStream, STGM_READ, 0, reinterpret_cast<LPUNKNOWN *>(&stm)));
    if (stm) {
        STATSTG st;
        CHECK_OK(stm->Stat(&st, STATFLAG_NONAME));
        CHECK(st.cbSize.QuadPart == want[13].Value.bin.cb);
        BYTE head[16];
        ULONG n = 0;
        CHECK_OK(stm->Read(head, sizeof(head), &n));
        CHECK(n == sizeof(head) && std::memcmp(head, want[13].Value.bin.lpb, sizeof(head)) == 0);
        CHECK(stm->Release() == 0);
    }

    CHECK_HR(msg->SetProps(1, want, nullptr), MAPI_E_NO_ACCESS);
    CHECK(msg->Release() == 0);
}

int main()
{
    CountingMalloc counting;
    IMalloc *malloc_ = &counting;

    // The C++ object works through the interface pointer, as the library sees it.
    void *p = malloc_->Alloc(24);
    CHECK(p != nullptr && malloc_->GetSize(p) == 24);
    malloc_->Free(p);
    IMalloc *again = nullptr;
    CHECK_OK(malloc_->QueryInterface(IID_IMalloc, reinterpret_cast<void **>(&again)));
    CHECK(again == malloc_ && counting.refs == 2);
    again->Release();

    if (!test_dir_create("imsg-api-cpp"))
        return 1;
    for (int unicode = 1; unicode >= 0; unicode--) {
        char path[256];
        WCHAR wpath[256];
        test_path(unicode ? "unicode.msg" : "ansi.msg", path, wpath);
        write_message(wpath, unicode != 0, malloc_);
        read_message(wpath, unicode != 0, malloc_);
    }
    test_dir_remove();

    // Whatever the library did with our allocator, it gave everything back.
    CHECK(counting.refs == 1);
    CHECK(counting.live == 0);
    return check_report("api_errors_cpp.cpp");
}
