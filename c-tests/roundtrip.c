/* roundtrip.c - creates a Unicode and an ANSI message with one property of every type in a
   new docfile, saves, commits, releases, reopens with StgOpenStorage and checks every value,
   through the C interface form (lpVtbl). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <unistd.h>

#include "every_type.h"

static void to_wide(const char *s, WCHAR *out)
{
    while ((*out++ = (WCHAR)(unsigned char)*s++) != 0) {
    }
}

static void write_message(const WCHAR *path, int unicode)
{
    IStorage *stg = NULL;
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL;
    SPropValue values[EVERY_TYPE_COUNT];
    LPSPropProblemArray problems = NULL;

    CHECK_OK(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, unicode ? MAPI_UNICODE : 0, &msg));
    CHECK(msg != NULL);
    if (!msg)
        return;
    CHECK_OK(WriteClassStg(stg, &CLSID_MailMessage));

    every_type_values(values);
    CHECK_OK(msg->lpVtbl->SetProps(msg, EVERY_TYPE_COUNT, values, &problems));
    CHECK(problems == NULL);
    MAPIFreeBuffer(problems);

    CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    /* Callers release the storage before the message (KB 171907 does). */
    CHECK(stg->lpVtbl->Release(stg) > 0);
    CHECK(msg->lpVtbl->Release(msg) == 0);
    CloseIMsgSession(sess);
}

static void read_message(const WCHAR *path, int unicode)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    SPropValue want[EVERY_TYPE_COUNT];
    SizedSPropTagArray(EVERY_TYPE_COUNT, tags);
    SizedSPropTagArray(1, mask_tag) = {1, {PROP_TAG(PT_LONG, 0x340D)}};
    LPSPropValue got = NULL;
    ULONG count = 0;
    CLSID clsid;
    IStream *raw = NULL;
    int i;

    CHECK_OK(StgOpenStorage(path, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, 0, &msg));
    CHECK_OK(ReadClassStg(stg, &clsid));
    CHECK(IsEqualGUID(&clsid, &CLSID_MailMessage));
    /* Strings live in streams of the message's width. */
    CHECK_OK(stg->lpVtbl->OpenStream(stg, unicode ? u"__substg1.0_6609001F" : u"__substg1.0_6609001E",
                                     NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &raw));
    if (raw)
        raw->lpVtbl->Release(raw);
    stg->lpVtbl->Release(stg);
    if (!msg)
        return;

    every_type_values(want);
    tags.cValues = EVERY_TYPE_COUNT;
    for (i = 0; i < EVERY_TYPE_COUNT; i++)
        tags.aulPropTag[i] = want[i].ulPropTag;
    /* The PT_ERROR slot is not found, so a warning comes back. */
    CHECK_HR(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &count, &got), MAPI_W_ERRORS_RETURNED);
    CHECK(count == EVERY_TYPE_COUNT);
    if (got)
        for (i = 0; i < EVERY_TYPE_COUNT; i++)
            every_type_compare(&want[i], &got[i], unicode);
    MAPIFreeBuffer(got);

    CHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&mask_tag, 0, &count, &got));
    if (got)
        CHECK(((got[0].Value.l & STORE_UNICODE_OK) != 0) == (unicode != 0));
    MAPIFreeBuffer(got);

    /* A read-only message refuses changes. */
    CHECK_HR(msg->lpVtbl->SetProps(msg, 1, want, NULL), MAPI_E_NO_ACCESS);
    CHECK(msg->lpVtbl->Release(msg) == 0);
}

int main(void)
{
    char dir[] = "/tmp/imsg-roundtrip-XXXXXX";
    char path[256];
    WCHAR wpath[256];
    int unicode;

    if (!mkdtemp(dir))
        return 1;
    for (unicode = 1; unicode >= 0; unicode--) {
        snprintf(path, sizeof(path), "%s/%s.msg", dir, unicode ? "unicode" : "ansi");
        to_wide(path, wpath);
        write_message(wpath, unicode);
        read_message(wpath, unicode);
        remove(path);
    }
    rmdir(dir);
    return check_report("roundtrip.c");
}
