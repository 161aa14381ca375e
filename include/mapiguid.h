/*
 * mapiguid.h - MAPI's GUIDs the way Windows code defines them.
 *
 * Every GUID libimessage exports is declared by <imessage.h> (which includes this file at
 * its end) and exported by the library as a data symbol, so a program that merely uses
 * IID_IMessage or CLSID_MailMessage links without defining anything.
 *
 * A translation unit that defines INITGUID and USES_<name> before including this file gets
 * its own definition of <name> instead, as with the SDK's MAPIGuid.h:
 *
 *     #define INITGUID
 *     #define USES_IID_IMessage
 *     #include <mapiguid.h>
 *
 * The definitions are weak, so several translation units may do this. The file may be
 * included again after <initguid.h> (the definitions part is not behind the include
 * guard; each GUID is defined at most once per translation unit).
 *
 * CLSID_MailMessage, PS_INTERNET_HEADERS and the PSETID_* property sets are in no SDK
 * header; a program that defines them itself in a way that clashes with a declaration
 * (`static const GUID CLSID_MailMessage = ...`) compiles with -DIMSG_NO_EXTRA_GUIDS.
 *
 * In C++, __uuidof(IStorage) and the like give the interface's IID for the interfaces these
 * headers declare, as MSVC's __uuidof does for a type name (with mingw-w64, through its own
 * __uuidof, for which the MAPI interfaces are declared here).
 */
#ifndef IMESSAGE_H
#  include "imessage.h"
#endif

#if defined(INITGUID) && defined(USES_IID_IUnknown) && !defined(IMSG_DEFINED_IID_IUnknown)
#define IMSG_DEFINED_IID_IUnknown
DEFINE_OLEGUID(IID_IUnknown, 0x00000000, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMalloc) && !defined(IMSG_DEFINED_IID_IMalloc)
#define IMSG_DEFINED_IID_IMalloc
DEFINE_OLEGUID(IID_IMalloc, 0x00000002, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_ILockBytes) && !defined(IMSG_DEFINED_IID_ILockBytes)
#define IMSG_DEFINED_IID_ILockBytes
DEFINE_OLEGUID(IID_ILockBytes, 0x0000000A, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IStorage) && !defined(IMSG_DEFINED_IID_IStorage)
#define IMSG_DEFINED_IID_IStorage
DEFINE_OLEGUID(IID_IStorage, 0x0000000B, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IStream) && !defined(IMSG_DEFINED_IID_IStream)
#define IMSG_DEFINED_IID_IStream
DEFINE_OLEGUID(IID_IStream, 0x0000000C, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IEnumSTATSTG) && !defined(IMSG_DEFINED_IID_IEnumSTATSTG)
#define IMSG_DEFINED_IID_IEnumSTATSTG
DEFINE_OLEGUID(IID_IEnumSTATSTG, 0x0000000D, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IRootStorage) && !defined(IMSG_DEFINED_IID_IRootStorage)
#define IMSG_DEFINED_IID_IRootStorage
DEFINE_OLEGUID(IID_IRootStorage, 0x00000012, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_ISequentialStream) && !defined(IMSG_DEFINED_IID_ISequentialStream)
#define IMSG_DEFINED_IID_ISequentialStream
DEFINE_GUID(IID_ISequentialStream, 0x0C733A30, 0x2A1C, 0x11CE, 0xAD, 0xE5, 0x00, 0xAA, 0x00, 0x44, 0x77, 0x3D);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPISession) && !defined(IMSG_DEFINED_IID_IMAPISession)
#define IMSG_DEFINED_IID_IMAPISession
DEFINE_OLEGUID(IID_IMAPISession, 0x00020300, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPITable) && !defined(IMSG_DEFINED_IID_IMAPITable)
#define IMSG_DEFINED_IID_IMAPITable
DEFINE_OLEGUID(IID_IMAPITable, 0x00020301, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPIAdviseSink) && !defined(IMSG_DEFINED_IID_IMAPIAdviseSink)
#define IMSG_DEFINED_IID_IMAPIAdviseSink
DEFINE_OLEGUID(IID_IMAPIAdviseSink, 0x00020302, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPIProp) && !defined(IMSG_DEFINED_IID_IMAPIProp)
#define IMSG_DEFINED_IID_IMAPIProp
DEFINE_OLEGUID(IID_IMAPIProp, 0x00020303, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IProfSect) && !defined(IMSG_DEFINED_IID_IProfSect)
#define IMSG_DEFINED_IID_IProfSect
DEFINE_OLEGUID(IID_IProfSect, 0x00020304, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPIStatus) && !defined(IMSG_DEFINED_IID_IMAPIStatus)
#define IMSG_DEFINED_IID_IMAPIStatus
DEFINE_OLEGUID(IID_IMAPIStatus, 0x00020305, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMsgStore) && !defined(IMSG_DEFINED_IID_IMsgStore)
#define IMSG_DEFINED_IID_IMsgStore
DEFINE_OLEGUID(IID_IMsgStore, 0x00020306, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMessage) && !defined(IMSG_DEFINED_IID_IMessage)
#define IMSG_DEFINED_IID_IMessage
DEFINE_OLEGUID(IID_IMessage, 0x00020307, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IAttachment) && !defined(IMSG_DEFINED_IID_IAttachment)
#define IMSG_DEFINED_IID_IAttachment
DEFINE_OLEGUID(IID_IAttachment, 0x00020308, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IAddrBook) && !defined(IMSG_DEFINED_IID_IAddrBook)
#define IMSG_DEFINED_IID_IAddrBook
DEFINE_OLEGUID(IID_IAddrBook, 0x00020309, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMailUser) && !defined(IMSG_DEFINED_IID_IMailUser)
#define IMSG_DEFINED_IID_IMailUser
DEFINE_OLEGUID(IID_IMailUser, 0x0002030A, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPIContainer) && !defined(IMSG_DEFINED_IID_IMAPIContainer)
#define IMSG_DEFINED_IID_IMAPIContainer
DEFINE_OLEGUID(IID_IMAPIContainer, 0x0002030B, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPIFolder) && !defined(IMSG_DEFINED_IID_IMAPIFolder)
#define IMSG_DEFINED_IID_IMAPIFolder
DEFINE_OLEGUID(IID_IMAPIFolder, 0x0002030C, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IABContainer) && !defined(IMSG_DEFINED_IID_IABContainer)
#define IMSG_DEFINED_IID_IABContainer
DEFINE_OLEGUID(IID_IABContainer, 0x0002030D, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IDistList) && !defined(IMSG_DEFINED_IID_IDistList)
#define IMSG_DEFINED_IID_IDistList
DEFINE_OLEGUID(IID_IDistList, 0x0002030E, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPISup) && !defined(IMSG_DEFINED_IID_IMAPISup)
#define IMSG_DEFINED_IID_IMAPISup
DEFINE_OLEGUID(IID_IMAPISup, 0x0002030F, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPITableData) && !defined(IMSG_DEFINED_IID_IMAPITableData)
#define IMSG_DEFINED_IID_IMAPITableData
DEFINE_OLEGUID(IID_IMAPITableData, 0x00020316, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_ITNEF) && !defined(IMSG_DEFINED_IID_ITNEF)
#define IMSG_DEFINED_IID_ITNEF
DEFINE_OLEGUID(IID_ITNEF, 0x00020319, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPIPropData) && !defined(IMSG_DEFINED_IID_IMAPIPropData)
#define IMSG_DEFINED_IID_IMAPIPropData
DEFINE_OLEGUID(IID_IMAPIPropData, 0x0002031A, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IMAPIProgress) && !defined(IMSG_DEFINED_IID_IMAPIProgress)
#define IMSG_DEFINED_IID_IMAPIProgress
DEFINE_OLEGUID(IID_IMAPIProgress, 0x0002031F, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IPersistMessage) && !defined(IMSG_DEFINED_IID_IPersistMessage)
#define IMSG_DEFINED_IID_IPersistMessage
DEFINE_OLEGUID(IID_IPersistMessage, 0x0002032A, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IStreamDocfile) && !defined(IMSG_DEFINED_IID_IStreamDocfile)
#define IMSG_DEFINED_IID_IStreamDocfile
DEFINE_OLEGUID(IID_IStreamDocfile, 0x0002032C, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_IID_IStreamTnef) && !defined(IMSG_DEFINED_IID_IStreamTnef)
#define IMSG_DEFINED_IID_IStreamTnef
DEFINE_OLEGUID(IID_IStreamTnef, 0x00020330, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_CLSID_MailMessage) && !defined(IMSG_DEFINED_CLSID_MailMessage) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_CLSID_MailMessage
DEFINE_OLEGUID(CLSID_MailMessage, 0x00020D0B, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PS_MAPI) && !defined(IMSG_DEFINED_PS_MAPI)
#define IMSG_DEFINED_PS_MAPI
DEFINE_OLEGUID(PS_MAPI, 0x00020328, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PS_PUBLIC_STRINGS) && !defined(IMSG_DEFINED_PS_PUBLIC_STRINGS)
#define IMSG_DEFINED_PS_PUBLIC_STRINGS
DEFINE_OLEGUID(PS_PUBLIC_STRINGS, 0x00020329, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PS_ROUTING_EMAIL_ADDRESSES) && !defined(IMSG_DEFINED_PS_ROUTING_EMAIL_ADDRESSES)
#define IMSG_DEFINED_PS_ROUTING_EMAIL_ADDRESSES
DEFINE_OLEGUID(PS_ROUTING_EMAIL_ADDRESSES, 0x00020380, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PS_ROUTING_ADDRTYPE) && !defined(IMSG_DEFINED_PS_ROUTING_ADDRTYPE)
#define IMSG_DEFINED_PS_ROUTING_ADDRTYPE
DEFINE_OLEGUID(PS_ROUTING_ADDRTYPE, 0x00020381, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PS_ROUTING_DISPLAY_NAME) && !defined(IMSG_DEFINED_PS_ROUTING_DISPLAY_NAME)
#define IMSG_DEFINED_PS_ROUTING_DISPLAY_NAME
DEFINE_OLEGUID(PS_ROUTING_DISPLAY_NAME, 0x00020382, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PS_ROUTING_ENTRYID) && !defined(IMSG_DEFINED_PS_ROUTING_ENTRYID)
#define IMSG_DEFINED_PS_ROUTING_ENTRYID
DEFINE_OLEGUID(PS_ROUTING_ENTRYID, 0x00020383, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PS_ROUTING_SEARCH_KEY) && !defined(IMSG_DEFINED_PS_ROUTING_SEARCH_KEY)
#define IMSG_DEFINED_PS_ROUTING_SEARCH_KEY
DEFINE_OLEGUID(PS_ROUTING_SEARCH_KEY, 0x00020384, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_MUID_PROFILE_INSTANCE) && !defined(IMSG_DEFINED_MUID_PROFILE_INSTANCE)
#define IMSG_DEFINED_MUID_PROFILE_INSTANCE
DEFINE_OLEGUID(MUID_PROFILE_INSTANCE, 0x00020385, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PS_INTERNET_HEADERS) && !defined(IMSG_DEFINED_PS_INTERNET_HEADERS) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PS_INTERNET_HEADERS
DEFINE_OLEGUID(PS_INTERNET_HEADERS, 0x00020386, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Appointment) && !defined(IMSG_DEFINED_PSETID_Appointment) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Appointment
DEFINE_OLEGUID(PSETID_Appointment, 0x00062002, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Task) && !defined(IMSG_DEFINED_PSETID_Task) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Task
DEFINE_OLEGUID(PSETID_Task, 0x00062003, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Address) && !defined(IMSG_DEFINED_PSETID_Address) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Address
DEFINE_OLEGUID(PSETID_Address, 0x00062004, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Common) && !defined(IMSG_DEFINED_PSETID_Common) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Common
DEFINE_OLEGUID(PSETID_Common, 0x00062008, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Log) && !defined(IMSG_DEFINED_PSETID_Log) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Log
DEFINE_OLEGUID(PSETID_Log, 0x0006200A, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Note) && !defined(IMSG_DEFINED_PSETID_Note) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Note
DEFINE_OLEGUID(PSETID_Note, 0x0006200E, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Report) && !defined(IMSG_DEFINED_PSETID_Report) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Report
DEFINE_OLEGUID(PSETID_Report, 0x00062013, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Remote) && !defined(IMSG_DEFINED_PSETID_Remote) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Remote
DEFINE_OLEGUID(PSETID_Remote, 0x00062014, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Sharing) && !defined(IMSG_DEFINED_PSETID_Sharing) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Sharing
DEFINE_OLEGUID(PSETID_Sharing, 0x00062040, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_PostRss) && !defined(IMSG_DEFINED_PSETID_PostRss) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_PostRss
DEFINE_OLEGUID(PSETID_PostRss, 0x00062041, 0, 0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Meeting) && !defined(IMSG_DEFINED_PSETID_Meeting) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Meeting
DEFINE_GUID(PSETID_Meeting, 0x6ED8DA90, 0x450B, 0x101B, 0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Messaging) && !defined(IMSG_DEFINED_PSETID_Messaging) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Messaging
DEFINE_GUID(PSETID_Messaging, 0x41F28F13, 0x83F4, 0x4114, 0xA5, 0x84, 0xEE, 0xDB, 0x5A, 0x6B, 0x0B, 0xFF);
#endif
#if defined(INITGUID) && defined(USES_PSETID_Attachment) && !defined(IMSG_DEFINED_PSETID_Attachment) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_Attachment
DEFINE_GUID(PSETID_Attachment, 0x96357F7F, 0x59E1, 0x47D0, 0x99, 0xA7, 0x46, 0x51, 0x5C, 0x18, 0x3B, 0x54);
#endif
#if defined(INITGUID) && defined(USES_PSETID_CalendarAssistant) && !defined(IMSG_DEFINED_PSETID_CalendarAssistant) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_CalendarAssistant
DEFINE_GUID(PSETID_CalendarAssistant, 0x11000E07, 0xB51B, 0x40D6, 0xAF, 0x21, 0xCA, 0xA8, 0x5E, 0xDA, 0xB1, 0xD0);
#endif
#if defined(INITGUID) && defined(USES_PSETID_UnifiedMessaging) && !defined(IMSG_DEFINED_PSETID_UnifiedMessaging) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_UnifiedMessaging
DEFINE_GUID(PSETID_UnifiedMessaging, 0x4442858E, 0xA9E3, 0x4E80, 0xB9, 0x00, 0x31, 0x7A, 0x21, 0x0C, 0xC1, 0x5B);
#endif
#if defined(INITGUID) && defined(USES_PSETID_XmlExtractedEntities) && !defined(IMSG_DEFINED_PSETID_XmlExtractedEntities) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_XmlExtractedEntities
DEFINE_GUID(PSETID_XmlExtractedEntities, 0x23239608, 0x685D, 0x4732, 0x9C, 0x55, 0x4C, 0x95, 0xCB, 0x4E, 0x8E, 0x33);
#endif
#if defined(INITGUID) && defined(USES_PSETID_AirSync) && !defined(IMSG_DEFINED_PSETID_AirSync) && !defined(IMSG_NO_EXTRA_GUIDS)
#define IMSG_DEFINED_PSETID_AirSync
DEFINE_GUID(PSETID_AirSync, 0x71035549, 0x0739, 0x4DCB, 0x91, 0x63, 0x00, 0xF0, 0x58, 0x0D, 0xBB, 0xDF);
#endif

#ifndef IMSG_MAPIGUID_H
#define IMSG_MAPIGUID_H

#if defined(__cplusplus) && !defined(_WIN32) && !defined(__uuidof)
/* __uuidof(Interface): the IID of an interface declared by these headers. */
template <typename Interface> struct imsg_uuidof;
#  define IMSG_UUIDOF(iface, iid) \
       template <> struct imsg_uuidof<iface> { static const IID &get() { return iid; } };
IMSG_UUIDOF(IUnknown, IID_IUnknown)
IMSG_UUIDOF(IMalloc, IID_IMalloc)
IMSG_UUIDOF(ISequentialStream, IID_ISequentialStream)
IMSG_UUIDOF(IStream, IID_IStream)
IMSG_UUIDOF(IEnumSTATSTG, IID_IEnumSTATSTG)
IMSG_UUIDOF(IStorage, IID_IStorage)
IMSG_UUIDOF(ILockBytes, IID_ILockBytes)
IMSG_UUIDOF(IMAPIProgress, IID_IMAPIProgress)
IMSG_UUIDOF(IMAPIAdviseSink, IID_IMAPIAdviseSink)
IMSG_UUIDOF(IMAPIProp, IID_IMAPIProp)
IMSG_UUIDOF(IMAPITable, IID_IMAPITable)
IMSG_UUIDOF(IAttach, IID_IAttachment)
IMSG_UUIDOF(IMessage, IID_IMessage)
#  undef IMSG_UUIDOF
#  define __uuidof(iface) (imsg_uuidof<iface>::get())
#endif

#if defined(__cplusplus) && defined(__MINGW32__) && defined(__CRT_UUID_DECL)
/* mingw-w64's __uuidof(T) is __mingw_uuidof<T>(); its headers give it for ole32's
   interfaces, these give it for MAPI's. */
#  define IMSG_MINGW_UUIDOF(iface, l) __CRT_UUID_DECL(iface, l, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46)
IMSG_MINGW_UUIDOF(IMAPITable, 0x00020301)
IMSG_MINGW_UUIDOF(IMAPIAdviseSink, 0x00020302)
IMSG_MINGW_UUIDOF(IMAPIProp, 0x00020303)
IMSG_MINGW_UUIDOF(IMessage, 0x00020307)
IMSG_MINGW_UUIDOF(IAttach, 0x00020308)
IMSG_MINGW_UUIDOF(IMAPIProgress, 0x0002031F)
#  undef IMSG_MINGW_UUIDOF
#endif

#endif /* IMSG_MAPIGUID_H */
