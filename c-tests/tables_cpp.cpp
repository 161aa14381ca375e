// tables_cpp.cpp - the recipient and attachment tables (IMAPITable) through the C++ face of
// the API, with exact answers: columns, row count, cursor (SeekRow, SeekRowApprox,
// QueryPosition, QueryRows forward/backward/TBL_NOADVANCE), restrictions of every kind the
// recipient table evaluates, multi-key sorts, FindRow both ways, bookmarks, the dynamic
// table following ModifyRecipients, and the memory contract of QueryRows (one
// lpAllocateBuffer block per row and one for the set, as FreeProws frees them) checked with
// caller-supplied allocators that record every block. Behaviour follows
// spec/mapi-abi.md §10.3-10.4.
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "check.h"
#include "tags.h"
#include "testdir.h"

// Our own recipient properties: one every row has, one no row has.
#define PR_TEST_LONG PROP_TAG(PT_LONG, 0x6700)
#define PR_TEST_MISSING PROP_TAG(PT_LONG, 0x6701)

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

// Compares two strings and prints both on mismatch.
#define CHECK_STR(got, want)                                                                  \
    do {                                                                                      \
        std::string check_got_ = (got);                                                       \
        std::string check_want_ = (want);                                                     \
        check_count++;                                                                        \
        if (check_got_ != check_want_) {                                                      \
            fprintf(stderr, "%s:%d: %s gave \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #got, \
                    check_got_.c_str(), check_want_.c_str());                                 \
            check_failures++;                                                                 \
        }                                                                                     \
    } while (0)

// Compares two integers and prints both on mismatch.
#define CHECK_EQ(got, want)                                                                       \
    do {                                                                                          \
        long long check_g_ = static_cast<long long>(got);                                         \
        long long check_w_ = static_cast<long long>(want);                                        \
        check_count++;                                                                            \
        if (check_g_ != check_w_) {                                                               \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #got, check_g_, \
                    check_w_);                                                                    \
            check_failures++;                                                                     \
        }                                                                                         \
    } while (0)

// ----- caller-supplied allocators that record every block -----
//
// Built on MAPIAllocateBuffer/MAPIAllocateMore/MAPIFreeBuffer; the map knows every live
// block the library obtained through these three functions, its size, and its root.

struct Block {
    size_t size;
    void *root;
};
static std::map<void *, Block> g_blocks;
static long g_buffer_calls = 0;  // lpAllocateBuffer calls
static long g_more_calls = 0;    // lpAllocateMore calls
static long g_live_roots = 0;    // lpAllocateBuffer blocks not yet freed
static long g_bad_parents = 0;   // lpAllocateMore on a block that is not ours
static long g_foreign_frees = 0; // lpFreeBuffer on a pointer that is not one of our roots

static SCODE count_alloc(ULONG cb, void **pp)
{
    g_buffer_calls++;
    SCODE sc = MAPIAllocateBuffer(cb, pp);
    if (sc == S_OK && pp && *pp) {
        g_blocks[*pp] = Block{cb, *pp};
        g_live_roots++;
    }
    return sc;
}

static SCODE count_more(ULONG cb, void *parent, void **pp)
{
    g_more_calls++;
    auto it = g_blocks.find(parent);
    void *root = it == g_blocks.end() ? nullptr : it->second.root;
    if (!root)
        g_bad_parents++;
    SCODE sc = MAPIAllocateMore(cb, parent, pp);
    if (sc == S_OK && pp && *pp && root)
        g_blocks[*pp] = Block{cb, root};
    return sc;
}

static ULONG count_free(void *p)
{
    if (p) {
        auto it = g_blocks.find(p);
        if (it == g_blocks.end() || it->second.root != p) {
            g_foreign_frees++;
        } else {
            for (auto b = g_blocks.begin(); b != g_blocks.end();)
                b = b->second.root == p ? g_blocks.erase(b) : std::next(b);
            g_live_roots--;
        }
    }
    return MAPIFreeBuffer(p);
}

static bool is_root(const void *p)
{
    auto it = g_blocks.find(const_cast<void *>(p));
    return it != g_blocks.end() && it->second.root == p;
}

// Whether `p` lies in a block whose root is `root` (the root itself or one linked to it).
static bool belongs_to(const void *p, const void *root)
{
    const char *c = static_cast<const char *>(p);
    auto it = g_blocks.upper_bound(const_cast<void *>(p));
    if (it == g_blocks.begin())
        return false;
    --it;
    const char *start = static_cast<const char *>(it->first);
    return c >= start && c < start + (it->second.size ? it->second.size : 1) && it->second.root == root;
}

// ----- rows -----

typedef ULONG (*FreeFn)(void *);

// FreeProws: each row's property array, then the set (the headers do not declare FreeProws).
static void free_rows(LPSRowSet rows, FreeFn free_fn = count_free)
{
    if (!rows)
        return;
    for (ULONG i = 0; i < rows->cRows; i++)
        CHECK_EQ(free_fn(rows->aRow[i].lpProps), 0);
    CHECK_EQ(free_fn(rows), 0);
}

static const SPropValue *find_prop(const SRow &row, ULONG tag)
{
    for (ULONG i = 0; i < row.cValues; i++)
        if (row.lpProps[i].ulPropTag == tag)
            return &row.lpProps[i];
    return nullptr;
}

// The first letter of each row's PR_DISPLAY_NAME_W ('?' when the row has none): every test
// recipient's name starts with its own letter, so this spells the rows in order.
static std::string initials(const SRowSet *rows)
{
    std::string out;
    for (ULONG i = 0; rows && i < rows->cRows; i++) {
        const SPropValue *v = find_prop(rows->aRow[i], PR_DISPLAY_NAME_W);
        out.push_back(v && v->Value.lpszW && v->Value.lpszW[0] < 128 ? static_cast<char>(v->Value.lpszW[0]) : '?');
    }
    return out;
}

// Reads the whole table from the start.
static std::string read_all(LPMAPITABLE t, FreeFn free_fn = count_free)
{
    LPSRowSet rows = nullptr;
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 0, nullptr));
    CHECK_OK(t->QueryRows(1000, 0, &rows));
    std::string out = initials(rows);
    free_rows(rows, free_fn);
    return out;
}

// QueryRows(count, flags) from the current position, as initials.
static std::string query(LPMAPITABLE t, LONG count, ULONG flags = 0)
{
    LPSRowSet rows = nullptr;
    CHECK_OK(t->QueryRows(count, flags, &rows));
    CHECK(rows != nullptr);
    std::string out = initials(rows);
    free_rows(rows);
    return out;
}

static ULONG position(LPMAPITABLE t)
{
    ULONG row = 0xDEAD, num = 0xDEAD, den = 0xDEAD;
    CHECK_OK(t->QueryPosition(&row, &num, &den));
    return row;
}

static ULONG row_count(LPMAPITABLE t)
{
    ULONG n = 0xDEAD;
    CHECK_OK(t->GetRowCount(0, &n));
    return n;
}

static void set_columns(LPMAPITABLE t, std::vector<ULONG> tags)
{
    std::vector<BYTE> buf(CbNewSPropTagArray(tags.size()));
    LPSPropTagArray cols = reinterpret_cast<LPSPropTagArray>(buf.data());
    cols->cValues = static_cast<ULONG>(tags.size());
    for (size_t i = 0; i < tags.size(); i++)
        cols->aulPropTag[i] = tags[i];
    CHECK_OK(t->SetColumns(cols, 0));
}

// ----- the recipients -----

struct Person {
    const char *name;
    const char *email;
    LONG type;
    const char *addrtype;
    LONG num;                 // PR_TEST_LONG
    std::vector<BYTE> entryid; // PR_ENTRYID when not empty
};

// Initials A..H in insertion order.
static const Person people[] = {
    {"Alice Archer", "alice@example.com", MAPI_TO, "SMTP", 10, {1, 2, 3}},
    {"Bob Baker", "bob@example.org", MAPI_CC, "SMTP", 25, {}},
    {"Carol Chen", "carol@example.com", MAPI_TO, "EX", 3, {4, 5, 6, 7, 8}},
    {"Dave Dawson", "dave@sample.net", MAPI_BCC, "SMTP", 40, {}},
    {"Erin Evans", "erin@example.com", MAPI_CC, "SMTP", 7, {9}},
    {"Frank Fisher", "frank@sample.net", MAPI_TO, "X400", 16, {}},
    {"Grace Green", "grace@example.org", MAPI_BCC, "EX", 0, {10, 11}},
    {"Heidi Hill", "heidi@example.com", MAPI_TO, "SMTP", 33, {}},
};
static const int PEOPLE = sizeof(people) / sizeof(people[0]);

static SPropValue long_prop(ULONG tag, LONG v)
{
    SPropValue p;
    std::memset(&p, 0, sizeof(p));
    p.ulPropTag = tag;
    p.Value.l = v;
    return p;
}

static SPropValue str_prop(ULONG tag, std::deque<wstr> &keep, const char *s)
{
    SPropValue p;
    std::memset(&p, 0, sizeof(p));
    keep.push_back(W(s));
    p.ulPropTag = tag;
    p.Value.lpszW = &keep.back()[0];
    return p;
}

static SPropValue bin_prop(ULONG tag, const std::vector<BYTE> &b)
{
    SPropValue p;
    std::memset(&p, 0, sizeof(p));
    p.ulPropTag = tag;
    p.Value.bin.cb = static_cast<ULONG>(b.size());
    p.Value.bin.lpb = const_cast<BYTE *>(b.data());
    return p;
}

static std::vector<SPropValue> person_props(const Person &p, std::deque<wstr> &keep)
{
    std::vector<SPropValue> v;
    v.push_back(str_prop(PR_DISPLAY_NAME_W, keep, p.name));
    v.push_back(str_prop(PR_EMAIL_ADDRESS_W, keep, p.email));
    v.push_back(long_prop(PR_RECIPIENT_TYPE, p.type));
    v.push_back(str_prop(PR_ADDRTYPE_W, keep, p.addrtype));
    v.push_back(long_prop(PR_TEST_LONG, p.num));
    if (!p.entryid.empty())
        v.push_back(bin_prop(PR_ENTRYID, p.entryid));
    return v;
}

// An ADRLIST as callers build one: the list and each entry's array are separate
// MAPIAllocateBuffer blocks (values are shallow copies; the library copies them).
static LPADRLIST make_adrlist(const std::vector<std::vector<SPropValue>> &entries)
{
    LPADRLIST list = nullptr;
    if (MAPIAllocateBuffer(static_cast<ULONG>(CbNewADRLIST(entries.size())), reinterpret_cast<void **>(&list)) != S_OK)
        return nullptr;
    list->cEntries = static_cast<ULONG>(entries.size());
    for (size_t i = 0; i < entries.size(); i++) {
        LPSPropValue props = nullptr;
        MAPIAllocateBuffer(static_cast<ULONG>(entries[i].size() * sizeof(SPropValue)), reinterpret_cast<void **>(&props));
        if (props)
            std::memcpy(props, entries[i].data(), entries[i].size() * sizeof(SPropValue));
        list->aEntries[i].ulReserved1 = 0;
        list->aEntries[i].cValues = props ? static_cast<ULONG>(entries[i].size()) : 0;
        list->aEntries[i].rgPropVals = props;
    }
    return list;
}

// FreePadrlist (not declared by the headers): whatever array each entry holds now, then the
// list.
static void free_adrlist(LPADRLIST list)
{
    if (!list)
        return;
    for (ULONG i = 0; i < list->cEntries; i++)
        CHECK_EQ(MAPIFreeBuffer(list->aEntries[i].rgPropVals), 0);
    CHECK_EQ(MAPIFreeBuffer(list), 0);
}

static HRESULT modify(LPMESSAGE msg, ULONG flags, const std::vector<std::vector<SPropValue>> &entries)
{
    LPADRLIST list = make_adrlist(entries);
    CHECK(list != nullptr);
    HRESULT hr = list ? msg->ModifyRecipients(flags, list) : E_OUTOFMEMORY;
    free_adrlist(list);
    return hr;
}

static void add_people(LPMESSAGE msg)
{
    std::deque<wstr> keep;
    std::vector<std::vector<SPropValue>> entries;
    for (int i = 0; i < PEOPLE; i++)
        entries.push_back(person_props(people[i], keep));
    CHECK_OK(modify(msg, MODRECIP_ADD, entries));
}

// The PR_ROWID of each row, in insertion order, read from the table.
static LONG g_rowid[PEOPLE];

// ----- restrictions -----

static SRestriction prop_res(ULONG relop, SPropValue *v)
{
    SRestriction r;
    std::memset(&r, 0, sizeof(r));
    r.rt = RES_PROPERTY;
    r.res.resProperty.relop = relop;
    r.res.resProperty.ulPropTag = v->ulPropTag;
    r.res.resProperty.lpProp = v;
    return r;
}

static SRestriction content_res(ULONG fuzzy, SPropValue *v)
{
    SRestriction r;
    std::memset(&r, 0, sizeof(r));
    r.rt = RES_CONTENT;
    r.res.resContent.ulFuzzyLevel = fuzzy;
    r.res.resContent.ulPropTag = v->ulPropTag;
    r.res.resContent.lpProp = v;
    return r;
}

static SRestriction bitmask_res(ULONG rel, ULONG tag, ULONG mask)
{
    SRestriction r;
    std::memset(&r, 0, sizeof(r));
    r.rt = RES_BITMASK;
    r.res.resBitMask.relBMR = rel;
    r.res.resBitMask.ulPropTag = tag;
    r.res.resBitMask.ulMask = mask;
    return r;
}

static SRestriction size_res(ULONG relop, ULONG tag, ULONG cb)
{
    SRestriction r;
    std::memset(&r, 0, sizeof(r));
    r.rt = RES_SIZE;
    r.res.resSize.relop = relop;
    r.res.resSize.ulPropTag = tag;
    r.res.resSize.cb = cb;
    return r;
}

static SRestriction exist_res(ULONG tag)
{
    SRestriction r;
    std::memset(&r, 0, sizeof(r));
    r.rt = RES_EXIST;
    r.res.resExist.ulPropTag = tag;
    return r;
}

static SRestriction and_or_res(ULONG rt, SRestriction *subs, ULONG n)
{
    SRestriction r;
    std::memset(&r, 0, sizeof(r));
    r.rt = rt;
    if (rt == RES_OR) {
        r.res.resOr.cRes = n;
        r.res.resOr.lpRes = subs;
    } else {
        r.res.resAnd.cRes = n;
        r.res.resAnd.lpRes = subs;
    }
    return r;
}

static SRestriction not_res(SRestriction *sub)
{
    SRestriction r;
    std::memset(&r, 0, sizeof(r));
    r.rt = RES_NOT;
    r.res.resNot.lpRes = sub;
    return r;
}

// Restricts the table, checks that the cursor went back to the start and that the row
// count agrees with the rows read; returns the rows' initials.
static std::string restricted(LPMAPITABLE t, SRestriction *r)
{
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 1, nullptr));
    CHECK_OK(t->Restrict(r, 0));
    CHECK_EQ(position(t), 0);
    ULONG n = row_count(t);
    std::string rows = read_all(t);
    CHECK_EQ(n, rows.size());
    return rows;
}

// ----- the sections -----

static const ULONG ALL_COLS[] = {PR_ROWID,        PR_DISPLAY_NAME_W, PR_RECIPIENT_TYPE, PR_TEST_LONG,
                                 PR_ENTRYID,      PR_NULL,           PR_TEST_MISSING,   PR_EMAIL_ADDRESS_A};
static const int NCOLS = sizeof(ALL_COLS) / sizeof(ALL_COLS[0]);

static bool has_tag(const SPropTagArray *a, ULONG tag)
{
    for (ULONG i = 0; a && i < a->cValues; i++)
        if (a->aulPropTag[i] == tag)
            return true;
    return false;
}

static void test_status_and_columns(LPMAPITABLE t)
{
    ULONG status = 0xDEAD, type = 0xDEAD;
    CHECK_OK(t->GetStatus(&status, &type));
    CHECK_EQ(status, TBLSTAT_COMPLETE);
    CHECK_EQ(type, TBLTYPE_DYNAMIC);

    // Default columns: at least the required ones (§10.3), strings in the table's width.
    LPSPropTagArray cols = nullptr;
    CHECK_OK(t->QueryColumns(0, &cols));
    CHECK(cols != nullptr);
    CHECK(has_tag(cols, PR_ROWID));
    CHECK(has_tag(cols, PR_DISPLAY_NAME_W));
    CHECK(has_tag(cols, PR_RECIPIENT_TYPE));
    CHECK(cols == nullptr || is_root(cols));
    CHECK_EQ(count_free(cols), 0);

    // Every available column: everything the recipients were given, and PR_ROWID.
    CHECK_OK(t->QueryColumns(TBL_ALL_COLUMNS, &cols));
    CHECK(cols != nullptr);
    const ULONG given[] = {PR_ROWID,     PR_DISPLAY_NAME_W, PR_EMAIL_ADDRESS_W, PR_RECIPIENT_TYPE,
                           PR_ADDRTYPE_W, PR_TEST_LONG,      PR_ENTRYID};
    for (ULONG tag : given) {
        bool found = has_tag(cols, tag);
        CHECK(found);
        if (!found)
            fprintf(stderr, "  QueryColumns(TBL_ALL_COLUMNS) lacks 0x%08X\n", (unsigned)tag);
    }
    CHECK(!has_tag(cols, PR_TEST_MISSING));
    CHECK_EQ(count_free(cols), 0);

    CHECK_EQ(row_count(t), PEOPLE);
    CHECK_HR(t->SetColumns(nullptr, 0), MAPI_E_INVALID_PARAMETER);

    // SetColumns, then QueryColumns gives exactly that set, PR_NULL slot included.
    set_columns(t, std::vector<ULONG>(ALL_COLS, ALL_COLS + NCOLS));
    CHECK_OK(t->QueryColumns(0, &cols));
    CHECK(cols != nullptr && cols->cValues == static_cast<ULONG>(NCOLS));
    if (cols && cols->cValues == static_cast<ULONG>(NCOLS))
        for (int i = 0; i < NCOLS; i++)
            CHECK_EQ(cols->aulPropTag[i], ALL_COLS[i]);
    CHECK_EQ(count_free(cols), 0);

    // Every row, every column, in column order; what a row lacks is PT_ERROR/NOT_FOUND.
    LPSRowSet rows = nullptr;
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 0, nullptr));
    CHECK_OK(t->QueryRows(100, 0, &rows));
    CHECK(rows != nullptr && rows->cRows == static_cast<ULONG>(PEOPLE));
    for (ULONG r = 0; rows && r < rows->cRows && r < static_cast<ULONG>(PEOPLE); r++) {
        const SRow &row = rows->aRow[r];
        const Person &p = people[r];
        CHECK_EQ(row.cValues, NCOLS);
        if (row.cValues != static_cast<ULONG>(NCOLS))
            continue;
        const SPropValue *v = row.lpProps;
        CHECK_EQ(v[0].ulPropTag, PR_ROWID);
        g_rowid[r] = v[0].Value.l;
        CHECK_EQ(v[1].ulPropTag, PR_DISPLAY_NAME_W);
        if (v[1].ulPropTag == PR_DISPLAY_NAME_W)
            CHECK_STR(narrow(v[1].Value.lpszW), p.name);
        CHECK_EQ(v[2].ulPropTag, PR_RECIPIENT_TYPE);
        CHECK_EQ(v[2].Value.l, p.type);
        CHECK_EQ(v[3].ulPropTag, PR_TEST_LONG);
        CHECK_EQ(v[3].Value.l, p.num);
        if (p.entryid.empty()) {
            CHECK_EQ(v[4].ulPropTag, PROP_TAG(PT_ERROR, PROP_ID(PR_ENTRYID)));
            CHECK_EQ(v[4].Value.err, MAPI_E_NOT_FOUND);
        } else {
            CHECK_EQ(v[4].ulPropTag, PR_ENTRYID);
            CHECK(v[4].ulPropTag == PR_ENTRYID && v[4].Value.bin.cb == p.entryid.size() &&
                  std::memcmp(v[4].Value.bin.lpb, p.entryid.data(), p.entryid.size()) == 0);
        }
        CHECK_EQ(v[5].ulPropTag, PR_NULL);
        CHECK_EQ(v[6].ulPropTag, PROP_TAG(PT_ERROR, PROP_ID(PR_TEST_MISSING)));
        CHECK_EQ(v[6].Value.err, MAPI_E_NOT_FOUND);
        // An 8-bit string column of a Unicode table is converted.
        CHECK_EQ(v[7].ulPropTag, PR_EMAIL_ADDRESS_A);
        if (v[7].ulPropTag == PR_EMAIL_ADDRESS_A)
            CHECK_STR(v[7].Value.lpszA ? v[7].Value.lpszA : "(null)", p.email);
    }
    free_rows(rows);
    // Row ids are unique.
    for (int i = 0; i < PEOPLE; i++)
        for (int j = i + 1; j < PEOPLE; j++)
            CHECK(g_rowid[i] != g_rowid[j]);
    CHECK_EQ(position(t), PEOPLE);
}

static void test_cursor(LPMAPITABLE t)
{
    LONG sought = 12345;
    set_columns(t, {PR_ROWID, PR_DISPLAY_NAME_W});

    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 0, &sought));
    CHECK_EQ(sought, 0);
    CHECK_EQ(position(t), 0);
    CHECK_STR(query(t, 3), "ABC");
    CHECK_EQ(position(t), 3);
    // Negative: move back, then read forward; the cursor ends after the rows read.
    CHECK_STR(query(t, -2), "BC");
    CHECK_EQ(position(t), 3);
    // TBL_NOADVANCE leaves the cursor on the first row returned.
    CHECK_STR(query(t, -2, TBL_NOADVANCE), "BC");
    CHECK_EQ(position(t), 1);
    CHECK_STR(query(t, 2, TBL_NOADVANCE), "BC");
    CHECK_EQ(position(t), 1);
    // Fewer rows than asked at the start.
    CHECK_STR(query(t, -5), "A");
    CHECK_EQ(position(t), 1);

    LPSRowSet rows = reinterpret_cast<LPSRowSet>(&sought);
    CHECK_HR(t->QueryRows(0, 0, &rows), MAPI_E_INVALID_PARAMETER);
    CHECK(rows == nullptr);

    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 3, &sought));
    CHECK_EQ(sought, 3);
    CHECK_STR(query(t, 1), "D");
    // Clamped at the end: only 4 rows could be moved.
    CHECK_OK(t->SeekRow(BOOKMARK_CURRENT, 10, &sought));
    CHECK_EQ(sought, 4);
    CHECK_EQ(position(t), PEOPLE);
    CHECK_STR(query(t, 5), ""); // 0 rows at the end
    CHECK_OK(t->SeekRow(BOOKMARK_END, -2, &sought));
    CHECK_EQ(sought, -2);
    CHECK_EQ(position(t), 6);
    CHECK_STR(query(t, 10), "GH");
    // Clamped at the start, the sign tells the direction.
    CHECK_OK(t->SeekRow(BOOKMARK_CURRENT, -100, &sought));
    CHECK_EQ(sought, -8);
    CHECK_EQ(position(t), 0);
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, -1, &sought));
    CHECK_EQ(sought, 0);
    CHECK_STR(query(t, -3), ""); // 0 rows at the start
    CHECK_EQ(position(t), 0);
    CHECK_OK(t->SeekRow(BOOKMARK_END, 1, &sought));
    CHECK_EQ(sought, 0);
    CHECK_EQ(position(t), PEOPLE);
    CHECK_OK(t->SeekRow(BOOKMARK_END, -8, nullptr)); // lplRowsSought is optional
    CHECK_EQ(position(t), 0);
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 5, &sought));
    CHECK_OK(t->SeekRow(BOOKMARK_CURRENT, -2, &sought));
    CHECK_EQ(sought, -2);
    CHECK_EQ(position(t), 3);

    // SeekRowApprox: a fraction of the table; 0 the start, 1 after the last row.
    ULONG row = 0, num = 0, den = 0;
    CHECK_OK(t->SeekRowApprox(1, 2));
    CHECK_OK(t->QueryPosition(&row, &num, &den));
    CHECK_EQ(row, 4);
    CHECK(den != 0 && static_cast<unsigned long long>(num) * PEOPLE == 4ull * den);
    CHECK_STR(query(t, 1), "E");
    CHECK_OK(t->SeekRowApprox(3, 4));
    CHECK_EQ(position(t), 6);
    CHECK_STR(query(t, 1), "G");
    CHECK_OK(t->SeekRowApprox(0, 7));
    CHECK_EQ(position(t), 0);
    CHECK_OK(t->SeekRowApprox(5, 5));
    CHECK_OK(t->QueryPosition(&row, &num, &den));
    CHECK_EQ(row, PEOPLE);
    CHECK(den != 0 && num == den);
    CHECK_STR(query(t, 1), "");
    CHECK_HR(t->SeekRowApprox(1, 0), MAPI_E_INVALID_PARAMETER);
}

static void test_restrict(LPMAPITABLE t)
{
    set_columns(t, {PR_ROWID, PR_DISPLAY_NAME_W}); // restrictions need not be on columns
    std::deque<wstr> keep;

    SPropValue cc = long_prop(PR_RECIPIENT_TYPE, MAPI_CC);
    SPropValue to = long_prop(PR_RECIPIENT_TYPE, MAPI_TO);
    SPropValue bcc = long_prop(PR_RECIPIENT_TYPE, MAPI_BCC);
    SPropValue n16 = long_prop(PR_TEST_LONG, 16);
    SPropValue n7 = long_prop(PR_TEST_LONG, 7);
    SPropValue n33 = long_prop(PR_TEST_LONG, 33);
    SPropValue n10 = long_prop(PR_TEST_LONG, 10);
    SPropValue ex = str_prop(PR_ADDRTYPE_W, keep, "EX");
    SPropValue c = str_prop(PR_DISPLAY_NAME_W, keep, "C");

    SRestriction r = prop_res(RELOP_EQ, &cc);
    CHECK_STR(restricted(t, &r), "BE");
    r = prop_res(RELOP_NE, &to);
    CHECK_STR(restricted(t, &r), "BDEG");
    r = prop_res(RELOP_GT, &n16);
    CHECK_STR(restricted(t, &r), "BDH");
    r = prop_res(RELOP_LE, &n7);
    CHECK_STR(restricted(t, &r), "CEG");
    r = prop_res(RELOP_GE, &n33);
    CHECK_STR(restricted(t, &r), "DH");
    r = prop_res(RELOP_LT, &n10);
    CHECK_STR(restricted(t, &r), "CEG");
    r = prop_res(RELOP_LE, &n10);
    CHECK_STR(restricted(t, &r), "ACEG");
    r = prop_res(RELOP_EQ, &ex);
    CHECK_STR(restricted(t, &r), "CG");
    r = prop_res(RELOP_LT, &c);
    CHECK_STR(restricted(t, &r), "AB");

    SPropValue example_uc = str_prop(PR_EMAIL_ADDRESS_W, keep, "EXAMPLE.COM");
    SPropValue example = str_prop(PR_EMAIL_ADDRESS_W, keep, "example");
    SPropValue g = str_prop(PR_DISPLAY_NAME_W, keep, "G");
    SPropValue h = str_prop(PR_DISPLAY_NAME_W, keep, "h");
    SPropValue bob = str_prop(PR_DISPLAY_NAME_W, keep, "Bob Baker");
    SPropValue bob_lc = str_prop(PR_DISPLAY_NAME_W, keep, "bob baker");
    SPropValue bob_short = str_prop(PR_DISPLAY_NAME_W, keep, "Bob");
    SPropValue sm = str_prop(PR_ADDRTYPE_W, keep, "SM");
    r = content_res(FL_SUBSTRING | FL_IGNORECASE, &example_uc);
    CHECK_STR(restricted(t, &r), "ACEH");
    r = content_res(FL_SUBSTRING, &example_uc);
    CHECK_STR(restricted(t, &r), "");
    r = content_res(FL_SUBSTRING, &example);
    CHECK_STR(restricted(t, &r), "ABCEGH");
    r = content_res(FL_PREFIX, &g);
    CHECK_STR(restricted(t, &r), "G");
    r = content_res(FL_PREFIX, &h);
    CHECK_STR(restricted(t, &r), "");
    r = content_res(FL_PREFIX | FL_IGNORECASE, &h);
    CHECK_STR(restricted(t, &r), "H");
    r = content_res(FL_PREFIX, &sm);
    CHECK_STR(restricted(t, &r), "ABDEH");
    r = content_res(FL_FULLSTRING, &bob);
    CHECK_STR(restricted(t, &r), "B");
    r = content_res(FL_FULLSTRING, &bob_short);
    CHECK_STR(restricted(t, &r), "");
    r = content_res(FL_FULLSTRING, &bob_lc);
    CHECK_STR(restricted(t, &r), "");
    r = content_res(FL_FULLSTRING | FL_IGNORECASE, &bob_lc);
    CHECK_STR(restricted(t, &r), "B");

    r = bitmask_res(BMR_NEZ, PR_TEST_LONG, 0x1);
    CHECK_STR(restricted(t, &r), "BCEH");
    r = bitmask_res(BMR_EQZ, PR_TEST_LONG, 0x8);
    CHECK_STR(restricted(t, &r), "CEFGH");

    // Entry id sizes: A 3, C 5, E 1, G 2; rows without one never match.
    r = size_res(RELOP_GT, PR_ENTRYID, 2);
    CHECK_STR(restricted(t, &r), "AC");
    r = size_res(RELOP_LE, PR_ENTRYID, 2);
    CHECK_STR(restricted(t, &r), "EG");
    r = size_res(RELOP_EQ, PR_ENTRYID, 5);
    CHECK_STR(restricted(t, &r), "C");

    r = exist_res(PR_ENTRYID);
    CHECK_STR(restricted(t, &r), "ACEG");
    r = exist_res(PR_TEST_MISSING);
    CHECK_STR(restricted(t, &r), "");

    SPropValue sample = str_prop(PR_EMAIL_ADDRESS_W, keep, "sample");
    SRestriction both[2] = {prop_res(RELOP_EQ, &to), content_res(FL_SUBSTRING, &sample)};
    r = and_or_res(RES_AND, both, 2);
    CHECK_STR(restricted(t, &r), "F");
    SRestriction either[2] = {prop_res(RELOP_EQ, &bcc), prop_res(RELOP_EQ, &n10)};
    r = and_or_res(RES_OR, either, 2);
    CHECK_STR(restricted(t, &r), "ADG");
    SRestriction has_eid = exist_res(PR_ENTRYID);
    r = not_res(&has_eid);
    CHECK_STR(restricted(t, &r), "BDFH");
    SRestriction to_or_cc[2] = {prop_res(RELOP_EQ, &to), prop_res(RELOP_EQ, &cc)};
    SRestriction to_or_cc_res = and_or_res(RES_OR, to_or_cc, 2);
    r = not_res(&to_or_cc_res);
    CHECK_STR(restricted(t, &r), "DG");
    // AND(NOT type == BCC, OR(name starts with "A", num & 0x20)) -> A, H (D is BCC).
    SPropValue a = str_prop(PR_DISPLAY_NAME_W, keep, "A");
    SRestriction is_bcc = prop_res(RELOP_EQ, &bcc);
    SRestriction inner_or[2] = {content_res(FL_PREFIX, &a), bitmask_res(BMR_NEZ, PR_TEST_LONG, 0x20)};
    SRestriction outer_and[2] = {not_res(&is_bcc), and_or_res(RES_OR, inner_or, 2)};
    r = and_or_res(RES_AND, outer_and, 2);
    CHECK_STR(restricted(t, &r), "AH");

    CHECK_STR(restricted(t, nullptr), "ABCDEFGH");
}

static void check_sort_order(LPMAPITABLE t, const std::vector<SSortOrder> &want)
{
    LPSSortOrderSet got = nullptr;
    CHECK_OK(t->QuerySortOrder(&got));
    CHECK(got != nullptr);
    if (!got)
        return;
    CHECK(is_root(got));
    CHECK_EQ(got->cSorts, want.size());
    CHECK_EQ(got->cCategories, 0);
    CHECK_EQ(got->cExpanded, 0);
    for (size_t i = 0; i < want.size() && i < got->cSorts; i++) {
        CHECK_EQ(got->aSort[i].ulPropTag, want[i].ulPropTag);
        CHECK_EQ(got->aSort[i].ulOrder, want[i].ulOrder);
    }
    CHECK_EQ(count_free(got), 0);
}

static std::string sorted(LPMAPITABLE t, const std::vector<SSortOrder> &keys)
{
    std::vector<BYTE> buf(CbNewSSortOrderSet(keys.size() ? keys.size() : 1));
    LPSSortOrderSet set = reinterpret_cast<LPSSortOrderSet>(buf.data());
    set->cSorts = static_cast<ULONG>(keys.size());
    set->cCategories = 0;
    set->cExpanded = 0;
    for (size_t i = 0; i < keys.size(); i++)
        set->aSort[i] = keys[i];
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 3, nullptr));
    CHECK_OK(t->SortTable(set, 0));
    CHECK_EQ(position(t), 0); // SortTable puts the cursor at the start
    check_sort_order(t, keys);
    return read_all(t);
}

static void test_sort(LPMAPITABLE t)
{
    set_columns(t, {PR_ROWID, PR_DISPLAY_NAME_W});
    // By type (TO, CC, BCC), then name descending within a type.
    CHECK_STR(sorted(t, {{PR_RECIPIENT_TYPE, TABLE_SORT_ASCEND}, {PR_DISPLAY_NAME_W, TABLE_SORT_DESCEND}}),
              "HFCAEBGD");
    CHECK_STR(sorted(t, {{PR_RECIPIENT_TYPE, TABLE_SORT_DESCEND}, {PR_DISPLAY_NAME_W, TABLE_SORT_ASCEND}}),
              "DGBEACFH");
    CHECK_STR(sorted(t, {{PR_TEST_LONG, TABLE_SORT_DESCEND}}), "DHBFAECG");
    CHECK_STR(sorted(t, {{PR_EMAIL_ADDRESS_W, TABLE_SORT_DESCEND}}), "HGFEDCBA");

    // A sort and a restriction together.
    SPropValue to = long_prop(PR_RECIPIENT_TYPE, MAPI_TO);
    SRestriction not_to = prop_res(RELOP_NE, &to);
    CHECK_OK(t->Restrict(&not_to, 0));
    CHECK_STR(sorted(t, {{PR_DISPLAY_NAME_W, TABLE_SORT_DESCEND}}), "GEDB");
    CHECK_STR(sorted(t, {{PR_TEST_LONG, TABLE_SORT_ASCEND}}), "GEBD");
    CHECK_OK(t->Restrict(nullptr, 0));
    // Removing the restriction keeps the sort: every row, by PR_TEST_LONG ascending.
    CHECK_STR(read_all(t), "GCEAFBHD");

    // Zero keys: back to insertion order, and QuerySortOrder reports none.
    CHECK_STR(sorted(t, {}), "ABCDEFGH");
}

static void test_find(LPMAPITABLE t)
{
    set_columns(t, {PR_ROWID, PR_DISPLAY_NAME_W, PR_INSTANCE_KEY});
    SPropValue cc = long_prop(PR_RECIPIENT_TYPE, MAPI_CC);
    SPropValue to = long_prop(PR_RECIPIENT_TYPE, MAPI_TO);
    SRestriction is_cc = prop_res(RELOP_EQ, &cc);
    SRestriction is_to = prop_res(RELOP_EQ, &to);

    // Forward: the cursor lands on the row found; the current row itself is searched.
    CHECK_OK(t->SeekRow(BOOKMARK_END, 0, nullptr));
    CHECK_OK(t->FindRow(&is_cc, BOOKMARK_BEGINNING, 0));
    CHECK_EQ(position(t), 1);
    CHECK_OK(t->FindRow(&is_cc, BOOKMARK_CURRENT, 0));
    CHECK_EQ(position(t), 1);
    CHECK_STR(query(t, 1), "B");
    CHECK_OK(t->FindRow(&is_cc, BOOKMARK_CURRENT, 0));
    CHECK_EQ(position(t), 4);
    CHECK_STR(query(t, 1), "E");
    CHECK_HR(t->FindRow(&is_cc, BOOKMARK_CURRENT, 0), MAPI_E_NOT_FOUND);
    CHECK_HR(t->FindRow(&is_cc, BOOKMARK_END, 0), MAPI_E_NOT_FOUND);

    // Backward: from before the origin, towards the start.
    CHECK_OK(t->FindRow(&is_to, BOOKMARK_END, DIR_BACKWARD));
    CHECK_EQ(position(t), 7);
    CHECK_OK(t->FindRow(&is_to, BOOKMARK_CURRENT, DIR_BACKWARD));
    CHECK_EQ(position(t), 5);
    CHECK_OK(t->FindRow(&is_to, BOOKMARK_CURRENT, DIR_BACKWARD));
    CHECK_EQ(position(t), 2);
    CHECK_OK(t->FindRow(&is_to, BOOKMARK_CURRENT, DIR_BACKWARD));
    CHECK_EQ(position(t), 0);
    CHECK_STR(query(t, 1, TBL_NOADVANCE), "A");
    CHECK_HR(t->FindRow(&is_to, BOOKMARK_CURRENT, DIR_BACKWARD), MAPI_E_NOT_FOUND);
    CHECK_HR(t->FindRow(&is_to, BOOKMARK_BEGINNING, DIR_BACKWARD), MAPI_E_NOT_FOUND);

    // On PR_INSTANCE_KEY, which every table must support (§10.4): Frank's key finds Frank.
    LPSRowSet rows = nullptr;
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 5, nullptr));
    CHECK_OK(t->QueryRows(1, 0, &rows));
    std::vector<BYTE> key;
    if (rows && rows->cRows == 1) {
        const SPropValue *k = find_prop(rows->aRow[0], PR_INSTANCE_KEY);
        CHECK(k != nullptr);
        if (k)
            key.assign(k->Value.bin.lpb, k->Value.bin.lpb + k->Value.bin.cb);
    } else {
        CHECK(rows != nullptr && rows->cRows == 1);
    }
    free_rows(rows);
    CHECK(!key.empty());
    SPropValue kv = bin_prop(PR_INSTANCE_KEY, key);
    SRestriction is_key = prop_res(RELOP_EQ, &kv);
    CHECK_OK(t->FindRow(&is_key, BOOKMARK_BEGINNING, 0));
    CHECK_EQ(position(t), 5);
    CHECK_STR(query(t, 1), "F");
    CHECK_HR(t->FindRow(&is_key, BOOKMARK_CURRENT, 0), MAPI_E_NOT_FOUND);

    // In a sorted table, positions are in the sorted order: by name descending, E is row 3.
    SizedSSortOrderSet(1, by_name) = {1, 0, 0, {{PR_DISPLAY_NAME_W, TABLE_SORT_DESCEND}}};
    CHECK_OK(t->SortTable(reinterpret_cast<LPSSortOrderSet>(&by_name), 0));
    CHECK_OK(t->FindRow(&is_cc, BOOKMARK_BEGINNING, 0));
    CHECK_EQ(position(t), 3);
    CHECK_STR(query(t, 1), "E");
    SizedSSortOrderSet(1, none) = {0, 0, 0, {{0, 0}}};
    CHECK_OK(t->SortTable(reinterpret_cast<LPSSortOrderSet>(&none), 0));
    CHECK_STR(read_all(t), "ABCDEFGH");
}

static void test_bookmarks(LPMAPITABLE t, LPMESSAGE msg)
{
    set_columns(t, {PR_ROWID, PR_DISPLAY_NAME_W});
    LONG sought = 0;
    BOOKMARK bk = 0, bk2 = 0;

    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 3, nullptr));
    CHECK_OK(t->CreateBookmark(&bk));
    CHECK(bk != BOOKMARK_BEGINNING && bk != BOOKMARK_CURRENT && bk != BOOKMARK_END);
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 6, nullptr));
    CHECK_OK(t->CreateBookmark(&bk2));
    CHECK(bk2 != bk && bk2 > BOOKMARK_END);

    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 0, nullptr));
    CHECK_OK(t->SeekRow(bk, 0, &sought));
    CHECK_EQ(sought, 0);
    CHECK_EQ(position(t), 3);
    CHECK_STR(query(t, 1), "D");
    CHECK_OK(t->SeekRow(bk, 2, &sought));
    CHECK_EQ(sought, 2);
    CHECK_STR(query(t, 1, TBL_NOADVANCE), "F");
    CHECK_OK(t->SeekRow(bk, -10, &sought));
    CHECK_EQ(sought, -3);
    CHECK_EQ(position(t), 0);
    CHECK_OK(t->SeekRow(bk, 100, &sought));
    CHECK_EQ(sought, 5);
    CHECK_EQ(position(t), PEOPLE);
    CHECK_OK(t->SeekRow(bk2, 0, &sought));
    CHECK_EQ(position(t), 6);

    // FindRow from a bookmark, both ways.
    SPropValue to = long_prop(PR_RECIPIENT_TYPE, MAPI_TO);
    SRestriction is_to = prop_res(RELOP_EQ, &to);
    CHECK_OK(t->FindRow(&is_to, bk, 0));
    CHECK_EQ(position(t), 5);
    CHECK_OK(t->FindRow(&is_to, bk, DIR_BACKWARD));
    CHECK_EQ(position(t), 2);

    // Freed: every use is refused.
    CHECK_OK(t->FreeBookmark(bk));
    CHECK_HR(t->SeekRow(bk, 0, &sought), MAPI_E_INVALID_BOOKMARK);
    CHECK_HR(t->FindRow(&is_to, bk, 0), MAPI_E_INVALID_BOOKMARK);
    CHECK_HR(t->FreeBookmark(bk), MAPI_E_INVALID_BOOKMARK);
    CHECK_OK(t->SeekRow(bk2, -1, &sought)); // the other one still works
    CHECK_EQ(position(t), 5);
    // The predefined ones are ignored.
    CHECK_OK(t->FreeBookmark(BOOKMARK_BEGINNING));
    CHECK_OK(t->FreeBookmark(BOOKMARK_CURRENT));
    CHECK_OK(t->FreeBookmark(BOOKMARK_END));

    // Restrict discards bookmarks (§10.4).
    SRestriction has_eid = exist_res(PR_ENTRYID);
    CHECK_OK(t->Restrict(&has_eid, 0));
    CHECK_HR(t->SeekRow(bk2, 0, &sought), MAPI_E_INVALID_BOOKMARK);
    CHECK_OK(t->Restrict(nullptr, 0));
    // So does SortTable.
    BOOKMARK bk3 = 0;
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 2, nullptr));
    CHECK_OK(t->CreateBookmark(&bk3));
    SizedSSortOrderSet(1, by_name) = {1, 0, 0, {{PR_DISPLAY_NAME_W, TABLE_SORT_ASCEND}}};
    CHECK_OK(t->SortTable(reinterpret_cast<LPSSortOrderSet>(&by_name), 0));
    CHECK_HR(t->SeekRow(bk3, 0, &sought), MAPI_E_INVALID_BOOKMARK);
    SizedSSortOrderSet(1, none) = {0, 0, 0, {{0, 0}}};
    CHECK_OK(t->SortTable(reinterpret_cast<LPSSortOrderSet>(&none), 0));

    // A bookmark made after the last row stays there.
    BOOKMARK at_end = 0;
    CHECK_OK(t->SeekRow(BOOKMARK_END, 0, nullptr));
    CHECK_OK(t->CreateBookmark(&at_end));
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 0, nullptr));
    CHECK_OK(t->SeekRow(at_end, -1, &sought));
    CHECK_EQ(sought, -1);
    CHECK_STR(query(t, 1), "H");
    CHECK_OK(t->FreeBookmark(at_end));

    // The attachment table has no bookmarks (§10.3).
    LPMAPITABLE att = nullptr;
    CHECK_OK(msg->GetAttachmentTable(MAPI_UNICODE, &att));
    CHECK(att != nullptr);
    if (att) {
        ULONG status = 0xDEAD, type = 0xDEAD;
        CHECK_OK(att->GetStatus(&status, &type));
        CHECK_EQ(status, TBLSTAT_COMPLETE);
        CHECK_EQ(type, TBLTYPE_DYNAMIC);
        CHECK_EQ(row_count(att), 0);
        BOOKMARK b = 0;
        CHECK_HR(att->CreateBookmark(&b), MAPI_E_NO_SUPPORT);
        CHECK_EQ(att->Release(), 0);
    }
}

// QueryRows hands out one lpAllocateBuffer block per row plus one for the set, every string
// of a row inside that row's block (or linked to it), and each is freed by lpFreeBuffer.
static void test_allocations(LPMAPITABLE t)
{
    set_columns(t, {PR_ROWID, PR_DISPLAY_NAME_W, PR_EMAIL_ADDRESS_W, PR_ENTRYID});
    CHECK_OK(t->SeekRow(BOOKMARK_BEGINNING, 0, nullptr));
    long calls = g_buffer_calls, live = g_live_roots, foreign = g_foreign_frees;
    LPSRowSet rows = nullptr;
    CHECK_OK(t->QueryRows(100, 0, &rows));
    CHECK(rows != nullptr && rows->cRows == static_cast<ULONG>(PEOPLE));
    CHECK_EQ(g_buffer_calls - calls, PEOPLE + 1);
    CHECK_EQ(g_live_roots - live, PEOPLE + 1);
    if (rows) {
        CHECK(is_root(rows));
        for (ULONG r = 0; r < rows->cRows; r++) {
            const SRow &row = rows->aRow[r];
            CHECK(is_root(row.lpProps));
            CHECK(row.lpProps != static_cast<void *>(rows));
            for (ULONG i = 0; i < row.cValues; i++) {
                const SPropValue &v = row.lpProps[i];
                if (PROP_TYPE(v.ulPropTag) == PT_UNICODE)
                    CHECK(belongs_to(v.Value.lpszW, row.lpProps));
                if (PROP_TYPE(v.ulPropTag) == PT_BINARY && v.Value.bin.cb)
                    CHECK(belongs_to(v.Value.bin.lpb, row.lpProps));
            }
        }
    }
    // FreeProws order: the rows, then the set; each is a root block of ours.
    free_rows(rows);
    CHECK_EQ(g_live_roots, live);
    CHECK_EQ(g_foreign_frees, foreign);

    // No rows: the set alone.
    calls = g_buffer_calls;
    CHECK_OK(t->QueryRows(5, 0, &rows));
    CHECK(rows != nullptr && rows->cRows == 0);
    CHECK_EQ(g_buffer_calls - calls, 1);
    free_rows(rows);
    CHECK_EQ(g_live_roots, live);

    // A backward read of three rows: four blocks.
    calls = g_buffer_calls;
    CHECK_OK(t->QueryRows(-3, 0, &rows));
    CHECK_STR(initials(rows), "FGH");
    CHECK_EQ(g_buffer_calls - calls, 4);
    free_rows(rows);
    CHECK_EQ(g_live_roots, live);
    CHECK_EQ(g_bad_parents, 0);
}

// The same open table follows ModifyRecipients: added, removed and modified rows, under a
// restriction too.
static void test_dynamic(LPMAPITABLE t, LPMAPITABLE t2, LPMESSAGE msg)
{
    set_columns(t, {PR_ROWID, PR_DISPLAY_NAME_W, PR_RECIPIENT_TYPE, PR_EMAIL_ADDRESS_W});
    std::deque<wstr> keep;
    SPropValue cc = long_prop(PR_RECIPIENT_TYPE, MAPI_CC);
    SRestriction is_cc = prop_res(RELOP_EQ, &cc);
    CHECK_OK(t->Restrict(&is_cc, 0));
    CHECK_EQ(row_count(t), 2);
    CHECK_EQ(row_count(t2), PEOPLE);

    Person ivan = {"Ivan Irwin", "ivan@example.com", MAPI_CC, "SMTP", 1, {}};
    Person judy = {"Judy Jones", "judy@example.com", MAPI_TO, "SMTP", 2, {0xAA}};
    CHECK_OK(modify(msg, MODRECIP_ADD, {person_props(ivan, keep), person_props(judy, keep)}));
    CHECK_EQ(row_count(t), 3);
    CHECK_STR(read_all(t), "BEI");
    CHECK_EQ(row_count(t2), PEOPLE + 2);
    CHECK_STR(restricted(t, nullptr), "ABCDEFGHIJ");

    // Remove Bob and Dave by PR_ROWID.
    CHECK_OK(modify(msg, MODRECIP_REMOVE, {{long_prop(PR_ROWID, g_rowid[1])}, {long_prop(PR_ROWID, g_rowid[3])}}));
    CHECK_EQ(row_count(t), PEOPLE);
    CHECK_EQ(row_count(t2), PEOPLE);
    CHECK_STR(read_all(t), "ACEFGHIJ");

    // Modify Erin: the entry replaces the whole row (her e-mail address goes).
    CHECK_OK(modify(msg, MODRECIP_MODIFY,
                    {{long_prop(PR_ROWID, g_rowid[4]), str_prop(PR_DISPLAY_NAME_W, keep, "Erin Evans-Ward"),
                      long_prop(PR_RECIPIENT_TYPE, MAPI_TO)}}));
    CHECK_EQ(row_count(t), PEOPLE);
    CHECK_STR(restricted(t, &is_cc), "I");
    CHECK_OK(t->Restrict(nullptr, 0));
    SPropValue erin_id = long_prop(PR_ROWID, g_rowid[4]);
    SRestriction is_erin = prop_res(RELOP_EQ, &erin_id);
    CHECK_OK(t->FindRow(&is_erin, BOOKMARK_BEGINNING, 0));
    CHECK_EQ(position(t), 2);
    LPSRowSet rows = nullptr;
    CHECK_OK(t->QueryRows(1, 0, &rows));
    CHECK(rows != nullptr && rows->cRows == 1);
    if (rows && rows->cRows == 1 && rows->aRow[0].cValues == 4) {
        const SPropValue *v = rows->aRow[0].lpProps;
        CHECK_EQ(v[0].Value.l, g_rowid[4]);
        CHECK_STR(narrow(v[1].ulPropTag == PR_DISPLAY_NAME_W ? v[1].Value.lpszW : nullptr), "Erin Evans-Ward");
        CHECK_EQ(v[2].Value.l, MAPI_TO);
        CHECK_EQ(v[3].ulPropTag, PROP_TAG(PT_ERROR, PROP_ID(PR_EMAIL_ADDRESS_W)));
        CHECK_EQ(v[3].Value.err, MAPI_E_NOT_FOUND);
    } else {
        CHECK(rows && rows->cRows == 1 && rows->aRow[0].cValues == 4);
    }
    free_rows(rows);

    // ModifyRecipients(0) replaces the whole list.
    Person xena = {"Xena Xu", "xena@example.com", MAPI_TO, "SMTP", 1, {}};
    Person yuri = {"Yuri Young", "yuri@example.com", MAPI_CC, "SMTP", 2, {}};
    Person zoe = {"Zoe Zimmer", "zoe@example.com", MAPI_BCC, "SMTP", 3, {}};
    CHECK_OK(modify(msg, 0, {person_props(xena, keep), person_props(yuri, keep), person_props(zoe, keep)}));
    CHECK_EQ(row_count(t), 3);
    CHECK_EQ(row_count(t2), 3);
    CHECK_STR(read_all(t), "XYZ");
}

// The saved file holds the final recipients.
static void check_saved(const WCHAR *path)
{
    IStorage *stg = nullptr;
    LPMESSAGE msg = nullptr;
    CHECK_OK(StgOpenStorage(path, nullptr, STGM_READ | STGM_TRANSACTED, nullptr, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(nullptr, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            nullptr, stg, nullptr, 0, 0, &msg));
    stg->Release();
    if (!msg)
        return;
    LPMAPITABLE t = nullptr;
    CHECK_OK(msg->GetRecipientTable(MAPI_UNICODE, &t));
    if (t) {
        SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_W, PR_RECIPIENT_TYPE}};
        CHECK_OK(t->SetColumns(reinterpret_cast<LPSPropTagArray>(&cols), 0));
        CHECK_EQ(row_count(t), 3);
        LPSRowSet rows = nullptr;
        CHECK_OK(t->QueryRows(10, 0, &rows));
        CHECK_STR(initials(rows), "XYZ");
        if (rows && rows->cRows == 3)
            for (ULONG i = 0; i < 3; i++) {
                const SPropValue *v = find_prop(rows->aRow[i], PR_RECIPIENT_TYPE);
                CHECK(v != nullptr && v->Value.l == static_cast<LONG>(MAPI_TO + i));
            }
        free_rows(rows, MAPIFreeBuffer);
        CHECK_EQ(t->Release(), 0);
    }
    CHECK_EQ(msg->Release(), 0);
}

int main()
{
    if (!test_dir_create("imsg-tables-cpp"))
        return 1;
    char path[256];
    WCHAR wpath[256];
    test_path("tables.msg", path, wpath);

    IStorage *stg = nullptr;
    LPMSGSESS sess = nullptr;
    LPMESSAGE msg = nullptr;
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    if (stg && sess)
        CHECK_OK(OpenIMsgOnIStg(sess, count_alloc, count_more, count_free, MAPIGetDefaultMalloc(), nullptr, stg,
                                nullptr, 0, MAPI_UNICODE, &msg));
    if (stg)
        stg->Release(); // the message holds its own reference
    if (!msg) {
        CHECK(msg != nullptr);
        CloseIMsgSession(sess);
        test_dir_remove();
        return check_report("tables_cpp");
    }

    add_people(msg);
    LPMAPITABLE t = nullptr, t2 = nullptr;
    CHECK_OK(msg->GetRecipientTable(MAPI_UNICODE, &t));
    CHECK_OK(msg->GetRecipientTable(MAPI_UNICODE, &t2));
    if (t && t2) {
        test_status_and_columns(t);
        test_cursor(t);
        test_restrict(t);
        test_sort(t);
        test_find(t);
        test_bookmarks(t, msg);
        test_allocations(t);
        test_dynamic(t, t2, msg);
    } else {
        CHECK(t != nullptr && t2 != nullptr);
    }
    CHECK_OK(msg->SaveChanges(KEEP_OPEN_READWRITE));
    if (t2)
        CHECK_EQ(t2->Release(), 0);

    // After CloseIMsgSession a table still held answers MAPI_E_OBJECT_DELETED, and its
    // Release still frees it.
    CloseIMsgSession(sess);
    if (t) {
        ULONG n = 0;
        LPSRowSet rows = nullptr;
        CHECK_HR(t->GetRowCount(0, &n), MAPI_E_OBJECT_DELETED);
        CHECK_HR(t->QueryRows(1, 0, &rows), MAPI_E_OBJECT_DELETED);
        CHECK(rows == nullptr);
        CHECK_EQ(t->Release(), 0);
    }
    CHECK_EQ(msg->Release(), 0);

    // Every block handed out through our allocators came back through lpFreeBuffer.
    CHECK_EQ(g_live_roots, 0);
    CHECK(g_blocks.empty());
    CHECK_EQ(g_foreign_frees, 0);
    CHECK_EQ(g_bad_parents, 0);
    CHECK(g_buffer_calls > 0 && g_more_calls > 0);

    check_saved(wpath);
    test_dir_remove();
    return check_report("tables_cpp");
}
