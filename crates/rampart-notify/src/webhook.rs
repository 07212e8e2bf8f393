//! Delivers queued alert webhooks: `POST` of the JSON body with
//!
//! - `X-Rampart-Delivery`: the delivery id (receivers can drop duplicates),
//! - `X-Rampart-Timestamp`: Unix seconds of this attempt,
//! - `X-Rampart-Signature`: `sha256=` + hex HMAC-SHA-256 under the shared
//!   secret of `TIMESTAMP + "." + BODY`.
//!
//! A receiver verifies the signature with any HMAC library and rejects old
//! timestamps (replays). A 2xx answer marks the delivery done (the row stays
//! as the delivery log); anything else, or no answer within 10 s, is retried
//! after 5 s, doubling up to an hour. Redirects are not followed. HTTPS uses
//! rustls with the Mozilla roots (`webpki-roots`).

use data_encoding::HEXLOWER;
use rampart_core::Clock;
use rampart_core::ports::{QueuedWebhook, WebhookRepo};
use rampart_crypto::hmac_sha256_message;
use std::sync::Arc;
use time::Duration;
use zeroize::Zeroizing;

/// Why the webhook client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the webhook client could not be set up: {0}")]
pub struct WebhookSetupError(String);

/// Sends due webhook deliveries.
pub struct WebhookSender {
    repo: Arc<dyn WebhookRepo>,
    clock: Arc<dyn Clock>,
    url: String,
    secret: Zeroizing<Vec<u8>>,
    client: reqwest::Client,
}

/// The signature header value for a body sent at `timestamp`.
pub fn signature(secret: &[u8], timestamp: i64, body: &str) -> String {
    let signed = format!("{timestamp}.{body}");
    format!(
        "sha256={}",
        HEXLOWER.encode(&hmac_sha256_message(secret, signed.as_bytes()))
    )
}

impl WebhookSender {
    /// A sender to `url`, signing with `secret`.
    pub fn new(
        repo: Arc<dyn WebhookRepo>,
        clock: Arc<dyn Clock>,
        url: String,
        secret: &[u8],
    ) -> Result<Self, WebhookSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| WebhookSetupError(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .user_agent("Rampart-Webhook/1")
            .build()
            .map_err(|e| WebhookSetupError(e.to_string()))?;
        Ok(Self {
            repo,
            clock,
            url,
            secret: Zeroizing::new(secret.to_vec()),
            client,
        })
    }

    async fn send(&self, delivery: &QueuedWebhook) -> Result<u16, (Option<u16>, String)> {
        let timestamp = self.clock.now().unix_timestamp();
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-rampart-delivery", &delivery.id)
            .header("x-rampart-timestamp", timestamp.to_string())
            .header(
                "x-rampart-signature",
                signature(&self.secret, timestamp, &delivery.body),
            )
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|e| (None, e.without_url().to_string()))?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            Ok(status)
        } else {
            Err((Some(status), format!("the receiver answered {status}")))
        }
    }

    /// Attempts every due delivery once; returns how many succeeded.
    pub async fn deliver_due(&self) -> usize {
        let now = self.clock.now();
        let due = match self
            .repo
            .claim_due_webhooks(now, now + crate::CLAIM_LEASE, 50)
            .await
        {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the webhook queue");
                return 0;
            }
        };
        let mut sent = 0;
        for delivery in due {
            match self.send(&delivery).await {
                Ok(status) => {
                    sent += 1;
                    tracing::info!(delivery = %delivery.id, alert = %delivery.kind, status, attempts = delivery.attempts + 1, "webhook delivered");
                    if let Err(err) = self.repo.webhook_delivered(&delivery.id, now, status).await {
                        tracing::warn!(error = %err, "webhook sent but not marked delivered; it may be sent twice");
                    }
                }
                Err((status, error)) => {
                    let shift = u32::try_from(delivery.attempts.clamp(0, 10)).unwrap_or(10);
                    let delay = Duration::seconds((5_i64 << shift).min(3600));
                    tracing::warn!(delivery = %delivery.id, alert = %delivery.kind, attempts = delivery.attempts + 1, error = %error, retry_in_s = delay.whole_seconds(), "webhook delivery failed; will retry");
                    if let Err(err) = self
                        .repo
                        .webhook_failed(&delivery.id, now + delay, status, &error)
                        .await
                    {
                        tracing::warn!(error = %err, "could not record the failed webhook delivery");
                    }
                }
            }
        }
        sent
    }

    /// Delivers every `interval` until `shutdown` resolves.
    pub async fn run(
        self,
        interval: std::time::Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        crate::every(interval, shutdown, || self.deliver_due()).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_covers_timestamp_and_body() {
        let a = super::signature(b"k", 1, "{}");
        assert!(a.starts_with("sha256="));
        assert_ne!(a, super::signature(b"k", 2, "{}"));
        assert_ne!(a, super::signature(b"k", 1, "{ }"));
        assert_ne!(a, super::signature(b"j", 1, "{}"));
    }
}
