// copy_fixture.h - what the CopyTo tests (copy_cpp.cpp, copy_progress_cpp.cpp) share: an
// IMessage that is not ours (a small in-memory IMessage/IAttach written by subclassing the
// header's interfaces, with its own CopyTo driving any IMessage through its vtable), and
// one of our messages filled with properties, a named property, two recipients, a
// by-value attachment and an embedded message, with the checks that a copy holds them.
#ifndef IMSG_COPY_FIXTURE_H
#define IMSG_COPY_FIXTURE_H

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "check.h"
#include "tags.h"
#include "testdir.h"

typedef std::basic_string<WCHAR> wstr;
inline wstr ws(const char *s)
{
    wstr o;
    while (*s)
        o.push_back(static_cast<WCHAR>(*s++));
    return o;
}

// A property value in its own MAPIAllocateBuffer block.
inline LPSPropValue dup(const SPropValue *v)
{
    LPSPropValue p = nullptr;
    MAPIAllocateBuffer(sizeof(SPropValue), reinterpret_cast<void **>(&p));
    PropCopyMore(p, const_cast<LPSPropValue>(v), MAPIAllocateMore, p);
    return p;
}

struct Name {
    GUID guid;
    ULONG kind;
    LONG lid;
    wstr str;
    bool operator==(const Name &o) const
    {
        return memcmp(&guid, &o.guid, sizeof(GUID)) == 0 && kind == o.kind &&
               (kind == MNID_ID ? lid == o.lid : str == o.str);
    }
};

// The in-memory message's name map: ids from 0x9000, unlike ours, so translation shows.
struct NameMap {
    std::vector<Name> names;
    ULONG id_of(const Name &n, bool create)
    {
        for (size_t i = 0; i < names.size(); i++)
            if (names[i] == n)
                return 0x9000 + i;
        if (!create)
            return 0;
        names.push_back(n);
        return 0x9000 + names.size() - 1;
    }
};

class MemMessage;

// Properties by id.
class Props {
public:
    std::map<ULONG, LPSPropValue> p;
    ~Props() { clear(); }
    void clear()
    {
        for (auto &e : p)
            MAPIFreeBuffer(e.second);
        p.clear();
    }
    void set(const SPropValue *v)
    {
        auto it = p.find(PROP_ID(v->ulPropTag));
        if (it != p.end())
            MAPIFreeBuffer(it->second);
        p[PROP_ID(v->ulPropTag)] = dup(v);
    }
    const SPropValue *get(ULONG tag) const
    {
        auto it = p.find(PROP_ID(tag));
        return it == p.end() ? nullptr : it->second;
    }
};

#define NOT_IMPL { return MAPI_E_NO_SUPPORT; }

// The IMAPIProp part shared by message and attachment.
template <class Base> class MemProp : public Base {
public:
    ULONG refs = 1;
    Props props;
    NameMap *names;
    explicit MemProp(NameMap *n) : names(n) {}
    virtual ~MemProp() {}
    ULONG STDMETHODCALLTYPE AddRef() override { return ++refs; }
    ULONG STDMETHODCALLTYPE Release() override
    {
        if (--refs == 0) {
            delete this;
            return 0;
        }
        return refs;
    }
    HRESULT STDMETHODCALLTYPE GetLastError(HRESULT, ULONG, LPMAPIERROR *e) override
    {
        *e = nullptr;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE SaveChanges(ULONG) override { return S_OK; }
    HRESULT STDMETHODCALLTYPE GetProps(LPSPropTagArray tags, ULONG, ULONG *count, LPSPropValue *out) override
    {
        if (!tags)
            return MAPI_E_NO_SUPPORT;
        LPSPropValue arr = nullptr;
        MAPIAllocateBuffer(sizeof(SPropValue) * tags->cValues, reinterpret_cast<void **>(&arr));
        bool warn = false;
        for (ULONG i = 0; i < tags->cValues; i++) {
            const SPropValue *v = props.get(tags->aulPropTag[i]);
            if (v && (PROP_TYPE(tags->aulPropTag[i]) == PT_UNSPECIFIED ||
                      PROP_TYPE(tags->aulPropTag[i]) == PROP_TYPE(v->ulPropTag))) {
                PropCopyMore(&arr[i], const_cast<LPSPropValue>(v), MAPIAllocateMore, arr);
            } else {
                arr[i].ulPropTag = CHANGE_PROP_TYPE(tags->aulPropTag[i], PT_ERROR);
                arr[i].Value.err = MAPI_E_NOT_FOUND;
                warn = true;
            }
        }
        *count = tags->cValues;
        *out = arr;
        return warn ? MAPI_W_ERRORS_RETURNED : S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetPropList(ULONG, LPSPropTagArray *) override NOT_IMPL
    HRESULT STDMETHODCALLTYPE SetProps(ULONG n, LPSPropValue v, LPSPropProblemArray *pr) override
    {
        for (ULONG i = 0; i < n; i++)
            if (PROP_TYPE(v[i].ulPropTag) != PT_ERROR)
                props.set(&v[i]);
        if (pr)
            *pr = nullptr;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE DeleteProps(LPSPropTagArray, LPSPropProblemArray *) override NOT_IMPL
    HRESULT STDMETHODCALLTYPE CopyProps(LPSPropTagArray, ULONG_PTR, LPMAPIPROGRESS, LPCIID, LPVOID, ULONG,
                                        LPSPropProblemArray *) override NOT_IMPL
    HRESULT STDMETHODCALLTYPE GetNamesFromIDs(LPSPropTagArray *tags, LPGUID, ULONG, ULONG *count,
                                              LPMAPINAMEID **out) override
    {
        ULONG n = (*tags)->cValues;
        LPMAPINAMEID *arr = nullptr;
        MAPIAllocateBuffer(sizeof(LPMAPINAMEID) * n, reinterpret_cast<void **>(&arr));
        for (ULONG i = 0; i < n; i++) {
            ULONG k = PROP_ID((*tags)->aulPropTag[i]) - 0x9000;
            arr[i] = nullptr;
            if (PROP_ID((*tags)->aulPropTag[i]) < 0x9000 || k >= names->names.size())
                continue;
            const Name &nm = names->names[k];
            MAPIAllocateMore(sizeof(MAPINAMEID), arr, reinterpret_cast<void **>(&arr[i]));
            GUID *g;
            MAPIAllocateMore(sizeof(GUID), arr, reinterpret_cast<void **>(&g));
            *g = nm.guid;
            arr[i]->lpguid = g;
            arr[i]->ulKind = nm.kind;
            if (nm.kind == MNID_ID) {
                arr[i]->Kind.lID = nm.lid;
            } else {
                WCHAR *s;
                MAPIAllocateMore((nm.str.size() + 1) * sizeof(WCHAR), arr, reinterpret_cast<void **>(&s));
                memcpy(s, nm.str.c_str(), (nm.str.size() + 1) * sizeof(WCHAR));
                arr[i]->Kind.lpwstrName = s;
            }
        }
        *count = n;
        *out = arr;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetIDsFromNames(ULONG n, LPMAPINAMEID *in, ULONG flags, LPSPropTagArray *out) override
    {
        LPSPropTagArray arr = nullptr;
        MAPIAllocateBuffer(CbNewSPropTagArray(n), reinterpret_cast<void **>(&arr));
        arr->cValues = n;
        for (ULONG i = 0; i < n; i++) {
            Name nm{*in[i]->lpguid, in[i]->ulKind, 0, wstr()};
            if (nm.kind == MNID_ID)
                nm.lid = in[i]->Kind.lID;
            else
                nm.str = in[i]->Kind.lpwstrName;
            ULONG id = names->id_of(nm, (flags & MAPI_CREATE) != 0);
            arr->aulPropTag[i] = id ? PROP_TAG(PT_UNSPECIFIED, id) : PROP_TAG(PT_ERROR, 0);
        }
        *out = arr;
        return S_OK;
    }
};

class MemAttach;

class MemMessage : public MemProp<IMessage> {
public:
    std::vector<std::vector<LPSPropValue>> recips; // each value its own block
    std::vector<MemAttach *> attachments;
    NameMap own_names;
    explicit MemMessage(NameMap *n = nullptr) : MemProp<IMessage>(n ? n : &own_names) {}
    ~MemMessage() override;
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override
    {
        if (riid == IID_IUnknown || riid == IID_IMAPIProp || riid == IID_IMessage) {
            *ppv = static_cast<IMessage *>(this);
            AddRef();
            return S_OK;
        }
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    HRESULT STDMETHODCALLTYPE OpenProperty(ULONG, LPCIID, ULONG, ULONG, LPUNKNOWN *) override NOT_IMPL
    HRESULT STDMETHODCALLTYPE CopyTo(ULONG, LPCIID, LPSPropTagArray, ULONG_PTR, LPMAPIPROGRESS, LPCIID, LPVOID dest,
                                     ULONG, LPSPropProblemArray *pr) override;
    HRESULT STDMETHODCALLTYPE GetAttachmentTable(ULONG, LPMAPITABLE *) override NOT_IMPL
    HRESULT STDMETHODCALLTYPE OpenAttach(ULONG, LPCIID, ULONG, LPATTACH *) override NOT_IMPL
    HRESULT STDMETHODCALLTYPE CreateAttach(LPCIID, ULONG, ULONG *num, LPATTACH *att) override;
    HRESULT STDMETHODCALLTYPE DeleteAttach(ULONG, ULONG_PTR, LPMAPIPROGRESS, ULONG) override NOT_IMPL
    HRESULT STDMETHODCALLTYPE GetRecipientTable(ULONG, LPMAPITABLE *) override NOT_IMPL
    HRESULT STDMETHODCALLTYPE ModifyRecipients(ULONG flags, LPADRLIST list) override
    {
        if (flags == 0)
            clear_recips();
        for (ULONG i = 0; i < list->cEntries; i++) {
            std::vector<LPSPropValue> row;
            for (ULONG j = 0; j < list->aEntries[i].cValues; j++)
                row.push_back(dup(&list->aEntries[i].rgPropVals[j]));
            recips.push_back(row);
        }
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE SubmitMessage(ULONG) override NOT_IMPL
    HRESULT STDMETHODCALLTYPE SetReadFlag(ULONG) override NOT_IMPL
    void clear_recips()
    {
        for (auto &r : recips)
            for (auto v : r)
                MAPIFreeBuffer(v);
        recips.clear();
    }
};

class MemAttach : public MemProp<IAttach> {
public:
    MemMessage *embedded = nullptr;
    ULONG refused_flags = 0; // OpenProperty calls refused with MAPI_E_UNKNOWN_FLAGS
    explicit MemAttach(NameMap *n) : MemProp<IAttach>(n) {}
    ~MemAttach() override
    {
        if (embedded)
            embedded->Release();
    }
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override
    {
        if (riid == IID_IUnknown || riid == IID_IMAPIProp || riid == IID_IAttachment) {
            *ppv = static_cast<IAttach *>(this);
            AddRef();
            return S_OK;
        }
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    HRESULT STDMETHODCALLTYPE OpenProperty(ULONG tag, LPCIID iid, ULONG, ULONG flags, LPUNKNOWN *out) override
    {
        if (tag != PR_ATTACH_DATA_OBJ || *iid != IID_IMessage)
            return MAPI_E_INTERFACE_NOT_SUPPORTED;
        // Strict, as many providers are: MAPI_UNICODE (ours takes it for a new embedded
        // message's width) is unknown here, and the copy must do without it.
        if (flags & ~(ULONG)(MAPI_CREATE | MAPI_MODIFY | MAPI_DEFERRED_ERRORS | MAPI_BEST_ACCESS)) {
            refused_flags++;
            return MAPI_E_UNKNOWN_FLAGS;
        }
        if (!embedded) {
            if (!(flags & MAPI_CREATE))
                return MAPI_E_NOT_FOUND;
            embedded = new MemMessage(names); // one map per container
        }
        embedded->AddRef();
        *out = static_cast<IMessage *>(embedded);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE CopyTo(ULONG, LPCIID, LPSPropTagArray, ULONG_PTR, LPMAPIPROGRESS, LPCIID, LPVOID, ULONG,
                                     LPSPropProblemArray *) override NOT_IMPL
};

inline MemMessage::~MemMessage()
{
    clear_recips();
    for (auto a : attachments)
        a->Release();
}

inline HRESULT MemMessage::CreateAttach(LPCIID, ULONG, ULONG *num, LPATTACH *att)
{
    MemAttach *a = new MemAttach(names);
    attachments.push_back(a);
    a->AddRef();
    *num = attachments.size() - 1;
    *att = a;
    return S_OK;
}

// ----- the in-memory message's own CopyTo: drives any IMessage through its vtable -----

inline ULONG dest_tag(MemProp<IMessage> *, NameMap *names, LPMAPIPROP dest, ULONG tag)
{
    ULONG id = PROP_ID(tag);
    if (id < 0x8000)
        return tag;
    const Name &nm = names->names[id - 0x9000];
    MAPINAMEID n;
    n.lpguid = const_cast<GUID *>(&nm.guid);
    n.ulKind = nm.kind;
    if (nm.kind == MNID_ID)
        n.Kind.lID = nm.lid;
    else
        n.Kind.lpwstrName = const_cast<WCHAR *>(nm.str.c_str());
    LPMAPINAMEID p = &n;
    LPSPropTagArray out = nullptr;
    if (FAILED(dest->GetIDsFromNames(1, &p, MAPI_CREATE, &out)))
        return PR_NULL;
    ULONG t = CHANGE_PROP_TYPE(out->aulPropTag[0], PROP_TYPE(tag));
    MAPIFreeBuffer(out);
    return t;
}

inline HRESULT copy_props_to(const Props &props, NameMap *names, LPMAPIPROP dest)
{
    std::vector<SPropValue> vals;
    for (auto &e : props.p) {
        SPropValue v = *e.second;
        v.ulPropTag = dest_tag(nullptr, names, dest, v.ulPropTag);
        vals.push_back(v);
    }
    if (vals.empty())
        return S_OK;
    LPSPropProblemArray pr = nullptr;
    HRESULT hr = dest->SetProps(vals.size(), vals.data(), &pr);
    MAPIFreeBuffer(pr);
    return hr;
}

inline HRESULT MemMessage::CopyTo(ULONG, LPCIID, LPSPropTagArray, ULONG_PTR, LPMAPIPROGRESS, LPCIID, LPVOID dest_v, ULONG,
                           LPSPropProblemArray *pr)
{
    if (pr)
        *pr = nullptr;
    LPMESSAGE dest = static_cast<LPMESSAGE>(dest_v);
    HRESULT hr = copy_props_to(props, names, dest);
    if (FAILED(hr))
        return hr;
    if (!recips.empty()) {
        LPADRLIST list = nullptr;
        MAPIAllocateBuffer(CbNewADRLIST(recips.size()), reinterpret_cast<void **>(&list));
        list->cEntries = recips.size();
        for (size_t i = 0; i < recips.size(); i++) {
            list->aEntries[i].ulReserved1 = 0;
            list->aEntries[i].cValues = recips[i].size();
            MAPIAllocateBuffer(sizeof(SPropValue) * recips[i].size(),
                               reinterpret_cast<void **>(&list->aEntries[i].rgPropVals));
            for (size_t j = 0; j < recips[i].size(); j++) {
                list->aEntries[i].rgPropVals[j] = *recips[i][j];
                list->aEntries[i].rgPropVals[j].ulPropTag = dest_tag(nullptr, names, dest, recips[i][j]->ulPropTag);
            }
        }
        hr = dest->ModifyRecipients(0, list);
        FreePadrlist(list);
        if (FAILED(hr))
            return hr;
    }
    for (MemAttach *a : attachments) {
        ULONG num;
        LPATTACH da = nullptr;
        if (FAILED(hr = dest->CreateAttach(nullptr, 0, &num, &da)))
            return hr;
        hr = copy_props_to(a->props, names, da);
        if (SUCCEEDED(hr) && a->embedded) {
            LPMESSAGE em = nullptr;
            hr = da->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
                                  reinterpret_cast<LPUNKNOWN *>(&em));
            if (SUCCEEDED(hr)) {
                hr = a->embedded->CopyTo(0, nullptr, nullptr, 0, nullptr, &IID_IMessage, em, 0, nullptr);
                if (SUCCEEDED(hr))
                    hr = em->SaveChanges(KEEP_OPEN_READWRITE);
                em->Release();
            }
        }
        if (SUCCEEDED(hr))
            hr = da->SaveChanges(KEEP_OPEN_READWRITE);
        da->Release();
        if (FAILED(hr))
            return hr;
    }
    return S_OK;
}

// ----- our messages -----

inline HRESULT open_msg(IStorage *stg, LPMESSAGE *msg)
{
    return OpenIMsgOnIStg(nullptr, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                          nullptr, stg, nullptr, 0, MAPI_UNICODE, msg);
}

inline const GUID PS_TEST = {0x11223344, 0x5566, 0x7788, {0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01}};
inline wstr W_SUBJECT = ws("Copied subject"), W_BODY = ws("Body text"), W_NAMED = ws("named value"),
            W_FILE = ws("file.txt"), W_INNER = ws("inner subject"), W_KEYWORD = ws("Keyword");

inline SPropValue pv_str(ULONG tag, const wstr &s)
{
    SPropValue v;
    memset(&v, 0, sizeof v);
    v.ulPropTag = tag;
    v.Value.lpszW = const_cast<WCHAR *>(s.c_str());
    return v;
}
inline SPropValue pv_long(ULONG tag, LONG l)
{
    SPropValue v;
    memset(&v, 0, sizeof v);
    v.ulPropTag = tag;
    v.Value.l = l;
    return v;
}
inline SPropValue pv_bin(ULONG tag, ULONG cb, BYTE *p)
{
    SPropValue v;
    memset(&v, 0, sizeof v);
    v.ulPropTag = tag;
    v.Value.bin.cb = cb;
    v.Value.bin.lpb = p;
    return v;
}

// The tag of a named property (string name in PS_TEST) on `obj`.
inline ULONG named_tag(LPMAPIPROP obj, const wstr &name, ULONG type)
{
    MAPINAMEID n;
    n.lpguid = const_cast<GUID *>(&PS_TEST);
    n.ulKind = MNID_STRING;
    n.Kind.lpwstrName = const_cast<WCHAR *>(name.c_str());
    LPMAPINAMEID p = &n;
    LPSPropTagArray out = nullptr;
    CHECK_OK(obj->GetIDsFromNames(1, &p, MAPI_CREATE, &out));
    ULONG t = out ? CHANGE_PROP_TYPE(out->aulPropTag[0], type) : PR_NULL;
    MAPIFreeBuffer(out);
    return t;
}

inline BYTE DATA[5] = {1, 2, 3, 4, 5};

// Adds a by-value attachment (file.txt, DATA) to one of our messages.
inline void add_by_value(LPMESSAGE msg)
{
    ULONG num;
    LPATTACH att = nullptr;
    CHECK_OK(msg->CreateAttach(nullptr, 0, &num, &att));
    SPropValue a[3] = {pv_long(PR_ATTACH_METHOD, ATTACH_BY_VALUE), pv_str(PR_ATTACH_FILENAME_W, W_FILE),
                       pv_bin(PR_ATTACH_DATA_BIN, sizeof DATA, DATA)};
    CHECK_OK(att->SetProps(3, a, nullptr));
    CHECK_OK(att->SaveChanges(KEEP_OPEN_READWRITE));
    att->Release();
}

// Fills one of our messages: props, a named prop, 2 recipients (one with a named prop),
// a by-value attachment and an embedded message.
inline void fill(LPMESSAGE msg)
{
    ULONG kw = named_tag(msg, W_KEYWORD, PT_UNICODE);
    SPropValue p[3] = {pv_str(PR_SUBJECT_W, W_SUBJECT), pv_str(PR_BODY_W, W_BODY), pv_str(kw, W_NAMED)};
    CHECK_OK(msg->SetProps(3, p, nullptr));
    static wstr alice = ws("Alice"), bob = ws("Bob");
    LPADRLIST list = nullptr;
    MAPIAllocateBuffer(CbNewADRLIST(2), reinterpret_cast<void **>(&list));
    list->cEntries = 2;
    for (int i = 0; i < 2; i++) {
        list->aEntries[i].cValues = 3;
        MAPIAllocateBuffer(3 * sizeof(SPropValue), reinterpret_cast<void **>(&list->aEntries[i].rgPropVals));
        list->aEntries[i].rgPropVals[0] = pv_str(PR_DISPLAY_NAME_W, i ? bob : alice);
        list->aEntries[i].rgPropVals[1] = pv_long(PR_RECIPIENT_TYPE, i ? MAPI_CC : MAPI_TO);
        list->aEntries[i].rgPropVals[2] = pv_str(kw, W_NAMED);
    }
    CHECK_OK(msg->ModifyRecipients(0, list));
    FreePadrlist(list);
    add_by_value(msg);
    ULONG num;
    LPATTACH att = nullptr;
    CHECK_OK(msg->CreateAttach(nullptr, 0, &num, &att));
    SPropValue e = pv_long(PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
    CHECK_OK(att->SetProps(1, &e, nullptr));
    LPMESSAGE inner = nullptr;
    CHECK_OK(att->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
                               reinterpret_cast<LPUNKNOWN *>(&inner)));
    SPropValue s[2] = {pv_str(PR_SUBJECT_W, W_INNER), pv_str(named_tag(inner, W_KEYWORD, PT_UNICODE), W_INNER)};
    CHECK_OK(inner->SetProps(2, s, nullptr));
    CHECK_OK(inner->SaveChanges(KEEP_OPEN_READWRITE));
    inner->Release();
    CHECK_OK(att->SaveChanges(KEEP_OPEN_READWRITE));
    att->Release();
}

inline bool str_is(const SPropValue *v, const wstr &s)
{
    return v && PROP_TYPE(v->ulPropTag) == PT_UNICODE && s == v->Value.lpszW;
}

inline const Name KW_NAME = {PS_TEST, MNID_STRING, 0, ws("Keyword")};

// (a) checks: the in-memory message holds what `fill` wrote.
inline void check_mem(MemMessage *m)
{
    CHECK(str_is(m->props.get(PR_SUBJECT_W), W_SUBJECT));
    CHECK(str_is(m->props.get(PR_BODY_W), W_BODY));
    ULONG kw = m->names->id_of(KW_NAME, false);
    CHECK(kw >= 0x9000);
    CHECK(str_is(m->props.get(PROP_TAG(PT_UNICODE, kw)), W_NAMED));
    CHECK(m->recips.size() == 2);
    int named_in_recips = 0;
    for (auto &r : m->recips)
        for (auto v : r) {
            CHECK(PROP_ID(v->ulPropTag) != PROP_ID(PR_ROWID) && PROP_TYPE(v->ulPropTag) != PT_ERROR);
            if (v->ulPropTag == PROP_TAG(PT_UNICODE, kw) && str_is(v, W_NAMED))
                named_in_recips++;
        }
    CHECK(named_in_recips == 2);
    CHECK(m->attachments.size() == 2);
    if (m->attachments.size() == 2) {
        const SPropValue *bin = m->attachments[0]->props.get(PR_ATTACH_DATA_BIN);
        CHECK(bin && bin->Value.bin.cb == sizeof DATA && memcmp(bin->Value.bin.lpb, DATA, sizeof DATA) == 0);
        CHECK(str_is(m->attachments[0]->props.get(PR_ATTACH_FILENAME_W), W_FILE));
        MemMessage *in = m->attachments[1]->embedded;
        CHECK(in != nullptr);
        if (in) {
            CHECK(str_is(in->props.get(PR_SUBJECT_W), W_INNER));
            CHECK(str_is(in->props.get(PROP_TAG(PT_UNICODE, kw)), W_INNER));
        }
    }
}

// (b) checks: one of our messages holds what `fill` wrote (read back through our API).
inline void check_ours(LPMESSAGE msg)
{
    LPSPropValue v = nullptr;
    CHECK_OK(HrGetOneProp(msg, PR_SUBJECT_W, &v));
    CHECK(str_is(v, W_SUBJECT));
    MAPIFreeBuffer(v);
    ULONG kw = named_tag(msg, W_KEYWORD, PT_UNICODE);
    CHECK_OK(HrGetOneProp(msg, kw, &v));
    CHECK(str_is(v, W_NAMED));
    MAPIFreeBuffer(v);
    LPMAPITABLE t = nullptr;
    LPSRowSet rows = nullptr;
    CHECK_OK(msg->GetRecipientTable(MAPI_UNICODE, &t));
    SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_W, kw}};
    CHECK_OK(HrQueryAllRows(t, reinterpret_cast<LPSPropTagArray>(&cols), nullptr, nullptr, 0, &rows));
    CHECK(rows && rows->cRows == 2);
    if (rows && rows->cRows == 2)
        CHECK(str_is(&rows->aRow[1].lpProps[1], W_NAMED) && str_is(&rows->aRow[0].lpProps[0], ws("Alice")));
    FreeProws(rows);
    t->Release();
    CHECK_OK(msg->GetAttachmentTable(0, &t));
    SizedSPropTagArray(2, acols) = {2, {PR_ATTACH_NUM, PR_ATTACH_METHOD}};
    CHECK_OK(HrQueryAllRows(t, reinterpret_cast<LPSPropTagArray>(&acols), nullptr, nullptr, 0, &rows));
    CHECK(rows && rows->cRows == 2);
    for (ULONG i = 0; rows && i < rows->cRows; i++) {
        LPATTACH a = nullptr;
        CHECK_OK(msg->OpenAttach(rows->aRow[i].lpProps[0].Value.l, nullptr, 0, &a));
        if (!a)
            continue;
        if (rows->aRow[i].lpProps[1].Value.l == ATTACH_BY_VALUE) {
            CHECK_OK(HrGetOneProp(a, PR_ATTACH_DATA_BIN, &v));
            CHECK(v && v->Value.bin.cb == sizeof DATA && memcmp(v->Value.bin.lpb, DATA, sizeof DATA) == 0);
            MAPIFreeBuffer(v);
        } else {
            CHECK(rows->aRow[i].lpProps[1].Value.l == ATTACH_EMBEDDED_MSG);
            LPMESSAGE in = nullptr;
            CHECK_OK(a->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, reinterpret_cast<LPUNKNOWN *>(&in)));
            if (in) {
                CHECK_OK(HrGetOneProp(in, PR_SUBJECT_W, &v));
                CHECK(str_is(v, W_INNER));
                MAPIFreeBuffer(v);
                CHECK_OK(HrGetOneProp(in, kw, &v));
                CHECK(str_is(v, W_INNER));
                MAPIFreeBuffer(v);
                in->Release();
            }
        }
        a->Release();
    }
    FreeProws(rows);
    t->Release();
}

inline void new_msg(const char *name, IStorage **stg, LPMESSAGE *msg)
{
    char path[256];
    WCHAR wpath[256];
    test_path(name, path, wpath);
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, stg));
    CHECK_OK(open_msg(*stg, msg));
}

inline void save(IStorage *stg, LPMESSAGE msg)
{
    CHECK_OK(msg->SaveChanges(KEEP_OPEN_READWRITE));
    CHECK_OK(stg->Commit(STGC_DEFAULT));
}

inline void reopen(const char *name, IStorage **stg, LPMESSAGE *msg)
{
    char path[256];
    WCHAR wpath[256];
    test_path(name, path, wpath);
    CHECK_OK(StgOpenStorage(wpath, nullptr, STGM_READWRITE | STGM_TRANSACTED, nullptr, 0, stg));
    CHECK_OK(open_msg(*stg, msg));
}

#endif
