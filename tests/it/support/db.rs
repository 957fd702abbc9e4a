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
    /// (admin URL, database name) of a PostgreSQL database to drop afterwards.
    postgres: Option<(String, String)>,
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

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs outside any runtime we can await on; a short-lived thread with its own
            // runtime removes the database so test runs leave nothing behind.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(async {
                        if let Ok(pool) = sqlx::AnyPool::connect(&admin).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
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
        postgres: None,
    }
}

/// The PostgreSQL server tests may use, if `TEST_POSTGRES_URL` names one.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh PostgreSQL database, or `None` (with a note on stderr) when `TEST_POSTGRES_URL` is
/// unset.
pub async fn postgres() -> Option<TestDb> {
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
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .expect("create test database");
    pool.close().await;
    let mut url = url::Url::parse(&admin).expect("TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{name}"));
    let url = url.to_string();
    let store = Store::connect(&DatabaseUrl::new(&url))
        .await
        .expect("postgres store");
    Some(TestDb {
        store,
        url,
        _dir: None,
        postgres: Some((admin, name)),
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
