//! The encryption key ring from configuration: a base key `k0` derived from
//! the secret key (so a zero-configuration install, and every instance that
//! shares the secret key, can encrypt at once), followed by the keys of
//! `encryption_keys_file` (`ID BASE64URL` lines, mode 0600). The last key
//! encrypts; all of them decrypt.
//!
//! `rampart keys rotate` appends a fresh key to the file and re-encrypts the
//! stored secrets under it. Running servers notice the file changed (its
//! modification time) the next time they need the ring, so they decrypt the
//! re-encrypted rows and encrypt new ones under the new key without a restart.
//! Key material never goes to the database or a log line.

use crate::config::write_private;
use anyhow::Context as _;
use rampart_core::ports::{KeySource, KeysUnavailable};
use rampart_crypto::hmac_sha256;
use rampart_crypto::keyring::{KeyRing, NamedKey, parse_key_file};
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use zeroize::Zeroizing;

/// The id of the key derived from the secret key.
pub const BASE_KEY_ID: &str = "k0";

/// The key ring of a configuration, re-read when its file changes.
pub struct FileKeySource {
    base: Zeroizing<[u8; 32]>,
    path: PathBuf,
    cached: Mutex<Option<(Option<SystemTime>, Arc<KeyRing>)>>,
}

impl FileKeySource {
    /// The ring for `secret_key` and the key file at `path` (which may not
    /// exist yet).
    pub fn new(secret_key: &SecretString, path: PathBuf) -> Self {
        Self {
            base: Zeroizing::new(hmac_sha256(
                secret_key.expose_secret().as_bytes(),
                &[b"rampart/encryption-key/v1"],
            )),
            path,
            cached: Mutex::new(None),
        }
    }

    fn modified(&self) -> Option<SystemTime> {
        std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok()
    }

    fn load(&self) -> Result<KeyRing, KeysUnavailable> {
        let mut keys = vec![NamedKey::new(BASE_KEY_ID, *self.base)];
        match std::fs::read_to_string(&self.path) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                let extra = parse_key_file(&text).map_err(|e| {
                    KeysUnavailable(format!("{} is invalid: {e}", self.path.display()))
                })?;
                if extra.iter().any(|k| k.id == BASE_KEY_ID) {
                    return Err(KeysUnavailable(format!(
                        "{} may not define the reserved key id {BASE_KEY_ID}",
                        self.path.display()
                    )));
                }
                keys.extend(extra);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(KeysUnavailable(format!(
                    "{} cannot be read ({e})",
                    self.path.display()
                )));
            }
        }
        KeyRing::new(keys).map_err(|e| KeysUnavailable(e.to_string()))
    }
}

impl KeySource for FileKeySource {
    fn key_ring(&self) -> Result<Arc<KeyRing>, KeysUnavailable> {
        let modified = self.modified();
        let mut cached = self
            .cached
            .lock()
            .map_err(|_| KeysUnavailable("the key ring lock is poisoned".into()))?;
        if let Some((at, ring)) = cached.as_ref()
            && *at == modified
        {
            return Ok(ring.clone());
        }
        let ring = Arc::new(self.load()?);
        *cached = Some((modified, ring.clone()));
        Ok(ring)
    }
}

/// Opens values the key ring sealed (the Flask-Security salt of imported
/// password hashes) with the keys configured now.
pub fn unsealer(keys: Arc<FileKeySource>) -> rampart_crypto::Unseal {
    Arc::new(move |sealed: &str, context: &[u8]| {
        let ring = keys.key_ring().ok()?;
        ring.decrypt(sealed, context).ok()
    })
}

/// Appends a fresh key to the key file (creating it with mode 0600) and
/// returns its id. The file is replaced atomically, never edited in place.
pub fn add_key(path: &Path) -> anyhow::Result<String> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Zeroizing::new(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Zeroizing::new(String::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let keys = parse_key_file(&existing)
        .with_context(|| format!("the key file {} is invalid", path.display()))?;
    let next = keys
        .iter()
        .filter_map(|k| k.id.strip_prefix('k').and_then(|n| n.parse::<u32>().ok()))
        .max()
        .unwrap_or(0)
        + 1;
    let id = format!("k{next}");
    let mut text = Zeroizing::new(if existing.is_empty() {
        "# Rampart encryption keys: ID BASE64URL-KEY. The last key encrypts; all decrypt.\n# Keep this file secret and identical on every instance.\n".to_owned()
    } else {
        existing.to_string()
    });
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(NamedKey::generate(id.as_str()).to_line().as_str());
    text.push('\n');
    let temp = path.with_extension(format!("new-{}", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    write_private(&temp, &text).with_context(|| format!("cannot write {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn base_key_then_file_keys_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("encryption.keys");
        let source = FileKeySource::new(&SecretString::from("x".repeat(40)), path.clone());
        let ring = source.key_ring().unwrap();
        assert_eq!(ring.active_id(), "k0");
        let sealed = ring.encrypt(b"s", b"c").unwrap();
        assert_eq!(add_key(&path).unwrap(), "k1");
        // A coarse file clock may not tick between two writes in one second.
        let ring = FileKeySource::new(&SecretString::from("x".repeat(40)), path.clone())
            .key_ring()
            .unwrap();
        assert_eq!(ring.active_id(), "k1");
        assert_eq!(ring.decrypt(&sealed, b"c").unwrap().as_slice(), b"s");
        assert_eq!(add_key(&path).unwrap(), "k2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
