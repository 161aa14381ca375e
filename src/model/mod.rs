//! The message model: property values, property bags, messages and their parts.
#![forbid(unsafe_code)]

pub mod bag;
pub mod message;
pub mod prop;
pub mod propstream;
pub mod strings;
pub mod table;
