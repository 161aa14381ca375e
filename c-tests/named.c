/* named.c - named properties through the C interface: names created on a message and on an
   attachment's embedded message, values set under them, the file saved and reopened, and
   everything read back by name; the map is one per file. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "check.h"
#include "tags.h"
#include "testdir.h"
#include "wide.h"

static WCHAR msg_path[256];

/* A property set nobody else uses. */
static GUID PS_TEST = {0x1234abcd, 0x5678, 0x9abc, {0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc}};

#define NAME_COUNT 4

/* 0: PS_PUBLIC_STRINGS "Keywords"; 1: PSETID_Common numeric 0x8514; 2: PS_TEST "Mood";
   3: PS_INTERNET_HEADERS "X-Test-Header". */
static void make_names(MAPINAMEID *ids, MAPINAMEID **ptrs)
{
    ids[0].lpguid = (LPGUID)&PS_PUBLIC_STRINGS;
    ids[0].ulKind = MNID_STRING;
    ids[0].Kind.lpwstrName = W("Keywords");
    ids[1].lpguid = (LPGUID)&PSETID_Common;
    ids[1].ulKind = MNID_ID;
    ids[1].Kind.lID = 0x8514;
    ids[2].lpguid = &PS_TEST;
    ids[2].ulKind = MNID_STRING;
    ids[2].Kind.lpwstrName = W("Mood");
    ids[3].lpguid = (LPGUID)&PS_INTERNET_HEADERS;
    ids[3].ulKind = MNID_STRING;
    ids[3].Kind.lpwstrName = W("X-Test-Header");
    for (int i = 0; i < NAME_COUNT; i++)
        ptrs[i] = &ids[i];
}

/* The tags of the four names on `obj`, created when `create`; returns the SCODE. */
static HRESULT name_tags(LPMAPIPROP obj, ULONG flags, ULONG *out)
{
    MAPINAMEID ids[NAME_COUNT], *ptrs[NAME_COUNT];
    LPSPropTagArray tags = NULL;
    HRESULT hr;
    make_names(ids, ptrs);
    hr = obj->lpVtbl->GetIDsFromNames(obj, NAME_COUNT, ptrs, flags, &tags);
    for (int i = 0; i < NAME_COUNT; i++)
        out[i] = tags && tags->cValues == NAME_COUNT ? tags->aulPropTag[i] : 0xFFFFFFFFu;
    MAPIFreeBuffer(tags);
    return hr;
}

static void set_named(LPMAPIPROP obj, const ULONG *tags, const char *mood, LONG number)
{
    SPropValue v[2];
    v[0].ulPropTag = CHANGE_PROP_TYPE(tags[2], PT_UNICODE);
    v[0].Value.lpszW = W(mood);
    v[1].ulPropTag = CHANGE_PROP_TYPE(tags[1], PT_LONG);
    v[1].Value.l = number;
    CHECK_OK(obj->lpVtbl->SetProps(obj, 2, v, NULL));
}

static void check_named(LPMAPIPROP obj, const char *mood, LONG number)
{
    ULONG tags[NAME_COUNT];
    SizedSPropTagArray(2, want);
    LPSPropValue v = NULL;
    ULONG n = 0;
    CHECK_OK(name_tags(obj, 0, tags));
    want.cValues = 2;
    want.aulPropTag[0] = CHANGE_PROP_TYPE(tags[2], PT_UNICODE);
    want.aulPropTag[1] = CHANGE_PROP_TYPE(tags[1], PT_LONG);
    CHECK_OK(obj->lpVtbl->GetProps(obj, (LPSPropTagArray)&want, 0, &n, &v));
    CHECK(n == 2 && v && wide_eq(v[0].Value.lpszW, mood));
    CHECK(v && v[1].Value.l == number);
    MAPIFreeBuffer(v);
}

static void write_file(LPMSGSESS sess)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL, inner = NULL;
    LPATTACH att = NULL;
    ULONG tags[NAME_COUNT], again[NAME_COUNT], num = 0;
    SPropValue method;

    CHECK_OK(StgCreateDocfile(msg_path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    stg->lpVtbl->Release(stg);
    if (!msg)
        return;

    /* Unknown names without MAPI_CREATE: PT_ERROR slots and a warning. */
    CHECK_HR(name_tags((LPMAPIPROP)msg, 0, tags), MAPI_W_ERRORS_RETURNED);
    CHECK(tags[0] == PROP_TAG(PT_ERROR, 0) && tags[3] == PROP_TAG(PT_ERROR, 0));
    /* Created densely from 0x8000, typeless. */
    CHECK_OK(name_tags((LPMAPIPROP)msg, MAPI_CREATE, tags));
    for (int i = 0; i < NAME_COUNT; i++)
        CHECK(tags[i] == PROP_TAG(PT_UNSPECIFIED, 0x8000 + i));
    CHECK_OK(name_tags((LPMAPIPROP)msg, MAPI_CREATE, again));
    CHECK(memcmp(tags, again, sizeof(tags)) == 0);
    set_named((LPMAPIPROP)msg, tags, "outer mood", 1);

    /* The embedded message shares the file's map: the same names, the same ids. */
    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    if (att) {
        method.ulPropTag = PROP_TAG(PT_LONG, 0x3705); /* PR_ATTACH_METHOD */
        method.Value.l = ATTACH_EMBEDDED_MSG;
        CHECK_OK(att->lpVtbl->SetProps(att, 1, &method, NULL));
        CHECK_OK(name_tags((LPMAPIPROP)att, 0, again));
        CHECK(memcmp(tags, again, sizeof(tags)) == 0);
        set_named((LPMAPIPROP)att, tags, "attachment mood", 2);
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
                                           (LPUNKNOWN *)&inner));
    }
    if (inner) {
        CHECK_OK(name_tags((LPMAPIPROP)inner, 0, again));
        CHECK(memcmp(tags, again, sizeof(tags)) == 0);
        set_named((LPMAPIPROP)inner, tags, "inner mood", 3);
        CHECK_OK(inner->lpVtbl->SaveChanges(inner, 0));
        inner->lpVtbl->Release(inner);
    }
    if (att) {
        CHECK_OK(att->lpVtbl->SaveChanges(att, 0));
        att->lpVtbl->Release(att);
    }
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
    msg->lpVtbl->Release(msg);
}

static void read_file(LPMSGSESS sess)
{
    IStorage *stg = NULL, *map = NULL;
    IStream *s = NULL;
    LPMESSAGE msg = NULL, inner = NULL;
    LPATTACH att = NULL;
    ULONG tags[NAME_COUNT], count = 0;
    LPSPropTagArray all = NULL;
    LPMAPINAMEID *names = NULL;
    SizedSPropTagArray(3, some) = {3, {PROP_TAG(PT_LONG, 0x8001), PROP_TAG(PT_LONG, 0x8123),
                                       PROP_TAG(PT_UNICODE, 0x8003)}};
    LPSPropTagArray some_ptr = (LPSPropTagArray)&some;
    static const char *const streams[3] = {"__substg1.0_00020102", "__substg1.0_00030102", "__substg1.0_00040102"};

    CHECK_OK(StgOpenStorage(msg_path, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(stg->lpVtbl->OpenStorage(stg, W("__nameid_version1.0"), NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, NULL, 0,
                                      &map));
    for (int i = 0; map && i < 3; i++) {
        CHECK_OK(map->lpVtbl->OpenStream(map, W(streams[i]), NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &s));
        if (s)
            s->lpVtbl->Release(s);
        s = NULL;
    }
    if (map)
        map->lpVtbl->Release(map);
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, 0, &msg));
    stg->lpVtbl->Release(stg);
    if (!msg)
        return;

    CHECK_OK(name_tags((LPMAPIPROP)msg, 0, tags));
    for (int i = 0; i < NAME_COUNT; i++)
        CHECK(tags[i] == PROP_TAG(PT_UNSPECIFIED, 0x8000 + i));
    check_named((LPMAPIPROP)msg, "outer mood", 1);
    /* A read-only message resolves known names but cannot create new ones. */
    CHECK_OK(name_tags((LPMAPIPROP)msg, MAPI_CREATE, tags));
    {
        MAPINAMEID fresh = {&PS_TEST, MNID_ID, {0}}, *p = &fresh;
        LPSPropTagArray t = NULL;
        fresh.Kind.lID = 77;
        CHECK_HR(msg->lpVtbl->GetIDsFromNames(msg, 1, &p, MAPI_CREATE, &t), MAPI_E_NO_ACCESS);
        CHECK(t == NULL);
    }

    /* Names for ids: 0x8123 has none. */
    CHECK_HR(msg->lpVtbl->GetNamesFromIDs(msg, &some_ptr, NULL, 0, &count, &names), MAPI_W_ERRORS_RETURNED);
    CHECK(count == 3 && names);
    if (names && count == 3) {
        CHECK(names[0] && names[0]->ulKind == MNID_ID && names[0]->Kind.lID == 0x8514);
        CHECK(names[0] && IsEqualGUID(names[0]->lpguid, &PSETID_Common));
        CHECK(names[1] == NULL);
        CHECK(names[2] && names[2]->ulKind == MNID_STRING && wide_eq(names[2]->Kind.lpwstrName, "x-test-header"));
    }
    MAPIFreeBuffer(names);
    names = NULL;
    /* Every name; then only the string names of PS_TEST. */
    CHECK_OK(msg->lpVtbl->GetNamesFromIDs(msg, &all, NULL, 0, &count, &names));
    CHECK(count == NAME_COUNT && all && all->cValues == NAME_COUNT);
    MAPIFreeBuffer(all);
    MAPIFreeBuffer(names);
    all = NULL;
    names = NULL;
    CHECK_OK(msg->lpVtbl->GetNamesFromIDs(msg, &all, &PS_TEST, MAPI_NO_IDS, &count, &names));
    CHECK(count == 1 && all && all->aulPropTag[0] == PROP_TAG(PT_UNSPECIFIED, 0x8002));
    CHECK(names && names[0] && wide_eq(names[0]->Kind.lpwstrName, "Mood"));
    MAPIFreeBuffer(all);
    MAPIFreeBuffer(names);
    names = NULL;
    CHECK_HR(msg->lpVtbl->GetNamesFromIDs(msg, NULL, NULL, 0, &count, &names), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(msg->lpVtbl->GetIDsFromNames(msg, 0, NULL, 0x100, &all), MAPI_E_UNKNOWN_FLAGS);

    CHECK_OK(msg->lpVtbl->OpenAttach(msg, 0, NULL, 0, &att));
    if (att) {
        check_named((LPMAPIPROP)att, "attachment mood", 2);
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, (LPUNKNOWN *)&inner));
        att->lpVtbl->Release(att);
    }
    if (inner) {
        check_named((LPMAPIPROP)inner, "inner mood", 3);
        inner->lpVtbl->Release(inner);
    }
    msg->lpVtbl->Release(msg);
}

int main(void)
{
    LPMSGSESS sess = NULL;
    char path[256];

    if (!test_dir_create("imsg-named")) {
        perror("mkdtemp");
        return 1;
    }
    test_path("named.msg", path, msg_path);
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    write_file(sess);
    read_file(sess);
    CloseIMsgSession(sess);
    test_dir_remove();
    return check_report("named");
}
