//! Value types every layer above storage shares: property tags and values, property names
//! and property sets, code-page strings. Imports nothing of ours but `consts` and `error`, so
//! the codec and the model can both use them without importing each other.
#![forbid(unsafe_code)]

pub mod codepage;
pub mod prop_name;
pub mod prop_value;
