// foreign_storage_cpp.cpp - OpenIMsgOnIStg over an IStorage the caller implemented: an
// in-memory tree of storages and streams written here in C++ by subclassing IStorage,
// IStream and IEnumSTATSTG from our headers, with ole32's rules (exclusive opens, case-
// insensitive names of at most 31 characters, STGM_CREATE/FAILIFTHERE, STG_E_FILENOTFOUND,
// children reverted when their parent goes, access checks, names in task memory).
//
// A message with recipients, attachments (by value, an embedded message, an OLE storage) and
// named properties is created in it, saved, everything released, then reopened from the same
// tree and read back. The tree is then copied through the IStorage interfaces into a real
// compound file made by our StgCreateDocfile, compared element by element with the copy
// read back through our storage, and opened with our library to read the same content.
// Also: a stream whose Write fails makes SaveChanges fail with that error (and nothing
// leaks), a storage calling back into the message from inside a call gets MAPI_E_BUSY, and
// read-only, write-only and broken storages are answered as documented.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "check.h"
#include "tags.h"
#include "testdir.h"

typedef std::basic_string<WCHAR> wstr;

static wstr W(const char *s)
{
    wstr out;
    while (*s)
        out.push_back(static_cast<WCHAR>(static_cast<unsigned char>(*s++)));
    return out;
}

static std::string narrow(const WCHAR *w)
{
    std::string out;
    if (w)
        while (*w)
            out.push_back(*w < 128 ? static_cast<char>(*w++) : (w++, '?'));
    return out;
}

static WCHAR upper(WCHAR c)
{
    return c >= 'a' && c <= 'z' ? static_cast<WCHAR>(c - 'a' + 'A') : c;
}

static bool same_name(const wstr &a, const wstr &b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); i++)
        if (upper(a[i]) != upper(b[i]))
            return false;
    return true;
}

// ===== the in-memory storage =====

// One element of the tree.
struct Node {
    wstr name;
    bool is_storage = false;
    std::vector<unsigned char> data;
    std::vector<std::shared_ptr<Node>> children;
    CLSID clsid = {0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};
    DWORD state_bits = 0;
    FILETIME ctime = {0, 0}, atime = {0, 0}, mtime = {0, 0};
    bool open = false; // opened by some object (ole32 allows one open at a time)
};

// What the tests watch: live objects, calls nobody should make, uses after a parent went.
static int live_objects = 0;
static int unexpected_calls = 0;
static int reverted_uses = 0;
static int commits = 0;
static std::set<const void *> mem_storages;
// Bytes streams may still take before Write fails with STG_E_MEDIUMFULL (-1: no limit).
static long long write_budget = -1;
// A message the root storage's Commit calls back into, and what that call returned.
static IMessage *callback_message = nullptr;
static HRESULT callback_hr = S_OK;

static bool writable(DWORD mode)
{
    return (mode & 3) != STGM_READ;
}

static HRESULT check_name(const WCHAR *name)
{
    if (!name)
        return STG_E_INVALIDPOINTER;
    size_t n = 0;
    for (; name[n]; n++)
        if (name[n] == '\\' || name[n] == '/' || name[n] == ':' || name[n] == '!')
            return STG_E_INVALIDNAME;
    return n == 0 || n > 31 ? STG_E_INVALIDNAME : S_OK;
}

static WCHAR *task_string(const wstr &s)
{
    WCHAR *p = static_cast<WCHAR *>(CoTaskMemAlloc((s.size() + 1) * sizeof(WCHAR)));
    if (p) {
        std::memcpy(p, s.data(), s.size() * sizeof(WCHAR));
        p[s.size()] = 0;
    }
    return p;
}

static void fill_stat(const Node &n, STATSTG *st, DWORD flag, DWORD mode)
{
    std::memset(st, 0, sizeof(*st));
    st->pwcsName = flag & STATFLAG_NONAME ? nullptr : task_string(n.name);
    st->type = n.is_storage ? STGTY_STORAGE : STGTY_STREAM;
    st->cbSize.QuadPart = n.is_storage ? 0 : n.data.size();
    st->mtime = n.mtime;
    st->ctime = n.ctime;
    st->atime = n.atime;
    st->grfMode = mode;
    st->clsid = n.clsid;
    st->grfStateBits = n.state_bits;
}

// Something whose calls fail with STG_E_REVERTED once its parent storage is gone.
struct Child {
    std::shared_ptr<bool> parent_alive;
    bool reverted() const
    {
        if (parent_alive && !*parent_alive) {
            reverted_uses++;
            return true;
        }
        return false;
    }
};

class MemStream : public IStream, Child {
    ULONG refs = 1;
    std::shared_ptr<Node> node;
    DWORD mode;
    bool owns_open;
    ULONGLONG pos = 0;

public:
    MemStream(std::shared_ptr<Node> n, DWORD m, std::shared_ptr<bool> parent, bool owns)
        : node(std::move(n)), mode(m), owns_open(owns)
    {
        parent_alive = std::move(parent);
        if (owns_open)
            node->open = true;
        live_objects++;
    }
    virtual ~MemStream()
    {
        if (owns_open)
            node->open = false;
        live_objects--;
    }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override
    {
        if (!ppv)
            return E_POINTER;
        if (riid == IID_IUnknown || riid == IID_ISequentialStream || riid == IID_IStream) {
            *ppv = this;
            AddRef();
            return S_OK;
        }
        *ppv = nullptr;
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
    HRESULT STDMETHODCALLTYPE Read(void *pv, ULONG cb, ULONG *pcb) override
    {
        if (pcb)
            *pcb = 0;
        if (reverted())
            return STG_E_REVERTED;
        if (!pv)
            return STG_E_INVALIDPOINTER;
        ULONGLONG size = node->data.size();
        ULONG n = pos >= size ? 0 : static_cast<ULONG>(std::min<ULONGLONG>(cb, size - pos));
        if (n)
            std::memcpy(pv, node->data.data() + pos, n);
        pos += n;
        if (pcb)
            *pcb = n;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Write(const void *pv, ULONG cb, ULONG *pcb) override
    {
        if (pcb)
            *pcb = 0;
        if (reverted())
            return STG_E_REVERTED;
        if (!pv)
            return STG_E_INVALIDPOINTER;
        if (!writable(mode))
            return STG_E_ACCESSDENIED;
        ULONG n = cb;
        HRESULT hr = S_OK;
        if (write_budget >= 0 && cb > write_budget) {
            n = static_cast<ULONG>(write_budget);
            hr = STG_E_MEDIUMFULL;
        }
        if (write_budget >= 0)
            write_budget -= n;
        if (pos + n > node->data.size())
            node->data.resize(pos + n);
        if (n)
            std::memcpy(node->data.data() + pos, pv, n);
        pos += n;
        if (pcb)
            *pcb = n;
        return hr;
    }
    HRESULT STDMETHODCALLTYPE Seek(LARGE_INTEGER move, DWORD origin, ULARGE_INTEGER *newpos) override
    {
        if (reverted())
            return STG_E_REVERTED;
        long long base;
        switch (origin) {
        case STREAM_SEEK_SET:
            base = 0;
            break;
        case STREAM_SEEK_CUR:
            base = static_cast<long long>(pos);
            break;
        case STREAM_SEEK_END:
            base = static_cast<long long>(node->data.size());
            break;
        default:
            return STG_E_INVALIDFUNCTION;
        }
        if (base + move.QuadPart < 0)
            return STG_E_INVALIDFUNCTION;
        pos = static_cast<ULONGLONG>(base + move.QuadPart);
        if (newpos)
            newpos->QuadPart = pos;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE SetSize(ULARGE_INTEGER size) override
    {
        if (reverted())
            return STG_E_REVERTED;
        if (!writable(mode))
            return STG_E_ACCESSDENIED;
        if (size.QuadPart > (1u << 30))
            return STG_E_MEDIUMFULL;
        node->data.resize(size.QuadPart);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE CopyTo(IStream *, ULARGE_INTEGER, ULARGE_INTEGER *, ULARGE_INTEGER *) override
    {
        unexpected_calls++;
        return STG_E_UNIMPLEMENTEDFUNCTION;
    }
    HRESULT STDMETHODCALLTYPE Commit(DWORD) override { return reverted() ? STG_E_REVERTED : S_OK; }
    HRESULT STDMETHODCALLTYPE Revert() override { return reverted() ? STG_E_REVERTED : S_OK; }
    HRESULT STDMETHODCALLTYPE LockRegion(ULARGE_INTEGER, ULARGE_INTEGER, DWORD) override
    {
        return STG_E_INVALIDFUNCTION;
    }
    HRESULT STDMETHODCALLTYPE UnlockRegion(ULARGE_INTEGER, ULARGE_INTEGER, DWORD) override
    {
        return STG_E_INVALIDFUNCTION;
    }
    HRESULT STDMETHODCALLTYPE Stat(STATSTG *st, DWORD flag) override
    {
        if (reverted())
            return STG_E_REVERTED;
        if (!st)
            return STG_E_INVALIDPOINTER;
        fill_stat(*node, st, flag, mode);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Clone(IStream **out) override
    {
        if (!out)
            return STG_E_INVALIDPOINTER;
        *out = nullptr;
        if (reverted())
            return STG_E_REVERTED;
        MemStream *copy = new MemStream(node, mode, parent_alive, false);
        copy->pos = pos;
        *out = copy;
        return S_OK;
    }
};

class MemEnum : public IEnumSTATSTG {
    ULONG refs = 1;
    std::vector<Node> items; // copies without children or data
    std::vector<ULONGLONG> sizes;
    size_t pos = 0;

public:
    explicit MemEnum(const Node &dir)
    {
        for (const auto &c : dir.children) {
            Node copy;
            copy.name = c->name;
            copy.is_storage = c->is_storage;
            copy.clsid = c->clsid;
            copy.state_bits = c->state_bits;
            copy.ctime = c->ctime;
            copy.atime = c->atime;
            copy.mtime = c->mtime;
            items.push_back(copy);
            sizes.push_back(c->data.size());
        }
        live_objects++;
    }
    MemEnum(const MemEnum &other) : IEnumSTATSTG(), items(other.items), sizes(other.sizes), pos(other.pos)
    {
        live_objects++;
    }
    virtual ~MemEnum() { live_objects--; }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override
    {
        if (!ppv)
            return E_POINTER;
        if (riid == IID_IUnknown || riid == IID_IEnumSTATSTG) {
            *ppv = this;
            AddRef();
            return S_OK;
        }
        *ppv = nullptr;
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
    HRESULT STDMETHODCALLTYPE Next(ULONG celt, STATSTG *out, ULONG *fetched) override
    {
        if (!out || (celt > 1 && !fetched))
            return STG_E_INVALIDPOINTER;
        ULONG n = 0;
        for (; n < celt && pos < items.size(); n++, pos++) {
            fill_stat(items[pos], &out[n], STATFLAG_DEFAULT, 0);
            out[n].cbSize.QuadPart = items[pos].is_storage ? 0 : sizes[pos];
        }
        if (fetched)
            *fetched = n;
        return n == celt ? S_OK : S_FALSE;
    }
    HRESULT STDMETHODCALLTYPE Skip(ULONG celt) override
    {
        size_t n = std::min<size_t>(celt, items.size() - pos);
        pos += n;
        return n == celt ? S_OK : S_FALSE;
    }
    HRESULT STDMETHODCALLTYPE Reset() override
    {
        pos = 0;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Clone(IEnumSTATSTG **out) override
    {
        if (!out)
            return STG_E_INVALIDPOINTER;
        *out = new MemEnum(*this);
        return S_OK;
    }
};

class MemStorage : public IStorage, Child {
    ULONG refs = 1;
    std::shared_ptr<Node> node;
    DWORD mode;
    bool root;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);

    std::shared_ptr<Node> *find(const WCHAR *name)
    {
        wstr n(name);
        for (auto &c : node->children)
            if (same_name(c->name, n))
                return &c;
        return nullptr;
    }
    void remove(const std::shared_ptr<Node> &child)
    {
        auto &v = node->children;
        v.erase(std::remove(v.begin(), v.end(), child), v.end());
    }

    // The checks CreateStream/CreateStorage share; on success `*slot` is the new element.
    HRESULT create(const WCHAR *name, DWORD grfMode, DWORD r1, DWORD r2, bool storage, std::shared_ptr<Node> *out)
    {
        if (reverted())
            return STG_E_REVERTED;
        if (r1 || r2)
            return STG_E_INVALIDPARAMETER;
        HRESULT hr = check_name(name);
        if (hr != S_OK)
            return hr;
        if ((grfMode & 0x70) != STGM_SHARE_EXCLUSIVE)
            return storage ? STG_E_INVALIDFUNCTION : STG_E_INVALIDFLAG;
        if (!storage && (grfMode & STGM_TRANSACTED))
            return STG_E_INVALIDFUNCTION;
        if (!writable(mode))
            return STG_E_ACCESSDENIED;
        if (std::shared_ptr<Node> *existing = find(name)) {
            if (!(grfMode & STGM_CREATE))
                return STG_E_FILEALREADYEXISTS;
            if ((*existing)->open)
                return STG_E_ACCESSDENIED;
            remove(*existing);
        }
        auto n = std::make_shared<Node>();
        n->name = name;
        n->is_storage = storage;
        node->children.push_back(n);
        *out = n;
        return S_OK;
    }

    // The checks OpenStream/OpenStorage share.
    HRESULT open(const WCHAR *name, DWORD grfMode, bool storage, std::shared_ptr<Node> *out)
    {
        if (reverted())
            return STG_E_REVERTED;
        HRESULT hr = check_name(name);
        if (hr != S_OK)
            return hr;
        if ((grfMode & 0x70) != STGM_SHARE_EXCLUSIVE)
            return storage ? STG_E_INVALIDFUNCTION : STG_E_INVALIDFLAG;
        if (!storage && (grfMode & STGM_TRANSACTED))
            return STG_E_INVALIDFUNCTION;
        if (grfMode & STGM_CREATE)
            return STG_E_INVALIDFLAG;
        std::shared_ptr<Node> *existing = find(name);
        if (!existing || (*existing)->is_storage != storage)
            return STG_E_FILENOTFOUND;
        if (writable(grfMode) && !writable(mode))
            return STG_E_ACCESSDENIED;
        if ((*existing)->open)
            return STG_E_ACCESSDENIED;
        *out = *existing;
        return S_OK;
    }

public:
    MemStorage(std::shared_ptr<Node> n, DWORD m, std::shared_ptr<bool> parent)
        : node(std::move(n)), mode(m), root(!parent)
    {
        parent_alive = std::move(parent);
        if (!root)
            node->open = true;
        live_objects++;
        mem_storages.insert(static_cast<IStorage *>(this));
    }
    virtual ~MemStorage()
    {
        *alive = false;
        if (!root)
            node->open = false;
        live_objects--;
        mem_storages.erase(static_cast<IStorage *>(this));
    }
    // Changes the access a root reports (the tree itself is unchanged).
    void set_mode(DWORD m) { mode = m; }
    bool broken_stat = false;

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override
    {
        if (!ppv)
            return E_POINTER;
        if (riid == IID_IUnknown || riid == IID_IStorage) {
            *ppv = this;
            AddRef();
            return S_OK;
        }
        *ppv = nullptr;
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
    HRESULT STDMETHODCALLTYPE CreateStream(const OLECHAR *name, DWORD grfMode, DWORD r1, DWORD r2,
                                           IStream **out) override
    {
        if (!out)
            return STG_E_INVALIDPOINTER;
        *out = nullptr;
        std::shared_ptr<Node> n;
        HRESULT hr = create(name, grfMode, r1, r2, false, &n);
        if (hr == S_OK)
            *out = new MemStream(n, grfMode & ~STGM_CREATE, alive, true);
        return hr;
    }
    HRESULT STDMETHODCALLTYPE OpenStream(const OLECHAR *name, void *r1, DWORD grfMode, DWORD r2,
                                         IStream **out) override
    {
        if (!out)
            return STG_E_INVALIDPOINTER;
        *out = nullptr;
        if (r1 || r2)
            return STG_E_INVALIDPARAMETER;
        std::shared_ptr<Node> n;
        HRESULT hr = open(name, grfMode, false, &n);
        if (hr == S_OK)
            *out = new MemStream(n, grfMode, alive, true);
        return hr;
    }
    HRESULT STDMETHODCALLTYPE CreateStorage(const OLECHAR *name, DWORD grfMode, DWORD r1, DWORD r2,
                                            IStorage **out) override
    {
        if (!out)
            return STG_E_INVALIDPOINTER;
        *out = nullptr;
        std::shared_ptr<Node> n;
        HRESULT hr = create(name, grfMode, r1, r2, true, &n);
        if (hr == S_OK)
            *out = new MemStorage(n, grfMode & ~STGM_CREATE, alive);
        return hr;
    }
    HRESULT STDMETHODCALLTYPE OpenStorage(const OLECHAR *name, IStorage *priority, DWORD grfMode, SNB exclude,
                                          DWORD reserved, IStorage **out) override
    {
        if (!out)
            return STG_E_INVALIDPOINTER;
        *out = nullptr;
        if (priority || exclude || reserved)
            return STG_E_INVALIDPARAMETER;
        std::shared_ptr<Node> n;
        HRESULT hr = open(name, grfMode, true, &n);
        if (hr == S_OK)
            *out = new MemStorage(n, grfMode, alive);
        return hr;
    }
    HRESULT STDMETHODCALLTYPE CopyTo(DWORD, const IID *, SNB, IStorage *) override
    {
        unexpected_calls++;
        return STG_E_UNIMPLEMENTEDFUNCTION;
    }
    HRESULT STDMETHODCALLTYPE MoveElementTo(const OLECHAR *, IStorage *, const OLECHAR *, DWORD) override
    {
        unexpected_calls++;
        return STG_E_UNIMPLEMENTEDFUNCTION;
    }
    HRESULT STDMETHODCALLTYPE Commit(DWORD) override
    {
        if (reverted())
            return STG_E_REVERTED;
        commits++;
        if (root && callback_message) {
            // A storage calling back into the message it serves, from inside its call.
            LPSPropTagArray tags = nullptr;
            callback_hr = callback_message->GetPropList(0, &tags);
            MAPIFreeBuffer(tags);
        }
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Revert() override { return reverted() ? STG_E_REVERTED : S_OK; }
    HRESULT STDMETHODCALLTYPE EnumElements(DWORD r1, void *r2, DWORD r3, IEnumSTATSTG **out) override
    {
        if (!out)
            return STG_E_INVALIDPOINTER;
        *out = nullptr;
        if (reverted())
            return STG_E_REVERTED;
        if (r1 || r2 || r3)
            return STG_E_INVALIDPARAMETER;
        *out = new MemEnum(*node);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE DestroyElement(const OLECHAR *name) override
    {
        if (reverted())
            return STG_E_REVERTED;
        HRESULT hr = check_name(name);
        if (hr != S_OK)
            return hr;
        if (!writable(mode))
            return STG_E_ACCESSDENIED;
        std::shared_ptr<Node> *existing = find(name);
        if (!existing)
            return STG_E_FILENOTFOUND;
        if ((*existing)->open)
            return STG_E_ACCESSDENIED;
        remove(*existing);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE RenameElement(const OLECHAR *from, const OLECHAR *to) override
    {
        if (reverted())
            return STG_E_REVERTED;
        HRESULT hr = check_name(from);
        if (hr == S_OK)
            hr = check_name(to);
        if (hr != S_OK)
            return hr;
        if (!writable(mode))
            return STG_E_ACCESSDENIED;
        std::shared_ptr<Node> *existing = find(from);
        if (!existing)
            return STG_E_FILENOTFOUND;
        if (find(to) || (*existing)->open)
            return STG_E_ACCESSDENIED;
        (*existing)->name = to;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE SetElementTimes(const OLECHAR *name, const FILETIME *c, const FILETIME *a,
                                              const FILETIME *m) override
    {
        if (reverted())
            return STG_E_REVERTED;
        Node *target = node.get();
        if (name) {
            std::shared_ptr<Node> *existing = find(name);
            if (!existing)
                return STG_E_FILENOTFOUND;
            target = existing->get();
        }
        if (c)
            target->ctime = *c;
        if (a)
            target->atime = *a;
        if (m)
            target->mtime = *m;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE SetClass(REFCLSID clsid) override
    {
        if (reverted())
            return STG_E_REVERTED;
        if (!writable(mode))
            return STG_E_ACCESSDENIED;
        node->clsid = clsid;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE SetStateBits(DWORD bits, DWORD mask) override
    {
        if (reverted())
            return STG_E_REVERTED;
        if (!writable(mode))
            return STG_E_ACCESSDENIED;
        node->state_bits = (node->state_bits & ~mask) | (bits & mask);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Stat(STATSTG *st, DWORD flag) override
    {
        if (reverted())
            return STG_E_REVERTED;
        if (!st)
            return STG_E_INVALIDPOINTER;
        if (broken_stat)
            return E_FAIL;
        fill_stat(*node, st, flag, mode);
        return S_OK;
    }
};

static bool is_mem_storage(const IStorage *p)
{
    return mem_storages.count(p) != 0;
}

// A new root over a new, empty tree; `tree` receives the tree.
static MemStorage *new_root(std::shared_ptr<Node> *tree, DWORD mode = STGM_READWRITE | STGM_SHARE_EXCLUSIVE)
{
    auto n = std::make_shared<Node>();
    n->name = W("Root Entry");
    n->is_storage = true;
    if (tree)
        *tree = n;
    return new MemStorage(n, mode, nullptr);
}

// ===== MAPI helpers =====

#define BODY_CHARS (100 * 1000)         // 200,000 bytes: stays in the storage when read
#define DATA_SIZE (2 * 1024 * 1024 + 3) // spills to the scratch file when copied
#define RECIPIENTS 40                   // the root lists more elements than one Next returns

static const GUID PS_TEST = {0x0badf00d, 0x1234, 0x5678, {0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33, 0x44}};
static const GUID CLSID_TEST_OLE = {0x00020906, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};

static unsigned char data_byte(ULONG i, unsigned seed)
{
    return static_cast<unsigned char>((i * 2654435761u + seed) >> 13);
}

static wstr body_text(char first = 'a')
{
    wstr s;
    for (ULONG i = 0; i < BODY_CHARS; i++)
        s.push_back(static_cast<WCHAR>(first + i % 26));
    return s;
}

static void set_props(IMAPIProp *obj, ULONG n, SPropValue *v)
{
    LPSPropProblemArray problems = nullptr;
    CHECK_OK(obj->SetProps(n, v, &problems));
    CHECK(problems == nullptr);
    MAPIFreeBuffer(problems);
}

static void set_string(IMAPIProp *obj, ULONG tag, const wstr &value)
{
    SPropValue v;
    v.ulPropTag = tag;
    v.Value.lpszW = const_cast<WCHAR *>(value.c_str());
    set_props(obj, 1, &v);
}

static void set_long(IMAPIProp *obj, ULONG tag, LONG value)
{
    SPropValue v;
    v.ulPropTag = tag;
    v.Value.l = value;
    set_props(obj, 1, &v);
}

// The string value of `tag`, "<missing>" when absent.
static wstr get_string(IMAPIProp *obj, ULONG tag)
{
    SizedSPropTagArray(1, tags) = {1, {tag}};
    LPSPropValue v = nullptr;
    ULONG n = 0;
    wstr out = W("<missing>");
    obj->GetProps(reinterpret_cast<LPSPropTagArray>(&tags), MAPI_UNICODE, &n, &v);
    if (v && v[0].ulPropTag == tag)
        out = v[0].Value.lpszW;
    MAPIFreeBuffer(v);
    return out;
}

static LONG get_long(IMAPIProp *obj, ULONG tag)
{
    SizedSPropTagArray(1, tags) = {1, {tag}};
    LPSPropValue v = nullptr;
    ULONG n = 0;
    LONG out = -12345;
    obj->GetProps(reinterpret_cast<LPSPropTagArray>(&tags), 0, &n, &v);
    if (v && v[0].ulPropTag == tag)
        out = v[0].Value.l;
    MAPIFreeBuffer(v);
    return out;
}

static void write_pattern(IStream *s, ULONG size, unsigned seed)
{
    std::vector<unsigned char> buf(65521);
    ULONG done = 0;
    while (done < size) {
        ULONG n = std::min<ULONG>(size - done, static_cast<ULONG>(buf.size())), written = 0;
        for (ULONG i = 0; i < n; i++)
            buf[i] = data_byte(done + i, seed);
        CHECK_OK(s->Write(buf.data(), n, &written));
        CHECK(written == n);
        if (written != n)
            return;
        done += n;
    }
}

// Whether the stream holds `size` bytes of pattern `seed`, except `patch` at `at`.
static bool has_pattern(IStream *s, ULONG size, unsigned seed, ULONG at = 0, const char *patch = "")
{
    std::vector<unsigned char> buf(65536);
    ULONG done = 0, got = 0, bad = 0, patch_len = static_cast<ULONG>(strlen(patch));
    for (;;) {
        if (s->Read(buf.data(), static_cast<ULONG>(buf.size()), &got) != S_OK || got == 0)
            break;
        for (ULONG i = 0; i < got; i++) {
            ULONG pos = done + i;
            unsigned char want = pos >= at && pos - at < patch_len ? patch[pos - at] : data_byte(pos, seed);
            bad += buf[i] != want;
        }
        done += got;
    }
    return done == size && bad == 0;
}

static std::string stream_text(IStream *s)
{
    char buf[256];
    ULONG got = 0;
    std::string out;
    while (s->Read(buf, sizeof(buf), &got) == S_OK && got > 0)
        out.append(buf, got);
    return out;
}

// A large binary property recipient 5 of the top-level message carries (it stays in the
// storage when read, inside a storage that is renamed when recipient 0 goes).
#define PR_TEST_BIG PROP_TAG(PT_BINARY, 0x6710)
#define BIG_SIZE 70000

static void add_recipients(IMessage *msg, int count, const char *prefix)
{
    static unsigned char big[BIG_SIZE];
    for (ULONG i = 0; i < BIG_SIZE; i++)
        big[i] = data_byte(i, 5);
    std::vector<wstr> names;
    LPADRLIST list = nullptr;
    CHECK_OK(MAPIAllocateBuffer(CbNewADRLIST(count), reinterpret_cast<void **>(&list)));
    if (!list)
        return;
    list->cEntries = count;
    for (int i = 0; i < count; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s %d", prefix, i);
        names.push_back(W(name));
    }
    for (int i = 0; i < count; i++) {
        LPSPropValue v = nullptr;
        CHECK_OK(MAPIAllocateBuffer(4 * sizeof(SPropValue), reinterpret_cast<void **>(&v)));
        v[0].ulPropTag = PR_DISPLAY_NAME_W;
        v[0].Value.lpszW = const_cast<WCHAR *>(names[i].c_str());
        v[1].ulPropTag = PR_RECIPIENT_TYPE;
        v[1].Value.l = MAPI_TO;
        v[2].ulPropTag = PR_EMAIL_ADDRESS_W;
        v[2].Value.lpszW = const_cast<WCHAR *>(names[0].c_str());
        list->aEntries[i].ulReserved1 = 0;
        v[3].ulPropTag = PR_TEST_BIG;
        v[3].Value.bin.cb = BIG_SIZE;
        v[3].Value.bin.lpb = big;
        list->aEntries[i].cValues = i == 5 && count == RECIPIENTS ? 4 : 3;
        list->aEntries[i].rgPropVals = v;
    }
    CHECK_OK(msg->ModifyRecipients(MODRECIP_ADD, list));
    for (int i = 0; i < count; i++)
        MAPIFreeBuffer(list->aEntries[i].rgPropVals);
    MAPIFreeBuffer(list);
}

// The display names of the recipients, in table order.
static std::vector<std::string> recipient_names(IMessage *msg)
{
    std::vector<std::string> out;
    LPMAPITABLE table = nullptr;
    LPSRowSet rows = nullptr;
    SizedSPropTagArray(1, cols) = {1, {PR_DISPLAY_NAME_W}};
    CHECK_OK(msg->GetRecipientTable(MAPI_UNICODE, &table));
    if (!table)
        return out;
    CHECK_OK(table->SetColumns(reinterpret_cast<LPSPropTagArray>(&cols), 0));
    CHECK_OK(table->QueryRows(1000, 0, &rows));
    for (ULONG i = 0; rows && i < rows->cRows; i++) {
        LPSPropValue p = rows->aRow[i].lpProps;
        out.push_back(p[0].ulPropTag == PR_DISPLAY_NAME_W ? narrow(p[0].Value.lpszW) : "<missing>");
        MAPIFreeBuffer(p);
    }
    MAPIFreeBuffer(rows);
    table->Release();
    return out;
}

static ULONG attachment_count(IMessage *msg)
{
    LPMAPITABLE table = nullptr;
    ULONG n = 0xFFFFFFFFu;
    CHECK_OK(msg->GetAttachmentTable(0, &table));
    if (table) {
        CHECK_OK(table->GetRowCount(0, &n));
        table->Release();
    }
    return n;
}

// Tags of the two named properties: PS_PUBLIC_STRINGS "Keywords" (strings) and PS_TEST id 7.
static bool named_tags(IMAPIProp *obj, ULONG flags, ULONG *out)
{
    MAPINAMEID ids[2], *ptrs[2] = {&ids[0], &ids[1]};
    wstr keywords = W("Keywords");
    LPSPropTagArray tags = nullptr;
    ids[0].lpguid = const_cast<LPGUID>(&PS_PUBLIC_STRINGS);
    ids[0].ulKind = MNID_STRING;
    ids[0].Kind.lpwstrName = const_cast<WCHAR *>(keywords.c_str());
    ids[1].lpguid = const_cast<LPGUID>(&PS_TEST);
    ids[1].ulKind = MNID_ID;
    ids[1].Kind.lID = 7;
    HRESULT hr = obj->GetIDsFromNames(2, ptrs, flags, &tags);
    bool ok = hr == S_OK && tags && tags->cValues == 2;
    if (ok) {
        out[0] = CHANGE_PROP_TYPE(tags->aulPropTag[0], PT_UNICODE);
        out[1] = CHANGE_PROP_TYPE(tags->aulPropTag[1], PT_LONG);
    }
    MAPIFreeBuffer(tags);
    return ok;
}

// ===== writing and reading the message =====

static HRESULT open_message(LPMSGSESS sess, IStorage *stg, IMessage **msg)
{
    return OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                          nullptr, stg, nullptr, 0, MAPI_UNICODE, msg);
}

static void write_message(IStorage *stg)
{
    LPMSGSESS sess = nullptr;
    IMessage *msg = nullptr;
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(open_message(sess, stg, &msg));
    if (!msg) {
        CloseIMsgSession(sess);
        return;
    }
    set_string(msg, PR_MESSAGE_CLASS_W, W("IPM.Note"));
    set_string(msg, PR_SUBJECT_W, W("over a foreign storage"));
    set_string(msg, PR_BODY_W, body_text());
    add_recipients(msg, RECIPIENTS, "Recipient");

    ULONG named[2];
    CHECK(named_tags(msg, MAPI_CREATE, named));
    set_string(msg, named[0], W("foreign, storage"));
    set_long(msg, named[1], 4242);

    // 0: by value, 2 MiB.
    IAttach *att = nullptr;
    ULONG num = 0;
    CHECK_OK(msg->CreateAttach(nullptr, 0, &num, &att));
    if (att) {
        IStream *data = nullptr;
        set_long(att, PR_ATTACH_METHOD, ATTACH_BY_VALUE);
        set_string(att, PR_ATTACH_LONG_FILENAME_W, W("data.bin"));
        CHECK_OK(att->OpenProperty(PR_ATTACH_DATA_BIN, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY,
                                   reinterpret_cast<LPUNKNOWN *>(&data)));
        if (data) {
            write_pattern(data, DATA_SIZE, 7);
            CHECK_OK(data->Commit(STGC_DEFAULT));
            data->Release();
        }
        CHECK_OK(att->SaveChanges(0));
        att->Release();
    }

    // 1: an embedded message with a recipient and a named property of its own.
    CHECK_OK(msg->CreateAttach(nullptr, 0, &num, &att));
    if (att) {
        IMessage *inner = nullptr;
        set_long(att, PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
        CHECK_OK(att->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
                                   reinterpret_cast<LPUNKNOWN *>(&inner)));
        if (inner) {
            set_string(inner, PR_MESSAGE_CLASS_W, W("IPM.Note"));
            set_string(inner, PR_SUBJECT_W, W("inner message"));
            add_recipients(inner, 1, "Inner");
            ULONG inner_named[2];
            CHECK(named_tags(inner, MAPI_CREATE, inner_named));
            set_long(inner, inner_named[1], 77);
            CHECK_OK(inner->SaveChanges(0));
            inner->Release();
        }
        CHECK_OK(att->SaveChanges(0));
        att->Release();
    }

    // 2: an OLE object: the storage handed out is a sub-storage of our own tree.
    CHECK_OK(msg->CreateAttach(nullptr, 0, &num, &att));
    if (att) {
        IStorage *ole = nullptr;
        set_long(att, PR_ATTACH_METHOD, ATTACH_OLE);
        CHECK_OK(att->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, MAPI_CREATE | MAPI_MODIFY,
                                   reinterpret_cast<LPUNKNOWN *>(&ole)));
        CHECK(ole && is_mem_storage(ole));
        if (ole) {
            IStream *contents = nullptr;
            ULONG written = 0;
            CHECK_OK(ole->CreateStream(W("CONTENTS").c_str(), STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, 0,
                                       0, &contents));
            if (contents) {
                CHECK_OK(contents->Write("ole bytes", 9, &written));
                contents->Release();
            }
            CHECK_OK(WriteClassStg(ole, CLSID_TEST_OLE));
            CHECK_OK(ole->Commit(STGC_DEFAULT));
            ole->Release();
        }
        CHECK_OK(att->SaveChanges(0));
        att->Release();
    }

    CHECK_OK(msg->SaveChanges(KEEP_OPEN_READWRITE));
    CHECK(attachment_count(msg) == 3);
    msg->Release();
    CloseIMsgSession(sess);
}

// Reads everything written by write_message back; `ours` when the storage is one of ours
// (the OLE object's storage is then ours too).
static void check_message(IStorage *stg, bool ours)
{
    LPMSGSESS sess = nullptr;
    IMessage *msg = nullptr;
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(open_message(sess, stg, &msg));
    if (!msg) {
        CloseIMsgSession(sess);
        return;
    }
    CHECK(get_string(msg, PR_SUBJECT_W) == W("over a foreign storage"));
    CHECK(get_string(msg, PR_MESSAGE_CLASS_W) == W("IPM.Note"));
    CHECK(get_string(msg, PR_BODY_W) == body_text());
    std::vector<std::string> names = recipient_names(msg);
    CHECK(names.size() == RECIPIENTS);
    if (names.size() == RECIPIENTS) {
        CHECK(names[0] == "Recipient 0");
        CHECK(names[RECIPIENTS - 1] == "Recipient 39");
    }
    ULONG named[2];
    CHECK(named_tags(msg, 0, named));
    CHECK(get_string(msg, named[0]) == W("foreign, storage"));
    CHECK(get_long(msg, named[1]) == 4242);
    CHECK(attachment_count(msg) == 3);

    IAttach *att = nullptr;
    CHECK_OK(msg->OpenAttach(0, nullptr, 0, &att));
    if (att) {
        IStream *data = nullptr;
        CHECK(get_long(att, PR_ATTACH_METHOD) == ATTACH_BY_VALUE);
        CHECK(get_string(att, PR_ATTACH_LONG_FILENAME_W) == W("data.bin"));
        CHECK_OK(att->OpenProperty(PR_ATTACH_DATA_BIN, &IID_IStream, 0, 0, reinterpret_cast<LPUNKNOWN *>(&data)));
        if (data) {
            CHECK(has_pattern(data, DATA_SIZE, 7));
            data->Release();
        }
        att->Release();
    }
    CHECK_OK(msg->OpenAttach(1, nullptr, 0, &att));
    if (att) {
        IMessage *inner = nullptr;
        CHECK(get_long(att, PR_ATTACH_METHOD) == ATTACH_EMBEDDED_MSG);
        CHECK_OK(att->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, reinterpret_cast<LPUNKNOWN *>(&inner)));
        if (inner) {
            CHECK(get_string(inner, PR_SUBJECT_W) == W("inner message"));
            std::vector<std::string> inner_names = recipient_names(inner);
            CHECK(inner_names.size() == 1 && inner_names[0] == "Inner 0");
            ULONG inner_named[2];
            CHECK(named_tags(inner, 0, inner_named));
            CHECK(get_long(inner, inner_named[1]) == 77);
            inner->Release();
        }
        att->Release();
    }
    CHECK_OK(msg->OpenAttach(2, nullptr, 0, &att));
    if (att) {
        IStorage *ole = nullptr;
        CHECK(get_long(att, PR_ATTACH_METHOD) == ATTACH_OLE);
        CHECK_OK(att->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, 0, reinterpret_cast<LPUNKNOWN *>(&ole)));
        if (ole) {
            CHECK(is_mem_storage(ole) == !ours);
            CLSID clsid;
            CHECK_OK(ReadClassStg(ole, &clsid));
            CHECK(clsid == CLSID_TEST_OLE);
            IStream *contents = nullptr;
            CHECK_OK(ole->OpenStream(W("CONTENTS").c_str(), nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &contents));
            if (contents) {
                CHECK(stream_text(contents) == "ole bytes");
                contents->Release();
            }
            ole->Release();
        }
        att->Release();
    }
    msg->Release();
    CloseIMsgSession(sess);
}

#define PATCH_AT 1000000

// Changes a saved message in place: a new body (its stream replaced while the old value was
// read from it), recipient 0 removed (the others' storages renamed), a few bytes written
// into the middle of the attachment's data (the rest still read from the old stream).
static void modify_message(IStorage *stg)
{
    LPMSGSESS sess = nullptr;
    IMessage *msg = nullptr;
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(open_message(sess, stg, &msg));
    if (!msg) {
        CloseIMsgSession(sess);
        return;
    }
    CHECK(get_string(msg, PR_BODY_W) == body_text());
    set_string(msg, PR_BODY_W, body_text('A'));

    LPADRLIST list = nullptr;
    CHECK_OK(MAPIAllocateBuffer(CbNewADRLIST(1), reinterpret_cast<void **>(&list)));
    if (list) {
        list->cEntries = 1;
        list->aEntries[0].ulReserved1 = 0;
        list->aEntries[0].cValues = 1;
        list->aEntries[0].rgPropVals = nullptr;
        CHECK_OK(MAPIAllocateBuffer(sizeof(SPropValue), reinterpret_cast<void **>(&list->aEntries[0].rgPropVals)));
        list->aEntries[0].rgPropVals[0].ulPropTag = PR_ROWID;
        list->aEntries[0].rgPropVals[0].Value.l = 0;
        CHECK_OK(msg->ModifyRecipients(MODRECIP_REMOVE, list));
        MAPIFreeBuffer(list->aEntries[0].rgPropVals);
        MAPIFreeBuffer(list);
    }

    IAttach *att = nullptr;
    CHECK_OK(msg->OpenAttach(0, nullptr, MAPI_MODIFY, &att));
    if (att) {
        IStream *data = nullptr;
        CHECK_OK(att->OpenProperty(PR_ATTACH_DATA_BIN, &IID_IStream, 0, MAPI_MODIFY,
                                   reinterpret_cast<LPUNKNOWN *>(&data)));
        if (data) {
            LARGE_INTEGER at;
            ULONG written = 0;
            at.QuadPart = PATCH_AT;
            CHECK_OK(data->Seek(at, STREAM_SEEK_SET, nullptr));
            CHECK_OK(data->Write("PATCHED", 7, &written));
            CHECK_OK(data->Commit(STGC_DEFAULT));
            data->Release();
        }
        CHECK_OK(att->SaveChanges(0));
        att->Release();
    }
    CHECK_OK(msg->SaveChanges(0));
    msg->Release();
    CloseIMsgSession(sess);
}

// What modify_message changed reads back, and what it did not change is still there.
static void check_modified(IStorage *stg)
{
    LPMSGSESS sess = nullptr;
    IMessage *msg = nullptr;
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(open_message(sess, stg, &msg));
    if (!msg) {
        CloseIMsgSession(sess);
        return;
    }
    CHECK(get_string(msg, PR_SUBJECT_W) == W("over a foreign storage"));
    CHECK(get_string(msg, PR_BODY_W) == body_text('A'));
    std::vector<std::string> names = recipient_names(msg);
    CHECK(names.size() == RECIPIENTS - 1);
    if (names.size() == RECIPIENTS - 1) {
        CHECK(names[0] == "Recipient 1");
        CHECK(names[4] == "Recipient 5");
        CHECK(names[RECIPIENTS - 2] == "Recipient 39");
    }
    // Recipient 5 (now the fifth row) kept its large value.
    LPMAPITABLE table = nullptr;
    LPSRowSet rows = nullptr;
    SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_W, PR_TEST_BIG}};
    CHECK_OK(msg->GetRecipientTable(MAPI_UNICODE, &table));
    if (table) {
        CHECK_OK(table->SetColumns(reinterpret_cast<LPSPropTagArray>(&cols), 0));
        CHECK_OK(table->QueryRows(1000, 0, &rows));
        int big_rows = 0;
        for (ULONG i = 0; rows && i < rows->cRows; i++) {
            LPSPropValue p = rows->aRow[i].lpProps;
            if (p[1].ulPropTag == PR_TEST_BIG) {
                big_rows++;
                CHECK(narrow(p[0].Value.lpszW) == "Recipient 5");
                ULONG bad = p[1].Value.bin.cb == BIG_SIZE ? 0 : 1;
                for (ULONG j = 0; !bad && j < BIG_SIZE; j++)
                    bad += p[1].Value.bin.lpb[j] != data_byte(j, 5);
                CHECK(bad == 0);
            }
            MAPIFreeBuffer(p);
        }
        CHECK(big_rows == 1);
        MAPIFreeBuffer(rows);
        table->Release();
    }
    IAttach *att = nullptr;
    CHECK_OK(msg->OpenAttach(0, nullptr, 0, &att));
    if (att) {
        IStream *data = nullptr;
        CHECK_OK(att->OpenProperty(PR_ATTACH_DATA_BIN, &IID_IStream, 0, 0, reinterpret_cast<LPUNKNOWN *>(&data)));
        if (data) {
            CHECK(has_pattern(data, DATA_SIZE, 7, PATCH_AT, "PATCHED"));
            data->Release();
        }
        att->Release();
    }
    CHECK(attachment_count(msg) == 3);
    msg->Release();
    CloseIMsgSession(sess);
}

// ===== copying and comparing trees through IStorage =====

static void copy_tree(IStorage *from, IStorage *to)
{
    STATSTG st;
    CHECK_OK(from->Stat(&st, STATFLAG_NONAME));
    CHECK_OK(to->SetClass(st.clsid));
    IEnumSTATSTG *en = nullptr;
    CHECK_OK(from->EnumElements(0, nullptr, 0, &en));
    if (!en)
        return;
    ULONG got = 0;
    while (en->Next(1, &st, &got) == S_OK && got == 1) {
        if (st.type == STGTY_STORAGE) {
            IStorage *a = nullptr, *b = nullptr;
            CHECK_OK(from->OpenStorage(st.pwcsName, nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, nullptr, 0, &a));
            CHECK_OK(to->CreateStorage(st.pwcsName, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, 0, 0, &b));
            if (a && b) {
                copy_tree(a, b);
                CHECK_OK(b->Commit(STGC_DEFAULT));
            }
            if (a)
                a->Release();
            if (b)
                b->Release();
        } else {
            IStream *a = nullptr, *b = nullptr;
            CHECK_OK(from->OpenStream(st.pwcsName, nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &a));
            CHECK_OK(to->CreateStream(st.pwcsName, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, 0, 0, &b));
            if (a && b) {
                std::vector<unsigned char> buf(40000);
                ULONG n = 0, written = 0;
                while (a->Read(buf.data(), static_cast<ULONG>(buf.size()), &n) == S_OK && n > 0) {
                    CHECK_OK(b->Write(buf.data(), n, &written));
                    CHECK(written == n);
                }
            }
            if (a)
                a->Release();
            if (b)
                b->Release();
        }
        CoTaskMemFree(st.pwcsName);
    }
    en->Release();
}

struct Element {
    std::string name;
    DWORD type;
    std::vector<unsigned char> data;
    CLSID clsid;
};

// The elements of a storage, by name, with stream contents.
static std::vector<Element> list_elements(IStorage *stg)
{
    std::vector<Element> out;
    IEnumSTATSTG *en = nullptr;
    CHECK_OK(stg->EnumElements(0, nullptr, 0, &en));
    if (!en)
        return out;
    STATSTG st[7];
    ULONG got = 0;
    HRESULT hr;
    do {
        hr = en->Next(7, st, &got);
        for (ULONG i = 0; i < got; i++) {
            Element e;
            e.name = narrow(st[i].pwcsName);
            e.type = st[i].type;
            e.clsid = st[i].clsid;
            if (e.type == STGTY_STREAM) {
                IStream *s = nullptr;
                CHECK_OK(stg->OpenStream(st[i].pwcsName, nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &s));
                if (s) {
                    unsigned char buf[4096];
                    ULONG n = 0;
                    while (s->Read(buf, sizeof(buf), &n) == S_OK && n > 0)
                        e.data.insert(e.data.end(), buf, buf + n);
                    CHECK(e.data.size() == st[i].cbSize.QuadPart);
                    s->Release();
                }
            }
            CoTaskMemFree(st[i].pwcsName);
            out.push_back(e);
        }
    } while (hr == S_OK);
    en->Release();
    std::sort(out.begin(), out.end(), [](const Element &a, const Element &b) { return a.name < b.name; });
    return out;
}

// Whether two trees hold the same elements, contents and classes; counts what it compared.
static bool same_tree(IStorage *a, IStorage *b, int *streams, int *storages)
{
    STATSTG sa, sb;
    CHECK_OK(a->Stat(&sa, STATFLAG_NONAME));
    CHECK_OK(b->Stat(&sb, STATFLAG_NONAME));
    bool same = sa.clsid == sb.clsid;
    std::vector<Element> ea = list_elements(a), eb = list_elements(b);
    if (ea.size() != eb.size()) {
        fprintf(stderr, "element counts differ: %zu and %zu\n", ea.size(), eb.size());
        return false;
    }
    for (size_t i = 0; i < ea.size(); i++) {
        if (ea[i].name != eb[i].name || ea[i].type != eb[i].type || ea[i].data != eb[i].data) {
            fprintf(stderr, "element %s differs from %s\n", ea[i].name.c_str(), eb[i].name.c_str());
            same = false;
            continue;
        }
        if (ea[i].type == STGTY_STREAM) {
            ++*streams;
            continue;
        }
        ++*storages;
        IStorage *ca = nullptr, *cb = nullptr;
        wstr name = W(ea[i].name.c_str());
        CHECK_OK(a->OpenStorage(name.c_str(), nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, nullptr, 0, &ca));
        CHECK_OK(b->OpenStorage(name.c_str(), nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, nullptr, 0, &cb));
        if (ca && cb)
            same = same_tree(ca, cb, streams, storages) && same;
        else
            same = false;
        if (ca)
            ca->Release();
        if (cb)
            cb->Release();
    }
    return same;
}

// ===== the parts of the test =====

static void round_trip()
{
    std::shared_ptr<Node> tree;
    MemStorage *root = new_root(&tree);
    write_message(root);
    // Everything the library opened is released; only our root is alive, nothing is open.
    CHECK(live_objects == 1);
    CHECK(unexpected_calls == 0);
    CHECK(reverted_uses == 0);
    CHECK(commits > 0);
    // The root carries CLSID_MailMessage, stamped at save.
    CLSID clsid;
    CHECK_OK(ReadClassStg(root, &clsid));
    CHECK(clsid.Data1 == 0x00020D0B);

    // Reopened from the same tree.
    check_message(root, false);
    CHECK(live_objects == 1);

    // Written out to a real compound file through our StgCreateDocfile.
    char path[256];
    WCHAR wpath[256];
    test_path("copy.msg", path, wpath);
    IStorage *file = nullptr;
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, 0, &file));
    if (file) {
        copy_tree(root, file);
        CHECK_OK(file->Commit(STGC_DEFAULT));
        file->Release();
    }
    CHECK(live_objects == 1);

    // Read back through our storage: the same elements, bytes and classes.
    file = nullptr;
    CHECK_OK(StgOpenStorage(wpath, nullptr, STGM_READ | STGM_SHARE_DENY_WRITE, nullptr, 0, &file));
    if (file) {
        CHECK(!is_mem_storage(file));
        int streams = 0, storages = 0;
        CHECK(same_tree(root, file, &streams, &storages));
        printf("compared %d streams and %d storages\n", streams, storages);
        CHECK(streams > RECIPIENTS && storages > RECIPIENTS);
        // And the message in it reads the same.
        check_message(file, true);
        file->Release();
    }
    CHECK(live_objects == 1);

    // Changed in place and saved again.
    modify_message(root);
    CHECK(live_objects == 1);
    check_modified(root);
    CHECK(live_objects == 1);
    root->Release();
    CHECK(live_objects == 0);
}

// A full medium: SaveChanges fails with the storage's error, GetLastError says which call
// failed, the message is released cleanly and nothing is left open.
static void write_failure()
{
    LPMSGSESS sess = nullptr;
    IMessage *msg = nullptr;
    MemStorage *root = new_root(nullptr);
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(open_message(sess, root, &msg));
    if (msg) {
        set_string(msg, PR_SUBJECT_W, W("will not fit"));
        set_string(msg, PR_BODY_W, body_text());
        add_recipients(msg, 3, "Someone");
        write_budget = 5000;
        HRESULT hr = msg->SaveChanges(KEEP_OPEN_READWRITE);
        CHECK_HR(hr, STG_E_MEDIUMFULL);
        LPMAPIERROR err = nullptr;
        CHECK_OK(msg->GetLastError(hr, 0, &err));
        CHECK(err && err->lpszError && strstr(err->lpszError, "IStream::Write"));
        if (err && err->lpszError)
            printf("SaveChanges on a full medium: %s\n", err->lpszError);
        MAPIFreeBuffer(err);
        // The message still answers; with room again it saves.
        CHECK(get_string(msg, PR_SUBJECT_W) == W("will not fit"));
        write_budget = -1;
        CHECK_OK(msg->SaveChanges(KEEP_OPEN_READWRITE));
        msg->Release();
    }
    CloseIMsgSession(sess);
    CHECK(live_objects == 1);

    // What the second save wrote reads back.
    sess = nullptr;
    msg = nullptr;
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(open_message(sess, root, &msg));
    if (msg) {
        CHECK(get_string(msg, PR_SUBJECT_W) == W("will not fit"));
        CHECK(get_string(msg, PR_BODY_W) == body_text());
        CHECK(recipient_names(msg).size() == 3);
        msg->Release();
    }
    CloseIMsgSession(sess);

    // A failure while creating elements, and the message released without a second try.
    sess = nullptr;
    msg = nullptr;
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(open_message(sess, root, &msg));
    if (msg) {
        set_string(msg, PR_BODY_W, W("short body"));
        add_recipients(msg, 2, "Another");
        write_budget = 0;
        CHECK_HR(msg->SaveChanges(0), STG_E_MEDIUMFULL);
        write_budget = -1;
        msg->Release();
    }
    CloseIMsgSession(sess);
    CHECK(live_objects == 1);
    root->Release();
    CHECK(live_objects == 0);
}

// A storage calling back into the message from inside a call gets MAPI_E_BUSY; the message
// is not harmed.
static void reentrant_call()
{
    LPMSGSESS sess = nullptr;
    IMessage *msg = nullptr;
    MemStorage *root = new_root(nullptr);
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(open_message(sess, root, &msg));
    if (msg) {
        set_string(msg, PR_SUBJECT_W, W("re-entered"));
        callback_message = msg;
        callback_hr = S_OK;
        CHECK_OK(msg->SaveChanges(KEEP_OPEN_READWRITE));
        callback_message = nullptr;
        CHECK_HR(callback_hr, MAPI_E_BUSY);
        CHECK(get_string(msg, PR_SUBJECT_W) == W("re-entered"));
        msg->Release();
    }
    CloseIMsgSession(sess);
    root->Release();
    CHECK(live_objects == 0);
}

// Access the root reports, and a root whose Stat fails.
static void access_modes()
{
    std::shared_ptr<Node> tree;
    MemStorage *root = new_root(&tree);
    write_message(root);
    IMessage *msg = nullptr;

    // Read-only: opens, reads, refuses to save.
    root->set_mode(STGM_READ | STGM_SHARE_DENY_WRITE);
    CHECK_OK(open_message(nullptr, root, &msg));
    if (msg) {
        CHECK(get_string(msg, PR_SUBJECT_W) == W("over a foreign storage"));
        CHECK_HR(msg->SaveChanges(0), MAPI_E_NO_ACCESS);
        msg->Release();
    }
    // Write-only: refused.
    root->set_mode(STGM_WRITE | STGM_SHARE_EXCLUSIVE);
    CHECK_HR(open_message(nullptr, root, &msg), MAPI_E_NO_ACCESS);
    CHECK(msg == nullptr);
    // Stat failing: its error, as a storage error, and the storage released.
    root->set_mode(STGM_READWRITE | STGM_SHARE_EXCLUSIVE);
    root->broken_stat = true;
    CHECK_HR(open_message(nullptr, root, &msg), STG_E_READFAULT);
    CHECK(msg == nullptr);
    root->broken_stat = false;
    CHECK(root->AddRef() == 2);
    root->Release();
    CHECK(live_objects == 1);
    root->Release();
    CHECK(live_objects == 0);
}

int main()
{
    if (!test_dir_create("imsg-foreign"))
        return 1;
    round_trip();
    write_failure();
    reentrant_call();
    access_modes();
    CHECK(unexpected_calls == 0);
    CHECK(reverted_uses == 0);
    test_dir_remove();
    return check_report("foreign_storage_cpp");
}
