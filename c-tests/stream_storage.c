/* stream_storage.c - HrIStorageFromStream: a compound file created inside a memory stream
   (the stream then starts with the compound-file signature), reopened read-only and
   read-write, at the stream's current position (the bytes before it untouched), under an
   IMessage (a .msg inside a stream), and over an ILockBytes. Refusals: NULL pointers,
   unknown flags, another interface, a stream holding no compound file, writing through a
   read-only storage. */
#include <stdlib.h>

#include "check.h"
#include "mapiutil.h"
#include "tags.h"
#include "wide.h"

static const BYTE signature[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

static void seek(IStream *stm, ULONG to)
{
    LARGE_INTEGER li;
    li.QuadPart = to;
    CHECK_OK(stm->lpVtbl->Seek(stm, li, STREAM_SEEK_SET, NULL));
}

/* Whether the stream holds the signature at `at`. */
static int signature_at(IStream *stm, ULONG at)
{
    BYTE head[8] = {0};
    ULONG got = 0;
    seek(stm, at);
    CHECK_OK(stm->lpVtbl->Read(stm, head, 8, &got));
    return got == 8 && memcmp(head, signature, 8) == 0;
}

static void put(IStorage *stg, const char *name, const char *text)
{
    IStream *s = NULL;
    CHECK_OK(stg->lpVtbl->CreateStream(stg, W(name), STGM_READWRITE | STGM_SHARE_EXCLUSIVE, 0,
                                       0, &s));
    if (s) {
        CHECK_OK(s->lpVtbl->Write(s, text, (ULONG)strlen(text), NULL));
        s->lpVtbl->Release(s);
    }
}

/* Whether the storage has stream `name` holding `text`. */
static int holds(IStorage *stg, const char *name, const char *text)
{
    IStream *s = NULL;
    char buf[64] = {0};
    ULONG got = 0;
    if (stg->lpVtbl->OpenStream(stg, W(name), NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &s) != S_OK)
        return 0;
    s->lpVtbl->Read(s, buf, sizeof buf - 1, &got);
    s->lpVtbl->Release(s);
    return got == strlen(text) && memcmp(buf, text, got) == 0;
}

static void create_and_reopen(void)
{
    IStream *stm = NULL, *s = NULL;
    IStorage *stg = NULL;

    CHECK_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
    if (!stm)
        return;
    CHECK_OK(HrIStorageFromStream((LPUNKNOWN)stm, NULL, STGSTRM_CREATE, &stg));
    CHECK(stg != NULL);
    if (!stg)
        return;
    put(stg, "data", "hello");
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    stg->lpVtbl->Release(stg);
    stg = NULL;
    CHECK(signature_at(stm, 0));

    /* Read-only: reads, refuses writing. */
    CHECK_OK(HrIStorageFromStream((LPUNKNOWN)stm, &IID_IStream, STGSTRM_RESET, &stg));
    if (stg) {
        CHECK(holds(stg, "data", "hello"));
        CHECK_HR(stg->lpVtbl->CreateStream(stg, W("more"), STGM_READWRITE | STGM_SHARE_EXCLUSIVE,
                                           0, 0, &s),
                 STG_E_ACCESSDENIED);
        CHECK(s == NULL);
        stg->lpVtbl->Release(stg);
        stg = NULL;
    }

    /* Read-write: a second stream, committed into the caller's stream. */
    CHECK_OK(HrIStorageFromStream((LPUNKNOWN)stm, NULL, STGSTRM_MODIFY, &stg));
    if (stg) {
        put(stg, "more", "world");
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
        stg->lpVtbl->Release(stg);
        stg = NULL;
    }
    CHECK_OK(HrIStorageFromStream((LPUNKNOWN)stm, NULL, 0, &stg));
    if (stg) {
        CHECK(holds(stg, "data", "hello") && holds(stg, "more", "world"));
        stg->lpVtbl->Release(stg);
    }
    stm->lpVtbl->Release(stm);
}

static void at_current_position(void)
{
    IStream *stm = NULL;
    IStorage *stg = (IStorage *)1;
    char prefix[100], back[100];
    ULONG got = 0;

    memset(prefix, 'P', sizeof prefix);
    CHECK_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
    if (!stm)
        return;
    CHECK_OK(stm->lpVtbl->Write(stm, prefix, sizeof prefix, NULL));
    CHECK_OK(HrIStorageFromStream((LPUNKNOWN)stm, NULL, STGSTRM_CREATE | STGSTRM_CURRENT, &stg));
    if (stg) {
        put(stg, "inner", "after the prefix");
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
        stg->lpVtbl->Release(stg);
    }
    seek(stm, 0);
    CHECK_OK(stm->lpVtbl->Read(stm, back, sizeof back, &got));
    CHECK(got == 100 && memcmp(back, prefix, 100) == 0);
    CHECK(signature_at(stm, 100));

    /* From the beginning there is no compound file; from byte 100 there is. */
    stg = (IStorage *)1;
    CHECK_HR(HrIStorageFromStream((LPUNKNOWN)stm, NULL, 0, &stg), STG_E_FILEALREADYEXISTS);
    CHECK(stg == NULL);
    seek(stm, 100);
    CHECK_OK(HrIStorageFromStream((LPUNKNOWN)stm, NULL, STGSTRM_CURRENT, &stg));
    if (stg) {
        CHECK(holds(stg, "inner", "after the prefix"));
        stg->lpVtbl->Release(stg);
    }
    stm->lpVtbl->Release(stm);
}

/* A .msg kept in a stream: written through an IMessage, read back through another. */
static void message_in_stream(void)
{
    IStream *stm = NULL;
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    SPropValue v, *got = NULL;

    CHECK_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
    if (!stm)
        return;
    CHECK_OK(HrIStorageFromStream((LPUNKNOWN)stm, NULL, STGSTRM_CREATE, &stg));
    if (!stg)
        goto out;
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (msg) {
        v.ulPropTag = PR_SUBJECT_A;
        v.Value.lpszA = (LPSTR) "kept in a stream";
        CHECK_OK(HrSetOneProp((LPMAPIPROP)msg, &v));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
        msg->lpVtbl->Release(msg);
        msg = NULL;
    }
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    stg->lpVtbl->Release(stg);
    stg = NULL;

    CHECK_OK(HrIStorageFromStream((LPUNKNOWN)stm, NULL, 0, &stg));
    if (!stg)
        goto out;
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, 0, &msg));
    if (msg) {
        CHECK_OK(HrGetOneProp((LPMAPIPROP)msg, PR_SUBJECT_A, &got));
        CHECK(got && strcmp(got->Value.lpszA, "kept in a stream") == 0);
        MAPIFreeBuffer(got);
        msg->lpVtbl->Release(msg);
    }
    stg->lpVtbl->Release(stg);
out:
    stm->lpVtbl->Release(stm);
}

static void over_lock_bytes(void)
{
#ifndef _WIN32
    ILockBytes *lb = NULL;
    IStorage *stg = NULL;
    CHECK_OK(CreateILockBytesOnHGlobal(NULL, TRUE, &lb));
    if (!lb)
        return;
    CHECK_OK(HrIStorageFromStream((LPUNKNOWN)lb, &IID_ILockBytes, STGSTRM_CREATE, &stg));
    if (stg) {
        put(stg, "lb", "bytes");
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
        stg->lpVtbl->Release(stg);
        stg = NULL;
    }
    CHECK_OK(StgIsStorageILockBytes(lb));
    CHECK_OK(HrIStorageFromStream((LPUNKNOWN)lb, &IID_ILockBytes, 0, &stg));
    if (stg) {
        CHECK(holds(stg, "lb", "bytes"));
        stg->lpVtbl->Release(stg);
    }
    lb->lpVtbl->Release(lb);
#endif
}

static void refusals(void)
{
    IStream *stm = NULL;
    IStorage *stg = (IStorage *)1;
    CHECK_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
    if (!stm)
        return;
    CHECK_HR(HrIStorageFromStream(NULL, NULL, 0, &stg), MAPI_E_INVALID_PARAMETER);
    CHECK(stg == NULL);
    CHECK_HR(HrIStorageFromStream((LPUNKNOWN)stm, NULL, 0, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(HrIStorageFromStream((LPUNKNOWN)stm, NULL, 0x4, &stg), MAPI_E_UNKNOWN_FLAGS);
    CHECK_HR(HrIStorageFromStream((LPUNKNOWN)stm, &IID_IStorage, 0, &stg),
             MAPI_E_INTERFACE_NOT_SUPPORTED);
    /* An empty stream holds no compound file. */
    CHECK_HR(HrIStorageFromStream((LPUNKNOWN)stm, NULL, STGSTRM_MODIFY, &stg),
             STG_E_FILEALREADYEXISTS);
    CHECK(stg == NULL);
    stm->lpVtbl->Release(stm);
}

int main(void)
{
    create_and_reopen();
    at_current_position();
    message_in_stream();
    over_lock_bytes();
    refusals();
    return check_report("stream_storage");
}
