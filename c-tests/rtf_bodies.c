/* rtf_bodies.c - message bodies at the C boundary: WrapCompressedRTFStream (reading with
   header and CRC checks, writing LZFu and MELA on Commit and on Release, the methods the
   wrapper does not support), WrapCompressedRTFStreamEx (the native body of RTF that
   encapsulates HTML or text, code pages, its argument checks), RTFSync on a message in a
   docfile (the sync properties, both directions, idempotence) and ImsgGetBestBody
   (Outlook's choice and the conversions), all through the C interface form (lpVtbl). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "imessage.h"
#include "mapiutil.h"
#include "testdir.h"

_Static_assert(sizeof(RTF_WCSINFO) == 16, "RTF_WCSINFO is four ULONGs");
_Static_assert(sizeof(RTF_WCSRETINFO) == 8, "RTF_WCSRETINFO is two ULONGs");
_Static_assert(RTF_SYNC_RTF_CHANGED == 1 && RTF_SYNC_BODY_CHANGED == 2, "RTFSync flags");
_Static_assert(MAPI_NATIVE_BODY == 0x10000 && STORE_UNCOMPRESSED_RTF == 0x8000, "flags");
_Static_assert(MAPI_NATIVE_BODY_TYPE_RTF == 1 && MAPI_NATIVE_BODY_TYPE_HTML == 2 &&
                   MAPI_NATIVE_BODY_TYPE_PLAINTEXT == 4 && MAPI_NATIVE_BODY_TYPE_PLAIN_TEXT == 4,
               "native body types");

/* [MS-OXRTFCP] 3.1.1, example 1. */
static const char SIMPLE_RTF[] = "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n";
static const unsigned char SIMPLE_COMPRESSED[] = {
    0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7,
    0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a,
    0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d,
    0x0a, 0x80, 0x0f, 0xa0,
};

static const char HTML_RTF[] =
    "{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}"
    "{\\*\\htmltag64}{\\*\\htmltag2 <html>}{\\*\\htmltag50 <body>}"
    "{\\*\\htmltag64 <p>}\\htmlrtf {\\htmlrtf0 Caf\\'e9 ok\\htmlrtf }\\htmlrtf0 "
    "{\\*\\htmltag72 </p>}{\\*\\htmltag58 </body>}{\\*\\htmltag27 </html>}}";
static const char HTML_WANT[] = "<html><body><p>Caf\xc3\xa9 ok</p></body></html>";

static const char TEXT_RTF[] = "{\\rtf1\\ansi\\ansicpg1252\\fromtext \\deff0{\\fonttbl{\\f0 Arial;}}"
                               "\\f0 New text\\par second}";

/* [MS-OXRTFCP]'s CRC: reflected CRC-32, initial 0, no final XOR. */
static ULONG rtf_crc(const char *s, size_t n)
{
    ULONG crc = 0;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        crc ^= (unsigned char)s[i];
        for (k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return crc;
}

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

/* Reads a stream to its end into a malloc'd buffer (NUL added); returns its length. */
static ULONG read_all(IStream *stm, char **out)
{
    ULONG cap = 4096, len = 0, got = 0;
    char *buf = (char *)malloc(cap + 1);
    HRESULT hr;
    for (;;) {
        if (cap - len < 1000) {
            cap *= 2;
            buf = (char *)realloc(buf, cap + 1);
        }
        hr = stm->lpVtbl->Read(stm, buf + len, 777, &got); /* odd sizes on purpose */
        CHECK_OK(hr);
        if (hr != S_OK || got == 0)
            break;
        len += got;
    }
    buf[len] = 0;
    *out = buf;
    return len;
}

static ULONG le32(const unsigned char *p)
{
    return (ULONG)p[0] | (ULONG)p[1] << 8 | (ULONG)p[2] << 16 | (ULONG)p[3] << 24;
}

/* The underlying stream's whole content. */
static ULONG raw_content(IStream *stm, unsigned char **out)
{
    char *buf = NULL;
    ULONG n;
    CHECK_OK(stm->lpVtbl->Seek(stm, li(0), STREAM_SEEK_SET, NULL));
    n = read_all(stm, &buf);
    *out = (unsigned char *)buf;
    return n;
}

static void test_read(void)
{
    IStream *src = memory_stream(SIMPLE_COMPRESSED, sizeof(SIMPLE_COMPRESSED));
    IStream *rtf = NULL, *clone = (IStream *)1;
    ULARGE_INTEGER pos;
    STATSTG st;
    char *text = NULL;
    char buf[8];
    ULONG got = 0;

    CHECK_OK(WrapCompressedRTFStream(src, 0, &rtf));
    CHECK(rtf != NULL);
    if (!rtf)
        return;
    CHECK(read_all(rtf, &text) == strlen(SIMPLE_RTF));
    CHECK(strcmp(text, SIMPLE_RTF) == 0);
    free(text);
    /* The wrapper is sequential: only the position can be asked. */
    CHECK_OK(rtf->lpVtbl->Seek(rtf, li(0), STREAM_SEEK_CUR, &pos));
    CHECK(pos.QuadPart == strlen(SIMPLE_RTF));
    CHECK_HR(rtf->lpVtbl->Seek(rtf, li(0), STREAM_SEEK_SET, NULL), MAPI_E_NO_SUPPORT);
    CHECK_HR(rtf->lpVtbl->Stat(rtf, &st, STATFLAG_NONAME), MAPI_E_NO_SUPPORT);
    pos.QuadPart = 0;
    CHECK_HR(rtf->lpVtbl->SetSize(rtf, pos), MAPI_E_NO_SUPPORT);
    CHECK_HR(rtf->lpVtbl->Revert(rtf), MAPI_E_NO_SUPPORT);
    CHECK_HR(rtf->lpVtbl->Clone(rtf, &clone), MAPI_E_NO_SUPPORT);
    CHECK(clone == NULL);
    /* Read-only: writing is refused, committing has nothing to do. */
    CHECK_HR(rtf->lpVtbl->Write(rtf, "x", 1, &got), STG_E_ACCESSDENIED);
    CHECK(got == 0);
    CHECK_OK(rtf->lpVtbl->Commit(rtf, 0));
    CHECK_OK(rtf->lpVtbl->Read(rtf, buf, sizeof(buf), &got));
    CHECK(got == 0);
    CHECK(rtf->lpVtbl->Release(rtf) == 0);
    /* The wrapper held its own reference on the source. */
    CHECK(src->lpVtbl->Release(src) == 0);
}

static void expect_corrupt(const unsigned char *data, ULONG cb, const char *what)
{
    IStream *src = memory_stream(data, cb);
    IStream *rtf = (IStream *)1;
    HRESULT hr = WrapCompressedRTFStream(src, 0, &rtf);
    if (hr != MAPI_E_CORRUPT_DATA)
        fprintf(stderr, "damaged compressed RTF (%s)\n", what);
    CHECK_HR(hr, MAPI_E_CORRUPT_DATA);
    CHECK(rtf == NULL);
    CHECK(src->lpVtbl->Release(src) == 0);
}

static void test_damage(void)
{
    unsigned char bad[sizeof(SIMPLE_COMPRESSED)];
    IStream *src, *rtf = NULL;
    char *text = NULL;

    memcpy(bad, SIMPLE_COMPRESSED, sizeof(bad));
    bad[12] ^= 1; /* the CRC */
    expect_corrupt(bad, sizeof(bad), "CRC");
    memcpy(bad, SIMPLE_COMPRESSED, sizeof(bad));
    bad[30] ^= 0x40; /* a content byte: the CRC no longer matches */
    expect_corrupt(bad, sizeof(bad), "content");
    memcpy(bad, SIMPLE_COMPRESSED, sizeof(bad));
    bad[8] = 'X'; /* the type */
    expect_corrupt(bad, sizeof(bad), "magic");
    expect_corrupt(SIMPLE_COMPRESSED, sizeof(SIMPLE_COMPRESSED) - 5, "truncated");
    expect_corrupt(SIMPLE_COMPRESSED, 9, "short header");

    /* An empty value reads as empty RTF. */
    src = memory_stream(NULL, 0);
    CHECK_OK(WrapCompressedRTFStream(src, 0, &rtf));
    if (rtf) {
        CHECK(read_all(rtf, &text) == 0);
        free(text);
        rtf->lpVtbl->Release(rtf);
    }
    src->lpVtbl->Release(src);

    /* Arguments. */
    src = memory_stream(SIMPLE_COMPRESSED, sizeof(SIMPLE_COMPRESSED));
    rtf = (IStream *)1;
    CHECK_HR(WrapCompressedRTFStream(NULL, 0, &rtf), MAPI_E_INVALID_PARAMETER);
    CHECK(rtf == NULL);
    CHECK_HR(WrapCompressedRTFStream(src, 0, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(WrapCompressedRTFStream(src, 0x4, &rtf), MAPI_E_UNKNOWN_FLAGS);
    CHECK_HR(WrapCompressedRTFStream(src, MAPI_NATIVE_BODY, &rtf), MAPI_E_UNKNOWN_FLAGS);
    CHECK(src->lpVtbl->Release(src) == 0);
}

/* A large RTF document (about 300 KB, repetitive as real ones are). */
static char *big_rtf(ULONG *len)
{
    size_t cap = 400000, n = 0;
    char *s = (char *)malloc(cap);
    int i;
    n += (size_t)sprintf(s, "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Arial;}}\\f0 ");
    for (i = 0; n < 300000; i++)
        n += (size_t)sprintf(s + n, "Line %d of the body, with some words that repeat.\\par\r\n", i);
    n += (size_t)sprintf(s + n, "}");
    *len = (ULONG)n;
    return s;
}

static void write_through(IStream *src, ULONG flags, const char *rtf, ULONG len, int commit)
{
    IStream *w = NULL;
    ULONG done = 0, written = 0;
    char buf[4];
    CHECK_OK(WrapCompressedRTFStream(src, flags, &w));
    if (!w)
        return;
    while (done < len) {
        ULONG chunk = len - done < 5000 ? len - done : 5000;
        CHECK_OK(w->lpVtbl->Write(w, rtf + done, chunk, &written));
        CHECK(written == chunk);
        done += chunk;
    }
    CHECK_HR(w->lpVtbl->Read(w, buf, sizeof(buf), &written), STG_E_ACCESSDENIED);
    if (commit)
        CHECK_OK(w->lpVtbl->Commit(w, STGC_DEFAULT));
    CHECK(w->lpVtbl->Release(w) == 0);
}

static void check_reads_back(IStream *src, const char *rtf, ULONG len)
{
    IStream *r = NULL;
    char *text = NULL;
    CHECK_OK(src->lpVtbl->Seek(src, li(0), STREAM_SEEK_SET, NULL));
    CHECK_OK(WrapCompressedRTFStream(src, 0, &r));
    if (!r)
        return;
    CHECK(read_all(r, &text) == len);
    CHECK(memcmp(text, rtf, len) == 0);
    free(text);
    r->lpVtbl->Release(r);
}

static void test_write(void)
{
    ULONG len = 0, n;
    char *rtf = big_rtf(&len);
    unsigned char *raw = NULL;
    IStream *src = memory_stream("old content that must go", 24);

    /* LZFu on Commit: header sizes, type and CRC right, much smaller than the RTF. */
    write_through(src, MAPI_MODIFY, rtf, len, 1);
    n = raw_content(src, &raw);
    CHECK(n > 16 && n < len / 4);
    CHECK(le32(raw) == n - 4);
    CHECK(le32(raw + 4) == len);
    CHECK(memcmp(raw + 8, "LZFu", 4) == 0);
    CHECK(le32(raw + 12) == rtf_crc((const char *)raw + 16, n - 16));
    free(raw);
    check_reads_back(src, rtf, len);

    /* STORE_UNCOMPRESSED_RTF: MELA, the RTF as it is, CRC 0; written by Release alone. */
    CHECK_OK(src->lpVtbl->Seek(src, li(0), STREAM_SEEK_SET, NULL));
    write_through(src, MAPI_MODIFY | STORE_UNCOMPRESSED_RTF, SIMPLE_RTF, (ULONG)strlen(SIMPLE_RTF), 0);
    n = raw_content(src, &raw);
    CHECK(n == 16 + strlen(SIMPLE_RTF));
    CHECK(memcmp(raw + 8, "MELA", 4) == 0 && le32(raw + 12) == 0);
    CHECK(memcmp(raw + 16, SIMPLE_RTF, strlen(SIMPLE_RTF)) == 0);
    free(raw);
    check_reads_back(src, SIMPLE_RTF, (ULONG)strlen(SIMPLE_RTF));

    /* The spec's example compresses to the spec's bytes. */
    CHECK_OK(src->lpVtbl->Seek(src, li(0), STREAM_SEEK_SET, NULL));
    write_through(src, MAPI_MODIFY, SIMPLE_RTF, (ULONG)strlen(SIMPLE_RTF), 1);
    n = raw_content(src, &raw);
    CHECK(n == sizeof(SIMPLE_COMPRESSED) && memcmp(raw, SIMPLE_COMPRESSED, n) == 0);
    free(raw);
    CHECK(src->lpVtbl->Release(src) == 0);
    free(rtf);
}

/* Compressed RTF of `rtf` in a new memory stream, at its start. */
static IStream *compressed(const char *rtf)
{
    IStream *src = memory_stream(NULL, 0);
    write_through(src, MAPI_MODIFY, rtf, (ULONG)strlen(rtf), 1);
    CHECK_OK(src->lpVtbl->Seek(src, li(0), STREAM_SEEK_SET, NULL));
    return src;
}

static void native(const char *rtf, ULONG in_cp, ULONG out_cp, ULONG want_kind, const char *want,
                   ULONG want_len)
{
    IStream *src = compressed(rtf);
    IStream *out = NULL;
    RTF_WCSINFO info = {sizeof(RTF_WCSINFO), MAPI_NATIVE_BODY, in_cp, out_cp};
    RTF_WCSRETINFO ret = {sizeof(RTF_WCSRETINFO), 99};
    STATSTG st;
    char *text = NULL;
    CHECK_OK(WrapCompressedRTFStreamEx(src, &info, &out, &ret));
    CHECK(ret.ulStreamFlags == want_kind);
    if (out) {
        CHECK_OK(out->lpVtbl->Stat(out, &st, STATFLAG_NONAME));
        CHECK(st.cbSize.QuadPart == want_len);
        CHECK(read_all(out, &text) == want_len);
        CHECK(memcmp(text, want, want_len) == 0);
        if (memcmp(text, want, want_len) != 0)
            fprintf(stderr, "native body: got [%s]\n", text);
        free(text);
        /* A native body is in memory: it seeks. */
        CHECK_OK(out->lpVtbl->Seek(out, li(0), STREAM_SEEK_SET, NULL));
        CHECK(out->lpVtbl->Release(out) == 0);
    }
    src->lpVtbl->Release(src);
}

static void test_ex(void)
{
    IStream *src = compressed(SIMPLE_RTF);
    IStream *out = NULL;
    RTF_WCSINFO info = {sizeof(RTF_WCSINFO), 0, 0, 0};
    RTF_WCSRETINFO ret = {sizeof(RTF_WCSRETINFO), 99};
    char *text = NULL;
    static const char utf16[] = "N\0e\0w\0 \0t\0e\0x\0t\0\r\0\n\0s\0e\0c\0o\0n\0d\0";

    /* Without MAPI_NATIVE_BODY: the RTF, and no stream kind. */
    CHECK_OK(WrapCompressedRTFStreamEx(src, &info, &out, &ret));
    CHECK(ret.ulStreamFlags == 0);
    if (out) {
        CHECK(read_all(out, &text) == strlen(SIMPLE_RTF));
        free(text);
        out->lpVtbl->Release(out);
    }
    /* Argument checks. */
    out = (IStream *)1;
    info.ulFlags = MAPI_NATIVE_BODY | MAPI_MODIFY;
    CHECK_HR(WrapCompressedRTFStreamEx(src, &info, &out, &ret), MAPI_E_INVALID_PARAMETER);
    CHECK(out == NULL);
    info.ulFlags = MAPI_NATIVE_BODY;
    info.size = 8;
    CHECK_HR(WrapCompressedRTFStreamEx(src, &info, &out, &ret), MAPI_E_INVALID_PARAMETER);
    info.size = sizeof(info);
    ret.size = 4;
    CHECK_HR(WrapCompressedRTFStreamEx(src, &info, &out, &ret), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(WrapCompressedRTFStreamEx(src, NULL, &out, NULL), MAPI_E_INVALID_PARAMETER);
    info.ulFlags = 0x4;
    CHECK_HR(WrapCompressedRTFStreamEx(src, &info, &out, NULL), MAPI_E_UNKNOWN_FLAGS);
    CHECK(src->lpVtbl->Release(src) == 0);

    /* Native bodies: RTF as it is, HTML (UTF-8 asked), text (UTF-16LE asked, and the
       RTF's own page when nothing is asked). */
    native(SIMPLE_RTF, 0, 0, MAPI_NATIVE_BODY_TYPE_RTF, SIMPLE_RTF, (ULONG)strlen(SIMPLE_RTF));
    native(HTML_RTF, 1252, 65001, MAPI_NATIVE_BODY_TYPE_HTML, HTML_WANT, (ULONG)strlen(HTML_WANT));
    native(HTML_RTF, 0, 0, MAPI_NATIVE_BODY_TYPE_HTML, "<html><body><p>Caf\xe9 ok</p></body></html>",
           (ULONG)strlen(HTML_WANT) - 1);
    native(TEXT_RTF, 0, 1200, MAPI_NATIVE_BODY_TYPE_PLAINTEXT, utf16, sizeof(utf16) - 1);
}

/* ===== RTFSync and ImsgGetBestBody on a message ===== */

static LPMESSAGE open_message(const WCHAR *path, int create, IStorage **stg)
{
    LPMESSAGE msg = NULL;
    *stg = NULL;
    if (create)
        CHECK_OK(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, stg));
    else
        CHECK_OK(StgOpenStorage(path, NULL, STGM_READWRITE | STGM_TRANSACTED, NULL, 0, stg));
    if (!*stg)
        return NULL;
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, *stg, NULL, 0, MAPI_UNICODE, &msg));
    return msg;
}

static void close_message(LPMESSAGE msg, IStorage *stg, int save)
{
    if (save) {
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    }
    stg->lpVtbl->Release(stg);
    msg->lpVtbl->Release(msg);
}

static LONG get_long(LPMESSAGE msg, ULONG tag)
{
    LPSPropValue v = NULL;
    LONG r = -12345;
    if (HrGetOneProp((LPMAPIPROP)msg, tag, &v) == S_OK) {
        r = v->Value.l;
        MAPIFreeBuffer(v);
    }
    return r;
}

static int wide_equals(LPMESSAGE msg, ULONG tag, const char *want)
{
    LPSPropValue v = NULL;
    int ok = 0;
    size_t i;
    if (HrGetOneProp((LPMAPIPROP)msg, tag, &v) != S_OK)
        return 0;
    ok = 1;
    for (i = 0; want[i]; i++)
        if (v->Value.lpszW[i] != (WCHAR)(unsigned char)want[i])
            ok = 0;
    if (v->Value.lpszW[i] != 0)
        ok = 0;
    if (!ok) {
        fprintf(stderr, "property 0x%08lX: want [%s], got [", (unsigned long)tag, want);
        for (i = 0; v->Value.lpszW[i]; i++)
            fputc(v->Value.lpszW[i] < 128 ? (char)v->Value.lpszW[i] : '?', stderr);
        fprintf(stderr, "]\n");
    }
    MAPIFreeBuffer(v);
    return ok;
}

static void set_wide(LPMESSAGE msg, ULONG tag, const char *s)
{
    WCHAR w[256];
    SPropValue v;
    size_t i;
    for (i = 0; (w[i] = (WCHAR)(unsigned char)s[i]) != 0; i++) {
    }
    v.ulPropTag = tag;
    v.Value.lpszW = w;
    CHECK_OK(HrSetOneProp((LPMAPIPROP)msg, &v));
}

static void best(LPMESSAGE msg, ULONG flags, ULONG cp, ULONG want_kind, const char *want)
{
    IStream *out = NULL;
    ULONG kind = 99;
    char *text = NULL;
    CHECK_OK(ImsgGetBestBody(msg, flags, cp, &kind, &out));
    CHECK(kind == want_kind);
    if (!out)
        return;
    read_all(out, &text);
    if (strstr(text, want) == NULL) {
        fprintf(stderr, "best body (flags %lu): [%s] lacks [%s]\n", (unsigned long)flags, text, want);
        CHECK(!"best body content");
    }
    free(text);
    CHECK(out->lpVtbl->Release(out) == 0);
}

static void write_rtf_property(LPMESSAGE msg, const char *rtf)
{
    IStream *prop = NULL;
    CHECK_OK(msg->lpVtbl->OpenProperty(msg, PR_RTF_COMPRESSED, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY,
                                       (LPUNKNOWN *)&prop));
    if (!prop)
        return;
    write_through(prop, MAPI_MODIFY, rtf, (ULONG)strlen(rtf), 1);
    CHECK_OK(prop->lpVtbl->Commit(prop, STGC_DEFAULT));
    prop->lpVtbl->Release(prop);
}

static void test_sync(void)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    LPMESSAGE msg;
    BOOL updated = 7;
    IStream *out = (IStream *)1;
    ULONG kind = 99;
    static const char body[] = "Hello sync world.\r\n";

    test_path("sync.msg", path, wpath);
    msg = open_message(wpath, 1, &stg);
    if (!msg)
        return;
    /* No body at all. */
    CHECK_HR(ImsgGetBestBody(msg, 0, 0, &kind, &out), MAPI_E_NOT_FOUND);
    CHECK(out == NULL && kind == 0);
    CHECK_OK(RTFSync(msg, RTF_SYNC_BODY_CHANGED, &updated));
    CHECK(updated == FALSE);

    /* The plain text changed: RTF is made from it, the sync values describe it. */
    set_wide(msg, PR_BODY_W, body);
    CHECK_OK(RTFSync(msg, RTF_SYNC_BODY_CHANGED, &updated));
    CHECK(updated == TRUE);
    CHECK(FPropExists((LPMAPIPROP)msg, PR_RTF_COMPRESSED));
    CHECK(get_long(msg, PR_RTF_IN_SYNC) != -12345 && (get_long(msg, PR_RTF_IN_SYNC) & 0xFFFF) == 1);
    CHECK(get_long(msg, PR_RTF_SYNC_BODY_COUNT) == 14);
    CHECK((ULONG)get_long(msg, PR_RTF_SYNC_BODY_CRC) == rtf_crc("HELLOSYNCWORLD", 14));
    CHECK(get_long(msg, PR_RTF_SYNC_PREFIX_COUNT) == 0);
    CHECK(get_long(msg, PR_RTF_SYNC_TRAILING_COUNT) == 1);
    CHECK(wide_equals(msg, PR_RTF_SYNC_BODY_TAG_W, "HELLOSYNCWORLD"));
    /* Nothing changed since: nothing to do. */
    CHECK_OK(RTFSync(msg, RTF_SYNC_BODY_CHANGED, &updated));
    CHECK(updated == FALSE);
    CHECK_OK(RTFSync(msg, RTF_SYNC_RTF_CHANGED | RTF_SYNC_BODY_CHANGED, &updated));
    CHECK(updated == FALSE);
    /* RTF in sync that encapsulates text: the best body is that text. */
    best(msg, 0, 0, MAPI_NATIVE_BODY_TYPE_PLAINTEXT, body);
    best(msg, MAPI_NATIVE_BODY_TYPE_RTF, 0, MAPI_NATIVE_BODY_TYPE_RTF, "\\fromtext");
    best(msg, MAPI_NATIVE_BODY_TYPE_HTML, 0, MAPI_NATIVE_BODY_TYPE_HTML, "Hello sync world.<br>");

    /* The RTF changed: PR_BODY follows it. */
    write_rtf_property(msg, TEXT_RTF);
    CHECK_OK(RTFSync(msg, RTF_SYNC_RTF_CHANGED, &updated));
    CHECK(updated == TRUE);
    CHECK(wide_equals(msg, PR_BODY_W, "New text\r\nsecond"));
    CHECK(get_long(msg, PR_RTF_SYNC_BODY_COUNT) == 13);
    CHECK(wide_equals(msg, PR_RTF_SYNC_BODY_TAG_W, "NEWTEXTSECOND"));
    close_message(msg, stg, 1);

    /* Read back from the file. */
    msg = open_message(wpath, 0, &stg);
    if (!msg)
        return;
    best(msg, 0, 0, MAPI_NATIVE_BODY_TYPE_PLAINTEXT, "New text\r\nsecond");
    best(msg, MAPI_NATIVE_BODY_TYPE_PLAINTEXT, 1200, MAPI_NATIVE_BODY_TYPE_PLAINTEXT, "N");

    /* HTML encapsulated in RTF that is in sync: the best body is HTML. */
    write_rtf_property(msg, HTML_RTF);
    CHECK_OK(RTFSync(msg, RTF_SYNC_RTF_CHANGED, &updated));
    CHECK(updated == TRUE);
    CHECK(wide_equals(msg, PR_BODY_W, "Caf\xe9 ok"));
    best(msg, 0, 0, MAPI_NATIVE_BODY_TYPE_HTML, HTML_WANT);
    best(msg, MAPI_NATIVE_BODY_TYPE_PLAINTEXT, 1252, MAPI_NATIVE_BODY_TYPE_PLAINTEXT, "Caf\xe9 ok");

    /* Out of sync and a PR_HTML: HTML wins over the stale RTF. */
    {
        SPropValue v[2];
        static char html[] = "<html><body>from PR_HTML</body></html>";
        v[0].ulPropTag = PR_HTML;
        v[0].Value.bin.cb = (ULONG)strlen(html);
        v[0].Value.bin.lpb = (LPBYTE)html;
        v[1].ulPropTag = PR_RTF_IN_SYNC;
        v[1].Value.b = FALSE;
        CHECK_OK(msg->lpVtbl->SetProps(msg, 2, v, NULL));
        best(msg, 0, 0, MAPI_NATIVE_BODY_TYPE_HTML, "from PR_HTML");
        /* PR_NATIVE_BODY_INFO names the body to use. */
        v[0].ulPropTag = PR_NATIVE_BODY_INFO;
        v[0].Value.l = 1;
        CHECK_OK(msg->lpVtbl->SetProps(msg, 1, v, NULL));
        best(msg, 0, 0, MAPI_NATIVE_BODY_TYPE_PLAINTEXT, "Caf");
    }

    /* Arguments. */
    CHECK_HR(RTFSync(NULL, RTF_SYNC_BODY_CHANGED, &updated), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(RTFSync(msg, RTF_SYNC_BODY_CHANGED, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(RTFSync(msg, 0x4, &updated), MAPI_E_UNKNOWN_FLAGS);
    CHECK(updated == FALSE);
    CHECK_HR(ImsgGetBestBody(msg, 3, 0, &kind, &out), MAPI_E_UNKNOWN_FLAGS);
    CHECK_HR(ImsgGetBestBody(msg, 0, 0, NULL, &out), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(ImsgGetBestBody(NULL, 0, 0, &kind, &out), MAPI_E_INVALID_PARAMETER);

    /* Damaged RTF: RTFSync refuses it and changes nothing. */
    {
        IStream *prop = NULL;
        unsigned char bad[sizeof(SIMPLE_COMPRESSED)];
        memcpy(bad, SIMPLE_COMPRESSED, sizeof(bad));
        bad[13] ^= 0x10;
        CHECK_OK(msg->lpVtbl->OpenProperty(msg, PR_RTF_COMPRESSED, &IID_IStream, 0, MAPI_MODIFY,
                                           (LPUNKNOWN *)&prop));
        if (prop) {
            ULARGE_INTEGER zero;
            zero.QuadPart = 0;
            CHECK_OK(prop->lpVtbl->SetSize(prop, zero));
            CHECK_OK(prop->lpVtbl->Write(prop, bad, sizeof(bad), NULL));
            CHECK_OK(prop->lpVtbl->Commit(prop, 0));
            prop->lpVtbl->Release(prop);
        }
        CHECK_HR(RTFSync(msg, RTF_SYNC_RTF_CHANGED, &updated), MAPI_E_CORRUPT_DATA);
        CHECK(updated == FALSE);
        CHECK(wide_equals(msg, PR_BODY_W, "Caf\xe9 ok"));
    }
    close_message(msg, stg, 0);
}

int main(void)
{
    if (!test_dir_create("imsg-rtf")) {
        fprintf(stderr, "cannot create a temporary directory\n");
        return 1;
    }
    test_read();
    test_damage();
    test_write();
    test_ex();
    test_sync();
    test_dir_remove();
    return check_report("rtf_bodies.c");
}
