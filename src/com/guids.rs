//! Interface and property-set GUIDs (`spec/mapi-abi.md` §9).
#![allow(non_upper_case_globals)]

use super::types::GUID;

pub const IID_IUnknown: GUID = GUID::ole(0x00000000);
pub const IID_IMalloc: GUID = GUID::ole(0x00000002);
pub const IID_ILockBytes: GUID = GUID::ole(0x0000000A);
pub const IID_IStorage: GUID = GUID::ole(0x0000000B);
pub const IID_IStream: GUID = GUID::ole(0x0000000C);
pub const IID_IEnumSTATSTG: GUID = GUID::ole(0x0000000D);
pub const IID_IRootStorage: GUID = GUID::ole(0x00000012);
pub const IID_ISequentialStream: GUID = GUID {
    Data1: 0x0C733A30,
    Data2: 0x2A1C,
    Data3: 0x11CE,
    Data4: [0xAD, 0xE5, 0x00, 0xAA, 0x00, 0x44, 0x77, 0x3D],
};
pub const IID_IMAPISession: GUID = GUID::ole(0x00020300);
pub const IID_IMAPITable: GUID = GUID::ole(0x00020301);
pub const IID_IMAPIAdviseSink: GUID = GUID::ole(0x00020302);
pub const IID_IMAPIProp: GUID = GUID::ole(0x00020303);
pub const IID_IProfSect: GUID = GUID::ole(0x00020304);
pub const IID_IMAPIStatus: GUID = GUID::ole(0x00020305);
pub const IID_IMsgStore: GUID = GUID::ole(0x00020306);
pub const IID_IMessage: GUID = GUID::ole(0x00020307);
pub const IID_IAttachment: GUID = GUID::ole(0x00020308);
pub const IID_IAddrBook: GUID = GUID::ole(0x00020309);
pub const IID_IMailUser: GUID = GUID::ole(0x0002030A);
pub const IID_IMAPIContainer: GUID = GUID::ole(0x0002030B);
pub const IID_IMAPIFolder: GUID = GUID::ole(0x0002030C);
pub const IID_IABContainer: GUID = GUID::ole(0x0002030D);
pub const IID_IDistList: GUID = GUID::ole(0x0002030E);
pub const IID_IMAPISup: GUID = GUID::ole(0x0002030F);
pub const IID_IMAPITableData: GUID = GUID::ole(0x00020316);
pub const IID_ITNEF: GUID = GUID::ole(0x00020319);
pub const IID_IMAPIPropData: GUID = GUID::ole(0x0002031A);
pub const IID_IMAPIProgress: GUID = GUID::ole(0x0002031F);
pub const IID_IPersistMessage: GUID = GUID::ole(0x0002032A);
pub const IID_IStreamDocfile: GUID = GUID::ole(0x0002032C);
pub const IID_IStreamTnef: GUID = GUID::ole(0x00020330);
pub const CLSID_MailMessage: GUID = GUID::ole(0x00020D0B);
pub const PS_MAPI: GUID = GUID::ole(0x00020328);
pub const PS_PUBLIC_STRINGS: GUID = GUID::ole(0x00020329);
pub const PS_ROUTING_EMAIL_ADDRESSES: GUID = GUID::ole(0x00020380);
pub const PS_ROUTING_ADDRTYPE: GUID = GUID::ole(0x00020381);
pub const PS_ROUTING_DISPLAY_NAME: GUID = GUID::ole(0x00020382);
pub const PS_ROUTING_ENTRYID: GUID = GUID::ole(0x00020383);
pub const PS_ROUTING_SEARCH_KEY: GUID = GUID::ole(0x00020384);
pub const MUID_PROFILE_INSTANCE: GUID = GUID::ole(0x00020385);
pub const PS_INTERNET_HEADERS: GUID = GUID::ole(0x00020386);
pub const PSETID_Appointment: GUID = GUID::ole(0x00062002);
pub const PSETID_Task: GUID = GUID::ole(0x00062003);
pub const PSETID_Address: GUID = GUID::ole(0x00062004);
pub const PSETID_Common: GUID = GUID::ole(0x00062008);
pub const PSETID_Log: GUID = GUID::ole(0x0006200A);
pub const PSETID_Note: GUID = GUID::ole(0x0006200E);
pub const PSETID_Report: GUID = GUID::ole(0x00062013);
pub const PSETID_Remote: GUID = GUID::ole(0x00062014);
pub const PSETID_Sharing: GUID = GUID::ole(0x00062040);
pub const PSETID_PostRss: GUID = GUID::ole(0x00062041);
pub const PSETID_Meeting: GUID = GUID {
    Data1: 0x6ED8DA90,
    Data2: 0x450B,
    Data3: 0x101B,
    Data4: [0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05],
};
pub const PSETID_Messaging: GUID = GUID {
    Data1: 0x41F28F13,
    Data2: 0x83F4,
    Data3: 0x4114,
    Data4: [0xA5, 0x84, 0xEE, 0xDB, 0x5A, 0x6B, 0x0B, 0xFF],
};
pub const PSETID_Attachment: GUID = GUID {
    Data1: 0x96357F7F,
    Data2: 0x59E1,
    Data3: 0x47D0,
    Data4: [0x99, 0xA7, 0x46, 0x51, 0x5C, 0x18, 0x3B, 0x54],
};
pub const PSETID_CalendarAssistant: GUID = GUID {
    Data1: 0x11000E07,
    Data2: 0xB51B,
    Data3: 0x40D6,
    Data4: [0xAF, 0x21, 0xCA, 0xA8, 0x5E, 0xDA, 0xB1, 0xD0],
};
pub const PSETID_UnifiedMessaging: GUID = GUID {
    Data1: 0x4442858E,
    Data2: 0xA9E3,
    Data3: 0x4E80,
    Data4: [0xB9, 0x00, 0x31, 0x7A, 0x21, 0x0C, 0xC1, 0x5B],
};
pub const PSETID_XmlExtractedEntities: GUID = GUID {
    Data1: 0x23239608,
    Data2: 0x685D,
    Data3: 0x4732,
    Data4: [0x9C, 0x55, 0x4C, 0x95, 0xCB, 0x4E, 0x8E, 0x33],
};
pub const PSETID_AirSync: GUID = GUID {
    Data1: 0x71035549,
    Data2: 0x0739,
    Data3: 0x4DCB,
    Data4: [0x91, 0x63, 0x00, 0xF0, 0x58, 0x0D, 0xBB, 0xDF],
};
pub const GUID_NULL: GUID = GUID {
    Data1: 0,
    Data2: 0,
    Data3: 0,
    Data4: [0; 8],
};
