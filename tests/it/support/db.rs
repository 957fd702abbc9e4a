//! Real databases for tests: a fresh SQLite file, or a fresh PostgreSQL database on the server
//! named by `TEST_POSTGRES_URL` (skipped, with a note, when it is unset). Each test gets its own
//! database, dropped when the test ends.

use std::sync::atomic::{AtomicU32, Ordering};

use briefing_bot::store::{DatabaseUrl, Store};

/// A database made for one test.
pub struct TestDb {
    pub store: Store,
    /// The URL the store was opened with, for tests that talk to the database directly.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// A PostgreSQL database to drop afterwards.
    _postgres: Option<PostgresDatabase>,
}

impl TestDb {
    /// A raw connection pool to the same database, for checks the store itself won't do.
    pub async fn raw_pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.url)
            .await
            .expect("raw connection")
    }
}

/// A PostgreSQL database made for one test, dropped when the test ends.
pub struct PostgresDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl PostgresDatabase {
    /// Run a file of SQL statements (a plain `pg_dump --inserts`, say) against the database.
    pub async fn load_sql(&self, sql: &str) {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.url).await.expect("connect");
        sqlx::raw_sql(sql).execute(&pool).await.expect("load SQL");
        pool.close().await;
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs outside any runtime we can await on; a short-lived thread with its own
        // runtime removes the database so test runs leave nothing behind.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(pool) = sqlx::AnyPool::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&pool)
                                .await;
                        pool.close().await;
                    }
                });
            }
        })
        .join();
    }
}

/// A fresh SQLite database file in a temporary folder.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::connect(&DatabaseUrl::new(&url))
        .await
        .expect("sqlite store");
    TestDb {
        store,
        url,
        _dir: Some(dir),
        _postgres: None,
    }
}

/// The PostgreSQL server tests may use, if `TEST_POSTGRES_URL` names one.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty PostgreSQL database (no schema yet), or `None` (with a note on stderr) when
/// `TEST_POSTGRES_URL` is unset.
pub async fn empty_postgres() -> Option<PostgresDatabase> {
    let Some(admin) = postgres_url() else {
        eprintln!("TEST_POSTGRES_URL is not set: skipping the PostgreSQL half of this test");
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!(
        "briefing_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_subsec_nanos()
    );
    let pool = sqlx::AnyPool::connect(&admin)
        .await
        .expect("TEST_POSTGRES_URL is set but the server cannot be reached");
    // A database with a real-world collation (ICU, English), as a production server might
    // have, so tests see any ordering or case-folding that differs from SQLite's; a plain one
    // where the server has no ICU.
    let icu = sqlx::query(&format!(
        "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' \
         LOCALE 'C.UTF-8'"
    ))
    .execute(&pool)
    .await;
    if icu.is_err() {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .expect("create test database");
    }
    pool.close().await;
    let mut url = url::Url::parse(&admin).expect("TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{name}"));
    Some(PostgresDatabase {
        url: url.to_string(),
        admin,
        name,
    })
}

/// A fresh PostgreSQL database with the schema, or `None` (with a note on stderr) when
/// `TEST_POSTGRES_URL` is unset.
pub async fn postgres() -> Option<TestDb> {
    let database = empty_postgres().await?;
    let url = database.url.clone();
    let store = Store::connect(&DatabaseUrl::new(&url))
        .await
        .expect("postgres store");
    Some(TestDb {
        store,
        url,
        _dir: None,
        _postgres: Some(database),
    })
}

/// Run a contract test body on SQLite and, when configured, on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::support::db::sqlite().await).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(db) = $crate::support::db::postgres().await {
                        super::$name(db).await;
                    }
                }
            )+
        }
    };
}
