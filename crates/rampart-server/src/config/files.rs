//! Private files of the configuration: secrets read from files, the
//! generated development secret, and files and folders only their owner can
//! read.

use super::ConfigError;
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;

/// The secret in the file at `path` (one trailing line break dropped), or
/// a problem naming `what`.
pub(super) fn read_secret_file(
    path: &Path,
    what: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text.trim_end_matches(['\n', '\r']).to_owned()),
        Err(e) => {
            problems.push(format!(
                "{what} file {} cannot be read ({e})",
                path.display()
            ));
            None
        }
    }
}

/// Writes a new file readable only by its owner; never overwrites.
#[cfg(unix)]
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

/// Writes a new file (no permission bits off Unix); never overwrites.
#[cfg(not(unix))]
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// Creates a folder readable only by its owner (when it does not exist).
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Reads the persisted development secret, creating it on first run.
pub(super) fn development_secret(data_dir: &Path) -> Result<SecretString, ConfigError> {
    let path = data_dir.join("secret.key");
    let io = |source| ConfigError::DataDir {
        path: path.clone(),
        source,
    };
    if !path.exists() {
        let key = rampart_crypto::generate_token();
        write_private(&path, key.expose_secret()).map_err(io)?;
    }
    let text = std::fs::read_to_string(&path).map_err(io)?;
    Ok(SecretString::from(text.trim().to_owned()))
}

/// The random secret key format `rampart init` writes: 48 random bytes.
pub fn new_secret_key() -> SecretString {
    let bytes = rampart_crypto::random_bytes::<48>();
    SecretString::from(data_encoding::BASE64URL_NOPAD.encode(&bytes))
}
