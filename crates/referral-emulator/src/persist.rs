//! The emulator's earlier state format, a whole `State` as one JSON file: read once, to import
//! it into the store (see `store.rs`). Nothing writes it any more.

use std::io::BufReader;
use std::path::Path;

use crate::state::State;

/// Reads a JSON state file, streaming (such files reached hundreds of megabytes).
pub(crate) fn load_json(path: &Path) -> std::io::Result<State> {
    let file = std::fs::File::open(path)?;
    serde_json::from_reader(BufReader::new(file)).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}
