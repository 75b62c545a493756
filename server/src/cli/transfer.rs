//! `memory-mesh export` and `memory-mesh import`: a tenant out of the database the settings
//! name, as JSON lines, and back into one (docs/export.md). Whoever can run them can read the
//! database anyway, so they need no credential. Progress goes to stderr (a bar on a
//! terminal), the summary too: stdout may be the export itself.

use std::{
    io::{BufRead, Write},
    path::{Path, PathBuf},
};

use anyhow::Context;
use app::wire::export::ExportRecord;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use crate::{
    config::Settings,
    jobs,
    service::{export, import::Importer, Services},
    store,
};

pub async fn export(
    settings: Settings,
    tenant: String,
    output: Option<PathBuf>,
    vectors: bool,
) -> anyhow::Result<()> {
    let svc = Services::open(settings).await?;
    let mut out: Box<dyn Write + Send> = match &output {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout()),
    };
    let mut out = std::io::BufWriter::new(&mut out);
    let options = export::Options { vectors };
    let mut records = std::pin::pin!(export::records(&svc, tenant, options));
    let mut lines = 0u64;
    while let Some(record) = records.next().await {
        let record = record.map_err(|e| anyhow::anyhow!("exporting: {e}"))?;
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
        lines += 1;
        if let ExportRecord::End(counts) = &record {
            eprintln!(
                "exported {} conversations, {} messages, {} retention rules ({lines} lines)",
                counts.conversations, counts.messages, counts.retention_rules
            );
        }
    }
    out.flush()?;
    Ok(())
}

pub async fn import(
    settings: Settings,
    file: PathBuf,
    admin: Option<String>,
    embed: bool,
) -> anyhow::Result<()> {
    let svc = Services::open(settings).await?;
    let (progress, lines) = read_lines(&file)?;
    let mut importer = Importer::new(&svc, admin.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut lines = lines;
    while let Some((n, line)) = lines.recv().await {
        let line = line.with_context(|| format!("reading {}", file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: ExportRecord = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("line {n}: not an export record: {e}"))?;
        importer
            .add(record)
            .await
            .map_err(|e| anyhow::anyhow!("line {n}: {e}"))?;
        progress.set_message(format!("{} messages", importer.report().read.messages));
    }
    let report = importer
        .finish()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    progress.finish_and_clear();
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
    if report.queued > 0 {
        if embed {
            embed_queued(&svc, report.queued).await?;
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

/// The file's lines, numbered from 1, read and sent by a blocking thread; and the progress
/// bar over its bytes.
#[allow(clippy::type_complexity)]
fn read_lines(
    file: &Path,
) -> anyhow::Result<(ProgressBar, mpsc::Receiver<(u64, std::io::Result<String>)>)> {
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
            let failed = line.is_err();
            if tx.blocking_send((i as u64 + 1, line)).is_err() || failed {
                break;
            }
        }
    });
    Ok((progress, rx))
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
