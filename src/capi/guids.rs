//! The GUIDs as data symbols, for code that does not define them itself (`INITGUID`):
//! what Windows programs get from `uuid.lib` and `mapi32`.
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
pub static IID_IMsgStore: GUID = guids::IID_IMsgStore;
#[unsafe(no_mangle)]
pub static IID_IMessage: GUID = guids::IID_IMessage;
#[unsafe(no_mangle)]
pub static IID_IAttachment: GUID = guids::IID_IAttachment;
#[unsafe(no_mangle)]
pub static IID_IMAPIProgress: GUID = guids::IID_IMAPIProgress;
#[unsafe(no_mangle)]
pub static IID_IStreamDocfile: GUID = guids::IID_IStreamDocfile;
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
pub static PS_INTERNET_HEADERS: GUID = guids::PS_INTERNET_HEADERS;
#[unsafe(no_mangle)]
pub static PSETID_Appointment: GUID = guids::PSETID_Appointment;
#[unsafe(no_mangle)]
pub static PSETID_Task: GUID = guids::PSETID_Task;
#[unsafe(no_mangle)]
pub static PSETID_Address: GUID = guids::PSETID_Address;
#[unsafe(no_mangle)]
pub static PSETID_Common: GUID = guids::PSETID_Common;
#[unsafe(no_mangle)]
pub static PSETID_Log: GUID = guids::PSETID_Log;
#[unsafe(no_mangle)]
pub static PSETID_Note: GUID = guids::PSETID_Note;
#[unsafe(no_mangle)]
pub static PSETID_Report: GUID = guids::PSETID_Report;
#[unsafe(no_mangle)]
pub static PSETID_Remote: GUID = guids::PSETID_Remote;
#[unsafe(no_mangle)]
pub static PSETID_Sharing: GUID = guids::PSETID_Sharing;
#[unsafe(no_mangle)]
pub static PSETID_PostRss: GUID = guids::PSETID_PostRss;
#[unsafe(no_mangle)]
pub static PSETID_Meeting: GUID = guids::PSETID_Meeting;
#[unsafe(no_mangle)]
pub static PSETID_Messaging: GUID = guids::PSETID_Messaging;
#[unsafe(no_mangle)]
pub static PSETID_Attachment: GUID = guids::PSETID_Attachment;
#[unsafe(no_mangle)]
pub static PSETID_CalendarAssistant: GUID = guids::PSETID_CalendarAssistant;
#[unsafe(no_mangle)]
pub static PSETID_UnifiedMessaging: GUID = guids::PSETID_UnifiedMessaging;
#[unsafe(no_mangle)]
pub static PSETID_XmlExtractedEntities: GUID = guids::PSETID_XmlExtractedEntities;
#[unsafe(no_mangle)]
pub static PSETID_AirSync: GUID = guids::PSETID_AirSync;
#[unsafe(no_mangle)]
pub static GUID_NULL: GUID = guids::GUID_NULL;
