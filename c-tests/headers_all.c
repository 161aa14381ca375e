/* headers_all.c - every standard header name a MAPI program includes, at once, and the
   macros and declarations they promise. tests/headers_compile.rs compiles this file as C11,
   C++11 and C++17 (as C++ with -x c++), with and without CINTERFACE, UNICODE and INITGUID,
   with -Wall -Wextra -Werror, links it to libimessage and runs it.

   Defines the matrix may add:
     IMSG_TEST_USES         INITGUID programs ask for every GUID with USES_<name>
     IMSG_TEST_INITGUID_H   INITGUID comes from <initguid.h> after the first headers
     IMSG_SECOND_TU         a second translation unit without main (INITGUID: the weak
                            definitions of both units must link)
     IMSG_TEST_SHORT_WCHAR  built with -fshort-wchar: L"..." literals are WCHAR strings */
#ifdef IMSG_TEST_USES
#define USES_IID_IUnknown
#define USES_IID_IMalloc
#define USES_IID_ILockBytes
#define USES_IID_IStorage
#define USES_IID_IStream
#define USES_IID_IEnumSTATSTG
#define USES_IID_IRootStorage
#define USES_IID_ISequentialStream
#define USES_IID_IMAPISession
#define USES_IID_IMAPITable
#define USES_IID_IMAPIAdviseSink
#define USES_IID_IMAPIProp
#define USES_IID_IProfSect
#define USES_IID_IMAPIStatus
#define USES_IID_IMsgStore
#define USES_IID_IMessage
#define USES_IID_IAttachment
#define USES_IID_IAddrBook
#define USES_IID_IMailUser
#define USES_IID_IMAPIContainer
#define USES_IID_IMAPIFolder
#define USES_IID_IABContainer
#define USES_IID_IDistList
#define USES_IID_IMAPISup
#define USES_IID_IMAPITableData
#define USES_IID_ITNEF
#define USES_IID_IMAPIPropData
#define USES_IID_IMAPIProgress
#define USES_IID_IPersistMessage
#define USES_IID_IStreamDocfile
#define USES_IID_IStreamTnef
#define USES_CLSID_MailMessage
#define USES_PS_MAPI
#define USES_PS_PUBLIC_STRINGS
#define USES_PS_ROUTING_EMAIL_ADDRESSES
#define USES_PS_ROUTING_ADDRTYPE
#define USES_PS_ROUTING_DISPLAY_NAME
#define USES_PS_ROUTING_ENTRYID
#define USES_PS_ROUTING_SEARCH_KEY
#define USES_MUID_PROFILE_INSTANCE
#define USES_PS_INTERNET_HEADERS
#define USES_PSETID_Appointment
#define USES_PSETID_Task
#define USES_PSETID_Address
#define USES_PSETID_Common
#define USES_PSETID_Log
#define USES_PSETID_Note
#define USES_PSETID_Report
#define USES_PSETID_Remote
#define USES_PSETID_Sharing
#define USES_PSETID_PostRss
#define USES_PSETID_Meeting
#define USES_PSETID_Messaging
#define USES_PSETID_Attachment
#define USES_PSETID_CalendarAssistant
#define USES_PSETID_UnifiedMessaging
#define USES_PSETID_XmlExtractedEntities
#define USES_PSETID_AirSync
#endif

#include <windows.h>
#include <winerror.h>
#include <objbase.h>
#include <ole2.h>
#include <objidl.h>
#include <mapidefs.h>
#include <mapicode.h>
#ifdef IMSG_TEST_INITGUID_H
#include <initguid.h>
#endif
#include <mapiguid.h>
#include <mapitags.h>
#include <mapix.h>
#include <mapiutil.h>
#include <tnef.h>
#include <mapival.h>
#include <imessage.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
#define STATIC_CHECK(cond) static_assert(cond, #cond)
#define REF(x) (x)
#else
#define STATIC_CHECK(cond) _Static_assert(cond, #cond)
#define REF(x) (&(x))
#endif

/* ===== property tags and their macros ===== */
STATIC_CHECK(PROP_TAG(PT_LONG, 0x1234) == 0x12340003);
STATIC_CHECK(PROP_TYPE(0x0037001F) == PT_UNICODE);
STATIC_CHECK(PROP_ID(0x0037001F) == 0x0037);
STATIC_CHECK(CHANGE_PROP_TYPE(0x0037001F, PT_STRING8) == 0x0037001E);
STATIC_CHECK(MVI_PROP(PROP_TAG(PT_MV_LONG, 0x8000)) == 0x80003003);
STATIC_CHECK(PR_SUBJECT_W == 0x0037001F);
STATIC_CHECK(PR_SUBJECT_A == 0x0037001E);
STATIC_CHECK(PR_BODY_HTML_W == 0x1013001F);
STATIC_CHECK(PR_HTML == 0x10130102);
STATIC_CHECK(PR_ATTACH_DATA_BIN == 0x37010102);
STATIC_CHECK(PR_ATTACH_DATA_OBJ == 0x3701000D);
STATIC_CHECK(PR_MESSAGE_RECIPIENTS == 0x0E12000D);
STATIC_CHECK(PR_INTERNET_CPID == 0x3FDE0003);
STATIC_CHECK(PR_CONTACT_EMAIL_ADDRESSES_W == 0x3A56101F);
STATIC_CHECK(PR_CONTACT_EMAIL_ADDRESSES_A == 0x3A56101E);
STATIC_CHECK(PR_RULE_CONDITION == 0x667900FD);
STATIC_CHECK(PR_NULL == 0x00000001);
#ifdef UNICODE
STATIC_CHECK(PR_SUBJECT == PR_SUBJECT_W);
STATIC_CHECK(PR_CONTACT_EMAIL_ADDRESSES == PR_CONTACT_EMAIL_ADDRESSES_W);
STATIC_CHECK(PT_TSTRING == PT_UNICODE && fMapiUnicode == MAPI_UNICODE);
#else
STATIC_CHECK(PR_SUBJECT == PR_SUBJECT_A);
STATIC_CHECK(PR_CONTACT_EMAIL_ADDRESSES == PR_CONTACT_EMAIL_ADDRESSES_A);
STATIC_CHECK(PT_TSTRING == PT_STRING8 && fMapiUnicode == 0);
#endif

/* ===== sized structures ===== */
STATIC_CHECK(CbNewSPropTagArray(3) == sizeof(ULONG) * 4);
STATIC_CHECK(CbNewSRowSet(2) == offsetof(SRowSet, aRow) + 2 * sizeof(SRow));
STATIC_CHECK(CbNewADRLIST(2) == offsetof(ADRLIST, aEntries) + 2 * sizeof(ADRENTRY));
STATIC_CHECK(CbNewSPropProblemArray(2) == sizeof(ULONG) + 2 * sizeof(SPropProblem));
STATIC_CHECK(CbNewSSortOrderSet(1) == 3 * sizeof(ULONG) + sizeof(SSortOrder));
STATIC_CHECK(CbNewSPropAttrArray(2) == 3 * sizeof(ULONG));
STATIC_CHECK(CbNewFlagList(2) == 3 * sizeof(ULONG));
STATIC_CHECK(CbNewENTRYID(10) == 14);
STATIC_CHECK(sizeof(SPropValue) == 8 + 2 * sizeof(void *));

#ifndef IMSG_SECOND_TU
static SizedSPropTagArray(3, g_columns) = {3, {PR_DISPLAY_NAME, PR_EMAIL_ADDRESS, PR_RECIPIENT_TYPE}};
static SizedSSortOrderSet(1, g_sort) = {1, 0, 0, {{PR_DISPLAY_NAME, TABLE_SORT_ASCEND}}};
static SizedSPropProblemArray(1, g_problems);
static SizedSPropAttrArray(1, g_attrs);
static SizedFlagList(1, g_flags);
static SizedENTRYID(4, g_entryid);
#endif

/* ===== status codes ===== */
STATIC_CHECK(MAKE_MAPI_E(0x10F) == MAPI_E_NOT_FOUND);
STATIC_CHECK(MAKE_MAPI_S(0x380) == MAPI_W_ERRORS_RETURNED);
STATIC_CHECK(MAKE_HRESULT(SEVERITY_ERROR, FACILITY_STORAGE, 2) == STG_E_FILENOTFOUND);
STATIC_CHECK(MAPI_E_CALL_FAILED == E_FAIL && MAPI_E_INVALID_PARAMETER == E_INVALIDARG);
STATIC_CHECK(HR_FAILED(MAPI_E_NOT_FOUND) && HR_SUCCEEDED(MAPI_W_ERRORS_RETURNED));
STATIC_CHECK(SUCCEEDED(S_FALSE) && FAILED(STG_E_ACCESSDENIED) && hrSuccess == S_OK);
STATIC_CHECK((STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE) == 0x11002);
STATIC_CHECK(STGC_DEFAULT == 0 && STATFLAG_NONAME == 1 && STREAM_SEEK_END == 2);

/* ===== allocator and callback types ===== */
#ifndef IMSG_SECOND_TU
static LPALLOCATEBUFFER g_alloc = MAPIAllocateBuffer;
static LPALLOCATEMORE g_more = MAPIAllocateMore;
static LPFREEBUFFER g_free = MAPIFreeBuffer;
#endif

/* ===== the interfaces, as callers use them (compiled, not run) ===== */
#ifdef IMSG_SECOND_TU
#define headers_save headers_save_second
#endif
#if defined(__cplusplus) && !defined(CINTERFACE)
HRESULT headers_save(IMessage *msg, IStorage *stg);
HRESULT headers_save(IMessage *msg, IStorage *stg)
{
    LPSPropValue subject = NULL;
    HRESULT hr = HrGetOneProp(msg, PR_SUBJECT, &subject);
    MAPIFreeBuffer(subject);
    if (HR_FAILED(hr))
        return hr;
    hr = msg->SaveChanges(KEEP_OPEN_READWRITE);
    return HR_FAILED(hr) ? hr : stg->Commit(STGC_DEFAULT);
}

#ifndef IMSG_SECOND_TU
/* An implementation of a MAPI interface declared with the SDK's macros. */
class MyProgress : public IMAPIProgress {
public:
    MAPI_IUNKNOWN_METHODS()
    MAPI_IMAPIPROGRESS_METHODS()
    ULONG last = 0;
};
STDMETHODIMP MyProgress::QueryInterface(REFIID riid, LPVOID *ppv)
{
    *ppv = (riid == IID_IUnknown || riid == __uuidof(IMAPIProgress)) ? this : NULL;
    return *ppv ? S_OK : E_NOINTERFACE;
}
STDMETHODIMP_(ULONG) MyProgress::AddRef() { return 2; }
STDMETHODIMP_(ULONG) MyProgress::Release() { return 1; }
STDMETHODIMP MyProgress::Progress(ULONG value, ULONG, ULONG) { last = value; return S_OK; }
STDMETHODIMP MyProgress::GetFlags(ULONG *flags) { *flags = 0; return S_OK; }
STDMETHODIMP MyProgress::GetMax(ULONG *max) { *max = 100; return S_OK; }
STDMETHODIMP MyProgress::GetMin(ULONG *min) { *min = 0; return S_OK; }
STDMETHODIMP MyProgress::SetLimits(ULONG *, ULONG *, ULONG *) { return S_OK; }
#endif
#else
HRESULT headers_save(IMessage *msg, IStorage *stg);
HRESULT headers_save(IMessage *msg, IStorage *stg)
{
    LPSPropValue subject = NULL;
    HRESULT hr = HrGetOneProp((LPMAPIPROP)msg, PR_SUBJECT, &subject);
    MAPIFreeBuffer(subject);
    if (HR_FAILED(hr))
        return hr;
    hr = IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE);
    return HR_FAILED(hr) ? hr : IStorage_Commit(stg, STGC_DEFAULT);
}
#endif

#ifndef IMSG_SECOND_TU

#if defined(INITGUID) && !defined(_WIN32)
#include <dlfcn.h>
#endif

static int failures = 0;
#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

/* The GUIDs the headers name, with the value the library exports. */
struct named_guid {
    const char *name;
    const GUID *guid;
};
static const struct named_guid guids[] = {
    {"IID_IUnknown", &IID_IUnknown}, {"IID_IMalloc", &IID_IMalloc},
    {"IID_IStorage", &IID_IStorage}, {"IID_IStream", &IID_IStream},
    {"IID_ISequentialStream", &IID_ISequentialStream}, {"IID_IMAPITable", &IID_IMAPITable},
    {"IID_IMAPIProp", &IID_IMAPIProp}, {"IID_IMessage", &IID_IMessage},
    {"IID_IAttachment", &IID_IAttachment}, {"IID_IMAPIFolder", &IID_IMAPIFolder},
    {"IID_IStreamDocfile", &IID_IStreamDocfile}, {"PS_MAPI", &PS_MAPI},
    {"PS_PUBLIC_STRINGS", &PS_PUBLIC_STRINGS}, {"MUID_PROFILE_INSTANCE", &MUID_PROFILE_INSTANCE},
#ifndef IMSG_NO_EXTRA_GUIDS
    {"CLSID_MailMessage", &CLSID_MailMessage}, {"PS_INTERNET_HEADERS", &PS_INTERNET_HEADERS},
    {"PSETID_Common", &PSETID_Common}, {"PSETID_Meeting", &PSETID_Meeting},
    {"PSETID_AirSync", &PSETID_AirSync},
#endif
};

int main(void)
{
    static const GUID message = {0x00020307, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
    SPropValue value;
    size_t i;

    CHECK(IsEqualGUID(REF(IID_IMessage), REF(message)));
    CHECK(IsEqualIID(REF(IID_IMessage), REF(IID_IMessage)));
    CHECK(!IsEqualCLSID(REF(IID_IStorage), REF(IID_IStream)));
#ifdef __cplusplus
    CHECK(IID_IMessage == message && IID_IStorage != IID_IStream);
    CHECK(__uuidof(IStorage) == IID_IStorage && __uuidof(IAttach) == IID_IAttachment);
    CHECK(&__uuidof(IMessage) == &IID_IMessage);
#endif
#ifndef IMSG_NO_EXTRA_GUIDS
    {
        static const GUID mail = {0x00020D0B, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
        CHECK(IsEqualGUID(REF(CLSID_MailMessage), REF(mail)));
    }
#endif

#if defined(INITGUID) && !defined(_WIN32)
    /* What this program defined (INITGUID + USES_) or declared equals what the library
       exports, read from the library itself. */
    {
        void *lib = dlopen("libimessage.so", RTLD_NOW | RTLD_NOLOAD);
        CHECK(lib != NULL);
        for (i = 0; lib && i < sizeof(guids) / sizeof(guids[0]); i++) {
            const GUID *exported = (const GUID *)dlsym(lib, guids[i].name);
            if (!exported || memcmp(exported, guids[i].guid, sizeof(GUID)) != 0) {
                fprintf(stderr, "%s differs from the library's\n", guids[i].name);
                failures++;
            }
        }
        if (lib)
            dlclose(lib);
    }
#else
    for (i = 0; i < sizeof(guids) / sizeof(guids[0]); i++)
        CHECK(guids[i].guid->Data4[0] != 0 || guids[i].guid->Data1 != 0);
#endif

    /* Strings of the TCHAR width. */
    memset(&value, 0, sizeof(value));
    value.ulPropTag = PR_SUBJECT;
#ifdef IMSG_TEST_SHORT_WCHAR
    {
        /* With -fshort-wchar, L"..." is a WCHAR string, as on Windows. */
        LPCWSTR wide = L"Hello";
        value.ulPropTag = PR_SUBJECT_W;
        value.Value.lpszW = (LPWSTR)wide;
        CHECK(UlPropSize(&value) == 12);
#ifdef UNICODE
        value.ulPropTag = PR_SUBJECT;
        value.Value.LPSZ = (LPTSTR)TEXT("Hi");
        CHECK(UlPropSize(&value) == 6);
#endif
    }
#endif
#ifndef UNICODE
    value.Value.LPSZ = (LPTSTR) "Hello";
    CHECK(UlPropSize(&value) == 6);
#endif

    CHECK(PpropFindProp(&value, 1, CHANGE_PROP_TYPE(PR_SUBJECT, PT_UNSPECIFIED)) == &value);
    CHECK(ScInitMapiUtil(0) == S_OK);
    DeinitMapiUtil();
    CHECK(MAPIInitialize(NULL) == S_OK);
    MAPIUninitialize();
    CHECK(g_alloc != NULL && g_more != NULL && g_free != NULL);
    CHECK(g_columns.cValues == 3 && g_sort.aSort[0].ulPropTag == PR_DISPLAY_NAME);
    g_problems.cProblem = 0;
    g_attrs.cValues = 0;
    g_flags.cFlags = 0;
    g_entryid.abFlags[0] = 0;
#if defined(__cplusplus) && !defined(CINTERFACE)
    {
        MyProgress progress;
        IMAPIProgress *p = &progress;
        void *q = NULL;
        CHECK(p->Progress(42, 1, 2) == S_OK && progress.last == 42);
        CHECK(p->QueryInterface(IID_IMAPIProgress, &q) == S_OK && q == p);
    }
#endif
    printf("headers_all: %s\n", failures ? "FAILED" : "ok");
    return failures;
}
#endif /* !IMSG_SECOND_TU */
