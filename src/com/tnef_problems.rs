//! `ITnef`'s problem arrays (`STnefProblem(Array)`, `spec/bodies-and-tnef.md` §5): the
//! structures, their allocation for the caller, and the problems of the copy engine and of
//! the scratch message turned into them.

use super::mapimem::Allocators;
use super::scode::scode_of;
use super::types::*;
use crate::codec::tnef::att;
use crate::consts::*;
use crate::error::Result;
use crate::model::tnef_message::Trouble;
use crate::types::prop_value::{prop_id, tags::*};

/// `STnefProblem`.
#[allow(non_snake_case)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct STnefProblem {
    pub ulComponent: ULONG,
    pub ulAttribute: ULONG,
    pub ulPropTag: ULONG,
    pub scode: SCODE,
}

/// `STnefProblemArray` (its first entry; the others follow).
#[allow(non_snake_case)]
#[repr(C)]
pub struct STnefProblemArray {
    pub cProblem: ULONG,
    pub aProblem: [STnefProblem; 1],
}

const _: () = assert!(size_of::<STnefProblem>() == 16);

/// A problem array in memory from `MAPIAllocateBuffer` (NULL when there is none).
pub fn problems_out(problems: &[STnefProblem]) -> Result<*mut STnefProblemArray> {
    if problems.is_empty() {
        return Ok(std::ptr::null_mut());
    }
    let size = 4 + 16 * problems.len();
    let p = Allocators::ours().alloc(size.max(size_of::<STnefProblemArray>()))?;
    let arr = p.cast::<STnefProblemArray>();
    // SAFETY: the block holds the count and `problems.len()` entries.
    unsafe {
        (*arr).cProblem = problems.len() as ULONG;
        let first = std::ptr::addr_of_mut!((*arr).aProblem).cast::<STnefProblem>();
        std::ptr::copy_nonoverlapping(problems.as_ptr(), first, problems.len());
    }
    Ok(arr)
}

/// A refusal that loses nothing: the destination computes the property or keeps its own
/// (`PR_RECORD_KEY`, which every object of ours sets at creation and never lets change).
pub(super) fn owned_by_target(tag: u32, scode: SCODE) -> bool {
    scode == MAPI_E_COMPUTED
        || (scode == MAPI_E_NO_ACCESS && prop_id(tag) == prop_id(PR_RECORD_KEY))
}

pub(super) fn trouble(t: &Trouble, nums: &[ULONG]) -> STnefProblem {
    STnefProblem {
        ulComponent: t
            .attachment
            .map_or(0, |i| nums.get(i).copied().unwrap_or(i as ULONG)),
        ulAttribute: if t.attachment.is_some() {
            att::ATTACHMENT
        } else {
            att::MSG_PROPS
        },
        ulPropTag: t.tag,
        scode: scode_of(t.kind),
    }
}

/// The copy's problems as TNEF problems. A property the destination computes itself is
/// no loss and is left out.
///
/// # Safety
/// `p` must be NULL or a problem array from our allocator.
pub(super) unsafe fn copy_problems(p: *mut SPropProblemArray) -> Vec<STnefProblem> {
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: a valid array of `cProblem` entries.
    let entries = unsafe {
        std::slice::from_raw_parts(
            std::ptr::addr_of!((*p).aProblem).cast::<SPropProblem>(),
            (*p).cProblem as usize,
        )
        .to_vec()
    };
    Allocators::ours().free(p.cast());
    entries
        .into_iter()
        .filter(|e| !owned_by_target(e.ulPropTag, e.scode))
        .map(|e| {
            let attachment = e.ulPropTag == PR_MESSAGE_ATTACHMENTS;
            STnefProblem {
                ulComponent: if attachment { e.ulIndex } else { 0 },
                ulAttribute: if attachment {
                    att::ATTACHMENT
                } else {
                    att::MSG_PROPS
                },
                ulPropTag: e.ulPropTag,
                scode: e.scode,
            }
        })
        .collect()
}
