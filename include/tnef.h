/*
 * tnef.h - TNEF (winmail.dat, application/ms-tnef): OpenTnefStream, OpenTnefStreamEx,
 * GetTnefStreamCodepage and ITnef, under the SDK's header name.
 *
 * The functions are declared in <imessage.h> with every export of the library, the ITnef
 * interface, STnefProblem and STnefProblemArray in <mapidefs.h>; this file brings them in
 * and adds the flags, attribute ids and stream structures the SDK's tnef.h gives.
 * Values: spec/bodies-and-tnef.md section 5 ([MS-OXTNEF], Microsoft's MAPI reference).
 */
#ifndef IMSG_TNEF_H
#define IMSG_TNEF_H

#include "mapix.h"

#ifdef __cplusplus
extern "C" {
#endif

/* OpenTnefStream(Ex) ulFlags. */
#define TNEF_DECODE                 ((ULONG)0x00000000)
#define TNEF_ENCODE                 ((ULONG)0x00000002)
#define TNEF_PURE                   ((ULONG)0x00010000)
#define TNEF_COMPATIBILITY          ((ULONG)0x00020000)
#define TNEF_BEST_DATA              ((ULONG)0x00040000)
#define TNEF_COMPONENT_ENCODING     ((ULONG)0x80000000)

/* ITnef::AddProps, ITnef::ExtractProps and ITnef::SetProps ulFlags. */
#define TNEF_PROP_INCLUDE           ((ULONG)0x00000001)
#define TNEF_PROP_EXCLUDE           ((ULONG)0x00000002)
#define TNEF_PROP_CONTAINED         ((ULONG)0x00000004)
#define TNEF_PROP_MESSAGE_ONLY      ((ULONG)0x00000008)
#define TNEF_PROP_ATTACHMENTS_ONLY  ((ULONG)0x00000010)
#define TNEF_PROP_CONTAINED_TNEF    ((ULONG)0x00000040)

/* ITnef::FinishComponent ulFlags. */
#define TNEF_COMPONENT_MESSAGE      ((ULONG)0x00001000)
#define TNEF_COMPONENT_ATTACHMENT   ((ULONG)0x00002000)

/* The stream: signature, attTnefVersion's value, attribute levels. */
#define TNEF_SIGNATURE              ((DWORD)0x223E9F78)
#define TNEF_VERSION                ((DWORD)0x00010000)
#define LVL_MESSAGE                 ((BYTE)0x01)
#define LVL_ATTACHMENT              ((BYTE)0x02)

/* Attribute ids: the atp type in the high word, the id in the low one. */
#define ATT(_atp, _id)              ((((DWORD)(_atp)) << 16) | ((WORD)(_id)))
#define ATT_ID(_att)                ((WORD)((_att) & 0x0000FFFF))
#define ATT_TYPE(_att)              ((WORD)(((_att) >> 16) & 0x0000FFFF))

#define atpTriples                  ((WORD)0x0000)
#define atpString                   ((WORD)0x0001)
#define atpText                     ((WORD)0x0002)
#define atpDate                     ((WORD)0x0003)
#define atpShort                    ((WORD)0x0004)
#define atpLong                     ((WORD)0x0005)
#define atpByte                     ((WORD)0x0006)
#define atpWord                     ((WORD)0x0007)
#define atpDword                    ((WORD)0x0008)
#define atpMax                      ((WORD)0x0009)

#define attNull                     ATT(0, 0x0000)
#define attFrom                     ATT(atpTriples, 0x8000) /* PR_SENDER_* */
#define attSubject                  ATT(atpString, 0x8004)  /* PR_SUBJECT */
#define attDateSent                 ATT(atpDate, 0x8005)    /* PR_CLIENT_SUBMIT_TIME */
#define attDateRecd                 ATT(atpDate, 0x8006)    /* PR_MESSAGE_DELIVERY_TIME */
#define attMessageStatus            ATT(atpByte, 0x8007)    /* PR_MESSAGE_FLAGS */
#define attMessageClass             ATT(atpWord, 0x8008)    /* PR_MESSAGE_CLASS */
#define attMessageID                ATT(atpString, 0x8009)  /* PR_SEARCH_KEY */
#define attParentID                 ATT(atpString, 0x800A)  /* PR_PARENT_KEY */
#define attConversationID           ATT(atpString, 0x800B)  /* PR_CONVERSATION_KEY */
#define attBody                     ATT(atpText, 0x800C)    /* PR_BODY */
#define attPriority                 ATT(atpShort, 0x800D)   /* PR_IMPORTANCE */
#define attAttachData               ATT(atpByte, 0x800F)    /* PR_ATTACH_DATA_xxx */
#define attAttachTitle              ATT(atpString, 0x8010)  /* PR_ATTACH_FILENAME */
#define attAttachMetaFile           ATT(atpByte, 0x8011)    /* PR_ATTACH_RENDERING */
#define attAttachCreateDate         ATT(atpDate, 0x8012)    /* PR_CREATION_TIME */
#define attAttachModifyDate         ATT(atpDate, 0x8013)    /* PR_LAST_MODIFICATION_TIME */
#define attDateModified             ATT(atpDate, 0x8020)    /* PR_LAST_MODIFICATION_TIME */
#define attAttachTransportFilename  ATT(atpByte, 0x9001)    /* PR_ATTACH_TRANSPORT_NAME */
#define attAttachRenddata           ATT(atpByte, 0x9002)
#define attMAPIProps                ATT(atpByte, 0x9003)
#define attRecipTable               ATT(atpByte, 0x9004)    /* PR_MESSAGE_RECIPIENTS */
#define attAttachment               ATT(atpByte, 0x9005)
#define attTnefVersion              ATT(atpDword, 0x9006)
#define attOemCodepage              ATT(atpByte, 0x9007)
#define attOriginalMessageClass     ATT(atpWord, 0x0006)    /* PR_ORIG_MESSAGE_CLASS */
#define attOwner                    ATT(atpByte, 0x0000)    /* PR_RCVD_REPRESENTING_* or PR_SENT_REPRESENTING_* */
#define attSentFor                  ATT(atpByte, 0x0001)    /* PR_SENT_REPRESENTING_* */
#define attDelegate                 ATT(atpByte, 0x0002)    /* PR_RCVD_REPRESENTING_* */
#define attDateStart                ATT(atpDate, 0x0006)    /* PR_START_DATE */
#define attDateEnd                  ATT(atpDate, 0x0007)    /* PR_END_DATE */
#define attAidOwner                 ATT(atpLong, 0x0008)    /* PR_OWNER_APPT_ID */
#define attRequestRes               ATT(atpShort, 0x0009)   /* PR_RESPONSE_REQUESTED */

/* attPriority values. */
#define prioLow                     3
#define prioNorm                    2
#define prioHigh                    1

/* attMessageStatus bits. */
#define fmsNull                     ((BYTE)0x00)
#define fmsModified                 ((BYTE)0x01)
#define fmsLocal                    ((BYTE)0x02)
#define fmsSubmitted                ((BYTE)0x04)
#define fmsRead                     ((BYTE)0x20)
#define fmsHasAttach                ((BYTE)0x80)

/* TRP (attFrom) ids. */
#define trpidNull                   ((WORD)0x0000)
#define trpidOneOff                 ((WORD)0x0004)

/* RENDDATA atyp values and flags. */
#define atypNull                    ((WORD)0x0000)
#define atypFile                    ((WORD)0x0001)
#define atypOle                     ((WORD)0x0002)
#define atypPicture                 ((WORD)0x0003)
#define atypMax                     ((WORD)0x0004)
#define MAC_BINARY                  ((DWORD)0x00000001)

#pragma pack(push, 1)
/* A date attribute: local time, dayOfWeek 1 = Monday. */
typedef struct _dtr {
    WORD wYear;
    WORD wMonth;
    WORD wDay;
    WORD wHour;
    WORD wMinute;
    WORD wSecond;
    WORD wDayOfWeek;
} DTR;

/* attFrom's triple, followed by its name and address. */
typedef struct _trp {
    WORD trpid;
    WORD cbgrtrp;
    WORD cch;
    WORD cb;
} TRP, *PTRP, *PGRTRP;

/* attAttachRenddata. */
typedef struct _renddata {
    WORD atyp;
    ULONG ulPosition;
    WORD dxWidth;
    WORD dyHeight;
    DWORD dwFlags;
} RENDDATA, *PRENDDATA;
#pragma pack(pop)

/* Pointers to the functions, for GetProcAddress/dlsym. */
typedef HRESULT (STDAPICALLTYPE *LPOPENTNEFSTREAM)(LPVOID lpvSupport, LPSTREAM lpStream,
    LPSTR lpszStreamName, ULONG ulFlags, LPMESSAGE lpMessage, WORD wKeyVal, LPITNEF *lppTNEF);
typedef HRESULT (STDAPICALLTYPE *LPOPENTNEFSTREAMEX)(LPVOID lpvSupport, LPSTREAM lpStream,
    LPSTR lpszStreamName, ULONG ulFlags, LPMESSAGE lpMessage, WORD wKeyVal,
    LPADRBOOK lpAddressBook, LPITNEF *lppTNEF);
typedef HRESULT (STDAPICALLTYPE *LPGETTNEFSTREAMCODEPAGE)(LPSTREAM lpStream,
    ULONG *lpulCodepage, ULONG *lpulSubCodepage);

/* The functions' names. The SDK spells the last "GetTnefStreamCodePage", which no mapi32
 * exports (lookups are case-sensitive); the export's own spelling is given here so that a
 * lookup with the macro finds it. */
#define OPENTNEFSTREAM              "OpenTnefStream"
#define OPENTNEFSTREAMEX            "OpenTnefStreamEx"
#define GETTNEFSTREAMCODEPAGE       "GetTnefStreamCodepage"

#ifdef __cplusplus
}
#endif

#endif /* IMSG_TNEF_H */
