//! COM object shells: a vtable pointer at offset 0, the reference count of an `Arc`, a
//! "broken" flag set when a method panicked, and the object's last error for
//! `GetLastError`.
//!
//! The pointer handed to C is `Arc::into_raw` of the shell, so `AddRef`/`Release` are the
//! `Arc`'s strong count and children keep their parent alive by holding its `Arc`. A
//! pointer coming back from C is accepted only if its first word is our vtable for the
//! expected class (`this_as`), so a foreign or mistyped object is an error, not undefined
//! behaviour.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use super::scode::scode_of;
use super::types::*;
use crate::consts::*;
use crate::error::Error;

/// A Rust type served to C through one COM interface chain.
pub trait Class: Send + Sync + Sized + 'static {
    type Vtbl: 'static + Sync;
    /// The vtable; its address identifies objects of this class.
    fn vtbl() -> &'static Self::Vtbl;
    /// Interfaces `QueryInterface` answers besides `IUnknown` (all the same pointer).
    const IIDS: &'static [IID];
}

#[repr(C)]
pub struct ComObject<T: Class> {
    vtbl: &'static T::Vtbl,
    broken: AtomicBool,
    last_error: Mutex<Option<(HRESULT, String)>>,
    pub inner: T,
}

impl<T: Class> ComObject<T> {
    /// A new object with one reference, as the pointer C receives.
    pub fn into_raw(inner: T) -> *mut c_void {
        Arc::into_raw(Self::new_arc(inner)) as *mut c_void
    }

    pub fn new_arc(inner: T) -> Arc<ComObject<T>> {
        Arc::new(ComObject {
            vtbl: T::vtbl(),
            broken: AtomicBool::new(false),
            last_error: Mutex::new(None),
            inner,
        })
    }

    /// Hands out a new reference to C.
    pub fn arc_into_raw(this: Arc<ComObject<T>>) -> *mut c_void {
        Arc::into_raw(this) as *mut c_void
    }

    /// The object behind `this` if it is one of ours of class `T`.
    ///
    /// # Safety
    /// `this` must be NULL or point to at least one readable pointer-sized word (any COM
    /// interface pointer does), and a returned reference must not outlive the caller's
    /// reference to the object.
    pub unsafe fn this_as<'a>(this: *mut c_void) -> Option<&'a ComObject<T>> {
        if this.is_null() || !(this as usize).is_multiple_of(std::mem::align_of::<usize>()) {
            return None;
        }
        // SAFETY: the caller guarantees one readable word at `this`.
        let first = unsafe { *(this as *const *const c_void) };
        if first != T::vtbl() as *const T::Vtbl as *const c_void {
            return None;
        }
        // SAFETY: the vtable identifies an object created by `into_raw`, alive while the
        // caller holds its reference.
        Some(unsafe { &*(this as *const ComObject<T>) })
    }

    /// A counted reference to an object the caller holds a reference to.
    pub fn arc(&self) -> Arc<ComObject<T>> {
        let ptr = self as *const ComObject<T>;
        // SAFETY: `self` came from `Arc::into_raw` (every ComObject is made by `new_arc`) and
        // is alive, so its strong count is at least one.
        unsafe {
            Arc::increment_strong_count(ptr);
            Arc::from_raw(ptr)
        }
    }

    pub fn as_ptr(&self) -> *mut c_void {
        self as *const ComObject<T> as *mut c_void
    }

    /// Records an error for `GetLastError` and returns its SCODE.
    pub fn fail(&self, e: &Error) -> HRESULT {
        let hr = scode_of(e.kind);
        *self.last_error.lock() = Some((hr, e.message.clone()));
        hr
    }

    /// Maps a result to an HRESULT, recording a failure.
    pub fn result(&self, r: Result<HRESULT, Error>) -> HRESULT {
        match r {
            Ok(hr) => hr,
            Err(e) => self.fail(&e),
        }
    }

    /// The text of the last failure if it produced `hr`.
    pub fn last_error(&self, hr: HRESULT) -> Option<String> {
        match &*self.last_error.lock() {
            Some((code, text)) if *code == hr => Some(text.clone()),
            _ => None,
        }
    }
}

/// What a vtable slot returns when it cannot run its body. Slots return `HRESULT`, `ULONG`
/// (`AddRef`, `Release`) or nothing, so the type says what C expects; a slot returning a
/// `BOOL` or an `int` (also `i32`) must not go through [`method`]. Exported functions name
/// their fallback at the call instead (see [`guard`]).
pub trait Fallback {
    /// `this` was NULL or not one of our objects of the expected class.
    fn invalid_this() -> Self;
    /// The body panicked, now or in an earlier call on the same object.
    fn broken() -> Self;
}

impl Fallback for HRESULT {
    fn invalid_this() -> Self {
        MAPI_E_INVALID_PARAMETER
    }
    fn broken() -> Self {
        MAPI_E_CALL_FAILED
    }
}

impl Fallback for ULONG {
    fn invalid_this() -> Self {
        0
    }
    fn broken() -> Self {
        0
    }
}

impl Fallback for () {
    fn invalid_this() -> Self {}
    fn broken() -> Self {}
}

/// The one panic guard: runs `body`, and if it panics returns `fallback` (DESIGN decision
/// 7). Every exported function names its fallback, because `HRESULT`, `SCODE`, `BOOL` and
/// `LONG` are all `i32` and the type cannot tell them apart: an `HRESULT` function gives
/// `MAPI_E_CALL_FAILED`, a `BOOL` one FALSE (0), a pointer one NULL. Vtable slots come
/// through here too, from [`method`].
pub fn guard<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        tests::panic_if_asked();
        body()
    }))
    .unwrap_or(fallback)
}

/// Runs a vtable slot: checks `this`, refuses a broken object, catches panics (marking
/// the object broken).
///
/// # Safety
/// `this` must be NULL or a COM interface pointer the caller holds a reference to.
pub unsafe fn method<T: Class, R: Fallback>(
    this: *mut c_void,
    body: impl FnOnce(&ComObject<T>) -> R,
) -> R {
    // SAFETY: forwarded from the caller.
    let Some(obj) = (unsafe { ComObject::<T>::this_as(this) }) else {
        return R::invalid_this();
    };
    if obj.broken.load(Ordering::Acquire) {
        return R::broken();
    }
    match guard(None, || Some(body(obj))) {
        Some(r) => r,
        None => {
            obj.broken.store(true, Ordering::Release);
            *obj.last_error.lock() = Some((
                MAPI_E_CALL_FAILED,
                "internal error: the object is unusable after a failure inside the library".into(),
            ));
            R::broken()
        }
    }
}

/// Runs the body of a vtable slot of class `$T` (see [`method`]); the body is safe code
/// and opens its own `unsafe` blocks.
#[macro_export]
macro_rules! slot {
    ($T:ty, $this:expr, |$obj:ident| $body:expr) => {{
        let this = $this;
        let body = |$obj: &$crate::com::object::ComObject<$T>| $body;
        // SAFETY: `this` is the interface pointer C called this slot through.
        unsafe { $crate::com::object::method::<$T, _>(this, body) }
    }};
}

/// [`slot!`] for a body that returns `Result<HRESULT>`: failures are recorded for
/// `GetLastError` and turned into their SCODE.
#[macro_export]
macro_rules! try_slot {
    ($T:ty, $this:expr, |$obj:ident| $body:expr) => {
        $crate::slot!($T, $this, |$obj| {
            let run = || -> $crate::error::Result<$crate::consts::HRESULT> { $body };
            let result = run();
            $obj.result(result)
        })
    };
}

// ===== IUnknown, shared by every class =====

/// # Safety
/// Called by C through a vtable with the object's own interface pointer.
pub unsafe extern "system" fn query_interface<T: Class>(
    this: *mut c_void,
    riid: *const IID,
    ppv: *mut *mut c_void,
) -> HRESULT {
    crate::slot!(T, this, |obj| {
        if ppv.is_null() || riid.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        // SAFETY: both pointers were checked non-NULL; COM requires them valid.
        let iid = unsafe {
            *ppv = std::ptr::null_mut();
            *riid
        };
        if iid == super::guids::IID_IUnknown || T::IIDS.contains(&iid) {
            let again = obj.arc();
            // SAFETY: checked non-NULL above.
            unsafe { *ppv = ComObject::arc_into_raw(again) };
            S_OK
        } else {
            E_NOINTERFACE
        }
    })
}

/// # Safety
/// Called by C through a vtable with the object's own interface pointer.
pub unsafe extern "system" fn add_ref<T: Class>(this: *mut c_void) -> ULONG {
    crate::slot!(T, this, |obj| {
        let again = obj.arc();
        let count = Arc::strong_count(&again);
        std::mem::forget(again);
        count as ULONG
    })
}

/// # Safety
/// Called by C through a vtable with the object's own interface pointer.
pub unsafe extern "system" fn release<T: Class>(this: *mut c_void) -> ULONG {
    // Release must work on a broken object too, so it does not go through `method`.
    guard(0, || {
        // SAFETY: `this` comes from C as the object's own interface pointer.
        let Some(obj) = (unsafe { ComObject::<T>::this_as(this) }) else {
            return 0;
        };
        // SAFETY: the caller gives back one reference it owns.
        let arc = unsafe { Arc::from_raw(obj as *const ComObject<T>) };
        let left = Arc::strong_count(&arc) - 1;
        drop(arc);
        left as ULONG
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    use super::*;

    thread_local! {
        static PANIC_NEXT: Cell<bool> = const { Cell::new(false) };
    }

    /// Makes the next guarded body on this thread panic before it runs, so a test can see
    /// what an export answers when its body fails.
    pub(crate) fn panic_next_guard() {
        PANIC_NEXT.with(|p| p.set(true));
    }

    pub(super) fn panic_if_asked() {
        if PANIC_NEXT.with(|p| p.replace(false)) {
            panic!("panic injected by a test");
        }
    }

    #[test]
    fn a_panicking_body_gives_the_named_fallback() {
        let bool_fn: i32 = guard(0, || panic!("boom"));
        assert_eq!(bool_fn, 0);
        let hr: HRESULT = guard(MAPI_E_CALL_FAILED, || panic!("boom"));
        assert_eq!(hr, MAPI_E_CALL_FAILED);
        panic_next_guard();
        assert_eq!(guard(7u32, || 1u32), 7);
        assert_eq!(guard(7u32, || 1u32), 1);
    }
}
