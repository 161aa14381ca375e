// mapiutil_cpp.cpp - the mapiutil.h helpers through C++, against objects that are not the
// library's: an IMAPIProp and an IMAPITable implemented here with the SDK's
// MAPI_*_METHODS macros. The helpers must work through the vtables alone: HrGetOneProp,
// HrSetOneProp and FPropExists on the property bag (including a provider that refuses
// MAPI_UNICODE and one that refuses a property), HrQueryAllRows on a table that returns its
// rows a few at a time (merged into one set, freed with FreeProws), with errors in the
// middle. Then the same helpers on the library's own message through the C++ interface.
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "check.h"
#include "mapiutil.h"
#include "testdir.h"
#include "wide.h"

// ===== a property bag =====

class Bag : public IMAPIProp {
public:
    MAPI_IUNKNOWN_METHODS()
    MAPI_IMAPIPROP_METHODS()

    ~Bag()
    {
        for (auto &p : props)
            MAPIFreeBuffer(p.second);
    }
    ULONG refs = 1;
    bool narrow_only = true;  // GetPropList(MAPI_UNICODE) answers MAPI_E_BAD_CHARWIDTH
    int get_props_calls = 0;
    int set_props_calls = 0;
    std::map<ULONG, LPSPropValue> props;  // by property id; each value its own MAPI block
};

static const ULONG REFUSED_ID = 0x6FFF;

STDMETHODIMP Bag::QueryInterface(REFIID riid, LPVOID *ppv)
{
    if (riid == IID_IUnknown || riid == __uuidof(IMAPIProp)) {
        *ppv = this;
        AddRef();
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
STDMETHODIMP_(ULONG) Bag::AddRef() { return ++refs; }
STDMETHODIMP_(ULONG) Bag::Release() { return --refs; }
STDMETHODIMP Bag::GetLastError(HRESULT, ULONG, LPMAPIERROR *err)
{
    *err = NULL;
    return S_OK;
}
STDMETHODIMP Bag::SaveChanges(ULONG) { return S_OK; }

STDMETHODIMP Bag::GetProps(LPSPropTagArray tags, ULONG, ULONG *count, LPSPropValue *out)
{
    get_props_calls++;
    *out = NULL;
    *count = 0;
    if (!tags)
        return MAPI_E_NO_SUPPORT;
    LPSPropValue values = NULL;
    if (FAILED(MAPIAllocateBuffer(tags->cValues * sizeof(SPropValue), (void **)&values)))
        return MAPI_E_NOT_ENOUGH_MEMORY;
    HRESULT hr = S_OK;
    for (ULONG i = 0; i < tags->cValues; i++) {
        ULONG tag = tags->aulPropTag[i];
        auto found = props.find(PROP_ID(tag));
        if (found == props.end() || PROP_TYPE(found->second->ulPropTag) != PROP_TYPE(tag)) {
            values[i].ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
            values[i].Value.err = MAPI_E_NOT_FOUND;
            hr = MAPI_W_ERRORS_RETURNED;
        } else if (FAILED(PropCopyMore(&values[i], found->second, MAPIAllocateMore, values))) {
            MAPIFreeBuffer(values);
            return MAPI_E_NOT_ENOUGH_MEMORY;
        }
    }
    *count = tags->cValues;
    *out = values;
    return hr;
}

STDMETHODIMP Bag::GetPropList(ULONG flags, LPSPropTagArray *out)
{
    *out = NULL;
    if ((flags & MAPI_UNICODE) && narrow_only)
        return MAPI_E_BAD_CHARWIDTH;
    LPSPropTagArray tags = NULL;
    if (FAILED(MAPIAllocateBuffer(CbNewSPropTagArray(props.size()), (void **)&tags)))
        return MAPI_E_NOT_ENOUGH_MEMORY;
    tags->cValues = 0;
    for (auto &p : props) {
        ULONG tag = p.second->ulPropTag;
        // Listed in the width asked for, as MAPI objects do.
        if (PROP_TYPE(tag) == PT_UNICODE && !(flags & MAPI_UNICODE))
            tag = CHANGE_PROP_TYPE(tag, PT_STRING8);
        tags->aulPropTag[tags->cValues++] = tag;
    }
    *out = tags;
    return S_OK;
}

STDMETHODIMP Bag::OpenProperty(ULONG, LPCIID, ULONG, ULONG, LPUNKNOWN *unk)
{
    *unk = NULL;
    return MAPI_E_NO_SUPPORT;
}

STDMETHODIMP Bag::SetProps(ULONG count, LPSPropValue values, LPSPropProblemArray *problems)
{
    set_props_calls++;
    if (problems)
        *problems = NULL;
    std::vector<SPropProblem> refused;
    for (ULONG i = 0; i < count; i++) {
        if (PROP_ID(values[i].ulPropTag) == REFUSED_ID) {
            SPropProblem p = {i, values[i].ulPropTag, MAPI_E_NO_ACCESS};
            refused.push_back(p);
            continue;
        }
        LPSPropValue copy = NULL;
        if (FAILED(MAPIAllocateBuffer(sizeof(SPropValue), (void **)&copy)))
            return MAPI_E_NOT_ENOUGH_MEMORY;
        if (FAILED(PropCopyMore(copy, &values[i], MAPIAllocateMore, copy))) {
            MAPIFreeBuffer(copy);
            return MAPI_E_INVALID_PARAMETER;
        }
        auto old = props.find(PROP_ID(copy->ulPropTag));
        if (old != props.end())
            MAPIFreeBuffer(old->second);
        props[PROP_ID(copy->ulPropTag)] = copy;
    }
    if (problems && !refused.empty()) {
        LPSPropProblemArray array = NULL;
        if (FAILED(MAPIAllocateBuffer(CbNewSPropProblemArray(refused.size()), (void **)&array)))
            return MAPI_E_NOT_ENOUGH_MEMORY;
        array->cProblem = (ULONG)refused.size();
        for (size_t i = 0; i < refused.size(); i++)
            array->aProblem[i] = refused[i];
        *problems = array;
    }
    return S_OK;
}

STDMETHODIMP Bag::DeleteProps(LPSPropTagArray, LPSPropProblemArray *) { return MAPI_E_NO_SUPPORT; }
STDMETHODIMP Bag::CopyTo(ULONG, LPCIID, LPSPropTagArray, ULONG_PTR, LPMAPIPROGRESS, LPCIID, LPVOID,
                         ULONG, LPSPropProblemArray *)
{
    return MAPI_E_NO_SUPPORT;
}
STDMETHODIMP Bag::CopyProps(LPSPropTagArray, ULONG_PTR, LPMAPIPROGRESS, LPCIID, LPVOID, ULONG,
                            LPSPropProblemArray *)
{
    return MAPI_E_NO_SUPPORT;
}
STDMETHODIMP Bag::GetNamesFromIDs(LPSPropTagArray *, LPGUID, ULONG, ULONG *, LPMAPINAMEID **)
{
    return MAPI_E_NO_SUPPORT;
}
STDMETHODIMP Bag::GetIDsFromNames(ULONG, LPMAPINAMEID *, ULONG, LPSPropTagArray *)
{
    return MAPI_E_NO_SUPPORT;
}

static void foreign_prop()
{
    Bag bag;
    LPMAPIPROP prop = &bag;
    SPropValue v;
    LPSPropValue got = NULL;

    v.ulPropTag = PR_SUBJECT_W;
    v.dwAlignPad = 0;
    v.Value.lpszW = W("Through the vtable");
    CHECK_OK(HrSetOneProp(prop, &v));
    CHECK(bag.set_props_calls == 1 && bag.props.size() == 1);
    CHECK_OK(HrGetOneProp(prop, PR_SUBJECT_W, &got));
    CHECK(bag.get_props_calls == 1);
    CHECK(got && got->ulPropTag == PR_SUBJECT_W && wide_eq(got->Value.lpszW, "Through the vtable"));
    MAPIFreeBuffer(got);

    // The bag's warning for a missing property becomes MAPI_E_NOT_FOUND.
    got = (LPSPropValue)&v;
    CHECK_HR(HrGetOneProp(prop, PR_BODY_W, &got), MAPI_E_NOT_FOUND);
    CHECK(got == NULL);

    // A refused property: the problem is the result.
    v.ulPropTag = PROP_TAG(PT_LONG, REFUSED_ID);
    v.Value.l = 5;
    CHECK_HR(HrSetOneProp(prop, &v), MAPI_E_NO_ACCESS);
    CHECK(bag.props.size() == 1);

    // FPropExists retries without MAPI_UNICODE and accepts the listed 8-bit width.
    CHECK(FPropExists(prop, PR_SUBJECT_W));
    CHECK(FPropExists(prop, PR_SUBJECT_A));
    CHECK(!FPropExists(prop, PR_BODY_W));
    bag.narrow_only = false;
    CHECK(FPropExists(prop, PR_SUBJECT_W));

    CHECK(UlAddRef(prop) == 2 && UlRelease(prop) == 1);
}

// ===== a table that hands out its rows a few at a time =====

class ChunkTable : public IMAPITable {
public:
    MAPI_IUNKNOWN_METHODS()
    MAPI_IMAPITABLE_METHODS()

    explicit ChunkTable(ULONG rows) : total(rows) {}
    ULONG total;
    ULONG cursor = 0;
    ULONG per_call = 3;
    int fail_at_call = -1;  // QueryRows call that fails (0-based), -1 for none
    int query_calls = 0;
    std::vector<std::string> calls;  // SetColumns/Restrict/SortTable/SeekRow with flags
    LONG last_request = 0;
};

STDMETHODIMP ChunkTable::QueryInterface(REFIID riid, LPVOID *ppv)
{
    *ppv = (riid == IID_IUnknown || riid == __uuidof(IMAPITable)) ? this : NULL;
    return *ppv ? S_OK : E_NOINTERFACE;
}
STDMETHODIMP_(ULONG) ChunkTable::AddRef() { return 2; }
STDMETHODIMP_(ULONG) ChunkTable::Release() { return 1; }
STDMETHODIMP ChunkTable::GetLastError(HRESULT, ULONG, LPMAPIERROR *e)
{
    *e = NULL;
    return S_OK;
}
STDMETHODIMP ChunkTable::Advise(ULONG, LPMAPIADVISESINK, ULONG_PTR *) { return MAPI_E_NO_SUPPORT; }
STDMETHODIMP ChunkTable::Unadvise(ULONG_PTR) { return MAPI_E_NO_SUPPORT; }
STDMETHODIMP ChunkTable::GetStatus(ULONG *s, ULONG *t)
{
    *s = TBLSTAT_COMPLETE;
    *t = TBLTYPE_SNAPSHOT;
    return S_OK;
}
STDMETHODIMP ChunkTable::SetColumns(LPSPropTagArray tags, ULONG flags)
{
    calls.push_back("SetColumns " + std::to_string(tags->cValues) + " " + std::to_string(flags));
    return S_OK;
}
STDMETHODIMP ChunkTable::QueryColumns(ULONG, LPSPropTagArray *t)
{
    *t = NULL;
    return MAPI_E_NO_SUPPORT;
}
STDMETHODIMP ChunkTable::GetRowCount(ULONG, ULONG *n)
{
    *n = total;
    return S_OK;
}
STDMETHODIMP ChunkTable::SeekRow(BOOKMARK origin, LONG count, LONG *sought)
{
    calls.push_back("SeekRow " + std::to_string(origin) + " " + std::to_string(count));
    if (origin == BOOKMARK_BEGINNING)
        cursor = 0;
    if (sought)
        *sought = 0;
    return S_OK;
}
STDMETHODIMP ChunkTable::SeekRowApprox(ULONG, ULONG) { return MAPI_E_NO_SUPPORT; }
STDMETHODIMP ChunkTable::QueryPosition(ULONG *, ULONG *, ULONG *) { return MAPI_E_NO_SUPPORT; }
STDMETHODIMP ChunkTable::FindRow(LPSRestriction, BOOKMARK, ULONG) { return MAPI_E_NO_SUPPORT; }
STDMETHODIMP ChunkTable::Restrict(LPSRestriction r, ULONG flags)
{
    calls.push_back("Restrict " + std::to_string(r->rt) + " " + std::to_string(flags));
    return S_OK;
}
STDMETHODIMP ChunkTable::CreateBookmark(BOOKMARK *) { return MAPI_E_NO_SUPPORT; }
STDMETHODIMP ChunkTable::FreeBookmark(BOOKMARK) { return MAPI_E_NO_SUPPORT; }
STDMETHODIMP ChunkTable::SortTable(LPSSortOrderSet s, ULONG flags)
{
    calls.push_back("SortTable " + std::to_string(s->cSorts) + " " + std::to_string(flags));
    return S_OK;
}
STDMETHODIMP ChunkTable::QuerySortOrder(LPSSortOrderSet *s)
{
    *s = NULL;
    return MAPI_E_NO_SUPPORT;
}

STDMETHODIMP ChunkTable::QueryRows(LONG count, ULONG, LPSRowSet *out)
{
    *out = NULL;
    last_request = count;
    if (query_calls++ == fail_at_call)
        return MAPI_E_NETWORK_ERROR;
    ULONG n = total - cursor;
    if (n > per_call)
        n = per_call;
    if ((ULONG)count < n)
        n = (ULONG)count;
    LPSRowSet set = NULL;
    if (FAILED(MAPIAllocateBuffer(CbNewSRowSet(n), (void **)&set)))
        return MAPI_E_NOT_ENOUGH_MEMORY;
    set->cRows = 0;
    for (ULONG i = 0; i < n; i++) {
        LPSPropValue v = NULL;
        if (FAILED(MAPIAllocateBuffer(2 * sizeof(SPropValue), (void **)&v))) {
            FreeProws(set);
            return MAPI_E_NOT_ENOUGH_MEMORY;
        }
        std::string name = "row " + std::to_string(cursor);
        v[0].ulPropTag = PR_ROWID;
        v[0].Value.l = (LONG)cursor;
        v[1].ulPropTag = PR_DISPLAY_NAME_A;
        MAPIAllocateMore((ULONG)name.size() + 1, v, (void **)&v[1].Value.lpszA);
        strcpy(v[1].Value.lpszA, name.c_str());
        set->aRow[i].ulAdrEntryPad = 0;
        set->aRow[i].cValues = 2;
        set->aRow[i].lpProps = v;
        set->cRows++;
        cursor++;
    }
    *out = set;
    return S_OK;
}

STDMETHODIMP ChunkTable::Abort() { return MAPI_E_UNABLE_TO_ABORT; }
STDMETHODIMP ChunkTable::ExpandRow(ULONG, LPBYTE, ULONG, ULONG, LPSRowSet *rows, ULONG *)
{
    *rows = NULL;
    return MAPI_E_NO_SUPPORT;
}
STDMETHODIMP ChunkTable::CollapseRow(ULONG, LPBYTE, ULONG, ULONG *) { return MAPI_E_NO_SUPPORT; }
STDMETHODIMP ChunkTable::WaitForCompletion(ULONG, ULONG, ULONG *) { return S_OK; }
STDMETHODIMP ChunkTable::GetCollapseState(ULONG, ULONG, LPBYTE, ULONG *, LPBYTE *) { return MAPI_E_NO_SUPPORT; }
STDMETHODIMP ChunkTable::SetCollapseState(ULONG, ULONG, LPBYTE, BOOKMARK *) { return MAPI_E_NO_SUPPORT; }

static void foreign_table()
{
    SizedSPropTagArray(2, columns) = {2, {PR_ROWID, PR_DISPLAY_NAME_A}};
    SizedSSortOrderSet(1, sort) = {1, 0, 0, {{PR_ROWID, TABLE_SORT_ASCEND}}};
    SRestriction exists;
    exists.rt = RES_EXIST;
    exists.res.resExist.ulReserved1 = 0;
    exists.res.resExist.ulPropTag = PR_ROWID;
    exists.res.resExist.ulReserved2 = 0;

    {
        // Seven rows, three per call: one merged set in table order.
        ChunkTable table(7);
        table.cursor = 5;  // wherever the cursor was, reading starts at the first row
        LPSRowSet rows = NULL;
        CHECK_OK(HrQueryAllRows(&table, (LPSPropTagArray)&columns, &exists, (LPSSortOrderSet)&sort, 0,
                                &rows));
        CHECK(table.calls.size() == 4);
        if (table.calls.size() == 4) {
            CHECK(table.calls[0] == "SetColumns 2 " + std::to_string(TBL_BATCH));
            CHECK(table.calls[1] == "Restrict " + std::to_string(RES_EXIST) + " " + std::to_string(TBL_BATCH));
            CHECK(table.calls[2] == "SortTable 1 " + std::to_string(TBL_BATCH));
            CHECK(table.calls[3] == "SeekRow 0 0");
        }
        CHECK(table.query_calls == 4);  // 3 + 3 + 1 rows, then none
        CHECK(rows && rows->cRows == 7);
        for (ULONG i = 0; rows && i < rows->cRows; i++) {
            CHECK(rows->aRow[i].cValues == 2 && rows->aRow[i].lpProps[0].Value.l == (LONG)i);
            CHECK(rows->aRow[i].lpProps[1].Value.lpszA == "row " + std::to_string(i));
        }
        FreeProws(rows);
    }
    {
        // NULL columns, restriction and sort: the table's own, nothing set.
        ChunkTable table(2);
        LPSRowSet rows = NULL;
        CHECK_OK(HrQueryAllRows(&table, NULL, NULL, NULL, 0, &rows));
        CHECK(table.calls.size() == 1 && table.query_calls == 1 + 1);
        CHECK(rows && rows->cRows == 2);
        FreeProws(rows);
    }
    {
        // crowsMax: exactly enough is fine, one row fewer is MAPI_E_TABLE_TOO_BIG.
        ChunkTable table(7);
        LPSRowSet rows = NULL;
        CHECK_OK(HrQueryAllRows(&table, NULL, NULL, NULL, 7, &rows));
        CHECK(table.last_request == 8);
        CHECK(rows && rows->cRows == 7);
        FreeProws(rows);
        ChunkTable small(7);
        rows = (LPSRowSet)&columns;
        CHECK_HR(HrQueryAllRows(&small, NULL, NULL, NULL, 6, &rows), MAPI_E_TABLE_TOO_BIG);
        CHECK(rows == NULL);
    }
    {
        // A failure after some rows: the error, and nothing leaks.
        ChunkTable table(7);
        table.fail_at_call = 1;
        LPSRowSet rows = NULL;
        CHECK_HR(HrQueryAllRows(&table, NULL, NULL, NULL, 0, &rows), MAPI_E_NETWORK_ERROR);
        CHECK(rows == NULL);
    }
    {
        // An empty table: an empty set.
        ChunkTable table(0);
        LPSRowSet rows = NULL;
        CHECK_OK(HrQueryAllRows(&table, NULL, NULL, NULL, 0, &rows));
        CHECK(rows && rows->cRows == 0);
        FreeProws(rows);
    }
}

// ===== the library's own message, through C++ =====

static void own_message()
{
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    test_path("cpp.msg", path, wpath);
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (!msg) {
        stg->Release();
        return;
    }
    void *same = NULL;
    CHECK_OK(msg->QueryInterface(__uuidof(IMessage), &same));
    CHECK(same == msg);
    msg->Release();

    SPropValue v;
    v.ulPropTag = PR_MESSAGE_CLASS_W;
    v.dwAlignPad = 0;
    v.Value.lpszW = W("IPM.Note");
    CHECK_OK(HrSetOneProp(msg, &v));  // IMessage* is an IMAPIProp*
    LPSPropValue got = NULL;
    CHECK_OK(HrGetOneProp(msg, PR_MESSAGE_CLASS_W, &got));
    CHECK(got && wide_eq(got->Value.lpszW, "IPM.Note"));
    CHECK(got && FPropCompareProp(got, RELOP_EQ, &v) && LPropCompareProp(got, &v) == 0);
    MAPIFreeBuffer(got);
    CHECK(FPropExists(msg, PR_MESSAGE_CLASS));

    // Two attachments, read back through the attachment table.
    for (int i = 0; i < 2; i++) {
        LPATTACH att = NULL;
        ULONG num = 0;
        CHECK_OK(msg->CreateAttach(NULL, 0, &num, &att));
        if (!att)
            continue;
        SPropValue a[2];
        a[0].ulPropTag = PR_ATTACH_METHOD;
        a[0].Value.l = ATTACH_BY_VALUE;
        a[1].ulPropTag = PR_ATTACH_LONG_FILENAME_W;
        a[1].Value.lpszW = W(i ? "b.txt" : "a.txt");
        CHECK_OK(att->SetProps(2, a, NULL));
        CHECK_OK(att->SaveChanges(0));
        att->Release();
    }
    // Saved attachments join the table once the message is saved too.
    CHECK_OK(msg->SaveChanges(KEEP_OPEN_READWRITE));
    LPMAPITABLE table = NULL;
    CHECK_OK(msg->GetAttachmentTable(0, &table));
    if (table) {
        SizedSPropTagArray(2, columns) = {2, {PR_ATTACH_NUM, PR_ATTACH_LONG_FILENAME_W}};
        SizedSSortOrderSet(1, sort) = {1, 0, 0, {{PR_ATTACH_LONG_FILENAME_W, TABLE_SORT_DESCEND}}};
        LPSRowSet rows = NULL;
        CHECK_OK(HrQueryAllRows(table, (LPSPropTagArray)&columns, NULL, (LPSSortOrderSet)&sort, 0, &rows));
        CHECK(rows && rows->cRows == 2);
        if (rows && rows->cRows == 2) {
            CHECK(wide_eq(rows->aRow[0].lpProps[1].Value.lpszW, "b.txt"));
            CHECK(wide_eq(rows->aRow[1].lpProps[1].Value.lpszW, "a.txt"));
            LPSPropValue name = PpropFindProp(rows->aRow[0].lpProps, rows->aRow[0].cValues,
                                              PR_ATTACH_LONG_FILENAME_W);
            CHECK(name == &rows->aRow[0].lpProps[1]);
            LPSPropValue copy = NULL;
            CHECK_OK(ScDupPropset((int)rows->aRow[1].cValues, rows->aRow[1].lpProps, MAPIAllocateBuffer,
                                  &copy));
            CHECK(copy && wide_eq(copy[1].Value.lpszW, "a.txt"));
            MAPIFreeBuffer(copy);
        }
        FreeProws(rows);
        table->Release();
    }
    msg->Release();
    stg->Release();
}

int main()
{
    if (!test_dir_create("imsg-mapiutil-cpp")) {
        perror("mkdtemp");
        return 1;
    }
    foreign_prop();
    foreign_table();
    own_message();
    test_dir_remove();
    return check_report("mapiutil_cpp.cpp");
}
