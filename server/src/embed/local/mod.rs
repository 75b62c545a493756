//! all-MiniLM-L6-v2 (384 dimensions) run in-process by ONNX Runtime on the CPU.
//!
//! ONNX Runtime is loaded at run time from `libonnxruntime.so` in the model directory (the `ort`
//! crate's `load-dynamic`), so building needs no native download. Inference runs on the blocking
//! pool, never on the async workers. Texts are sorted by length and embedded in chunks of
//! [`CHUNK`], padded only to the longest text of each chunk, then mean-pooled over real tokens
//! and normalised, as sentence-transformers does.
//!
//! Four sessions of the model: two for batches (batch writes and the idle job worker on as many
//! threads as cores; the job worker beside requests on one, see [`crate::jobs`]) and two for
//! search queries, so a search never waits for a batch of 32 texts to finish (measured in
//! `bench --bin embed`). Queries run on `model-query.onnx`, the same int8
//! weights multiplied without first turning them into float32 (see [`Role`]): a single short
//! query is bound by reading the weights, not by arithmetic.
//!
//! Batches run on a thread of their own at a low CPU priority (nice 10), which also creates the
//! batch session, so ONNX Runtime's pool threads inherit the priority. A batch uses every core
//! for as long as it runs; at normal priority the requests arriving meanwhile queue behind it
//! for CPU time (the acknowledgement tail with the job worker busy, `bench --bin ack`). Idle
//! cores still go to batches, so throughput alone is unchanged. Not `SCHED_IDLE`: an
//! idle-class batch would starve inline writes, which wait for it, while requests keep the CPU
//! busy.
//!
//! A query runs on as many threads as cores while no batch is being embedded, and on one
//! thread beside a batch: more threads make an idle query faster, but beside a running batch
//! they lengthen its tail (docs/benchmarks.md).

pub mod files;

use std::{
    path::Path,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, OnceLock,
    },
};

use ort::{session::Session, value::Tensor};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::{normalize, EmbedError, EmbeddingProvider};
use crate::telemetry::spawn_blocking_with_tracing;

/// Texts per model call: big enough to use both cores well, small enough to bound padding.
pub const CHUNK: usize = 32;
/// sentence-transformers' max_seq_length for this model.
pub const MAX_TOKENS: usize = 256;
const DIMENSIONS: usize = 384;

struct Model {
    /// Batches being embedded right now, or waiting for the batch thread.
    batching: AtomicUsize,
    /// Search queries while no batch runs: all cores.
    queries_wide: Mutex<Session>,
    /// Search queries beside a batch: one core, leaving the batch the other.
    queries: Mutex<Session>,
    tokenizer: Tokenizer,
}

/// What a model session embeds, which decides its graph and how its threads wait.
#[derive(Clone, Copy)]
enum Role {
    /// Stored messages, up to [`CHUNK`] at a time: `model.onnx`, whose vectors do not depend on
    /// a text's batch-mates.
    Batches,
    /// One search query: `model-query.onnx`, the same weights with activations quantised at run
    /// time (scripts/derive-query-model.py): reading a quarter of the bytes roughly halves a
    /// query's time.
    Queries,
}

impl Role {
    /// ONNX Runtime's session settings for this role on `threads` threads.
    fn settings(self, threads: usize) -> &'static [(&'static str, &'static str)] {
        // Pool threads spin after each run by default, taking CPU from queries, the database
        // and the HTTP handlers; batch throughput does not need it (measured unchanged).
        const NO_SPIN: (&str, &str) = ("session.intra_op.allow_spinning", "0");
        // A query spins between the operators of its run and stops when the run ends: the
        // pool thread would otherwise sleep and wake hundreds of times a run, and spinning on
        // after the run would burn CPU the rest of the server needs.
        const SPIN: (&str, &str) = ("session.intra_op.allow_spinning", "1");
        const STOP: (&str, &str) = ("session.force_spinning_stop", "1");
        // Without VNNI, x86 multiplies u8 activations by s8 weights in 16-bit sums that can
        // saturate; this mode avoids that at no measured cost for one query and brings its
        // vectors closer to model.onnx's.
        const PRECISE: (&str, &str) = ("session.x64quantprecision", "1");
        match self {
            Self::Batches => &[NO_SPIN],
            Self::Queries if threads > 1 => &[SPIN, STOP, PRECISE],
            Self::Queries => &[PRECISE],
        }
    }

    fn file(self) -> &'static str {
        match self {
            Self::Batches => "model.onnx",
            Self::Queries => "model-query.onnx",
        }
    }
}

/// Texts for the batch thread, whether to use every core for them (or one), and where to send
/// their vectors.
type BatchJob = (
    Vec<String>,
    bool,
    tokio::sync::oneshot::Sender<Result<Vec<Vec<f32>>, EmbedError>>,
);

pub struct LocalProvider {
    model: Arc<Model>,
    /// To the batch thread, which owns the batch sessions (all cores or one, low priority).
    batches: std::sync::mpsc::Sender<BatchJob>,
}

/// Lowers the calling thread's CPU priority (on Linux the nice value is per thread, and the
/// threads it starts inherit it). Best effort: a failure leaves the priority as it was.
fn lower_priority() {
    let me = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(me), 10) {
        tracing::warn!(error = %e, "could not lower the batch embedding thread's priority");
    }
}

/// ONNX Runtime allows one environment per process; every provider (and every test app in one
/// test process) shares it.
fn environment(library: &Path) -> Result<&'static ort::environment::Environment, EmbedError> {
    static ENV: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        ort::init_from(library)
            .map_err(|e| format!("loading ONNX Runtime from {}: {e}", library.display()))?
            .with_name("memory-mesh")
            .build()
            .map_err(|e| format!("starting ONNX Runtime: {e}"))
    })
    .as_ref()
    .map_err(|e| EmbedError::config(e.clone()))
}

impl LocalProvider {
    /// Verifies and loads the model files in `dir`.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        files::verify(dir)?;
        let env = environment(&dir.join("libonnxruntime.so"))?;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let files = dir.to_path_buf();
        let session = move |threads: usize, role: Role| {
            let load_error = |e: &dyn std::fmt::Display| {
                EmbedError::config(format!("loading {}: {e}", role.file()))
            };
            let mut builder = Session::builder(env)
                .map_err(|e| load_error(&e))?
                .with_intra_threads(threads)
                .map_err(|e| load_error(&e))?;
            for (key, value) in role.settings(threads) {
                builder = builder
                    .with_config_entry(key, value)
                    .map_err(|e| load_error(&e))?;
            }
            builder
                .commit_from_file(files.join(role.file()))
                .map_err(|e| load_error(&e))
        };
        let (queries_wide, queries) =
            (session(threads, Role::Queries)?, session(1, Role::Queries)?);
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| EmbedError::config(format!("loading tokenizer.json: {e}")))?;
        // The shipped tokenizer pads every input to 128 tokens; pad per batch instead (about 4x
        // less work on chat-length messages) and truncate where the model was trained to.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| EmbedError::config(format!("configuring the tokenizer: {e}")))?;
        let model = Arc::new(Model {
            batching: AtomicUsize::new(0),
            queries_wide: Mutex::new(queries_wide),
            queries: Mutex::new(queries),
            tokenizer,
        });
        // The batch thread makes its session after lowering its priority (so the session's
        // pool threads are born with it) and says whether that worked before taking jobs.
        let (jobs, inbox) = std::sync::mpsc::channel::<BatchJob>();
        let (ready, started) = std::sync::mpsc::channel();
        let thread_model = model.clone();
        std::thread::Builder::new()
            .name("embed-batches".into())
            .spawn(move || {
                lower_priority();
                let sessions = session(threads, Role::Batches)
                    .and_then(|wide| Ok((wide, session(1, Role::Batches)?)));
                let (wide, narrow) = match sessions {
                    Ok((wide, narrow)) => (Mutex::new(wide), Mutex::new(narrow)),
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let _ = ready.send(Ok(()));
                // Ends when the provider (every sender) is dropped.
                for (texts, all_cores, reply) in inbox {
                    let batches = if all_cores { &wide } else { &narrow };
                    // A panic in one batch fails that batch, not every later one.
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        thread_model.embed_sorted(batches, &texts, &|| reply.is_closed())
                    }))
                    .unwrap_or_else(|_| Err(EmbedError::runtime("local model: a batch panicked")));
                    let _ = reply.send(result);
                    thread_model.batching.fetch_sub(1, Ordering::SeqCst);
                }
            })
            .map_err(|e| EmbedError::config(format!("starting the batch thread: {e}")))?;
        started
            .recv()
            .map_err(|_| EmbedError::config("the batch thread stopped while loading"))??;
        Ok(Self {
            model,
            batches: jobs,
        })
    }

    /// Hands `texts` to the batch thread: on every core, or on one beside requests.
    async fn embed_batch(
        &self,
        texts: Vec<String>,
        all_cores: bool,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, vectors) = tokio::sync::oneshot::channel();
        // Counted from now until the batch thread is done with it (it decrements), so queries
        // keep to one core while a batch waits or runs.
        self.model.batching.fetch_add(1, Ordering::SeqCst);
        if self.batches.send((texts, all_cores, reply)).is_err() {
            self.model.batching.fetch_sub(1, Ordering::SeqCst);
            return Err(EmbedError::runtime("local model: the batch thread stopped"));
        }
        vectors
            .await
            .map_err(|_| EmbedError::runtime("local model: the batch thread stopped"))?
    }
}

impl Model {
    /// Embeds `texts` chunk by chunk; stops between chunks once `abandoned` (nobody waits for
    /// the vectors any more: a write that ran out of time queued its texts instead).
    fn embed_sorted(
        &self,
        session: &Mutex<Session>,
        texts: &[String],
        abandoned: &dyn Fn() -> bool,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        // Sort by length so each chunk pads little; remember where each text came from.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(CHUNK) {
            if abandoned() {
                return Err(EmbedError::runtime("local model: the batch was abandoned"));
            }
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
            for (&i, vector) in chunk.iter().zip(self.embed_chunk(session, &batch)?) {
                out[i] = vector;
            }
        }
        Ok(out)
    }

    fn embed_chunk(
        &self,
        session: &Mutex<Session>,
        texts: &[&str],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            EmbedError::runtime(format!("local model: {what}: {e}"))
        };
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| fail("tokenizing", &e))?;
        let rows = encodings.len();
        let cols = encodings.first().map_or(0, |e| e.get_ids().len());
        let flat = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Vec<i64> {
            encodings
                .iter()
                .flat_map(|e| f(e).iter().map(|&x| i64::from(x)))
                .collect()
        };
        let ids = flat(&|e| e.get_ids());
        let mask = flat(&|e| e.get_attention_mask());
        let types = flat(&|e| e.get_type_ids());
        let tensor = |data: Vec<i64>| {
            Tensor::from_array(([rows, cols], data)).map_err(|e| fail("building input", &e))
        };
        let inputs = ort::inputs![
            "input_ids" => tensor(ids)?,
            "attention_mask" => tensor(mask.clone())?,
            "token_type_ids" => tensor(types)?,
        ];
        let mut session = session.lock().map_err(|_| fail("session", &"poisoned"))?;
        let outputs = session.run(inputs).map_err(|e| fail("inference", &e))?;
        let (shape, hidden) = outputs["last_hidden_state"]
            .try_extract_tensor::<f32>()
            .map_err(|e| fail("reading output", &e))?;
        let dims = shape[2] as usize;
        let mut vectors = Vec::with_capacity(rows);
        for r in 0..rows {
            let mut pooled = vec![0f32; dims];
            let mut count = 0f32;
            for c in 0..cols {
                if mask[r * cols + c] == 0 {
                    continue;
                }
                count += 1.0;
                let token = &hidden[(r * cols + c) * dims..(r * cols + c + 1) * dims];
                pooled.iter_mut().zip(token).for_each(|(p, t)| *p += t);
            }
            pooled.iter_mut().for_each(|p| *p /= count.max(1.0));
            normalize(&mut pooled);
            vectors.push(pooled);
        }
        Ok(vectors)
    }
}

#[async_trait::async_trait]
impl EmbeddingProvider for LocalProvider {
    fn model_id(&self) -> &str {
        "all-MiniLM-L6-v2-int8"
    }

    fn dimensions(&self) -> usize {
        DIMENSIONS
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_batch(texts, true).await
    }

    async fn embed_beside_requests(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_batch(texts, false).await
    }

    async fn embed_query(&self, text: String) -> Result<Vec<f32>, EmbedError> {
        let model = self.model.clone();
        spawn_blocking_with_tracing(move || {
            let session = if model.batching.load(Ordering::SeqCst) == 0 {
                &model.queries_wide
            } else {
                &model.queries
            };
            model.embed_chunk(session, &[&text])
        })
        .await
        .map_err(|e| EmbedError::runtime(format!("local model task failed: {e}")))?
        .and_then(|mut v| {
            v.pop()
                .ok_or_else(|| EmbedError::runtime("local model: no vector for the query"))
        })
    }
}
