//! The store: one interface over SQLite (default) and PostgreSQL.
//!
//! The store holds a typed pool for one of the two (see [`Pool`]) and runs the same SQL on
//! either through [`on_pool!`] and [`on_tx!`], which expand one expression once per backend;
//! only the migrations differ (`migrations/sqlite`, `migrations/postgres`). Rows decode into
//! one `FromRow` struct per record, the same for both. Dates and instants are `date` and
//! `timestamptz` columns on PostgreSQL and fixed-format, schema-checked ISO text on SQLite
//! (text order is time order), bound and read through [`values`]'s `Day` and `Instant`. One
//! implementation, tested on both backends by the same contract suite, is what keeps two
//! backends from doubling the maintenance.

/// Run `$body` with `$p` bound to the store's typed pool, whichever backend it is: the body is
/// written once and type-checked for each. Both arms must give one type, so an `execute` is
/// mapped to its `rows_affected()`.
macro_rules! on_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}

/// Run `$body` with `$c` bound to the open transaction's connection, whichever backend it is.
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::store::DriverTx::Sqlite(tx) => {
                let $c = &mut **tx;
                $body
            }
            $crate::store::DriverTx::Postgres(tx) => {
                let $c = &mut **tx;
                $body
            }
        }
    };
}

mod archive;
mod as_it_stood;
mod backup;
mod boards;
mod contention;
mod deliveries;
mod gateway;
mod indicators;
mod meetings;
mod notifications;
mod records;
mod redaction;
mod settings_history;
mod transaction;
mod values;
mod webhooks;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};

pub use archive::{
    ArchiveEntry, ArchivedDestination, ArchivedDigest, EarlierDigest, NewArchivedDigest, PostedBy,
};
pub use as_it_stood::RecordAsItStood;
pub use backup::{inspect_backup, restore_sqlite};
pub use contention::{retry_conflicts, Retryable, SQLITE_BUSY_TIMEOUT};
pub use deliveries::{
    AttemptRecord, Claim, DeliveryRecord, Finish, LapsedPost, PartRecord, PostKey, PostOutcome,
    PostedMessage, SentReminder,
};
pub use gateway::ShardHolder;
pub(crate) use indicators::{FigureSlot, StoredFigure};
pub use notifications::NotifyChoice;
pub use records::ActionFilter;
pub(crate) use records::StoredAction;
pub use redaction::{
    ArchivedTexts, EntryTexts, MessageEdit, MessageEditOutcome, PostedDiscordMessage,
    RedactionRecord,
};
pub(crate) use transaction::StoredRecommendation;
pub use transaction::Transaction;

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL. It may hold a password, so it never prints in full: `Display` and `Debug`
/// show it with the password replaced by `***`.
#[derive(Clone)]
pub struct DatabaseUrl(secrecy::SecretString);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(secrecy::SecretString::from(url.into()))
    }

    /// The full URL, for the driver only.
    fn expose(&self) -> &str {
        use secrecy::ExposeSecret;
        self.0.expose_secret()
    }

    pub fn backend(&self) -> Result<Backend, StoreError> {
        let url = self.expose();
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(self.redacted()))
        }
    }

    /// The URL with any password hidden, safe for logs and messages: the one in the user
    /// information (`postgres://user:***@host/db`) and those given as query parameters
    /// (`?password=***`, `?sslpassword=***`).
    pub fn redacted(&self) -> String {
        let url = self.expose();
        match url::Url::parse(url) {
            Ok(mut parsed) => {
                let query = parsed.query().map(redact_query);
                if parsed.password().is_none() && query.as_deref() == parsed.query() {
                    // Nothing to hide: show the URL exactly as given.
                    return url.to_string();
                }
                if parsed.password().is_some() {
                    let _ = parsed.set_password(Some("***"));
                }
                parsed.set_query(query.as_deref());
                parsed.to_string()
            }
            // Not a URL we can parse: show only the scheme, in case the rest holds a secret.
            Err(_) => match url.split_once(':') {
                Some((scheme, _)) => format!("{scheme}:…"),
                None => "(unparseable database URL)".to_string(),
            },
        }
    }

    /// Refuse a PostgreSQL URL parameter the driver does not understand. The driver would log
    /// it with its value and carry on, and such a parameter (`sslpassword`, say) may hold a
    /// secret: the error names the parameter only.
    fn check_parameters(&self) -> Result<(), StoreError> {
        const UNDERSTOOD: [&str; 18] = [
            "sslmode",
            "ssl-mode",
            "sslrootcert",
            "ssl-root-cert",
            "ssl-ca",
            "sslcert",
            "ssl-cert",
            "sslkey",
            "ssl-key",
            "statement-cache-capacity",
            "host",
            "hostaddr",
            "port",
            "dbname",
            "user",
            "password",
            "application_name",
            "options",
        ];
        if self.backend()? != Backend::Postgres {
            return Ok(());
        }
        let Ok(parsed) = url::Url::parse(self.expose()) else {
            return Ok(());
        };
        for (key, _) in parsed.query_pairs() {
            if !UNDERSTOOD.contains(&key.as_ref()) {
                return Err(StoreError::UnsupportedParameter {
                    url: self.redacted(),
                    parameter: key.into_owned(),
                });
            }
        }
        Ok(())
    }

    /// For SQLite, the file path (None for in-memory databases and other backends).
    pub fn sqlite_path(&self) -> Option<String> {
        let rest = self.expose().strip_prefix("sqlite:")?;
        let rest = rest.trim_start_matches("//");
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty() && path != ":memory:").then(|| path.to_string())
    }
}

/// A URL's query with the value of every password parameter (`password`, `sslpassword`, in
/// any case, however encoded) replaced by `***`; the other parameters are left as written.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or(pair);
            let decoded: String = url::form_urlencoded::parse(name.as_bytes())
                .map(|(key, _)| key.into_owned())
                .collect();
            if decoded.to_ascii_lowercase().contains("password") {
                format!("{name}=***")
            } else {
                pair.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// What went wrong talking to the database, phrased so the person running the command can act.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} is not a database URL this bot understands; use sqlite://FILE.db or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("the database URL {url} has a parameter {parameter} that the PostgreSQL driver does not understand (it would be ignored); remove it. Understood: sslmode, sslrootcert, sslcert, sslkey, host, hostaddr, port, dbname, user, password, application_name, options, statement-cache-capacity")]
    UnsupportedParameter { url: String, parameter: String },
    #[error("could not connect to the database at {url}: {cause}. Check that the server is running and the URL (host, port, user, database name) is right")]
    Unreachable { url: String, cause: String },
    #[error("the database at {url} is read-only: {cause}. Make the file and its folder writable (e.g. chmod u+w), or point --database-url at a writable file")]
    ReadOnly { url: String, cause: String },
    #[error("could not bring the database schema up to date at {url}: {cause}")]
    Migration { url: String, cause: String },
    #[error("the database was busy with other changes for more than {waited_secs} seconds, so nothing was saved; try again in a moment")]
    Busy { waited_secs: u64 },
    #[error("another change to the same record was being saved at the same moment, and this one still collided after several tries, so nothing was saved; try again ({0})")]
    Conflict(String),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unsupported(String),
}

impl StoreError {
    /// True when the error is SQLite refusing to write a read-only file.
    fn is_read_only(err: &sqlx::Error) -> bool {
        let text = err.to_string();
        text.contains("readonly database") || text.contains("read-only")
    }

    /// Turn a driver error into a message for the person, naming the database safely.
    pub(crate) fn classify(err: sqlx::Error, url: &DatabaseUrl) -> Self {
        if Self::is_read_only(&err) {
            return StoreError::ReadOnly {
                url: url.redacted(),
                cause: err.to_string(),
            };
        }
        StoreError::from(err)
    }
}

impl From<sqlx::Error> for StoreError {
    /// A busy database or a collision with a concurrent change becomes [`StoreError::Busy`] or
    /// [`StoreError::Conflict`], so it is retried or told in words, never as a driver message.
    fn from(err: sqlx::Error) -> Self {
        contention::contention(&err).unwrap_or(StoreError::Database(err))
    }
}

/// The database behind the bot. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    url: DatabaseUrl,
    /// SQLite: this process's writers take turns here, so the next one starts the moment the
    /// last commits. Left to SQLite's busy handler alone they sleep and poll, which showed in
    /// the tail of a burst of fifty updates (max 49 ms against 40 ms with the queue, see
    /// BENCHMARKS.md); other processes still meet the busy timeout.
    write_turn: Arc<tokio::sync::Semaphore>,
}

/// A place in this process's queue of SQLite writers, held until the transaction ends.
pub(crate) type WriteTurn = Option<tokio::sync::OwnedSemaphorePermit>;

/// The typed connection pool behind the store.
#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }
}

/// An open driver transaction on either backend.
pub(crate) enum DriverTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl DriverTx {
    async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            DriverTx::Sqlite(tx) => tx.commit().await,
            DriverTx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// How a failed first connection reads to the person.
fn unreachable(url: &DatabaseUrl, e: sqlx::Error) -> StoreError {
    if StoreError::is_read_only(&e) {
        StoreError::ReadOnly {
            url: url.redacted(),
            cause: e.to_string(),
        }
    } else {
        StoreError::Unreachable {
            url: url.redacted(),
            cause: e.to_string(),
        }
    }
}

/// Connect once, with a time limit, so a failure says why (refused, unknown host, bad
/// password, no such database) rather than the pool's bare "timed out".
async fn try_connect<O>(url: &DatabaseUrl, options: &O) -> Result<(), StoreError>
where
    O: ConnectOptions,
    O::Connection: Sized,
{
    match tokio::time::timeout(Duration::from_secs(10), options.connect()).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(unreachable(url, e)),
        Err(_) => Err(StoreError::Unreachable {
            url: url.redacted(),
            cause: "no answer within 10 seconds".into(),
        }),
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("url", &self.url)
            .finish()
    }
}

impl Store {
    /// Connect, creating a SQLite file if it is missing, and run any pending migrations.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, StoreError> {
        let backend = url.backend()?;
        url.check_parameters()?;
        let mut raw = url.expose().to_string();
        if backend == Backend::Sqlite && !raw.contains("mode=") && !raw.contains(":memory:") {
            raw.push_str(if raw.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        let bad_url = |e: sqlx::Error| StoreError::Unreachable {
            url: url.redacted(),
            cause: e.to_string(),
        };
        let pool = match backend {
            Backend::Sqlite => {
                // WAL lets the bot read while an import writes; NORMAL sync is safe with WAL
                // and much faster for bulk imports. Memory-mapped reads and a larger page
                // cache let a digest read a big board without a system call per page (the
                // default cache is 2 MB). The busy timeout makes a writer queue behind another
                // process's instead of failing at once.
                let options = SqliteConnectOptions::from_str(&raw)
                    .map_err(bad_url)?
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .pragma("mmap_size", "268435456")
                    .pragma("cache_size", "-16000")
                    // Freed space is zeroed, so text a redaction removes (or any older copy of
                    // a row an update moved) does not linger in the file's free pages.
                    .pragma("secure_delete", "ON");
                try_connect(url, &options).await?;
                Pool::Sqlite(
                    SqlitePoolOptions::new()
                        // SQLite serialises writers anyway; a handful of connections serves
                        // readers.
                        .max_connections(4)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect_with(options)
                        .await
                        .map_err(|e| unreachable(url, e))?,
                )
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(&raw).map_err(bad_url)?;
                try_connect(url, &options).await?;
                Pool::Postgres(
                    PgPoolOptions::new()
                        .max_connections(10)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect_with(options)
                        .await
                        .map_err(|e| unreachable(url, e))?,
                )
            }
        };
        let store = Self {
            pool,
            url: url.clone(),
            write_turn: Arc::new(tokio::sync::Semaphore::new(1)),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Apply any migrations not yet applied. Safe to run from several processes at once.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let ran = match &self.pool {
            Pool::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await,
            Pool::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await,
        };
        ran.map_err(|e| {
            let cause = e.to_string();
            if cause.contains("readonly database") {
                StoreError::ReadOnly {
                    url: self.url.redacted(),
                    cause,
                }
            } else {
                StoreError::Migration {
                    url: self.url.redacted(),
                    cause,
                }
            }
        })
    }

    /// Names of the migrations applied so far, oldest first.
    pub async fn applied_migrations(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT description FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(|(d,)| d).collect())
    }

    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Start a write transaction: everything written through it lands together or not at all.
    /// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), waiting its turn behind
    /// other writers, so reading then writing inside it can never fail on a lock upgrade; on
    /// PostgreSQL the reads that a change is based on lock their rows (see
    /// [`Transaction::action`]).
    ///
    /// A transaction must not be begun while the same task holds another: on SQLite it would
    /// wait for its own turn.
    pub async fn begin(&self) -> Result<Transaction, StoreError> {
        let (tx, turn) = self
            .begin_raw()
            .await
            .map_err(|e| StoreError::classify(e, &self.url))?;
        Ok(Transaction::new(tx, turn, self.url.clone()))
    }

    /// A driver transaction that writes safely beside other writers (see [`Store::begin`]),
    /// with this process's writing turn on SQLite; keep the turn until the transaction ends.
    pub(crate) async fn begin_raw(&self) -> Result<(DriverTx, WriteTurn), sqlx::Error> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let turn = self.write_turn.clone().acquire_owned().await.ok();
                let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok((DriverTx::Sqlite(tx), turn))
            }
            Pool::Postgres(pool) => Ok((DriverTx::Postgres(pool.begin().await?), None)),
        }
    }

    /// Answer a trivial query: whether the database is there and answering right now.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(&self.pool, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Close the pool, waiting for connections to finish (SQLite checkpoints its WAL).
    pub async fn close(&self) {
        on_pool!(&self.pool, |p| p.close().await);
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_never_show_passwords() {
        let url = DatabaseUrl::new("postgres://board:s3cret@db.example:5432/briefing");
        assert_eq!(
            url.redacted(),
            "postgres://board:***@db.example:5432/briefing"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(!url.to_string().contains("s3cret"));
        assert_eq!(url.backend().unwrap(), Backend::Postgres);
    }

    #[test]
    fn passwords_in_query_parameters_are_hidden_too() {
        let cases = [
            (
                "postgres://u@127.0.0.1:1/x?password=secret",
                "postgres://u@127.0.0.1:1/x?password=***",
            ),
            (
                "postgres://u@127.0.0.1:1/x?sslmode=require&sslpassword=secret&application_name=bot",
                "postgres://u@127.0.0.1:1/x?sslmode=require&sslpassword=***&application_name=bot",
            ),
            (
                "postgres://u:secret@127.0.0.1:1/x?PASSWORD=secret&pass%77ord=secret",
                "postgres://u:***@127.0.0.1:1/x?PASSWORD=***&pass%77ord=***",
            ),
            (
                "postgresql://u@h/x?password=&sslmode=disable",
                "postgresql://u@h/x?password=***&sslmode=disable",
            ),
            (
                "postgres://u@h/x?password",
                "postgres://u@h/x?password=***",
            ),
            ("sqlite:///tmp/x.db?mode=rwc", "sqlite:///tmp/x.db?mode=rwc"),
        ];
        for (url, shown) in cases {
            let url = DatabaseUrl::new(url);
            assert_eq!(url.redacted(), shown);
            assert!(!format!("{url:?}").contains("secret"), "{url:?}");
            assert!(!url.to_string().contains("secret"), "{url}");
        }
    }

    #[test]
    fn an_unparseable_url_shows_only_its_scheme() {
        let url = DatabaseUrl::new("postgres://u@[bad/x?password=secret");
        assert_eq!(url.redacted(), "postgres:…");
        assert_eq!(
            DatabaseUrl::new("no scheme password=secret").redacted(),
            "(unparseable database URL)"
        );
    }

    #[test]
    fn sqlite_paths_and_unknown_schemes() {
        assert_eq!(
            DatabaseUrl::new("sqlite://briefing.db")
                .sqlite_path()
                .as_deref(),
            Some("briefing.db")
        );
        assert_eq!(
            DatabaseUrl::new("sqlite:///tmp/x.db?mode=rwc")
                .sqlite_path()
                .as_deref(),
            Some("/tmp/x.db")
        );
        assert!(DatabaseUrl::new("mysql://root@localhost/x")
            .backend()
            .is_err());
    }
}
