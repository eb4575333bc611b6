//! Bounded reads of local inputs: a configuration file, a PEM key, a webhook body from a file
//! or standard input. Each is read up to its bound and refused beyond it, so `/dev/zero`,
//! `/dev/urandom` or an endless FIFO end in an error naming the file and the bound instead of
//! growing until the process is killed.

use std::io::Read;
use std::path::Path;

use crate::error::CliError;

/// A program configuration file (`program configure`).
pub(crate) const CONFIG_BYTES: u64 = 1024 * 1024;
/// A PEM public key (`webhooks verify --key`).
pub(crate) const KEY_BYTES: u64 = 64 * 1024;
/// A webhook body, a JWT (`webhooks verify`): axum's default body limit, as the SDK's
/// `VerifiedWebhook` applies.
pub(crate) const WEBHOOK_BYTES: u64 = 2 * 1024 * 1024;

/// Reads `source` (`-` for standard input), at most `limit` bytes. `what` names the input in
/// errors (`--key`, `the configuration file`).
pub(crate) fn read(source: &Path, limit: u64, what: &str) -> Result<Vec<u8>, CliError> {
    let (name, reader): (String, Box<dyn Read>) = if source.as_os_str() == "-" {
        ("standard input".to_owned(), Box::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(source)
            .map_err(|e| CliError::usage(format!("{what} {}: {e}", source.display())))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(CliError::usage(format!(
                "{what} {}: is a directory",
                source.display()
            )));
        }
        (source.display().to_string(), Box::new(file))
    };
    read_from(reader, limit, what, &name)
}

/// `config.toml`, which holds the profiles.
pub(crate) const PROFILES_BYTES: u64 = 1024 * 1024;

/// [`read_text`] of a file that may not exist yet (`None` then).
pub(crate) fn read_text_if_exists(
    path: &Path,
    limit: u64,
    what: &str,
) -> Result<Option<String>, CliError> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => read_text(path, limit, what).map(Some),
    }
}

/// Reads `source` as UTF-8 text, at most `limit` bytes.
pub(crate) fn read_text(source: &Path, limit: u64, what: &str) -> Result<String, CliError> {
    let bytes = read(source, limit, what)?;
    String::from_utf8(bytes).map_err(|e| {
        CliError::usage(format!(
            "{what} {}: not UTF-8 text (at byte {})",
            source.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

fn read_from(reader: impl Read, limit: u64, what: &str, name: &str) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::usage(format!("{what} {name}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(CliError::usage(format!(
            "{what} {name}: larger than the bound of {limit} bytes"
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_within_the_bound_and_refuses_beyond_it_naming_both() {
        let within = read_from(&b"0123456789"[..], 10, "--key", "k.pem").unwrap();
        assert_eq!(within, b"0123456789");
        let err = read_from(&b"0123456789!"[..], 10, "--key", "k.pem").unwrap_err();
        assert_eq!(
            err.to_string(),
            "--key k.pem: larger than the bound of 10 bytes"
        );
        // An endless reader stops at the bound plus one byte.
        let endless = std::io::repeat(0);
        let err = read_from(endless, 1024, "the configuration file", "/dev/zero").unwrap_err();
        assert!(err.to_string().contains("1024 bytes"), "{err}");
    }

    #[test]
    fn devices_and_directories_are_refused_clearly() {
        if Path::new("/dev/zero").exists() {
            let err = read(Path::new("/dev/zero"), 4096, "the configuration file").unwrap_err();
            assert!(
                err.to_string()
                    .contains("/dev/zero: larger than the bound of 4096 bytes"),
                "{err}"
            );
        }
        let dir = std::env::temp_dir();
        let err = read(&dir, 10, "--key").unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }
}
