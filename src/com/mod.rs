//! COM machinery: object shells and their reference counts, `QueryInterface`, handles on
//! objects callers give us, the session registry, MAPI memory and the copying of values
//! into and out of the caller's C structures, and the engines that drive other objects
//! through their vtables (`CopyTo`/`CopyProps`, with a caller's progress object).

pub mod add_columns;
pub mod advise_sink;
pub mod bodies;
mod copy_children;
pub mod copy_to;
mod copy_values;
pub mod entryid;
pub mod foreign;
#[cfg(not(windows))]
pub mod foreign_lockbytes;
pub mod foreign_storage;
pub mod guids;
#[cfg(not(windows))]
pub mod hglobal;
pub mod mapimem;
pub mod mapinameid;
pub mod marshal;
pub mod notifications;
pub mod object;
pub mod packed_props;
pub mod progress;
pub mod prop_compare;
pub mod prop_helpers;
pub mod propdata;
pub mod rtf_stream;
pub mod scode;
pub mod session_registry;
pub mod shells;
pub mod stream_bytes;
pub mod tables;
pub mod thread_sink;
pub mod tnef;
pub mod tnef_problems;
pub mod tnef_scratch;
pub mod tnef_tagged;
pub mod types;
pub mod validate;
pub mod vtbl;
