//! The one table from error kinds to the SCODEs callers see (DESIGN decision 11), and
//! `MapStorageSCode`'s table from storage errors to MAPI errors.

use crate::consts::*;
use crate::error::ErrorKind;

pub fn scode_of(kind: ErrorKind) -> SCODE {
    use ErrorKind::*;
    match kind {
        InvalidParameter => MAPI_E_INVALID_PARAMETER,
        InvalidEntryId => MAPI_E_INVALID_ENTRYID,
        UnknownFlags => MAPI_E_UNKNOWN_FLAGS,
        NotFound => MAPI_E_NOT_FOUND,
        NoAccess => MAPI_E_NO_ACCESS,
        NoSupport => MAPI_E_NO_SUPPORT,
        NotEnoughMemory => MAPI_E_NOT_ENOUGH_MEMORY,
        Computed => MAPI_E_COMPUTED,
        CorruptData => MAPI_E_CORRUPT_DATA,
        ObjectDeleted => MAPI_E_OBJECT_DELETED,
        InterfaceNotSupported => MAPI_E_INTERFACE_NOT_SUPPORTED,
        BadCharWidth => MAPI_E_BAD_CHARWIDTH,
        InvalidType => MAPI_E_INVALID_TYPE,
        UnexpectedType => MAPI_E_UNEXPECTED_TYPE,
        TooBig => MAPI_E_TOO_BIG,
        Collision => MAPI_E_COLLISION,
        CallFailed => MAPI_E_CALL_FAILED,
        BadValue => MAPI_E_BAD_VALUE,
        UnknownCodePage => MAPI_E_UNKNOWN_CPID,
        InvalidBookmark => MAPI_E_INVALID_BOOKMARK,
        TableTooBig => MAPI_E_TABLE_TOO_BIG,
        DeclineCopy => MAPI_E_DECLINE_COPY,
        Busy => MAPI_E_BUSY,
        TooComplex => MAPI_E_TOO_COMPLEX,
        UnableToComplete => MAPI_E_UNABLE_TO_COMPLETE,
        StgFileNotFound => STG_E_FILENOTFOUND,
        StgPathNotFound => STG_E_PATHNOTFOUND,
        StgAccessDenied => STG_E_ACCESSDENIED,
        StgFileAlreadyExists => STG_E_FILEALREADYEXISTS,
        StgInvalidName => STG_E_INVALIDNAME,
        StgInvalidFlag => STG_E_INVALIDFLAG,
        StgInvalidFunction => STG_E_INVALIDFUNCTION,
        StgInvalidParameter => STG_E_INVALIDPARAMETER,
        StgInvalidPointer => STG_E_INVALIDPOINTER,
        StgMediumFull => STG_E_MEDIUMFULL,
        StgWriteFault => STG_E_WRITEFAULT,
        StgReadFault => STG_E_READFAULT,
        StgReverted => STG_E_REVERTED,
        StgInsufficientMemory => STG_E_INSUFFICIENTMEMORY,
        StgInvalidHeader => STG_E_INVALIDHEADER,
        StgDocfileCorrupt => STG_E_DOCFILECORRUPT,
        StgUnimplemented => STG_E_UNIMPLEMENTEDFUNCTION,
        StgShareViolation => STG_E_SHAREVIOLATION,
        StgLockViolation => STG_E_LOCKVIOLATION,
        StgNotCurrent => STG_E_NOTCURRENT,
        StgDocfileTooLarge => STG_E_DOCFILETOOLARGE,
        StgTooManyOpenFiles => STG_E_TOOMANYOPENFILES,
    }
}

/// The kind whose SCODE is `hr`, for a failure a caller's object reported (a copy's
/// destination, a progress object), so that it reaches the caller as it came; SCODEs no
/// kind has become `CallFailed` (`GetLastError` still names the code).
pub fn kind_of_scode(hr: HRESULT) -> ErrorKind {
    ErrorKind::ALL
        .iter()
        .copied()
        .find(|&k| scode_of(k) == hr)
        .unwrap_or(ErrorKind::CallFailed)
}

/// The kind of a storage error SCODE, for errors reported by a caller's own storage.
pub fn kind_of_storage_scode(hr: HRESULT) -> ErrorKind {
    use ErrorKind::*;
    match hr {
        STG_E_FILENOTFOUND => StgFileNotFound,
        STG_E_PATHNOTFOUND => StgPathNotFound,
        STG_E_ACCESSDENIED | E_ACCESSDENIED => StgAccessDenied,
        STG_E_FILEALREADYEXISTS => StgFileAlreadyExists,
        STG_E_INVALIDNAME => StgInvalidName,
        STG_E_INVALIDFLAG => StgInvalidFlag,
        STG_E_INVALIDFUNCTION => StgInvalidFunction,
        STG_E_INVALIDPARAMETER | E_INVALIDARG => StgInvalidParameter,
        STG_E_INVALIDPOINTER | E_POINTER => StgInvalidPointer,
        STG_E_MEDIUMFULL => StgMediumFull,
        STG_E_WRITEFAULT => StgWriteFault,
        STG_E_REVERTED => StgReverted,
        STG_E_INSUFFICIENTMEMORY | E_OUTOFMEMORY => StgInsufficientMemory,
        STG_E_INVALIDHEADER => StgInvalidHeader,
        STG_E_DOCFILECORRUPT => StgDocfileCorrupt,
        STG_E_UNIMPLEMENTEDFUNCTION | E_NOTIMPL => StgUnimplemented,
        STG_E_SHAREVIOLATION => StgShareViolation,
        STG_E_LOCKVIOLATION => StgLockViolation,
        STG_E_NOTCURRENT => StgNotCurrent,
        STG_E_DOCFILETOOLARGE => StgDocfileTooLarge,
        STG_E_TOOMANYOPENFILES => StgTooManyOpenFiles,
        _ => StgReadFault,
    }
}

/// `MapStorageSCode`: the MAPI error a storage error means to a MAPI caller. Microsoft
/// documents no table; this one follows the meaning of each code, and answers
/// `MAPI_E_CALL_FAILED` for the rest, as documented. Successes map to themselves.
pub fn map_storage_scode(sc: SCODE) -> SCODE {
    if sc >= 0 {
        return sc;
    }
    match sc {
        STG_E_FILENOTFOUND | STG_E_PATHNOTFOUND => MAPI_E_NOT_FOUND,
        STG_E_ACCESSDENIED
        | STG_E_SHAREVIOLATION
        | STG_E_LOCKVIOLATION
        | STG_E_DISKISWRITEPROTECTED => MAPI_E_NO_ACCESS,
        STG_E_INSUFFICIENTMEMORY | STG_E_TOOMANYOPENFILES => MAPI_E_NOT_ENOUGH_MEMORY,
        STG_E_MEDIUMFULL => MAPI_E_NOT_ENOUGH_DISK,
        STG_E_INVALIDPARAMETER | STG_E_INVALIDPOINTER | STG_E_INVALIDNAME | STG_E_INVALIDFLAG => {
            MAPI_E_INVALID_PARAMETER
        }
        STG_E_INVALIDFUNCTION | STG_E_UNIMPLEMENTEDFUNCTION => MAPI_E_NO_SUPPORT,
        STG_E_FILEALREADYEXISTS => MAPI_E_COLLISION,
        STG_E_INVALIDHEADER | STG_E_DOCFILECORRUPT | STG_E_OLDFORMAT | STG_E_OLDDLL => {
            MAPI_E_CORRUPT_DATA
        }
        STG_E_REVERTED => MAPI_E_OBJECT_DELETED,
        STG_E_NOTCURRENT => MAPI_E_OBJECT_CHANGED,
        STG_E_READFAULT | STG_E_WRITEFAULT | STG_E_SEEKERROR => MAPI_E_DISK_ERROR,
        STG_E_DOCFILETOOLARGE => MAPI_E_TOO_BIG,
        _ => MAPI_E_CALL_FAILED,
    }
}

/// A short name for an SCODE, for `GetLastError` when no failure text was recorded.
pub fn scode_name(hr: HRESULT) -> String {
    let name = match hr {
        S_OK => "S_OK",
        MAPI_W_POSITION_CHANGED => "MAPI_W_POSITION_CHANGED",
        MAPI_W_ERRORS_RETURNED => "MAPI_W_ERRORS_RETURNED",
        MAPI_E_CALL_FAILED => "MAPI_E_CALL_FAILED",
        MAPI_E_NOT_ENOUGH_MEMORY => "MAPI_E_NOT_ENOUGH_MEMORY",
        MAPI_E_INVALID_PARAMETER => "MAPI_E_INVALID_PARAMETER",
        MAPI_E_INTERFACE_NOT_SUPPORTED => "MAPI_E_INTERFACE_NOT_SUPPORTED",
        MAPI_E_NO_ACCESS => "MAPI_E_NO_ACCESS",
        MAPI_E_NO_SUPPORT => "MAPI_E_NO_SUPPORT",
        MAPI_E_UNKNOWN_FLAGS => "MAPI_E_UNKNOWN_FLAGS",
        MAPI_E_NOT_FOUND => "MAPI_E_NOT_FOUND",
        MAPI_E_OBJECT_DELETED => "MAPI_E_OBJECT_DELETED",
        MAPI_E_COMPUTED => "MAPI_E_COMPUTED",
        MAPI_E_CORRUPT_DATA => "MAPI_E_CORRUPT_DATA",
        MAPI_E_TOO_COMPLEX => "MAPI_E_TOO_COMPLEX",
        MAPI_E_INVALID_BOOKMARK => "MAPI_E_INVALID_BOOKMARK",
        MAPI_E_UNABLE_TO_ABORT => "MAPI_E_UNABLE_TO_ABORT",
        MAPI_E_UNABLE_TO_COMPLETE => "MAPI_E_UNABLE_TO_COMPLETE",
        _ => return format!("error 0x{:08X}", hr as u32),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_back_from_its_scode() {
        for &k in ErrorKind::ALL {
            assert_eq!(kind_of_scode(scode_of(k)), k, "{k:?}");
        }
        assert_eq!(kind_of_scode(MAPI_E_NOT_ENOUGH_DISK), ErrorKind::CallFailed);
    }
}
