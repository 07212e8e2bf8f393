//! Every secret Rampart makes (session, API, reset, setup and remember-me
//! tokens, TOTP seeds, recovery codes, device ids, salts) comes from
//! [`rampart_crypto::random_bytes`], which reads the operating system's
//! CSPRNG through `getrandom` (ASVS 6.5.3, 7.2.3). This test reads the
//! sources so no other generator can creep in: no `rand`, `fastrand` or
//! seeded generator anywhere, and `getrandom` called in one place.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_secret_comes_from_random_bytes() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap() {
        let src = krate.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 50, "the sources were found");
    let forbidden = [
        "rand::",
        "thread_rng",
        "fastrand",
        "SmallRng",
        "StdRng",
        "SeedableRng",
        "rand_core",
    ];
    let mut getrandom_callers = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for word in forbidden {
            assert!(
                !text.contains(word),
                "{} uses {word}: secrets come from rampart_crypto::random_bytes",
                file.display()
            );
        }
        if text.contains("getrandom::") {
            getrandom_callers.push(file.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert_eq!(getrandom_callers, ["token.rs"], "one door to the OS CSPRNG");
    for manifest in std::fs::read_dir(&crates).unwrap() {
        let manifest = manifest.unwrap().path().join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            for line in text.lines() {
                let name = line.split(['=', ' ', '.']).next().unwrap_or_default();
                assert!(
                    !["rand", "fastrand", "rand_core", "oorandom"].contains(&name),
                    "{} depends on {name}",
                    manifest.display()
                );
            }
        }
    }
}
