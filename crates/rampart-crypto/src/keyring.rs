//! A key ring for encrypting sensitive columns at rest (TOTP secrets first).
//!
//! Every ciphertext names the key that sealed it: `ID:BASE64URL(nonce ‖ sealed)`,
//! sealed with XChaCha20-Poly1305 (RustCrypto; 192-bit random nonces, so
//! random nonces never collide in practice). The caller passes associated data
//! (for example the row's user id and purpose), so a ciphertext copied into
//! another row does not decrypt.
//!
//! One key is active and seals new values; every key in the ring opens what it
//! sealed, so rotating means adding a key and re-encrypting rows at leisure.
//! Where the key material lives (configuration, a key file) is not this
//! module's business; it only parses the key-file text format.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use data_encoding::BASE64URL_NOPAD;
use zeroize::Zeroizing;

/// Bytes in a key.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

/// Why a value could not be sealed, opened or a key file read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyRingError {
    /// The ciphertext names a key the ring does not hold.
    #[error("the value was encrypted under key {0:?}, which is not in the key ring")]
    UnknownKey(String),
    /// The ciphertext is malformed, was tampered with, or belongs to another row.
    #[error("the encrypted value is corrupt or does not belong here")]
    Corrupt,
    /// A line of the key file is not `ID BASE64URL-KEY`.
    #[error("line {0} of the key file is not \"ID KEY\" with a 32-byte base64url key")]
    BadKeyLine(usize),
    /// Two keys share an id.
    #[error("the key id {0:?} appears twice")]
    DuplicateId(String),
    /// There is no key to seal with.
    #[error("the key ring is empty")]
    Empty,
}

/// One named key.
pub struct NamedKey {
    /// The id written into every ciphertext (`[A-Za-z0-9_-]`, at most 32).
    pub id: String,
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl NamedKey {
    /// A key from raw bytes.
    pub fn new(id: impl Into<String>, key: [u8; KEY_LEN]) -> Self {
        Self {
            id: id.into(),
            key: Zeroizing::new(key),
        }
    }

    /// A fresh random key.
    pub fn generate(id: impl Into<String>) -> Self {
        Self::new(id, crate::random_bytes::<KEY_LEN>())
    }

    /// The key-file line for this key (`ID BASE64URL`).
    pub fn to_line(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{} {}",
            self.id,
            BASE64URL_NOPAD.encode(self.key.as_slice())
        ))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&Key::from(*self.key))
    }
}

impl std::fmt::Debug for NamedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamedKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Parses a key file: one `ID BASE64URL-KEY` per line; blank lines and `#`
/// comments ignored. Order is kept (the last key is the newest).
pub fn parse_key_file(text: &str) -> Result<Vec<NamedKey>, KeyRingError> {
    let mut keys: Vec<NamedKey> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(id), Some(encoded), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(KeyRingError::BadKeyLine(n + 1));
        };
        let bytes = Zeroizing::new(
            BASE64URL_NOPAD
                .decode(encoded.as_bytes())
                .map_err(|_| KeyRingError::BadKeyLine(n + 1))?,
        );
        let key: [u8; KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyRingError::BadKeyLine(n + 1))?;
        if !valid_id(id) {
            return Err(KeyRingError::BadKeyLine(n + 1));
        }
        if keys.iter().any(|k| k.id == id) {
            return Err(KeyRingError::DuplicateId(id.to_owned()));
        }
        keys.push(NamedKey::new(id, key));
    }
    Ok(keys)
}

/// Keys by id, with one active key.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<NamedKey>,
}

impl KeyRing {
    /// A ring whose **last** key is the active one.
    pub fn new(keys: Vec<NamedKey>) -> Result<Self, KeyRingError> {
        if keys.is_empty() {
            return Err(KeyRingError::Empty);
        }
        Ok(Self { keys })
    }

    /// The id of the key that seals new values.
    pub fn active_id(&self) -> &str {
        self.keys.last().map_or("", |k| k.id.as_str())
    }

    /// Seals `plaintext` under the active key, bound to `context`.
    pub fn encrypt(&self, plaintext: &[u8], context: &[u8]) -> Result<String, KeyRingError> {
        let key = self.keys.last().ok_or(KeyRingError::Empty)?;
        let nonce_bytes = crate::random_bytes::<NONCE_LEN>();
        let sealed = key
            .cipher()
            .encrypt(
                &XNonce::from(nonce_bytes),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .map_err(|_| KeyRingError::Corrupt)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(format!("{}:{}", key.id, BASE64URL_NOPAD.encode(&out)))
    }

    /// Opens a value sealed by any key of the ring under the same `context`.
    pub fn decrypt(
        &self,
        ciphertext: &str,
        context: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyRingError> {
        let (id, body) = ciphertext.split_once(':').ok_or(KeyRingError::Corrupt)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| KeyRingError::UnknownKey(id.to_owned()))?;
        let raw = BASE64URL_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| KeyRingError::Corrupt)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(KeyRingError::Corrupt);
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| KeyRingError::Corrupt)?;
        key.cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: context,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| KeyRingError::Corrupt)
    }
}

/// The id of the key that sealed `ciphertext`, if it is well formed.
pub fn key_id_of(ciphertext: &str) -> Option<&str> {
    ciphertext.split_once(':').map(|(id, _)| id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rotation() {
        let old = KeyRing::new(vec![NamedKey::generate("k1")]).unwrap();
        let sealed = old.encrypt(b"secret", b"user-1/totp").unwrap();
        assert_eq!(key_id_of(&sealed), Some("k1"));
        assert!(!sealed.contains("secret"));
        let text = format!(
            "# keys\n{}\n{}\n",
            old.keys[0].to_line().as_str(),
            NamedKey::generate("k2").to_line().as_str()
        );
        let ring = KeyRing::new(parse_key_file(&text).unwrap()).unwrap();
        assert_eq!(ring.active_id(), "k2");
        assert_eq!(
            ring.decrypt(&sealed, b"user-1/totp").unwrap().as_slice(),
            b"secret"
        );
        let resealed = ring.encrypt(b"secret", b"user-1/totp").unwrap();
        assert_eq!(key_id_of(&resealed), Some("k2"));
        assert_eq!(
            old.decrypt(&resealed, b"user-1/totp"),
            Err(KeyRingError::UnknownKey("k2".into()))
        );
    }

    #[test]
    fn other_context_or_tampering_fails() {
        let ring = KeyRing::new(vec![NamedKey::generate("k1")]).unwrap();
        let sealed = ring.encrypt(b"secret", b"user-1/totp").unwrap();
        assert_eq!(
            ring.decrypt(&sealed, b"user-2/totp"),
            Err(KeyRingError::Corrupt)
        );
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(
            ring.decrypt(&tampered, b"user-1/totp"),
            Err(KeyRingError::Corrupt)
        );
        assert_eq!(ring.decrypt("k1:", b""), Err(KeyRingError::Corrupt));
        assert_eq!(ring.decrypt("nonsense", b""), Err(KeyRingError::Corrupt));
    }

    #[test]
    fn bad_key_files_are_refused() {
        assert_eq!(
            parse_key_file("k1 tooshort").unwrap_err(),
            KeyRingError::BadKeyLine(1)
        );
        let line = NamedKey::generate("k1").to_line();
        let twice = format!("{}\n{}", line.as_str(), line.as_str());
        assert!(matches!(
            parse_key_file(&twice),
            Err(KeyRingError::DuplicateId(_))
        ));
        assert!(KeyRing::new(Vec::new()).is_err());
    }
}
