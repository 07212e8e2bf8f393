//! `rampart user import FILE.csv`: reads the file as a stream of CSV
//! records (never all of it at once), hands each row to
//! `rampart_core::import::Importer`, reports each refused row on standard
//! error by line number, and ends with a summary.

use crate::config::Config;
use crate::keys::FileKeySource;
use anyhow::Context as _;
use rampart_core::import::{ImportRow, Importer};
use rampart_core::ports::KeySource as _;
use rampart_crypto::legacy::FLASK_SECURITY_SALT_CONTEXT;
use std::collections::BTreeMap;
use std::path::Path;

/// Rows per transaction.
const BATCH: usize = 500;

/// Seals a Flask-Security salt with the configured key ring, so that the
/// database holds it encrypted beside each hash that needs it.
pub fn seal_salt(config: &Config, salt: &[u8]) -> anyhow::Result<String> {
    if salt.is_empty() {
        anyhow::bail!("the password salt is empty");
    }
    let secret = config
        .secret_key
        .as_ref()
        .context("no secret key is configured")?;
    let ring = FileKeySource::new(secret, config.encryption_keys_file.clone())
        .key_ring()
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    ring.encrypt(salt, FLASK_SECURITY_SALT_CONTEXT)
        .map_err(|e| anyhow::anyhow!("cannot seal the password salt: {e}"))
}

fn row_of(record: &csv::StringRecord) -> Result<ImportRow, String> {
    if record.len() < 3 || record.len() > 4 {
        return Err(format!(
            "expected 3 or 4 columns (username,email,password_hash[,roles]), found {}",
            record.len()
        ));
    }
    Ok(ImportRow {
        username: record[0].to_owned(),
        email: record[1].to_owned(),
        password_hash: record[2].to_owned(),
        roles: record
            .get(3)
            .unwrap_or("")
            .split([' ', ';', ','])
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// Imports (or, with `dry_run`, checks) every row of `file`.
pub async fn run(importer: &Importer, file: &Path, dry_run: bool) -> anyhow::Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("cannot open {}", file.display()))?;
    let (mut imported, mut refused) = (0u64, 0u64);
    let mut formats: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut record = csv::StringRecord::new();
    let mut first = true;
    let mut batch: Vec<(u64, ImportRow)> = Vec::with_capacity(BATCH);
    let mut tally = |line: u64, outcome: Result<&'static str, String>| match outcome {
        Ok(format) => {
            imported += 1;
            *formats.entry(format).or_default() += 1;
        }
        Err(problem) => {
            refused += 1;
            eprintln!("line {line}: {problem}");
        }
    };
    loop {
        let more = match reader.read_record(&mut record) {
            Ok(more) => more,
            Err(err) if matches!(err.kind(), csv::ErrorKind::Io(_)) => {
                return Err(anyhow::anyhow!("cannot read {}: {err}", file.display()));
            }
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line() + 1);
                tally(line, Err(format!("unreadable CSV ({err})")));
                continue;
            }
        };
        if more {
            // The reader counts the line breaks before the record (0 for the
            // first); the report uses the file's line numbers, from 1.
            let line = record.position().map_or(0, |p| p.line() + 1);
            if std::mem::take(&mut first) && record.get(0) == Some("username") {
                continue;
            }
            match row_of(&record) {
                Ok(row) => batch.push((line, row)),
                Err(problem) => tally(line, Err(problem)),
            }
        }
        if batch.len() >= BATCH || (!more && !batch.is_empty()) {
            let (lines, rows): (Vec<u64>, Vec<ImportRow>) =
                std::mem::take(&mut batch).into_iter().unzip();
            let outcomes = importer.import_batch(rows, dry_run).await?;
            for (line, outcome) in lines.into_iter().zip(outcomes) {
                tally(line, outcome.map(|f| f.name()).map_err(|e| e.to_string()));
            }
        }
        if !more {
            break;
        }
    }
    let by_format = formats
        .iter()
        .map(|(f, n)| format!("{n} {f}"))
        .collect::<Vec<_>>()
        .join(", ");
    let verb = if dry_run { "would import" } else { "imported" };
    println!(
        "{}{verb} {imported} user{} ({}); {refused} row{} refused.",
        if dry_run { "Dry run: " } else { "" },
        if imported == 1 { "" } else { "s" },
        if by_format.is_empty() {
            "none"
        } else {
            by_format.as_str()
        },
        if refused == 1 { "" } else { "s" },
    );
    if refused > 0 {
        anyhow::bail!("{refused} row(s) were refused; see the messages above");
    }
    Ok(())
}
