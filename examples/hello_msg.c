/* hello_msg.c - writes an Outlook .msg file with imessage, then reads it back and prints
   what it finds. Build and run: sh examples/run-hello.sh [OUT.msg] */
#include <stdio.h>
#include <string.h>

#include "imessage.h"

/* Property tags used here (the full list is in mapitags.h). */
#define TAG_MESSAGE_CLASS PROP_TAG(PT_UNICODE, 0x001A)
#define TAG_SUBJECT PROP_TAG(PT_UNICODE, 0x0037)
#define TAG_BODY PROP_TAG(PT_UNICODE, 0x1000)
#define TAG_IMPORTANCE PROP_TAG(PT_LONG, 0x0017)
#define TAG_CLIENT_SUBMIT_TIME PROP_TAG(PT_SYSTIME, 0x0039)

static void to_wide(const char *s, WCHAR *out)
{
    while ((*out++ = (WCHAR)(unsigned char)*s++) != 0) {
    }
}

/* Prints UTF-16 as UTF-8. */
static void print_wide(const WCHAR *s)
{
    while (*s) {
        unsigned long c = *s++;
        if (c >= 0xD800 && c < 0xDC00 && *s >= 0xDC00 && *s < 0xE000)
            c = 0x10000 + ((c - 0xD800) << 10) + (*s++ - 0xDC00);
        if (c < 0x80) {
            putchar((int)c);
        } else if (c < 0x800) {
            putchar((int)(0xC0 | (c >> 6)));
            putchar((int)(0x80 | (c & 0x3F)));
        } else if (c < 0x10000) {
            putchar((int)(0xE0 | (c >> 12)));
            putchar((int)(0x80 | ((c >> 6) & 0x3F)));
            putchar((int)(0x80 | (c & 0x3F)));
        } else {
            putchar((int)(0xF0 | (c >> 18)));
            putchar((int)(0x80 | ((c >> 12) & 0x3F)));
            putchar((int)(0x80 | ((c >> 6) & 0x3F)));
            putchar((int)(0x80 | (c & 0x3F)));
        }
    }
}

static int fail(const char *what, HRESULT hr)
{
    fprintf(stderr, "%s failed: 0x%08X\n", what, (unsigned)hr);
    return 1;
}

static int write_msg(const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMSGSESS session = NULL;
    LPMESSAGE msg = NULL;
    SPropValue props[5];
    HRESULT hr;

    hr = StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg);
    if (FAILED(hr))
        return fail("StgCreateDocfile", hr);
    OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &session);
    hr = OpenIMsgOnIStg(session, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                        MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg);
    if (FAILED(hr))
        return fail("OpenIMsgOnIStg", hr);

    props[0].ulPropTag = TAG_MESSAGE_CLASS;
    props[0].Value.lpszW = (LPWSTR)u"IPM.Note";
    props[1].ulPropTag = TAG_SUBJECT;
    props[1].Value.lpszW = (LPWSTR)u"Hello from imessage \u2709";
    props[2].ulPropTag = TAG_BODY;
    props[2].Value.lpszW = (LPWSTR)u"This message was written on Linux through IMessage on IStorage.";
    props[3].ulPropTag = TAG_IMPORTANCE;
    props[3].Value.l = 2; /* high */
    props[4].ulPropTag = TAG_CLIENT_SUBMIT_TIME;
    props[4].Value.ft.dwLowDateTime = 0xD53E8000u; /* 2024-01-01 00:00 UTC */
    props[4].Value.ft.dwHighDateTime = 0x01DA3C37u;
    hr = msg->lpVtbl->SetProps(msg, 5, props, NULL);
    if (FAILED(hr))
        return fail("SetProps", hr);
    hr = msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE);
    if (FAILED(hr))
        return fail("SaveChanges", hr);
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
    CloseIMsgSession(session);
    return 0;
}

static int read_msg(const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    LPSPropValue props = NULL;
    ULONG count = 0, i;
    HRESULT hr;

    hr = StgOpenStorage(path, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg);
    if (FAILED(hr))
        return fail("StgOpenStorage", hr);
    hr = OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                        MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, 0, &msg);
    stg->lpVtbl->Release(stg); /* the message keeps its own reference */
    if (FAILED(hr))
        return fail("OpenIMsgOnIStg", hr);
    hr = msg->lpVtbl->GetProps(msg, NULL, MAPI_UNICODE, &count, &props);
    if (FAILED(hr))
        return fail("GetProps", hr);
    printf("read back %u properties:\n", (unsigned)count);
    for (i = 0; i < count; i++) {
        const SPropValue *p = &props[i];
        printf("  0x%08X  ", (unsigned)p->ulPropTag);
        switch (PROP_TYPE(p->ulPropTag)) {
        case PT_UNICODE: print_wide(p->Value.lpszW); break;
        case PT_LONG: printf("%ld", (long)p->Value.l); break;
        case PT_SYSTIME:
            printf("FILETIME 0x%08X%08X", (unsigned)p->Value.ft.dwHighDateTime,
                   (unsigned)p->Value.ft.dwLowDateTime);
            break;
        default: printf("(type 0x%04X)", (unsigned)PROP_TYPE(p->ulPropTag));
        }
        putchar('\n');
    }
    MAPIFreeBuffer(props);
    msg->lpVtbl->Release(msg);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "hello.msg";
    WCHAR wpath[1024];
    if (strlen(path) >= sizeof(wpath) / sizeof(wpath[0]))
        return 2;
    to_wide(path, wpath);
    if (write_msg(wpath) != 0)
        return 1;
    printf("wrote %s\n", path);
    return read_msg(wpath);
}
