/* tnef_api.c - TNEF throughput through the public API (bench/tnef.sh): for each .msg file,
   encode: OpenIMsgOnIStg over the file, OpenTnefStream(TNEF_ENCODE) into a memory stream,
   AddProps(EXCLUDE nothing), Finish; decode: that stream into a new message on an
   in-memory storage with OpenTnefStreamEx(TNEF_DECODE), ExtractProps, Finish, SaveChanges.
   Each figure is the fastest of repeated runs over at least BUDGET seconds. Also writes
   each stream to OUTDIR/<n>.tnef, so that the other tools time the same bytes.
   Prints one line per file, tab-separated: the .msg, its stream, the stream's bytes, decode
   seconds, encode seconds.
     tnef_api BUDGET OUTDIR FILE.msg... */
#include "bench_common.h"
#include "tnef.h"

#define OK CHECK_HR

static LARGE_INTEGER zero(void)
{
    LARGE_INTEGER r;
    r.QuadPart = 0;
    return r;
}

static LPMESSAGE open_msg(IStorage *stg, ULONG flags)
{
    LPMESSAGE msg = NULL;
    OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                      MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, flags, &msg));
    return msg;
}

/* The message's TNEF (best-data mode) in a new memory stream. */
static IStream *encode(LPMESSAGE msg)
{
    IStream *stm = NULL;
    LPITNEF tnef = NULL;
    WORD key = 0;
    LPSTnefProblemArray problems = NULL;
    SizedSPropTagArray(1, none) = {0, {0}};
    OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
    OK(OpenTnefStream(NULL, stm, (LPSTR) "winmail.dat", TNEF_ENCODE, msg, 0x1234, &tnef));
    OK(tnef->lpVtbl->AddProps(tnef, TNEF_PROP_EXCLUDE, 0, NULL, (LPSPropTagArray)&none));
    OK(tnef->lpVtbl->Finish(tnef, 0, &key, &problems));
    if (problems)
        MAPIFreeBuffer(problems);
    tnef->lpVtbl->Release(tnef);
    return stm;
}

static void decode(IStream *stm)
{
    ILockBytes *lb = NULL;
    IStorage *stg = NULL;
    LPMESSAGE msg;
    LPITNEF tnef = NULL;
    LPSTnefProblemArray problems = NULL;
    OK(CreateILockBytesOnHGlobal(NULL, TRUE, &lb));
    OK(StgCreateDocfileOnILockBytes(lb, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, 0,
                                    &stg));
    msg = open_msg(stg, MAPI_UNICODE);
    OK(stm->lpVtbl->Seek(stm, zero(), STREAM_SEEK_SET, NULL));
    OK(OpenTnefStreamEx(NULL, stm, (LPSTR) "winmail.dat", TNEF_DECODE, msg, 0, NULL, &tnef));
    OK(tnef->lpVtbl->ExtractProps(tnef, TNEF_PROP_EXCLUDE, NULL, &problems));
    if (problems)
        MAPIFreeBuffer(problems);
    OK(tnef->lpVtbl->Finish(tnef, 0, NULL, NULL));
    tnef->lpVtbl->Release(tnef);
    OK(msg->lpVtbl->SaveChanges(msg, 0));
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
    lb->lpVtbl->Release(lb);
}

static ULONG stream_size(IStream *stm)
{
    ULARGE_INTEGER end;
    OK(stm->lpVtbl->Seek(stm, zero(), STREAM_SEEK_END, &end));
    return (ULONG)end.QuadPart;
}

static void save(IStream *stm, const char *path)
{
    ULONG n = stream_size(stm), got = 0;
    unsigned char *buf = (unsigned char *)malloc(n ? n : 1);
    FILE *f = fopen(path, "wb");
    OK(stm->lpVtbl->Seek(stm, zero(), STREAM_SEEK_SET, NULL));
    OK(stm->lpVtbl->Read(stm, buf, n, &got));
    if (!f || got != n || fwrite(buf, 1, n, f) != n) {
        die("writing %s", path);
    }
    fclose(f);
    free(buf);
}

int main(int argc, char **argv)
{
    double budget;
    int i;
    if (argc < 4) {
        fprintf(stderr, "usage: tnef_api BUDGET OUTDIR FILE.msg...\n");
        return 2;
    }
    budget = atof(argv[1]);
    OK(MAPIInitialize(NULL));
    for (i = 3; i < argc; i++) {
        IStorage *stg = NULL;
        LPMESSAGE msg;
        IStream *stm;
        char out[4096];
        double best_enc = 1e9, best_dec = 1e9, start;
        int runs;
        {
            WCHAR *w = wide_dup(argv[i]);
            OK(StgOpenStorage(w, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg));
            free(w);
        }
        msg = open_msg(stg, 0);
        for (runs = 0, start = now_seconds(); runs < 3 || now_seconds() - start < budget; runs++) {
            double t = now_seconds();
            stm = encode(msg);
            t = now_seconds() - t;
            if (t < best_enc)
                best_enc = t;
            stm->lpVtbl->Release(stm);
        }
        stm = encode(msg);
        msg->lpVtbl->Release(msg);
        stg->lpVtbl->Release(stg);
        for (runs = 0, start = now_seconds(); runs < 3 || now_seconds() - start < budget; runs++) {
            double t = now_seconds();
            decode(stm);
            t = now_seconds() - t;
            if (t < best_dec)
                best_dec = t;
        }
        snprintf(out, sizeof(out), "%s/%d.tnef", argv[2], i - 3);
        save(stm, out);
        printf("%s\t%s\t%lu\t%.9f\t%.9f\n", argv[i], out, (unsigned long)stream_size(stm),
               best_dec, best_enc);
        stm->lpVtbl->Release(stm);
    }
    MAPIUninitialize();
    return 0;
}
