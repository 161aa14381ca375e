/* abi_layout.h - the binary layout of our headers, pinned by static assertions
   (spec/mapi-abi.md §3 slot orders, §4.1 and §5.5 layouts), plus run-time checks that the
   library writes the structures where the headers say. Included by abi_layout.c and, with
   CINTERFACE, by abi_layout.cpp, so the same assertions hold in C and in C++. */
#ifndef IMSG_ABI_LAYOUT_H
#define IMSG_ABI_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "imessage.h"
#include "mapix.h" /* IMAPISession */
#include "testdir.h"
#include "wide.h"

#ifdef __cplusplus
#define ABI_ASSERT(cond, what) static_assert(cond, what)
#define REF(x) (x) /* REFIID and REFCLSID are references in C++ */
#else
#define ABI_ASSERT(cond, what) _Static_assert(cond, what)
#define REF(x) (&(x))
#endif

#define PTR ((size_t)sizeof(void *))
#define SIZE_IS(type, n) ABI_ASSERT(sizeof(type) == (n), "sizeof(" #type ") == " #n)
#define OFFSET_IS(type, field, n) ABI_ASSERT(offsetof(type, field) == (n), "offsetof(" #type ", " #field ") == " #n)
/* Slot n of a vtable is the n-th pointer. */
#define SLOT(iface, method, n) \
    ABI_ASSERT(offsetof(iface##Vtbl, method) == (n) * PTR, #iface "::" #method " is slot " #n)
#define SLOTS(iface, n) ABI_ASSERT(sizeof(iface##Vtbl) == (n) * PTR, #iface " has " #n " slots")

/* ===== base types ===== */
SIZE_IS(BYTE, 1);
SIZE_IS(WCHAR, 2);
SIZE_IS(USHORT, 2);
SIZE_IS(ULONG, 4);
SIZE_IS(LONG, 4);
SIZE_IS(DWORD, 4);
SIZE_IS(SCODE, 4);
SIZE_IS(HRESULT, 4);
SIZE_IS(BOOL, 4);
SIZE_IS(LONGLONG, 8);
SIZE_IS(ULONG_PTR, sizeof(void *));
SIZE_IS(SIZE_T, sizeof(void *));
SIZE_IS(BOOKMARK, sizeof(void *));
SIZE_IS(GUID, 16);
SIZE_IS(MAPIUID, 16);
SIZE_IS(FILETIME, 8);
SIZE_IS(CURRENCY, 8);
SIZE_IS(LARGE_INTEGER, 8);
SIZE_IS(ULARGE_INTEGER, 8);
OFFSET_IS(GUID, Data2, 4);
OFFSET_IS(GUID, Data3, 6);
OFFSET_IS(GUID, Data4, 8);
OFFSET_IS(FILETIME, dwHighDateTime, 4);
OFFSET_IS(ENTRYID, ab, 4);

/* ===== structures: fixed parts ===== */
SIZE_IS(SPropProblem, 12);
OFFSET_IS(SPropProblem, ulPropTag, 4);
OFFSET_IS(SPropProblem, scode, 8);
OFFSET_IS(SPropProblemArray, aProblem, 4);
OFFSET_IS(SPropTagArray, aulPropTag, 4);
OFFSET_IS(SPropAttrArray, aPropAttr, 4);
SIZE_IS(SSortOrder, 8);
OFFSET_IS(SSortOrderSet, aSort, 12);
OFFSET_IS(SPropValue, dwAlignPad, 4);
OFFSET_IS(SPropValue, Value, 8);
OFFSET_IS(SRow, cValues, 4);
OFFSET_IS(ADRENTRY, cValues, 4);
OFFSET_IS(MAPIERROR, lpszError, PTR);
OFFSET_IS(STATSTG, type, PTR);
SIZE_IS(MAPIINIT_0, 8);

/* ===== structures: pointer-size dependent (spec §5.5) ===== */
#if UINTPTR_MAX > 0xFFFFFFFFu
SIZE_IS(union _PV, 16);
SIZE_IS(SPropValue, 24);
SIZE_IS(SBinary, 16);
OFFSET_IS(SBinary, lpb, 8);
SIZE_IS(SLongArray, 16);
OFFSET_IS(SLongArray, lpl, 8);
SIZE_IS(SWStringArray, 16);
OFFSET_IS(SWStringArray, lppszW, 8);
SIZE_IS(SRow, 16);
OFFSET_IS(SRow, lpProps, 8);
SIZE_IS(ADRENTRY, 16);
OFFSET_IS(ADRENTRY, rgPropVals, 8);
OFFSET_IS(SRowSet, aRow, 8);
SIZE_IS(SRowSet, 24);
OFFSET_IS(ADRLIST, aEntries, 8);
SIZE_IS(MAPINAMEID, 24);
OFFSET_IS(MAPINAMEID, ulKind, 8);
OFFSET_IS(MAPINAMEID, Kind, 16);
SIZE_IS(SRestriction, 32);
OFFSET_IS(SRestriction, res, 8);
OFFSET_IS(SPropertyRestriction, lpProp, 8);
OFFSET_IS(SCommentRestriction, lpProp, 16);
SIZE_IS(MAPIERROR, 32);
OFFSET_IS(MAPIERROR, lpszComponent, 16);
OFFSET_IS(MAPIERROR, ulLowLevelError, 24);
OFFSET_IS(MAPIERROR, ulContext, 28);
SIZE_IS(STATSTG, 80);
OFFSET_IS(STATSTG, cbSize, 16);
OFFSET_IS(STATSTG, mtime, 24);
OFFSET_IS(STATSTG, ctime, 32);
OFFSET_IS(STATSTG, atime, 40);
OFFSET_IS(STATSTG, grfMode, 48);
OFFSET_IS(STATSTG, grfLocksSupported, 52);
OFFSET_IS(STATSTG, clsid, 56);
OFFSET_IS(STATSTG, grfStateBits, 72);
OFFSET_IS(STATSTG, reserved, 76);
SIZE_IS(STGOPTIONS, 16);
OFFSET_IS(STGOPTIONS, pwcsTemplateFile, 8);
#else /* i386 (SysV and MSVC agree for these, spec §5.5) */
SIZE_IS(SPropValue, 16);
SIZE_IS(SBinary, 8);
OFFSET_IS(SBinary, lpb, 4);
SIZE_IS(SRow, 12);
OFFSET_IS(SRow, lpProps, 8);
OFFSET_IS(SRowSet, aRow, 4);
OFFSET_IS(ADRLIST, aEntries, 4);
SIZE_IS(MAPINAMEID, 12);
OFFSET_IS(MAPINAMEID, Kind, 8);
SIZE_IS(SRestriction, 16);
OFFSET_IS(SRestriction, res, 4);
SIZE_IS(MAPIERROR, 20);
OFFSET_IS(MAPIERROR, ulLowLevelError, 12);
SIZE_IS(STATSTG, 72);
OFFSET_IS(STATSTG, cbSize, 8);
OFFSET_IS(STATSTG, clsid, 48);
#endif

/* ===== vtables (spec §3) ===== */
SLOT(IUnknown, QueryInterface, 0);
SLOT(IUnknown, AddRef, 1);
SLOT(IUnknown, Release, 2);
SLOTS(IUnknown, 3);

SLOT(IMalloc, QueryInterface, 0);
SLOT(IMalloc, Release, 2);
SLOT(IMalloc, Alloc, 3);
SLOT(IMalloc, Realloc, 4);
SLOT(IMalloc, Free, 5);
SLOT(IMalloc, GetSize, 6);
SLOT(IMalloc, DidAlloc, 7);
SLOT(IMalloc, HeapMinimize, 8);
SLOTS(IMalloc, 9);

SLOT(ISequentialStream, Read, 3);
SLOT(ISequentialStream, Write, 4);
SLOTS(ISequentialStream, 5);

SLOT(IStream, QueryInterface, 0);
SLOT(IStream, Release, 2);
SLOT(IStream, Read, 3);
SLOT(IStream, Write, 4);
SLOT(IStream, Seek, 5);
SLOT(IStream, SetSize, 6);
SLOT(IStream, CopyTo, 7);
SLOT(IStream, Commit, 8);
SLOT(IStream, Revert, 9);
SLOT(IStream, LockRegion, 10);
SLOT(IStream, UnlockRegion, 11);
SLOT(IStream, Stat, 12);
SLOT(IStream, Clone, 13);
SLOTS(IStream, 14);

SLOT(IStorage, QueryInterface, 0);
SLOT(IStorage, Release, 2);
SLOT(IStorage, CreateStream, 3);
SLOT(IStorage, OpenStream, 4);
SLOT(IStorage, CreateStorage, 5);
SLOT(IStorage, OpenStorage, 6);
SLOT(IStorage, CopyTo, 7);
SLOT(IStorage, MoveElementTo, 8);
SLOT(IStorage, Commit, 9);
SLOT(IStorage, Revert, 10);
SLOT(IStorage, EnumElements, 11);
SLOT(IStorage, DestroyElement, 12);
SLOT(IStorage, RenameElement, 13);
SLOT(IStorage, SetElementTimes, 14);
SLOT(IStorage, SetClass, 15);
SLOT(IStorage, SetStateBits, 16);
SLOT(IStorage, Stat, 17);
SLOTS(IStorage, 18);

SLOT(IEnumSTATSTG, Release, 2);
SLOT(IEnumSTATSTG, Next, 3);
SLOT(IEnumSTATSTG, Skip, 4);
SLOT(IEnumSTATSTG, Reset, 5);
SLOT(IEnumSTATSTG, Clone, 6);
SLOTS(IEnumSTATSTG, 7);

SLOT(ILockBytes, Release, 2);
SLOT(ILockBytes, ReadAt, 3);
SLOT(ILockBytes, WriteAt, 4);
SLOT(ILockBytes, Flush, 5);
SLOT(ILockBytes, SetSize, 6);
SLOT(ILockBytes, LockRegion, 7);
SLOT(ILockBytes, UnlockRegion, 8);
SLOT(ILockBytes, Stat, 9);
SLOTS(ILockBytes, 10);

#define IMAPIPROP_SLOTS(iface)            \
    SLOT(iface, QueryInterface, 0);       \
    SLOT(iface, AddRef, 1);               \
    SLOT(iface, Release, 2);              \
    SLOT(iface, GetLastError, 3);         \
    SLOT(iface, SaveChanges, 4);          \
    SLOT(iface, GetProps, 5);             \
    SLOT(iface, GetPropList, 6);          \
    SLOT(iface, OpenProperty, 7);         \
    SLOT(iface, SetProps, 8);             \
    SLOT(iface, DeleteProps, 9);          \
    SLOT(iface, CopyTo, 10);              \
    SLOT(iface, CopyProps, 11);           \
    SLOT(iface, GetNamesFromIDs, 12);     \
    SLOT(iface, GetIDsFromNames, 13)

IMAPIPROP_SLOTS(IMAPIProp);
SLOTS(IMAPIProp, 14);

IMAPIPROP_SLOTS(IMessage);
SLOT(IMessage, GetAttachmentTable, 14);
SLOT(IMessage, OpenAttach, 15);
SLOT(IMessage, CreateAttach, 16);
SLOT(IMessage, DeleteAttach, 17);
SLOT(IMessage, GetRecipientTable, 18);
SLOT(IMessage, ModifyRecipients, 19);
SLOT(IMessage, SubmitMessage, 20);
SLOT(IMessage, SetReadFlag, 21);
SLOTS(IMessage, 22);

/* IAttach adds nothing to IMAPIProp. */
IMAPIPROP_SLOTS(IAttach);
SLOTS(IAttach, 14);

SLOT(IMAPITable, QueryInterface, 0);
SLOT(IMAPITable, Release, 2);
SLOT(IMAPITable, GetLastError, 3);
SLOT(IMAPITable, Advise, 4);
SLOT(IMAPITable, Unadvise, 5);
SLOT(IMAPITable, GetStatus, 6);
SLOT(IMAPITable, SetColumns, 7);
SLOT(IMAPITable, QueryColumns, 8);
SLOT(IMAPITable, GetRowCount, 9);
SLOT(IMAPITable, SeekRow, 10);
SLOT(IMAPITable, SeekRowApprox, 11);
SLOT(IMAPITable, QueryPosition, 12);
SLOT(IMAPITable, FindRow, 13);
SLOT(IMAPITable, Restrict, 14);
SLOT(IMAPITable, CreateBookmark, 15);
SLOT(IMAPITable, FreeBookmark, 16);
SLOT(IMAPITable, SortTable, 17);
SLOT(IMAPITable, QuerySortOrder, 18);
SLOT(IMAPITable, QueryRows, 19);
SLOT(IMAPITable, Abort, 20);
SLOT(IMAPITable, ExpandRow, 21);
SLOT(IMAPITable, CollapseRow, 22);
SLOT(IMAPITable, WaitForCompletion, 23);
SLOT(IMAPITable, GetCollapseState, 24);
SLOT(IMAPITable, SetCollapseState, 25);
SLOTS(IMAPITable, 26);

SLOT(IMAPIProgress, QueryInterface, 0);
SLOT(IMAPIProgress, Release, 2);
SLOT(IMAPIProgress, Progress, 3);
SLOT(IMAPIProgress, GetFlags, 4);
SLOT(IMAPIProgress, GetMax, 5);
SLOT(IMAPIProgress, GetMin, 6);
SLOT(IMAPIProgress, SetLimits, 7);
SLOTS(IMAPIProgress, 8);
SLOT(IMAPIAdviseSink, OnNotify, 3);
SLOTS(IMAPIAdviseSink, 4);

SLOT(IMAPISession, GetLastError, 3);
SLOT(IMAPISession, GetMsgStoresTable, 4);
SLOT(IMAPISession, OpenEntry, 9);
SLOT(IMAPISession, Advise, 11);
SLOT(IMAPISession, Logoff, 17);
SLOT(IMAPISession, PrepareForm, 21);
SLOTS(IMAPISession, 22);

/* ===== run time: the library's objects and results have these layouts ===== */

/* Whether the first `n` slots of an object's vtable are all filled in. */
static int slots_filled(const void *object, size_t n)
{
    typedef void (*any_fn)(void);
    const any_fn *vtbl = *(const any_fn *const *)object;
    size_t i;
    for (i = 0; i < n; i++)
        if (!vtbl[i])
            return 0;
    return 1;
}

static void abi_runtime_checks(void)
{
    static const GUID clsid = {0xA1B2C3D4u, 0x1122, 0x3344, {0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC}};
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    IStream *stm = NULL;
    IEnumSTATSTG *en = NULL;
    LPMESSAGE msg = NULL;
    IMalloc *m = MAPIGetDefaultMalloc();
    SPropValue v[3];
    LPSPropValue props = NULL;
    LPSPropProblemArray problems = NULL;
    LPSPropTagArray list = NULL;
    LPSPropAttrArray attrs = NULL;
    LPMAPIERROR err = NULL;
    STATSTG st;
    SizedSPropTagArray(3, tags);
    ULONG count = 0, i;
    int found = 0;

    test_path("layout.msg", path, wpath);
    CHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, m, NULL, stg, NULL, 0,
                            MAPI_UNICODE, &msg));
    CHECK_OK(stg->lpVtbl->CreateStream(stg, W("Layout"), STGM_READWRITE | STGM_SHARE_EXCLUSIVE, 0, 0, &stm));
    CHECK_OK(stg->lpVtbl->EnumElements(stg, 0, NULL, 0, &en));
    if (!msg || !stm || !en)
        goto done;

    CHECK(slots_filled(msg, sizeof(IMessageVtbl) / PTR));
    CHECK(slots_filled(stg, sizeof(IStorageVtbl) / PTR));
    CHECK(slots_filled(stm, sizeof(IStreamVtbl) / PTR));
    CHECK(slots_filled(en, sizeof(IEnumSTATSTGVtbl) / PTR));
    CHECK(slots_filled(m, sizeof(IMallocVtbl) / PTR));

    /* SPropValue arrays in and out: the stride and the union's place. */
    memset(v, 0, sizeof(v));
    v[0].ulPropTag = PROP_TAG(PT_LONG, 0x6700);
    v[0].Value.l = -7;
    v[1].ulPropTag = PROP_TAG(PT_I8, 0x6701);
    v[1].Value.li.QuadPart = 0x0102030405060708LL;
    v[2].ulPropTag = PROP_TAG(PT_LONG, 0x0FFE); /* PR_OBJECT_TYPE: computed, a problem */
    v[2].Value.l = 1;
    CHECK_OK(msg->lpVtbl->SetProps(msg, 3, v, &problems));
    CHECK(problems != NULL && problems->cProblem == 1);
    if (problems && problems->cProblem == 1)
        CHECK(problems->aProblem[0].ulIndex == 2 && problems->aProblem[0].ulPropTag == v[2].ulPropTag &&
              problems->aProblem[0].scode == MAPI_E_COMPUTED);
    MAPIFreeBuffer(problems);
    tags.cValues = 3;
    for (i = 0; i < 3; i++)
        tags.aulPropTag[i] = v[i].ulPropTag;
    CHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &count, &props));
    CHECK(count == 3 && props != NULL);
    if (props && count == 3) {
        CHECK(props[0].ulPropTag == v[0].ulPropTag && props[0].Value.l == -7);
        CHECK(props[1].ulPropTag == v[1].ulPropTag && props[1].Value.li.QuadPart == 0x0102030405060708LL);
        CHECK(props[2].ulPropTag == v[2].ulPropTag && props[2].Value.l == MAPI_MESSAGE);
    }
    MAPIFreeBuffer(props);

    CHECK_OK(msg->lpVtbl->GetPropList(msg, 0, &list));
    for (i = 0; list && i < list->cValues; i++)
        found += list->aulPropTag[i] == v[1].ulPropTag;
    CHECK(found == 1);
    MAPIFreeBuffer(list);
    CHECK_OK(GetAttribIMsgOnIStg(msg, (LPSPropTagArray)&tags, &attrs));
    CHECK(attrs != NULL && attrs->cValues == 3);
    if (attrs && attrs->cValues == 3)
        CHECK(attrs->aPropAttr[1] == (PROPATTR_READABLE | PROPATTR_WRITEABLE) && attrs->aPropAttr[2] == PROPATTR_READABLE);
    MAPIFreeBuffer(attrs);

    /* MAPIERROR: both string members are where the header says. */
    CHECK_HR(msg->lpVtbl->SetProps(msg, 0, v, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_OK(msg->lpVtbl->GetLastError(msg, MAPI_E_INVALID_PARAMETER, 0, &err));
    CHECK(err != NULL);
    if (err)
        CHECK(err->ulVersion == MAPI_ERROR_VERSION && err->lpszError && err->lpszError[0] && err->lpszComponent &&
              err->lpszComponent[0]);
    MAPIFreeBuffer(err);

    /* STATSTG: the fields after the 64-bit size and the CLSID. */
    CHECK_OK(stm->lpVtbl->Write(stm, "12345", 5, NULL));
    CHECK_OK(stm->lpVtbl->Stat(stm, &st, STATFLAG_NONAME));
    CHECK(st.type == STGTY_STREAM && st.cbSize.QuadPart == 5 && st.pwcsName == NULL);
    CHECK_OK(stg->lpVtbl->SetClass(stg, REF(clsid)));
    CHECK_OK(stg->lpVtbl->SetStateBits(stg, 0x5, 0xF));
    memset(&st, 0xCC, sizeof(st));
    CHECK_OK(stg->lpVtbl->Stat(stg, &st, STATFLAG_NONAME));
    CHECK(st.type == STGTY_STORAGE && IsEqualGUID(REF(st.clsid), REF(clsid)));
    CHECK(st.grfStateBits == 0x5 && st.reserved == 0 && st.pwcsName == NULL);
    CHECK((st.grfMode & 3) == STGM_READWRITE);

done:
    if (en)
        en->lpVtbl->Release(en);
    if (stm)
        stm->lpVtbl->Release(stm);
    if (msg)
        CHECK(msg->lpVtbl->Release(msg) == 0);
    CHECK(stg->lpVtbl->Release(stg) == 0);
}

#endif
