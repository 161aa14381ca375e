//! The message model: property values, property bags, messages and their parts.
#![forbid(unsafe_code)]

pub mod attachments;
pub mod bag;
mod load;
pub mod message;
pub mod names;
pub mod prop;
pub mod propdata;
pub mod propdata_stream;
pub mod props;
pub mod propstream;
pub mod recipients;
mod save;
pub mod strings;
pub mod table;
pub mod tabledata;
#[cfg(test)]
mod width_tests;
