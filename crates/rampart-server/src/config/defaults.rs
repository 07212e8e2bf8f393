//! The defaults of the server's own settings, each defined once. Settings
//! that configure a domain service take their defaults from that service's
//! `Default` (`SessionConfig`, `ThrottleConfig`, `RateConfig`,
//! `AccessRules`, `serve::Limits`, the OWASP Argon2id costs); the README's
//! table and the `rampart init` template repeat these values for people.

use time::Duration;

/// `listen`.
pub const LISTEN: &str = "127.0.0.1:8080";
/// `data_dir`.
pub const DATA_DIR: &str = "rampart-data";
/// `site_name` (and `mfa.issuer` when neither is set).
pub const SITE_NAME: &str = "Rampart";
/// `site.default_language`.
pub const DEFAULT_LANGUAGE: &str = "en";
/// `smtp_from`.
pub const SMTP_FROM: &str = "Rampart <rampart@localhost>";
/// `password.min_length` (NIST SP 800-63B's floor).
pub const PASSWORD_MIN_LENGTH: usize = 8;
/// `password.hash_queue`, per core.
pub const HASH_QUEUE_PER_CORE: usize = 32;
/// `password.reset_link_ttl`.
pub const RESET_LINK_TTL: Duration = Duration::minutes(30);
/// `session.remember_for`.
pub const REMEMBER_FOR: Duration = Duration::days(14);
/// `mfa.remember_device_for`.
pub const REMEMBER_DEVICE_FOR: Duration = Duration::days(30);
/// `mfa.totp_skew_steps`: one 30-second step either side (RFC 6238's
/// recommendation for network delay and clock drift).
pub const TOTP_SKEW_STEPS: u16 = 1;
/// `audit.retention`.
pub const AUDIT_RETENTION: Duration = Duration::days(365);
/// `api.rate_per_second`.
pub const API_RATE_PER_SECOND: u32 = 20;
/// `api.burst`.
pub const API_BURST: u32 = 100;
/// The database file in `data_dir` when `database_url` is not set.
pub const DATABASE_FILE: &str = "rampart.db";
/// The key ring file in `data_dir` when `encryption_keys_file` is not set.
pub const ENCRYPTION_KEYS_FILE: &str = "encryption.keys";
/// The folder in `data_dir` development mode writes mails to.
pub const OUTBOX: &str = "outbox";
