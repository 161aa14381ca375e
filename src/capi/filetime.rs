//! 64-bit arithmetic on FILETIME values (`mapiutil.h`): the structures are passed and
//! returned by value; the arithmetic is `model::filetime`'s (unsigned, modulo 2^64).

use crate::com::types::*;
use crate::model::filetime;

/// `ftAddend1 + ftAddend2`, modulo 2^64.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FtAddFt(ftAddend1: FILETIME, ftAddend2: FILETIME) -> FILETIME {
    FILETIME::from_u64(filetime::add(ftAddend1.to_u64(), ftAddend2.to_u64()))
}

/// `ft1 + ft2` plus the incoming carry `*pwCarry` (any nonzero value counts as 1), modulo
/// 2^64; `*pwCarry` then holds the carry out, 0 or 1. A NULL `pwCarry` adds as `FtAddFt`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FtAdcFt(
    ft1: FILETIME,
    ft2: FILETIME,
    pwCarry: *mut super::textutil::WORD,
) -> FILETIME {
    crate::com::object::guard(FILETIME::default(), || {
        // SAFETY: `pwCarry` is NULL or the caller's WORD; unaligned access is allowed.
        let carry_in = !pwCarry.is_null() && unsafe { pwCarry.read_unaligned() } != 0;
        let (sum, carry) = filetime::adc(ft1.to_u64(), ft2.to_u64(), carry_in);
        if !pwCarry.is_null() {
            // SAFETY: as above.
            unsafe { pwCarry.write_unaligned(u16::from(carry)) };
        }
        FILETIME::from_u64(sum)
    })
}

/// `ftMinuend - ftSubtrahend`, modulo 2^64.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FtSubFt(ftMinuend: FILETIME, ftSubtrahend: FILETIME) -> FILETIME {
    FILETIME::from_u64(filetime::sub(ftMinuend.to_u64(), ftSubtrahend.to_u64()))
}

/// The two's complement of `ft`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FtNegFt(ft: FILETIME) -> FILETIME {
    FILETIME::from_u64(filetime::neg(ft.to_u64()))
}

/// `ftMultiplicand * ftMultiplier`, modulo 2^64.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FtMulDw(ftMultiplier: DWORD, ftMultiplicand: FILETIME) -> FILETIME {
    FILETIME::from_u64(filetime::mul_dw(ftMultiplier, ftMultiplicand.to_u64()))
}

/// The 64-bit product of two 32-bit values (it always fits).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FtMulDwDw(ftMultiplicand: DWORD, ftMultiplier: DWORD) -> FILETIME {
    FILETIME::from_u64(filetime::mul_dwdw(ftMultiplicand, ftMultiplier))
}
