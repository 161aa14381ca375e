//! COM machinery: object shells and their reference counts, `QueryInterface`, handles on
//! objects callers give us, the session registry, MAPI memory and the copying of values
//! into and out of the caller's C structures.

pub mod foreign;
pub mod foreign_storage;
pub mod guids;
#[cfg(not(windows))]
pub mod hglobal;
#[cfg(not(windows))]
pub mod lockbytes;
pub mod mapimem;
pub mod marshal;
pub mod names;
pub mod object;
pub mod scode;
pub mod session;
pub mod shells;
pub mod tables;
pub mod types;
pub mod validate;
pub mod vtbl;
