//! Tests of the TNEF reader, writer and legacy mapping (`tnef*.rs`).

use super::*;
use crate::codec::tnef_legacy::{self as legacy, Message, Mode, tag::*};
use crate::codec::tnef_write::{self, record, write};
use crate::consts::*;
use crate::model::names::{Name, PS_PUBLIC_STRINGS, ole_guid};

fn u16s(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn named(tag: u32, name: Name, v: PropValue) -> Prop {
    Prop {
        tag,
        name: Some(name),
        value: Value::Plain(v),
    }
}

/// Every type a list can hold, named properties of both kinds included.
fn all_types() -> Vec<Prop> {
    vec![
        Prop::new(
            0x0037_001F,
            PropValue::Unicode(u16s("Sujet \u{e9}\u{1F600}")),
        ),
        Prop::new(0x0037_001E, PropValue::String8(b"abc".to_vec())),
        Prop::new(0x0017_0003, PropValue::Long(-7)),
        Prop::new(0x4001_0002, PropValue::I2(-2)),
        Prop::new(0x4002_000B, PropValue::Boolean(true)),
        Prop::new(0x4003_000B, PropValue::Boolean(false)),
        Prop::new(0x4004_0004, PropValue::R4(1.5)),
        Prop::new(0x4005_0005, PropValue::Double(-2.25)),
        Prop::new(0x4006_0006, PropValue::Currency(123_456)),
        Prop::new(0x4007_0007, PropValue::AppTime(45000.5)),
        Prop::new(0x4008_000A, PropValue::Error(MAPI_E_CORRUPT_DATA)),
        Prop::new(0x4009_0014, PropValue::I8(i64::MIN)),
        Prop::new(0x400A_0040, PropValue::SysTime(133_976_600_530_000_001)),
        Prop::new(0x400B_0048, PropValue::Clsid([9; 16])),
        Prop::new(0x400C_0102, PropValue::Binary(vec![0, 1, 2, 3, 4])),
        Prop::new(0x400D_0102, PropValue::Binary(vec![])),
        Prop::new(0x400E_1002, PropValue::MvI2(vec![1, -2, 3])),
        Prop::new(0x400F_1003, PropValue::MvLong(vec![1, -2])),
        Prop::new(0x4010_1004, PropValue::MvR4(vec![0.5])),
        Prop::new(0x4011_1005, PropValue::MvDouble(vec![1.0, 2.0])),
        Prop::new(0x4012_1006, PropValue::MvCurrency(vec![5])),
        Prop::new(0x4013_1007, PropValue::MvAppTime(vec![1.25])),
        Prop::new(0x4014_1014, PropValue::MvI8(vec![7, 8])),
        Prop::new(0x4015_1040, PropValue::MvSysTime(vec![1, 2, 3])),
        Prop::new(0x4016_1048, PropValue::MvClsid(vec![[1; 16], [2; 16]])),
        Prop::new(
            0x4017_1102,
            PropValue::MvBinary(vec![vec![1], vec![], vec![2, 3, 4]]),
        ),
        Prop::new(
            0x4018_101E,
            PropValue::MvString8(vec![b"x".to_vec(), b"".to_vec(), b"yz".to_vec()]),
        ),
        Prop::new(
            0x4019_101F,
            PropValue::MvUnicode(vec![u16s("a"), u16s("bcd")]),
        ),
        Prop::new(0x401A_1002, PropValue::MvI2(vec![])),
        named(
            0x8000_0003,
            Name::id(ole_guid(0x0006_2008), 0x8503),
            PropValue::Long(1),
        ),
        named(
            0x8001_001F,
            Name::string(PS_PUBLIC_STRINGS, "Keywords-x"),
            PropValue::Unicode(u16s("v")),
        ),
        named(
            0x8002_101F,
            Name::string(PS_PUBLIC_STRINGS, "abc"),
            PropValue::MvUnicode(vec![u16s("one"), u16s("two")]),
        ),
    ]
}

fn sample() -> Tnef {
    let inner = Tnef {
        key: 0,
        props: vec![Prop::new(
            0x0037_001E,
            PropValue::String8(b"inner".to_vec()),
        )],
        attachments: vec![Attachment {
            attributes: vec![Attribute::new(
                LVL_ATTACHMENT,
                att::ATTACH_REND_DATA,
                tnef_write::DEFAULT_REND_DATA.to_vec(),
            )],
            props: vec![Prop::new(
                PR_ATTACH_DATA_BIN,
                PropValue::Binary(vec![1, 2, 3]),
            )],
        }],
        attributes: vec![Attribute::new(
            LVL_MESSAGE,
            att::TNEF_VERSION,
            TNEF_VERSION.to_le_bytes().to_vec(),
        )],
        ..Tnef::default()
    };
    let embedded = Prop {
        tag: PR_ATTACH_DATA_OBJ,
        name: None,
        value: Value::Object(Object {
            iid: IID_IMESSAGE,
            data: ObjectData::Message(Box::new(inner)),
        }),
    };
    let ole = Prop {
        tag: PR_ATTACH_DATA_OBJ,
        name: None,
        value: Value::Object(Object {
            iid: IID_ISTORAGE,
            data: ObjectData::Bytes(vec![0xD0, 0xCF, 0x11]),
        }),
    };
    legacy::encode(
        &Message {
            props: all_types(),
            recipients: vec![
                vec![
                    Prop::new(0x3001_001F, PropValue::Unicode(u16s("Ann"))),
                    Prop::new(0x0C15_0003, PropValue::Long(1)),
                ],
                vec![Prop::new(0x3001_001F, PropValue::Unicode(u16s("Bob")))],
            ],
            attachments: vec![
                vec![Prop::new(PR_ATTACH_METHOD, PropValue::Long(5)), embedded],
                vec![Prop::new(PR_ATTACH_METHOD, PropValue::Long(6)), ole],
                vec![
                    Prop::new(PR_ATTACH_METHOD, PropValue::Long(1)),
                    Prop::new(PR_ATTACH_DATA_BIN, PropValue::Binary(vec![7; 1001])),
                ],
            ],
        },
        Mode::Pure,
        0x1234,
        1252,
    )
}

/// `consumed` is where reading stopped; the writer's input has none.
fn clear_consumed(t: &mut Tnef) {
    t.consumed = 0;
    for a in &mut t.attachments {
        for p in &mut a.props {
            if let Value::Object(Object {
                data: ObjectData::Message(m),
                ..
            }) = &mut p.value
            {
                clear_consumed(m);
            }
        }
    }
}

#[test]
fn every_type_round_trips() {
    let t = sample();
    let bytes = write(&t);
    let mut back = read(&bytes).unwrap();
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    assert_eq!(back.consumed, bytes.len());
    clear_consumed(&mut back);
    assert_eq!(back, t);
    // Written again, the bytes are the same.
    assert_eq!(write(&back), bytes);
}

#[test]
fn checksum_is_the_byte_sum() {
    assert_eq!(checksum(&[0xE4, 0x04, 0, 0, 0, 0, 0, 0]), 0x00E8);
    assert_eq!(checksum(&vec![0xFF; 300]), (300u32 * 255 % 65536) as u16);
    let mut out = Vec::new();
    record(&mut out, 1, att::OEM_CODEPAGE, &1252u32.to_le_bytes());
    assert_eq!(&out[out.len() - 2..], &[0xE8, 0x00]);
}

/// (level, id) of every record of a stream.
fn records(bytes: &[u8]) -> Vec<(u8, u32)> {
    let mut pos = HEADER_LEN;
    let mut v = Vec::new();
    while pos + 9 <= bytes.len() {
        let id = u32::from_le_bytes(bytes[pos + 1..pos + 5].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[pos + 5..pos + 9].try_into().unwrap()) as usize;
        v.push((bytes[pos], id));
        pos += 9 + len + 2;
    }
    v
}

#[test]
fn writer_puts_attributes_in_the_required_order() {
    let mut t = sample();
    // Listed out of order on purpose.
    t.attributes.reverse();
    t.attributes
        .push(Attribute::new(LVL_MESSAGE, att::SUBJECT, b"s\0".to_vec()));
    t.attachments[2].attributes.reverse();
    t.attachments[2].attributes.insert(
        0,
        Attribute::new(LVL_ATTACHMENT, att::ATTACH_TITLE, b"a\0".to_vec()),
    );
    let r = records(&write(&t));
    assert_eq!(
        r[..6],
        [
            (1, att::TNEF_VERSION),
            (1, att::OEM_CODEPAGE),
            (1, att::SUBJECT),
            (1, att::RECIP_TABLE),
            (1, att::MSG_PROPS),
            (2, att::ATTACH_REND_DATA),
        ]
    );
    assert_eq!(
        r[r.len() - 3..],
        [
            (2, att::ATTACH_REND_DATA),
            (2, att::ATTACH_TITLE),
            (2, att::ATTACHMENT),
        ]
    );
}

#[test]
fn pure_mode_writes_only_lists_and_rend_data() {
    let ids: Vec<u32> = records(&write(&sample()))
        .into_iter()
        .map(|r| r.1)
        .collect();
    for id in &ids {
        assert!(
            [
                att::TNEF_VERSION,
                att::OEM_CODEPAGE,
                att::MSG_PROPS,
                att::RECIP_TABLE,
                att::ATTACH_REND_DATA,
                att::ATTACHMENT
            ]
            .contains(id),
            "{id:#x}"
        );
    }
}

// ---- hostile input ----

fn good_bytes() -> Vec<u8> {
    write(&sample())
}

#[test]
fn every_truncation_reads_what_is_there() {
    let bytes = good_bytes();
    // Where records end: a stream cut there is whole.
    let mut ends = vec![HEADER_LEN];
    let mut pos = HEADER_LEN;
    while pos < bytes.len() {
        let len = u32::from_le_bytes(bytes[pos + 5..pos + 9].try_into().unwrap()) as usize;
        pos += 9 + len + 2;
        ends.push(pos);
    }
    for n in 0..bytes.len() {
        match read(&bytes[..n]) {
            Err(e) => assert!(n < HEADER_LEN, "cut at {n}: {e:?}"),
            Ok(t) => {
                assert!(t.consumed <= n);
                if !ends.contains(&n) {
                    assert!(!t.problems.is_empty(), "cut at {n} went unnoticed");
                }
            }
        }
    }
}

#[test]
fn bad_checksum_is_reported_and_the_data_kept() {
    let mut bytes = good_bytes();
    // The last two bytes are the checksum of the last attAttachment.
    let n = bytes.len();
    bytes[n - 1] ^= 0x55;
    let t = read(&bytes).unwrap();
    assert_eq!(t.problems.len(), 1);
    assert_eq!(t.problems[0].kind, ProblemKind::BadChecksum);
    assert_eq!(t.problems[0].component, Component::Attachment(2));
    assert_eq!(t.attachments[2].props, sample().attachments[2].props);
}

#[test]
fn message_class_checksum_is_ignored() {
    let mut out = Vec::new();
    out.extend_from_slice(&TNEF_SIGNATURE.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    record(&mut out, 1, att::MESSAGE_CLASS, b"IPM.Note\0");
    let n = out.len();
    out[n - 2] ^= 1;
    let t = read(&out).unwrap();
    assert!(t.problems.is_empty());
    assert!(!t.attributes[0].checksum_ok);
}

fn stream_with(level: u8, id: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&TNEF_SIGNATURE.to_le_bytes());
    out.extend_from_slice(&[1, 0]);
    record(&mut out, level, id, data);
    out
}

#[test]
fn length_past_the_end_keeps_the_readable_part() {
    let mut bytes = stream_with(1, att::SUBJECT, b"hello\0");
    // Claim 4 GiB - 1.
    bytes[HEADER_LEN + 5..HEADER_LEN + 9].copy_from_slice(&u32::MAX.to_le_bytes());
    let t = read(&bytes).unwrap();
    assert_eq!(t.problems[0].kind, ProblemKind::Truncated);
    assert_eq!(t.attributes[0].data, b"hello\0\x14\x02");
}

#[test]
fn huge_counts_are_refused_before_allocating() {
    for list in [
        // A list claiming 2^31 properties.
        0x8000_0000u32.to_le_bytes().to_vec(),
        // One MV_LONG property claiming 2^31 values.
        [1u32, 0x4000_1003, 0x8000_0000, 5]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        // One MV_BINARY claiming 2^31 values.
        [1u32, 0x4000_1102, 0x8000_0000]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        // A binary value of 2^32 - 1 bytes.
        [1u32, 0x4000_0102, 1, u32::MAX]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        // A string name of 2^32 - 1 bytes.
        [1u32, 0x8000_0003, 0, 0, 0, 0, 1, u32::MAX]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
    ] {
        let t = read(&stream_with(1, att::MSG_PROPS, &list)).unwrap();
        assert_eq!(t.problems.len(), 1, "{:?}", t.problems);
        assert!(matches!(
            t.problems[0].kind,
            ProblemKind::Corrupt | ProblemKind::Truncated
        ));
        assert!(t.props.is_empty());
    }
    let rows = 0x8000_0000u32.to_le_bytes();
    let t = read(&stream_with(1, att::RECIP_TABLE, &rows)).unwrap();
    assert_eq!(t.problems[0].kind, ProblemKind::Corrupt);
}

#[test]
fn damage_keeps_the_properties_before_it() {
    let mut list = Vec::new();
    tnef_props::write_list(
        &[
            Prop::new(0x0017_0003, PropValue::Long(2)),
            Prop::new(0x0037_001E, PropValue::String8(b"x".to_vec())),
        ],
        &mut list,
    );
    list[0] = 3; // three properties claimed
    list.extend_from_slice(&0x4000_0001u32.to_le_bytes()); // PT_NULL: unknown size
    list.extend_from_slice(&[0; 4]);
    let t = read(&stream_with(1, att::MSG_PROPS, &list)).unwrap();
    assert_eq!(t.props.len(), 2);
    assert_eq!(t.problems[0].kind, ProblemKind::Corrupt);
    assert_eq!(t.problems[0].tag, 0x4000_0001);
}

/// A message nested `levels` deep in embedded-message attachments.
fn nested(levels: usize) -> Tnef {
    let mut t = Tnef::default();
    for _ in 0..levels {
        let prop = Prop {
            tag: PR_ATTACH_DATA_OBJ,
            name: None,
            value: Value::Object(Object {
                iid: IID_IMESSAGE,
                data: ObjectData::Message(Box::new(t)),
            }),
        };
        t = Tnef {
            attachments: vec![Attachment {
                attributes: Vec::new(),
                props: vec![prop],
            }],
            ..Tnef::default()
        };
    }
    t
}

fn depth_of(t: &Tnef) -> usize {
    match t
        .attachments
        .first()
        .and_then(|a| a.props.first())
        .map(|p| &p.value)
    {
        Some(Value::Object(Object {
            data: ObjectData::Message(m),
            ..
        })) => 1 + depth_of(m),
        _ => 0,
    }
}

#[test]
fn deep_nesting_stops_at_the_limit() {
    let bytes = write(&nested(MAX_DEPTH + 5));
    let t = read(&bytes).unwrap();
    assert_eq!(depth_of(&t), MAX_DEPTH);
    let mut inner = &t;
    for _ in 0..MAX_DEPTH {
        match &inner.attachments[0].props[0].value {
            Value::Object(Object {
                data: ObjectData::Message(m),
                ..
            }) => inner = m,
            _ => unreachable!(),
        }
    }
    // The deepest decoded level reports the bytes it kept.
    let _ = inner;
    fn has_too_deep(t: &Tnef) -> bool {
        t.problems.iter().any(|p| p.kind == ProblemKind::TooDeep)
            || t.attachments
                .iter()
                .flat_map(|a| &a.props)
                .any(|p| match &p.value {
                    Value::Object(Object {
                        data: ObjectData::Message(m),
                        ..
                    }) => has_too_deep(m),
                    _ => false,
                })
    }
    assert!(has_too_deep(&t));
    let ok = read(&write(&nested(MAX_DEPTH))).unwrap();
    assert_eq!(depth_of(&ok), MAX_DEPTH);
    assert!(!has_too_deep(&ok));
}

#[test]
fn not_tnef_is_an_error_and_trailing_bytes_a_problem() {
    assert_eq!(
        read(b"").unwrap_err().kind,
        crate::error::ErrorKind::CorruptData
    );
    assert!(read(b"\x78\x9f\x3e\x23\0\0").is_err());
    let mut bytes = good_bytes();
    let end = bytes.len();
    bytes.extend_from_slice(&[9, 9, 9]);
    let t = read(&bytes).unwrap();
    assert_eq!(t.consumed, end);
    assert_eq!(t.problems[0].kind, ProblemKind::TrailingData);
}

#[test]
fn problems_are_capped() {
    let mut out = Vec::new();
    out.extend_from_slice(&TNEF_SIGNATURE.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    for _ in 0..1000 {
        out.extend_from_slice(&[1, 4, 0x80, 1, 0, 1, 0, 0, 0, b'x', 0, 0]);
    }
    let t = read(&out).unwrap();
    assert_eq!(t.attributes.len(), 1000);
    assert_eq!(t.problems.len(), MAX_PROBLEMS);
    assert_eq!(t.problems_dropped, 1000 - MAX_PROBLEMS);
}

#[test]
fn codepage_is_read_alone() {
    assert_eq!(read_codepage(&good_bytes()).unwrap(), (1252, 0));
    assert_eq!(
        read_codepage(&stream_with(1, att::SUBJECT, b"x\0")).unwrap(),
        (DEFAULT_OEM_CODEPAGE, 0)
    );
    assert!(read_codepage(b"nope").is_err());
    let t = read(&good_bytes()).unwrap();
    assert_eq!(t.codepage(), 1252);
    assert_eq!(t.decode_text(b"caf\xe9").unwrap(), "caf\u{e9}");
}

// ---- legacy mapping ----

#[test]
fn dtr_converts_both_ways() {
    // 2024-02-29 13:45:07, a Thursday.
    let dtr: Vec<u8> = [2024u16, 2, 29, 13, 45, 7, 4]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let ft = legacy::dtr_to_filetime(&dtr).unwrap();
    assert_eq!(ft, 133_536_879_070_000_000);
    assert_eq!(legacy::filetime_to_dtr(ft).to_vec(), dtr);
    assert_eq!(legacy::filetime_to_dtr(0)[..6], [0x41, 6, 1, 0, 1, 0]);
    assert_eq!(legacy::dtr_to_filetime(&[0; 14]), None);
    assert_eq!(legacy::dtr_to_filetime(&dtr[..10]), None);
}

#[test]
fn message_classes_are_renamed() {
    assert_eq!(
        legacy::class_from_legacy(b"IPM.Microsoft Mail.Note\0"),
        b"IPM.Note"
    );
    assert_eq!(
        legacy::class_from_legacy(b"Microsoft Mail v3.0 IPM.Microsoft Schedule.MtgRespA"),
        b"IPM.Schedule.Meeting.Resp.Tent"
    );
    assert_eq!(legacy::class_from_legacy(b"IPM.Contact\0"), b"IPM.Contact");
    assert_eq!(
        legacy::class_to_legacy(b"Report.IPM.Note.NDR"),
        b"IPM.Microsoft Mail.Non-Delivery"
    );
}

fn mapped(id: u32, data: &[u8]) -> Vec<(u32, PropValue)> {
    legacy::map_message_attribute(&Attribute::new(1, id, data.to_vec()), b"IPM.Note")
        .into_iter()
        .map(|p| (p.tag, p.plain().unwrap().clone()))
        .collect()
}

#[test]
fn legacy_attributes_map_to_properties() {
    assert_eq!(
        mapped(att::PRIORITY, &[1, 0]),
        [(PR_IMPORTANCE, PropValue::Long(2))]
    );
    assert_eq!(
        mapped(att::PRIORITY, &[2, 0]),
        [(PR_IMPORTANCE, PropValue::Long(1))]
    );
    assert_eq!(
        mapped(att::PRIORITY, &[3, 0]),
        [(PR_IMPORTANCE, PropValue::Long(0))]
    );
    assert_eq!(
        mapped(att::MESSAGE_STATUS, &[0x20 | 0x80]),
        [(
            PR_MESSAGE_FLAGS,
            PropValue::Long((MSGFLAG_READ | MSGFLAG_UNMODIFIED | MSGFLAG_HASATTACH) as i32)
        )]
    );
    assert_eq!(
        mapped(att::MESSAGE_ID, b"0A0B\0"),
        [(PR_SEARCH_KEY, PropValue::Binary(vec![10, 11]))]
    );
    assert_eq!(
        mapped(att::SUBJECT, b"Hi\0"),
        [(PR_SUBJECT, PropValue::String8(b"Hi".to_vec()))]
    );
    // attFrom as Outlook writes it (the layout of the triples sample).
    let mut from = vec![4, 0, 0x2A, 0, 4, 0, 10, 0];
    from.extend_from_slice(b"Ann\0SMTP:a@b\0");
    from.extend_from_slice(&[0; 8]);
    let m = mapped(att::FROM, &from);
    assert_eq!(m[1], (PR_SENDER_NAME, PropValue::String8(b"Ann".to_vec())));
    assert_eq!(
        m[2],
        (PR_SENDER_ADDRTYPE, PropValue::String8(b"SMTP".to_vec()))
    );
    assert_eq!(
        m[3],
        (PR_SENDER_EMAIL_ADDRESS, PropValue::String8(b"a@b".to_vec()))
    );
    match &m[0].1 {
        PropValue::Binary(e) => assert!(e.ends_with(b"Ann\0SMTP\0a@b\0")),
        v => panic!("{v:?}"),
    }
    let sent_for = [
        4, 0, b'B', b'o', b'b', 0, 6, 0, b'X', b':', b'b', b'o', b'b', 0,
    ];
    let m = mapped(att::SENT_FOR, &sent_for);
    assert_eq!(
        m[1],
        (
            PR_SENT_REPRESENTING_NAME,
            PropValue::String8(b"Bob".to_vec())
        )
    );
    // Damaged structures map to nothing rather than to garbage.
    assert!(mapped(att::FROM, &from[..10]).is_empty());
    assert!(mapped(att::DATE_SENT, &[1, 2]).is_empty());
}

#[test]
fn encapsulated_values_win() {
    let mut t = Tnef::default();
    t.attributes
        .push(Attribute::new(1, att::SUBJECT, b"legacy\0".to_vec()));
    t.attributes
        .push(Attribute::new(1, att::PRIORITY, vec![1, 0]));
    t.props
        .push(Prop::new(0x0037_001F, PropValue::Unicode(u16s("new"))));
    let props = legacy::message_props(&t);
    assert_eq!(props.len(), 2);
    assert!(props.contains(&Prop::new(PR_IMPORTANCE, PropValue::Long(2))));
    assert!(props.contains(&Prop::new(0x0037_001F, PropValue::Unicode(u16s("new")))));
}

fn mail() -> Message {
    Message {
        props: vec![
            Prop::new(0x001A_001F, PropValue::Unicode(u16s("IPM.Note"))),
            Prop::new(PR_SUBJECT, PropValue::String8(b"Caf\xe9".to_vec())),
            Prop::new(PR_BODY, PropValue::String8(b"Body".to_vec())),
            Prop::new(
                PR_CLIENT_SUBMIT_TIME,
                PropValue::SysTime(133_536_843_070_000_000),
            ),
            Prop::new(
                PR_MESSAGE_DELIVERY_TIME,
                PropValue::SysTime(133_536_843_071_234_567),
            ),
            Prop::new(PR_IMPORTANCE, PropValue::Long(2)),
            Prop::new(PR_MESSAGE_FLAGS, PropValue::Long(1)),
            Prop::new(PR_SENDER_NAME, PropValue::String8(b"Ann".to_vec())),
            Prop::new(PR_SENDER_ADDRTYPE, PropValue::String8(b"SMTP".to_vec())),
            Prop::new(PR_SENDER_EMAIL_ADDRESS, PropValue::String8(b"a@b".to_vec())),
            Prop::new(0x0E1D_001F, PropValue::Unicode(u16s("normalized"))),
        ],
        recipients: vec![vec![Prop::new(
            0x3001_001E,
            PropValue::String8(b"R".to_vec()),
        )]],
        attachments: vec![vec![
            Prop::new(PR_ATTACH_METHOD, PropValue::Long(1)),
            Prop::new(PR_ATTACH_FILENAME, PropValue::String8(b"a.txt".to_vec())),
            Prop::new(PR_ATTACH_DATA_BIN, PropValue::Binary(b"data".to_vec())),
            Prop::new(PR_RENDERING_POSITION, PropValue::Long(-1)),
            Prop::new(0x3707_001F, PropValue::Unicode(u16s("a long name.txt"))),
        ]],
    }
}

/// Every property of `want` is among `got` with the same value.
fn contains_all(got: &[Prop], want: &[Prop]) -> std::result::Result<(), String> {
    for w in want {
        if !got.iter().any(|g| g.tag == w.tag && g.value == w.value) {
            return Err(format!("{:#010x} missing or different", w.tag));
        }
    }
    Ok(())
}

#[test]
fn best_data_gives_back_every_property() {
    let msg = mail();
    let t = legacy::encode(&msg, Mode::BestData, 7, 1252);
    // Exact legacy mappings are not encapsulated again; lossy ones are.
    let enc: Vec<u32> = t.props.iter().map(|p| p.tag).collect();
    assert!(!enc.contains(&PR_SUBJECT) && !enc.contains(&PR_IMPORTANCE));
    assert!(enc.contains(&PR_MESSAGE_DELIVERY_TIME) && enc.contains(&0x001A_001F));
    assert!(t.attribute(att::SUBJECT).is_some() && t.attribute(att::FROM).is_some());
    let back = read(&write(&t)).unwrap();
    assert!(back.problems.is_empty());
    contains_all(&legacy::message_props(&back), &msg.props).unwrap();
    contains_all(
        &legacy::attachment_props(&back.attachments[0]),
        &msg.attachments[0],
    )
    .unwrap();
    assert_eq!(back.recipients, msg.recipients);
}

#[test]
fn compatibility_maps_and_defaults() {
    let mut msg = mail();
    msg.props
        .retain(|p| p.tag != 0x001A_001F && p.tag != PR_IMPORTANCE);
    let t = legacy::encode(&msg, Mode::Compatibility, 7, 1252);
    assert_eq!(
        t.attribute(att::MESSAGE_CLASS).unwrap().data,
        b"IPM.Microsoft Mail.Note\0"
    );
    assert_eq!(t.attribute(att::PRIORITY).unwrap().data, [2, 0]);
    // Mapped properties are not encapsulated, even where the mapping loses precision.
    assert!(t.props.iter().all(|p| p.tag != PR_MESSAGE_DELIVERY_TIME));
    assert!(t.props.iter().any(|p| p.tag == 0x0E1D_001F));
    let back = read(&write(&t)).unwrap();
    let props = legacy::message_props(&back);
    assert!(props.contains(&Prop::new(
        PR_MESSAGE_CLASS,
        PropValue::String8(b"IPM.Note".to_vec())
    )));
    assert!(props.contains(&Prop::new(PR_IMPORTANCE, PropValue::Long(1))));
}

#[test]
fn pure_gives_back_exactly() {
    let msg = mail();
    let back = read(&write(&legacy::encode(&msg, Mode::Pure, 7, 1252))).unwrap();
    assert_eq!(back.props, msg.props);
    assert_eq!(back.attachments[0].props, msg.attachments[0]);
    assert_eq!(legacy::message_props(&back), msg.props);
}
