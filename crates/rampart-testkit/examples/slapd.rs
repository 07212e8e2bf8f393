//! Runs the test kit's slapd (the same small directory the LDAP tests use)
//! until stdin closes, for benchmarks and manual tries:
//! `cargo run -p rampart-testkit --example slapd` prints one line,
//! `URL LDAPS_URL CA_FILE`.
#![allow(clippy::expect_used)]

use rampart_testkit::ldap::Slapd;
use std::io::Read;

fn main() {
    let slapd = Slapd::start("the slapd example").expect("slapd is not installed");
    println!(
        "{} {} {}",
        slapd.url,
        slapd.ldaps_url,
        slapd.ca_file.display()
    );
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(slapd);
}
