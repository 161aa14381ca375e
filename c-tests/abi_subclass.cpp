// abi_subclass.cpp - C++ classes implementing our interfaces (without CINTERFACE) are
// binary COM objects: a C caller's lpVtbl slot n reaches the C++ method of slot n, calls
// through an IMessage* reach the subclass, and the library calls into a C++ IStream.
#include <cstdint>
#include <cstring>

#include "check.h"
#include "imessage.h"
#include "testdir.h"
#include "wide.h"

// Which slot was called last, and with what.
static int last_slot = -1;
static ULONG last_ulong = 0;

// A do-nothing message that records each call. Every IMessage method is pure virtual in
// our header, so leaving one out would not compile.
class FakeMessage : public IMessage {
    ULONG refs = 1;

    HRESULT called(int slot, ULONG arg = 0)
    {
        last_slot = slot;
        last_ulong = arg;
        return S_OK;
    }

public:
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override
    {
        called(0);
        if (riid == IID_IUnknown || riid == IID_IMAPIProp || riid == IID_IMessage) {
            *ppv = this;
            ++refs;
            return S_OK;
        }
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override
    {
        called(1);
        return ++refs;
    }
    ULONG STDMETHODCALLTYPE Release() override
    {
        called(2);
        return --refs;
    }
    HRESULT STDMETHODCALLTYPE GetLastError(HRESULT, ULONG f, LPMAPIERROR *) override { return called(3, f); }
    HRESULT STDMETHODCALLTYPE SaveChanges(ULONG f) override { return called(4, f); }
    HRESULT STDMETHODCALLTYPE GetProps(LPSPropTagArray t, ULONG, ULONG *n, LPSPropValue *p) override
    {
        *n = 0;
        *p = nullptr;
        return called(5, t ? t->cValues : 0);
    }
    HRESULT STDMETHODCALLTYPE GetPropList(ULONG f, LPSPropTagArray *) override { return called(6, f); }
    HRESULT STDMETHODCALLTYPE OpenProperty(ULONG tag, LPCIID, ULONG, ULONG, LPUNKNOWN *) override
    {
        return called(7, tag);
    }
    HRESULT STDMETHODCALLTYPE SetProps(ULONG n, LPSPropValue v, LPSPropProblemArray *) override
    {
        return called(8, n ? v[0].Value.ul : 0);
    }
    HRESULT STDMETHODCALLTYPE DeleteProps(LPSPropTagArray, LPSPropProblemArray *) override { return called(9); }
    HRESULT STDMETHODCALLTYPE CopyTo(ULONG, LPCIID, LPSPropTagArray, ULONG_PTR, LPMAPIPROGRESS, LPCIID, LPVOID,
                                     ULONG f, LPSPropProblemArray *) override
    {
        return called(10, f);
    }
    HRESULT STDMETHODCALLTYPE CopyProps(LPSPropTagArray, ULONG_PTR, LPMAPIPROGRESS, LPCIID, LPVOID, ULONG f,
                                        LPSPropProblemArray *) override
    {
        return called(11, f);
    }
    HRESULT STDMETHODCALLTYPE GetNamesFromIDs(LPSPropTagArray *, LPGUID, ULONG f, ULONG *, LPMAPINAMEID **) override
    {
        return called(12, f);
    }
    HRESULT STDMETHODCALLTYPE GetIDsFromNames(ULONG n, LPMAPINAMEID *, ULONG, LPSPropTagArray *) override
    {
        return called(13, n);
    }
    HRESULT STDMETHODCALLTYPE GetAttachmentTable(ULONG f, LPMAPITABLE *) override { return called(14, f); }
    HRESULT STDMETHODCALLTYPE OpenAttach(ULONG num, LPCIID, ULONG, LPATTACH *) override { return called(15, num); }
    HRESULT STDMETHODCALLTYPE CreateAttach(LPCIID, ULONG f, ULONG *, LPATTACH *) override { return called(16, f); }
    HRESULT STDMETHODCALLTYPE DeleteAttach(ULONG num, ULONG_PTR, LPMAPIPROGRESS, ULONG) override
    {
        return called(17, num);
    }
    HRESULT STDMETHODCALLTYPE GetRecipientTable(ULONG f, LPMAPITABLE *) override { return called(18, f); }
    HRESULT STDMETHODCALLTYPE ModifyRecipients(ULONG f, LPADRLIST) override { return called(19, f); }
    HRESULT STDMETHODCALLTYPE SubmitMessage(ULONG f) override { return called(20, f); }
    HRESULT STDMETHODCALLTYPE SetReadFlag(ULONG f) override { return called(21, f); }
};

// The function in slot `n` of a COM object's vtable, typed as a C caller would call it.
template <typename Fn> static Fn vtable_slot(void *object, int n)
{
    void *const *vtbl = *static_cast<void *const *const *>(object);
    Fn f;
    static_assert(sizeof(f) == sizeof(vtbl[n]), "function and object pointers differ in size");
    std::memcpy(&f, &vtbl[n], sizeof(f));
    return f;
}

// A C++ IStream collecting what is written to it (no storage behind it).
class MemoryStream : public IStream {
public:
    ULONG refs = 1;
    BYTE data[64] = {};
    ULONG size = 0;

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override
    {
        if (riid == IID_IUnknown || riid == IID_ISequentialStream || riid == IID_IStream) {
            *ppv = this;
            AddRef();
            return S_OK;
        }
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return ++refs; }
    ULONG STDMETHODCALLTYPE Release() override { return --refs; }
    HRESULT STDMETHODCALLTYPE Read(void *, ULONG, ULONG *n) override
    {
        if (n)
            *n = 0;
        return S_FALSE;
    }
    HRESULT STDMETHODCALLTYPE Write(const void *pv, ULONG cb, ULONG *n) override
    {
        ULONG room = sizeof(data) - size, take = cb < room ? cb : room;
        std::memcpy(data + size, pv, take);
        size += take;
        if (n)
            *n = take;
        return take == cb ? S_OK : STG_E_MEDIUMFULL;
    }
    HRESULT STDMETHODCALLTYPE Seek(LARGE_INTEGER, DWORD, ULARGE_INTEGER *) override { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE SetSize(ULARGE_INTEGER) override { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE CopyTo(IStream *, ULARGE_INTEGER, ULARGE_INTEGER *, ULARGE_INTEGER *) override
    {
        return E_NOTIMPL;
    }
    HRESULT STDMETHODCALLTYPE Commit(DWORD) override { return S_OK; }
    HRESULT STDMETHODCALLTYPE Revert() override { return S_OK; }
    HRESULT STDMETHODCALLTYPE LockRegion(ULARGE_INTEGER, ULARGE_INTEGER, DWORD) override { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE UnlockRegion(ULARGE_INTEGER, ULARGE_INTEGER, DWORD) override { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE Stat(STATSTG *, DWORD) override { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE Clone(IStream **) override { return E_NOTIMPL; }
};

static void test_fake_message()
{
    FakeMessage fake;
    IMessage *msg = &fake;
    SPropValue v;
    std::memset(&v, 0, sizeof(v));
    v.ulPropTag = PROP_TAG(PT_LONG, 0x6600);
    v.Value.l = 1234;

    // Through the C++ interface pointer.
    CHECK_OK(msg->SetProps(1, &v, nullptr));
    CHECK(last_slot == 8 && last_ulong == 1234);
    CHECK_OK(msg->SetReadFlag(77));
    CHECK(last_slot == 21 && last_ulong == 77);

    // Through the vtable as C code sees it: slot n is the n-th pointer.
    typedef HRESULT (*QueryInterfaceFn)(IMessage *, const IID *, void **);
    typedef ULONG (*RefFn)(IMessage *);
    typedef HRESULT (*GetLastErrorFn)(IMessage *, HRESULT, ULONG, LPMAPIERROR *);
    typedef HRESULT (*FlagsFn)(IMessage *, ULONG);
    typedef HRESULT (*GetPropsFn)(IMessage *, LPSPropTagArray, ULONG, ULONG *, LPSPropValue *);
    typedef HRESULT (*OpenPropertyFn)(IMessage *, ULONG, LPCIID, ULONG, ULONG, LPUNKNOWN *);
    typedef HRESULT (*SetPropsFn)(IMessage *, ULONG, LPSPropValue, LPSPropProblemArray *);
    typedef HRESULT (*GetIDsFromNamesFn)(IMessage *, ULONG, LPMAPINAMEID *, ULONG, LPSPropTagArray *);
    typedef HRESULT (*TableFn)(IMessage *, ULONG, LPMAPITABLE *);
    typedef HRESULT (*OpenAttachFn)(IMessage *, ULONG, LPCIID, ULONG, LPATTACH *);
    typedef HRESULT (*ModifyRecipientsFn)(IMessage *, ULONG, LPADRLIST);

    void *p = nullptr;
    CHECK_OK(vtable_slot<QueryInterfaceFn>(msg, 0)(msg, &IID_IMessage, &p));
    CHECK(last_slot == 0 && p == msg);
    CHECK(vtable_slot<RefFn>(msg, 1)(msg) == 3 && last_slot == 1);
    CHECK(vtable_slot<RefFn>(msg, 2)(msg) == 2 && last_slot == 2);
    CHECK(vtable_slot<RefFn>(msg, 2)(msg) == 1);
    CHECK_OK(vtable_slot<GetLastErrorFn>(msg, 3)(msg, E_FAIL, 3, nullptr));
    CHECK(last_slot == 3 && last_ulong == 3);
    CHECK_OK(vtable_slot<FlagsFn>(msg, 4)(msg, KEEP_OPEN_READWRITE));
    CHECK(last_slot == 4 && last_ulong == KEEP_OPEN_READWRITE);
    SizedSPropTagArray(2, tags) = {2, {PROP_TAG(PT_LONG, 0x6600), PROP_TAG(PT_LONG, 0x6601)}};
    ULONG n = 9;
    LPSPropValue props = &v;
    CHECK_OK(vtable_slot<GetPropsFn>(msg, 5)(msg, reinterpret_cast<LPSPropTagArray>(&tags), 0, &n, &props));
    CHECK(last_slot == 5 && last_ulong == 2 && n == 0 && props == nullptr);
    CHECK_OK(vtable_slot<OpenPropertyFn>(msg, 7)(msg, 0x37001F, &IID_IStream, 0, 0, nullptr));
    CHECK(last_slot == 7 && last_ulong == 0x37001F);
    v.Value.l = 4321;
    CHECK_OK(vtable_slot<SetPropsFn>(msg, 8)(msg, 1, &v, nullptr));
    CHECK(last_slot == 8 && last_ulong == 4321);
    CHECK_OK(vtable_slot<GetIDsFromNamesFn>(msg, 13)(msg, 5, nullptr, 0, nullptr));
    CHECK(last_slot == 13 && last_ulong == 5);
    CHECK_OK(vtable_slot<TableFn>(msg, 14)(msg, 14, nullptr));
    CHECK(last_slot == 14 && last_ulong == 14);
    CHECK_OK(vtable_slot<OpenAttachFn>(msg, 15)(msg, 3, nullptr, 0, nullptr));
    CHECK(last_slot == 15 && last_ulong == 3);
    CHECK_OK(vtable_slot<TableFn>(msg, 18)(msg, 18, nullptr));
    CHECK(last_slot == 18 && last_ulong == 18);
    CHECK_OK(vtable_slot<ModifyRecipientsFn>(msg, 19)(msg, MODRECIP_ADD, nullptr));
    CHECK(last_slot == 19 && last_ulong == MODRECIP_ADD);
    CHECK_OK(vtable_slot<FlagsFn>(msg, 21)(msg, CLEAR_READ_FLAG));
    CHECK(last_slot == 21 && last_ulong == CLEAR_READ_FLAG);

    // Functions that need one of the library's own messages refuse it without calling it.
    LPSPropAttrArray attrs = nullptr;
    last_slot = -1;
    CHECK_HR(GetAttribIMsgOnIStg(msg, reinterpret_cast<LPSPropTagArray>(&tags), &attrs), MAPI_E_INVALID_PARAMETER);
    CHECK(attrs == nullptr && last_slot == -1);
}

// The library calls a C++ IStream: IStream::CopyTo from one of our streams into it.
static void test_library_calls_cpp()
{
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = nullptr;
    IStream *stm = nullptr;
    MemoryStream sink;

    test_path("copy.cfb", path, wpath);
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(stg->CreateStream(W("Source"), STGM_READWRITE | STGM_SHARE_EXCLUSIVE, 0, 0, &stm));
    if (stm) {
        ULONG n = 0;
        CHECK_OK(stm->Write("copied into C++", 15, &n));
        LARGE_INTEGER zero;
        zero.QuadPart = 0;
        CHECK_OK(stm->Seek(zero, STREAM_SEEK_SET, nullptr));
        ULARGE_INTEGER all, nread, nwritten;
        all.QuadPart = ~0ULL;
        CHECK_OK(stm->CopyTo(&sink, all, &nread, &nwritten));
        CHECK(nread.QuadPart == 15 && nwritten.QuadPart == 15);
        CHECK(sink.size == 15 && std::memcmp(sink.data, "copied into C++", 15) == 0);
        // Any reference the library took on the sink was given back.
        CHECK(sink.refs == 1);
        CHECK(stm->Release() == 0);
    }
    CHECK(stg->Release() == 0);
}

int main()
{
    if (!test_dir_create("imsg-abi-subclass"))
        return 1;
    test_fake_message();
    test_library_calls_cpp();
    test_dir_remove();
    return check_report("abi_subclass.cpp");
}
