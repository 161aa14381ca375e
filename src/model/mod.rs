//! The message model: property values, property bags, messages and their parts.
#![forbid(unsafe_code)]

pub mod bag;
mod load;
pub mod message;
pub mod names;
mod open_streams;
pub mod props;
pub mod propstream;
pub mod recipients;
mod save;
pub mod state;
pub mod table;
#[cfg(test)]
mod width_tests;
