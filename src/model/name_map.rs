//! The named-property map of a file: which property set and name each id from 0x8000 up
//! stands for (`spec/mapi-abi.md` §10.2 `GetIDsFromNames`/`GetNamesFromIDs`,
//! `spec/msg-format.md` §9).
//!
//! One map serves a whole file: the top-level message and every recipient, attachment and
//! embedded message below it. Ids are handed out densely from 0x8000; entry `k` of the
//! file's entry stream is id `0x8000 + k`. `PS_MAPI` names are not stored: a numeric name
//! in `PS_MAPI` *is* the property id below 0x8000 it names. Names in `PS_INTERNET_HEADERS`
//! are matched case-insensitively, as Outlook does.
//!
//! The map is pure data; [`crate::codec::nameid`] reads and writes it as the streams of the
//! `__nameid_version1.0` storage.
#![forbid(unsafe_code)]

use std::collections::{HashMap, HashSet};

use crate::consts::{PT_ERROR, PT_UNSPECIFIED};
use crate::error::{ErrorKind, Result, err};
use crate::types::prop_name::{
    FIRST_NAMED_ID, LAST_NAMED_ID, MAX_NAMES, Name, NameKind, NamedEntry, PS_MAPI, describe,
};
use crate::types::prop_value::{Guid, prop_id, prop_tag};

/// Which names an enumeration returns (`GetNamesFromIDs` with no tag array).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameFilter {
    /// `MAPI_NO_IDS`: leave out numeric names.
    pub no_ids: bool,
    /// `MAPI_NO_STRINGS`: leave out string names.
    pub no_strings: bool,
    /// Only names in this property set.
    pub guid: Option<Guid>,
}

impl NameFilter {
    fn admits(&self, name: &Name) -> bool {
        let kind_ok = match name.kind {
            NameKind::Id(_) => !self.no_ids,
            NameKind::String(_) => !self.no_strings,
        };
        kind_ok && self.guid.is_none_or(|g| g == name.guid)
    }
}

/// `PROP_TAG(PT_ERROR, 0)`: the tag of a name `GetIDsFromNames` could not map.
pub const UNMAPPED_TAG: u32 = PT_ERROR;

/// What `GetIDsFromNames` answers: one tag per name, and whether any is [`UNMAPPED_TAG`]
/// (then the call returns `MAPI_W_ERRORS_RETURNED`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdsFromNames {
    pub tags: Vec<u32>,
    pub errors: bool,
}

/// The name ↔ id map of one file.
#[derive(Clone, Debug, Default)]
pub struct NameMap {
    /// Slot `k` names id `0x8000 + k`; `None` is a hole left by a damaged entry of the file
    /// (the id is not reused: properties may still carry it).
    slots: Vec<Option<Name>>,
    /// [`Name::key`] → id. The first id of a name the file maps twice.
    by_name: HashMap<Name, u16>,
    dirty: bool,
}

impl NameMap {
    pub fn new() -> NameMap {
        NameMap::default()
    }

    /// A map from a file's entries (in any order). Ids outside 0x8000–0xFFFE and a second
    /// entry for an id are dropped; a name the file maps to two ids keeps both ids (each
    /// answers `GetNamesFromIDs`, the first answers `GetIDsFromNames`). Says what it
    /// dropped or noticed. The map starts clean.
    pub fn from_entries(entries: &[NamedEntry]) -> (NameMap, Vec<String>) {
        let mut map = NameMap::new();
        let mut warnings = Vec::new();
        for e in entries {
            if e.id < FIRST_NAMED_ID || e.id > LAST_NAMED_ID {
                warnings.push(format!(
                    "named-property entry with id 0x{:04X} outside 0x8000-0xFFFE ignored",
                    e.id
                ));
                continue;
            }
            let slot = usize::from(e.id - FIRST_NAMED_ID);
            if map.slots.len() <= slot {
                map.slots.resize(slot + 1, None);
            }
            // A PS_MAPI name is the id below 0x8000 it names: stored at a named id it could
            // never be looked up again. The id stays a hole (properties may carry it).
            if e.name.guid == PS_MAPI {
                warnings.push(format!(
                    "named-property entry 0x{:04X} ignored: {} is a PS_MAPI name, which \
                     is not stored in the map",
                    e.id,
                    describe(&e.name)
                ));
                continue;
            }
            if map.slots[slot].is_some() {
                warnings.push(format!(
                    "second named-property entry for id 0x{:04X} ignored",
                    e.id
                ));
                continue;
            }
            map.slots[slot] = Some(e.name.clone());
            if let Some(&first) = map.by_name.get(&e.name.key()) {
                warnings.push(format!(
                    "named property {} mapped to ids 0x{first:04X} and 0x{:04X}; \
                     names resolve to the first",
                    describe(&e.name),
                    e.id
                ));
            } else {
                map.by_name.insert(e.name.key(), e.id);
            }
        }
        (map, warnings)
    }

    /// The entries to store, in id order.
    pub fn to_entries(&self) -> Vec<NamedEntry> {
        self.iter()
            .map(|(id, name)| NamedEntry {
                id,
                name: name.clone(),
            })
            .collect()
    }

    /// Every (id, name), in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &Name)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(k, n)| n.as_ref().map(|n| (FIRST_NAMED_ID + k as u16, n)))
    }

    /// Number of named properties in the map.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// Whether names were added since the map was read or last marked clean.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// After the map was written.
    pub fn mark_clean(&mut self) {
        self.dirty = false;
    }

    /// The id `create` would assign next, if any is left.
    pub fn next_id(&self) -> Option<u16> {
        (self.slots.len() < MAX_NAMES).then(|| FIRST_NAMED_ID + self.slots.len() as u16)
    }

    /// The id of a name: a `PS_MAPI` numeric name 0x0001–0x7FFF is its own id; other names
    /// are looked up in the map. `None`: not mappable (or not known).
    pub fn id_of(&self, name: &Name) -> Option<u16> {
        if name.guid == PS_MAPI {
            return name.mapi_id();
        }
        self.by_name.get(&name.key()).copied()
    }

    /// The name of an id: ids 0x0001–0x7FFF are `PS_MAPI` numeric names; named ids come
    /// from the map.
    pub fn name_of(&self, id: u16) -> Option<Name> {
        match id {
            0 => None,
            1..FIRST_NAMED_ID => Some(Name::id(PS_MAPI, u32::from(id))),
            _ => self
                .slots
                .get(usize::from(id - FIRST_NAMED_ID))
                .and_then(Clone::clone),
        }
    }

    /// The id of a name, registering it with the next free id when it is new (an
    /// internet-header name lower-cased). `Ok(None)`:
    /// the name cannot be mapped (a `PS_MAPI` name that is not a numeric id below 0x8000).
    /// `TooBig` when every id up to 0xFFFE is taken.
    pub fn get_or_create(&mut self, name: &Name) -> Result<Option<u16>> {
        if name.guid == PS_MAPI {
            return Ok(name.mapi_id());
        }
        if let Some(id) = self.id_of(name) {
            return Ok(Some(id));
        }
        let Some(id) = self.next_id() else {
            return err(
                ErrorKind::TooBig,
                "no named-property id is left: 0x8000-0xFFFE are all taken",
            );
        };
        // Stored as compared: internet-header names lower-cased, as Outlook stores them (and
        // hashes them, `crate::codec::nameid::hash_key`).
        let stored = name.key();
        self.slots.push(Some(stored.clone()));
        self.by_name.insert(stored, id);
        self.dirty = true;
        Ok(Some(id))
    }

    /// `GetIDsFromNames` for a list of names (`None`: a name the caller could not express,
    /// e.g. a NULL entry). With `create`, unknown names are registered; if they do not all
    /// fit, nothing is registered and the call fails with `TooBig`. Tags carry
    /// `PT_UNSPECIFIED`; an unmappable name gets [`UNMAPPED_TAG`].
    pub fn ids_from_names(&mut self, names: &[Option<Name>], create: bool) -> Result<IdsFromNames> {
        if create {
            let new: HashSet<Name> = names
                .iter()
                .flatten()
                .filter(|n| n.guid != PS_MAPI && self.id_of(n).is_none())
                .map(Name::key)
                .collect();
            if self.slots.len() + new.len() > MAX_NAMES {
                return err(
                    ErrorKind::TooBig,
                    format!(
                        "{} new named properties do not fit: {} of {MAX_NAMES} ids are taken",
                        new.len(),
                        self.slots.len()
                    ),
                );
            }
        }
        let mut out = IdsFromNames {
            tags: Vec::with_capacity(names.len()),
            errors: false,
        };
        for name in names {
            let id = match name {
                None => None,
                Some(n) if create => self.get_or_create(n)?,
                Some(n) => self.id_of(n),
            };
            match id {
                Some(id) => out.tags.push(prop_tag(PT_UNSPECIFIED, id)),
                None => {
                    out.tags.push(UNMAPPED_TAG);
                    out.errors = true;
                }
            }
        }
        Ok(out)
    }

    /// `GetIDsFromNames` with no names: the tags of every name in the map, in id order.
    pub fn all_tags(&self) -> Vec<u32> {
        self.iter()
            .map(|(id, _)| prop_tag(PT_UNSPECIFIED, id))
            .collect()
    }

    /// `GetNamesFromIDs` for a tag array (types ignored): one name per tag, `None` for an
    /// id without a name; the flag says whether there is any `None`
    /// (`MAPI_W_ERRORS_RETURNED`).
    pub fn names_from_tags(&self, tags: &[u32]) -> (Vec<Option<Name>>, bool) {
        let names: Vec<Option<Name>> = tags.iter().map(|&t| self.name_of(prop_id(t))).collect();
        let errors = names.iter().any(Option::is_none);
        (names, errors)
    }

    /// `GetNamesFromIDs` with no tag array: every name the filter admits with its tag
    /// (`PT_UNSPECIFIED`), in id order. `PS_MAPI` names are not enumerated.
    pub fn enumerate(&self, filter: &NameFilter) -> Vec<(u32, Name)> {
        self.iter()
            .filter(|(_, n)| filter.admits(n))
            .map(|(id, n)| (prop_tag(PT_UNSPECIFIED, id), n.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::prop_name::{PS_INTERNET_HEADERS, PS_PUBLIC_STRINGS, fold_case, ole_guid};

    const PSETID_COMMON: Guid = ole_guid(0x0006_2008);
    const PSETID_ADDRESS: Guid = ole_guid(0x0006_2004);
    const NEW_SET: Guid = [
        0x13, 0x8F, 0xF2, 0x41, 0xF4, 0x83, 0x14, 0x41, 0xA5, 0x84, 0xEE, 0xDB, 0x5A, 0x6B, 0x0B,
        0xFF,
    ];

    fn tag(id: u16) -> u32 {
        prop_tag(PT_UNSPECIFIED, id)
    }

    #[test]
    fn create_assigns_dense_ids_and_finds_them_again() {
        let mut map = NameMap::new();
        assert!(!map.is_dirty());
        let names = vec![
            Some(Name::id(PSETID_COMMON, 0x8514)),
            Some(Name::string(PS_PUBLIC_STRINGS, "Keywords")),
            Some(Name::id(PSETID_ADDRESS, 0x8514)),
            Some(Name::string(NEW_SET, "Keywords")),
            Some(Name::id(PSETID_COMMON, 0x8514)),
        ];
        let got = map.ids_from_names(&names, false).unwrap();
        assert_eq!(got.tags, vec![UNMAPPED_TAG; 5]);
        assert!(got.errors);
        assert!(!map.is_dirty());

        let got = map.ids_from_names(&names, true).unwrap();
        assert_eq!(
            got.tags,
            vec![
                tag(0x8000),
                tag(0x8001),
                tag(0x8002),
                tag(0x8003),
                tag(0x8000)
            ]
        );
        assert!(!got.errors);
        assert!(map.is_dirty());
        assert_eq!(map.len(), 4);
        map.mark_clean();

        // A second create returns the same ids and registers nothing.
        let again = map.ids_from_names(&names, true).unwrap();
        assert_eq!(again.tags, got.tags);
        assert!(!map.is_dirty());
        assert_eq!(
            map.all_tags(),
            vec![tag(0x8000), tag(0x8001), tag(0x8002), tag(0x8003)]
        );

        // Through the stored form.
        let (mut reread, warnings) = NameMap::from_entries(&map.to_entries());
        assert!(warnings.is_empty());
        assert_eq!(reread.ids_from_names(&names, false).unwrap().tags, got.tags);
        let more = reread
            .ids_from_names(&[Some(Name::string(NEW_SET, "Other"))], true)
            .unwrap();
        assert_eq!(more.tags, vec![tag(0x8004)]);
    }

    #[test]
    fn a_ps_mapi_entry_in_the_file_costs_that_entry_only() {
        // Found by the fuzzer: such an entry was listed by GetNamesFromIDs but its name
        // resolved to nothing (PS_MAPI names are the ids below 0x8000).
        let entries = [
            NamedEntry {
                id: 0x8000,
                name: Name::id(PS_MAPI, 0x8514),
            },
            NamedEntry {
                id: 0x8001,
                name: Name::id(PSETID_COMMON, 0x8514),
            },
        ];
        let (mut map, warnings) = NameMap::from_entries(&entries);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("0x8000 ignored"), "{warnings:?}");
        assert_eq!(map.name_of(0x8000), None);
        assert_eq!(map.id_of(&Name::id(PSETID_COMMON, 0x8514)), Some(0x8001));
        assert_eq!(map.all_tags(), vec![tag(0x8001)]);
        // The hole is not reused: a new name gets the next id after the file's.
        let got = map
            .ids_from_names(&[Some(Name::string(NEW_SET, "x"))], true)
            .unwrap();
        assert_eq!(got.tags, vec![tag(0x8002)]);
    }

    #[test]
    fn ps_mapi_names_are_the_ids_below_0x8000() {
        let mut map = NameMap::new();
        let got = map
            .ids_from_names(
                &[
                    Some(Name::id(PS_MAPI, 0x0037)),
                    Some(Name::id(PS_MAPI, 0x8001)),
                    Some(Name::id(PS_MAPI, 0)),
                    Some(Name::string(PS_MAPI, "Subject")),
                    None,
                ],
                true,
            )
            .unwrap();
        assert_eq!(
            got.tags,
            vec![
                tag(0x0037),
                UNMAPPED_TAG,
                UNMAPPED_TAG,
                UNMAPPED_TAG,
                UNMAPPED_TAG
            ]
        );
        assert!(got.errors);
        assert!(map.is_empty());
        assert!(!map.is_dirty());
        assert_eq!(map.name_of(0x0037), Some(Name::id(PS_MAPI, 0x37)));
        assert_eq!(map.name_of(0), None);
        assert_eq!(map.name_of(0x8000), None);
        assert_eq!(map.name_of(0xFFFF), None);
    }

    #[test]
    fn internet_header_names_match_case_insensitively() {
        let mut map = NameMap::new();
        let first = map
            .get_or_create(&Name::string(PS_INTERNET_HEADERS, "X-Mailer"))
            .unwrap();
        assert_eq!(first, Some(0x8000));
        assert_eq!(
            map.id_of(&Name::string(PS_INTERNET_HEADERS, "x-mailer")),
            Some(0x8000)
        );
        assert_eq!(
            map.get_or_create(&Name::string(PS_INTERNET_HEADERS, "X-MAILER"))
                .unwrap(),
            Some(0x8000)
        );
        // Stored lower-cased, as Outlook stores them.
        assert_eq!(
            map.name_of(0x8000),
            Some(Name::string(PS_INTERNET_HEADERS, "x-mailer"))
        );
        // A mixed-case name read from a file keeps its spelling and still matches.
        let (from_file, _) = NameMap::from_entries(&[NamedEntry {
            id: 0x8000,
            name: Name::string(PS_INTERNET_HEADERS, "X-MimeOLE"),
        }]);
        assert_eq!(
            from_file.id_of(&Name::string(PS_INTERNET_HEADERS, "x-mimeole")),
            Some(0x8000)
        );
        assert_eq!(
            from_file.name_of(0x8000),
            Some(Name::string(PS_INTERNET_HEADERS, "X-MimeOLE"))
        );
        // Elsewhere case matters.
        map.get_or_create(&Name::string(PS_PUBLIC_STRINGS, "Keywords"))
            .unwrap();
        assert_eq!(
            map.id_of(&Name::string(PS_PUBLIC_STRINGS, "keywords")),
            None
        );
        assert_eq!(
            fold_case(&[0x41, 0xD800, 0x130, 0xC4]),
            vec![0x61, 0xD800, 0x130, 0xE4]
        );
    }

    #[test]
    fn names_from_tags_and_enumeration() {
        let mut map = NameMap::new();
        for n in [
            Name::id(PSETID_COMMON, 0x8514),
            Name::string(PS_PUBLIC_STRINGS, "Keywords"),
            Name::string(PSETID_COMMON, "x"),
            Name::id(PSETID_ADDRESS, 1),
        ] {
            map.get_or_create(&n).unwrap();
        }
        let (names, errors) = map.names_from_tags(&[0x8001_001F, 0x8009_0003, 0x0037_001F]);
        assert!(errors);
        assert_eq!(
            names,
            vec![
                Some(Name::string(PS_PUBLIC_STRINGS, "Keywords")),
                None,
                Some(Name::id(PS_MAPI, 0x37))
            ]
        );
        let (_, errors) = map.names_from_tags(&[0x8000_0003]);
        assert!(!errors);

        let all = map.enumerate(&NameFilter::default());
        assert_eq!(all.len(), 4);
        let ids = |f: NameFilter| -> Vec<u32> { map.enumerate(&f).iter().map(|x| x.0).collect() };
        assert_eq!(
            ids(NameFilter {
                no_ids: true,
                ..Default::default()
            }),
            vec![tag(0x8001), tag(0x8002)]
        );
        assert_eq!(
            ids(NameFilter {
                no_strings: true,
                ..Default::default()
            }),
            vec![tag(0x8000), tag(0x8003)]
        );
        assert_eq!(
            ids(NameFilter {
                no_ids: true,
                no_strings: true,
                guid: None
            }),
            Vec::<u32>::new()
        );
        assert_eq!(
            ids(NameFilter {
                guid: Some(PSETID_COMMON),
                ..Default::default()
            }),
            vec![tag(0x8000), tag(0x8002)]
        );
        assert_eq!(
            ids(NameFilter {
                guid: Some(PS_MAPI),
                ..Default::default()
            }),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn the_id_space_runs_out_at_0xfffe() {
        let mut map = NameMap::new();
        let names: Vec<Option<Name>> = (0..MAX_NAMES as u32 - 1)
            .map(|i| Some(Name::id(NEW_SET, i)))
            .collect();
        map.ids_from_names(&names, true).unwrap();
        assert_eq!(map.next_id(), Some(0xFFFE));
        // Two new names do not fit: nothing is registered.
        let two = [
            Some(Name::id(NEW_SET, 0x10_0000)),
            Some(Name::id(NEW_SET, 0x10_0001)),
        ];
        let e = map.ids_from_names(&two, true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooBig);
        assert_eq!(map.len(), MAX_NAMES - 1);
        // One does, and takes the last id.
        let got = map.ids_from_names(&two[..1], true).unwrap();
        assert_eq!(got.tags, vec![tag(0xFFFE)]);
        assert_eq!(map.next_id(), None);
        let e = map
            .get_or_create(&Name::id(NEW_SET, 0x10_0001))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooBig);
        // Known names and PS_MAPI still map.
        let got = map
            .ids_from_names(
                &[Some(Name::id(NEW_SET, 5)), Some(Name::id(PS_MAPI, 0x1000))],
                true,
            )
            .unwrap();
        assert_eq!(got.tags, vec![tag(0x8005), tag(0x1000)]);
    }

    #[test]
    fn damaged_entries_leave_holes_that_are_not_reused() {
        let entries = vec![
            NamedEntry {
                id: 0x8000,
                name: Name::id(PSETID_COMMON, 1),
            },
            NamedEntry {
                id: 0x8002,
                name: Name::id(PSETID_COMMON, 2),
            },
            NamedEntry {
                id: 0x8002,
                name: Name::id(PSETID_COMMON, 3),
            },
            NamedEntry {
                id: 0x8003,
                name: Name::id(PSETID_COMMON, 1),
            },
            NamedEntry {
                id: 0x7FFF,
                name: Name::id(PSETID_COMMON, 4),
            },
            NamedEntry {
                id: 0xFFFF,
                name: Name::id(PSETID_COMMON, 5),
            },
        ];
        let (mut map, warnings) = NameMap::from_entries(&entries);
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert!(!map.is_dirty());
        assert_eq!(map.len(), 3);
        assert_eq!(map.name_of(0x8001), None);
        assert_eq!(map.name_of(0x8003), Some(Name::id(PSETID_COMMON, 1)));
        assert_eq!(map.id_of(&Name::id(PSETID_COMMON, 1)), Some(0x8000));
        assert_eq!(
            map.get_or_create(&Name::id(PSETID_COMMON, 9)).unwrap(),
            Some(0x8004)
        );
        let ids: Vec<u16> = map.to_entries().iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![0x8000, 0x8002, 0x8003, 0x8004]);
    }
}
