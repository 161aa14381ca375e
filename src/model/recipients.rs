//! A message's recipients: the rows `ModifyRecipients` edits and the recipient table
//! shows (`spec/mapi-abi.md` §10.3).
#![forbid(unsafe_code)]

use std::collections::HashSet;

use super::bag::{PropBag, Slot};
use super::prop::{PropValue, prop_id, prop_type, tags::*};
use crate::consts::*;
use crate::error::{ErrorKind, Result, err};

/// One recipient.
#[derive(Clone, Debug)]
pub struct RecipientRow {
    /// `PR_ROWID`: stable while the message is open.
    pub row_id: u32,
    /// The `__recip_version1.0_#N` storage holding its saved version, if any.
    pub storage: Option<u32>,
    pub props: PropBag,
}

/// The recipient list of one message.
#[derive(Clone, Debug, Default)]
pub struct Recipients {
    pub rows: Vec<RecipientRow>,
    pub next_row_id: u32,
    /// Storages of rows removed since the last save.
    pub removed: Vec<u32>,
    /// Changed since the message was opened (the display properties are then computed).
    pub touched: bool,
    /// Changed since the last save.
    pub changed: bool,
    /// Bumped at every change, for tables.
    pub version: u64,
}

/// How `ModifyRecipients` applies its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modify {
    Replace,
    Add,
    Modify,
    Remove,
}

impl Recipients {
    fn bump(&mut self) {
        self.touched = true;
        self.changed = true;
        self.version += 1;
    }

    /// A new row. Without a caller's `PR_INSTANCE_KEY` it gets one to store, as Outlook
    /// stores one in every recipient: its row id's 4 bytes, or the next value no other row
    /// stores. `taken` holds the keys the rows store (kept up to date here), so adding n rows
    /// costs O(n), not a scan of every row per new one.
    fn new_row(
        &mut self,
        values: Vec<(u32, PropValue)>,
        taken: &mut HashSet<Vec<u8>>,
    ) -> RecipientRow {
        let mut props = PropBag::default();
        for (tag, value) in values {
            props.set(tag, Slot::Value(value));
        }
        let row_id = self.next_row_id;
        match stored_key(&props) {
            Some(key) => {
                taken.insert(key.to_vec());
            }
            None => {
                let mut n = row_id;
                while taken.contains(&n.to_le_bytes()[..]) {
                    n = n.wrapping_add(1);
                }
                let key = n.to_le_bytes().to_vec();
                taken.insert(key.clone());
                props.set(PR_INSTANCE_KEY, Slot::Value(PropValue::Binary(key)));
            }
        }
        self.next_row_id += 1;
        RecipientRow {
            row_id,
            storage: None,
            props,
        }
    }

    /// Appends a row for each entry.
    fn add_rows(&mut self, entries: Vec<Vec<(u32, PropValue)>>) {
        let mut taken: HashSet<Vec<u8>> = self
            .rows
            .iter()
            .filter_map(|r| stored_key(&r.props).map(<[u8]>::to_vec))
            .collect();
        self.rows.reserve(entries.len());
        for entry in entries {
            let row = self.new_row(without_row_id(entry), &mut taken);
            self.rows.push(row);
        }
    }

    fn remove_row(&mut self, index: usize) {
        let row = self.rows.remove(index);
        if let Some(storage) = row.storage {
            self.removed.push(storage);
        }
    }

    fn position(&self, row_id: u32) -> Result<usize> {
        self.rows
            .iter()
            .position(|r| r.row_id == row_id)
            .ok_or_else(|| {
                crate::error::Error::new(
                    ErrorKind::NotFound,
                    format!("no recipient has PR_ROWID {row_id}"),
                )
            })
    }

    /// Applies `ModifyRecipients`. Each entry is the recipient's whole property list
    /// (strings already in the message's width, `PT_ERROR` entries already dropped).
    pub fn modify(&mut self, how: Modify, entries: Vec<Vec<(u32, PropValue)>>) -> Result<()> {
        // Check everything first, so a refused call changes nothing.
        let row_id_of = |entry: &[(u32, PropValue)]| {
            entry.iter().find_map(|(tag, v)| match v {
                PropValue::Long(id) if prop_id(*tag) == prop_id(PR_ROWID) => Some(*id as u32),
                _ => None,
            })
        };
        if matches!(how, Modify::Replace | Modify::Add)
            && u64::from(self.next_row_id) + entries.len() as u64 > u64::from(u32::MAX)
        {
            // Ids come after the highest storage number and the header's next-recipient
            // counter, which a damaged file can put at the top of the range.
            return err(ErrorKind::TooBig, "no recipient row ids left");
        }
        if matches!(how, Modify::Modify | Modify::Remove) {
            for entry in &entries {
                let Some(id) = row_id_of(entry) else {
                    return err(
                        ErrorKind::InvalidParameter,
                        "MODRECIP_MODIFY and MODRECIP_REMOVE entries need PR_ROWID",
                    );
                };
                self.position(id)?;
            }
        }
        match how {
            Modify::Replace => {
                let old = std::mem::take(&mut self.rows);
                self.removed
                    .extend(old.into_iter().filter_map(|row| row.storage));
                self.add_rows(entries);
            }
            Modify::Add => self.add_rows(entries),
            Modify::Modify => {
                for entry in entries {
                    let index = self.position(row_id_of(&entry).expect("checked"))?;
                    let mut props = PropBag::default();
                    for (tag, value) in without_row_id(entry) {
                        props.set(tag, Slot::Value(value));
                    }
                    // A whole-row replacement: streams of properties it drops go at save.
                    // The row keeps its key unless the caller gives another.
                    let old = &mut self.rows[index];
                    if props.get(prop_id(PR_INSTANCE_KEY)).is_none()
                        && let Some(key) = stored_key(&old.props)
                    {
                        props.set(
                            PR_INSTANCE_KEY,
                            Slot::Value(PropValue::Binary(key.to_vec())),
                        );
                    }
                    props.take_stored_from(&old.props);
                    old.props = props;
                }
            }
            Modify::Remove => {
                for entry in entries {
                    if let Ok(index) = self.position(row_id_of(&entry).expect("checked")) {
                        self.remove_row(index);
                    }
                }
            }
        }
        self.bump();
        Ok(())
    }

    /// `PR_INSTANCE_KEY` of each row, in row order, unique among the rows as a table's
    /// instance keys must be (`spec/mapi-abi.md` §10): a row shows the key it stores (Outlook
    /// and this library store one) unless another row stores the same; the others get the
    /// 4 bytes of their row id, or of the next number no other row shows. (Files do store one
    /// key for several recipients: MSGReader's `EmailWithAttachments.msg`.)
    pub fn instance_keys(&self) -> Vec<Vec<u8>> {
        use std::collections::{HashMap, HashSet};
        let stored: Vec<Option<&[u8]>> = self.rows.iter().map(|r| stored_key(&r.props)).collect();
        let mut times: HashMap<&[u8], usize> = HashMap::new();
        for key in stored.iter().flatten() {
            *times.entry(key).or_default() += 1;
        }
        let kept: Vec<Option<&[u8]>> = stored.iter().map(|k| k.filter(|k| times[k] == 1)).collect();
        let mut used: HashSet<Vec<u8>> = kept.iter().flatten().map(|k| k.to_vec()).collect();
        self.rows
            .iter()
            .zip(kept)
            .map(|(row, key)| match key {
                Some(key) => key.to_vec(),
                None => {
                    let mut n = row.row_id;
                    while used.contains(&n.to_le_bytes()[..]) {
                        n = n.wrapping_add(1);
                    }
                    used.insert(n.to_le_bytes().to_vec());
                    n.to_le_bytes().to_vec()
                }
            })
            .collect()
    }

    /// `PR_DISPLAY_TO`, `PR_DISPLAY_CC`, `PR_DISPLAY_BCC`: the display names of the
    /// recipients of each type, joined with "; ", as UTF-16.
    pub fn display_lists(&self, decode: impl Fn(&PropValue) -> Option<Vec<u16>>) -> [Vec<u16>; 3] {
        let mut lists: [Vec<u16>; 3] = Default::default();
        for row in &self.rows {
            let Some(kind) = row.props.long(PR_RECIPIENT_TYPE) else {
                continue;
            };
            let index = match kind as u32 & !(MAPI_P1 | MAPI_SUBMITTED) {
                MAPI_TO => 0,
                MAPI_CC => 1,
                MAPI_BCC => 2,
                _ => continue,
            };
            let name = row
                .props
                .get(prop_id(PR_DISPLAY_NAME_W))
                .and_then(|e| match &e.slot {
                    Slot::Value(v) => decode(v),
                    _ => None,
                })
                .unwrap_or_default();
            let list = &mut lists[index];
            if !list.is_empty() {
                list.extend("; ".encode_utf16());
            }
            list.extend(name);
        }
        lists
    }
}

/// The non-empty binary `PR_INSTANCE_KEY` a row stores.
fn stored_key(props: &PropBag) -> Option<&[u8]> {
    match props.value(prop_id(PR_INSTANCE_KEY), PT_BINARY) {
        Some(PropValue::Binary(key)) if !key.is_empty() => Some(key.as_slice()),
        _ => None,
    }
}

fn without_row_id(entry: Vec<(u32, PropValue)>) -> Vec<(u32, PropValue)> {
    entry
        .into_iter()
        .filter(|(tag, _)| prop_id(*tag) != prop_id(PR_ROWID) && prop_type(*tag) != PT_ERROR)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> (u32, PropValue) {
        (
            PR_DISPLAY_NAME_W,
            PropValue::Unicode(s.encode_utf16().collect()),
        )
    }

    fn kind(k: u32) -> (u32, PropValue) {
        (PR_RECIPIENT_TYPE, PropValue::Long(k as i32))
    }

    fn row_id(id: u32) -> (u32, PropValue) {
        (PR_ROWID, PropValue::Long(id as i32))
    }

    fn names(r: &Recipients) -> Vec<String> {
        r.rows
            .iter()
            .map(
                |row| match row.props.value(prop_id(PR_DISPLAY_NAME_W), PT_UNICODE) {
                    Some(PropValue::Unicode(u)) => String::from_utf16(u).unwrap(),
                    _ => String::new(),
                },
            )
            .collect()
    }

    fn with_key(row_id: u32, key: Option<&[u8]>) -> RecipientRow {
        let mut props = PropBag::default();
        if let Some(key) = key {
            props.set(
                PR_INSTANCE_KEY,
                Slot::Value(PropValue::Binary(key.to_vec())),
            );
        }
        RecipientRow {
            row_id,
            storage: Some(row_id),
            props,
        }
    }

    #[test]
    fn instance_keys_are_unique_among_the_rows() {
        let shared = [0xBC, 0xC3, 0xFF, 0x3F];
        let r = Recipients {
            rows: vec![
                // Three rows storing one key (MSGReader's EmailWithAttachments.msg).
                with_key(0, Some(&shared)),
                with_key(1, Some(&shared)),
                with_key(2, Some(&shared)),
                // Its own stored key; one that is row 0's id's bytes; none.
                with_key(3, Some(&[9, 9, 9, 9])),
                with_key(4, Some(&[0, 0, 0, 0])),
                with_key(5, None),
                // Its own row id's bytes: kept.
                with_key(6, Some(&[6, 0, 0, 0])),
            ],
            ..Recipients::default()
        };
        let keys = r.instance_keys();
        let le = |n: u32| n.to_le_bytes().to_vec();
        // Stored keys stay; the three that share one take their row ids' bytes, or the next
        // free ones (row 4 shows [0, 0, 0, 0]).
        assert_eq!(
            keys,
            [le(1), le(2), le(3), vec![9, 9, 9, 9], le(0), le(5), le(6)]
        );
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
    }

    fn key_of(r: &RecipientRow) -> Option<Vec<u8>> {
        stored_key(&r.props).map(<[u8]>::to_vec)
    }

    #[test]
    fn rows_keep_the_callers_keys_and_new_rows_store_one() {
        let bin = |tag: u32, b: &[u8]| (tag, PropValue::Binary(b.to_vec()));
        let mut r = Recipients::default();
        r.modify(
            Modify::Add,
            vec![
                vec![name("a")],
                vec![
                    name("b"),
                    bin(PR_INSTANCE_KEY, &[0x3A, 0xB7, 0x28, 0]),
                    bin(PR_RECORD_KEY, b"record"),
                ],
                // Stores row 3's bytes: the next new row (id 3) takes 4's.
                vec![name("c"), bin(PR_INSTANCE_KEY, &[3, 0, 0, 0])],
            ],
        )
        .unwrap();
        r.modify(Modify::Add, vec![vec![name("d")]]).unwrap();
        let keys: Vec<_> = r.rows.iter().map(key_of).collect();
        assert_eq!(
            keys,
            [
                Some(vec![0, 0, 0, 0]),
                Some(vec![0x3A, 0xB7, 0x28, 0]),
                Some(vec![3, 0, 0, 0]),
                Some(vec![4, 0, 0, 0])
            ]
        );
        assert_eq!(
            r.rows[1].props.value(prop_id(PR_RECORD_KEY), PT_BINARY),
            Some(&PropValue::Binary(b"record".to_vec()))
        );
        assert_eq!(
            r.instance_keys(),
            keys.into_iter().flatten().collect::<Vec<_>>()
        );
        // MODIFY keeps the row's key unless it brings one.
        r.modify(Modify::Modify, vec![vec![row_id(1), name("B")]])
            .unwrap();
        assert_eq!(key_of(&r.rows[1]), Some(vec![0x3A, 0xB7, 0x28, 0]));
        r.modify(
            Modify::Modify,
            vec![vec![row_id(1), bin(PR_INSTANCE_KEY, &[7; 4])]],
        )
        .unwrap();
        assert_eq!(key_of(&r.rows[1]), Some(vec![7; 4]));
    }

    #[test]
    fn row_ids_never_overflow_or_repeat() {
        // A damaged header's next-recipient counter, or a storage #FFFFFFFF.
        let mut r = Recipients {
            next_row_id: u32::MAX - 1,
            ..Recipients::default()
        };
        r.modify(Modify::Add, vec![vec![name("a")]]).unwrap();
        assert_eq!(r.rows[0].row_id, u32::MAX - 1);
        let refused = r.modify(Modify::Add, vec![vec![name("b")]]).unwrap_err();
        assert_eq!(refused.kind, ErrorKind::TooBig);
        assert!(r.modify(Modify::Replace, vec![vec![name("c")]]).is_err());
        assert_eq!(names(&r), ["a"]);
    }

    #[test]
    fn every_mode() {
        let mut r = Recipients::default();
        r.modify(
            Modify::Add,
            vec![
                vec![name("a"), kind(MAPI_TO)],
                vec![name("b"), kind(MAPI_CC)],
            ],
        )
        .unwrap();
        r.modify(Modify::Add, vec![vec![name("c"), kind(MAPI_TO)]])
            .unwrap();
        assert_eq!(names(&r), ["a", "b", "c"]);
        assert_eq!(
            r.rows.iter().map(|x| x.row_id).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        // MODIFY replaces the whole row: the type goes away.
        r.modify(Modify::Modify, vec![vec![row_id(1), name("B")]])
            .unwrap();
        assert_eq!(names(&r), ["a", "B", "c"]);
        assert!(r.rows[1].props.long(PR_RECIPIENT_TYPE).is_none());
        r.modify(Modify::Remove, vec![vec![row_id(0)]]).unwrap();
        assert_eq!(names(&r), ["B", "c"]);
        // Unknown row ids are refused and change nothing.
        assert!(r.modify(Modify::Remove, vec![vec![row_id(7)]]).is_err());
        assert!(r.modify(Modify::Modify, vec![vec![name("x")]]).is_err());
        assert_eq!(names(&r), ["B", "c"]);
        r.modify(
            Modify::Replace,
            vec![vec![name("z"), kind(MAPI_BCC)], vec![]],
        )
        .unwrap();
        assert_eq!(names(&r), ["z", ""]);
        assert_eq!(r.rows[0].row_id, 3);
        let lists = r.display_lists(|v| match v {
            PropValue::Unicode(u) => Some(u.clone()),
            _ => None,
        });
        assert!(lists[0].is_empty() && lists[1].is_empty());
        assert_eq!(String::from_utf16(&lists[2]).unwrap(), "z");
    }
}
