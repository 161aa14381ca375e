/* widths.c - string width per message, not per file.

   Two files, each built, read back, modified, saved and checked on disk:
   1. a Unicode message holding an 8-bit embedded message in code page 1251, its storage
      written directly through IStorage/IStream in the [MS-OXMSG] shape (as writers such as
      Aspose make them: no PR_STORE_SUPPORT_MASK, PT_STRING8 values, PR_MESSAGE_CODEPAGE),
      with a recipient and an attachment of its own;
   2. an 8-bit message (code page 1251) holding a Unicode embedded message made with
      OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY |
      MAPI_UNICODE) and an 8-bit one made without the flag (its parent's width).
   Checked: PR_STORE_SUPPORT_MASK per message and attachment, GetPropList and table columns
   in the message's own width (the stored types) and with MAPI_UNICODE, GetProps in both
   widths through each message's own code page, and after saves the stream names (001E or
   001F), their bytes and the property-stream entries inside each storage.
   3. CopyTo of each into new files of both widths: each embedded message is read in its own
      width, so its strings arrive intact; one that is Unicode stays Unicode, an 8-bit one stays
      8-bit unless its new parent is Unicode (a new embedded message cannot be 8-bit there). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "check.h"
#include "tags.h"
#include "testdir.h"
#include "wide.h"

#ifndef PR_MESSAGE_CODEPAGE /* mingw-w64's mapitags.h lacks it */
#define PR_MESSAGE_CODEPAGE PROP_TAG(PT_LONG, 0x3FFD)
#endif

#define RW (STGM_READWRITE | STGM_SHARE_EXCLUSIVE)
#define RO (STGM_READ | STGM_SHARE_EXCLUSIVE)
#define OBJECT_STORAGE "__substg1.0_3701000D"
#define PROPS_STREAM "__properties_version1.0"

/* Code page 1251 bytes of the Cyrillic texts (hex escapes, each ended by the next). */
#define CP_PRIVET "\xCF\xF0\xE8\xE2\xE5\xF2"                       /* Привет */
#define CP_BODY "\xD2\xE5\xEB\xEE\x20\xEF\xE8\xF1\xFC\xEC\xE0"      /* Тело письма */
#define CP_IVAN "\xC8\xE2\xE0\xED"                                 /* Иван */
#define CP_FILE "\xF4\xE0\xE9\xEB\x2E\x74\x78\x74"                 /* файл.txt */
#define CP_POKA "\xCF\xEE\xEA\xE0"                                 /* Пока */
#define CP_NEW_BODY "\xCD\xEE\xE2\xEE\xE5\x20\xF2\xE5\xEB\xEE"      /* Новое тело */
#define CP_PYOTR "\xCF\xB8\xF2\xF0"                                /* Пётр */
#define CP_BOX "\xDF\xF9\xE8\xEA"                                  /* Ящик */
#define CP_BOX2 "\xDF\xF9\xE8\xEA\x20\x32"                         /* Ящик 2 */
#define CP_ZHORA "\xC6\xEE\xF0\xE0"                                /* Жора */
#define CP_SHCHUKA "\xD9\xF3\xEA\xE0"                              /* Щука */
/* "日本語 ✓ Да" in code page 1251: what the page cannot hold becomes '?'. */
#define CP_MIXED "\x3F\x3F\x3F\x20\x3F\x20\xC4\xE0"

static const WCHAR U_MIXED[] = u"日本語 ✓ Да";

static WCHAR path1[256], path2[256], copy_path[256];

static ULONG wlen(const WCHAR *s)
{
    ULONG n = 0;
    while (s[n])
        n++;
    return n;
}

static int wide_same(const WCHAR *a, const WCHAR *b)
{
    if (!a || !b)
        return 0;
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static void put32(unsigned char *p, ULONG v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static ULONG get32(const unsigned char *p)
{
    return (ULONG)p[0] | (ULONG)p[1] << 8 | (ULONG)p[2] << 16 | (ULONG)p[3] << 24;
}

/* ===== raw storage access ===== */

static void write_stream(IStorage *stg, const char *name, const void *bytes, ULONG n)
{
    IStream *s = NULL;
    ULONG written = 0;
    CHECK_OK(stg->lpVtbl->CreateStream(stg, W(name), RW | STGM_CREATE, 0, 0, &s));
    if (!s)
        return;
    if (n)
        CHECK_OK(s->lpVtbl->Write(s, bytes, n, &written));
    CHECK(written == n);
    s->lpVtbl->Release(s);
}

/* Reads up to `cap` bytes of a stream; returns its size, or -1 when it is not there. */
static long read_stream(IStorage *stg, const char *name, unsigned char *buf, ULONG cap)
{
    IStream *s = NULL;
    STATSTG st;
    ULONG got = 0;
    if (FAILED(stg->lpVtbl->OpenStream(stg, W(name), NULL, RO, 0, &s)) || !s)
        return -1;
    CHECK_OK(s->lpVtbl->Stat(s, &st, STATFLAG_NONAME));
    CHECK_OK(s->lpVtbl->Read(s, buf, cap, &got));
    s->lpVtbl->Release(s);
    CHECK(got == (st.cbSize.QuadPart < cap ? st.cbSize.QuadPart : cap));
    return (long)st.cbSize.QuadPart;
}

/* Whether the stream holds exactly `n` bytes `want`. */
static int stream_is(IStorage *stg, const char *name, const void *want, ULONG n)
{
    static unsigned char buf[4096];
    long size = read_stream(stg, name, buf, sizeof(buf));
    if (size != (long)n) {
        fprintf(stderr, "  stream %s: %ld bytes, expected %lu\n", name, size, (unsigned long)n);
        return 0;
    }
    return memcmp(buf, want, n) == 0;
}

static int stream_absent(IStorage *stg, const char *name)
{
    static unsigned char buf[16];
    return read_stream(stg, name, buf, sizeof(buf)) == -1;
}

static int stream_is_a(IStorage *stg, const char *name, const char *want)
{
    return stream_is(stg, name, want, (ULONG)strlen(want));
}

static int stream_is_w(IStorage *stg, const char *name, const WCHAR *want)
{
    return stream_is(stg, name, want, 2 * wlen(want));
}

static IStorage *open_sub(IStorage *parent, const char *name, DWORD mode)
{
    IStorage *sub = NULL;
    CHECK_OK(parent->lpVtbl->OpenStorage(parent, W(name), NULL, mode, NULL, 0, &sub));
    return sub;
}

/* The entry of `tag` in a property stream after a header of `header` bytes: 1 and its
   first value word (an inline value, or a stream's size) when listed, else 0. */
static int props_entry(IStorage *stg, ULONG header, ULONG tag, ULONG *value)
{
    static unsigned char buf[4096];
    long size = read_stream(stg, PROPS_STREAM, buf, sizeof(buf));
    long at;
    CHECK(size >= (long)header && (size - (long)header) % 16 == 0);
    for (at = header; at + 16 <= size; at += 16)
        if (get32(buf + at) == tag) {
            if (value)
                *value = get32(buf + at + 8);
            return 1;
        }
    return 0;
}

/* Whether the property stream lists `tag`, and none of its id in the other string width. */
static int lists_only(IStorage *stg, ULONG header, ULONG tag)
{
    ULONG other = PROP_TYPE(tag) == PT_UNICODE ? CHANGE_PROP_TYPE(tag, PT_STRING8) : CHANGE_PROP_TYPE(tag, PT_UNICODE);
    return props_entry(stg, header, tag, NULL) && !props_entry(stg, header, other, NULL);
}

/* Whether the storage's message or attachment says STORE_UNICODE_OK in the file. */
static int stored_unicode_ok(IStorage *stg, ULONG header)
{
    ULONG mask = 0;
    return props_entry(stg, header, PR_STORE_SUPPORT_MASK, &mask) && (mask & STORE_UNICODE_OK);
}

/* ===== writing an 8-bit embedded message by hand ===== */

/* One property-stream entry: an inline value, or a stream of `value` bytes (the size
   field of an 8-bit string counts its terminator). */
struct entry {
    ULONG tag;
    ULONG value;
};

/* A property stream: `header` bytes (24 for an embedded message, 8 for a recipient or an
   attachment) holding `counts` (next recipient id, next attachment id, recipient count,
   attachment count) for an embedded message, then the entries, readable and writable. */
static void write_props(IStorage *stg, ULONG header, const ULONG counts[4], const struct entry *e, int n)
{
    unsigned char buf[24 + 16 * 16];
    unsigned char *p = buf + header;
    int i;
    memset(buf, 0, sizeof(buf));
    if (header == 24)
        for (i = 0; i < 4; i++)
            put32(buf + 8 + 4 * i, counts[i]);
    for (i = 0; i < n; i++, p += 16) {
        put32(p, e[i].tag);
        put32(p + 4, PROPATTR_READABLE | PROPATTR_WRITEABLE);
        put32(p + 8, e[i].value);
    }
    write_stream(stg, PROPS_STREAM, buf, header + 16 * (ULONG)n);
}

/* An 8-bit string's entry and its value stream. */
static struct entry string8(IStorage *stg, ULONG tag, const char *text)
{
    char name[32];
    struct entry e;
    snprintf(name, sizeof(name), "__substg1.0_%08lX", (unsigned long)tag);
    write_stream(stg, name, text, (ULONG)strlen(text));
    e.tag = tag;
    e.value = (ULONG)strlen(text) + 1;
    return e;
}

/* Replaces the embedded message of attachment 0 of `path` with an 8-bit one in code page
   1251: subject, body, one recipient and one attachment of its own. */
static void write_8bit_embedded(const WCHAR *path)
{
    IStorage *root = NULL, *att, *obj = NULL, *child = NULL;
    const ULONG counts[4] = {1, 1, 1, 1};
    struct entry e[6];
    CHECK_OK(StgOpenStorage(path, NULL, STGM_READWRITE | STGM_TRANSACTED, NULL, 0, &root));
    if (!root)
        return;
    att = open_sub(root, "__attach_version1.0_#00000000", RW);
    if (!att) {
        root->lpVtbl->Release(root);
        return;
    }
    CHECK_OK(att->lpVtbl->DestroyElement(att, W(OBJECT_STORAGE)));
    CHECK_OK(att->lpVtbl->CreateStorage(att, W(OBJECT_STORAGE), RW | STGM_CREATE, 0, 0, &obj));
    if (obj) {
        e[0] = string8(obj, PR_MESSAGE_CLASS_A, "IPM.Note");
        e[1] = string8(obj, PR_SUBJECT_A, CP_PRIVET);
        e[2] = string8(obj, PR_BODY_A, CP_BODY);
        e[3].tag = PR_MESSAGE_CODEPAGE;
        e[3].value = 1251;
        write_props(obj, 24, counts, e, 4);

        CHECK_OK(obj->lpVtbl->CreateStorage(obj, W("__recip_version1.0_#00000000"), RW | STGM_CREATE, 0, 0, &child));
        if (child) {
            e[0] = string8(child, PR_DISPLAY_NAME_A, CP_IVAN);
            e[1] = string8(child, PR_EMAIL_ADDRESS_A, "ivan@example.com");
            e[2].tag = PR_RECIPIENT_TYPE;
            e[2].value = MAPI_TO;
            e[3].tag = PR_ROWID;
            e[3].value = 0;
            write_props(child, 8, NULL, e, 4);
            CHECK_OK(child->lpVtbl->Commit(child, STGC_DEFAULT));
            child->lpVtbl->Release(child);
            child = NULL;
        }
        CHECK_OK(obj->lpVtbl->CreateStorage(obj, W("__attach_version1.0_#00000000"), RW | STGM_CREATE, 0, 0, &child));
        if (child) {
            e[0] = string8(child, PR_ATTACH_LONG_FILENAME_A, CP_FILE);
            write_stream(child, "__substg1.0_37010102", "hello", 5);
            e[1].tag = PR_ATTACH_DATA_BIN;
            e[1].value = 5;
            e[2].tag = PR_ATTACH_METHOD;
            e[2].value = ATTACH_BY_VALUE;
            e[3].tag = PR_ATTACH_NUM;
            e[3].value = 0;
            write_props(child, 8, NULL, e, 4);
            CHECK_OK(child->lpVtbl->Commit(child, STGC_DEFAULT));
            child->lpVtbl->Release(child);
        }
        CHECK_OK(obj->lpVtbl->Commit(obj, STGC_DEFAULT));
        obj->lpVtbl->Release(obj);
    }
    CHECK_OK(att->lpVtbl->Commit(att, STGC_DEFAULT));
    att->lpVtbl->Release(att);
    CHECK_OK(root->lpVtbl->Commit(root, STGC_DEFAULT));
    root->lpVtbl->Release(root);
}

/* ===== property helpers ===== */

static LPSPropValue get1(LPMAPIPROP obj, ULONG tag, ULONG flags)
{
    SizedSPropTagArray(1, tags) = {1, {tag}};
    LPSPropValue v = NULL;
    ULONG n = 0;
    obj->lpVtbl->GetProps(obj, (LPSPropTagArray)&tags, flags, &n, &v);
    return v;
}

static int wide_is(LPMAPIPROP obj, ULONG tag, const WCHAR *want)
{
    LPSPropValue v = get1(obj, tag, 0);
    int same = v && v->ulPropTag == tag && wide_same(v->Value.lpszW, want);
    MAPIFreeBuffer(v);
    return same;
}

/* The PT_STRING8 value of `tag` (whose type is PT_STRING8) is exactly the bytes `want`. */
static int bytes_is(LPMAPIPROP obj, ULONG tag, const char *want)
{
    LPSPropValue v = get1(obj, tag, 0);
    int same = v && v->ulPropTag == tag && strcmp(v->Value.lpszA, want) == 0;
    MAPIFreeBuffer(v);
    return same;
}

/* Whether the object's PR_STORE_SUPPORT_MASK says STORE_UNICODE_OK (-1 when absent). */
static int unicode_ok(LPMAPIPROP obj)
{
    LPSPropValue v = get1(obj, PR_STORE_SUPPORT_MASK, 0);
    int r = v && v->ulPropTag == PR_STORE_SUPPORT_MASK ? (v->Value.l & STORE_UNICODE_OK) != 0 : -1;
    MAPIFreeBuffer(v);
    return r;
}

static int list_has(const SPropTagArray *list, ULONG tag)
{
    ULONG i;
    for (i = 0; list && i < list->cValues; i++)
        if (list->aulPropTag[i] == tag)
            return 1;
    return 0;
}

/* Whether GetPropList(flags) lists `tag` and not its id in the other width. */
static int prop_list_has(LPMAPIPROP obj, ULONG flags, ULONG tag)
{
    LPSPropTagArray list = NULL;
    ULONG other = PROP_TYPE(tag) == PT_UNICODE ? CHANGE_PROP_TYPE(tag, PT_STRING8) : CHANGE_PROP_TYPE(tag, PT_UNICODE);
    int r;
    CHECK_OK(obj->lpVtbl->GetPropList(obj, flags, &list));
    r = list_has(list, tag) && !list_has(list, other);
    MAPIFreeBuffer(list);
    return r;
}

static void set_wide(LPMAPIPROP obj, ULONG tag, const WCHAR *value)
{
    SPropValue v;
    LPSPropProblemArray problems = NULL;
    v.ulPropTag = tag;
    v.Value.lpszW = (LPWSTR)value;
    CHECK_OK(obj->lpVtbl->SetProps(obj, 1, &v, &problems));
    CHECK(problems == NULL);
    MAPIFreeBuffer(problems);
}

static void set_8bit(LPMAPIPROP obj, ULONG tag, const char *value)
{
    SPropValue v;
    LPSPropProblemArray problems = NULL;
    v.ulPropTag = tag;
    v.Value.lpszA = (LPSTR)value;
    CHECK_OK(obj->lpVtbl->SetProps(obj, 1, &v, &problems));
    CHECK(problems == NULL);
    MAPIFreeBuffer(problems);
}

static void set_long(LPMAPIPROP obj, ULONG tag, LONG value)
{
    SPropValue v;
    v.ulPropTag = tag;
    v.Value.l = value;
    CHECK_OK(obj->lpVtbl->SetProps(obj, 1, &v, NULL));
}

/* Adds one recipient whose display name is `name` (a PT_UNICODE or PT_STRING8 tag). */
static void add_recipient(LPMESSAGE msg, ULONG name_tag, const void *name, ULONG type)
{
    SizedADRLIST(1, list);
    LPSPropValue v = NULL;
    CHECK_OK(MAPIAllocateBuffer(2 * sizeof(SPropValue), (void **)&v));
    if (!v)
        return;
    memset(v, 0, 2 * sizeof(SPropValue));
    v[0].ulPropTag = name_tag;
    if (PROP_TYPE(name_tag) == PT_UNICODE)
        v[0].Value.lpszW = (LPWSTR)name;
    else
        v[0].Value.lpszA = (LPSTR)name;
    v[1].ulPropTag = PR_RECIPIENT_TYPE;
    v[1].Value.l = (LONG)type;
    list.cEntries = 1;
    list.aEntries[0].ulReserved1 = 0;
    list.aEntries[0].cValues = 2;
    list.aEntries[0].rgPropVals = v;
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, (LPADRLIST)&list));
    MAPIFreeBuffer(v);
}

static LPMESSAGE open_file(const WCHAR *path, int writable, ULONG flags, IStorage **stg)
{
    LPMESSAGE msg = NULL;
    DWORD mode = (writable ? STGM_READWRITE : STGM_READ) | STGM_TRANSACTED;
    *stg = NULL;
    CHECK_OK(StgOpenStorage(path, NULL, mode, NULL, 0, stg));
    if (!*stg)
        return NULL;
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, *stg, NULL, 0, flags, &msg));
    return msg;
}

static LPATTACH open_attach(LPMESSAGE msg, ULONG num, ULONG flags)
{
    LPATTACH att = NULL;
    CHECK_OK(msg->lpVtbl->OpenAttach(msg, num, NULL, flags, &att));
    return att;
}

static LPMESSAGE open_embedded(LPATTACH att, ULONG flags)
{
    LPMESSAGE inner = NULL;
    CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, flags, (LPUNKNOWN *)&inner));
    return inner;
}

/* Whether a table's QueryColumns(TBL_ALL_COLUMNS) lists `tag`, not its other width. */
static int columns_have(LPMAPITABLE table, ULONG tag)
{
    LPSPropTagArray cols = NULL;
    ULONG other = PROP_TYPE(tag) == PT_UNICODE ? CHANGE_PROP_TYPE(tag, PT_STRING8) : CHANGE_PROP_TYPE(tag, PT_UNICODE);
    int r;
    CHECK_OK(table->lpVtbl->QueryColumns(table, TBL_ALL_COLUMNS, &cols));
    r = list_has(cols, tag) && !list_has(cols, other);
    MAPIFreeBuffer(cols);
    return r;
}

/* The one row of `table` with the columns `a` (PT_UNICODE) and `b` (PT_STRING8) of the same
   text: `a` is `wide`, `b` is the bytes `narrow`. */
static void check_row(LPMAPITABLE table, ULONG a, const WCHAR *wide, ULONG b, const char *narrow)
{
    SizedSPropTagArray(2, cols) = {2, {a, b}};
    LPSRowSet rows = NULL;
    CHECK_OK(table->lpVtbl->SetColumns(table, (LPSPropTagArray)&cols, 0));
    CHECK_OK(table->lpVtbl->QueryRows(table, 10, 0, &rows));
    CHECK(rows && rows->cRows == 1);
    if (rows && rows->cRows == 1) {
        LPSPropValue v = rows->aRow[0].lpProps;
        CHECK(v[0].ulPropTag == a && wide_same(v[0].Value.lpszW, wide));
        CHECK(v[1].ulPropTag == b && strcmp(v[1].Value.lpszA, narrow) == 0);
    }
    FreeProws(rows);
}

/* ===== 1. a Unicode message holding an 8-bit embedded message ===== */

static void build_unicode_outer(const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL, inner = NULL;
    LPATTACH att = NULL;
    ULONG num = 99;
    CHECK_OK(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (!msg)
        return;
    set_wide((LPMAPIPROP)msg, PR_SUBJECT_W, u"outer");
    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    CHECK(num == 0);
    if (att) {
        set_long((LPMAPIPROP)att, PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
        /* Without MAPI_UNICODE a new embedded message takes its parent's width. */
        inner = open_embedded(att, MAPI_CREATE | MAPI_MODIFY);
        if (inner) {
            CHECK(unicode_ok((LPMAPIPROP)inner) == 1);
            set_wide((LPMAPIPROP)inner, PR_SUBJECT_W, u"placeholder");
            CHECK_OK(inner->lpVtbl->SaveChanges(inner, 0));
            inner->lpVtbl->Release(inner);
        }
        CHECK_OK(att->lpVtbl->SaveChanges(att, 0));
        att->lpVtbl->Release(att);
    }
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
    CloseIMsgSession(sess);
}

/* The 8-bit embedded message read through the API. */
static void read_unicode_outer(const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = open_file(path, 0, 0, &stg), inner = NULL;
    LPATTACH att = NULL, inner_att = NULL;
    LPMAPITABLE table = NULL;
    LPSPropValue v = NULL;
    ULONG n = 0;
    if (!msg)
        goto done;
    CHECK(unicode_ok((LPMAPIPROP)msg) == 1);
    CHECK(prop_list_has((LPMAPIPROP)msg, MAPI_UNICODE, PR_SUBJECT_W));
    CHECK(wide_is((LPMAPIPROP)msg, PR_SUBJECT_W, u"outer"));
    att = open_attach(msg, 0, 0);
    if (!att)
        goto done;
    /* An attachment has its message's width. */
    CHECK(unicode_ok((LPMAPIPROP)att) == 1);
    inner = open_embedded(att, 0);
    if (!inner)
        goto done;

    /* The embedded message stores 8-bit strings. */
    CHECK(unicode_ok((LPMAPIPROP)inner) == 0);
    /* Asked in its own width, GetPropList gives the stored types; MAPI_UNICODE asks for
       the other width (as Microsoft documents the flag). */
    CHECK(prop_list_has((LPMAPIPROP)inner, 0, PR_SUBJECT_A));
    CHECK(prop_list_has((LPMAPIPROP)inner, 0, PR_BODY_A));
    CHECK(prop_list_has((LPMAPIPROP)inner, 0, PR_MESSAGE_CLASS_A));
    CHECK(prop_list_has((LPMAPIPROP)inner, MAPI_UNICODE, PR_SUBJECT_W));
    /* Values in both widths: the stored bytes, and UTF-16 through code page 1251. */
    CHECK(bytes_is((LPMAPIPROP)inner, PR_SUBJECT_A, CP_PRIVET));
    CHECK(wide_is((LPMAPIPROP)inner, PR_SUBJECT_W, u"Привет"));
    CHECK(wide_is((LPMAPIPROP)inner, PR_BODY_W, u"Тело письма"));
    CHECK(bytes_is((LPMAPIPROP)inner, PR_MESSAGE_CLASS_A, "IPM.Note"));
    /* Computed from its recipients, in its width. */
    CHECK(bytes_is((LPMAPIPROP)inner, PR_DISPLAY_TO_A, CP_IVAN));
    CHECK(wide_is((LPMAPIPROP)inner, PR_DISPLAY_TO_W, u"Иван"));
    /* GetProps(NULL) answers in the width asked for. */
    CHECK_OK(inner->lpVtbl->GetProps(inner, NULL, MAPI_UNICODE, &n, &v));
    {
        ULONG i, found = 0;
        for (i = 0; v && i < n; i++) {
            CHECK(PROP_TYPE(v[i].ulPropTag) != PT_STRING8);
            if (v[i].ulPropTag == PR_SUBJECT_W)
                found += wide_same(v[i].Value.lpszW, u"Привет");
        }
        CHECK(found == 1);
    }
    MAPIFreeBuffer(v);

    /* Its recipient table: 8-bit columns in its own width, converted with MAPI_UNICODE. */
    CHECK_OK(inner->lpVtbl->GetRecipientTable(inner, 0, &table));
    if (table) {
        CHECK(columns_have(table, PR_DISPLAY_NAME_A));
        CHECK(columns_have(table, PR_EMAIL_ADDRESS_A));
        check_row(table, PR_DISPLAY_NAME_W, u"Иван", PR_DISPLAY_NAME_A, CP_IVAN);
        table->lpVtbl->Release(table);
        table = NULL;
    }
    CHECK_OK(inner->lpVtbl->GetRecipientTable(inner, MAPI_UNICODE, &table));
    if (table) {
        CHECK(columns_have(table, PR_DISPLAY_NAME_W));
        table->lpVtbl->Release(table);
        table = NULL;
    }
    /* Its attachment table and attachment. */
    CHECK_OK(inner->lpVtbl->GetAttachmentTable(inner, 0, &table));
    if (table) {
        CHECK(columns_have(table, PR_ATTACH_LONG_FILENAME_A));
        check_row(table, PR_ATTACH_LONG_FILENAME_W, u"файл.txt", PR_ATTACH_LONG_FILENAME_A, CP_FILE);
        table->lpVtbl->Release(table);
        table = NULL;
    }
    CHECK_OK(inner->lpVtbl->GetAttachmentTable(inner, MAPI_UNICODE, &table));
    if (table) {
        CHECK(columns_have(table, PR_ATTACH_LONG_FILENAME_W));
        table->lpVtbl->Release(table);
        table = NULL;
    }
    inner_att = open_attach(inner, 0, 0);
    if (inner_att) {
        CHECK(unicode_ok((LPMAPIPROP)inner_att) == 0);
        CHECK(prop_list_has((LPMAPIPROP)inner_att, 0, PR_ATTACH_LONG_FILENAME_A));
        CHECK(wide_is((LPMAPIPROP)inner_att, PR_ATTACH_LONG_FILENAME_W, u"файл.txt"));
        inner_att->lpVtbl->Release(inner_att);
    }
done:
    if (inner)
        inner->lpVtbl->Release(inner);
    if (att)
        att->lpVtbl->Release(att);
    if (msg)
        msg->lpVtbl->Release(msg);
    if (stg)
        stg->lpVtbl->Release(stg);
}

/* Saves a change to the outer message only: the embedded message's streams stay as they
   were written. */
static void modify_outer_only(const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = open_file(path, 1, MAPI_UNICODE, &stg);
    if (msg) {
        set_wide((LPMAPIPROP)msg, PR_SUBJECT_W, u"outer 2");
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
        msg->lpVtbl->Release(msg);
    }
    if (stg)
        stg->lpVtbl->Release(stg);
}

/* Changes the embedded message with Unicode values: it stays 8-bit. */
static void modify_embedded_8bit(const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = open_file(path, 1, MAPI_UNICODE, &stg), inner = NULL;
    LPATTACH att = NULL;
    if (!msg)
        goto done;
    att = open_attach(msg, 0, MAPI_MODIFY);
    if (!att)
        goto done;
    /* MAPI_UNICODE chooses the width of a new message only; this one keeps its own. */
    inner = open_embedded(att, MAPI_MODIFY | MAPI_UNICODE);
    if (!inner)
        goto done;
    CHECK(unicode_ok((LPMAPIPROP)inner) == 0);
    set_wide((LPMAPIPROP)inner, PR_SUBJECT_W, u"Пока");
    set_wide((LPMAPIPROP)inner, PR_BODY_W, u"Новое тело");
    add_recipient(inner, PR_DISPLAY_NAME_W, u"Пётр", MAPI_CC);
    /* Set as Unicode, kept 8-bit in code page 1251. */
    CHECK(prop_list_has((LPMAPIPROP)inner, 0, PR_SUBJECT_A));
    CHECK(bytes_is((LPMAPIPROP)inner, PR_SUBJECT_A, CP_POKA));
    CHECK_OK(inner->lpVtbl->SaveChanges(inner, 0));
    CHECK_OK(att->lpVtbl->SaveChanges(att, 0));
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
done:
    if (inner)
        inner->lpVtbl->Release(inner);
    if (att)
        att->lpVtbl->Release(att);
    if (msg)
        msg->lpVtbl->Release(msg);
    if (stg)
        stg->lpVtbl->Release(stg);
}

/* The bytes on disk after the saves: `changed` says whether modify_embedded_8bit ran. */
static void check_disk_unicode_outer(const WCHAR *path, int changed)
{
    IStorage *root = NULL, *att = NULL, *obj = NULL, *child = NULL;
    ULONG count = 0;
    CHECK_OK(StgOpenStorage(path, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &root));
    if (!root)
        return;
    /* The outer message: Unicode. */
    CHECK(stream_is_w(root, "__substg1.0_0037001F", u"outer 2"));
    CHECK(stream_absent(root, "__substg1.0_0037001E"));
    CHECK(lists_only(root, 32, PR_SUBJECT_W));
    CHECK(stored_unicode_ok(root, 32));
    att = open_sub(root, "__attach_version1.0_#00000000", RO);
    if (!att)
        goto done;
    CHECK(stored_unicode_ok(att, 8));
    obj = open_sub(att, OBJECT_STORAGE, RO);
    if (!obj)
        goto done;
    /* The embedded message: 8-bit, code page 1251. */
    CHECK(!stored_unicode_ok(obj, 24));
    CHECK(stream_is_a(obj, "__substg1.0_0037001E", changed ? CP_POKA : CP_PRIVET));
    CHECK(stream_absent(obj, "__substg1.0_0037001F"));
    CHECK(stream_is_a(obj, "__substg1.0_1000001E", changed ? CP_NEW_BODY : CP_BODY));
    CHECK(stream_absent(obj, "__substg1.0_1000001F"));
    CHECK(stream_is_a(obj, "__substg1.0_001A001E", "IPM.Note"));
    CHECK(lists_only(obj, 24, PR_SUBJECT_A));
    CHECK(lists_only(obj, 24, PR_BODY_A));
    CHECK(props_entry(obj, 24, PR_SUBJECT_A, &count) && count == (changed ? 5u : 7u));
    /* Its header counts its recipients. */
    {
        unsigned char head[24];
        CHECK(read_stream(obj, PROPS_STREAM, head, sizeof(head)) > 24);
        CHECK(get32(head + 16) == (changed ? 2u : 1u));
    }
    child = open_sub(obj, "__recip_version1.0_#00000000", RO);
    if (child) {
        CHECK(stream_is_a(child, "__substg1.0_3001001E", CP_IVAN));
        CHECK(stream_absent(child, "__substg1.0_3001001F"));
        child->lpVtbl->Release(child);
        child = NULL;
    }
    if (changed) {
        child = open_sub(obj, "__recip_version1.0_#00000001", RO);
        if (child) {
            CHECK(stream_is_a(child, "__substg1.0_3001001E", CP_PYOTR));
            CHECK(stream_absent(child, "__substg1.0_3001001F"));
            CHECK(lists_only(child, 8, PR_DISPLAY_NAME_A));
            CHECK(!stored_unicode_ok(child, 8));
            child->lpVtbl->Release(child);
            child = NULL;
        }
    }
    child = open_sub(obj, "__attach_version1.0_#00000000", RO);
    if (child) {
        CHECK(stream_is_a(child, "__substg1.0_3707001E", CP_FILE));
        CHECK(stream_absent(child, "__substg1.0_3707001F"));
        CHECK(!stored_unicode_ok(child, 8));
        child->lpVtbl->Release(child);
    }
done:
    if (obj)
        obj->lpVtbl->Release(obj);
    if (att)
        att->lpVtbl->Release(att);
    root->lpVtbl->Release(root);
}

/* What modify_embedded_8bit saved, read back through the API. */
static void read_unicode_outer_after(const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = open_file(path, 0, 0, &stg), inner = NULL;
    LPATTACH att = NULL;
    LPMAPITABLE table = NULL;
    LPSRowSet rows = NULL;
    SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_W, PR_DISPLAY_NAME_A}};
    if (!msg)
        goto done;
    CHECK(wide_is((LPMAPIPROP)msg, PR_SUBJECT_W, u"outer 2"));
    att = open_attach(msg, 0, 0);
    inner = att ? open_embedded(att, 0) : NULL;
    if (!inner)
        goto done;
    CHECK(unicode_ok((LPMAPIPROP)inner) == 0);
    CHECK(wide_is((LPMAPIPROP)inner, PR_SUBJECT_W, u"Пока"));
    CHECK(bytes_is((LPMAPIPROP)inner, PR_BODY_A, CP_NEW_BODY));
    CHECK(wide_is((LPMAPIPROP)inner, PR_DISPLAY_CC_W, u"Пётр"));
    CHECK_OK(inner->lpVtbl->GetRecipientTable(inner, 0, &table));
    if (table) {
        CHECK_OK(table->lpVtbl->SetColumns(table, (LPSPropTagArray)&cols, 0));
        CHECK_OK(table->lpVtbl->QueryRows(table, 10, 0, &rows));
        CHECK(rows && rows->cRows == 2);
        if (rows && rows->cRows == 2) {
            CHECK(wide_same(rows->aRow[0].lpProps[0].Value.lpszW, u"Иван"));
            CHECK(wide_same(rows->aRow[1].lpProps[0].Value.lpszW, u"Пётр"));
            CHECK(strcmp(rows->aRow[1].lpProps[1].Value.lpszA, CP_PYOTR) == 0);
        }
        FreeProws(rows);
        table->lpVtbl->Release(table);
    }
done:
    if (inner)
        inner->lpVtbl->Release(inner);
    if (att)
        att->lpVtbl->Release(att);
    if (msg)
        msg->lpVtbl->Release(msg);
    if (stg)
        stg->lpVtbl->Release(stg);
}

/* ===== 2. an 8-bit message holding a Unicode embedded message ===== */

static LPMESSAGE add_embedded(LPMESSAGE msg, LPATTACH *att, ULONG flags)
{
    ULONG num = 0;
    *att = NULL;
    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, att));
    if (!*att)
        return NULL;
    set_long((LPMAPIPROP)*att, PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
    return open_embedded(*att, flags);
}

static void save_embedded(LPMESSAGE inner, LPATTACH att)
{
    if (inner) {
        CHECK_OK(inner->lpVtbl->SaveChanges(inner, 0));
        inner->lpVtbl->Release(inner);
    }
    if (att) {
        CHECK_OK(att->lpVtbl->SaveChanges(att, 0));
        att->lpVtbl->Release(att);
    }
}

static void build_8bit_outer(const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL, inner;
    LPATTACH att;
    IStream *s = NULL;
    CHECK_OK(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, 0, &msg));
    if (!msg)
        return;
    CHECK(unicode_ok((LPMAPIPROP)msg) == 0);
    set_long((LPMAPIPROP)msg, PR_MESSAGE_CODEPAGE, 1251);
    set_wide((LPMAPIPROP)msg, PR_SUBJECT_W, u"Ящик");
    /* MAPI_UNICODE is a flag of OpenProperty for a new embedded message only. */
    CHECK_HR(msg->lpVtbl->OpenProperty(msg, PR_BODY_W, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY | MAPI_UNICODE,
                                       (LPUNKNOWN *)&s),
             MAPI_E_UNKNOWN_FLAGS);
    CHECK(s == NULL);

    /* Attachment 0: Unicode, asked for with MAPI_UNICODE. */
    inner = add_embedded(msg, &att, MAPI_CREATE | MAPI_MODIFY | MAPI_UNICODE);
    if (inner) {
        CHECK(unicode_ok((LPMAPIPROP)inner) == 1);
        set_wide((LPMAPIPROP)inner, PR_SUBJECT_W, U_MIXED);
        /* An 8-bit value becomes Unicode, decoded with the code page it inherits (1251). */
        set_8bit((LPMAPIPROP)inner, PR_BODY_A, "plain 8-bit");
        add_recipient(inner, PR_DISPLAY_NAME_A, CP_ZHORA, MAPI_TO);
        CHECK(wide_is((LPMAPIPROP)inner, PR_SUBJECT_W, U_MIXED));
        CHECK(prop_list_has((LPMAPIPROP)inner, MAPI_UNICODE, PR_SUBJECT_W));
    }
    save_embedded(inner, att);
    /* Attachment 1: without the flag, its parent's width (8-bit). */
    inner = add_embedded(msg, &att, MAPI_CREATE | MAPI_MODIFY);
    if (inner) {
        CHECK(unicode_ok((LPMAPIPROP)inner) == 0);
        set_wide((LPMAPIPROP)inner, PR_SUBJECT_W, u"Щука");
        CHECK(bytes_is((LPMAPIPROP)inner, PR_SUBJECT_A, CP_SHCHUKA));
    }
    save_embedded(inner, att);
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
    CloseIMsgSession(sess);
}

static void read_8bit_outer(const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = open_file(path, 0, MAPI_UNICODE, &stg), inner;
    LPATTACH att;
    LPMAPITABLE table = NULL;
    if (!msg)
        goto done;
    /* MAPI_UNICODE at OpenIMsgOnIStg does not change what an existing file stores. */
    CHECK(unicode_ok((LPMAPIPROP)msg) == 0);
    CHECK(prop_list_has((LPMAPIPROP)msg, 0, PR_SUBJECT_A));
    CHECK(bytes_is((LPMAPIPROP)msg, PR_SUBJECT_A, CP_BOX));
    att = open_attach(msg, 0, 0);
    if (att) {
        CHECK(unicode_ok((LPMAPIPROP)att) == 0);
        inner = open_embedded(att, 0);
        if (inner) {
            CHECK(unicode_ok((LPMAPIPROP)inner) == 1);
            CHECK(prop_list_has((LPMAPIPROP)inner, MAPI_UNICODE, PR_SUBJECT_W));
            CHECK(prop_list_has((LPMAPIPROP)inner, MAPI_UNICODE, PR_BODY_W));
            CHECK(wide_is((LPMAPIPROP)inner, PR_SUBJECT_W, U_MIXED));
            CHECK(wide_is((LPMAPIPROP)inner, PR_BODY_W, u"plain 8-bit"));
            /* Asked as 8-bit: converted through the code page it inherits from its parent. */
            CHECK(bytes_is((LPMAPIPROP)inner, PR_SUBJECT_A, CP_MIXED));
            CHECK(wide_is((LPMAPIPROP)inner, PR_DISPLAY_TO_W, u"Жора"));
            CHECK_OK(inner->lpVtbl->GetRecipientTable(inner, MAPI_UNICODE, &table));
            if (table) {
                CHECK(columns_have(table, PR_DISPLAY_NAME_W));
                check_row(table, PR_DISPLAY_NAME_W, u"Жора", PR_DISPLAY_NAME_A, CP_ZHORA);
                table->lpVtbl->Release(table);
            }
            inner->lpVtbl->Release(inner);
        }
        att->lpVtbl->Release(att);
    }
    att = open_attach(msg, 1, 0);
    if (att) {
        inner = open_embedded(att, 0);
        if (inner) {
            CHECK(unicode_ok((LPMAPIPROP)inner) == 0);
            CHECK(wide_is((LPMAPIPROP)inner, PR_SUBJECT_W, u"Щука"));
            inner->lpVtbl->Release(inner);
        }
        att->lpVtbl->Release(att);
    }
done:
    if (msg)
        msg->lpVtbl->Release(msg);
    if (stg)
        stg->lpVtbl->Release(stg);
}

/* Changes the top-level message, sets an 8-bit value on the Unicode embedded message, and
   replaces the 8-bit embedded message with a Unicode one (MAPI_CREATE | MAPI_UNICODE). */
static void modify_8bit_outer(const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = open_file(path, 1, 0, &stg), inner;
    LPATTACH att;
    if (!msg)
        goto done;
    set_wide((LPMAPIPROP)msg, PR_SUBJECT_W, u"Ящик 2");
    att = open_attach(msg, 0, MAPI_MODIFY);
    if (att) {
        inner = open_embedded(att, MAPI_MODIFY);
        if (inner) {
            set_8bit((LPMAPIPROP)inner, PR_SUBJECT_A, "abc");
            CHECK(unicode_ok((LPMAPIPROP)inner) == 1);
        }
        save_embedded(inner, att);
    }
    att = open_attach(msg, 1, MAPI_MODIFY);
    if (att) {
        inner = open_embedded(att, MAPI_CREATE | MAPI_MODIFY | MAPI_UNICODE);
        if (inner) {
            CHECK(unicode_ok((LPMAPIPROP)inner) == 1);
            set_wide((LPMAPIPROP)inner, PR_SUBJECT_W, u"new");
        }
        save_embedded(inner, att);
    }
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
done:
    if (msg)
        msg->lpVtbl->Release(msg);
    if (stg)
        stg->lpVtbl->Release(stg);
}

static void check_disk_8bit_outer(const WCHAR *path, int changed)
{
    IStorage *root = NULL, *att, *obj, *child;
    CHECK_OK(StgOpenStorage(path, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &root));
    if (!root)
        return;
    CHECK(stream_is_a(root, "__substg1.0_0037001E", changed ? CP_BOX2 : CP_BOX));
    CHECK(stream_absent(root, "__substg1.0_0037001F"));
    CHECK(lists_only(root, 32, PR_SUBJECT_A));
    CHECK(!stored_unicode_ok(root, 32));
    att = open_sub(root, "__attach_version1.0_#00000000", RO);
    if (att) {
        CHECK(!stored_unicode_ok(att, 8));
        obj = open_sub(att, OBJECT_STORAGE, RO);
        if (obj) {
            CHECK(stored_unicode_ok(obj, 24));
            if (changed)
                CHECK(stream_is_w(obj, "__substg1.0_0037001F", u"abc"));
            else
                CHECK(stream_is_w(obj, "__substg1.0_0037001F", U_MIXED));
            CHECK(stream_absent(obj, "__substg1.0_0037001E"));
            CHECK(stream_is_w(obj, "__substg1.0_1000001F", u"plain 8-bit"));
            CHECK(stream_absent(obj, "__substg1.0_1000001E"));
            CHECK(lists_only(obj, 24, PR_SUBJECT_W));
            child = open_sub(obj, "__recip_version1.0_#00000000", RO);
            if (child) {
                CHECK(stream_is_w(child, "__substg1.0_3001001F", u"Жора"));
                CHECK(stream_absent(child, "__substg1.0_3001001E"));
                child->lpVtbl->Release(child);
            }
            obj->lpVtbl->Release(obj);
        }
        att->lpVtbl->Release(att);
    }
    att = open_sub(root, "__attach_version1.0_#00000001", RO);
    if (att) {
        obj = open_sub(att, OBJECT_STORAGE, RO);
        if (obj) {
            CHECK(stored_unicode_ok(obj, 24) == changed);
            if (changed) {
                CHECK(stream_is_w(obj, "__substg1.0_0037001F", u"new"));
                CHECK(stream_absent(obj, "__substg1.0_0037001E"));
            } else {
                CHECK(stream_is_a(obj, "__substg1.0_0037001E", CP_SHCHUKA));
                CHECK(stream_absent(obj, "__substg1.0_0037001F"));
            }
            obj->lpVtbl->Release(obj);
        }
        att->lpVtbl->Release(att);
    }
    root->lpVtbl->Release(root);
}

/* ===== 3. CopyTo keeps each embedded message's strings ===== */

/* Copies the message of `src` into a new file at copy_path, made with `flags`. */
static void copy_file(const WCHAR *src, ULONG flags)
{
    IStorage *sstg = NULL, *dstg = NULL;
    LPMESSAGE from = open_file(src, 0, 0, &sstg), to = NULL;
    LPSPropProblemArray problems = NULL;
    ULONG i;
    if (!from)
        goto done;
    CHECK_OK(StgCreateDocfile(copy_path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &dstg));
    if (!dstg)
        goto done;
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, dstg, NULL, 0, flags, &to));
    if (!to)
        goto done;
    CHECK_OK(from->lpVtbl->CopyTo(from, 0, NULL, NULL, 0, NULL, &IID_IMessage, to, 0, &problems));
    /* Only what the destination keeps for itself may be refused: what it computes
       (PR_ATTACH_SIZE) and a new attachment's read-only PR_RECORD_KEY. */
    for (i = 0; problems && i < problems->cProblem; i++) {
        const SPropProblem *p = &problems->aProblem[i];
        int own = p->scode == MAPI_E_COMPUTED || (p->ulPropTag == PR_RECORD_KEY && p->scode == MAPI_E_NO_ACCESS);
        if (!own)
            fprintf(stderr, "problem %lu: tag 0x%08lX scode 0x%08lX\n", (unsigned long)p->ulIndex,
                    (unsigned long)p->ulPropTag, (unsigned long)p->scode);
        CHECK(own);
    }
    MAPIFreeBuffer(problems);
    CHECK_OK(to->lpVtbl->SaveChanges(to, 0));
done:
    if (to)
        to->lpVtbl->Release(to);
    if (dstg)
        dstg->lpVtbl->Release(dstg);
    if (from)
        from->lpVtbl->Release(from);
    if (sstg)
        sstg->lpVtbl->Release(sstg);
}

/* Whether `parent`'s sub-storage `sub` holds the 8-bit (`unicode` 0) or Unicode string stream
   of `id` equal to `a` or `w`, and not the other width's. */
static int sub_string_is(IStorage *parent, const char *sub, int unicode, const char *id, const char *a,
                         const WCHAR *w)
{
    IStorage *child = open_sub(parent, sub, RO);
    char name8[32], name16[32];
    int ok;
    if (!child)
        return 0;
    snprintf(name8, sizeof(name8), "__substg1.0_%s001E", id);
    snprintf(name16, sizeof(name16), "__substg1.0_%s001F", id);
    ok = unicode ? stream_is_w(child, name16, w) && stream_absent(child, name8)
                 : stream_is_a(child, name8, a) && stream_absent(child, name16);
    child->lpVtbl->Release(child);
    return ok;
}

/* The embedded message of attachment `att` in the file at copy_path, or NULL. */
static IStorage *copied_embedded(IStorage **root, const char *att_name, IStorage **att)
{
    *root = NULL;
    *att = NULL;
    CHECK_OK(StgOpenStorage(copy_path, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, root));
    if (!*root)
        return NULL;
    *att = open_sub(*root, att_name, RO);
    return *att ? open_sub(*att, OBJECT_STORAGE, RO) : NULL;
}

static void release3(IStorage *a, IStorage *b, IStorage *c)
{
    if (a)
        a->lpVtbl->Release(a);
    if (b)
        b->lpVtbl->Release(b);
    if (c)
        c->lpVtbl->Release(c);
}

/* The Unicode message of file 1 (after its changes) holds an 8-bit embedded message in code
   page 1251: copied into an 8-bit file it stays 8-bit with the same bytes; into a Unicode
   file it becomes Unicode, decoded through its own code page. */
static void copy_unicode_outer(int dst_unicode)
{
    IStorage *root, *att, *obj;
    copy_file(path1, dst_unicode ? MAPI_UNICODE : 0);
    obj = copied_embedded(&root, "__attach_version1.0_#00000000", &att);
    CHECK(obj != NULL);
    if (obj) {
        CHECK(stored_unicode_ok(obj, 24) == dst_unicode);
        if (dst_unicode) {
            CHECK(stream_is_w(obj, "__substg1.0_0037001F", u"Пока"));
            CHECK(stream_is_w(obj, "__substg1.0_1000001F", u"Новое тело"));
            CHECK(stream_absent(obj, "__substg1.0_0037001E"));
        } else {
            CHECK(stream_is_a(obj, "__substg1.0_0037001E", CP_POKA));
            CHECK(stream_is_a(obj, "__substg1.0_1000001E", CP_NEW_BODY));
            CHECK(stream_absent(obj, "__substg1.0_0037001F"));
        }
        CHECK(sub_string_is(obj, "__recip_version1.0_#00000000", dst_unicode, "3001", CP_IVAN, u"Иван"));
        CHECK(sub_string_is(obj, "__recip_version1.0_#00000001", dst_unicode, "3001", CP_PYOTR, u"Пётр"));
        CHECK(sub_string_is(obj, "__attach_version1.0_#00000000", dst_unicode, "3707", CP_FILE, u"файл.txt"));
    }
    release3(obj, att, root);
}

/* The 8-bit message of file 2 (code page 1251, before its changes) holds a Unicode embedded
   message whose subject code page 1251 cannot hold, and an 8-bit one: the Unicode one stays
   Unicode with its text whole, the 8-bit one stays 8-bit in an 8-bit file. */
static void copy_8bit_outer(int dst_unicode)
{
    IStorage *root, *att, *obj;
    copy_file(path2, dst_unicode ? MAPI_UNICODE : 0);
    obj = copied_embedded(&root, "__attach_version1.0_#00000000", &att);
    CHECK(obj != NULL);
    if (obj) {
        CHECK(stored_unicode_ok(obj, 24) == 1);
        CHECK(stream_is_w(obj, "__substg1.0_0037001F", U_MIXED));
        CHECK(stream_absent(obj, "__substg1.0_0037001E"));
        CHECK(sub_string_is(obj, "__recip_version1.0_#00000000", 1, "3001", NULL, u"Жора"));
    }
    if (root && !dst_unicode)
        CHECK(stream_is_a(root, "__substg1.0_0037001E", CP_BOX));
    release3(obj, att, root);
    obj = copied_embedded(&root, "__attach_version1.0_#00000001", &att);
    CHECK(obj != NULL);
    if (obj) {
        CHECK(stored_unicode_ok(obj, 24) == dst_unicode);
        if (dst_unicode)
            CHECK(stream_is_w(obj, "__substg1.0_0037001F", u"Щука"));
        else
            CHECK(stream_is_a(obj, "__substg1.0_0037001E", CP_SHCHUKA));
    }
    release3(obj, att, root);
}

int main(void)
{
    char path[256];
    if (!test_dir_create("imsg-widths"))
        return 1;
    test_path("unicode-outer.msg", path, path1);
    test_path("8bit-outer.msg", path, path2);
    test_path("copy.msg", path, copy_path);

    build_unicode_outer(path1);
    write_8bit_embedded(path1);
    read_unicode_outer(path1);
    modify_outer_only(path1);
    check_disk_unicode_outer(path1, 0);
    modify_embedded_8bit(path1);
    check_disk_unicode_outer(path1, 1);
    read_unicode_outer_after(path1);
    copy_unicode_outer(0);
    copy_unicode_outer(1);

    build_8bit_outer(path2);
    check_disk_8bit_outer(path2, 0);
    read_8bit_outer(path2);
    copy_8bit_outer(0);
    copy_8bit_outer(1);
    modify_8bit_outer(path2);
    check_disk_8bit_outer(path2, 1);

    test_dir_remove();
    return check_report("widths");
}
