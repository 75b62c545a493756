//! `memory-mesh export` and `memory-mesh import`: a tenant, or the whole instance, out of the
//! database the settings name as JSON lines, and back into one (docs/export.md). Whoever can
//! run them can read the database anyway, so they need no credential. Progress goes to stderr
//! (a bar on a terminal), the summary too: stdout may be the export itself.

use std::{
    io::{BufRead, Write},
    path::{Path, PathBuf},
};

use anyhow::{anyhow, Context};
use app::wire::export::ExportRecord;
use futures_util::{Stream, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use crate::{
    config::Settings,
    jobs,
    service::{
        export,
        import::{ImportReport, Importer},
        instance::{self, AccountRecord, InstanceImporter, InstanceLine},
        ServiceError, Services,
    },
    store,
};

/// What `memory-mesh export` writes.
pub enum Scope {
    Tenant(String),
    Instance,
}

pub async fn export(
    settings: Settings,
    scope: Scope,
    output: Option<PathBuf>,
    vectors: bool,
) -> anyhow::Result<()> {
    let svc = Services::open(settings).await?;
    let options = export::Options { vectors };
    let out: Box<dyn Write + Send> = match &output {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout()),
    };
    let mut out = std::io::BufWriter::new(out);
    match scope {
        Scope::Tenant(tenant) => {
            let records = export::records(&svc, tenant, options);
            let end = write_lines(&mut out, records).await?;
            if let Some(ExportRecord::End(c)) = end {
                eprintln!(
                    "exported {} conversations, {} messages, {} retention rules",
                    c.conversations, c.messages, c.retention_rules
                );
            }
        }
        Scope::Instance => {
            let end = write_lines(&mut out, instance::records(&svc, options)).await?;
            if let Some(InstanceLine::Account(AccountRecord::InstanceEnd(c))) = end {
                eprintln!(
                    "exported {} users, {} tenants, {} memberships, {} API keys",
                    c.users, c.tenants, c.memberships, c.api_keys
                );
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes each record as a line; returns the last.
async fn write_lines<T: serde::Serialize>(
    out: &mut impl Write,
    records: impl Stream<Item = Result<T, ServiceError>>,
) -> anyhow::Result<Option<T>> {
    let mut records = std::pin::pin!(records);
    let mut last = None;
    while let Some(record) = records.next().await {
        let record = record.map_err(|e| anyhow!("exporting: {e}"))?;
        serde_json::to_writer(&mut *out, &record)?;
        out.write_all(b"\n")?;
        last = Some(record);
    }
    Ok(last)
}

pub async fn import(
    settings: Settings,
    file: PathBuf,
    admin: Option<String>,
    embed: bool,
) -> anyhow::Result<()> {
    let svc = Services::open(settings).await?;
    let (progress, mut lines) = read_lines(&file)?;
    let Some((_, first)) = lines.recv().await else {
        anyhow::bail!("{} is empty", file.display());
    };
    let queued = match first? {
        InstanceLine::Account(header @ AccountRecord::Instance(_)) => {
            let mut importer = InstanceImporter::new(&svc);
            importer
                .add(InstanceLine::Account(header))
                .await
                .map_err(|e| anyhow!("line 1: {e}"))?;
            while let Some((n, line)) = lines.recv().await {
                importer
                    .add(line?)
                    .await
                    .map_err(|e| anyhow!("line {n}: {e}"))?;
                let r = importer.report();
                let messages = r
                    .tenants
                    .iter()
                    .chain(importer.tenant())
                    .map(|t| t.read.messages);
                progress.set_message(format!(
                    "{} users, {} tenants, {} messages",
                    r.read.users,
                    r.read.tenants,
                    messages.sum::<u64>()
                ));
            }
            let report = importer.finish().map_err(|e| anyhow!("{e}"))?;
            progress.finish_and_clear();
            let (read, stored) = (&report.read, &report.stored);
            eprintln!(
                "imported the instance: {} of {} users, {} of {} tenants, {} of {} memberships, \
                 {} of {} API keys were new here",
                stored.users,
                read.users,
                stored.tenants,
                read.tenants,
                stored.memberships,
                read.memberships,
                stored.api_keys,
                read.api_keys
            );
            report.tenants.iter().map(summarise).sum()
        }
        InstanceLine::Tenant(first) => {
            let mut importer = Importer::new(&svc, admin.as_deref())
                .await
                .map_err(|e| anyhow!("{e}"))?;
            importer
                .add(first)
                .await
                .map_err(|e| anyhow!("line 1: {e}"))?;
            while let Some((n, line)) = lines.recv().await {
                let InstanceLine::Tenant(record) = line? else {
                    anyhow::bail!("line {n}: an instance export's record in a tenant's export");
                };
                importer
                    .add(record)
                    .await
                    .map_err(|e| anyhow!("line {n}: {e}"))?;
                progress.set_message(format!("{} messages", importer.report().read.messages));
            }
            let report = importer.finish().await.map_err(|e| anyhow!("{e}"))?;
            progress.finish_and_clear();
            summarise(&report)
        }
        InstanceLine::Account(_) => {
            anyhow::bail!("line 1: the first record must be `export` or `instance`")
        }
    };
    if queued > 0 {
        if embed {
            embed_queued(&svc, queued).await?;
        }
        let waiting = store::jobs::outstanding(&svc.db).await?;
        if waiting > 0 {
            eprintln!(
                "{waiting} messages wait for their embedding: the server's job workers embed them"
            );
        }
    }
    Ok(())
}

/// Says what a tenant's import stored; returns how many messages it queued for embedding.
fn summarise(report: &ImportReport) -> u64 {
    let (read, stored) = (&report.read, &report.stored);
    eprintln!(
        "imported tenant {}{}: {} of {} conversations, {} of {} messages, {} of {} retention \
         rules were new here",
        report.tenant_id,
        if report.tenant_created {
            " (created)"
        } else {
            ""
        },
        stored.conversations,
        read.conversations,
        stored.messages,
        read.messages,
        stored.retention_rules,
        read.retention_rules,
    );
    report.queued
}

/// Numbered lines (from 1) parsed, or why one could not be read.
type Lines = mpsc::Receiver<(u64, anyhow::Result<InstanceLine>)>;

/// The file's records, read and parsed by a thread of their own while the previous batch is
/// written; and the progress bar over the file's bytes.
fn read_lines(file: &Path) -> anyhow::Result<(ProgressBar, Lines)> {
    let (reader, progress): (Box<dyn std::io::Read + Send>, ProgressBar) = if file.as_os_str()
        == "-"
    {
        (Box::new(std::io::stdin()), ProgressBar::new_spinner())
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let bar = ProgressBar::new(len).with_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
                .expect("a valid template"),
        );
        (Box::new(f), bar)
    };
    let reader = std::io::BufReader::with_capacity(1 << 20, progress.wrap_read(reader));
    let (tx, rx) = mpsc::channel(1024);
    std::thread::spawn(move || {
        for (i, line) in reader.lines().enumerate() {
            let n = i as u64 + 1;
            let parsed = match line {
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) => {
                    parse(&line).map_err(|e| anyhow!("line {n}: not an export record: {e}"))
                }
                Err(e) => Err(anyhow!("reading line {n}: {e}")),
            };
            let failed = parsed.is_err();
            if tx.blocking_send((n, parsed)).is_err() || failed {
                break;
            }
        }
    });
    Ok((progress, rx))
}

/// A line as the record its `kind` names (so that an error names what is wrong with it).
fn parse(line: &str) -> serde_json::Result<InstanceLine> {
    let value: serde_json::Value = serde_json::from_str(line)?;
    let kind = value
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default();
    if AccountRecord::KINDS.contains(&kind) {
        serde_json::from_value(value).map(InstanceLine::Account)
    } else {
        serde_json::from_value(value).map(InstanceLine::Tenant)
    }
}

/// Runs the embedding queue here until the import's messages are embedded (or the provider
/// fails: the jobs then wait for a server's workers).
async fn embed_queued(svc: &Services, queued: u64) -> anyhow::Result<()> {
    let progress = ProgressBar::new(queued).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} embedded ({per_sec}, {eta})")
            .expect("a valid template"),
    );
    let activity = jobs::Activity::default();
    let worker = jobs::worker_id(0);
    loop {
        let done = jobs::run_once(svc, &activity, &worker).await?;
        if done == 0 {
            break;
        }
        progress.inc(done as u64);
    }
    progress.finish_and_clear();
    Ok(())
}
