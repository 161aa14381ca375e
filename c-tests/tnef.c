/* tnef.c - TNEF at the C boundary (tnef.h): a message built here encoded with
   OpenTnefStream(TNEF_ENCODE) and decoded back into a new message made with OpenIMsgOnIStg
   (subject, body, importance, class, a named property by name, recipients, an attachment's
   name and bytes, an embedded message); TNEF_PURE leaves no legacy attribute; a stream
   written here byte by byte in the legacy form (cp1252 text, an attachment, a checksum
   gone wrong) decodes with the right values and problem array; GetTnefStreamCodepage;
   OpenTaggedBody, read and written; and the SCODEs of NULL pointers, unknown flags and calls in the wrong
   mode, all through the C interface form (lpVtbl). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "imessage.h"
#include "tnef.h"
#include "testdir.h"
#include "wide.h"

_Static_assert(sizeof(STnefProblem) == 16, "STnefProblem is four ULONGs");
_Static_assert(TNEF_ENCODE == 2 && TNEF_PURE == 0x10000 && TNEF_BEST_DATA == 0x40000, "flags");
_Static_assert(attSubject == 0x00018004 && attMAPIProps == 0x00069003 &&
                   attAttachment == 0x00069005 && attOemCodepage == 0x00069007,
               "attribute ids");
_Static_assert(sizeof(RENDDATA) == 14 && sizeof(DTR) == 14 && sizeof(TRP) == 8, "structures");

#define KEY 0x1234
static const WCHAR SUBJECT[] = {'R', 'e', 'p', 'o', 'r', 't', ' ', 0xE9, 0x263A, 0};

static LARGE_INTEGER li(LONGLONG v)
{
    LARGE_INTEGER r;
    r.QuadPart = v;
    return r;
}

static IStream *memory_stream(const void *data, ULONG cb)
{
    IStream *stm = NULL;
    ULONG written = 0;
    CHECK_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
    if (stm && cb) {
        CHECK_OK(stm->lpVtbl->Write(stm, data, cb, &written));
        CHECK(written == cb);
    }
    if (stm)
        CHECK_OK(stm->lpVtbl->Seek(stm, li(0), STREAM_SEEK_SET, NULL));
    return stm;
}

static ULONG read_all(IStream *stm, unsigned char **out)
{
    ULONG cap = 1 << 16, len = 0, got = 0;
    unsigned char *buf = (unsigned char *)malloc(cap + 1);
    stm->lpVtbl->Seek(stm, li(0), STREAM_SEEK_SET, NULL);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = (unsigned char *)realloc(buf, cap + 1);
        }
        if (stm->lpVtbl->Read(stm, buf + len, cap - len, &got) != S_OK || got == 0)
            break;
        len += got;
    }
    buf[len] = 0;
    *out = buf;
    return len;
}

static int count = 0;

/* Says what a problem array holds (when a check about it fails, this says why). */
static void print_problems(const char *where, LPSTnefProblemArray p)
{
    ULONG i;
    for (i = 0; p && i < p->cProblem; i++)
        fprintf(stderr, "%s: problem component %lu attribute 0x%08lX tag 0x%08lX scode 0x%08lX\n",
                where, (unsigned long)p->aProblem[i].ulComponent,
                (unsigned long)p->aProblem[i].ulAttribute, (unsigned long)p->aProblem[i].ulPropTag,
                (unsigned long)(ULONG)p->aProblem[i].scode);
}

static LPMESSAGE new_message(IStorage **stg)
{
    char path[256];
    WCHAR wpath[256];
    LPMESSAGE msg = NULL;
    char name[32];
    snprintf(name, sizeof(name), "m%d.msg", count++);
    test_path(name, path, wpath);
    *stg = NULL;
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, stg));
    if (!*stg)
        return NULL;
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, *stg, NULL, 0, MAPI_UNICODE, &msg));
    return msg;
}

static void close_message(LPMESSAGE msg, IStorage *stg)
{
    if (msg)
        msg->lpVtbl->Release(msg);
    if (stg)
        stg->lpVtbl->Release(stg);
}

static ULONG named_tag(LPMESSAGE msg, ULONG flags)
{
    MAPINAMEID name, *names[1];
    LPSPropTagArray tags = NULL;
    ULONG tag = 0;
    name.lpguid = (LPGUID)&PS_PUBLIC_STRINGS;
    name.ulKind = MNID_STRING;
    name.Kind.lpwstrName = W("x-tnef-test");
    names[0] = &name;
    if (msg->lpVtbl->GetIDsFromNames(msg, 1, names, flags, &tags) == S_OK && tags) {
        tag = tags->aulPropTag[0];
        MAPIFreeBuffer(tags);
    }
    return PROP_TYPE(tag) == PT_ERROR ? 0 : PROP_TAG(PT_UNICODE, PROP_ID(tag));
}

static LPSPropValue get(LPMAPIPROP obj, ULONG tag)
{
    LPSPropValue v = NULL;
    if (HrGetOneProp(obj, tag, &v) != S_OK)
        return NULL;
    return v;
}

static const unsigned char *attach_bytes(void)
{
    static unsigned char data[3000];
    int i;
    for (i = 0; i < 3000; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    return data;
}

/* Subject, body, class, importance, a named property, two recipients, an attachment by
   value at rendering position 0, an embedded message. */
static void build(LPMESSAGE msg)
{
    SPropValue p[5];
    LPATTACH att = NULL;
    LPMESSAGE inner = NULL;
    ULONG num = 0;
    ULONG named = named_tag(msg, MAPI_CREATE);
    ADRLIST *list = NULL;
    int i;
    CHECK(named != 0);
    p[0].ulPropTag = PR_SUBJECT_W;
    p[0].Value.lpszW = (LPWSTR)SUBJECT;
    p[1].ulPropTag = PR_BODY_W;
    p[1].Value.lpszW = W("X Body text.");
    p[2].ulPropTag = PR_MESSAGE_CLASS_W;
    p[2].Value.lpszW = W("IPM.Note");
    p[3].ulPropTag = PR_IMPORTANCE;
    p[3].Value.l = IMPORTANCE_HIGH;
    p[4].ulPropTag = named;
    p[4].Value.lpszW = W("named value");
    CHECK_OK(msg->lpVtbl->SetProps(msg, 5, p, NULL));

    CHECK_OK(MAPIAllocateBuffer(CbNewADRLIST(2), (LPVOID *)&list));
    list->cEntries = 2;
    for (i = 0; i < 2; i++) {
        LPSPropValue r = NULL;
        CHECK_OK(MAPIAllocateBuffer(4 * sizeof(SPropValue), (LPVOID *)&r));
        r[0].ulPropTag = PR_DISPLAY_NAME_W;
        r[0].Value.lpszW = W(i ? "Bob" : "Alice");
        r[1].ulPropTag = PR_EMAIL_ADDRESS_W;
        r[1].Value.lpszW = W(i ? "bob@example.com" : "alice@example.com");
        r[2].ulPropTag = PR_ADDRTYPE_W;
        r[2].Value.lpszW = W("SMTP");
        r[3].ulPropTag = PR_RECIPIENT_TYPE;
        r[3].Value.l = i ? MAPI_CC : MAPI_TO;
        list->aEntries[i].cValues = 4;
        list->aEntries[i].rgPropVals = r;
    }
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, 0, list));
    FreePadrlist(list);

    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    if (att) {
        p[0].ulPropTag = PR_ATTACH_METHOD;
        p[0].Value.l = ATTACH_BY_VALUE;
        p[1].ulPropTag = PR_ATTACH_LONG_FILENAME_W;
        p[1].Value.lpszW = W("report.txt");
        p[2].ulPropTag = PR_ATTACH_DATA_BIN;
        p[2].Value.bin.cb = 3000;
        p[2].Value.bin.lpb = (LPBYTE)attach_bytes();
        p[3].ulPropTag = PR_RENDERING_POSITION;
        p[3].Value.l = 0;
        CHECK_OK(att->lpVtbl->SetProps(att, 4, p, NULL));
        CHECK_OK(att->lpVtbl->SaveChanges(att, KEEP_OPEN_READWRITE));
        att->lpVtbl->Release(att);
    }
    att = NULL;
    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    if (att) {
        p[0].ulPropTag = PR_ATTACH_METHOD;
        p[0].Value.l = ATTACH_EMBEDDED_MSG;
        CHECK_OK(att->lpVtbl->SetProps(att, 1, p, NULL));
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0,
                                           MAPI_CREATE | MAPI_MODIFY, (LPUNKNOWN *)&inner));
        if (inner) {
            p[0].ulPropTag = PR_SUBJECT_W;
            p[0].Value.lpszW = W("inner subject");
            CHECK_OK(inner->lpVtbl->SetProps(inner, 1, p, NULL));
            CHECK_OK(inner->lpVtbl->SaveChanges(inner, KEEP_OPEN_READWRITE));
            inner->lpVtbl->Release(inner);
        }
        CHECK_OK(att->lpVtbl->SaveChanges(att, KEEP_OPEN_READWRITE));
        att->lpVtbl->Release(att);
    }
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
}

static IStream *encode(LPMESSAGE msg, ULONG mode)
{
    IStream *stm = memory_stream(NULL, 0);
    LPITNEF tnef = NULL;
    WORD key = 0;
    LPSTnefProblemArray problems = NULL;
    SizedSPropTagArray(1, none) = {0, {0}};
    CHECK_OK(OpenTnefStream(NULL, stm, (LPSTR) "winmail.dat", TNEF_ENCODE | mode, msg, KEY, &tnef));
    if (!tnef)
        return stm;
    CHECK_OK(tnef->lpVtbl->AddProps(tnef, TNEF_PROP_EXCLUDE, 0, NULL, (LPSPropTagArray)&none));
    CHECK_OK(tnef->lpVtbl->Finish(tnef, 0, &key, &problems));
    CHECK(problems == NULL);
    print_problems("encode", problems);
    if (problems)
        MAPIFreeBuffer(problems);
    CHECK(key == KEY);
    CHECK(tnef->lpVtbl->Release(tnef) == 0);
    return stm;
}

/* Decodes `stm` from its start into a new message; returns the problem count. */
static int decode(IStream *stm, LPMESSAGE msg, HRESULT want)
{
    LPITNEF tnef = NULL;
    LPSTnefProblemArray problems = NULL;
    int n = -1;
    stm->lpVtbl->Seek(stm, li(0), STREAM_SEEK_SET, NULL);
    CHECK_OK(OpenTnefStreamEx(NULL, stm, (LPSTR) "winmail.dat", TNEF_DECODE, msg, 0, NULL, &tnef));
    if (!tnef)
        return -1;
    CHECK_HR(tnef->lpVtbl->ExtractProps(tnef, TNEF_PROP_EXCLUDE, NULL, &problems), want);
    n = problems ? (int)problems->cProblem : 0;
    if (want == S_OK)
        print_problems("decode", problems);
    if (problems)
        MAPIFreeBuffer(problems);
    CHECK_OK(tnef->lpVtbl->Finish(tnef, 0, NULL, NULL));
    tnef->lpVtbl->Release(tnef);
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
    return n;
}

static int wide_equal(const WCHAR *a, const WCHAR *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* TNEF_COMPATIBILITY writes the subject in its legacy attribute only, in the stream's code
   page (1252): the character it lacks comes back as '?'. */
static const WCHAR SUBJECT_1252[] = {'R', 'e', 'p', 'o', 'r', 't', ' ', 0xE9, '?', 0};

static void check_decoded(LPMESSAGE msg, ULONG mode)
{
    LPSPropValue v;
    LPMAPITABLE table = NULL;
    LPSRowSet rows = NULL;
    ULONG named = named_tag(msg, 0);
    SizedSPropTagArray(2, acols) = {2, {PR_ATTACH_NUM, PR_ATTACH_METHOD}};
    SizedSPropTagArray(1, rcols) = {1, {PR_DISPLAY_NAME_W}};

    v = get((LPMAPIPROP)msg, PR_SUBJECT_W);
    CHECK(v && wide_equal(v->Value.lpszW, mode == TNEF_COMPATIBILITY ? SUBJECT_1252 : SUBJECT));
    MAPIFreeBuffer(v);
    v = get((LPMAPIPROP)msg, PR_BODY_W);
    CHECK(v && wide_eq(v->Value.lpszW, "X Body text."));
    MAPIFreeBuffer(v);
    v = get((LPMAPIPROP)msg, PR_MESSAGE_CLASS_W);
    CHECK(v && wide_eq(v->Value.lpszW, "IPM.Note"));
    MAPIFreeBuffer(v);
    v = get((LPMAPIPROP)msg, PR_IMPORTANCE);
    CHECK(v && v->Value.l == IMPORTANCE_HIGH);
    MAPIFreeBuffer(v);
    CHECK(named != 0);
    v = named ? get((LPMAPIPROP)msg, named) : NULL;
    CHECK(v && wide_eq(v->Value.lpszW, "named value"));
    MAPIFreeBuffer(v);

    CHECK_OK(msg->lpVtbl->GetRecipientTable(msg, MAPI_UNICODE, &table));
    if (table) {
        CHECK_OK(HrQueryAllRows(table, (LPSPropTagArray)&rcols, NULL, NULL, 0, &rows));
        CHECK(rows && rows->cRows == 2);
        if (rows && rows->cRows == 2) {
            CHECK(wide_eq(rows->aRow[0].lpProps[0].Value.lpszW, "Alice"));
            CHECK(wide_eq(rows->aRow[1].lpProps[0].Value.lpszW, "Bob"));
        }
        FreeProws(rows);
        rows = NULL;
        table->lpVtbl->Release(table);
    }
    table = NULL;
    CHECK_OK(msg->lpVtbl->GetAttachmentTable(msg, 0, &table));
    if (!table)
        return;
    CHECK_OK(HrQueryAllRows(table, (LPSPropTagArray)&acols, NULL, NULL, 0, &rows));
    table->lpVtbl->Release(table);
    CHECK(rows && rows->cRows == 2);
    if (rows && rows->cRows == 2) {
        LPATTACH a = NULL;
        LPMESSAGE inner = NULL;
        CHECK_OK(msg->lpVtbl->OpenAttach(msg, rows->aRow[0].lpProps[0].Value.l, NULL, 0, &a));
        if (a) {
            v = get((LPMAPIPROP)a, PR_ATTACH_LONG_FILENAME_W);
            CHECK(v && wide_eq(v->Value.lpszW, "report.txt"));
            MAPIFreeBuffer(v);
            v = get((LPMAPIPROP)a, PR_ATTACH_DATA_BIN);
            CHECK(v && v->Value.bin.cb == 3000 && memcmp(v->Value.bin.lpb, attach_bytes(), 3000) == 0);
            MAPIFreeBuffer(v);
            a->lpVtbl->Release(a);
        }
        a = NULL;
        CHECK(rows->aRow[1].lpProps[1].Value.l == ATTACH_EMBEDDED_MSG);
        CHECK_OK(msg->lpVtbl->OpenAttach(msg, rows->aRow[1].lpProps[0].Value.l, NULL, 0, &a));
        if (a) {
            CHECK_OK(a->lpVtbl->OpenProperty(a, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0,
                                             (LPUNKNOWN *)&inner));
            if (inner) {
                v = get((LPMAPIPROP)inner, PR_SUBJECT_W);
                CHECK(v && wide_eq(v->Value.lpszW, "inner subject"));
                MAPIFreeBuffer(v);
                inner->lpVtbl->Release(inner);
            }
            a->lpVtbl->Release(a);
        }
    }
    FreeProws(rows);
}

/* The attribute ids of a stream's records, in order; returns how many. */
static int record_ids(const unsigned char *b, ULONG n, ULONG *ids, int max)
{
    ULONG pos = 6;
    int k = 0;
    while (pos + 9 <= n && k < max) {
        ULONG id = b[pos + 1] | b[pos + 2] << 8 | b[pos + 3] << 16 | (ULONG)b[pos + 4] << 24;
        ULONG len = b[pos + 5] | b[pos + 6] << 8 | b[pos + 7] << 16 | (ULONG)b[pos + 8] << 24;
        ids[k++] = id;
        pos += 9 + len + 2;
    }
    return k;
}

static int has_id(const ULONG *ids, int n, ULONG id)
{
    int i;
    for (i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* ExtractProps with TNEF_PROP_INCLUDE: only the properties listed reach the message. */
static void test_decode_some(IStream *stm)
{
    IStorage *s = NULL;
    LPMESSAGE m = new_message(&s);
    LPITNEF tnef = NULL;
    LPMAPITABLE table = NULL;
    LPSPropValue v;
    ULONG rows = 99;
    SizedSPropTagArray(2, some) = {2, {PR_SUBJECT_W, PR_IMPORTANCE}};
    if (!m)
        return;
    stm->lpVtbl->Seek(stm, li(0), STREAM_SEEK_SET, NULL);
    CHECK_OK(OpenTnefStream(NULL, stm, (LPSTR) "winmail.dat", TNEF_DECODE, m, 0, &tnef));
    if (tnef) {
        CHECK_OK(tnef->lpVtbl->ExtractProps(tnef, TNEF_PROP_INCLUDE, (LPSPropTagArray)&some, NULL));
        tnef->lpVtbl->Release(tnef);
    }
    CHECK_OK(m->lpVtbl->SaveChanges(m, KEEP_OPEN_READWRITE));
    v = get((LPMAPIPROP)m, PR_SUBJECT_W);
    CHECK(v && wide_equal(v->Value.lpszW, SUBJECT));
    MAPIFreeBuffer(v);
    v = get((LPMAPIPROP)m, PR_IMPORTANCE);
    CHECK(v && v->Value.l == IMPORTANCE_HIGH);
    MAPIFreeBuffer(v);
    CHECK(get((LPMAPIPROP)m, PR_BODY_W) == NULL);
    CHECK_OK(m->lpVtbl->GetAttachmentTable(m, 0, &table));
    if (table) {
        CHECK_OK(table->lpVtbl->GetRowCount(table, 0, &rows));
        CHECK(rows == 0);
        table->lpVtbl->Release(table);
    }
    close_message(m, s);
}

static void test_round_trip(ULONG mode)
{
    IStorage *s1 = NULL, *s2 = NULL;
    LPMESSAGE m1 = new_message(&s1), m2;
    IStream *stm;
    unsigned char *bytes = NULL;
    ULONG n, ids[64], cp = 0, sub = 99;
    int k;
    if (!m1)
        return;
    build(m1);
    stm = encode(m1, mode);
    n = read_all(stm, &bytes);
    CHECK(n > 3000);
    CHECK(bytes[0] == 0x78 && bytes[1] == 0x9F && bytes[2] == 0x3E && bytes[3] == 0x22);
    CHECK(bytes[4] == 0x34 && bytes[5] == 0x12);
    k = record_ids(bytes, n, ids, 64);
    CHECK(k >= 3 && ids[0] == attTnefVersion && ids[1] == attOemCodepage);
    CHECK(has_id(ids, k, attMAPIProps) && has_id(ids, k, attRecipTable));
    CHECK(has_id(ids, k, attAttachRenddata) && has_id(ids, k, attAttachment));
    if (mode == TNEF_PURE) {
        CHECK(!has_id(ids, k, attSubject) && !has_id(ids, k, attBody));
        CHECK(!has_id(ids, k, attAttachData) && !has_id(ids, k, attAttachTitle));
    } else {
        CHECK(has_id(ids, k, attSubject) && has_id(ids, k, attMessageClass));
        CHECK(has_id(ids, k, attAttachTitle) && has_id(ids, k, attAttachData));
    }
    free(bytes);
    stm->lpVtbl->Seek(stm, li(0), STREAM_SEEK_SET, NULL);
    CHECK_OK(GetTnefStreamCodepage(stm, &cp, &sub));
    CHECK(cp == 1252 && sub == 0);
    m2 = new_message(&s2);
    if (m2) {
        CHECK(decode(stm, m2, S_OK) == 0);
        check_decoded(m2, mode);
    }
    close_message(m2, s2);
    if (mode == 0)
        test_decode_some(stm);
    stm->lpVtbl->Release(stm);
    close_message(m1, s1);
}

/* Appends one attribute record (checksum right unless `bad`). */
static ULONG put_record(unsigned char *b, ULONG pos, BYTE level, ULONG id, const void *data,
                        ULONG len, int bad)
{
    ULONG i, sum = 0;
    b[pos] = level;
    memcpy(b + pos + 1, &id, 4);
    memcpy(b + pos + 5, &len, 4);
    memcpy(b + pos + 9, data, len);
    for (i = 0; i < len; i++)
        sum += ((const unsigned char *)data)[i];
    if (bad)
        sum++;
    b[pos + 9 + len] = (unsigned char)sum;
    b[pos + 10 + len] = (unsigned char)(sum >> 8);
    return pos + 11 + len;
}

static ULONG legacy_stream(unsigned char *b, int bad_subject)
{
    static const unsigned char cp[8] = {0xE4, 0x04, 0, 0, 0, 0, 0, 0};
    static const unsigned char version[4] = {0, 0, 1, 0};
    static const unsigned char rend[14] = {1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0};
    ULONG pos = 6;
    b[0] = 0x78, b[1] = 0x9F, b[2] = 0x3E, b[3] = 0x22, b[4] = 0x01, b[5] = 0x00;
    pos = put_record(b, pos, LVL_MESSAGE, attTnefVersion, version, 4, 0);
    pos = put_record(b, pos, LVL_MESSAGE, attOemCodepage, cp, 8, 0);
    pos = put_record(b, pos, LVL_MESSAGE, attMessageClass, "IPM.Microsoft Mail.Note", 24, 0);
    pos = put_record(b, pos, LVL_MESSAGE, attSubject, "Legacy caf\xE9", 12, bad_subject);
    pos = put_record(b, pos, LVL_MESSAGE, attBody, "Hello from 1995", 15, 0);
    pos = put_record(b, pos, LVL_ATTACHMENT, attAttachRenddata, rend, 14, 0);
    pos = put_record(b, pos, LVL_ATTACHMENT, attAttachTitle, "a.txt", 6, 0);
    pos = put_record(b, pos, LVL_ATTACHMENT, attAttachData, "hello", 5, 0);
    return pos;
}

static void test_legacy(void)
{
    unsigned char b[512];
    int bad;
    for (bad = 0; bad < 2; bad++) {
        ULONG n = legacy_stream(b, bad), cp = 0, sub = 7;
        IStream *stm = memory_stream(b, n);
        IStorage *s = NULL;
        LPMESSAGE m = new_message(&s);
        LPITNEF tnef = NULL;
        LPSTnefProblemArray problems = NULL;
        LPSPropValue v;
        SizedSPropTagArray(1, cols) = {1, {PR_ATTACH_NUM}};
        LPMAPITABLE table = NULL;
        LPSRowSet rows = NULL;
        static const WCHAR want[] = {'L', 'e', 'g', 'a', 'c', 'y', ' ', 'c', 'a', 'f', 0xE9, 0};
        CHECK_OK(GetTnefStreamCodepage(stm, &cp, &sub));
        CHECK(cp == 1252 && sub == 0);
        if (!m)
            continue;
        CHECK_OK(OpenTnefStream(NULL, stm, NULL, TNEF_DECODE, m, 0, &tnef));
        if (!tnef)
            continue;
        CHECK_HR(tnef->lpVtbl->ExtractProps(tnef, 0, NULL, &problems),
                 bad ? MAPI_W_ERRORS_RETURNED : S_OK);
        if (bad) {
            CHECK(problems && problems->cProblem == 1);
            if (problems && problems->cProblem == 1) {
                CHECK(problems->aProblem[0].ulComponent == 0);
                CHECK(problems->aProblem[0].ulAttribute == attSubject);
                CHECK(problems->aProblem[0].scode == MAPI_E_CORRUPT_DATA);
            }
        } else {
            CHECK(problems == NULL);
        }
        print_problems(bad ? "legacy (bad checksum)" : "legacy", problems);
        if (problems)
            MAPIFreeBuffer(problems);
        tnef->lpVtbl->Release(tnef);
        /* The attachment table shows the message as last saved. */
        CHECK_OK(m->lpVtbl->SaveChanges(m, KEEP_OPEN_READWRITE));
        v = get((LPMAPIPROP)m, PR_SUBJECT_W);
        CHECK(v && wide_equal(v->Value.lpszW, want));
        MAPIFreeBuffer(v);
        v = get((LPMAPIPROP)m, PR_MESSAGE_CLASS_W);
        CHECK(v && wide_eq(v->Value.lpszW, "IPM.Note"));
        MAPIFreeBuffer(v);
        v = get((LPMAPIPROP)m, PR_BODY_W);
        CHECK(v && wide_eq(v->Value.lpszW, "Hello from 1995"));
        MAPIFreeBuffer(v);
        CHECK_OK(m->lpVtbl->GetAttachmentTable(m, 0, &table));
        if (table) {
            CHECK_OK(HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
            CHECK(rows && rows->cRows == 1);
            if (rows && rows->cRows == 1) {
                LPATTACH a = NULL;
                CHECK_OK(m->lpVtbl->OpenAttach(m, rows->aRow[0].lpProps[0].Value.l, NULL, 0, &a));
                if (a) {
                    v = get((LPMAPIPROP)a, PR_ATTACH_FILENAME_W);
                    CHECK(v && wide_eq(v->Value.lpszW, "a.txt"));
                    MAPIFreeBuffer(v);
                    v = get((LPMAPIPROP)a, PR_ATTACH_DATA_BIN);
                    CHECK(v && v->Value.bin.cb == 5 && memcmp(v->Value.bin.lpb, "hello", 5) == 0);
                    MAPIFreeBuffer(v);
                    a->lpVtbl->Release(a);
                }
            }
            FreeProws(rows);
            table->lpVtbl->Release(table);
        }
        close_message(m, s);
        stm->lpVtbl->Release(stm);
    }
}

/* The attachments' PR_RENDERING_POSITION in table order (-2: not set). */
static void positions(LPMESSAGE m, LONG out[2])
{
    SizedSPropTagArray(1, cols) = {1, {PR_ATTACH_NUM}};
    LPMAPITABLE table = NULL;
    LPSRowSet rows = NULL;
    ULONG i;
    out[0] = out[1] = -2;
    CHECK_OK(m->lpVtbl->GetAttachmentTable(m, 0, &table));
    if (!table)
        return;
    CHECK_OK(HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
    CHECK(rows && rows->cRows == 2);
    /* Read from each attachment: the table shows the message as last saved. */
    for (i = 0; rows && i < rows->cRows && i < 2; i++) {
        LPATTACH a = NULL;
        LPSPropValue v;
        CHECK_OK(m->lpVtbl->OpenAttach(m, rows->aRow[i].lpProps[0].Value.l, NULL, 0, &a));
        if (!a)
            continue;
        v = get((LPMAPIPROP)a, PR_RENDERING_POSITION);
        if (v)
            out[i] = v->Value.l;
        MAPIFreeBuffer(v);
        a->lpVtbl->Release(a);
    }
    FreeProws(rows);
    table->lpVtbl->Release(table);
}

static void write_text(IStream *body, const char *text)
{
    ULONG written = 0;
    CHECK_OK(body->lpVtbl->Write(body, text, (ULONG)strlen(text), &written));
    CHECK(written == strlen(text));
}

static void check_body(LPMESSAGE m, const char *want)
{
    LPSPropValue v = get((LPMAPIPROP)m, PR_BODY_W);
    CHECK(v && wide_eq(v->Value.lpszW, want));
    MAPIFreeBuffer(v);
}

/* Writing tagged text: each tag of an attachment becomes one space and moves the
   attachment's rendering position there; other text, and tags naming no attachment, stay. */
static void test_tagged_write(LPITNEF tnef, LPMESSAGE m)
{
    IStream *body = NULL;
    unsigned char *text = NULL;
    LONG pos[2];
    STATSTG st;
    ULARGE_INTEGER zero = {{0, 0}};

    /* MAPI_MODIFY: the tagged text to start from, replaced here, given back at Commit. */
    CHECK_OK(tnef->lpVtbl->OpenTaggedBody(tnef, m, MAPI_MODIFY, &body));
    if (body) {
        read_all(body, &text);
        CHECK(strcmp((char *)text, "[[ report.txt : 4660 in winmail.dat ]] Body text.") == 0);
        free(text);
        CHECK_OK(body->lpVtbl->Stat(body, &st, STATFLAG_NONAME));
        CHECK(st.grfMode == STGM_READWRITE);
        CHECK_OK(body->lpVtbl->Seek(body, li(0), STREAM_SEEK_SET, NULL));
        CHECK_OK(body->lpVtbl->SetSize(body, zero));
        write_text(body, "Hi. [[ report.txt : 4660 in winmail.dat ]] end [[ inner : 4661 in "
                         "winmail.dat ]]. [[ nope : 9 in x ]]");
        /* Nothing changes before Commit. */
        check_body(m, "X Body text.");
        CHECK_OK(body->lpVtbl->Commit(body, STGC_DEFAULT));
        check_body(m, "Hi.   end  . [[ nope : 9 in x ]]");
        positions(m, pos);
        CHECK(pos[0] == 4 && pos[1] == 10);
        body->lpVtbl->Release(body);
        body = NULL;
    }
    /* Read back tagged (from the attachment table, which shows the message as last saved):
       the text as written, the tags where they were. */
    CHECK_OK(m->lpVtbl->SaveChanges(m, KEEP_OPEN_READWRITE));
    CHECK_OK(tnef->lpVtbl->OpenTaggedBody(tnef, m, 0, &body));
    if (body) {
        read_all(body, &text);
        CHECK(strcmp((char *)text, "Hi. [[ report.txt : 4660 in winmail.dat ]] end [[  : 4661 in "
                                   "winmail.dat ]]. [[ nope : 9 in x ]]") == 0);
        free(text);
        body->lpVtbl->Release(body);
        body = NULL;
    }

    /* MAPI_CREATE | MAPI_MODIFY: starts empty; the last Release writes what was not
       committed. */
    CHECK_OK(tnef->lpVtbl->OpenTaggedBody(tnef, m, MAPI_CREATE | MAPI_MODIFY, &body));
    if (body) {
        CHECK(read_all(body, &text) == 0);
        free(text);
        write_text(body, "New [[ report.txt : 4660 in winmail.dat ]]");
        CHECK(body->lpVtbl->Release(body) == 0);
        check_body(m, "New  ");
        positions(m, pos);
        CHECK(pos[0] == 4 && pos[1] == 10);
    }
    /* The written message saves and reads back as written. */
    CHECK_OK(m->lpVtbl->SaveChanges(m, KEEP_OPEN_READWRITE));
    check_body(m, "New  ");
}

static void test_tagged_body(void)
{
    IStorage *s = NULL;
    LPMESSAGE m = new_message(&s);
    IStream *stm = memory_stream(NULL, 0), *body = NULL;
    LPITNEF tnef = NULL;
    unsigned char *text = NULL;
    if (!m)
        return;
    build(m);
    CHECK_OK(OpenTnefStream(NULL, stm, (LPSTR) "winmail.dat", TNEF_ENCODE, m, KEY, &tnef));
    if (tnef) {
        CHECK_OK(tnef->lpVtbl->OpenTaggedBody(tnef, m, 0, &body));
        if (body) {
            read_all(body, &text);
            CHECK(strcmp((char *)text, "[[ report.txt : 4660 in winmail.dat ]] Body text.") == 0);
            free(text);
            body->lpVtbl->Release(body);
        }
        test_tagged_write(tnef, m);
        body = (IStream *)1;
        CHECK_HR(tnef->lpVtbl->OpenTaggedBody(tnef, m, MAPI_CREATE, &body), MAPI_E_INVALID_PARAMETER);
        CHECK(body == NULL);
        body = (IStream *)1;
        CHECK_HR(tnef->lpVtbl->OpenTaggedBody(tnef, m, 0x100, &body), MAPI_E_UNKNOWN_FLAGS);
        CHECK(body == NULL);
        CHECK_HR(tnef->lpVtbl->OpenTaggedBody(tnef, m, 0, NULL), MAPI_E_INVALID_PARAMETER);
        tnef->lpVtbl->Release(tnef);
    }
    stm->lpVtbl->Release(stm);
    close_message(m, s);
}

static void test_errors(void)
{
    IStorage *s = NULL;
    LPMESSAGE m = new_message(&s);
    IStream *stm = memory_stream("not a TNEF stream", 17);
    LPITNEF tnef = (LPITNEF)1;
    LPSTnefProblemArray problems = NULL;
    ULONG cp = 0;
    LPUNKNOWN unk = NULL;
    SPropValue v;
    if (!m)
        return;
    CHECK_HR(OpenTnefStream(NULL, stm, NULL, TNEF_DECODE, m, 0, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(OpenTnefStream(NULL, NULL, NULL, TNEF_DECODE, m, 0, &tnef), MAPI_E_INVALID_PARAMETER);
    CHECK(tnef == NULL);
    CHECK_HR(OpenTnefStream(NULL, stm, NULL, TNEF_DECODE, NULL, 0, &tnef), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(OpenTnefStream(NULL, stm, NULL, 0x100, m, 0, &tnef), MAPI_E_UNKNOWN_FLAGS);
    CHECK_HR(OpenTnefStream(NULL, stm, NULL, TNEF_ENCODE | TNEF_PURE | TNEF_COMPATIBILITY, m, 1, &tnef),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(OpenTnefStream(NULL, stm, NULL, TNEF_ENCODE, m, 0, &tnef), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(OpenTnefStream(NULL, stm, (LPSTR) "a:b", TNEF_ENCODE, m, 1, &tnef),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(GetTnefStreamCodepage(stm, &cp, NULL), MAPI_E_CORRUPT_DATA);
    CHECK_HR(GetTnefStreamCodepage(stm, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(GetTnefStreamCodepage(NULL, &cp, NULL), MAPI_E_INVALID_PARAMETER);

    /* Decoding object: the encoding methods are refused; garbage is corrupt data. */
    CHECK_OK(OpenTnefStream(NULL, stm, NULL, TNEF_DECODE, m, 0, &tnef));
    if (tnef) {
        CHECK_OK(tnef->lpVtbl->QueryInterface(tnef, &IID_ITNEF, (void **)&unk));
        CHECK(unk == (LPUNKNOWN)tnef);
        if (unk)
            unk->lpVtbl->Release(unk);
        CHECK_HR(tnef->lpVtbl->QueryInterface(tnef, &IID_IMessage, (void **)&unk),
                 MAPI_E_INTERFACE_NOT_SUPPORTED);
        CHECK_HR(tnef->lpVtbl->AddProps(tnef, TNEF_PROP_EXCLUDE, 0, NULL, NULL),
                 MAPI_E_INVALID_PARAMETER);
        v.ulPropTag = PR_IMPORTANCE;
        v.Value.l = 0;
        CHECK_HR(tnef->lpVtbl->SetProps(tnef, 0, 0, 1, &v), MAPI_E_INVALID_PARAMETER);
        CHECK_HR(tnef->lpVtbl->EncodeRecips(tnef, 0, NULL), MAPI_E_INVALID_PARAMETER);
        CHECK_HR(tnef->lpVtbl->FinishComponent(tnef, TNEF_COMPONENT_MESSAGE, 0, NULL, NULL, NULL, NULL),
                 MAPI_E_INVALID_PARAMETER);
        CHECK_HR(tnef->lpVtbl->ExtractProps(tnef, 0x100, NULL, NULL), MAPI_E_UNKNOWN_FLAGS);
        CHECK_HR(tnef->lpVtbl->ExtractProps(tnef, TNEF_PROP_INCLUDE | TNEF_PROP_EXCLUDE, NULL, NULL),
                 MAPI_E_INVALID_PARAMETER);
        problems = (LPSTnefProblemArray)1;
        CHECK_HR(tnef->lpVtbl->ExtractProps(tnef, 0, NULL, &problems), MAPI_E_CORRUPT_DATA);
        CHECK(problems == NULL);
        tnef->lpVtbl->Release(tnef);
    }
    /* Encoding object: the decoding method is refused. */
    tnef = NULL;
    CHECK_OK(OpenTnefStream(NULL, stm, NULL, TNEF_ENCODE, m, 1, &tnef));
    if (tnef) {
        CHECK_HR(tnef->lpVtbl->ExtractProps(tnef, 0, NULL, NULL), MAPI_E_INVALID_PARAMETER);
        CHECK_HR(tnef->lpVtbl->AddProps(tnef, 0x100, 0, NULL, NULL), MAPI_E_UNKNOWN_FLAGS);
        CHECK_HR(tnef->lpVtbl->AddProps(tnef, TNEF_PROP_CONTAINED, 0, NULL, NULL),
                 MAPI_E_INVALID_PARAMETER);
        CHECK_HR(tnef->lpVtbl->SetProps(tnef, 0, 0, 1, NULL), MAPI_E_INVALID_PARAMETER);
        CHECK_HR(tnef->lpVtbl->FinishComponent(tnef, TNEF_COMPONENT_MESSAGE, 0, NULL, NULL, NULL, NULL),
                 MAPI_E_INVALID_PARAMETER);
        CHECK_HR(tnef->lpVtbl->Finish(tnef, 1, NULL, NULL), MAPI_E_UNKNOWN_FLAGS);
        tnef->lpVtbl->Release(tnef);
    }
    stm->lpVtbl->Release(stm);
    close_message(m, s);
}

int main(void)
{
    if (!test_dir_create("imsg-tnef"))
        return 1;
    test_round_trip(0);
    test_round_trip(TNEF_PURE);
    test_round_trip(TNEF_COMPATIBILITY);
    test_legacy();
    test_tagged_body();
    test_errors();
    test_dir_remove();
    return check_report("tnef");
}
