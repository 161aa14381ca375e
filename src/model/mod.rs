//! The message model: property values, property bags, messages and their parts.
#![forbid(unsafe_code)]

pub mod attachments;
pub mod bag;
pub mod filetime;
mod load;
pub mod message;
pub mod names;
pub mod prop;
pub mod props;
pub mod propstream;
pub mod recipients;
mod save;
pub mod strings;
pub mod table;
#[cfg(test)]
mod width_tests;
