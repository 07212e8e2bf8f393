//! A real OpenLDAP `slapd` (Debian's `slapd` package) with a small directory,
//! started on loopback ports for one test: plain LDAP and LDAPS (a
//! certificate signed by a CA made here with rcgen), an ACL that lets only
//! bound users read, a service account, three people and two groups.
//!
//! Without `/usr/sbin/slapd` the test says `SKIPPED` and why, unless
//! `RAMPART_REQUIRE_SLAPD` is set (as `.ci/run` does), which makes it fail.

use crate::free_port;
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const SLAPD: &str = "/usr/sbin/slapd";
const SLAPADD: &str = "/usr/sbin/slapadd";

/// The directory's suffix.
pub const BASE: &str = "dc=example,dc=com";
/// The service account.
pub const SERVICE_DN: &str = "cn=rampart,dc=example,dc=com";
/// Its password.
pub const SERVICE_PASSWORD: &str = "service account secret 7";
/// Alice: in `cn=admins` and `cn=staff`.
pub const ALICE_PASSWORD: &str = "alice directory password 1";
/// Bob: in no group.
pub const BOB_PASSWORD: &str = "bob directory password 2";
/// Carol: her `uid` is also the username of a local account in some tests.
pub const CAROL_PASSWORD: &str = "carol directory password 3";

/// A running slapd.
pub struct Slapd {
    /// `ldap://127.0.0.1:PORT`.
    pub url: String,
    /// `ldaps://127.0.0.1:PORT`.
    pub ldaps_url: String,
    /// The CA that signed the LDAPS certificate (PEM).
    pub ca_file: PathBuf,
    child: Option<Child>,
    _dir: TempDir,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ldif() -> String {
    let person = |uid: &str, cn: &str, mail: &str, password: &str| {
        format!(
            "dn: uid={uid},ou=people,{BASE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {cn}\nsn: {cn}\nmail: {mail}\nuserPassword: {password}\n\n"
        )
    };
    let mut text = format!(
        "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
         dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: rampart\nuserPassword: {SERVICE_PASSWORD}\n\n\
         dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups\n\n"
    );
    text.push_str(&person(
        "alice",
        "Alice Admin",
        "alice@example.com",
        ALICE_PASSWORD,
    ));
    text.push_str(&person(
        "bob",
        "Bob Builder",
        "bob@example.com",
        BOB_PASSWORD,
    ));
    text.push_str(&person(
        "carol",
        "Carol Directory",
        "carol@directory.example.com",
        CAROL_PASSWORD,
    ));
    text.push_str(&format!(
        "dn: cn=admins,ou=groups,{BASE}\nobjectClass: groupOfNames\ncn: admins\nmember: uid=alice,ou=people,{BASE}\n\n\
         dn: cn=staff,ou=groups,{BASE}\nobjectClass: groupOfNames\ncn: staff\nmember: uid=alice,ou=people,{BASE}\n\n"
    ));
    text
}

fn config(dir: &Path) -> String {
    let schema = |name: &str| format!("include /etc/ldap/schema/{name}.schema\n");
    format!(
        "{}{}{}\
         pidfile {dir}/slapd.pid\n\
         modulepath /usr/lib/ldap\nmoduleload back_mdb\n\
         TLSCertificateFile {dir}/server.pem\nTLSCertificateKeyFile {dir}/server.key\n\
         database mdb\nmaxsize 10485760\nsuffix \"{BASE}\"\nrootdn \"cn=admin,{BASE}\"\n\
         directory {dir}/db\n\
         access to attrs=userPassword by self write by anonymous auth by * none\n\
         access to * by users read by * none\n",
        schema("core"),
        schema("cosine"),
        schema("inetorgperson"),
        dir = dir.display()
    )
}

fn certificates(dir: &Path) -> anyhow::Result<PathBuf> {
    let ca = crate::tls::TestCa::new();
    ca.server_files(dir, 1);
    Ok(ca.write(dir))
}

impl Slapd {
    /// Starts slapd for `test`; `None` (after saying SKIPPED) when slapd is
    /// not installed and not required.
    pub fn start(test: &str) -> Option<Slapd> {
        if !Path::new(SLAPD).exists() {
            assert!(
                std::env::var("RAMPART_REQUIRE_SLAPD").is_err(),
                "{test}: RAMPART_REQUIRE_SLAPD is set but {SLAPD} is missing (apt-get install slapd)"
            );
            let _ = std::io::stderr().write_all(
                format!(
                    "SKIPPED {test}: {SLAPD} is not installed (apt-get install slapd ldap-utils)\n"
                )
                .as_bytes(),
            );
            return None;
        }
        match Self::try_start() {
            Ok(slapd) => Some(slapd),
            Err(err) => panic!("{test}: slapd did not start: {err:#}"),
        }
    }

    fn try_start() -> anyhow::Result<Slapd> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir(dir.path().join("db"))?;
        let ca_file = certificates(dir.path())?;
        let conf = dir.path().join("slapd.conf");
        std::fs::write(&conf, config(dir.path()))?;
        let data = dir.path().join("data.ldif");
        std::fs::write(&data, ldif())?;
        let added = Command::new(SLAPADD)
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(&data)
            .output()?;
        anyhow::ensure!(
            added.status.success(),
            "slapadd failed: {}",
            String::from_utf8_lossy(&added.stderr)
        );
        let (port, tls_port) = (free_port(), free_port());
        let url = format!("ldap://127.0.0.1:{port}");
        let ldaps_url = format!("ldaps://127.0.0.1:{tls_port}");
        // -d 0: stay in the foreground (so the test owns the process), log nothing.
        let child = Command::new(SLAPD)
            .arg("-f")
            .arg(&conf)
            .arg("-h")
            .arg(format!("{url}/ {ldaps_url}/"))
            .arg("-d")
            .arg("0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut slapd = Slapd {
            url,
            ldaps_url,
            ca_file,
            child: Some(child),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        for p in [port, tls_port] {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                if let Some(Some(status)) =
                    slapd.child.as_mut().map(|c| c.try_wait().ok().flatten())
                {
                    anyhow::bail!("slapd exited with {status}");
                }
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "slapd did not listen within 10 s"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(slapd)
    }

    /// Stops the directory (it stays down: "the directory is unreachable").
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
