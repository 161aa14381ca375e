/* read_corpus.c - reads .msg files completely through the C interface, as a reader would.

   usage: read_corpus check LIST        reads every file named in LIST once; prints the ones
                                        read completely ("OK path") and the others ("FAIL")
          read_corpus time ROUNDS LIST  reads every file of LIST, ROUNDS times over; prints
                                        "RESULT lib_read seconds=... files=... bytes=..."

   For each file: StgOpenStorage(STGM_READ | STGM_SHARE_DENY_WRITE), OpenIMsgSession,
   OpenIMsgOnIStg(MAPI_UNICODE); every property (GetPropList, GetProps of all of them, each
   value too large for GetProps read through OpenProperty(IID_IStream)); every row of the
   recipient table; every attachment in the attachment table opened with OpenAttach, its
   properties read the same way, less its data, which is read through
   OpenProperty(PR_ATTACH_DATA_BIN, IID_IStream) for attachments by value, through
   OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage) and recursively for embedded messages, and
   through OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage) and every stream of that storage
   for OLE attachments. Everything read goes into a checksum, printed with the result, so
   that two runs can be compared. */
#include "bench_common.h" /* first: it defines _GNU_SOURCE */

#include "mapitags.h"

#define READ_CHUNK 65536

static unsigned char buf[READ_CHUNK];
static checksum_t sum;
static uint64_t bytes_read;

static void take(const void *p, size_t n)
{
    checksum_update(&sum, (const unsigned char *)p, n);
    bytes_read += n;
}

/* Reads a stream to its end; returns 0 on failure. */
static int read_stream(IStream *s)
{
    for (;;) {
        ULONG got = 0;
        HRESULT hr = s->lpVtbl->Read(s, buf, READ_CHUNK, &got);
        if (FAILED(hr))
            return 0;
        if (got == 0)
            return 1;
        take(buf, got);
    }
}

/* Hashes one property value (pointers are followed). */
static void take_value(const SPropValue *v)
{
    ULONG i;
    take(&v->ulPropTag, sizeof v->ulPropTag);
    switch (PROP_TYPE(v->ulPropTag)) {
    case PT_UNICODE:
        if (v->Value.lpszW) {
            size_t n = 0;
            while (v->Value.lpszW[n])
                n++;
            take(v->Value.lpszW, n * sizeof(WCHAR));
        }
        break;
    case PT_STRING8:
        if (v->Value.lpszA)
            take(v->Value.lpszA, strlen(v->Value.lpszA));
        break;
    case PT_BINARY:
        take(v->Value.bin.lpb, v->Value.bin.cb);
        break;
    case PT_CLSID:
        take(v->Value.lpguid, sizeof(GUID));
        break;
    case PT_MV_BINARY:
        for (i = 0; i < v->Value.MVbin.cValues; i++)
            take(v->Value.MVbin.lpbin[i].lpb, v->Value.MVbin.lpbin[i].cb);
        break;
    case PT_MV_UNICODE:
        for (i = 0; i < v->Value.MVszW.cValues; i++) {
            size_t n = 0;
            while (v->Value.MVszW.lppszW[i][n])
                n++;
            take(v->Value.MVszW.lppszW[i], n * sizeof(WCHAR));
        }
        break;
    case PT_MV_STRING8:
        for (i = 0; i < v->Value.MVszA.cValues; i++)
            take(v->Value.MVszA.lppszA[i], strlen(v->Value.MVszA.lppszA[i]));
        break;
    case PT_I2:
    case PT_BOOLEAN:
        take(&v->Value.i, sizeof v->Value.i);
        break;
    case PT_LONG:
    case PT_ERROR:
    case PT_R4:
        take(&v->Value.l, sizeof v->Value.l);
        break;
    case PT_MV_LONG:
        take(v->Value.MVl.lpl, v->Value.MVl.cValues * sizeof(LONG));
        break;
    case PT_MV_SYSTIME:
        take(v->Value.MVft.lpft, v->Value.MVft.cValues * sizeof(FILETIME));
        break;
    default:
        /* The 8-byte types; other multi-valued types are only counted. */
        if (!(PROP_TYPE(v->ulPropTag) & MV_FLAG))
            take(&v->Value.li, sizeof v->Value.li);
        break;
    }
}

/* Every property of `obj` except the tags in `skip` (0-terminated); values too large for
   GetProps through a stream. */
static int read_props(LPMAPIPROP obj, const ULONG *skip)
{
    LPSPropTagArray list = NULL;
    LPSPropValue vals = NULL;
    ULONG count = 0, i, kept = 0;
    int ok = 1;
    if (FAILED(obj->lpVtbl->GetPropList(obj, MAPI_UNICODE, &list)))
        return 0;
    for (i = 0; i < list->cValues; i++) {
        ULONG tag = list->aulPropTag[i];
        const ULONG *s;
        int skipped = PROP_TYPE(tag) == PT_OBJECT;
        for (s = skip; *s && !skipped; s++)
            skipped = PROP_ID(*s) == PROP_ID(tag);
        if (!skipped)
            list->aulPropTag[kept++] = tag;
    }
    list->cValues = kept;
    if (kept > 0) {
        HRESULT hr = obj->lpVtbl->GetProps(obj, list, MAPI_UNICODE, &count, &vals);
        if (FAILED(hr)) {
            MAPIFreeBuffer(list);
            return 0;
        }
        for (i = 0; i < count && ok; i++) {
            if (PROP_TYPE(vals[i].ulPropTag) == PT_ERROR &&
                vals[i].Value.err == (SCODE)MAPI_E_NOT_ENOUGH_MEMORY) {
                IStream *s = NULL;
                ULONG tag = list->aulPropTag[i];
                if (FAILED(obj->lpVtbl->OpenProperty(obj, tag, &IID_IStream, 0, 0,
                                                     (LPUNKNOWN *)&s))) {
                    ok = 0;
                    break;
                }
                ok = read_stream(s);
                s->lpVtbl->Release(s);
            } else {
                take_value(&vals[i]);
            }
        }
    }
    MAPIFreeBuffer(vals);
    MAPIFreeBuffer(list);
    return ok;
}

static void free_rows(LPSRowSet rows)
{
    ULONG i;
    if (!rows)
        return;
    for (i = 0; i < rows->cRows; i++)
        MAPIFreeBuffer(rows->aRow[i].lpProps);
    MAPIFreeBuffer(rows);
}

/* Every row of a table, in pages of 100; calls `each` (if any) on each row. */
static int read_table(LPMAPITABLE table, int (*each)(void *, const SRow *), void *ctx)
{
    int ok = 1;
    for (;;) {
        LPSRowSet rows = NULL;
        ULONG r, c;
        if (FAILED(table->lpVtbl->QueryRows(table, 100, 0, &rows)))
            return 0;
        if (rows->cRows == 0) {
            free_rows(rows);
            return ok;
        }
        for (r = 0; r < rows->cRows && ok; r++) {
            for (c = 0; c < rows->aRow[r].cValues; c++)
                take_value(&rows->aRow[r].lpProps[c]);
            if (each)
                ok = each(ctx, &rows->aRow[r]);
        }
        free_rows(rows);
        if (!ok)
            return 0;
    }
}

/* Every stream of an OLE attachment's storage, recursively. */
static int read_storage(IStorage *stg)
{
    IEnumSTATSTG *e = NULL;
    STATSTG st;
    ULONG got = 0;
    int ok = 1;
    if (FAILED(stg->lpVtbl->EnumElements(stg, 0, NULL, 0, &e)))
        return 0;
    while (ok && e->lpVtbl->Next(e, 1, &st, &got) == S_OK && got == 1) {
        if (st.type == STGTY_STREAM) {
            IStream *s = NULL;
            ok = SUCCEEDED(stg->lpVtbl->OpenStream(stg, st.pwcsName, NULL,
                                                   STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &s));
            if (ok) {
                ok = read_stream(s);
                s->lpVtbl->Release(s);
            }
        } else if (st.type == STGTY_STORAGE) {
            IStorage *sub = NULL;
            ok = SUCCEEDED(stg->lpVtbl->OpenStorage(stg, st.pwcsName, NULL,
                                                    STGM_READ | STGM_SHARE_EXCLUSIVE, NULL, 0,
                                                    &sub));
            if (ok) {
                ok = read_storage(sub);
                sub->lpVtbl->Release(sub);
            }
        }
        CoTaskMemFree(st.pwcsName);
    }
    e->lpVtbl->Release(e);
    return ok;
}

static int read_message(LPMESSAGE msg, int depth);

/* One attachment row: open the attachment, read its properties and its data. */
static int read_attachment(void *ctx, const SRow *row)
{
    LPMESSAGE msg = (LPMESSAGE)ctx;
    static const ULONG skip[] = {PR_ATTACH_DATA_BIN, PR_ATTACH_DATA_OBJ, 0};
    SizedSPropTagArray(1, method_tag) = {1, {PR_ATTACH_METHOD}};
    LPSPropValue v = NULL;
    LPATTACH att = NULL;
    LONG method = NO_ATTACHMENT;
    ULONG i, n = 0, num = (ULONG)-1;
    int ok;
    for (i = 0; i < row->cValues; i++)
        if (row->lpProps[i].ulPropTag == PR_ATTACH_NUM)
            num = (ULONG)row->lpProps[i].Value.l;
    if (num == (ULONG)-1 || FAILED(msg->lpVtbl->OpenAttach(msg, num, NULL, 0, &att)))
        return 0;
    ok = read_props((LPMAPIPROP)att, skip);
    if (ok && SUCCEEDED(att->lpVtbl->GetProps(att, (LPSPropTagArray)&method_tag, 0, &n, &v)) &&
        v[0].ulPropTag == PR_ATTACH_METHOD)
        method = v[0].Value.l;
    MAPIFreeBuffer(v);
    if (ok && method == ATTACH_EMBEDDED_MSG) {
        LPMESSAGE inner = NULL;
        HRESULT hr = att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0,
                                               (LPUNKNOWN *)&inner);
        if (SUCCEEDED(hr)) {
            ok = read_message(inner, 1);
            inner->lpVtbl->Release(inner);
        } else {
            ok = hr == MAPI_E_NOT_FOUND;
        }
    } else if (ok && method == ATTACH_OLE) {
        IStorage *stg = NULL;
        IStream *s = NULL;
        if (SUCCEEDED(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, 0,
                                                (LPUNKNOWN *)&stg))) {
            ok = read_storage(stg);
            stg->lpVtbl->Release(stg);
        } else if (SUCCEEDED(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_BIN, &IID_IStream,
                                                       0, 0, (LPUNKNOWN *)&s))) {
            ok = read_stream(s);
            s->lpVtbl->Release(s);
        }
    } else if (ok) {
        IStream *s = NULL;
        HRESULT hr = att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_BIN, &IID_IStream, 0, 0,
                                               (LPUNKNOWN *)&s);
        if (SUCCEEDED(hr)) {
            ok = read_stream(s);
            s->lpVtbl->Release(s);
        } else {
            ok = hr == MAPI_E_NOT_FOUND;
        }
    }
    att->lpVtbl->Release(att);
    return ok;
}

static int read_message(LPMESSAGE msg, int depth)
{
    static const ULONG none[] = {0};
    LPMAPITABLE table = NULL;
    int ok = read_props((LPMAPIPROP)msg, none);
    (void)depth;
    if (ok && SUCCEEDED(msg->lpVtbl->GetRecipientTable(msg, MAPI_UNICODE, &table))) {
        ok = read_table(table, NULL, NULL);
        table->lpVtbl->Release(table);
    } else {
        ok = 0;
    }
    if (ok && SUCCEEDED(msg->lpVtbl->GetAttachmentTable(msg, MAPI_UNICODE, &table))) {
        ok = read_table(table, read_attachment, msg);
        table->lpVtbl->Release(table);
    } else {
        ok = 0;
    }
    return ok;
}

/* Opens and reads one file; returns 0 on any failure. */
static int read_file(const char *path)
{
    WCHAR *w = wide_dup(path);
    IStorage *stg = NULL;
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL;
    int ok = 0;
    if (SUCCEEDED(StgOpenStorage(w, NULL, STGM_READ | STGM_SHARE_DENY_WRITE, NULL, 0, &stg))) {
        if (SUCCEEDED(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess))) {
            if (SUCCEEDED(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore,
                                         MAPIFreeBuffer, MAPIGetDefaultMalloc(), NULL, stg,
                                         NULL, 0, MAPI_UNICODE, &msg))) {
                ok = read_message(msg, 0);
                msg->lpVtbl->Release(msg);
            }
            CloseIMsgSession(sess);
        }
        stg->lpVtbl->Release(stg);
    }
    free(w);
    return ok;
}

/* The lines of `list`, in a malloc'd array. */
static char **read_list(const char *list, int *count)
{
    FILE *f = fopen(list, "r");
    char line[4096];
    char **out = NULL;
    int n = 0, cap = 0;
    if (!f)
        die("cannot open %s", list);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0])
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            out = (char **)realloc(out, (size_t)cap * sizeof *out);
            if (!out)
                die("out of memory");
        }
        out[n++] = strdup(line);
    }
    fclose(f);
    *count = n;
    return out;
}

int main(int argc, char **argv)
{
    int n = 0, i, rounds, r;
    char **files;
    double t0, c0;
    checksum_init(&sum);
    if (argc == 3 && strcmp(argv[1], "check") == 0) {
        files = read_list(argv[2], &n);
        for (i = 0; i < n; i++)
            printf("%s %s\n", read_file(files[i]) ? "OK" : "FAIL", files[i]);
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "time") != 0 || (rounds = atoi(argv[2])) <= 0) {
        fprintf(stderr, "usage: read_corpus check LIST | read_corpus time ROUNDS LIST\n");
        return 2;
    }
    files = read_list(argv[3], &n);
    t0 = now_seconds();
    c0 = cpu_seconds();
    for (r = 0; r < rounds; r++)
        for (i = 0; i < n; i++)
            if (!read_file(files[i]))
                die("reading %s", files[i]);
    printf("RESULT lib_read seconds=%.6f cpu=%.6f files=%d bytes=%llu sum=%016llx\n",
           now_seconds() - t0, cpu_seconds() - c0, n * rounds, (unsigned long long)bytes_read,
           (unsigned long long)checksum_final(&sum));
    return 0;
}
