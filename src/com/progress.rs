//! Driving a caller's `IMAPIProgress` through a long operation, as Microsoft's "Display a
//! progress indicator" describes for service providers.
//!
//! - The first call is `GetFlags`. With `MAPI_TOP_LEVEL` set, the operation is the one the
//!   caller started: `GetMin`/`GetMax` give the global limits (a new progress object holds 1
//!   and 1000), `Progress` receives the item count and total, and the value starts at the
//!   global minimum and ends at the global maximum.
//! - Before an item that reports progress of its own (a sub-object), `SetLimits` hands it
//!   its share of the range with the flags cleared; the sub-object then reads that share
//!   with `GetMin`/`GetMax`, splits it among its own items the same way, and reports with
//!   count and total 0.
//! - After each item, `Progress` with the item's end of the range. Limits a sub-object
//!   changed are set back first, so every value lies within the limits last set (progress
//!   objects that scale by their current limits, as MFCMAPI's does, show it right too) and
//!   the object ends with the flags and limits it started with.
//!
//! Failures of the progress object do not stop the operation: a failing `GetFlags`,
//! `GetMin` or `GetMax` answers the documented initial value, other calls' results are not
//! looked at (the interface documents `S_OK` only).

use std::ffi::c_void;

use super::vtbl::{IMAPIProgressVtbl, Interface};
use crate::consts::*;

/// The caller's progress object, borrowed for one call (the caller holds it alive).
#[derive(Clone, Copy)]
pub struct Progress(*mut c_void);

impl Progress {
    /// # Safety
    /// `p` must be NULL or a live `IMAPIProgress` that outlives the value.
    pub unsafe fn new(p: *mut c_void) -> Option<Progress> {
        (!p.is_null()).then_some(Progress(p))
    }

    fn vtbl(&self) -> &IMAPIProgressVtbl {
        // SAFETY: `new`'s contract: a live IMAPIProgress.
        unsafe { &*(*(self.0 as *const Interface<IMAPIProgressVtbl>)).lpVtbl }
    }

    fn read(
        &self,
        get: unsafe extern "system" fn(*mut c_void, *mut ULONG) -> HRESULT,
    ) -> Option<ULONG> {
        let mut v: ULONG = 0;
        // SAFETY: a live object; the out-parameter is ours.
        let hr = unsafe { get(self.0, &mut v) };
        (hr >= 0).then_some(v)
    }

    fn set_limits(&self, mut min: ULONG, mut max: ULONG, mut flags: ULONG) {
        // SAFETY: a live object; the three values are ours for the call.
        unsafe { (self.vtbl().SetLimits)(self.0, &mut min, &mut max, &mut flags) };
    }

    fn report(&self, value: ULONG, count: ULONG, total: ULONG) {
        // SAFETY: a live object.
        unsafe { (self.vtbl().Progress)(self.0, value, count, total) };
    }
}

/// The items of one object's copy, reported to the progress object if there is one.
pub struct Steps {
    at: Option<(Progress, Level)>,
    item: ULONG,
    nested: bool,
}

impl Steps {
    /// Starts an object of `total` items (nothing is called without a progress object).
    pub fn begin(progress: Option<Progress>, total: usize) -> Steps {
        let total = ULONG::try_from(total).unwrap_or(ULONG::MAX);
        Steps {
            at: progress.map(|p| (p, Level::begin(&p, total))),
            item: 0,
            nested: false,
        }
    }

    /// The next item starts; `nested`: it reports progress of its own.
    pub fn start(&mut self, nested: bool) {
        self.item += 1;
        self.nested = nested;
        if let Some((p, level)) = &self.at
            && nested
        {
            level.enter(p, self.item);
        }
    }

    /// The item started last is done.
    pub fn end(&self) {
        if let Some((p, level)) = &self.at {
            level.done(p, self.item, self.nested);
        }
    }
}

/// One object's share of the progress range, split among its items (numbered from 1).
struct Level {
    min: ULONG,
    max: ULONG,
    flags: ULONG,
    total: ULONG,
}

impl Level {
    /// Starts the progress of an object with `total` items.
    fn begin(p: &Progress, total: ULONG) -> Level {
        let v = p.vtbl();
        let flags = p.read(v.GetFlags).unwrap_or(MAPI_TOP_LEVEL) & MAPI_TOP_LEVEL;
        let min = p.read(v.GetMin).unwrap_or(1);
        let max = p.read(v.GetMax).unwrap_or(1000).max(min);
        let level = Level {
            min,
            max,
            flags,
            total: total.max(1),
        };
        if level.top() {
            // The global limits, set as the documented sequence does, and the start.
            p.set_limits(min, max, MAPI_TOP_LEVEL);
            p.report(min, 0, level.total);
        }
        level
    }

    fn top(&self) -> bool {
        self.flags & MAPI_TOP_LEVEL != 0
    }

    /// The end of item `i`'s share (item 0 ends where the range starts).
    fn bound(&self, i: ULONG) -> ULONG {
        let span = u64::from(self.max - self.min);
        self.min + (span * u64::from(i.min(self.total)) / u64::from(self.total)) as ULONG
    }

    /// Before item `i` reports progress of its own: its share, as a sub-object's.
    fn enter(&self, p: &Progress, i: ULONG) {
        p.set_limits(self.bound(i - 1), self.bound(i), 0);
    }

    /// After item `i` (`entered`: [`Level::enter`] was called for it).
    fn done(&self, p: &Progress, i: ULONG, entered: bool) {
        if entered {
            p.set_limits(self.min, self.max, self.flags);
        }
        if self.top() {
            p.report(self.bound(i), i, self.total);
        } else {
            p.report(self.bound(i), 0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(min: ULONG, max: ULONG, total: ULONG) -> Level {
        Level {
            min,
            max,
            flags: MAPI_TOP_LEVEL,
            total,
        }
    }

    #[test]
    fn shares_split_the_range_and_end_at_its_maximum() {
        let l = level(1, 1000, 3);
        let bounds: Vec<ULONG> = (0..=3).map(|i| l.bound(i)).collect();
        assert_eq!(bounds, [1, 334, 667, 1000]);
        let wide = level(0, ULONG::MAX, 7);
        assert_eq!(wide.bound(7), ULONG::MAX);
        assert!((1..=7).all(|i| wide.bound(i - 1) < wide.bound(i)));
        // More items than steps: values repeat but never go back or past the end.
        let narrow = level(200, 202, 5);
        let b: Vec<ULONG> = (0..=5).map(|i| narrow.bound(i)).collect();
        assert!(b.windows(2).all(|w| w[0] <= w[1]) && b[5] == 202 && b[0] == 200);
    }
}
