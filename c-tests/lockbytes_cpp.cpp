// lockbytes_cpp.cpp - the C++ forms: StgCreateStorageEx / StgOpenStorageEx with IIDs passed
// as references (REFIID), and an ILockBytes written as a C++ class (subclassing the
// interface from our header) carrying one of our compound files, including a full medium.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "check.h"
#include "testdir.h"
#include "wide.h"

namespace {

// A lock-bytes in a std::vector, refusing to grow past `capacity`.
class VectorLockBytes final : public ILockBytes {
public:
    std::vector<BYTE> data;
    size_t capacity = SIZE_MAX;
    ULONG refs = 1;

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **out) override
    {
        if (riid == IID_IUnknown || riid == IID_ILockBytes) {
            *out = static_cast<ILockBytes *>(this);
            AddRef();
            return S_OK;
        }
        *out = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return ++refs; }
    ULONG STDMETHODCALLTYPE Release() override
    {
        ULONG left = --refs;
        if (left == 0)
            delete this;
        return left;
    }
    HRESULT STDMETHODCALLTYPE ReadAt(ULARGE_INTEGER off, void *pv, ULONG cb, ULONG *read) override
    {
        size_t n = 0;
        if (off.QuadPart < data.size()) {
            n = data.size() - static_cast<size_t>(off.QuadPart);
            if (n > cb)
                n = cb;
            std::memcpy(pv, data.data() + off.QuadPart, n);
        }
        if (read)
            *read = static_cast<ULONG>(n);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE WriteAt(ULARGE_INTEGER off, const void *pv, ULONG cb, ULONG *written) override
    {
        size_t end = static_cast<size_t>(off.QuadPart) + cb;
        if (written)
            *written = 0;
        if (end > capacity)
            return STG_E_MEDIUMFULL;
        if (end > data.size())
            data.resize(end);
        std::memcpy(data.data() + off.QuadPart, pv, cb);
        if (written)
            *written = cb;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Flush() override { return S_OK; }
    HRESULT STDMETHODCALLTYPE SetSize(ULARGE_INTEGER cb) override
    {
        if (cb.QuadPart > capacity)
            return STG_E_MEDIUMFULL;
        data.resize(static_cast<size_t>(cb.QuadPart));
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE LockRegion(ULARGE_INTEGER, ULARGE_INTEGER, DWORD) override
    {
        return STG_E_INVALIDFUNCTION;
    }
    HRESULT STDMETHODCALLTYPE UnlockRegion(ULARGE_INTEGER, ULARGE_INTEGER, DWORD) override
    {
        return STG_E_INVALIDFUNCTION;
    }
    HRESULT STDMETHODCALLTYPE Stat(STATSTG *st, DWORD) override
    {
        std::memset(st, 0, sizeof *st);
        st->type = STGTY_LOCKBYTES;
        st->cbSize.QuadPart = data.size();
        return S_OK;
    }
};

void put(IStorage *stg, const char *name, const char *text)
{
    IStream *s = nullptr;
    CHECK_OK(stg->CreateStream(W(name), STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, 0, 0, &s));
    if (s) {
        ULONG n = 0;
        CHECK_OK(s->Write(text, static_cast<ULONG>(std::strlen(text)), &n));
        s->Release();
    }
}

bool has(IStorage *stg, const char *name, const char *text)
{
    IStream *s = nullptr;
    if (FAILED(stg->OpenStream(W(name), nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &s)))
        return false;
    char buf[128];
    ULONG n = 0;
    bool ok = SUCCEEDED(s->Read(buf, sizeof buf, &n)) && n == std::strlen(text) && std::memcmp(buf, text, n) == 0;
    s->Release();
    return ok;
}

void storage_ex_references()
{
    char path[256];
    WCHAR wpath[256];
    test_path("cpp4096.msg", path, wpath);
    STGOPTIONS opts = {};
    opts.usVersion = 1;
    opts.ulSectorSize = 4096;
    IStorage *stg = nullptr;
    CHECK_OK(StgCreateStorageEx(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, STGFMT_DOCFILE, 0, &opts,
                                nullptr, IID_IStorage, reinterpret_cast<void **>(&stg)));
    if (!stg)
        return;
    CHECK_OK(WriteClassStg(stg, CLSID_MailMessage));
    put(stg, "hello", "from C++");
    CHECK_OK(stg->Commit(STGC_DEFAULT));
    stg->Release();
    stg = nullptr;
    CHECK_OK(StgOpenStorageEx(wpath, STGM_READ | STGM_SHARE_DENY_WRITE, STGFMT_ANY, 0, nullptr, nullptr,
                              IID_IStorage, reinterpret_cast<void **>(&stg)));
    if (stg) {
        CLSID clsid;
        CHECK_OK(ReadClassStg(stg, &clsid));
        CHECK(clsid == CLSID_MailMessage);
        CHECK(has(stg, "hello", "from C++"));
        stg->Release();
    }
    void *nothing = nullptr;
    CHECK_HR(StgOpenStorageEx(wpath, STGM_READ, STGFMT_DOCFILE, 0, nullptr, nullptr, IID_IMalloc, &nothing),
             E_NOINTERFACE);
}

void cpp_lockbytes()
{
    VectorLockBytes *lb = new VectorLockBytes;
    IStorage *stg = nullptr;
    CHECK_OK(StgCreateDocfileOnILockBytes(lb, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, 0, &stg));
    if (!stg) {
        lb->Release();
        return;
    }
    put(stg, "a", "alpha");
    CHECK_OK(stg->Commit(STGC_DEFAULT));
    CHECK(stg->Release() == 0);
    CHECK(lb->refs == 1 && lb->data.size() >= 1536);
    CHECK_HR(StgIsStorageILockBytes(lb), S_OK);

    // Copy the bytes out, read them back through a file, and reopen the lock-bytes itself.
    char path[256];
    WCHAR wpath[256];
    test_path("from-cpp-lockbytes.msg", path, wpath);
    FILE *f = fopen(path, "wb");
    CHECK(f != nullptr);
    if (f) {
        CHECK(fwrite(lb->data.data(), 1, lb->data.size(), f) == lb->data.size());
        fclose(f);
    }
    IStorage *file = nullptr;
    CHECK_OK(StgOpenStorage(wpath, nullptr, STGM_READ | STGM_SHARE_DENY_WRITE, nullptr, 0, &file));
    if (file) {
        CHECK(has(file, "a", "alpha"));
        file->Release();
    }

    CHECK_OK(StgOpenStorageOnILockBytes(lb, nullptr, STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE,
                                        nullptr, 0, &stg));
    if (stg) {
        std::vector<BYTE> before = lb->data;
        lb->capacity = before.size();
        std::vector<char> big(100000, 'x');
        big.back() = 0;
        put(stg, "big", big.data());
        CHECK_HR(stg->Commit(STGC_DEFAULT), STG_E_MEDIUMFULL);
        CHECK(lb->data == before);
        lb->capacity = SIZE_MAX;
        CHECK_OK(stg->Commit(STGC_DEFAULT));
        CHECK(lb->data.size() > before.size() + 99999);
        stg->Release();
    }
    CHECK(lb->Release() == 0);
}

} // namespace

int main()
{
    if (!test_dir_create("imsg-lockbytes-cpp"))
        return 1;
    storage_ex_references();
    cpp_lockbytes();
    test_dir_remove();
    return check_report("lockbytes_cpp");
}
