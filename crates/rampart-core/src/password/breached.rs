//! The optional offline breached-password list: a file in the format Have I
//! Been Pwned publishes (`SHA1HEX:COUNT` per line, upper-case hex, sorted by
//! hash, as written by the official `PwnedPasswordsDownloader`).
//!
//! The file is tens of gigabytes, so it is never loaded: each lookup is a
//! binary search over byte offsets with positioned reads (`pread`), a few
//! dozen 256-byte reads per password. A password is "breached" when its
//! SHA-1 appears at all.

use sha1::{Digest, Sha1};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// An opened breached-password file.
pub struct BreachedList {
    path: PathBuf,
    file: File,
    len: u64,
}

impl std::fmt::Debug for BreachedList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreachedList")
            .field("path", &self.path)
            .field("bytes", &self.len)
            .finish()
    }
}

/// A line found by [`BreachedList::line_from`]: where it starts and ends
/// (after its newline) and its hash.
struct Line {
    end: u64,
    hash: [u8; 40],
}

impl BreachedList {
    /// Opens `path` and checks that its first line has the expected shape.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let list = Self {
            path: path.to_owned(),
            file,
            len,
        };
        if len > 0 && list.line_from(0)?.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the first line is not SHA1HEX:COUNT (40 upper-case hex digits)",
            ));
        }
        Ok(list)
    }

    /// The first whole line starting at or after `pos`.
    fn line_from(&self, pos: u64) -> io::Result<Option<Line>> {
        let mut start = pos;
        if pos > 0 {
            // `pos` starts a line only if the byte before it ends one.
            let mut before = [0u8; 1];
            self.file.read_exact_at(&mut before, pos - 1)?;
            if before[0] != b'\n' {
                let mut buf = [0u8; 256];
                let mut at = pos;
                loop {
                    if at >= self.len {
                        return Ok(None);
                    }
                    let n = self.file.read_at(&mut buf, at)?;
                    if n == 0 {
                        return Ok(None);
                    }
                    if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
                        start = at + i as u64 + 1;
                        break;
                    }
                    at += n as u64;
                }
            }
        }
        if start >= self.len {
            return Ok(None);
        }
        let mut buf = [0u8; 256];
        let n = self.file.read_at(&mut buf, start)?;
        let line = &buf[..n];
        let end = line
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.len, |i| start + i as u64 + 1);
        let valid = line.len() > 40
            && line[40] == b':'
            && line[..40]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b));
        if !valid {
            return Ok(None);
        }
        let mut hash = [0u8; 40];
        hash.copy_from_slice(&line[..40]);
        Ok(Some(Line { end, hash }))
    }

    /// True when `password`'s SHA-1 is in the list.
    pub fn contains(&self, password: &str) -> io::Result<bool> {
        let digest = Sha1::digest(password.as_bytes());
        let mut target = [0u8; 40];
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for (i, byte) in digest.iter().enumerate() {
            target[2 * i] = HEX[usize::from(byte >> 4)];
            target[2 * i + 1] = HEX[usize::from(byte & 0x0f)];
        }
        let (mut lo, mut hi) = (0u64, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.line_from(mid)? {
                None => hi = mid,
                Some(line) if line.hash == target => return Ok(true),
                Some(line) if line.hash < target => lo = line.end,
                Some(_) => hi = mid,
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sha1_hex(s: &str) -> String {
        Sha1::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    #[test]
    fn finds_every_listed_password_and_no_other() {
        let listed: Vec<String> = (0..500).map(|i| format!("breached-{i}")).collect();
        let mut lines: Vec<String> = listed
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}:{}", sha1_hex(p), i * 37 + 1))
            .collect();
        lines.sort();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(lines.join("\r\n").as_bytes()).unwrap();
        let list = BreachedList::open(file.path()).unwrap();
        for p in &listed {
            assert!(list.contains(p).unwrap(), "{p}");
        }
        for i in 0..500 {
            assert!(!list.contains(&format!("safe-{i}")).unwrap());
        }
        // RFC 3174's "abc" is the well-known A9993E36… hash.
        assert_eq!(sha1_hex("abc"), "A9993E364706816ABA3E25717850C26C9CD0D89D");
    }

    #[test]
    fn refuses_a_file_of_the_wrong_shape() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"password123\n").unwrap();
        assert!(BreachedList::open(file.path()).is_err());
    }
}
