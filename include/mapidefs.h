/*
 * mapidefs.h - MAPI types, structures, macros and interfaces for imessage.
 *
 * Layouts follow Microsoft's MAPI headers (spec/mapi-abi.md §5); c-tests/abi_layout.c and
 * the Rust sources pin them with static assertions. Constants and functions are in the
 * generated <imessage.h>, which includes this file.
 */
#ifndef IMSG_MAPIDEFS_H
#define IMSG_MAPIDEFS_H

#include "imsg_ole.h"

#ifndef MAPI_DIM
#  define MAPI_DIM 1
#endif

/* ===== simple types ===== */
#if !defined(_WIN32) /* Windows' <wtypes.h> defines CY and CURRENCY, with this layout */
typedef union tagCY {
    struct {
        ULONG Lo;
        LONG Hi;
    };
    LONGLONG int64;
} CY, CURRENCY;
#endif

typedef struct _MAPIUID {
    BYTE ab[16];
} MAPIUID, *LPMAPIUID;

typedef struct _SBinary {
    ULONG cb;
    LPBYTE lpb;
} SBinary, *LPSBinary;

typedef struct _ENTRYID {
    BYTE abFlags[4];
    BYTE ab[MAPI_DIM];
} ENTRYID, *LPENTRYID;
#define CbNewENTRYID(cb) (offsetof(ENTRYID, ab) + (cb))
#define CbENTRYID(cb) (offsetof(ENTRYID, ab) + (cb))
#define SizedENTRYID(cb, name) struct _ENTRYID_##name { BYTE abFlags[4]; BYTE ab[cb]; } name

typedef struct _FlagList {
    ULONG cFlags;
    ULONG ulFlag[MAPI_DIM];
} FlagList, *LPFlagList;
#define CbNewFlagList(n) (offsetof(FlagList, ulFlag) + (n) * sizeof(ULONG))
#define CbFlagList(p) CbNewFlagList((p)->cFlags)
#define SizedFlagList(n, name) struct _FlagList_##name { ULONG cFlags; ULONG ulFlag[n]; } name

typedef ULONG_PTR BOOKMARK;
typedef const IID *LPCIID;
typedef double APPTIME;

/* ===== multi-valued arrays ===== */
typedef struct _SShortArray { ULONG cValues; short int *lpi; } SShortArray;
typedef struct _SLongArray { ULONG cValues; LONG *lpl; } SLongArray;
typedef struct _SRealArray { ULONG cValues; float *lpflt; } SRealArray;
typedef struct _SDoubleArray { ULONG cValues; double *lpdbl; } SDoubleArray;
typedef struct _SCurrencyArray { ULONG cValues; CURRENCY *lpcur; } SCurrencyArray;
typedef struct _SAppTimeArray { ULONG cValues; double *lpat; } SAppTimeArray;
typedef struct _SDateTimeArray { ULONG cValues; FILETIME *lpft; } SDateTimeArray;
typedef struct _SBinaryArray { ULONG cValues; SBinary *lpbin; } SBinaryArray;
typedef SBinaryArray ENTRYLIST, *LPENTRYLIST;
typedef struct _SLPSTRArray { ULONG cValues; LPSTR *lppszA; } SLPSTRArray;
typedef struct _SWStringArray { ULONG cValues; LPWSTR *lppszW; } SWStringArray;
typedef struct _SGuidArray { ULONG cValues; GUID *lpguid; } SGuidArray;
typedef struct _SLargeIntegerArray { ULONG cValues; LARGE_INTEGER *lpli; } SLargeIntegerArray;

/* ===== property values ===== */
typedef union _PV {
    short int i;
    LONG l;
    ULONG ul;
    LPVOID lpv;
    float flt;
    double dbl;
    unsigned short int b;
    CURRENCY cur;
    double at;
    FILETIME ft;
    LPSTR lpszA;
    SBinary bin;
    LPWSTR lpszW;
    LPGUID lpguid;
    LARGE_INTEGER li;
    SShortArray MVi;
    SLongArray MVl;
    SRealArray MVflt;
    SDoubleArray MVdbl;
    SCurrencyArray MVcur;
    SAppTimeArray MVat;
    SDateTimeArray MVft;
    SBinaryArray MVbin;
    SLPSTRArray MVszA;
    SWStringArray MVszW;
    SGuidArray MVguid;
    SLargeIntegerArray MVli;
    SCODE err;
    LONG x;
} __UPV;

typedef struct _SPropValue {
    ULONG ulPropTag;
    ULONG dwAlignPad;
    union _PV Value;
} SPropValue, *LPSPropValue;

#ifdef UNICODE
#  define PT_TSTRING PT_UNICODE
#  define PT_MV_TSTRING PT_MV_UNICODE
#  define LPSZ lpszW
#  define LPPSZ lppszW
#  define MVSZ MVszW
#  define fMapiUnicode MAPI_UNICODE
#else
#  define PT_TSTRING PT_STRING8
#  define PT_MV_TSTRING PT_MV_STRING8
#  define LPSZ lpszA
#  define LPPSZ lppszA
#  define MVSZ MVszA
#  define fMapiUnicode 0
#endif

/* ===== property tags ===== */
#define PROP_TYPE(ulPropTag) (((ULONG)(ulPropTag)) & PROP_TYPE_MASK)
#define PROP_ID(ulPropTag) (((ULONG)(ulPropTag)) >> 16)
#define PROP_TAG(ulPropType, ulPropID) ((((ULONG)(ulPropID)) << 16) | ((ULONG)(ulPropType)))
#define CHANGE_PROP_TYPE(ulPropTag, ulPropType) \
    (((ULONG)0xFFFF0000 & (ULONG)(ulPropTag)) | (ULONG)(ulPropType))
#define MVI_PROP(tag) ((tag) | MVI_FLAG)

typedef struct _SPropTagArray {
    ULONG cValues;
    ULONG aulPropTag[MAPI_DIM];
} SPropTagArray, *LPSPropTagArray;
#define CbNewSPropTagArray(n) (offsetof(SPropTagArray, aulPropTag) + (n) * sizeof(ULONG))
#define CbSPropTagArray(p) CbNewSPropTagArray((p)->cValues)
#define SizedSPropTagArray(n, name) \
    struct _SPropTagArray_##name { ULONG cValues; ULONG aulPropTag[n]; } name

typedef struct _SPropProblem {
    ULONG ulIndex;
    ULONG ulPropTag;
    SCODE scode;
} SPropProblem, *LPSPropProblem;

typedef struct _SPropProblemArray {
    ULONG cProblem;
    SPropProblem aProblem[MAPI_DIM];
} SPropProblemArray, *LPSPropProblemArray;
#define CbNewSPropProblemArray(n) (offsetof(SPropProblemArray, aProblem) + (n) * sizeof(SPropProblem))
#define CbSPropProblemArray(p) CbNewSPropProblemArray((p)->cProblem)
#define SizedSPropProblemArray(n, name) \
    struct _SPropProblemArray_##name { ULONG cProblem; SPropProblem aProblem[n]; } name

typedef struct _SPropAttrArray {
    ULONG cValues;
    ULONG aPropAttr[MAPI_DIM];
} SPropAttrArray, *LPSPropAttrArray;
#define CbNewSPropAttrArray(n) (offsetof(SPropAttrArray, aPropAttr) + (n) * sizeof(ULONG))
#define CbSPropAttrArray(p) CbNewSPropAttrArray((p)->cValues)
#define SizedSPropAttrArray(n, name) \
    struct _SPropAttrArray_##name { ULONG cValues; ULONG aPropAttr[n]; } name

/* ===== errors ===== */
typedef struct _MAPIERROR {
    ULONG ulVersion;
    LPTSTR lpszError;
    LPTSTR lpszComponent;
    ULONG ulLowLevelError;
    ULONG ulContext;
} MAPIERROR, *LPMAPIERROR;

/* ===== rows and address lists ===== */
typedef struct _SRow {
    ULONG ulAdrEntryPad;
    ULONG cValues;
    LPSPropValue lpProps;
} SRow, *LPSRow;

typedef struct _SRowSet {
    ULONG cRows;
    SRow aRow[MAPI_DIM];
} SRowSet, *LPSRowSet;
#define CbNewSRowSet(n) (offsetof(SRowSet, aRow) + (n) * sizeof(SRow))
#define CbSRowSet(p) CbNewSRowSet((p)->cRows)
#define SizedSRowSet(n, name) struct _SRowSet_##name { ULONG cRows; SRow aRow[n]; } name

typedef struct _ADRENTRY {
    ULONG ulReserved1;
    ULONG cValues;
    LPSPropValue rgPropVals;
} ADRENTRY, *LPADRENTRY;

typedef struct _ADRLIST {
    ULONG cEntries;
    ADRENTRY aEntries[MAPI_DIM];
} ADRLIST, *LPADRLIST;
#define CbNewADRLIST(n) (offsetof(ADRLIST, aEntries) + (n) * sizeof(ADRENTRY))
#define CbADRLIST(p) CbNewADRLIST((p)->cEntries)
#define SizedADRLIST(n, name) struct _ADRLIST_##name { ULONG cEntries; ADRENTRY aEntries[n]; } name

/* ===== sorting ===== */
typedef struct _SSortOrder {
    ULONG ulPropTag;
    ULONG ulOrder;
} SSortOrder, *LPSSortOrder;

typedef struct _SSortOrderSet {
    ULONG cSorts;
    ULONG cCategories;
    ULONG cExpanded;
    SSortOrder aSort[MAPI_DIM];
} SSortOrderSet, *LPSSortOrderSet;
#define CbNewSSortOrderSet(n) (offsetof(SSortOrderSet, aSort) + (n) * sizeof(SSortOrder))
#define CbSSortOrderSet(p) CbNewSSortOrderSet((p)->cSorts)
#define SizedSSortOrderSet(n, name) \
    struct _SSortOrderSet_##name { ULONG cSorts; ULONG cCategories; ULONG cExpanded; SSortOrder aSort[n]; } name

/* ===== named properties ===== */
typedef struct _MAPINAMEID {
    LPGUID lpguid;
    ULONG ulKind;
    union {
        LONG lID;
        LPWSTR lpwstrName;
        LONG_PTR lID_Reserved;
    } Kind;
} MAPINAMEID, *LPMAPINAMEID;

/* ===== restrictions ===== */
typedef struct _SRestriction *LPSRestriction;

typedef struct _SAndRestriction { ULONG cRes; LPSRestriction lpRes; } SAndRestriction;
typedef struct _SOrRestriction { ULONG cRes; LPSRestriction lpRes; } SOrRestriction;
typedef struct _SNotRestriction { ULONG ulReserved; LPSRestriction lpRes; } SNotRestriction;
typedef struct _SContentRestriction { ULONG ulFuzzyLevel; ULONG ulPropTag; LPSPropValue lpProp; } SContentRestriction;
typedef struct _SPropertyRestriction { ULONG relop; ULONG ulPropTag; LPSPropValue lpProp; } SPropertyRestriction;
typedef struct _SComparePropsRestriction { ULONG relop; ULONG ulPropTag1; ULONG ulPropTag2; } SComparePropsRestriction;
typedef struct _SBitMaskRestriction { ULONG relBMR; ULONG ulPropTag; ULONG ulMask; } SBitMaskRestriction;
typedef struct _SSizeRestriction { ULONG relop; ULONG ulPropTag; ULONG cb; } SSizeRestriction;
typedef struct _SExistRestriction { ULONG ulReserved1; ULONG ulPropTag; ULONG ulReserved2; } SExistRestriction;
typedef struct _SSubRestriction { ULONG ulSubObject; LPSRestriction lpRes; } SSubRestriction;
typedef struct _SCommentRestriction { ULONG cValues; LPSRestriction lpRes; LPSPropValue lpProp; } SCommentRestriction;
typedef struct _SAnnotationRestriction { ULONG cValues; LPSRestriction lpRes; LPSPropValue lpProp; } SAnnotationRestriction;
typedef struct _SCountRestriction { ULONG ulCount; LPSRestriction lpRes; } SCountRestriction;

typedef struct _SRestriction {
    ULONG rt;
    union {
        SComparePropsRestriction resCompareProps;
        SAndRestriction resAnd;
        SOrRestriction resOr;
        SNotRestriction resNot;
        SContentRestriction resContent;
        SPropertyRestriction resProperty;
        SBitMaskRestriction resBitMask;
        SSizeRestriction resSize;
        SExistRestriction resExist;
        SSubRestriction resSub;
        SCommentRestriction resComment;
        SAnnotationRestriction resAnnotation;
        SCountRestriction resCount;
    } res;
} SRestriction;

/* ===== memory ===== */
typedef SCODE (STDMETHODCALLTYPE ALLOCATEBUFFER)(ULONG cbSize, LPVOID *lppBuffer);
typedef SCODE (STDMETHODCALLTYPE ALLOCATEMORE)(ULONG cbSize, LPVOID lpObject, LPVOID *lppBuffer);
typedef ULONG (STDAPICALLTYPE FREEBUFFER)(LPVOID lpBuffer);
typedef ALLOCATEBUFFER *LPALLOCATEBUFFER;
typedef ALLOCATEMORE *LPALLOCATEMORE;
typedef FREEBUFFER *LPFREEBUFFER;

typedef struct {
    ULONG ulVersion;
    ULONG ulFlags;
} MAPIINIT_0, *LPMAPIINIT_0;
typedef MAPIINIT_0 MAPIINIT, *LPMAPIINIT;

/* ===== interfaces ===== */
/*
 * The SDK's macros for MAPI interfaces. Each MAPI_<iface>_METHODS(IPURE) lists the
 * interface's own methods in vtable order; the declarations below pass PURE, and a C++
 * class implementing an interface may pass nothing to declare its overrides:
 *
 *     class MyMessage : public IMessage {
 *         MAPI_IUNKNOWN_METHODS()
 *         MAPI_IMAPIPROP_METHODS()
 *         MAPI_IMESSAGE_METHODS()
 *     };
 */
#define MAPIMETHOD(method) MAPIMETHOD_(HRESULT, method)
#define MAPIMETHOD_(type, method) STDMETHOD_(type, method)
#define MAPIMETHODIMP STDMETHODIMP
#define MAPIMETHODIMP_(type) STDMETHODIMP_(type)
#define DECLARE_MAPI_INTERFACE(iface) DECLARE_INTERFACE(iface)
#define DECLARE_MAPI_INTERFACE_(iface, baseiface) DECLARE_INTERFACE_(iface, baseiface)
#ifdef __cplusplus
#  define DECLARE_MAPI_INTERFACE_PTR(iface, piface) struct iface; typedef iface *piface
#else
#  define DECLARE_MAPI_INTERFACE_PTR(iface, piface) \
       typedef struct iface iface; typedef iface *piface
#endif

#define MAPI_IUNKNOWN_METHODS(IPURE) \
    MAPIMETHOD(QueryInterface)(THIS_ REFIID riid, LPVOID *ppvObj) IPURE; \
    MAPIMETHOD_(ULONG, AddRef)(THIS) IPURE; \
    MAPIMETHOD_(ULONG, Release)(THIS) IPURE;

/* ===== notifications ===== */
#define fnevCriticalError           ((ULONG)0x00000001)
#define fnevNewMail                 ((ULONG)0x00000002)
#define fnevObjectCreated           ((ULONG)0x00000004)
#define fnevObjectDeleted           ((ULONG)0x00000008)
#define fnevObjectModified          ((ULONG)0x00000010)
#define fnevObjectMoved             ((ULONG)0x00000020)
#define fnevObjectCopied            ((ULONG)0x00000040)
#define fnevSearchComplete          ((ULONG)0x00000080)
#define fnevTableModified           ((ULONG)0x00000100)
#define fnevStatusObjectModified    ((ULONG)0x00000200)
#define fnevReservedForMapi         ((ULONG)0x40000000)
#define fnevExtended                ((ULONG)0x80000000)

/* TABLE_NOTIFICATION's ulTableEvent. */
#define TABLE_CHANGED       1
#define TABLE_ERROR         2
#define TABLE_ROW_ADDED     3
#define TABLE_ROW_DELETED   4
#define TABLE_ROW_MODIFIED  5
#define TABLE_SORT_DONE     6
#define TABLE_RESTRICT_DONE 7
#define TABLE_SETCOL_DONE   8
#define TABLE_RELOAD        9

typedef struct _ERROR_NOTIFICATION {
    ULONG cbEntryID;
    LPENTRYID lpEntryID;
    SCODE scode;
    ULONG ulFlags;
    LPMAPIERROR lpMAPIError;
} ERROR_NOTIFICATION;

typedef struct _NEWMAIL_NOTIFICATION {
    ULONG cbEntryID;
    LPENTRYID lpEntryID;
    ULONG cbParentID;
    LPENTRYID lpParentID;
    ULONG ulFlags;
    LPTSTR lpszMessageClass;
    ULONG ulMessageFlags;
} NEWMAIL_NOTIFICATION;

typedef struct _OBJECT_NOTIFICATION {
    ULONG cbEntryID;
    LPENTRYID lpEntryID;
    ULONG ulObjType;
    ULONG cbParentID;
    LPENTRYID lpParentID;
    ULONG cbOldID;
    LPENTRYID lpOldID;
    ULONG cbOldParentID;
    LPENTRYID lpOldParentID;
    LPSPropTagArray lpPropTagArray;
} OBJECT_NOTIFICATION;

typedef struct _TABLE_NOTIFICATION {
    ULONG ulTableEvent;
    HRESULT hResult;
    SPropValue propIndex;
    SPropValue propPrior;
    SRow row;
    ULONG ulPad;
} TABLE_NOTIFICATION;

typedef struct _EXTENDED_NOTIFICATION {
    ULONG ulEvent;
    ULONG cb;
    LPBYTE pbEventParameters;
} EXTENDED_NOTIFICATION;

typedef struct {
    ULONG cbEntryID;
    LPENTRYID lpEntryID;
    ULONG cValues;
    LPSPropValue lpPropVals;
} STATUS_OBJECT_NOTIFICATION;

typedef struct _NOTIFICATION {
    ULONG ulEventType;
    ULONG ulAlignPad;
    union {
        ERROR_NOTIFICATION err;
        NEWMAIL_NOTIFICATION newmail;
        OBJECT_NOTIFICATION obj;
        TABLE_NOTIFICATION tab;
        EXTENDED_NOTIFICATION ext;
        STATUS_OBJECT_NOTIFICATION statobj;
    } info;
} NOTIFICATION, *LPNOTIFICATION;

/* What HrAllocAdviseSink's sink calls from IMAPIAdviseSink::OnNotify. */
typedef LONG (STDAPICALLTYPE NOTIFCALLBACK)(LPVOID lpvContext, ULONG cNotification,
                                            LPNOTIFICATION lpNotifications);
typedef NOTIFCALLBACK *LPNOTIFCALLBACK;

#define MAPI_IMAPIPROGRESS_METHODS(IPURE) \
    STDMETHOD(Progress)(THIS_ ULONG ulValue, ULONG ulCount, ULONG ulTotal) IPURE; \
    STDMETHOD(GetFlags)(THIS_ ULONG *lpulFlags) IPURE; \
    STDMETHOD(GetMax)(THIS_ ULONG *lpulMax) IPURE; \
    STDMETHOD(GetMin)(THIS_ ULONG *lpulMin) IPURE; \
    STDMETHOD(SetLimits)(THIS_ ULONG *lpulMin, ULONG *lpulMax, ULONG *lpulFlags) IPURE;

#undef INTERFACE
#define INTERFACE IMAPIProgress
DECLARE_INTERFACE_(IMAPIProgress, IUnknown)
{
    BEGIN_INTERFACE
    MAPI_IUNKNOWN_METHODS(PURE)
    MAPI_IMAPIPROGRESS_METHODS(PURE)
    END_INTERFACE
};
typedef IMAPIProgress *LPMAPIPROGRESS;

#define MAPI_IMAPIADVISESINK_METHODS(IPURE) \
    MAPIMETHOD_(ULONG, OnNotify)(THIS_ ULONG cNotif, LPNOTIFICATION lpNotifications) IPURE;

#undef INTERFACE
#define INTERFACE IMAPIAdviseSink
DECLARE_INTERFACE_(IMAPIAdviseSink, IUnknown)
{
    BEGIN_INTERFACE
    MAPI_IUNKNOWN_METHODS(PURE)
    MAPI_IMAPIADVISESINK_METHODS(PURE)
    END_INTERFACE
};
typedef IMAPIAdviseSink *LPMAPIADVISESINK;

#define MAPI_IMAPIPROP_METHODS(IPURE) \
    STDMETHOD(GetLastError)(THIS_ HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError) IPURE; \
    STDMETHOD(SaveChanges)(THIS_ ULONG ulFlags) IPURE; \
    STDMETHOD(GetProps)(THIS_ LPSPropTagArray lpPropTagArray, ULONG ulFlags, ULONG *lpcValues, \
                        LPSPropValue *lppPropArray) IPURE; \
    STDMETHOD(GetPropList)(THIS_ ULONG ulFlags, LPSPropTagArray *lppPropTagArray) IPURE; \
    STDMETHOD(OpenProperty)(THIS_ ULONG ulPropTag, LPCIID lpiid, ULONG ulInterfaceOptions, \
                            ULONG ulFlags, LPUNKNOWN *lppUnk) IPURE; \
    STDMETHOD(SetProps)(THIS_ ULONG cValues, LPSPropValue lpPropArray, \
                        LPSPropProblemArray *lppProblems) IPURE; \
    STDMETHOD(DeleteProps)(THIS_ LPSPropTagArray lpPropTagArray, LPSPropProblemArray *lppProblems) IPURE; \
    STDMETHOD(CopyTo)(THIS_ ULONG ciidExclude, LPCIID rgiidExclude, LPSPropTagArray lpExcludeProps, \
                      ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpInterface, \
                      LPVOID lpDestObj, ULONG ulFlags, LPSPropProblemArray *lppProblems) IPURE; \
    STDMETHOD(CopyProps)(THIS_ LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam, \
                         LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj, \
                         ULONG ulFlags, LPSPropProblemArray *lppProblems) IPURE; \
    STDMETHOD(GetNamesFromIDs)(THIS_ LPSPropTagArray *lppPropTags, LPGUID lpPropSetGuid, ULONG ulFlags, \
                               ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames) IPURE; \
    STDMETHOD(GetIDsFromNames)(THIS_ ULONG cPropNames, LPMAPINAMEID *lppPropNames, ULONG ulFlags, \
                               LPSPropTagArray *lppPropTags) IPURE;

#undef INTERFACE
#define INTERFACE IMAPIProp
DECLARE_INTERFACE_(IMAPIProp, IUnknown)
{
    BEGIN_INTERFACE
    MAPI_IUNKNOWN_METHODS(PURE)
    MAPI_IMAPIPROP_METHODS(PURE)
    END_INTERFACE
};
typedef IMAPIProp *LPMAPIPROP;

#define MAPI_IMAPITABLE_METHODS(IPURE) \
    STDMETHOD(GetLastError)(THIS_ HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError) IPURE; \
    STDMETHOD(Advise)(THIS_ ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection) IPURE; \
    STDMETHOD(Unadvise)(THIS_ ULONG_PTR ulConnection) IPURE; \
    STDMETHOD(GetStatus)(THIS_ ULONG *lpulTableStatus, ULONG *lpulTableType) IPURE; \
    STDMETHOD(SetColumns)(THIS_ LPSPropTagArray lpPropTagArray, ULONG ulFlags) IPURE; \
    STDMETHOD(QueryColumns)(THIS_ ULONG ulFlags, LPSPropTagArray *lpPropTagArray) IPURE; \
    STDMETHOD(GetRowCount)(THIS_ ULONG ulFlags, ULONG *lpulCount) IPURE; \
    STDMETHOD(SeekRow)(THIS_ BOOKMARK bkOrigin, LONG lRowCount, LONG *lplRowsSought) IPURE; \
    STDMETHOD(SeekRowApprox)(THIS_ ULONG ulNumerator, ULONG ulDenominator) IPURE; \
    STDMETHOD(QueryPosition)(THIS_ ULONG *lpulRow, ULONG *lpulNumerator, ULONG *lpulDenominator) IPURE; \
    STDMETHOD(FindRow)(THIS_ LPSRestriction lpRestriction, BOOKMARK bkOrigin, ULONG ulFlags) IPURE; \
    STDMETHOD(Restrict)(THIS_ LPSRestriction lpRestriction, ULONG ulFlags) IPURE; \
    STDMETHOD(CreateBookmark)(THIS_ BOOKMARK *lpbkPosition) IPURE; \
    STDMETHOD(FreeBookmark)(THIS_ BOOKMARK bkPosition) IPURE; \
    STDMETHOD(SortTable)(THIS_ LPSSortOrderSet lpSortCriteria, ULONG ulFlags) IPURE; \
    STDMETHOD(QuerySortOrder)(THIS_ LPSSortOrderSet *lppSortCriteria) IPURE; \
    STDMETHOD(QueryRows)(THIS_ LONG lRowCount, ULONG ulFlags, LPSRowSet *lppRows) IPURE; \
    STDMETHOD(Abort)(THIS) IPURE; \
    STDMETHOD(ExpandRow)(THIS_ ULONG cbInstanceKey, LPBYTE pbInstanceKey, ULONG ulRowCount, \
                         ULONG ulFlags, LPSRowSet *lppRows, ULONG *lpulMoreRows) IPURE; \
    STDMETHOD(CollapseRow)(THIS_ ULONG cbInstanceKey, LPBYTE pbInstanceKey, ULONG ulFlags, \
                           ULONG *lpulRowCount) IPURE; \
    STDMETHOD(WaitForCompletion)(THIS_ ULONG ulFlags, ULONG ulTimeout, ULONG *lpulTableStatus) IPURE; \
    STDMETHOD(GetCollapseState)(THIS_ ULONG ulFlags, ULONG cbInstanceKey, LPBYTE lpbInstanceKey, \
                                ULONG *lpcbCollapseState, LPBYTE *lppbCollapseState) IPURE; \
    STDMETHOD(SetCollapseState)(THIS_ ULONG ulFlags, ULONG cbCollapseState, LPBYTE pbCollapseState, \
                                BOOKMARK *lpbkLocation) IPURE;

#undef INTERFACE
#define INTERFACE IMAPITable
DECLARE_INTERFACE_(IMAPITable, IUnknown)
{
    BEGIN_INTERFACE
    MAPI_IUNKNOWN_METHODS(PURE)
    MAPI_IMAPITABLE_METHODS(PURE)
    END_INTERFACE
};
typedef IMAPITable *LPMAPITABLE;

/* IAttach adds no method to IMAPIProp. */
#define MAPI_IATTACH_METHODS(IPURE)

#undef INTERFACE
#define INTERFACE IAttach
DECLARE_INTERFACE_(IAttach, IMAPIProp)
{
    BEGIN_INTERFACE
    MAPI_IUNKNOWN_METHODS(PURE)
    MAPI_IMAPIPROP_METHODS(PURE)
    MAPI_IATTACH_METHODS(PURE)
    END_INTERFACE
};
typedef IAttach *LPATTACH;

#define MAPI_IMESSAGE_METHODS(IPURE) \
    STDMETHOD(GetAttachmentTable)(THIS_ ULONG ulFlags, LPMAPITABLE *lppTable) IPURE; \
    STDMETHOD(OpenAttach)(THIS_ ULONG ulAttachmentNum, LPCIID lpInterface, ULONG ulFlags, \
                          LPATTACH *lppAttach) IPURE; \
    STDMETHOD(CreateAttach)(THIS_ LPCIID lpInterface, ULONG ulFlags, ULONG *lpulAttachmentNum, \
                            LPATTACH *lppAttach) IPURE; \
    STDMETHOD(DeleteAttach)(THIS_ ULONG ulAttachmentNum, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, \
                            ULONG ulFlags) IPURE; \
    STDMETHOD(GetRecipientTable)(THIS_ ULONG ulFlags, LPMAPITABLE *lppTable) IPURE; \
    STDMETHOD(ModifyRecipients)(THIS_ ULONG ulFlags, LPADRLIST lpMods) IPURE; \
    STDMETHOD(SubmitMessage)(THIS_ ULONG ulFlags) IPURE; \
    STDMETHOD(SetReadFlag)(THIS_ ULONG ulFlags) IPURE;

#undef INTERFACE
#define INTERFACE IMessage
DECLARE_INTERFACE_(IMessage, IMAPIProp)
{
    BEGIN_INTERFACE
    MAPI_IUNKNOWN_METHODS(PURE)
    MAPI_IMAPIPROP_METHODS(PURE)
    MAPI_IMESSAGE_METHODS(PURE)
    END_INTERFACE
};
typedef IMessage *LPMESSAGE;
#undef INTERFACE

/* ===== IMessage on IStorage (Imessage.h) ===== */
typedef struct _MSGSESS _MSGSESS;
typedef struct _MSGSESS MSGSESS;
typedef struct _MSGSESS *LPMSGSESS;
typedef void (STDAPICALLTYPE MSGCALLRELEASE)(ULONG ulCallerData, LPMESSAGE lpMessage);

/* ===== IPropData and ITableData (MAPIUtil.h): CreateIProp, CreateTable ===== */
#define MAPI_IPROPDATA_METHODS(IPURE) \
    MAPIMETHOD(HrSetObjAccess)(THIS_ ULONG ulAccess) IPURE; \
    MAPIMETHOD(HrSetPropAccess)(THIS_ LPSPropTagArray lpPropTagArray, ULONG *rgulAccess) IPURE; \
    MAPIMETHOD(HrGetPropAccess)(THIS_ LPSPropTagArray *lppPropTagArray, ULONG **lprgulAccess) IPURE; \
    MAPIMETHOD(HrAddObjProps)(THIS_ LPSPropTagArray lppPropTagArray, LPSPropProblemArray *lprgulAccess) IPURE;

#undef INTERFACE
#define INTERFACE IPropData
DECLARE_INTERFACE_(IPropData, IMAPIProp)
{
    BEGIN_INTERFACE
    MAPI_IUNKNOWN_METHODS(PURE)
    MAPI_IMAPIPROP_METHODS(PURE)
    MAPI_IPROPDATA_METHODS(PURE)
    END_INTERFACE
};
typedef IPropData *LPPROPDATA;

struct ITableData;
typedef struct ITableData ITableData;
typedef ITableData *LPTABLEDATA;

/* Called when a view HrGetView made is released. */
typedef void (STDAPICALLTYPE CALLERRELEASE)(ULONG_PTR ulCallerData, LPTABLEDATA lpTblData,
                                            LPMAPITABLE lpVue);

#define MAPI_ITABLEDATA_METHODS(IPURE) \
    MAPIMETHOD(HrGetView)(THIS_ LPSSortOrderSet lpSSortOrderSet, CALLERRELEASE *lpfCallerRelease, \
                          ULONG_PTR ulCallerData, LPMAPITABLE *lppMAPITable) IPURE; \
    MAPIMETHOD(HrModifyRow)(THIS_ LPSRow lpSRow) IPURE; \
    MAPIMETHOD(HrDeleteRow)(THIS_ LPSPropValue lpSPropValue) IPURE; \
    MAPIMETHOD(HrQueryRow)(THIS_ LPSPropValue lpsPropValue, LPSRow *lppSRow, ULONG *lpuliRow) IPURE; \
    MAPIMETHOD(HrEnumRow)(THIS_ ULONG ulRowNumber, LPSRow *lppSRow) IPURE; \
    MAPIMETHOD(HrNotify)(THIS_ ULONG ulFlags, ULONG cValues, LPSPropValue lpSPropValue) IPURE; \
    MAPIMETHOD(HrInsertRow)(THIS_ ULONG uliRow, LPSRow lpSRow) IPURE; \
    MAPIMETHOD(HrModifyRows)(THIS_ ULONG ulFlags, LPSRowSet lpSRowSet) IPURE; \
    MAPIMETHOD(HrDeleteRows)(THIS_ ULONG ulFlags, LPSRowSet lprowsetToDelete, ULONG *cRowsDeleted) IPURE;

#undef INTERFACE
#define INTERFACE ITableData
DECLARE_INTERFACE_(ITableData, IUnknown)
{
    BEGIN_INTERFACE
    MAPI_IUNKNOWN_METHODS(PURE)
    MAPI_ITABLEDATA_METHODS(PURE)
    END_INTERFACE
};
#undef INTERFACE

/* ===== IMAPISession (declared in full in <mapix.h>, as the SDK does) =====
   The entry-identifier helpers of <imessage.h> take one, so the type is known here. */
struct IMAPISession;
typedef struct IMAPISession IMAPISession;
typedef IMAPISession *LPMAPISESSION;

/* ===== C call macros ===== */
#if !defined(__cplusplus) || defined(CINTERFACE)
#define IMAPIProp_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define IMAPIProp_AddRef(p) (p)->lpVtbl->AddRef(p)
#define IMAPIProp_Release(p) (p)->lpVtbl->Release(p)
#define IMAPIProp_GetLastError(p, ...) (p)->lpVtbl->GetLastError(p, __VA_ARGS__)
#define IMAPIProp_SaveChanges(p, ...) (p)->lpVtbl->SaveChanges(p, __VA_ARGS__)
#define IMAPIProp_GetProps(p, ...) (p)->lpVtbl->GetProps(p, __VA_ARGS__)
#define IMAPIProp_GetPropList(p, ...) (p)->lpVtbl->GetPropList(p, __VA_ARGS__)
#define IMAPIProp_OpenProperty(p, ...) (p)->lpVtbl->OpenProperty(p, __VA_ARGS__)
#define IMAPIProp_SetProps(p, ...) (p)->lpVtbl->SetProps(p, __VA_ARGS__)
#define IMAPIProp_DeleteProps(p, ...) (p)->lpVtbl->DeleteProps(p, __VA_ARGS__)
#define IMAPIProp_CopyTo(p, ...) (p)->lpVtbl->CopyTo(p, __VA_ARGS__)
#define IMAPIProp_CopyProps(p, ...) (p)->lpVtbl->CopyProps(p, __VA_ARGS__)
#define IMAPIProp_GetNamesFromIDs(p, ...) (p)->lpVtbl->GetNamesFromIDs(p, __VA_ARGS__)
#define IMAPIProp_GetIDsFromNames(p, ...) (p)->lpVtbl->GetIDsFromNames(p, __VA_ARGS__)
#define IMessage_QueryInterface IMAPIProp_QueryInterface
#define IMessage_AddRef IMAPIProp_AddRef
#define IMessage_Release IMAPIProp_Release
#define IMessage_GetLastError IMAPIProp_GetLastError
#define IMessage_SaveChanges IMAPIProp_SaveChanges
#define IMessage_GetProps IMAPIProp_GetProps
#define IMessage_GetPropList IMAPIProp_GetPropList
#define IMessage_OpenProperty IMAPIProp_OpenProperty
#define IMessage_SetProps IMAPIProp_SetProps
#define IMessage_DeleteProps IMAPIProp_DeleteProps
#define IMessage_CopyTo IMAPIProp_CopyTo
#define IMessage_CopyProps IMAPIProp_CopyProps
#define IMessage_GetNamesFromIDs IMAPIProp_GetNamesFromIDs
#define IMessage_GetIDsFromNames IMAPIProp_GetIDsFromNames
#define IMessage_GetAttachmentTable(p, ...) (p)->lpVtbl->GetAttachmentTable(p, __VA_ARGS__)
#define IMessage_OpenAttach(p, ...) (p)->lpVtbl->OpenAttach(p, __VA_ARGS__)
#define IMessage_CreateAttach(p, ...) (p)->lpVtbl->CreateAttach(p, __VA_ARGS__)
#define IMessage_DeleteAttach(p, ...) (p)->lpVtbl->DeleteAttach(p, __VA_ARGS__)
#define IMessage_GetRecipientTable(p, ...) (p)->lpVtbl->GetRecipientTable(p, __VA_ARGS__)
#define IMessage_ModifyRecipients(p, ...) (p)->lpVtbl->ModifyRecipients(p, __VA_ARGS__)
#define IMessage_SubmitMessage(p, ...) (p)->lpVtbl->SubmitMessage(p, __VA_ARGS__)
#define IMessage_SetReadFlag(p, ...) (p)->lpVtbl->SetReadFlag(p, __VA_ARGS__)
#define IAttach_QueryInterface IMAPIProp_QueryInterface
#define IAttach_AddRef IMAPIProp_AddRef
#define IAttach_Release IMAPIProp_Release
#define IAttach_GetLastError IMAPIProp_GetLastError
#define IAttach_SaveChanges IMAPIProp_SaveChanges
#define IAttach_GetProps IMAPIProp_GetProps
#define IAttach_GetPropList IMAPIProp_GetPropList
#define IAttach_OpenProperty IMAPIProp_OpenProperty
#define IAttach_SetProps IMAPIProp_SetProps
#define IAttach_DeleteProps IMAPIProp_DeleteProps
#define IAttach_CopyTo IMAPIProp_CopyTo
#define IAttach_CopyProps IMAPIProp_CopyProps
#define IAttach_GetNamesFromIDs IMAPIProp_GetNamesFromIDs
#define IAttach_GetIDsFromNames IMAPIProp_GetIDsFromNames
#define IMAPITable_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define IMAPITable_AddRef(p) (p)->lpVtbl->AddRef(p)
#define IMAPITable_Release(p) (p)->lpVtbl->Release(p)
#define IMAPITable_GetLastError(p, ...) (p)->lpVtbl->GetLastError(p, __VA_ARGS__)
#define IMAPITable_Advise(p, ...) (p)->lpVtbl->Advise(p, __VA_ARGS__)
#define IMAPITable_Unadvise(p, ...) (p)->lpVtbl->Unadvise(p, __VA_ARGS__)
#define IMAPITable_GetStatus(p, ...) (p)->lpVtbl->GetStatus(p, __VA_ARGS__)
#define IMAPITable_SetColumns(p, ...) (p)->lpVtbl->SetColumns(p, __VA_ARGS__)
#define IMAPITable_QueryColumns(p, ...) (p)->lpVtbl->QueryColumns(p, __VA_ARGS__)
#define IMAPITable_GetRowCount(p, ...) (p)->lpVtbl->GetRowCount(p, __VA_ARGS__)
#define IMAPITable_SeekRow(p, ...) (p)->lpVtbl->SeekRow(p, __VA_ARGS__)
#define IMAPITable_SeekRowApprox(p, ...) (p)->lpVtbl->SeekRowApprox(p, __VA_ARGS__)
#define IMAPITable_QueryPosition(p, ...) (p)->lpVtbl->QueryPosition(p, __VA_ARGS__)
#define IMAPITable_FindRow(p, ...) (p)->lpVtbl->FindRow(p, __VA_ARGS__)
#define IMAPITable_Restrict(p, ...) (p)->lpVtbl->Restrict(p, __VA_ARGS__)
#define IMAPITable_CreateBookmark(p, ...) (p)->lpVtbl->CreateBookmark(p, __VA_ARGS__)
#define IMAPITable_FreeBookmark(p, ...) (p)->lpVtbl->FreeBookmark(p, __VA_ARGS__)
#define IMAPITable_SortTable(p, ...) (p)->lpVtbl->SortTable(p, __VA_ARGS__)
#define IMAPITable_QuerySortOrder(p, ...) (p)->lpVtbl->QuerySortOrder(p, __VA_ARGS__)
#define IMAPITable_QueryRows(p, ...) (p)->lpVtbl->QueryRows(p, __VA_ARGS__)
#define IMAPITable_Abort(p) (p)->lpVtbl->Abort(p)
#define IMAPITable_ExpandRow(p, ...) (p)->lpVtbl->ExpandRow(p, __VA_ARGS__)
#define IMAPITable_CollapseRow(p, ...) (p)->lpVtbl->CollapseRow(p, __VA_ARGS__)
#define IMAPITable_WaitForCompletion(p, ...) (p)->lpVtbl->WaitForCompletion(p, __VA_ARGS__)
#define IMAPITable_GetCollapseState(p, ...) (p)->lpVtbl->GetCollapseState(p, __VA_ARGS__)
#define IMAPITable_SetCollapseState(p, ...) (p)->lpVtbl->SetCollapseState(p, __VA_ARGS__)
#define IPropData_QueryInterface IMAPIProp_QueryInterface
#define IPropData_AddRef IMAPIProp_AddRef
#define IPropData_Release IMAPIProp_Release
#define IPropData_GetLastError IMAPIProp_GetLastError
#define IPropData_SaveChanges IMAPIProp_SaveChanges
#define IPropData_GetProps IMAPIProp_GetProps
#define IPropData_GetPropList IMAPIProp_GetPropList
#define IPropData_OpenProperty IMAPIProp_OpenProperty
#define IPropData_SetProps IMAPIProp_SetProps
#define IPropData_DeleteProps IMAPIProp_DeleteProps
#define IPropData_CopyTo IMAPIProp_CopyTo
#define IPropData_CopyProps IMAPIProp_CopyProps
#define IPropData_GetNamesFromIDs IMAPIProp_GetNamesFromIDs
#define IPropData_GetIDsFromNames IMAPIProp_GetIDsFromNames
#define IPropData_HrSetObjAccess(p, ...) (p)->lpVtbl->HrSetObjAccess(p, __VA_ARGS__)
#define IPropData_HrSetPropAccess(p, ...) (p)->lpVtbl->HrSetPropAccess(p, __VA_ARGS__)
#define IPropData_HrGetPropAccess(p, ...) (p)->lpVtbl->HrGetPropAccess(p, __VA_ARGS__)
#define IPropData_HrAddObjProps(p, ...) (p)->lpVtbl->HrAddObjProps(p, __VA_ARGS__)
#define ITableData_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define ITableData_AddRef(p) (p)->lpVtbl->AddRef(p)
#define ITableData_Release(p) (p)->lpVtbl->Release(p)
#define ITableData_HrGetView(p, ...) (p)->lpVtbl->HrGetView(p, __VA_ARGS__)
#define ITableData_HrModifyRow(p, ...) (p)->lpVtbl->HrModifyRow(p, __VA_ARGS__)
#define ITableData_HrDeleteRow(p, ...) (p)->lpVtbl->HrDeleteRow(p, __VA_ARGS__)
#define ITableData_HrQueryRow(p, ...) (p)->lpVtbl->HrQueryRow(p, __VA_ARGS__)
#define ITableData_HrEnumRow(p, ...) (p)->lpVtbl->HrEnumRow(p, __VA_ARGS__)
#define ITableData_HrNotify(p, ...) (p)->lpVtbl->HrNotify(p, __VA_ARGS__)
#define ITableData_HrInsertRow(p, ...) (p)->lpVtbl->HrInsertRow(p, __VA_ARGS__)
#define ITableData_HrModifyRows(p, ...) (p)->lpVtbl->HrModifyRows(p, __VA_ARGS__)
#define ITableData_HrDeleteRows(p, ...) (p)->lpVtbl->HrDeleteRows(p, __VA_ARGS__)
#define IMAPIAdviseSink_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define IMAPIAdviseSink_AddRef(p) (p)->lpVtbl->AddRef(p)
#define IMAPIAdviseSink_Release(p) (p)->lpVtbl->Release(p)
#define IMAPIAdviseSink_OnNotify(p, ...) (p)->lpVtbl->OnNotify(p, __VA_ARGS__)
#define IMAPIProgress_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define IMAPIProgress_AddRef(p) (p)->lpVtbl->AddRef(p)
#define IMAPIProgress_Release(p) (p)->lpVtbl->Release(p)
#define IMAPIProgress_Progress(p, ...) (p)->lpVtbl->Progress(p, __VA_ARGS__)
#define IMAPIProgress_GetFlags(p, ...) (p)->lpVtbl->GetFlags(p, __VA_ARGS__)
#define IMAPIProgress_GetMax(p, ...) (p)->lpVtbl->GetMax(p, __VA_ARGS__)
#define IMAPIProgress_GetMin(p, ...) (p)->lpVtbl->GetMin(p, __VA_ARGS__)
#define IMAPIProgress_SetLimits(p, ...) (p)->lpVtbl->SetLimits(p, __VA_ARGS__)
#endif

/* ===== compressed RTF (WrapCompressedRTFStreamEx, declared in <imessage.h>) ===== */
/* Options: size = sizeof(RTF_WCSINFO); ulFlags MAPI_MODIFY, STORE_UNCOMPRESSED_RTF,
 * MAPI_NATIVE_BODY; ulInCodePage (usually PR_INTERNET_CPID) and ulOutCodePage (0: chosen)
 * apply to MAPI_NATIVE_BODY only. */
typedef struct {
    ULONG size;
    ULONG ulFlags;
    ULONG ulInCodePage;
    ULONG ulOutCodePage;
} RTF_WCSINFO;

/* Report: size = sizeof(RTF_WCSRETINFO); ulStreamFlags is a MAPI_NATIVE_BODY_TYPE_* value
 * when MAPI_NATIVE_BODY was asked for. */
typedef struct {
    ULONG size;
    ULONG ulStreamFlags;
} RTF_WCSRETINFO;

/* ===== TNEF (tnef.h: OpenTnefStream, OpenTnefStreamEx, declared in <imessage.h>) ===== */
/* The address book OpenTnefStreamEx takes (this library has none: it is only held). */
struct IAddrBook;
typedef struct IAddrBook IAddrBook;
typedef IAddrBook *LPADRBOOK;

/* One problem: ulComponent 0 = the message, else the attachment's PR_ATTACH_NUM. */
typedef struct _STnefProblem {
    ULONG ulComponent;
    ULONG ulAttribute;
    ULONG ulPropTag;
    SCODE scode;
} STnefProblem;

typedef struct _STnefProblemArray {
    ULONG cProblem;
    STnefProblem aProblem[MAPI_DIM];
} STnefProblemArray, *LPSTnefProblemArray;

#define CbNewSTnefProblemArray(_cprob) \
    (offsetof(STnefProblemArray, aProblem) + (_cprob) * sizeof(STnefProblem))
#define CbSTnefProblemArray(_lparray) \
    (offsetof(STnefProblemArray, aProblem) + (UINT)((_lparray)->cProblem * sizeof(STnefProblem)))

#define MAPI_ITNEF_METHODS(IPURE) \
    MAPIMETHOD(AddProps)(THIS_ ULONG ulFlags, ULONG ulElemID, LPVOID lpvData, \
                         LPSPropTagArray lpPropList) IPURE; \
    MAPIMETHOD(ExtractProps)(THIS_ ULONG ulFlags, LPSPropTagArray lpPropList, \
                             LPSTnefProblemArray *lpProblems) IPURE; \
    MAPIMETHOD(Finish)(THIS_ ULONG ulFlags, WORD *lpKey, LPSTnefProblemArray *lpProblems) IPURE; \
    MAPIMETHOD(OpenTaggedBody)(THIS_ LPMESSAGE lpMessage, ULONG ulFlags, LPSTREAM *lppStream) IPURE; \
    MAPIMETHOD(SetProps)(THIS_ ULONG ulFlags, ULONG ulElemID, ULONG cValues, \
                         LPSPropValue lpProps) IPURE; \
    MAPIMETHOD(EncodeRecips)(THIS_ ULONG ulFlags, LPMAPITABLE lpRecipientTable) IPURE; \
    MAPIMETHOD(FinishComponent)(THIS_ ULONG ulFlags, ULONG ulComponentID, \
                                LPSPropTagArray lpCustomPropList, LPSPropValue lpCustomProps, \
                                LPSPropTagArray lpPropList, LPSTnefProblemArray *lpProblems) IPURE;

#undef INTERFACE
#define INTERFACE ITnef
DECLARE_INTERFACE_(ITnef, IUnknown)
{
    BEGIN_INTERFACE
    MAPI_IUNKNOWN_METHODS(PURE)
    MAPI_ITNEF_METHODS(PURE)
    END_INTERFACE
};
#undef INTERFACE
typedef ITnef *LPITNEF;

#if !defined(__cplusplus) || defined(CINTERFACE)
#define ITnef_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define ITnef_AddRef(p) (p)->lpVtbl->AddRef(p)
#define ITnef_Release(p) (p)->lpVtbl->Release(p)
#define ITnef_AddProps(p, ...) (p)->lpVtbl->AddProps(p, __VA_ARGS__)
#define ITnef_ExtractProps(p, ...) (p)->lpVtbl->ExtractProps(p, __VA_ARGS__)
#define ITnef_Finish(p, ...) (p)->lpVtbl->Finish(p, __VA_ARGS__)
#define ITnef_OpenTaggedBody(p, ...) (p)->lpVtbl->OpenTaggedBody(p, __VA_ARGS__)
#define ITnef_SetProps(p, ...) (p)->lpVtbl->SetProps(p, __VA_ARGS__)
#define ITnef_EncodeRecips(p, ...) (p)->lpVtbl->EncodeRecips(p, __VA_ARGS__)
#define ITnef_FinishComponent(p, ...) (p)->lpVtbl->FinishComponent(p, __VA_ARGS__)
#endif

#endif /* IMSG_MAPIDEFS_H */
