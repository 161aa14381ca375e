//! The one error type of the safe layers: a semantic kind plus words for `GetLastError`.
//!
//! Kinds carry no numbers; `com::scode` is the single table that maps each kind to the
//! SCODE/HRESULT a caller sees.
#![forbid(unsafe_code)]

use std::fmt;

/// Declares `ErrorKind` and the list of all its kinds from one list of names.
macro_rules! error_kinds {
    ($($kind:ident,)*) => {
        /// What went wrong, named after the MAPI or structured-storage error it maps to.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorKind {
            $($kind,)*
        }

        impl ErrorKind {
            /// Every kind (for mapping an SCODE back to its kind).
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind,)*];
        }
    };
}

error_kinds! {
    // ---- MAPI ----
    InvalidParameter,
    InvalidEntryId,
    UnknownFlags,
    NotFound,
    NoAccess,
    NoSupport,
    NotEnoughMemory,
    Computed,
    CorruptData,
    ObjectDeleted,
    InterfaceNotSupported,
    BadCharWidth,
    InvalidType,
    UnexpectedType,
    TooBig,
    Collision,
    CallFailed,
    BadValue,
    UnknownCodePage,
    InvalidBookmark,
    TableTooBig,
    DeclineCopy,
    Busy,
    TooComplex,
    UnableToComplete,
    // ---- structured storage ----
    StgFileNotFound,
    StgPathNotFound,
    StgAccessDenied,
    StgFileAlreadyExists,
    StgInvalidName,
    StgInvalidFlag,
    StgInvalidFunction,
    StgInvalidParameter,
    StgInvalidPointer,
    StgMediumFull,
    StgWriteFault,
    StgReadFault,
    StgReverted,
    StgInsufficientMemory,
    StgInvalidHeader,
    StgDocfileCorrupt,
    StgUnimplemented,
    StgShareViolation,
    StgLockViolation,
    StgNotCurrent,
    StgDocfileTooLarge,
    StgTooManyOpenFiles,
}

/// An error with its kind and a sentence saying what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// Maps an I/O error from the file system or from `cfb` to a storage error.
    pub fn io(context: &str, e: &std::io::Error) -> Error {
        use std::io::ErrorKind as K;
        let kind = match e.kind() {
            K::NotFound => ErrorKind::StgFileNotFound,
            K::PermissionDenied | K::ReadOnlyFilesystem => ErrorKind::StgAccessDenied,
            K::AlreadyExists => ErrorKind::StgFileAlreadyExists,
            K::InvalidData | K::UnexpectedEof => ErrorKind::StgDocfileCorrupt,
            K::InvalidInput => ErrorKind::StgInvalidParameter,
            K::StorageFull | K::QuotaExceeded | K::FileTooLarge => ErrorKind::StgMediumFull,
            K::OutOfMemory => ErrorKind::StgInsufficientMemory,
            K::WriteZero => ErrorKind::StgWriteFault,
            _ => ErrorKind::StgReadFault,
        };
        Error::new(kind, format!("{context}: {e}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand used across the safe layers: `err(ErrorKind::NotFound, "...")`.
pub fn err<T>(kind: ErrorKind, message: impl Into<String>) -> Result<T> {
    Err(Error::new(kind, message))
}
