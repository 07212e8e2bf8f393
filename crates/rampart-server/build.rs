//! Lays out the release binary's code by use: the functions that start-up and
//! the common requests run are listed in `link-order.txt` (written by
//! `bench/link-order.sh`), and the linker places them side by side. The kernel
//! maps code in 64 KiB windows around each first use, so code used together
//! is code resident in fewer windows (#20, docs/benchmarks.md). Only release
//! builds for x86-64 Linux, where rustc links with LLD, take the list; a
//! function missing from it is placed as usual.

use std::env;
use std::path::Path;

fn main() {
    let Ok(manifest_dir) = env::var("CARGO_MANIFEST_DIR") else {
        return;
    };
    let list = Path::new(&manifest_dir).join("link-order.txt");
    println!("cargo:rerun-if-changed={}", list.display());
    let release = env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let lld_target = env::var("TARGET").is_ok_and(|target| target == "x86_64-unknown-linux-gnu");
    if release && lld_target && list.exists() {
        println!(
            "cargo:rustc-link-arg-bin=rampart=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        println!("cargo:rustc-link-arg-bin=rampart=-Wl,--no-warn-symbol-ordering");
    }
}
