//! Known devices (OWASP "device cookies"): every complete sign-in leaves the
//! browser a `rampart_device` cookie, signed and bound to the account, that
//! later exempts it from the account-wide lock-out (its own per-device
//! counter still applies). So a botnet spread over many networks locks the
//! account for everyone else while the owner, on a browser that signed in
//! before, still gets in.
//!
//! The cookie is `USER.DEVICE.EXPIRES.MAC`: a random device id and an
//! HMAC-SHA-256 over the account, the device, the expiry and a digest of
//! the account's password hash. It is not a secret that signs anyone in by
//! itself (a password is still needed), it cannot be made for another
//! account, and a password change or reset voids every device of the
//! account, because the digest changes; so does signing the account out
//! everywhere (an operator's `rampart user sign-out`), which raises the
//! account's sign-out epoch that the digest covers too.

use crate::clock::Clock;
use crate::model::{User, UserId};
use crate::ports::{LoginKey, RepoError, UserRepo};
use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use rampart_crypto::{constant_time_eq, hmac_sha256};
use secrecy::SecretString;
use std::sync::Arc;
use time::Duration;
use zeroize::Zeroizing;

/// A device cookie's expiry (Unix seconds) and MAC, read from their text
/// (the trusted-device cookie of [`crate::mfa`] has them too); `None` when
/// either is malformed.
pub(crate) fn expiry_and_mac(expires: &str, mac: &str) -> Option<(i64, Vec<u8>)> {
    let expires = expires.parse::<i64>().ok()?;
    let mac = BASE64URL_NOPAD.decode(mac.as_bytes()).ok()?;
    Some((expires, mac))
}

/// Issues and checks known-device cookies.
pub struct KnownDevices {
    users: Arc<dyn UserRepo>,
    clock: Arc<dyn Clock>,
    mac_key: Zeroizing<[u8; 32]>,
    ttl: Duration,
}

impl KnownDevices {
    /// Devices signed with `mac_key` (derived from the secret key), known for
    /// `ttl` after their last sign-in.
    pub fn new(
        users: Arc<dyn UserRepo>,
        clock: Arc<dyn Clock>,
        mac_key: Zeroizing<[u8; 32]>,
        ttl: Duration,
    ) -> Self {
        Self {
            users,
            clock,
            mac_key,
            ttl,
        }
    }

    /// How long a cookie lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// `None` when the account or its credentials are gone: no cookie of
    /// it counts then.
    async fn binding(&self, user: UserId) -> Result<Option<String>, RepoError> {
        let Some(found) = self.users.find_by_id(user).await? else {
            return Ok(None);
        };
        self.binding_of(&found).await
    }

    /// The binding of an account already read: its credentials, read by
    /// its name, count only while the name still belongs to the same
    /// account.
    async fn binding_of(&self, user: &User) -> Result<Option<String>, RepoError> {
        let credentials = self
            .users
            .find_credentials(LoginKey::Username(&user.username.key()))
            .await?;
        Ok(credentials
            .filter(|c| c.user.id == user.id)
            .map(|c| c.device_binding()))
    }

    fn mac(&self, user: UserId, device: &str, expires: i64, binding: &str) -> [u8; 32] {
        hmac_sha256(
            self.mac_key.as_slice(),
            &[
                b"rampart/known-device/v1",
                user.to_string().as_bytes(),
                device.as_bytes(),
                &expires.to_be_bytes(),
                binding.as_bytes(),
            ],
        )
    }

    /// A new known-device cookie value for `user` (a fresh device id),
    /// bound to `binding` when the sign-in already read it
    /// ([`crate::model::UserCredentials::device_binding`]), else to what is stored.
    pub async fn issue(
        &self,
        user: &User,
        binding: Option<String>,
    ) -> Result<SecretString, RepoError> {
        let device = HEXLOWER.encode(&rampart_crypto::token::random_bytes::<16>());
        let expires = (self.clock.now() + self.ttl).unix_timestamp();
        let binding = match binding {
            Some(binding) => binding,
            // An account gone meanwhile: a cookie that never counts.
            None => self.binding_of(user).await?.unwrap_or_default(),
        };
        let mac = self.mac(user.id, &device, expires, &binding);
        Ok(SecretString::from(format!(
            "{}.{device}.{expires}.{}",
            user.id,
            BASE64URL_NOPAD.encode(&mac)
        )))
    }

    /// The device id when `presented` is a live known-device cookie of
    /// `user`; `None` for anything else (another account's, expired,
    /// forged, voided by a password change).
    pub async fn device_of(
        &self,
        user: UserId,
        presented: &str,
    ) -> Result<Option<String>, RepoError> {
        let mut parts = presented.split('.');
        let (Some(id), Some(device), Some(expires), Some(mac), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Ok(None);
        };
        let Some((expires, mac)) = expiry_and_mac(expires, mac) else {
            return Ok(None);
        };
        let well_formed = device.len() == 32 && device.bytes().all(|b| b.is_ascii_hexdigit());
        if id != user.to_string() || !well_formed || expires <= self.clock.now().unix_timestamp() {
            return Ok(None);
        }
        let Some(binding) = self.binding(user).await? else {
            return Ok(None);
        };
        let expected = self.mac(user, device, expires, &binding);
        Ok(constant_time_eq(&expected, &mac).then(|| device.to_owned()))
    }
}
