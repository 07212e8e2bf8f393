//! The command line of `docs/api.md`. Each command returns `anyhow::Result`; `main`
//! prints an error as one sentence on stderr and exits non-zero.

use crate::app;
use crate::config::{Config, new_secret_key, write_private};
use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use rampart_core::account::AdminError;
use rampart_core::admin::{Action, Operator};
use rampart_core::{
    AdminService, ClientMeta, RegisterError, Registration, RoleName, SystemClock, User,
};
use secrecy::{ExposeSecret, SecretString};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Rampart: a self-hosted authentication server.
#[derive(Parser, Debug)]
#[command(name = "rampart", version, about)]
pub struct Cli {
    /// Configuration file (TOML); environment variables RAMPART_* override it.
    #[arg(long, global = true, env = "RAMPART_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Write a commented rampart.toml with fresh random secrets.
    Init {
        /// Where to write it.
        #[arg(long, default_value = "rampart.toml")]
        output: PathBuf,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Copy the SQLite database, consistently, while the server runs.
    Backup {
        /// The new file to write (never overwritten).
        file: PathBuf,
    },
    /// Audit the configuration; print each insecure setting; exit 1 if any.
    Check,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the encryption keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Read the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Password hashing.
    #[command(subcommand)]
    Hash(HashCommand),
}

/// `rampart hash …`.
#[derive(Subcommand, Debug)]
pub enum HashCommand {
    /// Measure Argon2id here and suggest the cost for a target time per hash.
    Calibrate {
        /// Milliseconds one hash should take (OWASP's minimum is kept).
        #[arg(long, default_value_t = 250)]
        target_ms: u64,
    },
}

/// `rampart audit …`.
#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Print events as JSON lines, newest first.
    Export {
        /// Only events at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Only events of this user (username or id).
        #[arg(long)]
        user: Option<String>,
        /// Only events of this type.
        #[arg(long = "type")]
        kind: Option<String>,
    },
}

/// `rampart keys …`.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Add a new encryption key (it encrypts from now on) and re-encrypt the
    /// stored secrets under it; older keys keep decrypting.
    Rotate,
}

/// `rampart user …`.
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user (asks for the password unless --password-stdin).
    Create(CreateUser),
    /// List users.
    List,
    /// Lock a user: they cannot sign in, and their sessions end.
    Lock {
        /// Username.
        name: String,
    },
    /// Unlock a user.
    Unlock {
        /// Username.
        name: String,
    },
    /// Delete a user and their sessions.
    Delete {
        /// Username.
        name: String,
    },
    /// Sign a user, or everyone, out everywhere: every session, remember-me
    /// series and known device ends (audited as `sessions.revoked_all`).
    SignOut {
        /// Username (or --all).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        /// Everyone.
        #[arg(long)]
        all: bool,
    },
    /// Remove a user's second factor (TOTP and recovery codes), after
    /// confirming who asked (docs/security.md, "Resetting a second
    /// factor"); the user is told by mail.
    ResetMfa {
        /// Username.
        name: String,
        /// Why: the ticket, and how the person's identity was confirmed
        /// (recorded in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Import users from another application's CSV export: columns
    /// `username,email,password_hash[,roles]` (roles separated by spaces or
    /// `;`); an optional header row. Argon2, bcrypt, Werkzeug, passlib and
    /// Django hashes are accepted and upgraded to Argon2id at each user's
    /// next sign-in. Refused rows are reported and skipped; the exit status
    /// is 1 when any row was refused.
    Import {
        /// The CSV file (read as a stream: any size).
        file: std::path::PathBuf,
        /// Check every row and report, but create nothing.
        #[arg(long)]
        dry_run: bool,
        /// Flask-Security-Too's SECURITY_PASSWORD_SALT: the hashes are of
        /// HMAC-SHA512 pre-hashed passwords. Prefer --password-salt-file
        /// (a command line is visible to other local users).
        #[arg(long, conflicts_with = "password_salt_file")]
        password_salt: Option<String>,
        /// A file holding SECURITY_PASSWORD_SALT (its first line).
        #[arg(long)]
        password_salt_file: Option<std::path::PathBuf>,
    },
    /// Replace a user's roles.
    SetRoles {
        /// Username.
        name: String,
        /// Roles (e.g. admin user).
        #[arg(required = true)]
        roles: Vec<String>,
    },
}

/// `rampart user create`.
#[derive(Args, Debug)]
pub struct CreateUser {
    /// Username.
    pub name: String,
    /// E-mail address.
    #[arg(long)]
    pub email: String,
    /// A role (repeatable); default `user`.
    #[arg(long = "role")]
    pub roles: Vec<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init { output } => init(&output),
        Command::Serve => {
            let config = Config::load(cli.config.as_deref())?;
            crate::logging::init(config.log_format);
            app::serve(config).await
        }
        Command::Migrate => {
            let config = Config::load(cli.config.as_deref())?;
            config.ensure_safe()?;
            let store = app::open_store(&config).await?;
            store.close().await;
            println!("The {} database is up to date.", store.backend_name());
            Ok(())
        }
        Command::Backup { file } => {
            let config = Config::load(cli.config.as_deref())?;
            // Not migrated: a backup taken before an upgrade stays the old
            // schema, to restore if the upgrade goes wrong.
            let store = rampart_store::Store::connect(&config.database_url).await?;
            let result = store.backup(&file).await;
            store.close().await;
            result?;
            println!("Backed up to {}.", file.display());
            Ok(())
        }
        Command::Check => check(cli.config.as_deref()),
        Command::User(command) => user(cli.config.as_deref(), command).await,
        Command::Keys(KeysCommand::Rotate) => rotate_keys(cli.config.as_deref()).await,
        Command::Hash(HashCommand::Calibrate { target_ms }) => {
            let config = Config::load(cli.config.as_deref())?;
            let text = tokio::task::spawn_blocking(move || {
                crate::calibrate::calibrate(target_ms, config.hash_workers)
            })
            .await??;
            print!("{text}");
            Ok(())
        }
        Command::Audit(AuditCommand::Export { since, user, kind }) => {
            export_audit(cli.config.as_deref(), since, user, kind).await
        }
    }
}

async fn export_audit(
    file: Option<&std::path::Path>,
    since: Option<String>,
    user: Option<String>,
    kind: Option<String>,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let since = since
        .map(|text| {
            time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    anyhow::anyhow!(
                        "--since {text:?} is not an RFC 3339 time such as 2026-01-31T12:00:00Z"
                    )
                })
        })
        .transpose()?;
    let config = Config::load(file)?;
    config.ensure_safe()?;
    let store = app::open_store(&config).await?;
    let audit = app::services(&config, &store, Arc::new(SystemClock))
        .await?
        .audit;
    let (user_id, username) = match user {
        Some(u) => match rampart_core::UserId::parse(&u) {
            Some(id) => (Some(id), None),
            None => (None, Some(u)),
        },
        None => (None, None),
    };
    let mut before: Option<String> = None;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result: anyhow::Result<()> = async {
        loop {
            let page = audit
                .events(rampart_core::audit::EventQuery {
                    user_id,
                    username: username.clone(),
                    kind: kind.clone(),
                    since,
                    before: before.clone(),
                    limit: 1000,
                })
                .await?;
            let Some(last) = page.last() else { break };
            before = Some(last.id.clone());
            for e in &page {
                let line = serde_json::json!({
                    "id": e.id,
                    "time": e.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                    "type": e.kind,
                    "user_id": e.user_id.map(|id| id.to_string()),
                    "username": e.username,
                    "ip": e.ip,
                    "user_agent": e.user_agent,
                    "outcome": e.outcome,
                    "details": e.details,
                });
                writeln!(out, "{line}")?;
            }
            if page.len() < 1000 {
                break;
            }
        }
        Ok(())
    }
    .await;
    store.close().await;
    result
}

async fn rotate_keys(file: Option<&std::path::Path>) -> anyhow::Result<()> {
    let config = Config::load(file)?;
    config.ensure_safe()?;
    let id = crate::keys::add_key(&config.encryption_keys_file)?;
    let store = app::open_store(&config).await?;
    let services = app::services(&config, &store, Arc::new(SystemClock)).await?;
    let result = async {
        let secrets = services.mfa.reencrypt_secrets().await?;
        let passkeys = services.passkeys.reencrypt_credentials().await?;
        anyhow::Ok(secrets + passkeys)
    }
    .await;
    store.close().await;
    let changed = result?;
    println!(
        "Added key {id} to {}; re-encrypted {changed} stored secret(s) under it.",
        config.encryption_keys_file.display()
    );
    Ok(())
}

fn init(output: &std::path::Path) -> anyhow::Result<()> {
    let text = crate::config::init_template(new_secret_key().expose_secret());
    write_private(output, &text)
        .with_context(|| format!("could not write {}", output.display()))?;
    println!("Wrote {} with a fresh secret key.", output.display());
    Ok(())
}

fn check(file: Option<&std::path::Path>) -> anyhow::Result<()> {
    let config = Config::load(file)?;
    // The templates and the catalogues of words, overrides included, load
    // as `serve` loads them (a broken one stops start-up).
    rampart_web::render::Templates::load(
        config.templates_dir.clone(),
        &config.site_name,
        &config.default_language,
    )?;
    let findings = config.audit();
    if findings.is_empty() {
        println!("No insecure settings found.");
        return Ok(());
    }
    for finding in &findings {
        println!("insecure: {finding}");
    }
    bail!("{} insecure setting(s) found", findings.len())
}

fn read_password(from_stdin: bool) -> anyhow::Result<SecretString> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("could not read the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_owned();
        line.clear();
        return Ok(SecretString::from(password));
    }
    let first = rpassword::prompt_password("Password: ")
        .context("no terminal to ask for the password on; pass --password-stdin and pipe it in")?;
    let second = rpassword::prompt_password("Repeat the password: ")
        .context("no terminal to ask for the password on; pass --password-stdin and pipe it in")?;
    if first != second {
        bail!("the two passwords do not match");
    }
    Ok(SecretString::from(first))
}

fn parse_roles(raw: &[String]) -> anyhow::Result<Vec<RoleName>> {
    raw.iter()
        .map(|r| RoleName::parse(r).map_err(|p| anyhow::anyhow!(p.message)))
        .collect()
}

/// Runs `action` as the host's operator on the account called `name`;
/// answers the account.
async fn act_on(
    admin: &AdminService,
    name: &str,
    action: Action,
    operator: &ClientMeta,
) -> anyhow::Result<User> {
    let describe = |e: AdminError| anyhow::anyhow!(e.to_string());
    let user = admin.find(name).await.map_err(describe)?;
    admin
        .act(action, &user, Operator::Host, operator)
        .await
        .map_err(describe)?;
    Ok(user)
}

async fn user(file: Option<&std::path::Path>, command: UserCommand) -> anyhow::Result<()> {
    let config = Config::load(file)?;
    config.ensure_safe()?;
    let store = app::open_store(&config).await?;
    // A command that fails part way still closes the store.
    let result = user_command(&config, &store, command).await;
    store.close().await;
    result
}

/// Runs `command` on the open `store`.
async fn user_command(
    config: &Config,
    store: &rampart_store::Store,
    command: UserCommand,
) -> anyhow::Result<()> {
    let services = app::services(config, store, Arc::new(SystemClock)).await?;
    let accounts = services.accounts;
    let admin = services.admin;
    let describe = |e: AdminError| anyhow::anyhow!(e.to_string());
    let operator = ClientMeta::operator();
    match command {
        UserCommand::Create(args) => {
            let roles = parse_roles(&args.roles)?;
            let password = read_password(args.password_stdin)?;
            let registration = Registration {
                username: args.name,
                email: args.email,
                password,
                password_confirm: None,
                roles,
            };
            match accounts.register(registration, &operator).await {
                Ok(user) => {
                    println!("Created user {} ({}).", user.username, user.id);
                    Ok(())
                }
                Err(RegisterError::Conflict(problem)) => {
                    Err(anyhow::anyhow!("{}", problem.message.trim_end_matches('.')))
                }
                Err(RegisterError::Invalid(problems)) => Err(anyhow::anyhow!(
                    "{}",
                    problems
                        .iter()
                        .map(|p| p.message.trim_end_matches('.'))
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                Err(other) => Err(other.into()),
            }
        }
        UserCommand::List => {
            let users = accounts.list().await.map_err(describe)?;
            println!("{:<32} {:<40} {:<16} STATUS", "USERNAME", "EMAIL", "ROLES");
            for u in users {
                let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "{:<32} {:<40} {:<16} {}",
                    u.username.as_str(),
                    u.email.as_str(),
                    roles.join(","),
                    if u.locked { "locked" } else { "active" }
                );
            }
            Ok(())
        }
        UserCommand::Lock { name } => act_on(&admin, &name, Action::Lock, &operator)
            .await
            .map(|user| println!("Locked {}; their sessions have ended.", user.username)),
        UserCommand::Unlock { name } => act_on(&admin, &name, Action::Unlock, &operator)
            .await
            .map(|user| println!("Unlocked {}.", user.username)),
        UserCommand::Delete { name } => act_on(&admin, &name, Action::Delete, &operator)
            .await
            .map(|user| println!("Deleted {} and their sessions.", user.username)),
        UserCommand::SignOut { name, all } => {
            let user = match name {
                Some(name) if !all => Some(admin.find(&name).await.map_err(describe)?),
                _ => None,
            };
            let ended = services
                .sessions
                .sign_out_everywhere(user.as_ref(), &Operator::Host.describe(), &operator)
                .await?;
            match user {
                Some(user) => println!(
                    "Signed {} out everywhere: {ended} session(s) ended, with every remember-me cookie and known device.",
                    user.username
                ),
                None => println!(
                    "Signed everyone out everywhere: {ended} session(s) ended, with every remember-me cookie and known device."
                ),
            }
            Ok(())
        }
        UserCommand::ResetMfa { name, reason } => services
            .mfa
            .reset(
                &name,
                &rampart_core::model::mfa::ResetReason::parse(&reason)
                    .map_err(|p| anyhow::anyhow!("{}", p.message.trim_end_matches('.')))?,
            )
            .await
            .map(|u| {
                println!(
                    "Removed the second factor of {}; they sign in with their password alone until they enrol again (where mfa.required covers them, only to enrol).",
                    u.username
                )
            })
            .map_err(|e| anyhow::anyhow!(e.to_string())),
        UserCommand::Import {
            file,
            dry_run,
            password_salt,
            password_salt_file,
        } => {
            let salt = match (password_salt, password_salt_file) {
                (Some(salt), _) => Some(Zeroizing::new(salt)),
                (None, Some(path)) => Some(Zeroizing::new(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                )),
                (None, None) => None,
            };
            let sealed = match salt {
                Some(salt) => Some(crate::import::seal_salt(config, salt.as_bytes())?),
                None => None,
            };
            let importer = rampart_core::import::Importer::new(
                Arc::new(store.clone()),
                services.pool.clone(),
                services.audit.clone(),
                Arc::new(SystemClock),
                sealed,
            );
            crate::import::run(&importer, &file, dry_run).await
        }
        UserCommand::SetRoles { name, roles } => {
            let roles = parse_roles(&roles)?;
            let user = admin.find(&name).await.map_err(describe)?;
            admin
                .set_roles(&user, roles, Operator::Host, &operator)
                .await
                .map(|u| {
                    let names: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
                    println!("{} now has the roles: {}.", u.username, names.join(", "));
                })
                .map_err(describe)
        }
    }
}
