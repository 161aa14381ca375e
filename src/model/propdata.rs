//! The property bag of an `IPropData` (`CreateIProp`): values in memory, each with an
//! access level and a status, an access level for the whole object, and a name map of its
//! own. There is no message, no storage and no transaction: every change is immediate
//! (Microsoft documents `IPropData` as non-transacted).
//!
//! Documented behaviour followed (Microsoft's `IPropData` pages):
//! - `HrSetObjAccess(IPROP_READONLY)` makes the object refuse every change (`SetProps`,
//!   `DeleteProps`, `HrAddObjProps`, `HrSetPropAccess`: `MAPI_E_NO_ACCESS`), including the
//!   creation of new properties; `IPROP_READWRITE` allows them again.
//! - A property's access level (`IPROP_READONLY`/`IPROP_READWRITE`) and status
//!   (`IPROP_CLEAN`/`IPROP_DIRTY`) are set with `HrSetPropAccess`; a read-only property is
//!   refused by `SetProps`/`DeleteProps` with a `MAPI_E_NO_ACCESS` problem entry.
//! - `HrGetPropAccess` reports `IPROP_DIRTY` alone for a modified property ("neither
//!   IPROP_READONLY or IPROP_READWRITE will be set"), only the access level for an
//!   unmodified one, and 0 for a deleted one; asked for every property, it lists the
//!   deleted ones too.
//! - `HrAddObjProps` adds `PT_OBJECT` tags, which `GetPropList` then lists.
//!
//! Where the pages are silent: a property `SetProps` creates or changes, or `HrAddObjProps`
//! adds, is read/write and dirty (so a provider marks its baseline with
//! `HrSetPropAccess(..., IPROP_CLEAN)` and later sees what a client changed), and
//! `HrSetPropAccess` ignores tags of absent properties.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use super::bag::{PropBag, PropEntry, Slot};
use super::message::{Problem, PropOut};
use super::name_map::NameMap;
use super::props::{adjust_width, get_one, open_width};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};
use crate::types::codepage::DEFAULT_CODEPAGE;
use crate::types::prop_value::{PropValue, change_type, is_known_type, prop_id, prop_type};

/// The code page of 8-bit strings when a caller asks for the other width: an `IPropData`
/// has no message whose code page it could use.
pub const CODEPAGE: u32 = DEFAULT_CODEPAGE;

fn no_access(what: &str) -> Error {
    Error::new(
        ErrorKind::NoAccess,
        format!("{what}: the object is read-only (HrSetObjAccess(IPROP_READONLY))"),
    )
}

/// The properties of one `IPropData`.
#[derive(Debug)]
pub struct PropData {
    /// Values; `PROPATTR_WRITEABLE` in an entry's flags is its access level, `dirty` its
    /// status.
    bag: PropBag,
    /// Deleted properties (id → tag) that `HrGetPropAccess(NULL)` still lists.
    deleted: BTreeMap<u16, u32>,
    writable: bool,
    names: NameMap,
}

impl Default for PropData {
    fn default() -> PropData {
        PropData::new()
    }
}

/// Whether a property may be changed.
fn is_writable(e: &PropEntry) -> bool {
    e.flags & PROPATTR_WRITEABLE != 0
}

/// What `HrGetPropAccess` reports for a present property.
fn reported_access(e: &PropEntry) -> u32 {
    if e.dirty {
        IPROP_DIRTY
    } else if is_writable(e) {
        IPROP_READWRITE
    } else {
        IPROP_READONLY
    }
}

impl PropData {
    /// An empty, read/write object.
    pub fn new() -> PropData {
        PropData {
            bag: PropBag::default(),
            deleted: BTreeMap::new(),
            writable: true,
            names: NameMap::new(),
        }
    }

    pub fn writable(&self) -> bool {
        self.writable
    }

    /// Fails with `MAPI_E_NO_ACCESS` on a read-only object.
    pub fn check_writable(&self, what: &str) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(no_access(what))
        }
    }

    /// `GetProps`: the listed tags, or every property (`None`), strings in the caller's
    /// width where the tag leaves it open, as messages answer.
    pub fn get_props(&self, tags: Option<&[u32]>, unicode: bool) -> Vec<PropOut> {
        match tags {
            Some(tags) => tags
                .iter()
                .map(|&tag| get_one(&self.bag, &[], tag, unicode, CODEPAGE))
                .collect(),
            None => self
                .bag
                .iter()
                .map(|e| {
                    get_one(
                        &self.bag,
                        &[],
                        open_width(e.tag, unicode),
                        unicode,
                        CODEPAGE,
                    )
                })
                .collect(),
        }
    }

    /// `GetPropList`: every tag, `PT_OBJECT` ones included.
    pub fn get_prop_list(&self, unicode: bool) -> Vec<u32> {
        self.bag
            .iter()
            .map(|e| change_type(e.tag, adjust_width(prop_type(e.tag), unicode)))
            .collect()
    }

    /// `SetProps`: values as given (strings keep their width). `PR_NULL` and `PT_ERROR`
    /// entries are skipped; a `PropValue::Null` stands for a value of an unknown type.
    pub fn set_props(&mut self, values: Vec<(u32, PropValue)>) -> Result<Vec<Problem>> {
        self.check_writable("SetProps")?;
        let mut problems = Vec::new();
        for (index, (tag, value)) in values.into_iter().enumerate() {
            let problem = |kind| Problem {
                index: index as u32,
                tag,
                kind,
            };
            let ty = prop_type(tag);
            if tag == PR_NULL || ty == PT_ERROR {
                continue;
            }
            if !is_known_type(ty) || ty == PT_OBJECT || value.prop_type() != ty {
                problems.push(problem(ErrorKind::InvalidType));
                continue;
            }
            let id = prop_id(tag);
            if self.bag.get(id).is_some_and(|e| !is_writable(e)) {
                problems.push(problem(ErrorKind::NoAccess));
                continue;
            }
            self.bag.set(tag, Slot::Value(value));
            self.deleted.remove(&id);
        }
        Ok(problems)
    }

    /// `DeleteProps`: by id; absent ones are no problem, read-only ones are.
    pub fn delete_props(&mut self, tags: &[u32]) -> Result<Vec<Problem>> {
        self.check_writable("DeleteProps")?;
        let mut problems = Vec::new();
        for (index, &tag) in tags.iter().enumerate() {
            let id = prop_id(tag);
            match self.bag.get(id) {
                None => {}
                Some(e) if !is_writable(e) => problems.push(Problem {
                    index: index as u32,
                    tag,
                    kind: ErrorKind::NoAccess,
                }),
                Some(_) => {
                    if let Some(e) = self.bag.remove(id) {
                        self.deleted.insert(id, e.tag);
                    }
                }
            }
        }
        Ok(problems)
    }

    /// `HrSetObjAccess`: exactly one of `IPROP_READONLY` and `IPROP_READWRITE`.
    pub fn set_obj_access(&mut self, access: u32) -> Result<()> {
        self.writable = match access {
            IPROP_READWRITE => true,
            IPROP_READONLY => false,
            _ => {
                return err(
                    ErrorKind::InvalidParameter,
                    format!(
                        "HrSetObjAccess: 0x{access:08X} is not IPROP_READONLY or IPROP_READWRITE"
                    ),
                );
            }
        };
        Ok(())
    }

    /// `HrSetPropAccess`: each entry sets at most one access level and one status. Every
    /// entry is checked before any is applied.
    pub fn set_prop_access(&mut self, tags: &[u32], access: &[u32]) -> Result<()> {
        self.check_writable("HrSetPropAccess")?;
        for (&tag, &a) in tags.iter().zip(access) {
            let known = IPROP_READONLY | IPROP_READWRITE | IPROP_CLEAN | IPROP_DIRTY;
            let both = |x: u32, y: u32| a & x != 0 && a & y != 0;
            if a == 0
                || a & !known != 0
                || both(IPROP_READONLY, IPROP_READWRITE)
                || both(IPROP_CLEAN, IPROP_DIRTY)
            {
                return err(
                    ErrorKind::InvalidParameter,
                    format!(
                        "HrSetPropAccess: access 0x{a:08X} for property 0x{tag:08X} is not one \
                         access level (IPROP_READONLY or IPROP_READWRITE) and/or one status \
                         (IPROP_CLEAN or IPROP_DIRTY)"
                    ),
                );
            }
        }
        for (&tag, &a) in tags.iter().zip(access) {
            let Some(e) = self.bag.get_mut(prop_id(tag)) else {
                continue;
            };
            if a & IPROP_READONLY != 0 {
                e.flags &= !PROPATTR_WRITEABLE;
            }
            if a & IPROP_READWRITE != 0 {
                e.flags |= PROPATTR_WRITEABLE;
            }
            if a & IPROP_CLEAN != 0 {
                e.dirty = false;
            }
            if a & IPROP_DIRTY != 0 {
                e.dirty = true;
            }
        }
        Ok(())
    }

    /// `HrGetPropAccess`: the reported access of each listed tag (0 for an absent or
    /// deleted property), or, with `None`, every property and every deleted one, in id
    /// order, with their tags.
    pub fn get_prop_access(&self, tags: Option<&[u32]>) -> (Vec<u32>, Vec<u32>) {
        match tags {
            Some(tags) => {
                let access = tags
                    .iter()
                    .map(|&t| self.bag.get(prop_id(t)).map_or(0, reported_access))
                    .collect();
                (tags.to_vec(), access)
            }
            None => {
                let mut all: BTreeMap<u16, (u32, u32)> = self
                    .deleted
                    .iter()
                    .map(|(&id, &tag)| (id, (tag, 0)))
                    .collect();
                for e in self.bag.iter() {
                    all.insert(prop_id(e.tag), (e.tag, reported_access(e)));
                }
                all.into_values().unzip()
            }
        }
    }

    /// `HrAddObjProps`: `PT_OBJECT` tags only (`MAPI_E_INVALID_TYPE` otherwise, nothing
    /// added); a read-only property of the same id is a problem entry.
    pub fn add_obj_props(&mut self, tags: &[u32]) -> Result<Vec<Problem>> {
        if let Some(&bad) = tags.iter().find(|&&t| prop_type(t) != PT_OBJECT) {
            return err(
                ErrorKind::InvalidType,
                format!("HrAddObjProps: property 0x{bad:08X} is not of type PT_OBJECT"),
            );
        }
        self.check_writable("HrAddObjProps")?;
        let mut problems = Vec::new();
        for (index, &tag) in tags.iter().enumerate() {
            let id = prop_id(tag);
            if self.bag.get(id).is_some_and(|e| !is_writable(e)) {
                problems.push(Problem {
                    index: index as u32,
                    tag,
                    kind: ErrorKind::NoAccess,
                });
                continue;
            }
            self.bag.set(tag, Slot::Object { reserved: 0 });
            self.deleted.remove(&id);
        }
        Ok(problems)
    }

    /// The name map, for `GetNamesFromIDs` and `GetIDsFromNames`.
    pub fn names(&self) -> &NameMap {
        &self.names
    }

    /// The name map for `GetIDsFromNames`: with `create` on a read-only object, refused
    /// when a name would really be created (as on a read-only message).
    pub fn names_for(
        &mut self,
        create: bool,
        wanted: &[Option<crate::types::prop_name::Name>],
    ) -> Result<&mut NameMap> {
        if create && !self.writable {
            let mut trial = self.names.clone();
            trial.ids_from_names(wanted, true)?;
            if trial.len() != self.names.len() {
                return Err(no_access("GetIDsFromNames(MAPI_CREATE)"));
            }
        }
        Ok(&mut self.names)
    }

    /// What `OpenProperty(tag, IID_IStream)` starts from: the value's bytes (strings
    /// without terminator, in the width the tag asks for). `create` discards the value; a
    /// write needs a read/write object and property.
    pub fn stream_start(&mut self, tag: u32, modify: bool, create: bool) -> Result<Vec<u8>> {
        let ty = prop_type(tag);
        if !matches!(ty, PT_BINARY | PT_STRING8 | PT_UNICODE) {
            return err(
                ErrorKind::InterfaceNotSupported,
                format!(
                    "property 0x{tag:08X}: only PT_BINARY, PT_STRING8 and PT_UNICODE values \
                     open as streams"
                ),
            );
        }
        let id = prop_id(tag);
        let existing = self.bag.get(id);
        if modify || create {
            self.check_writable("OpenProperty(MAPI_MODIFY)")?;
            if existing.is_some_and(|e| !is_writable(e)) {
                return err(
                    ErrorKind::NoAccess,
                    format!("property 0x{tag:08X} is read-only (HrSetPropAccess)"),
                );
            }
        }
        if create {
            self.bag.set(tag, Slot::Value(empty_value(ty)));
            self.deleted.remove(&id);
            return Ok(Vec::new());
        }
        let Some(e) = existing else {
            return err(
                ErrorKind::NotFound,
                format!("property 0x{tag:08X} is not set (MAPI_CREATE creates it)"),
            );
        };
        let Slot::Value(value) = &e.slot else {
            return err(
                ErrorKind::NoSupport,
                format!("property 0x{tag:08X} is an object added by HrAddObjProps"),
            );
        };
        let have = prop_type(e.tag);
        if have != ty && !(super::props::is_string(have) && super::props::is_string(ty)) {
            return err(
                ErrorKind::NotFound,
                format!(
                    "property 0x{:04X} has type 0x{have:04X}, not 0x{ty:04X}",
                    id
                ),
            );
        }
        let value = super::props::convert_value(value.clone(), ty, CODEPAGE)?;
        Ok(super::props::value_bytes(&value))
    }

    /// A stream's content becomes the property's value (`Commit` or last release).
    pub fn set_from_stream(&mut self, tag: u32, bytes: &[u8]) -> Result<()> {
        self.check_writable("IStream::Commit")?;
        let id = prop_id(tag);
        if self.bag.get(id).is_some_and(|e| !is_writable(e)) {
            return err(
                ErrorKind::NoAccess,
                format!("property 0x{tag:08X} became read-only"),
            );
        }
        let value = crate::codec::values::decode_single(prop_type(tag), bytes)
            .ok_or_else(|| Error::new(ErrorKind::InvalidType, "not a stream type"))?;
        self.bag.set(tag, Slot::Value(value));
        self.deleted.remove(&id);
        Ok(())
    }
}

fn empty_value(ty: u32) -> PropValue {
    match ty {
        PT_STRING8 => PropValue::String8(Vec::new()),
        PT_UNICODE => PropValue::Unicode(Vec::new()),
        _ => PropValue::Binary(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::prop_value::tags::*;

    const PR_SUBJECT_W: u32 = 0x0037_001F;
    const PR_SUBJECT_A: u32 = 0x0037_001E;
    const PR_IMPORTANCE: u32 = 0x0017_0003;
    const PR_BODY_W: u32 = 0x1000_001F;

    fn w(s: &str) -> PropValue {
        PropValue::Unicode(s.encode_utf16().collect())
    }

    fn filled() -> PropData {
        let mut d = PropData::new();
        let problems = d
            .set_props(vec![
                (PR_SUBJECT_W, w("Hello")),
                (PR_IMPORTANCE, PropValue::Long(2)),
            ])
            .unwrap();
        assert!(problems.is_empty());
        d
    }

    #[test]
    fn values_come_back_converted_as_messages_give_them() {
        let d = filled();
        let all = d.get_props(None, false);
        assert_eq!(
            all,
            vec![
                PropOut::Value(PR_IMPORTANCE, PropValue::Long(2)),
                PropOut::Value(PR_SUBJECT_A, PropValue::String8(b"Hello".to_vec())),
            ]
        );
        let one = d.get_props(Some(&[PR_SUBJECT_W, PR_BODY_W]), false);
        assert_eq!(one[0], PropOut::Value(PR_SUBJECT_W, w("Hello")));
        assert_eq!(
            one[1],
            PropOut::Error(change_type(PR_BODY_W, PT_ERROR), ErrorKind::NotFound)
        );
        assert_eq!(d.get_prop_list(true), vec![PR_IMPORTANCE, PR_SUBJECT_W]);
    }

    #[test]
    fn access_is_reported_as_documented() {
        let mut d = filled();
        // New values are dirty.
        assert_eq!(
            d.get_prop_access(Some(&[PR_SUBJECT_W, PR_BODY_W])).1,
            vec![IPROP_DIRTY, 0]
        );
        d.set_prop_access(
            &[PR_SUBJECT_W, PR_IMPORTANCE],
            &[IPROP_READONLY | IPROP_CLEAN, IPROP_CLEAN],
        )
        .unwrap();
        assert_eq!(
            d.get_prop_access(None),
            (
                vec![PR_IMPORTANCE, PR_SUBJECT_W],
                vec![IPROP_READWRITE, IPROP_READONLY]
            )
        );
        // A read-only property refuses changes and deletion with problem entries.
        let p = d
            .set_props(vec![
                (PR_SUBJECT_W, w("x")),
                (PR_IMPORTANCE, PropValue::Long(1)),
            ])
            .unwrap();
        assert_eq!(
            p,
            vec![Problem {
                index: 0,
                tag: PR_SUBJECT_W,
                kind: ErrorKind::NoAccess
            }]
        );
        assert_eq!(
            d.get_prop_access(Some(&[PR_IMPORTANCE])).1,
            vec![IPROP_DIRTY]
        );
        let p = d
            .delete_props(&[PR_BODY_W, PR_SUBJECT_W, PR_IMPORTANCE])
            .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].index, p[0].kind), (1, ErrorKind::NoAccess));
        // The deleted property is listed with 0.
        assert_eq!(
            d.get_prop_access(None),
            (vec![PR_IMPORTANCE, PR_SUBJECT_W], vec![0, IPROP_READONLY])
        );
        // Bad combinations are refused and change nothing.
        for bad in [
            0,
            IPROP_READONLY | IPROP_READWRITE,
            IPROP_CLEAN | IPROP_DIRTY,
            0x100,
        ] {
            let e = d
                .set_prop_access(&[PR_IMPORTANCE, PR_SUBJECT_W], &[IPROP_READWRITE, bad])
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidParameter);
        }
        assert_eq!(
            d.get_prop_access(Some(&[PR_SUBJECT_W])).1,
            vec![IPROP_READONLY]
        );
    }

    #[test]
    fn a_read_only_object_refuses_every_change() {
        let mut d = filled();
        d.set_obj_access(IPROP_READONLY).unwrap();
        let kind = |r: Result<Vec<Problem>>| r.unwrap_err().kind;
        assert_eq!(
            kind(d.set_props(vec![(PR_BODY_W, w("b"))])),
            ErrorKind::NoAccess
        );
        assert_eq!(kind(d.delete_props(&[PR_SUBJECT_W])), ErrorKind::NoAccess);
        assert_eq!(
            kind(d.add_obj_props(&[PR_MESSAGE_ATTACHMENTS])),
            ErrorKind::NoAccess
        );
        assert_eq!(
            d.set_prop_access(&[PR_SUBJECT_W], &[IPROP_CLEAN])
                .unwrap_err()
                .kind,
            ErrorKind::NoAccess
        );
        assert_eq!(
            d.stream_start(PR_SUBJECT_W, true, false).unwrap_err().kind,
            ErrorKind::NoAccess
        );
        // Reading still works, and IPROP_READWRITE allows changes again.
        assert_eq!(d.stream_start(PR_SUBJECT_W, false, false).unwrap(), {
            let mut b = Vec::new();
            for u in "Hello".encode_utf16() {
                b.extend_from_slice(&u.to_le_bytes());
            }
            b
        });
        assert_eq!(
            d.set_obj_access(0).unwrap_err().kind,
            ErrorKind::InvalidParameter
        );
        d.set_obj_access(IPROP_READWRITE).unwrap();
        assert!(d.set_props(vec![(PR_BODY_W, w("b"))]).unwrap().is_empty());
    }

    #[test]
    fn object_properties_are_listed_not_read() {
        let mut d = filled();
        assert_eq!(
            d.add_obj_props(&[PR_MESSAGE_ATTACHMENTS, PR_SUBJECT_W])
                .unwrap_err()
                .kind,
            ErrorKind::InvalidType
        );
        assert!(!d.get_prop_list(true).contains(&PR_MESSAGE_ATTACHMENTS));
        assert!(
            d.add_obj_props(&[PR_MESSAGE_ATTACHMENTS])
                .unwrap()
                .is_empty()
        );
        assert!(d.get_prop_list(true).contains(&PR_MESSAGE_ATTACHMENTS));
        assert_eq!(
            d.stream_start(PR_MESSAGE_ATTACHMENTS, false, false)
                .unwrap_err()
                .kind,
            ErrorKind::InterfaceNotSupported
        );
    }

    #[test]
    fn streams_read_create_and_write_back() {
        let mut d = filled();
        assert_eq!(
            d.stream_start(PR_SUBJECT_A, false, false).unwrap(),
            b"Hello".to_vec()
        );
        assert_eq!(
            d.stream_start(PR_BODY_W, false, false).unwrap_err().kind,
            ErrorKind::NotFound
        );
        assert!(d.stream_start(PR_BODY_W, true, true).unwrap().is_empty());
        d.set_from_stream(PR_BODY_W, &[0x41, 0, 0x42, 0]).unwrap();
        assert_eq!(
            d.get_props(Some(&[PR_BODY_W]), true),
            vec![PropOut::Value(PR_BODY_W, w("AB"))]
        );
        assert_eq!(
            d.stream_start(PR_IMPORTANCE, false, false)
                .unwrap_err()
                .kind,
            ErrorKind::InterfaceNotSupported
        );
    }
}
