//! Backups: a consistent copy of a SQLite database taken while the bot runs, and restoring one.
//! (PostgreSQL has pg_dump and pg_restore, which do this better than we could.)

use std::path::Path;

use sqlx::Connection;

use super::{Backend, DatabaseUrl, Store, StoreError};

impl Store {
    /// Write a consistent snapshot of the database to `out` (SQLite's `VACUUM INTO`: other
    /// connections keep reading and writing while it runs). `out` must not exist yet.
    pub async fn backup_to(&self, out: &Path) -> Result<(), StoreError> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::Unsupported(
                "backup copies SQLite databases; for PostgreSQL use pg_dump, e.g. \
                 `pg_dump --format=custom --file briefing.dump DATABASE_URL` (see the README)"
                    .into(),
            ));
        }
        if out.exists() {
            return Err(StoreError::Unsupported(format!(
                "{} already exists; give a new file name so no backup is overwritten",
                out.display()
            )));
        }
        let target = out.to_string_lossy().replace('\'', "''");
        on_pool!(self.pool(), |p| sqlx::query(&format!(
            "VACUUM INTO '{target}'"
        ))
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(())
    }
}

/// Check that `file` is a briefing-bot SQLite database (it has our schema), without changing
/// it. Returns the number of migrations it has applied.
pub async fn inspect_backup(file: &Path) -> Result<usize, StoreError> {
    let url = DatabaseUrl::new(format!("sqlite://{}?mode=ro", file.display()));
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", file.display()))
        .await
        .map_err(|e| StoreError::Unreachable {
            url: url.redacted(),
            cause: e.to_string(),
        })?;
    let applied: Result<Vec<(String,)>, _> =
        sqlx::query_as("SELECT description FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_all(&mut conn)
            .await;
    let boards: Result<(i64,), _> = sqlx::query_as("SELECT COUNT(*) FROM boards")
        .fetch_one(&mut conn)
        .await;
    let _ = conn.close().await;
    match (applied, boards) {
        (Ok(applied), Ok(_)) => Ok(applied.len()),
        _ => Err(StoreError::Unsupported(format!(
            "{} is not a briefing-bot database (it has no board tables); check the file",
            file.display()
        ))),
    }
}

/// Replace the SQLite database at `target` with the backup at `backup`. The bot must be stopped:
/// the old file and its write-ahead log are replaced whole.
pub async fn restore_sqlite(backup: &Path, target: &Path) -> Result<usize, StoreError> {
    let migrations = inspect_backup(backup).await?;
    let partial = target.with_extension("db.restoring");
    std::fs::copy(backup, &partial).map_err(|e| {
        StoreError::Unsupported(format!(
            "could not copy {} to {}: {e}",
            backup.display(),
            partial.display()
        ))
    })?;
    for suffix in ["-wal", "-shm"] {
        let side = format!("{}{suffix}", target.display());
        let _ = std::fs::remove_file(side);
    }
    std::fs::rename(&partial, target).map_err(|e| {
        StoreError::Unsupported(format!(
            "could not move the restored file into place at {}: {e}",
            target.display()
        ))
    })?;
    Ok(migrations)
}
