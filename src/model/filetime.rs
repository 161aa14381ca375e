//! 64-bit arithmetic on FILETIME values (`FtAddFt`, `FtAdcFt`, `FtSubFt`, `FtNegFt`,
//! `FtMulDw`, `FtMulDwDw`): unsigned, modulo 2^64, as Microsoft documents them ("adds one
//! unsigned 64-bit integer to another", "two's complement"). A result that does not fit
//! keeps its low 64 bits; `adc` reports the carry.
#![forbid(unsafe_code)]

pub fn add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

/// `a + b + carry_in`, and the carry out of bit 63 (0 or 1).
pub fn adc(a: u64, b: u64, carry_in: bool) -> (u64, bool) {
    let (sum, c1) = a.overflowing_add(b);
    let (sum, c2) = sum.overflowing_add(u64::from(carry_in));
    (sum, c1 || c2)
}

pub fn sub(minuend: u64, subtrahend: u64) -> u64 {
    minuend.wrapping_sub(subtrahend)
}

pub fn neg(v: u64) -> u64 {
    v.wrapping_neg()
}

pub fn mul_dw(multiplier: u32, multiplicand: u64) -> u64 {
    multiplicand.wrapping_mul(u64::from(multiplier))
}

/// Never overflows: two 32-bit factors fit in 64 bits.
pub fn mul_dwdw(a: u32, b: u32) -> u64 {
    u64::from(a) * u64::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_wraps_and_reports_carries() {
        assert_eq!(add(0xFFFF_FFFF, 1), 0x1_0000_0000);
        assert_eq!(add(u64::MAX, 2), 1);
        assert_eq!(adc(u64::MAX, 1, false), (0, true));
        assert_eq!(adc(u64::MAX, 0, true), (0, true));
        assert_eq!(adc(u64::MAX, u64::MAX, true), (u64::MAX, true));
        assert_eq!(adc(1, 2, true), (4, false));
        assert_eq!(sub(0x1_0000_0000, 1), 0xFFFF_FFFF);
        assert_eq!(sub(0, 1), u64::MAX);
        assert_eq!(neg(1), u64::MAX);
        assert_eq!(neg(0), 0);
        assert_eq!(mul_dw(3, 0x8000_0000_0000_0001), 0x8000_0000_0000_0003);
        assert_eq!(mul_dw(0, u64::MAX), 0);
        assert_eq!(mul_dwdw(u32::MAX, u32::MAX), 0xFFFF_FFFE_0000_0001);
    }
}
