//! Wiring: opens the store, builds the domain services and the router, and
//! runs the HTTP server with graceful shutdown. The test kit calls [`build`]
//! with a manual clock and its own listener; `rampart serve` calls [`serve`].

use crate::config::{Config, Mode};
use crate::keys::FileKeySource;
use anyhow::Context as _;
use async_trait::async_trait;
use rampart_core::admin::{AdminRepos, AdminServices};
use rampart_core::alerts::{Alerts, AlertsParts};
use rampart_core::mfa::MfaParts;
use rampart_core::password::{HashPool, PasswordPolicy};
use rampart_core::setup::SetupService;
use rampart_core::throttle::LoginThrottle;
use rampart_core::{
    AccountService, AdminService, AuditTrail, Clock, MfaConfig, MfaService, RecoveryConfig,
    RecoveryParts, RecoveryService, SessionService, TokenService,
};
use rampart_core::{RememberParts, RememberService};
use rampart_crypto::{PasswordHasher, hmac_sha256};
use rampart_notify::{Destination, Sender};
use rampart_store::Store;
use rampart_web::{AppServices, AppState, Readiness, Templates, WebSettings};
use secrecy::ExposeSecret;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use zeroize::Zeroizing;

/// How long in-flight requests may run after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The assembled application.
pub struct App {
    /// The HTTP router.
    pub router: axum::Router,
    /// The database.
    pub store: Store,
    /// Sessions (with their background maintenance).
    pub sessions: Arc<SessionService>,
    /// Accounts.
    pub accounts: Arc<AccountService>,
    /// Operator actions.
    pub admin: Arc<AdminService>,
    /// First-run setup links.
    pub setup: Arc<SetupService>,
    /// Delivers the mail outbox in the background.
    pub mailer: Sender,
    /// The audit trail (purged of old events in the background).
    pub audit: Arc<AuditTrail>,
    /// How long audit events are kept.
    pub audit_retention: time::Duration,
    /// Connection limits of the listener.
    pub connections: crate::serve::Limits,
    /// Shared rate limits (drained keys are purged hourly).
    pub limits: Arc<rampart_core::rate::RateLimits>,
    /// Delivers alert webhooks in the background, when configured.
    pub webhooks: Option<rampart_notify::webhook::WebhookSender>,
    /// Built-in HTTPS: the pair in service (re-read in the background).
    pub tls: Option<Arc<crate::tls::Certificates>>,
    /// Where plain HTTP is redirected to the https base URL, if anywhere.
    pub redirect_http: Option<(std::net::SocketAddr, url::Url)>,
    /// This application's metrics.
    pub telemetry: Arc<rampart_web::telemetry::Telemetry>,
    /// Keeps the caches true to changes made by other instances and the CLI.
    pub coherence: Arc<rampart_core::coherence::CacheCoherence>,
    /// Second factors (recovery codes from before migration 0018 are
    /// wrapped in Argon2id in the background at start).
    pub mfa: Arc<MfaService>,
}

struct StoreReadiness(Store);

struct StoreCounts(Store, Arc<dyn Clock>);

#[async_trait]
impl rampart_web::telemetry::StoredCounts for StoreCounts {
    async fn active_sessions(&self) -> Option<i64> {
        rampart_core::SessionRepo::count_live_sessions(&self.0, self.1.now())
            .await
            .ok()
    }

    async fn queued_mail(&self) -> Option<i64> {
        self.0.count_queued_mail().await.ok()
    }
}

#[async_trait]
impl Readiness for StoreReadiness {
    async fn ready(&self) -> bool {
        self.0.ping().await
    }
}

/// Opens and migrates the database named by the configuration.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url).await?;
    store.migrate().await?;
    Ok(store)
}

/// The domain services, wired to one store.
pub struct Services {
    /// Accounts.
    pub accounts: Arc<AccountService>,
    /// Sessions.
    pub sessions: Arc<SessionService>,
    /// Mailed links.
    pub recovery: Arc<RecoveryService>,
    /// Remember-me cookies.
    pub remember: Arc<RememberService>,
    /// Second factors.
    pub mfa: Arc<MfaService>,
    /// The audit trail.
    pub audit: Arc<AuditTrail>,
    /// Shared rate limits.
    pub limits: Arc<rampart_core::rate::RateLimits>,
    /// Personal access tokens.
    pub tokens: Arc<TokenService>,
    /// Operator actions.
    pub admin: Arc<AdminService>,
    /// First-run setup links.
    pub setup: Arc<SetupService>,
    /// Linked external identities.
    pub identities: Arc<rampart_core::external::IdentityService>,
    /// Sign-in through OpenID Connect / OAuth2 providers.
    pub providers: Arc<rampart_core::provider::ProviderSignIn>,
    /// Known-device cookies.
    pub devices: Arc<rampart_core::device::KnownDevices>,
    /// Passkeys (WebAuthn).
    pub passkeys: Arc<rampart_core::passkey::PasskeyService>,
    /// The sign-in state machine.
    pub signin: Arc<rampart_core::authn::SignInService>,
    /// The password-hashing threads.
    pub pool: HashPool,
}

/// Builds the domain services over `store`.
pub async fn services(
    config: &Config,
    store: &Store,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Services> {
    let secret = config
        .secret_key
        .as_ref()
        .context("no secret key is configured")?;
    let keys = Arc::new(FileKeySource::new(
        secret,
        config.encryption_keys_file.clone(),
    ));
    let (m, t, p) = config.argon2;
    let hasher = PasswordHasher::new(m, t, p)
        .context("the Argon2id parameters are invalid")?
        .with_unseal(crate::keys::unsealer(keys.clone()));
    let pool = HashPool::new(hasher, config.hash_workers, config.hash_queue);
    let dummy_hash = pool
        .run(|h| h.dummy_hash())
        .await
        .map_err(anyhow::Error::from)?
        .context("could not compute the dummy password hash")?;
    let repo = Arc::new(store.clone());
    let audit = Arc::new(AuditTrail::new(repo.clone(), clock.clone()));
    let limits = Arc::new(rampart_core::rate::RateLimits::new(
        repo.clone(),
        clock.clone(),
        config.rate.clone(),
    ));
    let sessions = Arc::new(
        SessionService::new(
            repo.clone(),
            clock.clone(),
            config.session.clone(),
            audit.clone(),
        )
        .with_flood_watch(pool.flood_watch().clone()),
    );
    let remember = Arc::new(RememberService::new(RememberParts {
        repo: repo.clone(),
        users: repo.clone(),
        outbox: repo.clone(),
        clock: clock.clone(),
        ttl: config.remember_for,
        audit: audit.clone(),
        sessions: sessions.clone(),
    }));
    let breached = match &config.breached_list {
        Some(path) => Some(Arc::new(
            rampart_core::password::breached::BreachedList::open(path).with_context(|| {
                format!(
                    "the breached-password list {} cannot be used",
                    path.display()
                )
            })?,
        )),
        None => None,
    };
    let policy = PasswordPolicy {
        min_length: config.password_min_length,
        breached,
        context_words: rampart_core::password::context_words(
            &config.site_name,
            config.base_url.host_str(),
            &config.context_words,
        ),
    };
    let tokens = Arc::new(
        TokenService::new(
            Arc::new(store.clone()),
            clock.clone(),
            audit.clone(),
            config.roles.clone(),
        )
        .with_flood_watch(pool.flood_watch().clone()),
    );
    let throttle = Arc::new(LoginThrottle::new(
        repo.clone(),
        clock.clone(),
        config.throttle.clone(),
    ));
    let recovery = Arc::new(RecoveryService::new(RecoveryParts {
        users: repo.clone(),
        tokens: repo.clone(),
        outbox: repo.clone(),
        sessions: sessions.clone(),
        remember: remember.clone(),
        pool: pool.clone(),
        policy: policy.clone(),
        clock: clock.clone(),
        config: RecoveryConfig {
            reset_ttl: config.reset_link_ttl,
            verify_ttl: time::Duration::hours(24),
            base_url: config.base_url.as_str().trim_end_matches('/').to_owned(),
        },
        audit: audit.clone(),
        limits: limits.clone(),
        api_tokens: tokens.clone(),
        throttle: throttle.clone(),
    }));
    let devices = Arc::new(rampart_core::device::KnownDevices::new(
        repo.clone(),
        clock.clone(),
        Zeroizing::new(hmac_sha256(
            secret.expose_secret().as_bytes(),
            &[b"rampart/known-device-key/v1"],
        )),
        time::Duration::days(365),
    ));
    let mfa = Arc::new(MfaService::new(
        MfaParts {
            repo: repo.clone(),
            users: repo.clone(),
            outbox: repo.clone(),
            throttle: throttle.clone(),
            audit: audit.clone(),
            keys: keys.clone(),
            clock: clock.clone(),
            mac_key: Zeroizing::new(hmac_sha256(
                secret.expose_secret().as_bytes(),
                &[b"rampart/mfa-mac-key/v1"],
            )),
            remember: remember.clone(),
            devices: devices.clone(),
            pool: pool.clone(),
            dummy_hash: dummy_hash.clone(),
        },
        MfaConfig {
            required: config.mfa_required,
            issuer: config.mfa_issuer.clone(),
            challenge_ttl: time::Duration::minutes(5),
            remember_device_for: config.remember_device_for,
            base_url: config.base_url.as_str().trim_end_matches('/').to_owned(),
            totp_skew_steps: config.totp_skew_steps,
        },
    ));
    let admin = Arc::new(AdminService::new(
        AdminRepos {
            users: repo.clone(),
            sessions: repo.clone(),
            events: repo.clone(),
        },
        AdminServices {
            sessions: sessions.clone(),
            tokens: tokens.clone(),
            mfa: mfa.clone(),
            recovery: recovery.clone(),
            throttle: throttle.clone(),
            audit: audit.clone(),
        },
        config.roles.clone(),
        clock.clone(),
    ));
    let identities = Arc::new(rampart_core::external::IdentityService::new(
        repo.clone(),
        repo.clone(),
        audit.clone(),
        clock.clone(),
    ));
    let directory = crate::federation::directory(config, identities.clone())?;
    let passkeys = Arc::new(rampart_core::passkey::PasskeyService::new(
        rampart_core::passkey::PasskeyParts {
            repo: repo.clone(),
            users: repo.clone(),
            keys: keys.clone(),
            sessions: sessions.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
        },
        &rampart_core::passkey::PasskeySettings {
            rp_id: config.webauthn_rp_id.clone(),
            origin: config.base_url.clone(),
            rp_name: config.site_name.clone(),
        },
    ));
    let providers = Arc::new(rampart_core::provider::ProviderSignIn::new(
        rampart_core::provider::ProviderSignInParts {
            providers: crate::federation::providers(config)?,
            identities: identities.clone(),
            repo: repo.clone(),
            keys,
            audit: audit.clone(),
            clock: clock.clone(),
        },
    ));
    let accounts = Arc::new(
        AccountService::new(
            repo,
            throttle,
            sessions.clone(),
            recovery.clone(),
            pool.clone(),
            policy,
            clock.clone(),
            dummy_hash,
            audit.clone(),
            limits.clone(),
        )
        .with_sources(config.federation.sources.clone(), directory)
        .with_known_devices(devices.clone()),
    );
    let setup = Arc::new(SetupService::new(
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        accounts.clone(),
        clock,
    ));
    let signin = Arc::new(rampart_core::authn::SignInService::new(
        rampart_core::authn::SignInParts {
            accounts: accounts.clone(),
            sessions: sessions.clone(),
            mfa: mfa.clone(),
            remember: remember.clone(),
            devices: devices.clone(),
            passkeys: passkeys.clone(),
            recovery: recovery.clone(),
            users: Arc::new(store.clone()),
            roles: config.roles.clone(),
        },
    ));
    Ok(Services {
        accounts,
        sessions,
        recovery,
        remember,
        mfa,
        audit,
        limits,
        tokens,
        admin,
        setup,
        identities,
        providers,
        devices,
        passkeys,
        signin,
        pool,
    })
}

/// Builds the whole application for `config`.
pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
    config.ensure_safe()?;
    let tls = match &config.tls {
        Some(files) => Some(crate::tls::Certificates::open(files.clone())?),
        None => None,
    };
    let secret = config
        .secret_key
        .as_ref()
        .context("no secret key is configured")?;
    let store = open_store(config).await?;
    let Services {
        accounts,
        sessions,
        recovery,
        remember,
        mfa,
        audit,
        limits,
        tokens,
        admin,
        setup,
        identities,
        providers,
        devices,
        passkeys,
        signin,
        pool: _,
    } = services(config, &store, clock.clone()).await?;
    let destination = match &config.smtp_url {
        Some(url) => Destination::Smtp(url.clone()),
        None => Destination::Folder(config.outbox_dir.clone()),
    };
    let templates = Templates::load(
        config.templates_dir.clone(),
        &config.site_name,
        &config.default_language,
    )?;
    let mailer = Sender::new(
        Arc::new(store.clone()),
        clock.clone(),
        destination,
        &config.smtp_from,
        config.templates_dir.clone(),
        templates.catalogues(),
    )?;
    let telemetry = Arc::new(rampart_web::telemetry::Telemetry::new(
        config.metrics_token.clone(),
    ));
    audit.observe(telemetry.clone());
    audit.alert_with(Arc::new(Alerts::new(AlertsParts {
        users: Arc::new(store.clone()),
        outbox: Arc::new(store.clone()),
        events: Arc::new(store.clone()),
        webhooks: config
            .webhook
            .as_ref()
            .map(|_| Arc::new(store.clone()) as Arc<dyn rampart_core::ports::WebhookRepo>),
        clock: clock.clone(),
        base_url: config.base_url.as_str().trim_end_matches('/').to_owned(),
    })));
    let webhooks = match &config.webhook {
        Some(hook) => Some(
            rampart_notify::webhook::WebhookSender::new(
                Arc::new(store.clone()),
                clock.clone(),
                hook.url.to_string(),
                hook.secret.expose_secret().as_bytes(),
            )
            .map_err(anyhow::Error::from)?,
        ),
        None => None,
    };
    let settings = WebSettings {
        base_url: config.base_url.clone(),
        https: config.https(),
        production: config.mode == Mode::Production,
        csrf_key: Zeroizing::new(hmac_sha256(
            secret.expose_secret().as_bytes(),
            &[b"rampart/csrf-key/v1"],
        )),
        trusted_proxies: config.trusted_proxies.clone(),
        registration_open: config.registration_open,
        site_name: config.site_name.clone(),
        templates_dir: config.templates_dir.clone(),
        form_body_limit: 64 * 1024,
        request_timeout: config.connections.request_timeout,
        access: config.access.clone(),
        cookie_domain: config.cookie_domain.clone(),
        cors_origins: config.cors_origins.clone(),
        api_rate_per_second: config.api_rate_per_second,
        api_burst: config.api_burst,
    };
    let state = AppState::new(AppServices {
        accounts: accounts.clone(),
        admin: admin.clone(),
        setup: setup.clone(),
        sessions: sessions.clone(),
        recovery,
        remember,
        mfa: mfa.clone(),
        tokens: tokens.clone(),
        providers,
        identities: identities.clone(),
        devices,
        passkeys,
        signin,
        templates: Arc::new(templates),
        settings: Arc::new(settings),
        readiness: Arc::new(StoreReadiness(store.clone())),
        telemetry: telemetry.clone(),
        limits: limits.clone(),
        counts: Arc::new(StoreCounts(store.clone(), clock.clone())),
        clock: clock.clone(),
    });
    let coherence = Arc::new(rampart_core::coherence::CacheCoherence::new(vec![
        sessions.clone(),
        tokens.clone(),
        mfa.clone(),
        identities.clone(),
    ]));
    Ok(App {
        coherence,
        mfa,
        router: rampart_web::router(state),
        store,
        sessions,
        accounts,
        admin,
        setup,
        mailer,
        audit,
        audit_retention: config.audit_retention,
        connections: config.connections,
        limits,
        webhooks,
        tls,
        redirect_http: config
            .redirect_http_listen
            .map(|addr| (addr, config.base_url.clone())),
        telemetry,
    })
}

/// The `/metrics` counter of lost invalidation feeds.
const FEED_LOSSES: &str = "rampart_cache_invalidation_feed_losses_total";

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting,
/// lets in-flight requests finish (at most [`SHUTDOWN_GRACE`]), flushes
/// session activity and closes the database.
pub async fn run(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let maintenance = tokio::spawn(app.sessions.clone().run_maintenance({
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        }
    }));
    let mailer = tokio::spawn(app.mailer.run(std::time::Duration::from_millis(500), {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        }
    }));
    let webhooks = app.webhooks.map(|sender| {
        let mut rx = stop_rx.clone();
        tokio::spawn(
            sender.run(std::time::Duration::from_millis(500), async move {
                let _ = rx.wait_for(|stopped| *stopped).await;
            }),
        )
    });
    let invalidations = tokio::spawn({
        let (store, coherence) = (app.store.clone(), app.coherence.clone());
        let telemetry = app.telemetry.clone();
        let mut rx = stop_rx.clone();
        telemetry.total(FEED_LOSSES, 0);
        async move {
            let losses = coherence.clone();
            store
                .follow_invalidations(
                    coherence,
                    move || telemetry.total(FEED_LOSSES, losses.feed_losses()),
                    async move {
                        let _ = rx.wait_for(|stopped| *stopped).await;
                    },
                )
                .await;
        }
    });
    // Recovery codes stored before migration 0018 still work meanwhile.
    let upgrade = tokio::spawn({
        let mfa = app.mfa.clone();
        async move {
            match mfa.upgrade_recovery_codes().await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(upgraded = n, "recovery codes now stored as Argon2id hashes")
                }
                Err(err) => tracing::warn!(error = %err, "could not upgrade stored recovery codes"),
            }
        }
    });
    let purge = tokio::spawn({
        let audit = app.audit.clone();
        let limits = app.limits.clone();
        let retention = app.audit_retention;
        let mut rx = stop_rx.clone();
        async move {
            loop {
                match audit.purge(retention).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, "old audit events purged"),
                    Err(err) => tracing::warn!(error = %err, "could not purge old audit events"),
                }
                if let Err(err) = limits.purge_drained().await {
                    tracing::warn!(error = %err, "could not purge drained rate limits");
                }
                tokio::select! {
                    _ = rx.wait_for(|stopped| *stopped) => break,
                    () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                }
            }
        }
    });
    let tls = match &app.tls {
        Some(certs) => {
            let config = certs
                .server_config()
                .context("the TLS configuration cannot be built")?;
            let (certs, telemetry) = (certs.clone(), app.telemetry.clone());
            let mut rx = stop_rx.clone();
            tokio::spawn(certs.watch(
                async move {
                    let _ = rx.wait_for(|stopped| *stopped).await;
                },
                move |certs| {
                    let pair = certs.current();
                    telemetry.gauge(
                        "rampart_tls_certificate_expiry_timestamp_seconds",
                        pair.not_after.unix_timestamp() as f64,
                    );
                    telemetry.total("rampart_tls_reload_failures_total", certs.reload_failures());
                },
            ));
            Some(config)
        }
        None => None,
    };
    if let Some((addr, base)) = app.redirect_http.clone() {
        let redirect = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (redirect_http_listen)"))?;
        let mut rx = stop_rx.clone();
        tokio::spawn(crate::serve::serve(
            redirect,
            crate::serve::redirect_router(base),
            app.connections,
            None,
            async move {
                let _ = rx.wait_for(|stopped| *stopped).await;
            },
        ));
    }
    let server = crate::serve::serve(listener, app.router, app.connections, tls, async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections; finishing requests in flight");
        let _ = stop_tx.send(true);
    });
    let mut grace_rx = stop_rx;
    tokio::select! {
        result = server => result.context("the HTTP server failed")?,
        () = async move {
            let _ = grace_rx.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; stopping anyway"),
    }
    let _ = maintenance.await;
    let _ = mailer.await;
    let _ = purge.await;
    // An unfinished upgrade goes on at the next start.
    upgrade.abort();
    let _ = invalidations.await;
    if let Some(webhooks) = webhooks {
        let _ = webhooks.await;
    }
    app.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

/// Shows the first-run link once, on standard output, outside the tracing
/// log (which may be shipped elsewhere): one JSON object when the log format
/// is JSON, so that every line stays JSON. The link dies when used, after an
/// hour, and as soon as an administrator exists.
fn print_setup_link(config: &Config, token: &secrecy::SecretString) {
    let url = format!(
        "{}setup?token={}",
        config.base_url,
        secrecy::ExposeSecret::expose_secret(token)
    );
    let minutes = rampart_core::setup::SETUP_LINK_TTL.whole_minutes();
    match config.log_format {
        crate::config::LogFormat::Json => println!(
            "{}",
            serde_json::json!({
                "message": "No administrator exists yet; open setup_url to create the first one.",
                "setup_url": url,
                "valid_minutes": minutes,
            })
        ),
        crate::config::LogFormat::Pretty => println!(
            "No administrator exists yet. Create the first one within {minutes} minutes at:\n  {url}"
        ),
    }
}

/// `rampart serve`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let app = build(&config, Arc::new(rampart_core::SystemClock)).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let mode = match config.mode {
        Mode::Development => "development",
        Mode::Production => "production",
    };
    tracing::info!(
        mode,
        database = app.store.backend_name(),
        "Rampart is listening on {} (open {}login)",
        config.listen,
        config.base_url
    );
    if let Some(token) = app.setup.issue_if_needed().await? {
        print_setup_link(&config, &token);
    }
    run(listener, app, shutdown_signal()).await
}
