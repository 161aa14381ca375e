//! The GUIDs as data symbols, for code that does not define them itself (`INITGUID`):
//! what Windows programs get from `uuid.lib` and `mapi32`. `include/mapiguid.h` defines
//! the same values in a translation unit that asks for them (`INITGUID` + `USES_<name>`).
//!
//! `CLSID_MailMessage`, `PS_INTERNET_HEADERS` and the `PSETID_*` sets are in no SDK header:
//! programs define them themselves, sometimes as `static const GUID`, which would clash
//! with a declaration. The header declares them unless `IMSG_NO_EXTRA_GUIDS` is defined
//! (the cfg below is never set for rustc: cbindgen turns it into that condition); the
//! library exports them either way.
#![allow(non_upper_case_globals)]

use crate::com::guids;
use crate::com::types::GUID;

#[unsafe(no_mangle)]
pub static IID_IUnknown: GUID = guids::IID_IUnknown;
#[unsafe(no_mangle)]
pub static IID_IMalloc: GUID = guids::IID_IMalloc;
#[unsafe(no_mangle)]
pub static IID_ILockBytes: GUID = guids::IID_ILockBytes;
#[unsafe(no_mangle)]
pub static IID_IStorage: GUID = guids::IID_IStorage;
#[unsafe(no_mangle)]
pub static IID_IStream: GUID = guids::IID_IStream;
#[unsafe(no_mangle)]
pub static IID_IEnumSTATSTG: GUID = guids::IID_IEnumSTATSTG;
#[unsafe(no_mangle)]
pub static IID_IRootStorage: GUID = guids::IID_IRootStorage;
#[unsafe(no_mangle)]
pub static IID_ISequentialStream: GUID = guids::IID_ISequentialStream;
#[unsafe(no_mangle)]
pub static IID_IMAPISession: GUID = guids::IID_IMAPISession;
#[unsafe(no_mangle)]
pub static IID_IMAPITable: GUID = guids::IID_IMAPITable;
#[unsafe(no_mangle)]
pub static IID_IMAPIAdviseSink: GUID = guids::IID_IMAPIAdviseSink;
#[unsafe(no_mangle)]
pub static IID_IMAPIProp: GUID = guids::IID_IMAPIProp;
#[unsafe(no_mangle)]
pub static IID_IProfSect: GUID = guids::IID_IProfSect;
#[unsafe(no_mangle)]
pub static IID_IMAPIStatus: GUID = guids::IID_IMAPIStatus;
#[unsafe(no_mangle)]
pub static IID_IMsgStore: GUID = guids::IID_IMsgStore;
#[unsafe(no_mangle)]
pub static IID_IMessage: GUID = guids::IID_IMessage;
#[unsafe(no_mangle)]
pub static IID_IAttachment: GUID = guids::IID_IAttachment;
#[unsafe(no_mangle)]
pub static IID_IAddrBook: GUID = guids::IID_IAddrBook;
#[unsafe(no_mangle)]
pub static IID_IMailUser: GUID = guids::IID_IMailUser;
#[unsafe(no_mangle)]
pub static IID_IMAPIContainer: GUID = guids::IID_IMAPIContainer;
#[unsafe(no_mangle)]
pub static IID_IMAPIFolder: GUID = guids::IID_IMAPIFolder;
#[unsafe(no_mangle)]
pub static IID_IABContainer: GUID = guids::IID_IABContainer;
#[unsafe(no_mangle)]
pub static IID_IDistList: GUID = guids::IID_IDistList;
#[unsafe(no_mangle)]
pub static IID_IMAPISup: GUID = guids::IID_IMAPISup;
#[unsafe(no_mangle)]
pub static IID_IMAPITableData: GUID = guids::IID_IMAPITableData;
#[unsafe(no_mangle)]
pub static IID_ITNEF: GUID = guids::IID_ITNEF;
#[unsafe(no_mangle)]
pub static IID_IMAPIPropData: GUID = guids::IID_IMAPIPropData;
#[unsafe(no_mangle)]
pub static IID_IMAPIProgress: GUID = guids::IID_IMAPIProgress;
#[unsafe(no_mangle)]
pub static IID_IPersistMessage: GUID = guids::IID_IPersistMessage;
#[unsafe(no_mangle)]
pub static IID_IStreamDocfile: GUID = guids::IID_IStreamDocfile;
#[unsafe(no_mangle)]
pub static IID_IStreamTnef: GUID = guids::IID_IStreamTnef;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static CLSID_MailMessage: GUID = guids::CLSID_MailMessage;
#[unsafe(no_mangle)]
pub static PS_MAPI: GUID = guids::PS_MAPI;
#[unsafe(no_mangle)]
pub static PS_PUBLIC_STRINGS: GUID = guids::PS_PUBLIC_STRINGS;
#[unsafe(no_mangle)]
pub static PS_ROUTING_EMAIL_ADDRESSES: GUID = guids::PS_ROUTING_EMAIL_ADDRESSES;
#[unsafe(no_mangle)]
pub static PS_ROUTING_ADDRTYPE: GUID = guids::PS_ROUTING_ADDRTYPE;
#[unsafe(no_mangle)]
pub static PS_ROUTING_DISPLAY_NAME: GUID = guids::PS_ROUTING_DISPLAY_NAME;
#[unsafe(no_mangle)]
pub static PS_ROUTING_ENTRYID: GUID = guids::PS_ROUTING_ENTRYID;
#[unsafe(no_mangle)]
pub static PS_ROUTING_SEARCH_KEY: GUID = guids::PS_ROUTING_SEARCH_KEY;
#[unsafe(no_mangle)]
pub static MUID_PROFILE_INSTANCE: GUID = guids::MUID_PROFILE_INSTANCE;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PS_INTERNET_HEADERS: GUID = guids::PS_INTERNET_HEADERS;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Appointment: GUID = guids::PSETID_Appointment;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Task: GUID = guids::PSETID_Task;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Address: GUID = guids::PSETID_Address;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Common: GUID = guids::PSETID_Common;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Log: GUID = guids::PSETID_Log;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Note: GUID = guids::PSETID_Note;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Report: GUID = guids::PSETID_Report;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Remote: GUID = guids::PSETID_Remote;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Sharing: GUID = guids::PSETID_Sharing;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_PostRss: GUID = guids::PSETID_PostRss;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Meeting: GUID = guids::PSETID_Meeting;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Messaging: GUID = guids::PSETID_Messaging;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_Attachment: GUID = guids::PSETID_Attachment;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_CalendarAssistant: GUID = guids::PSETID_CalendarAssistant;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_UnifiedMessaging: GUID = guids::PSETID_UnifiedMessaging;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_XmlExtractedEntities: GUID = guids::PSETID_XmlExtractedEntities;
#[cfg(not(imsg_no_extra_guids))]
#[unsafe(no_mangle)]
pub static PSETID_AirSync: GUID = guids::PSETID_AirSync;
#[unsafe(no_mangle)]
pub static GUID_NULL: GUID = guids::GUID_NULL;
