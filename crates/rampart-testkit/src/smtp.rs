//! A small SMTP server for tests: it speaks enough of RFC 5321 (EHLO/HELO,
//! MAIL, RCPT, DATA, RSET, NOOP, QUIT) for a real client such as lettre to
//! deliver to it over a real TCP conversation, and keeps each message.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running SMTP sink.
pub struct SmtpSink {
    /// Where it listens.
    pub addr: SocketAddr,
    messages: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    /// Starts on a free loopback port.
    pub async fn start() -> SmtpSink {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    /// Starts on a given address (to bring a "down" server up later).
    pub async fn start_on(addr: SocketAddr) -> SmtpSink {
        let listener = TcpListener::bind(addr)
            .await
            .expect("the SMTP sink can listen");
        let addr = listener.local_addr().unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = converse(stream, store).await;
                });
            }
        });
        SmtpSink {
            addr,
            messages,
            task,
        }
    }

    /// The messages received so far (raw RFC 5322 text).
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) until at least `count` messages arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} mail(s), got {}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for a message whose subject contains `subject`; returns its
    /// decoded text.
    pub async fn wait_for_subject(&self, subject: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(found) = self
                .messages()
                .into_iter()
                .find(|m| subject_of(m).contains(subject))
            {
                return decode_quoted_printable(&found);
            }
            assert!(
                Instant::now() < deadline,
                "no mail with subject {subject:?} arrived; those that did: {:?}",
                self.messages()
                    .iter()
                    .map(|m| subject_of(m))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn converse(
    stream: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 rampart-test-sink ESMTP\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => {
                write
                    .write_all(b"250-rampart-test-sink\r\n250 8BITMIME\r\n")
                    .await?
            }
            "MAIL" | "RCPT" | "RSET" | "NOOP" => write.write_all(b"250 OK\r\n").await?,
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut message = String::new();
                while let Some(data) = lines.next_line().await? {
                    if data == "." {
                        break;
                    }
                    message.push_str(
                        data.strip_prefix('.')
                            .filter(|_| data.starts_with(".."))
                            .unwrap_or(&data),
                    );
                    message.push_str("\r\n");
                }
                store.lock().unwrap().push(message);
                write.write_all(b"250 OK queued\r\n").await?;
            }
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"502 Command not implemented\r\n").await?,
        }
    }
    Ok(())
}

/// The `Subject` of a raw message, its RFC 2047 encoded words (how a
/// subject outside ASCII travels: `=?utf-8?b?…?=`) decoded.
pub fn subject_of(message: &str) -> String {
    let Some(start) = message.find("\r\nSubject: ").map(|i| i + 11) else {
        return String::new();
    };
    // The header, with its folded continuation lines.
    let mut header = String::new();
    for (n, line) in message[start..].split("\r\n").enumerate() {
        if n > 0 && !line.starts_with([' ', '\t']) {
            break;
        }
        // Unfolding removes the line break and keeps the white space.
        header.push_str(if n > 0 { line } else { line.trim_start() });
    }
    // White space between two encoded words is not part of the text.
    let mut decoded = String::new();
    let mut after_encoded = false;
    for (n, word) in header.split([' ', '\t']).enumerate() {
        if word.is_empty() {
            continue;
        }
        let parts: Vec<&str> = word.split('?').collect();
        let text = match parts.as_slice() {
            ["=", _charset, encoding, text, "="] if encoding.eq_ignore_ascii_case("b") => {
                let bytes = data_encoding::BASE64
                    .decode(text.as_bytes())
                    .unwrap_or_default();
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            ["=", _charset, encoding, text, "="] if encoding.eq_ignore_ascii_case("q") => {
                Some(decode_quoted_printable(&text.replace('_', " ")))
            }
            _ => None,
        };
        if n > 0 && !(after_encoded && text.is_some()) {
            decoded.push(' ');
        }
        after_encoded = text.is_some();
        decoded.push_str(&text.unwrap_or_else(|| word.to_owned()));
    }
    decoded
}

/// Undoes quoted-printable soft breaks and escapes (enough for links).
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token of the first link to `path` in a mail.
pub fn token_in(mail: &str, path: &str) -> Option<String> {
    let start = mail.find(&format!("{path}?token="))? + path.len() + "?token=".len();
    let token: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .collect();
    Some(token)
}
