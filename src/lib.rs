//! imessage: MAPI's IMessage on IStorage for C and C++ programs.
//!
//! Layers, top to bottom (see `DESIGN.md`): `capi` (every export and vtable slot), `com`
//! (object shells, foreign objects, MAPI allocations), `model` (messages and their parts),
//! `codec` (the `.msg` format), `storage` (structured storage: our own compound-file
//! reader and writer, with transactions). Only the first two
//! contain `unsafe` code.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod capi;
pub mod codec;
pub mod com;
pub mod consts;
pub mod error;
pub mod model;
mod platform;
pub mod storage;
