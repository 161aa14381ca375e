// named_cpp.cpp - named properties through the C++ face of the API (spec/mapi-abi.md §10.2
// GetIDsFromNames/GetNamesFromIDs, spec/msg-format.md §9 the `__nameid_version1.0` map):
// string and numeric names in PS_PUBLIC_STRINGS, PS_INTERNET_HEADERS (matched
// case-insensitively), PSETID_Common and property sets never seen before; MAPI_CREATE
// assigning ids from 0x8000 densely; PS_MAPI names; unmappable names; values under named
// ids on the message, a recipient, an attachment and an embedded message two levels down,
// saved, reopened and read back by name; both forms of GetNamesFromIDs; the one map shared
// by the whole file; a read-only message; the id space running out; bad arguments; and the
// streams of the `__nameid_version1.0` storage read back through IStorage.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "tags.h"
#include "testdir.h"
#include "wide.h"

typedef std::basic_string<WCHAR> wstr;

// A UTF-16 string from ASCII.
static wstr ws(const char *s)
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

// Compares two integers and prints both on mismatch.
#define CHECK_EQ(got, want)                                                                       \
    do {                                                                                          \
        long long check_g_ = static_cast<long long>(got);                                         \
        long long check_w_ = static_cast<long long>(want);                                        \
        check_count++;                                                                            \
        if (check_g_ != check_w_) {                                                               \
            fprintf(stderr, "%s:%d: %s is %lld (0x%llX), expected %lld (0x%llX)\n", __FILE__, __LINE__, #got, \
                    check_g_, check_g_, check_w_, check_w_);                                      \
            check_failures++;                                                                     \
        }                                                                                         \
    } while (0)

// A property set no header knows.
static const GUID PS_BRAND_NEW = {0x6b1c8a3e, 0x52f1, 0x4d0b, {0x9a, 0x41, 0x27, 0x0e, 0x6c, 0x11, 0xd2, 0x85}};
// Another one, for running out of ids.
static const GUID PS_MANY = {0x0badf00d, 0x1234, 0x5678, {0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33, 0x44}};

static ULONG named(ULONG id, ULONG type) { return PROP_TAG(type, id); }

// ----- names -----

struct NameDef {
    GUID guid;
    ULONG kind;
    LONG lid;
    wstr name;
};

static NameDef num(const GUID &g, LONG lid) { return NameDef{g, MNID_ID, lid, wstr()}; }
static NameDef str(const GUID &g, const wstr &s) { return NameDef{g, MNID_STRING, 0, s}; }

// A caller's LPMAPINAMEID array built from name definitions; it owns every GUID, string and
// MAPINAMEID it points to, so it is neither copied nor moved.
class NameList {
public:
    explicit NameList(const std::vector<NameDef> &defs) : defs_(defs), ids_(defs.size()), ptrs_(defs.size())
    {
        for (size_t i = 0; i < defs_.size(); i++) {
            MAPINAMEID &m = ids_[i];
            std::memset(&m, 0, sizeof(m));
            m.lpguid = &defs_[i].guid;
            m.ulKind = defs_[i].kind;
            if (defs_[i].kind == MNID_STRING)
                m.Kind.lpwstrName = const_cast<WCHAR *>(defs_[i].name.c_str());
            else
                m.Kind.lID = defs_[i].lid;
            ptrs_[i] = &m;
        }
    }
    NameList(const NameList &) = delete;
    NameList &operator=(const NameList &) = delete;

    ULONG count() const { return static_cast<ULONG>(ptrs_.size()); }
    LPMAPINAMEID *array() { return ptrs_.data(); }
    MAPINAMEID &at(size_t i) { return ids_[i]; }
    void set_entry(size_t i, LPMAPINAMEID p) { ptrs_[i] = p; }

private:
    std::vector<NameDef> defs_;
    std::vector<MAPINAMEID> ids_;
    std::vector<LPMAPINAMEID> ptrs_;
};

// The names of the test, in the order they get their ids (index k: id 0x8000 + k).
enum {
    N_KEYWORDS,      // PS_PUBLIC_STRINGS "Keywords"
    N_PUBLIC_NUM,    // PS_PUBLIC_STRINGS numeric 0x1234
    N_HEADER,        // PS_INTERNET_HEADERS "X-Imsg-Test"
    N_COMMON_8514,   // PSETID_Common numeric 0x8514
    N_COMMON_8580,   // PSETID_Common numeric 0x8580
    N_COMMON_STR,    // PSETID_Common "Common.Text"
    N_NEW_NUM,       // PS_BRAND_NEW numeric 1
    N_NEW_STR,       // PS_BRAND_NEW "Café 😀" (a non-ASCII and a non-BMP character)
    N_NEW_MINUS_ONE, // PS_BRAND_NEW numeric -1 (0xFFFFFFFF)
    N_FIRST_BATCH,   // created on the new message in one call
    N_ATTACH = N_FIRST_BATCH, // PSETID_Attachment "Attach.Label", created through an attachment
    N_APPOINTMENT,   // PSETID_Appointment numeric 0x8205, created two embedded levels down
    N_SAVED,         // known when the file is first saved
    N_TASK = N_SAVED, // PSETID_Task numeric 0x8101, created after reopening
    N_ALL
};

static std::vector<NameDef> catalogue()
{
    wstr cafe = ws("Caf");
    cafe.push_back(0x00E9);
    cafe.push_back(' ');
    cafe.push_back(0xD83D);
    cafe.push_back(0xDE00);
    return {
        str(PS_PUBLIC_STRINGS, ws("Keywords")),
        num(PS_PUBLIC_STRINGS, 0x1234),
        str(PS_INTERNET_HEADERS, ws("X-Imsg-Test")),
        num(PSETID_Common, 0x8514),
        num(PSETID_Common, 0x8580),
        str(PSETID_Common, ws("Common.Text")),
        num(PS_BRAND_NEW, 1),
        str(PS_BRAND_NEW, cafe),
        num(PS_BRAND_NEW, -1),
        str(PSETID_Attachment, ws("Attach.Label")),
        num(PSETID_Appointment, 0x8205),
        num(PSETID_Task, 0x8101),
    };
}

// Names [first, last) of the catalogue.
static std::vector<NameDef> names_range(int first, int last)
{
    std::vector<NameDef> all = catalogue();
    return std::vector<NameDef>(all.begin() + first, all.begin() + last);
}

static ULONG id_of(int k) { return 0x8000 + static_cast<ULONG>(k); }

// GetIDsFromNames; the tags copied out and the returned array freed.
static HRESULT ids_of(LPMAPIPROP obj, NameList &names, ULONG flags, std::vector<ULONG> &out)
{
    LPSPropTagArray tags = nullptr;
    HRESULT hr = obj->GetIDsFromNames(names.count(), names.array(), flags, &tags);
    out.clear();
    if (tags) {
        for (ULONG i = 0; i < tags->cValues; i++)
            out.push_back(tags->aulPropTag[i]);
        CHECK_EQ(MAPIFreeBuffer(tags), 0);
    }
    return hr;
}

// The tags of catalogue names [first, last) as `obj` resolves them, without MAPI_CREATE.
static std::vector<ULONG> resolve(LPMAPIPROP obj, int first, int last)
{
    NameList names(names_range(first, last));
    std::vector<ULONG> tags;
    CHECK_OK(ids_of(obj, names, 0, tags));
    CHECK_EQ(tags.size(), last - first);
    return tags;
}

// Tags `first`..`last-1` are PROP_TAG(PT_UNSPECIFIED, 0x8000 + k), in name order.
static void check_dense(const std::vector<ULONG> &tags, int first, int last)
{
    CHECK_EQ(tags.size(), last - first);
    for (size_t i = 0; i < tags.size(); i++)
        CHECK_EQ(tags[i], named(id_of(first + static_cast<int>(i)), PT_UNSPECIFIED));
}

static bool same_guid(const GUID *a, const GUID &b) { return a && std::memcmp(a, &b, sizeof(GUID)) == 0; }

static WCHAR fold(WCHAR c) { return c >= 'A' && c <= 'Z' ? static_cast<WCHAR>(c + 32) : c; }

// Whether a returned name is `want` (internet-header names compared case-insensitively).
static bool same_name(const MAPINAMEID *got, const NameDef &want)
{
    if (!got || !same_guid(got->lpguid, want.guid) || got->ulKind != want.kind)
        return false;
    if (want.kind == MNID_ID)
        return got->Kind.lID == want.lid;
    const WCHAR *s = got->Kind.lpwstrName;
    if (!s)
        return false;
    bool fold_case = same_guid(&want.guid, PS_INTERNET_HEADERS);
    size_t i = 0;
    for (; i < want.name.size(); i++)
        if (s[i] == 0 || (fold_case ? fold(s[i]) != fold(want.name[i]) : s[i] != want.name[i]))
            return false;
    return s[i] == 0;
}

// ----- values -----

static const BYTE BIN_BYTES[5] = {1, 2, 3, 4, 5};
static WCHAR *KEYWORDS[2];
static WCHAR *DEEP_KEYWORDS[1];

// The values the top-level message carries, by catalogue index (the first batch).
static void message_values(SPropValue *v, const std::vector<ULONG> &tags)
{
    static wstr red = ws("red"), green = ws("green"), header = ws("header value"), minus = ws("minus one");
    KEYWORDS[0] = const_cast<WCHAR *>(red.c_str());
    KEYWORDS[1] = const_cast<WCHAR *>(green.c_str());
    std::memset(v, 0, N_FIRST_BATCH * sizeof(SPropValue));
    v[N_KEYWORDS].ulPropTag = CHANGE_PROP_TYPE(tags[N_KEYWORDS], PT_MV_UNICODE);
    v[N_KEYWORDS].Value.MVszW.cValues = 2;
    v[N_KEYWORDS].Value.MVszW.lppszW = KEYWORDS;
    v[N_PUBLIC_NUM].ulPropTag = CHANGE_PROP_TYPE(tags[N_PUBLIC_NUM], PT_LONG);
    v[N_PUBLIC_NUM].Value.l = 42;
    v[N_HEADER].ulPropTag = CHANGE_PROP_TYPE(tags[N_HEADER], PT_UNICODE);
    v[N_HEADER].Value.lpszW = const_cast<WCHAR *>(header.c_str());
    v[N_COMMON_8514].ulPropTag = CHANGE_PROP_TYPE(tags[N_COMMON_8514], PT_BOOLEAN);
    v[N_COMMON_8514].Value.b = 1;
    v[N_COMMON_8580].ulPropTag = CHANGE_PROP_TYPE(tags[N_COMMON_8580], PT_SYSTIME);
    v[N_COMMON_8580].Value.ft.dwLowDateTime = 0x89ABCDEF;
    v[N_COMMON_8580].Value.ft.dwHighDateTime = 0x01D9F00D;
    v[N_COMMON_STR].ulPropTag = CHANGE_PROP_TYPE(tags[N_COMMON_STR], PT_DOUBLE);
    v[N_COMMON_STR].Value.dbl = 2.5;
    v[N_NEW_NUM].ulPropTag = CHANGE_PROP_TYPE(tags[N_NEW_NUM], PT_BINARY);
    v[N_NEW_NUM].Value.bin.cb = sizeof(BIN_BYTES);
    v[N_NEW_NUM].Value.bin.lpb = const_cast<BYTE *>(BIN_BYTES);
    v[N_NEW_STR].ulPropTag = CHANGE_PROP_TYPE(tags[N_NEW_STR], PT_I8);
    v[N_NEW_STR].Value.li.QuadPart = 0x0123456789ABCDEFLL;
    v[N_NEW_MINUS_ONE].ulPropTag = CHANGE_PROP_TYPE(tags[N_NEW_MINUS_ONE], PT_UNICODE);
    v[N_NEW_MINUS_ONE].Value.lpszW = const_cast<WCHAR *>(minus.c_str());
}

static bool wide_same(const WCHAR *a, const WCHAR *b)
{
    if (!a || !b)
        return false;
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

// Whether two values of the types this test uses are equal (tag included).
static bool same_value(const SPropValue &got, const SPropValue &want)
{
    if (got.ulPropTag != want.ulPropTag)
        return false;
    switch (PROP_TYPE(want.ulPropTag)) {
    case PT_LONG:
        return got.Value.l == want.Value.l;
    case PT_BOOLEAN:
        return (got.Value.b != 0) == (want.Value.b != 0);
    case PT_DOUBLE:
        return got.Value.dbl == want.Value.dbl;
    case PT_I8:
        return got.Value.li.QuadPart == want.Value.li.QuadPart;
    case PT_SYSTIME:
        return got.Value.ft.dwLowDateTime == want.Value.ft.dwLowDateTime &&
               got.Value.ft.dwHighDateTime == want.Value.ft.dwHighDateTime;
    case PT_UNICODE:
        return wide_same(got.Value.lpszW, want.Value.lpszW);
    case PT_BINARY:
        return got.Value.bin.cb == want.Value.bin.cb &&
               (want.Value.bin.cb == 0 || std::memcmp(got.Value.bin.lpb, want.Value.bin.lpb, want.Value.bin.cb) == 0);
    case PT_MV_UNICODE:
        if (got.Value.MVszW.cValues != want.Value.MVszW.cValues)
            return false;
        for (ULONG i = 0; i < want.Value.MVszW.cValues; i++)
            if (!wide_same(got.Value.MVszW.lppszW[i], want.Value.MVszW.lppszW[i]))
                return false;
        return true;
    default:
        return false;
    }
}

static void set_props(LPMAPIPROP obj, ULONG count, SPropValue *values)
{
    LPSPropProblemArray problems = nullptr;
    CHECK_OK(obj->SetProps(count, values, &problems));
    CHECK(problems == nullptr);
    if (problems) {
        for (ULONG i = 0; i < problems->cProblem; i++)
            fprintf(stderr, "  problem: tag 0x%08lX scode 0x%08lX\n",
                    static_cast<unsigned long>(problems->aProblem[i].ulPropTag),
                    static_cast<unsigned long>(problems->aProblem[i].scode));
        MAPIFreeBuffer(problems);
    }
}

// GetProps of each wanted value's tag; each answer must equal it.
static void check_props(LPMAPIPROP obj, ULONG count, const SPropValue *want, const char *what)
{
    std::vector<ULONG> buf(1 + count);
    LPSPropTagArray tags = reinterpret_cast<LPSPropTagArray>(buf.data());
    tags->cValues = count;
    for (ULONG i = 0; i < count; i++)
        tags->aulPropTag[i] = want[i].ulPropTag;
    ULONG n = 0;
    LPSPropValue got = nullptr;
    CHECK_OK(obj->GetProps(tags, MAPI_UNICODE, &n, &got));
    CHECK_EQ(n, count);
    for (ULONG i = 0; got && i < n && i < count; i++)
        if (!same_value(got[i], want[i])) {
            fprintf(stderr, "%s: value %lu (tag 0x%08lX) differs: got tag 0x%08lX\n", what,
                    static_cast<unsigned long>(i), static_cast<unsigned long>(want[i].ulPropTag),
                    static_cast<unsigned long>(got[i].ulPropTag));
            CHECK(!"the value read back is the value set");
        }
    CHECK_EQ(MAPIFreeBuffer(got), 0);
}

// Whether GetPropList lists `tag` (exact type).
static bool lists(LPMAPIPROP obj, ULONG tag)
{
    LPSPropTagArray list = nullptr;
    CHECK_OK(obj->GetPropList(MAPI_UNICODE, &list));
    bool found = false;
    for (ULONG i = 0; list && i < list->cValues; i++)
        found = found || list->aulPropTag[i] == tag;
    MAPIFreeBuffer(list);
    return found;
}

static const SPropValue *find_prop(const SRow &row, ULONG tag)
{
    for (ULONG i = 0; i < row.cValues; i++)
        if (row.lpProps[i].ulPropTag == tag)
            return &row.lpProps[i];
    return nullptr;
}

static void free_rows(LPSRowSet rows)
{
    if (!rows)
        return;
    for (ULONG i = 0; i < rows->cRows; i++)
        MAPIFreeBuffer(rows->aRow[i].lpProps);
    MAPIFreeBuffer(rows);
}

// ----- GetNamesFromIDs -----

// GetNamesFromIDs for a tag array: NULL entries and MAPI_W_ERRORS_RETURNED for ids without
// a name; PS_MAPI names for ids below 0x8000; the caller's tag array untouched.
static void check_names_for_tags(LPMAPIPROP obj, int known)
{
    std::vector<NameDef> all = catalogue();
    SizedSPropTagArray(6, tags) = {6,
                                   {named(id_of(N_KEYWORDS), PT_MV_UNICODE), named(id_of(N_HEADER), PT_ERROR),
                                    named(0xFFFE, PT_LONG), PR_SUBJECT_W, named(id_of(known - 1), PT_UNSPECIFIED),
                                    named(id_of(N_NEW_STR), PT_I8)}};
    LPSPropTagArray in = reinterpret_cast<LPSPropTagArray>(&tags);
    LPSPropTagArray before = in;
    ULONG count = 0xDEAD;
    LPMAPINAMEID *names = nullptr;
    CHECK_HR(obj->GetNamesFromIDs(&in, nullptr, 0, &count, &names), MAPI_W_ERRORS_RETURNED);
    CHECK(in == before);
    CHECK_EQ(tags.cValues, 6);
    CHECK_EQ(tags.aulPropTag[2], named(0xFFFE, PT_LONG));
    CHECK_EQ(count, 6);
    CHECK(names != nullptr);
    if (names && count == 6) {
        CHECK(same_name(names[0], all[N_KEYWORDS]));
        CHECK(same_name(names[1], all[N_HEADER]));
        CHECK(names[2] == nullptr);
        CHECK(names[3] && same_guid(names[3]->lpguid, PS_MAPI) && names[3]->ulKind == MNID_ID &&
              names[3]->Kind.lID == 0x0037);
        CHECK(same_name(names[4], all[known - 1]));
        CHECK(same_name(names[5], all[N_NEW_STR]));
    }
    CHECK_EQ(MAPIFreeBuffer(names), 0);

    // Every name known: S_OK; the GUID argument is ignored with a tag array.
    SizedSPropTagArray(2, two) = {2, {named(id_of(N_COMMON_STR), PT_DOUBLE), named(id_of(N_NEW_NUM), PT_BINARY)}};
    in = reinterpret_cast<LPSPropTagArray>(&two);
    GUID other = PSETID_Task;
    CHECK_OK(obj->GetNamesFromIDs(&in, &other, 0, &count, &names));
    CHECK_EQ(count, 2);
    if (names && count == 2) {
        CHECK(same_name(names[0], all[N_COMMON_STR]));
        CHECK(same_name(names[1], all[N_NEW_NUM]));
    }
    CHECK_EQ(MAPIFreeBuffer(names), 0);
}

// The enumerate-all form: names [0, known) of the catalogue, filtered by `flags` and
// `guid`; returns how many came back.
static ULONG enumerate(LPMAPIPROP obj, ULONG flags, const GUID *guid, int known)
{
    std::vector<NameDef> all = catalogue();
    LPSPropTagArray tags = nullptr;
    ULONG count = 0xDEAD;
    LPMAPINAMEID *names = nullptr;
    GUID g;
    if (guid)
        g = *guid;
    CHECK_OK(obj->GetNamesFromIDs(&tags, guid ? &g : nullptr, flags, &count, &names));
    CHECK(tags != nullptr);
    if (!tags)
        return 0;
    CHECK_EQ(tags->cValues, count);
    // The expected names in id order.
    std::vector<int> want;
    for (int k = 0; k < known; k++) {
        bool is_string = all[k].kind == MNID_STRING;
        if ((flags & MAPI_NO_IDS) && !is_string)
            continue;
        if ((flags & MAPI_NO_STRINGS) && is_string)
            continue;
        if (guid && !same_guid(guid, all[k].guid))
            continue;
        want.push_back(k);
    }
    CHECK_EQ(count, want.size());
    if (count == 0)
        CHECK(names == nullptr);
    for (ULONG i = 0; names && i < count && i < want.size(); i++) {
        CHECK_EQ(tags->aulPropTag[i], named(id_of(want[i]), PT_UNSPECIFIED));
        if (!same_name(names[i], all[want[i]])) {
            fprintf(stderr, "enumerated name %lu is not catalogue name %d\n", static_cast<unsigned long>(i),
                    want[i]);
            CHECK(!"enumerated names are the catalogue's");
        }
    }
    CHECK_EQ(MAPIFreeBuffer(tags), 0);
    CHECK_EQ(MAPIFreeBuffer(names), 0);
    return count;
}

static void check_enumeration(LPMAPIPROP obj, int known)
{
    CHECK_EQ(enumerate(obj, 0, nullptr, known), known);
    ULONG strings = enumerate(obj, MAPI_NO_IDS, nullptr, known);
    ULONG numbers = enumerate(obj, MAPI_NO_STRINGS, nullptr, known);
    CHECK(strings > 0 && numbers > 0);
    CHECK_EQ(strings + numbers, known);
    CHECK_EQ(enumerate(obj, MAPI_NO_IDS | MAPI_NO_STRINGS, nullptr, known), 0);
    CHECK_EQ(enumerate(obj, 0, &PSETID_Common, known), 3);
    CHECK_EQ(enumerate(obj, 0, &PS_BRAND_NEW, known), 3);
    CHECK_EQ(enumerate(obj, MAPI_NO_STRINGS, &PS_BRAND_NEW, known), 2);
    CHECK_EQ(enumerate(obj, MAPI_NO_IDS, &PS_PUBLIC_STRINGS, known), 1);
    CHECK_EQ(enumerate(obj, 0, &PSETID_Meeting, known), 0);

    // GetIDsFromNames with no names: every name's tag, in id order.
    LPSPropTagArray tags = nullptr;
    CHECK_OK(obj->GetIDsFromNames(0, nullptr, 0, &tags));
    CHECK(tags != nullptr);
    if (tags) {
        CHECK_EQ(tags->cValues, known);
        for (ULONG i = 0; i < tags->cValues; i++)
            CHECK_EQ(tags->aulPropTag[i], named(id_of(static_cast<int>(i)), PT_UNSPECIFIED));
    }
    CHECK_EQ(MAPIFreeBuffer(tags), 0);
}

// ----- GetIDsFromNames details -----

// PS_MAPI numeric names are the ids themselves; anything else in PS_MAPI, a name never
// created, a NULL entry and an unknown kind give PROP_TAG(PT_ERROR, 0) and
// MAPI_W_ERRORS_RETURNED, the others still resolving. Nothing here creates an id.
static void check_special_names(LPMAPIPROP obj, int known, bool writable)
{
    std::vector<NameDef> defs = {
        num(PS_MAPI, 0x0037),           // PR_SUBJECT's id
        num(PS_MAPI, 0x3001),           // PR_DISPLAY_NAME's id
        str(PS_MAPI, ws("Subject")),    // PS_MAPI has no string names
        num(PS_MAPI, 0x8001),           // nor ids from 0x8000
        num(PS_MAPI, 0),                // nor id 0
        str(PSETID_Common, ws("Never.Created")),
        num(PS_BRAND_NEW, 2),
        catalogue()[N_COMMON_8514],
        str(PS_BRAND_NEW, ws("placeholder")), // replaced by a NULL entry below
        num(PS_BRAND_NEW, 3),                 // its kind made unknown below
    };
    NameList names(defs);
    names.set_entry(8, nullptr);
    names.at(9).ulKind = 7;
    std::vector<ULONG> tags;
    CHECK_HR(ids_of(obj, names, 0, tags), MAPI_W_ERRORS_RETURNED);
    CHECK_EQ(tags.size(), defs.size());
    if (tags.size() == defs.size()) {
        CHECK_EQ(tags[0], PROP_TAG(PT_UNSPECIFIED, 0x0037));
        CHECK_EQ(tags[1], PROP_TAG(PT_UNSPECIFIED, 0x3001));
        CHECK_EQ(tags[2], PROP_TAG(PT_ERROR, 0));
        CHECK_EQ(tags[3], PROP_TAG(PT_ERROR, 0));
        CHECK_EQ(tags[4], PROP_TAG(PT_ERROR, 0));
        CHECK_EQ(tags[5], PROP_TAG(PT_ERROR, 0));
        CHECK_EQ(tags[6], PROP_TAG(PT_ERROR, 0));
        CHECK_EQ(tags[7], named(id_of(N_COMMON_8514), PT_UNSPECIFIED));
        CHECK_EQ(tags[8], PROP_TAG(PT_ERROR, 0));
        CHECK_EQ(tags[9], PROP_TAG(PT_ERROR, 0));
    }
    // The internet-header name in any case.
    std::vector<NameDef> headers = {str(PS_INTERNET_HEADERS, ws("x-imsg-test")),
                                    str(PS_INTERNET_HEADERS, ws("X-IMSG-TEST")),
                                    str(PS_INTERNET_HEADERS, ws("X-Imsg-Test"))};
    NameList h(headers);
    CHECK_OK(ids_of(obj, h, 0, tags));
    CHECK_EQ(tags.size(), 3);
    for (ULONG t : tags)
        CHECK_EQ(t, named(id_of(N_HEADER), PT_UNSPECIFIED));
    // ... but only there: string names elsewhere are case-sensitive.
    std::vector<NameDef> cased = {str(PS_PUBLIC_STRINGS, ws("keywords")), str(PSETID_Common, ws("COMMON.TEXT"))};
    NameList c(cased);
    CHECK_HR(ids_of(obj, c, 0, tags), MAPI_W_ERRORS_RETURNED);
    CHECK_EQ(tags.size(), 2);
    for (ULONG t : tags)
        CHECK_EQ(t, PROP_TAG(PT_ERROR, 0));
    if (writable) {
        // PS_MAPI names with MAPI_CREATE: still the ids themselves, no id used up; the
        // unmappable ones stay unmapped.
        std::vector<NameDef> mapi = {num(PS_MAPI, 0x0E07), str(PS_MAPI, ws("x"))};
        NameList m(mapi);
        CHECK_HR(ids_of(obj, m, MAPI_CREATE, tags), MAPI_W_ERRORS_RETURNED);
        CHECK_EQ(tags.size(), 2);
        if (tags.size() == 2) {
            CHECK_EQ(tags[0], PROP_TAG(PT_UNSPECIFIED, 0x0E07));
            CHECK_EQ(tags[1], PROP_TAG(PT_ERROR, 0));
        }
    }
    // Nothing was created.
    LPSPropTagArray every = nullptr;
    CHECK_OK(obj->GetIDsFromNames(0, nullptr, 0, &every));
    CHECK(every && every->cValues == static_cast<ULONG>(known));
    MAPIFreeBuffer(every);
}

// Bad arguments of both methods.
static void check_bad_arguments(LPMAPIPROP obj)
{
    NameList names(names_range(N_KEYWORDS, N_HEADER + 1));
    LPSPropTagArray tags = reinterpret_cast<LPSPropTagArray>(&names); // must be overwritten
    CHECK_HR(obj->GetIDsFromNames(names.count(), names.array(), 0, nullptr), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(obj->GetIDsFromNames(names.count(), names.array(), 0x1000, &tags), MAPI_E_UNKNOWN_FLAGS);
    CHECK(tags == nullptr);
    tags = reinterpret_cast<LPSPropTagArray>(&names);
    CHECK_HR(obj->GetIDsFromNames(names.count(), names.array(), MAPI_CREATE | 0x100, &tags),
             MAPI_E_UNKNOWN_FLAGS);
    CHECK(tags == nullptr);
    CHECK_HR(obj->GetIDsFromNames(3, nullptr, 0, &tags), MAPI_E_INVALID_PARAMETER);
    CHECK(tags == nullptr);
    CHECK_HR(obj->GetIDsFromNames(0, nullptr, MAPI_CREATE, &tags), MAPI_E_INVALID_PARAMETER);
    CHECK(tags == nullptr);

    SizedSPropTagArray(1, one) = {1, {named(id_of(N_KEYWORDS), PT_UNSPECIFIED)}};
    SizedSPropTagArray(1, empty) = {0, {0}};
    LPSPropTagArray in = reinterpret_cast<LPSPropTagArray>(&one);
    ULONG count = 0;
    LPMAPINAMEID *out = nullptr;
    CHECK_HR(obj->GetNamesFromIDs(nullptr, nullptr, 0, &count, &out), MAPI_E_INVALID_PARAMETER);
    CHECK(out == nullptr);
    CHECK_HR(obj->GetNamesFromIDs(&in, nullptr, 0, nullptr, &out), MAPI_E_INVALID_PARAMETER);
    CHECK(out == nullptr);
    CHECK_HR(obj->GetNamesFromIDs(&in, nullptr, 0, &count, nullptr), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(obj->GetNamesFromIDs(&in, nullptr, 0x1000, &count, &out), MAPI_E_UNKNOWN_FLAGS);
    CHECK(out == nullptr);
    in = reinterpret_cast<LPSPropTagArray>(&empty);
    CHECK_HR(obj->GetNamesFromIDs(&in, nullptr, 0, &count, &out), MAPI_E_INVALID_PARAMETER);
    CHECK(out == nullptr);
    CHECK(in == reinterpret_cast<LPSPropTagArray>(&empty));
    // The enumerate-all form leaves *lppPropTags NULL when it fails.
    in = nullptr;
    CHECK_HR(obj->GetNamesFromIDs(&in, nullptr, 0x1000, &count, &out), MAPI_E_UNKNOWN_FLAGS);
    CHECK(in == nullptr && out == nullptr);
    CHECK_HR(obj->GetNamesFromIDs(&in, nullptr, 0, &count, nullptr), MAPI_E_INVALID_PARAMETER);
    CHECK(in == nullptr);
}

// ----- building the file -----

static HRESULT open_message(IStorage *stg, ULONG flags, LPMESSAGE *msg)
{
    return OpenIMsgOnIStg(nullptr, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                          nullptr, stg, nullptr, 0, flags, msg);
}

static void add_recipients(LPMESSAGE msg, const std::vector<ULONG> &tags)
{
    SizedADRLIST(2, list);
    SPropValue a[4], b[3];
    std::memset(a, 0, sizeof(a));
    std::memset(b, 0, sizeof(b));
    static wstr alice = ws("Alice"), bob = ws("Bob"), header = ws("recipient header");
    a[0].ulPropTag = PR_DISPLAY_NAME_W;
    a[0].Value.lpszW = const_cast<WCHAR *>(alice.c_str());
    a[1].ulPropTag = PR_RECIPIENT_TYPE;
    a[1].Value.l = MAPI_TO;
    a[2].ulPropTag = CHANGE_PROP_TYPE(tags[N_HEADER], PT_UNICODE);
    a[2].Value.lpszW = const_cast<WCHAR *>(header.c_str());
    a[3].ulPropTag = CHANGE_PROP_TYPE(tags[N_PUBLIC_NUM], PT_LONG);
    a[3].Value.l = 7;
    b[0].ulPropTag = PR_DISPLAY_NAME_W;
    b[0].Value.lpszW = const_cast<WCHAR *>(bob.c_str());
    b[1].ulPropTag = PR_RECIPIENT_TYPE;
    b[1].Value.l = MAPI_CC;
    b[2].ulPropTag = CHANGE_PROP_TYPE(tags[N_NEW_NUM], PT_BINARY);
    b[2].Value.bin.cb = 3;
    b[2].Value.bin.lpb = const_cast<BYTE *>(BIN_BYTES);
    list.cEntries = 2;
    list.aEntries[0].ulReserved1 = 0;
    list.aEntries[0].cValues = 4;
    list.aEntries[0].rgPropVals = a;
    list.aEntries[1].ulReserved1 = 0;
    list.aEntries[1].cValues = 3;
    list.aEntries[1].rgPropVals = b;
    CHECK_OK(msg->ModifyRecipients(0, reinterpret_cast<LPADRLIST>(&list)));
}

// Attachment 0: by value, with a name created through the attachment itself.
static void add_plain_attachment(LPMESSAGE msg, const std::vector<ULONG> &tags)
{
    LPATTACH att = nullptr;
    ULONG num = 0xDEAD;
    CHECK_OK(msg->CreateAttach(nullptr, 0, &num, &att));
    CHECK_EQ(num, 0);
    if (!att)
        return;
    // A new name, created through the attachment: the next id of the file's one map.
    NameList label(names_range(N_ATTACH, N_ATTACH + 1));
    std::vector<ULONG> got;
    CHECK_OK(ids_of(att, label, MAPI_CREATE, got));
    check_dense(got, N_ATTACH, N_ATTACH + 1);
    // The message knows it at once.
    NameList again(names_range(N_ATTACH, N_ATTACH + 1));
    CHECK_OK(ids_of(msg, again, 0, got));
    check_dense(got, N_ATTACH, N_ATTACH + 1);

    static wstr file = ws("named.bin"), label_text = ws("attachment label");
    SPropValue v[5];
    std::memset(v, 0, sizeof(v));
    v[0].ulPropTag = PR_ATTACH_METHOD;
    v[0].Value.l = ATTACH_BY_VALUE;
    v[1].ulPropTag = PR_ATTACH_LONG_FILENAME_W;
    v[1].Value.lpszW = const_cast<WCHAR *>(file.c_str());
    v[2].ulPropTag = PR_ATTACH_DATA_BIN;
    v[2].Value.bin.cb = sizeof(BIN_BYTES);
    v[2].Value.bin.lpb = const_cast<BYTE *>(BIN_BYTES);
    v[3].ulPropTag = named(id_of(N_ATTACH), PT_UNICODE);
    v[3].Value.lpszW = const_cast<WCHAR *>(label_text.c_str());
    v[4].ulPropTag = CHANGE_PROP_TYPE(tags[N_COMMON_8514], PT_BOOLEAN);
    v[4].Value.b = 0;
    set_props(att, 5, v);
    CHECK_OK(att->SaveChanges(KEEP_OPEN_READWRITE));
    CHECK_EQ(att->Release(), 0);
}

// Attachment 1: an embedded message with a recipient, whose own attachment 0 holds another
// embedded message; the innermost creates a name.
static void add_embedded_chain(LPMESSAGE msg, const std::vector<ULONG> &tags)
{
    LPATTACH att1 = nullptr, att2 = nullptr;
    LPMESSAGE inner1 = nullptr, inner2 = nullptr;
    ULONG num = 0xDEAD;
    CHECK_OK(msg->CreateAttach(nullptr, 0, &num, &att1));
    CHECK_EQ(num, 1);
    if (!att1)
        return;
    SPropValue method;
    method.ulPropTag = PR_ATTACH_METHOD;
    method.Value.l = ATTACH_EMBEDDED_MSG;
    set_props(att1, 1, &method);
    CHECK_OK(att1->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
                                reinterpret_cast<LPUNKNOWN *>(&inner1)));
    if (inner1) {
        // The embedded message resolves the file's names.
        std::vector<ULONG> same = resolve(inner1, 0, N_ATTACH + 1);
        check_dense(same, 0, N_ATTACH + 1);
        static wstr subject = ws("level one"), header = ws("inner header");
        SPropValue v[3];
        std::memset(v, 0, sizeof(v));
        v[0].ulPropTag = PR_SUBJECT_W;
        v[0].Value.lpszW = const_cast<WCHAR *>(subject.c_str());
        v[1].ulPropTag = CHANGE_PROP_TYPE(tags[N_HEADER], PT_UNICODE);
        v[1].Value.lpszW = const_cast<WCHAR *>(header.c_str());
        v[2].ulPropTag = CHANGE_PROP_TYPE(tags[N_COMMON_STR], PT_DOUBLE);
        v[2].Value.dbl = -0.125;
        set_props(inner1, 3, v);

        // A recipient of the embedded message with a named value.
        SizedADRLIST(1, list);
        SPropValue r[3];
        std::memset(r, 0, sizeof(r));
        static wstr carol = ws("Carol");
        r[0].ulPropTag = PR_DISPLAY_NAME_W;
        r[0].Value.lpszW = const_cast<WCHAR *>(carol.c_str());
        r[1].ulPropTag = PR_RECIPIENT_TYPE;
        r[1].Value.l = MAPI_TO;
        r[2].ulPropTag = CHANGE_PROP_TYPE(tags[N_COMMON_STR], PT_DOUBLE);
        r[2].Value.dbl = 6.75;
        list.cEntries = 1;
        list.aEntries[0].ulReserved1 = 0;
        list.aEntries[0].cValues = 3;
        list.aEntries[0].rgPropVals = r;
        CHECK_OK(inner1->ModifyRecipients(0, reinterpret_cast<LPADRLIST>(&list)));

        CHECK_OK(inner1->CreateAttach(nullptr, 0, &num, &att2));
        if (att2) {
            set_props(att2, 1, &method);
            CHECK_OK(att2->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
                                        reinterpret_cast<LPUNKNOWN *>(&inner2)));
        }
    }
    if (inner2) {
        // A new name and a known one, through the message two levels down.
        std::vector<NameDef> defs = {catalogue()[N_APPOINTMENT], catalogue()[N_KEYWORDS]};
        NameList names(defs);
        std::vector<ULONG> got;
        CHECK_OK(ids_of(inner2, names, MAPI_CREATE, got));
        CHECK_EQ(got.size(), 2);
        if (got.size() == 2) {
            CHECK_EQ(got[0], named(id_of(N_APPOINTMENT), PT_UNSPECIFIED));
            CHECK_EQ(got[1], named(id_of(N_KEYWORDS), PT_UNSPECIFIED));
        }
        static wstr deep = ws("deep");
        DEEP_KEYWORDS[0] = const_cast<WCHAR *>(deep.c_str());
        SPropValue v[3];
        std::memset(v, 0, sizeof(v));
        v[0].ulPropTag = named(id_of(N_APPOINTMENT), PT_LONG);
        v[0].Value.l = 2;
        v[1].ulPropTag = named(id_of(N_KEYWORDS), PT_MV_UNICODE);
        v[1].Value.MVszW.cValues = 1;
        v[1].Value.MVszW.lppszW = DEEP_KEYWORDS;
        v[2].ulPropTag = CHANGE_PROP_TYPE(tags[N_NEW_STR], PT_I8);
        v[2].Value.li.QuadPart = -5;
        set_props(inner2, 3, v);
        // The top-level message names the id at once: one map for the whole file.
        SizedSPropTagArray(1, one) = {1, {named(id_of(N_APPOINTMENT), PT_LONG)}};
        LPSPropTagArray in = reinterpret_cast<LPSPropTagArray>(&one);
        ULONG count = 0;
        LPMAPINAMEID *names_out = nullptr;
        CHECK_OK(msg->GetNamesFromIDs(&in, nullptr, 0, &count, &names_out));
        CHECK(count == 1 && names_out && same_name(names_out[0], catalogue()[N_APPOINTMENT]));
        MAPIFreeBuffer(names_out);
        // Inner to outer.
        CHECK_OK(inner2->SaveChanges(KEEP_OPEN_READWRITE));
        CHECK_EQ(inner2->Release(), 0);
    }
    if (att2) {
        CHECK_OK(att2->SaveChanges(KEEP_OPEN_READWRITE));
        CHECK_EQ(att2->Release(), 0);
    }
    if (inner1) {
        CHECK_OK(inner1->SaveChanges(KEEP_OPEN_READWRITE));
        CHECK_EQ(inner1->Release(), 0);
    }
    CHECK_OK(att1->SaveChanges(KEEP_OPEN_READWRITE));
    CHECK_EQ(att1->Release(), 0);
}

static void write_file(const WCHAR *path)
{
    IStorage *stg = nullptr;
    LPMESSAGE msg = nullptr;
    CHECK_OK(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (stg)
        CHECK_OK(open_message(stg, MAPI_UNICODE, &msg));
    if (!msg) {
        CHECK(msg != nullptr);
        if (stg)
            stg->Release();
        return;
    }
    CHECK_OK(WriteClassStg(stg, CLSID_MailMessage));

    // A new message knows no names.
    LPSPropTagArray none = nullptr;
    CHECK_OK(msg->GetIDsFromNames(0, nullptr, 0, &none));
    CHECK(none && none->cValues == 0);
    MAPIFreeBuffer(none);
    NameList unknown(names_range(0, N_FIRST_BATCH));
    std::vector<ULONG> tags;
    CHECK_HR(ids_of(msg, unknown, 0, tags), MAPI_W_ERRORS_RETURNED);
    CHECK_EQ(tags.size(), N_FIRST_BATCH);
    for (ULONG t : tags)
        CHECK_EQ(t, PROP_TAG(PT_ERROR, 0));

    // MAPI_CREATE: ids from 0x8000, densely, in name order, typed PT_UNSPECIFIED.
    NameList batch(names_range(0, N_FIRST_BATCH));
    CHECK_OK(ids_of(msg, batch, MAPI_CREATE, tags));
    check_dense(tags, 0, N_FIRST_BATCH);
    if (tags.size() != N_FIRST_BATCH) {
        CHECK_OK(msg->Release());
        stg->Release();
        return;
    }
    // Again: the same ids, nothing new. A name given twice in one call gets one id, and a
    // header name in another case is the same name.
    std::vector<NameDef> twice = names_range(0, N_FIRST_BATCH);
    twice.push_back(catalogue()[N_COMMON_STR]);
    twice.push_back(str(PS_INTERNET_HEADERS, ws("x-IMSG-test")));
    NameList again(twice);
    std::vector<ULONG> tags2;
    CHECK_OK(ids_of(msg, again, MAPI_CREATE, tags2));
    CHECK_EQ(tags2.size(), N_FIRST_BATCH + 2);
    if (tags2.size() == N_FIRST_BATCH + 2) {
        for (int k = 0; k < N_FIRST_BATCH; k++)
            CHECK_EQ(tags2[k], tags[k]);
        CHECK_EQ(tags2[N_FIRST_BATCH], tags[N_COMMON_STR]);
        CHECK_EQ(tags2[N_FIRST_BATCH + 1], tags[N_HEADER]);
    }
    check_special_names(msg, N_FIRST_BATCH, true);
    check_bad_arguments(msg);

    SPropValue values[N_FIRST_BATCH];
    message_values(values, tags);
    set_props(msg, N_FIRST_BATCH, values);
    check_props(msg, N_FIRST_BATCH, values, "new message");
    static wstr subject = ws("named properties");
    SPropValue s;
    s.ulPropTag = PR_SUBJECT_W;
    s.Value.lpszW = const_cast<WCHAR *>(subject.c_str());
    set_props(msg, 1, &s);

    add_recipients(msg, tags);
    add_plain_attachment(msg, tags);
    add_embedded_chain(msg, tags);

    check_enumeration(msg, N_SAVED);
    check_names_for_tags(msg, N_SAVED);

    CHECK_OK(msg->SaveChanges(KEEP_OPEN_READWRITE));
    CHECK_OK(stg->Commit(STGC_DEFAULT));
    CHECK(stg->Release() > 0);
    CHECK_EQ(msg->Release(), 0);
}

// ----- reading the file back -----

// The recipient table's rows carry the named values.
static void check_recipient_rows(LPMESSAGE msg, const std::vector<ULONG> &tags)
{
    LPMAPITABLE t = nullptr;
    CHECK_OK(msg->GetRecipientTable(MAPI_UNICODE, &t));
    if (!t)
        return;
    LPSRowSet rows = nullptr;
    CHECK_OK(t->QueryRows(10, 0, &rows));
    CHECK(rows && rows->cRows == 2);
    for (ULONG i = 0; rows && i < rows->cRows; i++) {
        const SPropValue *name = find_prop(rows->aRow[i], PR_DISPLAY_NAME_W);
        std::string who = narrow(name ? name->Value.lpszW : nullptr);
        const SPropValue *header = find_prop(rows->aRow[i], CHANGE_PROP_TYPE(tags[N_HEADER], PT_UNICODE));
        const SPropValue *number = find_prop(rows->aRow[i], CHANGE_PROP_TYPE(tags[N_PUBLIC_NUM], PT_LONG));
        const SPropValue *bin = find_prop(rows->aRow[i], CHANGE_PROP_TYPE(tags[N_NEW_NUM], PT_BINARY));
        if (who == "Alice") {
            CHECK(header && wide_eq(header->Value.lpszW, "recipient header"));
            CHECK(number && number->Value.l == 7);
            CHECK(bin == nullptr);
        } else {
            CHECK(who == "Bob");
            CHECK(header == nullptr && number == nullptr);
            CHECK(bin && bin->Value.bin.cb == 3 && std::memcmp(bin->Value.bin.lpb, BIN_BYTES, 3) == 0);
        }
    }
    free_rows(rows);

    // Named columns chosen by tag, and a restriction on one.
    SizedSPropTagArray(3, cols) = {3,
                                   {PR_DISPLAY_NAME_W, CHANGE_PROP_TYPE(tags[N_PUBLIC_NUM], PT_LONG),
                                    CHANGE_PROP_TYPE(tags[N_NEW_NUM], PT_BINARY)}};
    CHECK_OK(t->SetColumns(reinterpret_cast<LPSPropTagArray>(&cols), 0));
    SPropValue seven;
    seven.ulPropTag = CHANGE_PROP_TYPE(tags[N_PUBLIC_NUM], PT_LONG);
    seven.Value.l = 7;
    SRestriction res;
    std::memset(&res, 0, sizeof(res));
    res.rt = RES_PROPERTY;
    res.res.resProperty.relop = RELOP_EQ;
    res.res.resProperty.ulPropTag = seven.ulPropTag;
    res.res.resProperty.lpProp = &seven;
    CHECK_OK(t->Restrict(&res, 0));
    rows = nullptr;
    CHECK_OK(t->QueryRows(10, 0, &rows));
    CHECK(rows && rows->cRows == 1);
    if (rows && rows->cRows == 1) {
        CHECK_EQ(rows->aRow[0].cValues, 3);
        CHECK(wide_eq(rows->aRow[0].lpProps[0].Value.lpszW, "Alice"));
        CHECK_EQ(rows->aRow[0].lpProps[1].ulPropTag, seven.ulPropTag);
        CHECK_EQ(rows->aRow[0].lpProps[1].Value.l, 7);
        // Alice has no binary: the column is PT_ERROR.
        CHECK_EQ(PROP_TYPE(rows->aRow[0].lpProps[2].ulPropTag), PT_ERROR);
        CHECK_EQ(PROP_ID(rows->aRow[0].lpProps[2].ulPropTag), PROP_ID(tags[N_NEW_NUM]));
    }
    free_rows(rows);
    CHECK_EQ(t->Release(), 0);
}

// Attachment 0 of a message opened read-only, `known` names in the file; with
// `try_create`, MAPI_CREATE of a new name through it is refused.
static void check_attachment(LPMESSAGE msg, int known, bool try_create)
{
    // In the attachment table's row.
    LPMAPITABLE t = nullptr;
    CHECK_OK(msg->GetAttachmentTable(MAPI_UNICODE, &t));
    if (t) {
        LPSRowSet rows = nullptr;
        CHECK_OK(t->QueryRows(10, 0, &rows));
        CHECK(rows && rows->cRows == 2);
        if (rows && rows->cRows >= 1) {
            const SPropValue *label = find_prop(rows->aRow[0], named(id_of(N_ATTACH), PT_UNICODE));
            CHECK(label && wide_eq(label->Value.lpszW, "attachment label"));
        }
        free_rows(rows);
        CHECK_EQ(t->Release(), 0);
    }
    LPATTACH att = nullptr;
    CHECK_OK(msg->OpenAttach(0, nullptr, 0, &att));
    if (!att)
        return;
    // By name, through the attachment.
    std::vector<NameDef> defs = {catalogue()[N_ATTACH], catalogue()[N_COMMON_8514]};
    NameList names(defs);
    std::vector<ULONG> tags;
    CHECK_OK(ids_of(att, names, 0, tags));
    CHECK_EQ(tags.size(), 2);
    if (tags.size() == 2) {
        CHECK_EQ(tags[0], named(id_of(N_ATTACH), PT_UNSPECIFIED));
        static wstr label = ws("attachment label");
        SPropValue want[2];
        want[0].ulPropTag = CHANGE_PROP_TYPE(tags[0], PT_UNICODE);
        want[0].Value.lpszW = const_cast<WCHAR *>(label.c_str());
        want[1].ulPropTag = CHANGE_PROP_TYPE(tags[1], PT_BOOLEAN);
        want[1].Value.b = 0;
        check_props(att, 2, want, "attachment 0");
        CHECK(lists(att, want[0].ulPropTag));
    }
    // The attachment answers for the whole file's map.
    check_enumeration(att, known);
    if (try_create) {
        // A new name through a read-only attachment: refused too.
        NameList task(names_range(N_TASK, N_TASK + 1));
        CHECK_HR(ids_of(att, task, MAPI_CREATE, tags), MAPI_E_NO_ACCESS);
        CHECK(tags.empty());
    }
    CHECK_EQ(att->Release(), 0);
}

static void check_embedded_chain(LPMESSAGE msg)
{
    LPATTACH att1 = nullptr, att2 = nullptr;
    LPMESSAGE inner1 = nullptr, inner2 = nullptr;
    CHECK_OK(msg->OpenAttach(1, nullptr, 0, &att1));
    if (att1)
        CHECK_OK(att1->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, reinterpret_cast<LPUNKNOWN *>(&inner1)));
    if (inner1) {
        std::vector<ULONG> tags = resolve(inner1, 0, N_SAVED);
        check_dense(tags, 0, N_SAVED);
        if (tags.size() == N_SAVED) {
            static wstr header = ws("inner header");
            SPropValue want[2];
            want[0].ulPropTag = CHANGE_PROP_TYPE(tags[N_HEADER], PT_UNICODE);
            want[0].Value.lpszW = const_cast<WCHAR *>(header.c_str());
            want[1].ulPropTag = CHANGE_PROP_TYPE(tags[N_COMMON_STR], PT_DOUBLE);
            want[1].Value.dbl = -0.125;
            check_props(inner1, 2, want, "embedded message, level 1");
            // Its recipient's row.
            LPMAPITABLE t = nullptr;
            CHECK_OK(inner1->GetRecipientTable(MAPI_UNICODE, &t));
            if (t) {
                LPSRowSet rows = nullptr;
                CHECK_OK(t->QueryRows(10, 0, &rows));
                CHECK(rows && rows->cRows == 1);
                if (rows && rows->cRows == 1) {
                    const SPropValue *d = find_prop(rows->aRow[0], want[1].ulPropTag);
                    CHECK(d && d->Value.dbl == 6.75);
                }
                free_rows(rows);
                CHECK_EQ(t->Release(), 0);
            }
        }
        // No map of its own in the embedded message's storage: one map per file.
        LPSPropTagArray all = nullptr;
        CHECK_OK(inner1->GetIDsFromNames(0, nullptr, 0, &all));
        CHECK(all && all->cValues == N_SAVED);
        MAPIFreeBuffer(all);
        CHECK_OK(inner1->OpenAttach(0, nullptr, 0, &att2));
    }
    if (att2)
        CHECK_OK(att2->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, reinterpret_cast<LPUNKNOWN *>(&inner2)));
    if (inner2) {
        std::vector<NameDef> defs = {catalogue()[N_APPOINTMENT], catalogue()[N_KEYWORDS], catalogue()[N_NEW_STR]};
        NameList names(defs);
        std::vector<ULONG> tags;
        CHECK_OK(ids_of(inner2, names, 0, tags));
        CHECK_EQ(tags.size(), 3);
        if (tags.size() == 3) {
            static wstr deep = ws("deep");
            DEEP_KEYWORDS[0] = const_cast<WCHAR *>(deep.c_str());
            SPropValue want[3];
            want[0].ulPropTag = CHANGE_PROP_TYPE(tags[0], PT_LONG);
            want[0].Value.l = 2;
            want[1].ulPropTag = CHANGE_PROP_TYPE(tags[1], PT_MV_UNICODE);
            want[1].Value.MVszW.cValues = 1;
            want[1].Value.MVszW.lppszW = DEEP_KEYWORDS;
            want[2].ulPropTag = CHANGE_PROP_TYPE(tags[2], PT_I8);
            want[2].Value.li.QuadPart = -5;
            check_props(inner2, 3, want, "embedded message, level 2");
            CHECK(lists(inner2, want[0].ulPropTag));
            // GetProps with the PT_UNSPECIFIED tags as GetIDsFromNames returned them: the
            // stored types are filled in.
            SizedSPropTagArray(3, unspecified) = {3, {tags[0], tags[1], tags[2]}};
            ULONG n = 0;
            LPSPropValue got = nullptr;
            CHECK_OK(inner2->GetProps(reinterpret_cast<LPSPropTagArray>(&unspecified), MAPI_UNICODE, &n, &got));
            CHECK_EQ(n, 3);
            for (ULONG i = 0; got && i < 3 && i < n; i++)
                CHECK(same_value(got[i], want[i]));
            MAPIFreeBuffer(got);
        }
        CHECK_EQ(inner2->Release(), 0);
    }
    if (att2)
        CHECK_EQ(att2->Release(), 0);
    if (inner1)
        CHECK_EQ(inner1->Release(), 0);
    if (att1)
        CHECK_EQ(att1->Release(), 0);
}

// Reopens the file read-only and reads everything back by name.
static void read_file(const WCHAR *path)
{
    IStorage *stg = nullptr;
    LPMESSAGE msg = nullptr;
    CHECK_OK(StgOpenStorage(path, nullptr, STGM_READ | STGM_TRANSACTED, nullptr, 0, &stg));
    if (stg)
        CHECK_OK(open_message(stg, 0, &msg));
    if (stg)
        stg->Release();
    if (!msg)
        return;

    std::vector<ULONG> tags = resolve(msg, 0, N_SAVED);
    check_dense(tags, 0, N_SAVED);
    if (tags.size() == N_SAVED) {
        SPropValue values[N_FIRST_BATCH];
        message_values(values, tags);
        check_props(msg, N_FIRST_BATCH, values, "reopened message");
        for (int k = 0; k < N_FIRST_BATCH; k++)
            CHECK(lists(msg, values[k].ulPropTag));
        // A named id the message has no value for.
        SizedSPropTagArray(1, absent) = {1, {CHANGE_PROP_TYPE(tags[N_APPOINTMENT], PT_LONG)}};
        ULONG n = 0;
        LPSPropValue got = nullptr;
        CHECK_HR(msg->GetProps(reinterpret_cast<LPSPropTagArray>(&absent), 0, &n, &got), MAPI_W_ERRORS_RETURNED);
        CHECK(got && n == 1 && got[0].ulPropTag == CHANGE_PROP_TYPE(tags[N_APPOINTMENT], PT_ERROR) &&
              got[0].Value.err == static_cast<SCODE>(MAPI_E_NOT_FOUND));
        MAPIFreeBuffer(got);
        check_recipient_rows(msg, tags);
    }
    check_enumeration(msg, N_SAVED);
    check_names_for_tags(msg, N_SAVED);
    check_special_names(msg, N_SAVED, false);
    check_bad_arguments(msg);

    // Read-only: MAPI_CREATE of a new name is refused and creates nothing; known names
    // still resolve, with or without MAPI_CREATE.
    NameList fresh(names_range(0, N_ALL));
    std::vector<ULONG> got;
    CHECK_HR(ids_of(msg, fresh, MAPI_CREATE, got), MAPI_E_NO_ACCESS);
    CHECK(got.empty());
    NameList known(names_range(0, N_SAVED));
    CHECK_OK(ids_of(msg, known, MAPI_CREATE, got));
    check_dense(got, 0, N_SAVED);
    CHECK_HR(ids_of(msg, fresh, 0, got), MAPI_W_ERRORS_RETURNED);
    CHECK_EQ(got.size(), N_ALL);
    if (got.size() == N_ALL) {
        for (int k = 0; k < N_SAVED; k++)
            CHECK_EQ(got[k], named(id_of(k), PT_UNSPECIFIED));
        CHECK_EQ(got[N_TASK], PROP_TAG(PT_ERROR, 0));
    }

    check_attachment(msg, N_SAVED, true);
    check_embedded_chain(msg);
    CHECK_EQ(msg->Release(), 0);
}

// Reopens the file read/write: a second MAPI_CREATE of the same names returns the same
// ids; a new name gets the next one, which lasts.
static void extend_file(const WCHAR *path)
{
    IStorage *stg = nullptr;
    LPMESSAGE msg = nullptr;
    CHECK_OK(StgOpenStorage(path, nullptr, STGM_READWRITE | STGM_TRANSACTED, nullptr, 0, &stg));
    if (stg)
        CHECK_OK(open_message(stg, MAPI_UNICODE, &msg));
    if (!msg) {
        if (stg)
            stg->Release();
        return;
    }
    NameList names(names_range(0, N_ALL));
    std::vector<ULONG> tags;
    CHECK_OK(ids_of(msg, names, MAPI_CREATE, tags));
    check_dense(tags, 0, N_ALL);
    // The new name also through an open attachment, and a value under it.
    LPATTACH att = nullptr;
    CHECK_OK(msg->OpenAttach(0, nullptr, MAPI_MODIFY, &att));
    if (att) {
        NameList task(names_range(N_TASK, N_TASK + 1));
        CHECK_OK(ids_of(att, task, MAPI_CREATE, tags));
        check_dense(tags, N_TASK, N_TASK + 1);
        SPropValue v;
        v.ulPropTag = named(id_of(N_TASK), PT_LONG);
        v.Value.l = 1234;
        set_props(att, 1, &v);
        CHECK_OK(att->SaveChanges(0));
        CHECK_EQ(att->Release(), 0);
    }
    CHECK_OK(msg->SaveChanges(KEEP_OPEN_READWRITE));
    CHECK_OK(stg->Commit(STGC_DEFAULT));
    CHECK(stg->Release() > 0);
    CHECK_EQ(msg->Release(), 0);

    // And once more after reopening.
    stg = nullptr;
    msg = nullptr;
    CHECK_OK(StgOpenStorage(path, nullptr, STGM_READ | STGM_TRANSACTED, nullptr, 0, &stg));
    if (stg)
        CHECK_OK(open_message(stg, 0, &msg));
    if (stg)
        stg->Release();
    if (!msg)
        return;
    NameList again(names_range(0, N_ALL));
    CHECK_OK(ids_of(msg, again, MAPI_CREATE, tags));
    check_dense(tags, 0, N_ALL);
    check_enumeration(msg, N_ALL);
    check_attachment(msg, N_ALL, false);
    LPATTACH a = nullptr;
    CHECK_OK(msg->OpenAttach(0, nullptr, 0, &a));
    if (a) {
        SPropValue want;
        want.ulPropTag = named(id_of(N_TASK), PT_LONG);
        want.Value.l = 1234;
        check_props(a, 1, &want, "attachment 0 after reopening");
        CHECK_EQ(a->Release(), 0);
    }
    CHECK_EQ(msg->Release(), 0);
}

// ----- the `__nameid_version1.0` storage -----

// A stream's bytes; with `optional`, a stream that does not exist reads as empty.
static std::vector<BYTE> read_stream(IStorage *stg, const char *name, bool optional = false)
{
    std::vector<BYTE> out;
    IStream *s = nullptr;
    HRESULT hr = stg->OpenStream(W(name), nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &s);
    if (optional && hr == STG_E_FILENOTFOUND)
        return out;
    CHECK_OK(hr);
    if (!s)
        return out;
    STATSTG st;
    CHECK_OK(s->Stat(&st, STATFLAG_NONAME));
    out.resize(static_cast<size_t>(st.cbSize.QuadPart));
    ULONG n = 0;
    if (!out.empty())
        CHECK_OK(s->Read(out.data(), static_cast<ULONG>(out.size()), &n));
    CHECK_EQ(n, out.size());
    CHECK_EQ(s->Release(), 0);
    return out;
}

static ULONG le32(const std::vector<BYTE> &b, size_t at)
{
    if (at + 4 > b.size())
        return 0xFFFFFFFF;
    return static_cast<ULONG>(b[at]) | static_cast<ULONG>(b[at + 1]) << 8 | static_cast<ULONG>(b[at + 2]) << 16 |
           static_cast<ULONG>(b[at + 3]) << 24;
}

// The [MS-OXRTFCP] CRC-32 of the hash buckets: the reflected polynomial 0xEDB88320, but
// initial value 0 and no final XOR (spec/msg-format.md §9.2).
static uint32_t bucket_crc(const BYTE *p, size_t n)
{
    uint32_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return crc;
}

static bool bucket_has(IStorage *map, ULONG sid, ULONG first, ULONG second);

// Every entry has its record in the bucket the formulas of spec/msg-format.md §9.2 name,
// and the buckets hold nothing else.
static void check_every_bucket(IStorage *map, const std::vector<BYTE> &g, const std::vector<BYTE> &e,
                               const std::vector<BYTE> &s)
{
    // The spec's worked example first.
    CHECK_EQ(bucket_crc(reinterpret_cast<const BYTE *>("K\0e\0y\0w\0o\0r\0d\0s\0"), 16), 0x2EDA4D3B);
    size_t records = 0;
    for (ULONG sid = 0x1000; sid <= 0x101E; sid++) {
        char name[32];
        snprintf(name, sizeof(name), "__substg1.0_%04lX0102", static_cast<unsigned long>(sid));
        records += read_stream(map, name, true).size() / 8;
    }
    CHECK_EQ(records, e.size() / 8);
    for (size_t at = 0; at + 8 <= e.size(); at += 8) {
        uint32_t value = le32(e, at), kind_and_index = le32(e, at + 4);
        uint32_t guid_index = (kind_and_index & 0xFFFF) >> 1;
        bool is_string = (kind_and_index & 1) != 0;
        uint32_t key = value;
        if (is_string) {
            uint32_t len = le32(s, value);
            if (len == 0xFFFFFFFF || value + 4 + static_cast<size_t>(len) > s.size()) {
                CHECK(!"a string entry lies inside the string stream");
                continue;
            }
            std::vector<BYTE> text(s.begin() + value + 4, s.begin() + value + 4 + len);
            // PS_INTERNET_HEADERS names are hashed lower-cased.
            bool header = guid_index >= 3 && 16 * (guid_index - 2) <= g.size() &&
                          std::memcmp(g.data() + 16 * (guid_index - 3), &PS_INTERNET_HEADERS, 16) == 0;
            if (header)
                for (size_t i = 0; i + 1 < text.size(); i += 2)
                    if (text[i + 1] == 0 && text[i] >= 'A' && text[i] <= 'Z')
                        text[i] = static_cast<BYTE>(text[i] + 32);
            key = bucket_crc(text.data(), text.size());
        }
        uint32_t sid = 0x1000 + ((key ^ ((guid_index << 1) | (is_string ? 1 : 0))) % 0x1F);
        if (!bucket_has(map, sid, key, kind_and_index)) {
            fprintf(stderr, "entry %lu: no record in bucket 0x%04lX\n", static_cast<unsigned long>(at / 8),
                    static_cast<unsigned long>(sid));
            CHECK(!"every entry has its bucket record");
        }
    }
}

// Whether bucket stream `sid` holds the 8-byte record (first, second).
static bool bucket_has(IStorage *map, ULONG sid, ULONG first, ULONG second)
{
    char name[32];
    snprintf(name, sizeof(name), "__substg1.0_%04lX0102", static_cast<unsigned long>(sid));
    std::vector<BYTE> b = read_stream(map, name);
    CHECK_EQ(b.size() % 8, 0);
    for (size_t at = 0; at + 8 <= b.size(); at += 8)
        if (le32(b, at) == first && le32(b, at + 4) == second)
            return true;
    return false;
}

// The map of the file: its three mandatory streams with `entries` entries over `guids`
// stored GUIDs (PS_PUBLIC_STRINGS never stored), and the hash-bucket records of two names
// (spec/msg-format.md §9).
static void check_storage(const WCHAR *path, int entries, int guids)
{
    IStorage *root = nullptr, *map = nullptr;
    CHECK_OK(StgOpenStorage(path, nullptr, STGM_READ | STGM_SHARE_DENY_WRITE, nullptr, 0, &root));
    if (!root)
        return;
    CHECK_OK(root->OpenStorage(W("__nameid_version1.0"), nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, nullptr, 0, &map));
    if (map) {
        std::vector<BYTE> g = read_stream(map, "__substg1.0_00020102");
        std::vector<BYTE> e = read_stream(map, "__substg1.0_00030102");
        std::vector<BYTE> s = read_stream(map, "__substg1.0_00040102");
        CHECK_EQ(g.size(), 16 * guids);
        CHECK_EQ(e.size(), 8 * entries);
        // GUIDs in order of first use: PS_INTERNET_HEADERS (index 3), PSETID_Common (4), ...
        const GUID *order[] = {&PS_INTERNET_HEADERS, &PSETID_Common, &PS_BRAND_NEW, &PSETID_Attachment,
                               &PSETID_Appointment, &PSETID_Task};
        for (int i = 0; i < guids && static_cast<size_t>(16 * (i + 1)) <= g.size(); i++)
            CHECK(std::memcmp(g.data() + 16 * i, order[i], 16) == 0);
        // Entry k: property index k in bytes 6-7.
        for (int k = 0; k < entries && static_cast<size_t>(8 * (k + 1)) <= e.size(); k++)
            CHECK_EQ(le32(e, 8 * k + 4) >> 16, k);
        // Entry 0: "Keywords", a string in PS_PUBLIC_STRINGS (GUID index 2) at offset 0.
        CHECK_EQ(le32(e, 0), 0);
        CHECK_EQ(le32(e, 4), (2 << 1) | 1);
        CHECK_EQ(le32(s, 0), 16);
        CHECK(s.size() >= 20 && std::memcmp(s.data() + 4, "K\0e\0y\0w\0o\0r\0d\0s\0", 16) == 0);
        // Entry 3: PSETID_Common (GUID index 4) numeric 0x8514.
        CHECK_EQ(le32(e, 24), 0x8514);
        CHECK_EQ(le32(e, 28), (3u << 16) | (4 << 1));
        // Its bucket: 0x1000 + ((LID ^ (guidIndex << 1)) mod 0x1F).
        CHECK(bucket_has(map, 0x1000 + ((0x8514 ^ (4 << 1)) % 0x1F), 0x8514, (3u << 16) | (4 << 1)));
        // "Keywords" hashes to CRC 0x2EDA4D3B, bucket 0x1015 (the spec's worked example).
        CHECK(bucket_has(map, 0x1015, 0x2EDA4D3B, (2 << 1) | 1));
        // Entry 2: the internet header, stored as one string name.
        CHECK_EQ(le32(e, 20), (2u << 16) | (3 << 1) | 1);
        check_every_bucket(map, g, e, s);
        CHECK_EQ(map->Release(), 0);
    }
    // The embedded message has no map of its own.
    IStorage *att = nullptr, *inner = nullptr, *inner_map = nullptr;
    CHECK_OK(root->OpenStorage(W("__attach_version1.0_#00000001"), nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE,
                               nullptr, 0, &att));
    if (att)
        CHECK_OK(att->OpenStorage(W("__substg1.0_3701000D"), nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, nullptr, 0,
                                  &inner));
    if (inner) {
        CHECK_HR(inner->OpenStorage(W("__nameid_version1.0"), nullptr, STGM_READ | STGM_SHARE_EXCLUSIVE, nullptr, 0,
                                    &inner_map),
                 STG_E_FILENOTFOUND);
        CHECK(inner_map == nullptr);
        CHECK_EQ(inner->Release(), 0);
    }
    if (att)
        CHECK_EQ(att->Release(), 0);
    CHECK_EQ(root->Release(), 0);
}

// ----- running out of ids -----

// 0x8000-0xFFFE: 32767 named ids. A call that does not fit creates nothing and fails with
// MAPI_E_TOO_BIG; known names still resolve.
static void check_exhaustion(const WCHAR *path)
{
    IStorage *stg = nullptr;
    LPMESSAGE msg = nullptr;
    CHECK_OK(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (stg)
        CHECK_OK(open_message(stg, MAPI_UNICODE, &msg));
    if (stg)
        stg->Release();
    if (!msg)
        return;
    const int total = 0xFFFE - 0x8000 + 1;
    std::vector<NameDef> first = {num(PS_MANY, -7)};
    NameList one(first);
    std::vector<ULONG> tags;
    CHECK_OK(ids_of(msg, one, MAPI_CREATE, tags));
    CHECK(tags.size() == 1 && tags[0] == PROP_TAG(PT_UNSPECIFIED, 0x8000));

    std::vector<NameDef> many;
    for (int i = 0; i < total; i++)
        many.push_back(num(PS_MANY, i));
    NameList too_many(many);
    CHECK_HR(ids_of(msg, too_many, MAPI_CREATE, tags), MAPI_E_TOO_BIG);
    CHECK(tags.empty());
    LPSPropTagArray all = nullptr;
    CHECK_OK(msg->GetIDsFromNames(0, nullptr, 0, &all));
    CHECK(all && all->cValues == 1);
    MAPIFreeBuffer(all);

    many.pop_back();
    NameList fits(many);
    CHECK_OK(ids_of(msg, fits, MAPI_CREATE, tags));
    CHECK_EQ(tags.size(), total - 1);
    if (tags.size() == static_cast<size_t>(total - 1)) {
        CHECK_EQ(tags[0], PROP_TAG(PT_UNSPECIFIED, 0x8001));
        CHECK_EQ(tags[total - 2], PROP_TAG(PT_UNSPECIFIED, 0xFFFE));
    }
    std::vector<NameDef> last = {num(PS_MANY, total - 1)};
    NameList over(last);
    CHECK_HR(ids_of(msg, over, MAPI_CREATE, tags), MAPI_E_TOO_BIG);
    CHECK(tags.empty());
    // Without MAPI_CREATE it is merely unknown; known names resolve either way.
    CHECK_HR(ids_of(msg, over, 0, tags), MAPI_W_ERRORS_RETURNED);
    CHECK(tags.size() == 1 && tags[0] == PROP_TAG(PT_ERROR, 0));
    std::vector<NameDef> known = {num(PS_MANY, 100), num(PS_MANY, -7)};
    NameList k(known);
    CHECK_OK(ids_of(msg, k, MAPI_CREATE, tags));
    CHECK(tags.size() == 2 && tags[0] == PROP_TAG(PT_UNSPECIFIED, 0x8001 + 100) &&
          tags[1] == PROP_TAG(PT_UNSPECIFIED, 0x8000));
    CHECK_EQ(msg->Release(), 0);
}

int main()
{
    if (!test_dir_create("imsg-named-cpp"))
        return 1;
    char path[256];
    WCHAR wpath[256];
    test_path("named.msg", path, wpath);

    write_file(wpath);
    check_storage(wpath, N_SAVED, 5);
    read_file(wpath);
    extend_file(wpath);
    check_storage(wpath, N_ALL, 6);

    char full_path[256];
    WCHAR wfull[256];
    test_path("full.msg", full_path, wfull);
    check_exhaustion(wfull);

    test_dir_remove();
    return check_report("named_cpp.cpp");
}
