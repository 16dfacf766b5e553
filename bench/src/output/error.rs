//! [`FileError`]: a file of a run, a report or the store that could not be created, read,
//! parsed or written, with its path and the cause.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A file or directory that could not be created, read, parsed or written.
#[derive(Debug)]
pub enum FileError {
    /// The file or directory could not be created.
    Create {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// The file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// The file was read but its contents are not JSON.
    NotJson {
        /// The file.
        path: PathBuf,
        /// The parser's explanation.
        cause: serde_json::Error,
    },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Create { path, cause } => write!(f, "cannot create {}: {cause}", path.display()),
            FileError::Read { path, cause } => write!(f, "cannot read {}: {cause}", path.display()),
            FileError::Write { path, cause } => write!(f, "cannot write {}: {cause}", path.display()),
            FileError::NotJson { path, cause } => write!(f, "{} is not JSON: {cause}", path.display()),
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FileError::Create { cause, .. }
            | FileError::Read { cause, .. }
            | FileError::Write { cause, .. } => Some(cause),
            FileError::NotJson { cause, .. } => Some(cause),
        }
    }
}
