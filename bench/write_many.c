/* write_many.c - writes N typical messages into one directory through the C interface.

   usage: write_many DIR N [FIRST]
     writes DIR/msgNNNNN.msg for NNNNN = FIRST .. FIRST+N-1 (FIRST defaults to 0) and prints
     "RESULT lib_write seconds=... cpu=... files=N bytes=...".

   Each message, as a mail client saving a received message writes it:
   StgCreateDocfile(STGM_TRANSACTED | STGM_READWRITE | STGM_CREATE), OpenIMsgSession,
   OpenIMsgOnIStg(MAPI_UNICODE); 21 properties in one SetProps (class, subject, a 4 KiB
   body, sender and "sent representing" names and addresses, times, flags, importance,
   priority, sensitivity, message id, display lists, conversation topic, transport headers,
   code page); three recipients in one ModifyRecipients; two attachments by value of
   10 KiB and 100 KiB, their data written through OpenProperty(PR_ATTACH_DATA_BIN,
   IID_IStream) and each saved with SaveChanges; the message's SaveChanges (which commits
   the file: written beside, synced, renamed over its name); Release; CloseIMsgSession.
   Files are left in DIR for the caller (bench/run.sh) to remove. */
#include "bench_common.h" /* first: it defines _GNU_SOURCE */

#include <sys/stat.h>

#include "mapitags.h"

#define BODY_CHARS 2048 /* 4 KiB of UTF-16 */

static WCHAR body[BODY_CHARS + 1];
static unsigned char attach_data[100 * 1024];

static void set_wide(SPropValue *v, ULONG tag, const char *text, WCHAR *store, size_t cap)
{
    wide_ascii(store, cap, "%s", text);
    v->ulPropTag = tag;
    v->Value.lpszW = store;
}

static void write_message(const char *path, long index)
{
    WCHAR *w = wide_dup(path);
    IStorage *stg = NULL;
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL;
    SPropValue props[21];
    WCHAR strings[20][160];
    FILETIME ft = {0x5C2A8000u + (DWORD)index, 0x01DA0000u};
    char text[160];
    int n = 0, s = 0, r, a;
    LPADRLIST adr = NULL;

    CHECK_HR(StgCreateDocfile(w, STGM_TRANSACTED | STGM_READWRITE | STGM_CREATE, 0, &stg));
    CHECK_HR(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_HR(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));

#define WIDE(tag, ...)                                                    \
    do {                                                                  \
        snprintf(text, sizeof text, __VA_ARGS__);                         \
        set_wide(&props[n++], tag, text, strings[s++], 160);              \
    } while (0)
    WIDE(PR_MESSAGE_CLASS_W, "IPM.Note");
    WIDE(PR_SUBJECT_W, "Quarterly figures, message %ld", index);
    props[n].ulPropTag = PR_BODY_W;
    props[n++].Value.lpszW = body;
    WIDE(PR_SENDER_NAME_W, "Sender Person");
    WIDE(PR_SENDER_EMAIL_ADDRESS_W, "sender@example.com");
    WIDE(PR_SENDER_ADDRTYPE_W, "SMTP");
    WIDE(PR_SENT_REPRESENTING_NAME_W, "Sender Person");
    WIDE(PR_SENT_REPRESENTING_EMAIL_ADDRESS_W, "sender@example.com");
    WIDE(PR_SENT_REPRESENTING_ADDRTYPE_W, "SMTP");
    props[n].ulPropTag = PR_CLIENT_SUBMIT_TIME;
    props[n++].Value.ft = ft;
    props[n].ulPropTag = PR_MESSAGE_DELIVERY_TIME;
    props[n++].Value.ft = ft;
    props[n].ulPropTag = PR_IMPORTANCE;
    props[n++].Value.l = 1;
    props[n].ulPropTag = PR_PRIORITY;
    props[n++].Value.l = 0;
    props[n].ulPropTag = PR_SENSITIVITY;
    props[n++].Value.l = 0;
    props[n].ulPropTag = PR_MESSAGE_FLAGS;
    props[n++].Value.l = 1;
    WIDE(PR_INTERNET_MESSAGE_ID_W, "<%ld.bench@example.com>", index);
    WIDE(PR_CONVERSATION_TOPIC_W, "Quarterly figures");
    WIDE(PR_DISPLAY_TO_W, "Recipient One; Recipient Two");
    WIDE(PR_DISPLAY_CC_W, "Recipient Three");
    WIDE(PR_TRANSPORT_MESSAGE_HEADERS_W,
         "Received: from mx.example.com\r\nMessage-ID: <%ld.bench@example.com>\r\n", index);
    props[n].ulPropTag = PR_INTERNET_CPID;
    props[n++].Value.l = 65001;
#undef WIDE
    if (n != 21)
        die("%d properties, not 21", n);
    CHECK_HR(msg->lpVtbl->SetProps(msg, (ULONG)n, props, NULL));

    CHECK_HR(MAPIAllocateBuffer(CbNewADRLIST(3), (LPVOID *)&adr));
    adr->cEntries = 3;
    for (r = 0; r < 3; r++) {
        LPSPropValue p = NULL;
        CHECK_HR(MAPIAllocateBuffer(4 * sizeof(SPropValue), (LPVOID *)&p));
        set_wide(&p[0], PR_DISPLAY_NAME_W, r == 0 ? "Recipient One" : r == 1 ? "Recipient Two" : "Recipient Three",
                 strings[s++], 160);
        snprintf(text, sizeof text, "recipient%d@example.com", r + 1);
        set_wide(&p[1], PR_EMAIL_ADDRESS_W, text, strings[s++], 160);
        p[2].ulPropTag = PR_ADDRTYPE_W;
        p[2].Value.lpszW = (LPWSTR)u"SMTP";
        p[3].ulPropTag = PR_RECIPIENT_TYPE;
        p[3].Value.l = r < 2 ? MAPI_TO : MAPI_CC;
        adr->aEntries[r].cValues = 4;
        adr->aEntries[r].rgPropVals = p;
    }
    CHECK_HR(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, adr));
    for (r = 0; r < 3; r++)
        MAPIFreeBuffer(adr->aEntries[r].rgPropVals);
    MAPIFreeBuffer(adr);

    for (a = 0; a < 2; a++) {
        ULONG size = a == 0 ? 10 * 1024 : 100 * 1024, num = 0, written = 0;
        LPATTACH att = NULL;
        IStream *stream = NULL;
        SPropValue ap[4];
        CHECK_HR(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
        ap[0].ulPropTag = PR_ATTACH_METHOD;
        ap[0].Value.l = ATTACH_BY_VALUE;
        ap[1].ulPropTag = PR_ATTACH_FILENAME_W;
        ap[1].Value.lpszW = a == 0 ? (LPWSTR)u"NOTES.TXT" : (LPWSTR)u"REPORT.PDF";
        ap[2].ulPropTag = PR_ATTACH_LONG_FILENAME_W;
        ap[2].Value.lpszW = a == 0 ? (LPWSTR)u"notes.txt" : (LPWSTR)u"quarterly report.pdf";
        ap[3].ulPropTag = PR_ATTACH_MIME_TAG_W;
        ap[3].Value.lpszW = a == 0 ? (LPWSTR)u"text/plain" : (LPWSTR)u"application/pdf";
        CHECK_HR(att->lpVtbl->SetProps(att, 4, ap, NULL));
        CHECK_HR(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_BIN, &IID_IStream, 0,
                                           MAPI_CREATE | MAPI_MODIFY, (LPUNKNOWN *)&stream));
        fill_data(0xA77ACull + (uint64_t)a, (uint64_t)index * 8, attach_data, size);
        CHECK_HR(stream->lpVtbl->Write(stream, attach_data, size, &written));
        if (written != size)
            die("wrote %u of %u bytes", (unsigned)written, (unsigned)size);
        CHECK_HR(stream->lpVtbl->Commit(stream, STGC_DEFAULT));
        stream->lpVtbl->Release(stream);
        CHECK_HR(att->lpVtbl->SaveChanges(att, 0));
        att->lpVtbl->Release(att);
    }
    CHECK_HR(msg->lpVtbl->SaveChanges(msg, 0));
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
    CloseIMsgSession(sess);
    free(w);
}

int main(int argc, char **argv)
{
    long n, first, i;
    double t0, c0;
    uint64_t bytes = 0;
    char path[4096];
    if (argc < 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
        fprintf(stderr, "usage: write_many DIR N [FIRST]\n");
        return 2;
    }
    first = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
    for (i = 0; i < BODY_CHARS; i++)
        body[i] = (WCHAR)("The quarterly figures are attached. "[i % 36]);
    body[BODY_CHARS] = 0;
    t0 = now_seconds();
    c0 = cpu_seconds();
    for (i = first; i < first + n; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/msg%05ld.msg", argv[1], i);
        write_message(path, i);
        if (stat(path, &st) != 0)
            die("%s was not written", path);
        bytes += (uint64_t)st.st_size;
    }
    printf("RESULT lib_write seconds=%.6f cpu=%.6f files=%ld bytes=%llu\n", now_seconds() - t0,
           cpu_seconds() - c0, n, (unsigned long long)bytes);
    return 0;
}
