//! Build script: declares the configuration names the sources use. The header is not
//! generated here (build scripts must not write into the source tree); see cbindgen.toml.

fn main() {
    // Never set for rustc: cbindgen maps it to `_WIN32` to leave out of the generated header
    // what Windows' own headers define (src/consts.rs).
    println!("cargo::rustc-check-cfg=cfg(imsg_windows_headers)");
    // Never set either: cbindgen maps it to `IMSG_NO_EXTRA_GUIDS` (src/capi/guids.rs).
    println!("cargo::rustc-check-cfg=cfg(imsg_no_extra_guids)");
    println!("cargo::rerun-if-changed=build.rs");
}
