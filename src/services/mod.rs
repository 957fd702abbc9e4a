//! What people do with the record, as functions. Slash commands, the CLI and the scheduler are
//! thin adapters over these; tests call them directly.

pub mod actions;
pub mod boards;
pub mod export;
pub mod import;
pub mod indicator_export;
pub mod indicators;
pub mod redact;
pub mod settings;

use crate::store::StoreError;

/// Why a request could not be carried out. Every variant but `Store` is something the person
/// can fix, and says how.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("there is no {what} {reference} on this board. {hint}")]
    NotFound {
        what: &'static str,
        reference: String,
        hint: String,
    },
    #[error("{0}")]
    Rejected(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    pub(crate) fn rejected(message: impl Into<String>) -> Self {
        ServiceError::Rejected(message.into())
    }
}

impl crate::store::Retryable for ServiceError {
    fn is_conflict(&self) -> bool {
        matches!(self, ServiceError::Store(e) if e.is_conflict())
    }
}
