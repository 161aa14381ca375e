//! `com_class!`: one declaration per COM class we hand out — its shell (the state behind
//! the object, when declared here), its vtable and its [`Class`](crate::com::object::Class)
//! impl — so an object's vtable, identity and interfaces are read in one place, next to its
//! slots.
//!
//! ```ignore
//! com_class! {
//!     /// An `IStream`.
//!     pub struct StreamShell { pub stream: Mutex<Box<dyn Stream>> }
//!     IStreamVtbl, iids [IID_ISequentialStream, IID_IStream],
//!     slots { Read: read, Write: write, /* ... */ }
//! }
//! ```
//! `slots` lists the interface's own slots after `IUnknown`'s, which the macro fills in;
//! `mapi_prop_slots` lists those after `IMAPIProp`'s (slots 3–13, served by
//! `capi/prop.rs` for any [`PropObject`](super::prop::PropObject)). A shell whose struct
//! lives elsewhere is named alone: `com_class! { MessageShell; IMessageVtbl, ... }`.
//! The vtable is a `static` inside `vtbl()`: one address per class, which is how
//! `ComObject::this_as` recognises our objects.

macro_rules! com_class {
    (
        $(#[$m:meta])*
        $vis:vis struct $shell:ident { $($field:tt)* }
        $($rest:tt)*
    ) => {
        $(#[$m])*
        $vis struct $shell { $($field)* }
        com_class!($shell; $($rest)*);
    };
    ($shell:ident; $vtbl:ident, iids [$($iid:expr),* $(,)?], slots { $($slot:ident: $f:expr),* $(,)? }) => {
        com_class!(@impl $shell, $vtbl, [$($iid),*], $vtbl {
            QueryInterface: $crate::com::object::query_interface::<$shell>,
            AddRef: $crate::com::object::add_ref::<$shell>,
            Release: $crate::com::object::release::<$shell>,
            $($slot: $f),*
        });
    };
    ($shell:ident; $vtbl:ident, iids [$($iid:expr),* $(,)?], mapi_prop_slots { $($slot:ident: $f:expr),* $(,)? }) => {
        com_class!(@impl $shell, $vtbl, [$($iid),*], $vtbl {
            QueryInterface: $crate::com::object::query_interface::<$shell>,
            AddRef: $crate::com::object::add_ref::<$shell>,
            Release: $crate::com::object::release::<$shell>,
            GetLastError: $crate::capi::prop::get_last_error::<$shell>,
            SaveChanges: $crate::capi::prop::save_changes::<$shell>,
            GetProps: $crate::capi::prop::get_props::<$shell>,
            GetPropList: $crate::capi::prop::get_prop_list::<$shell>,
            OpenProperty: $crate::capi::prop::open_property::<$shell>,
            SetProps: $crate::capi::prop::set_props::<$shell>,
            DeleteProps: $crate::capi::prop::delete_props::<$shell>,
            CopyTo: $crate::capi::prop::copy_to::<$shell>,
            CopyProps: $crate::capi::prop::copy_props::<$shell>,
            GetNamesFromIDs: $crate::capi::prop::get_names_from_ids::<$shell>,
            GetIDsFromNames: $crate::capi::prop::get_ids_from_names::<$shell>,
            $($slot: $f),*
        });
    };
    (@impl $shell:ident, $vtbl:ident, [$($iid:expr),*], $value:expr) => {
        impl $crate::com::object::Class for $shell {
            type Vtbl = $vtbl;
            fn vtbl() -> &'static $vtbl {
                static VTBL: $vtbl = $value;
                &VTBL
            }
            const IIDS: &'static [$crate::com::types::IID] = &[$($iid),*];
        }
    };
}
