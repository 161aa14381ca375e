//! The message model: property values, property bags, messages and their parts.
#![forbid(unsafe_code)]

mod attach_calls;
pub mod bag;
pub mod body;
mod collate;
pub mod entryid;
pub mod file_state;
pub mod filetime;
mod load;
pub mod message;
pub mod name_map;
mod open_streams;
pub mod propdata;
pub mod propdata_stream;
pub mod props;
pub mod propstream;
mod publish;
pub mod recipients;
pub mod restriction;
pub mod rows;
mod save;
pub mod state;
pub mod table;
pub mod tabledata;
pub mod tnef_message;
#[cfg(test)]
mod width_tests;
