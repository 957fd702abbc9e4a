//! The `briefing-bot` binary as a newcomer and other tools use it: real processes, real files.

use std::path::Path;
use std::process::{Command, Output};

/// Run the binary in `dir`, with no database or configuration from the environment.
pub fn bot(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("BRIEFING_CONFIG")
        .env_remove("BRIEFING_ENV")
        .output()
        .expect("run briefing-bot")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn demo_runs_on_the_embedded_default_and_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let first = bot(dir.path(), &["demo"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        dir.path().join("briefing.db").exists(),
        "demo uses sqlite://briefing.db in the working folder"
    );
    let out = stdout(&first);
    assert!(out.contains("Loaded the sample board dsvb"), "{out}");
    assert!(out.contains("Overdue"), "{out}");
    let second = bot(dir.path(), &["demo"]);
    assert!(second.status.success(), "{}", stderr(&second));
    let again = stdout(&second);
    assert!(again.contains("already in"), "{again}");
    // Apart from the first line, the briefing is identical on every run.
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&out), body(&again));
}

#[test]
fn every_command_has_help_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        "demo",
        "import",
        "export",
        "boards",
        "migrate",
        "deliveries",
        "digests",
        "redact",
        "run",
        "check",
        "health",
    ] {
        let out = bot(dir.path(), &[command, "--help"]);
        assert!(out.status.success());
        assert!(
            stdout(&out).contains("Example: briefing-bot"),
            "{command} --help lacks an example:\n{}",
            stdout(&out)
        );
    }
}

#[test]
fn import_export_and_board_selection_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("recs.csv"), crate::store_contract::RECS).unwrap();
    std::fs::write(
        dir.path().join("actions.csv"),
        crate::store_contract::ACTIONS,
    )
    .unwrap();
    let none = bot(dir.path(), &["import", "recommendations", "recs.csv"]);
    assert!(!none.status.success());
    assert!(stderr(&none).contains("no boards yet"), "{}", stderr(&none));

    let recs = bot(
        dir.path(),
        &["import", "recommendations", "recs.csv", "--board", "dsvb"],
    );
    assert!(recs.status.success(), "{}", stderr(&recs));
    assert_eq!(
        stdout(&recs).trim(),
        "board dsvb: created 2, updated 0, unchanged 0 (new board created)"
    );
    // One board: --board may be left out.
    let actions = bot(dir.path(), &["import", "actions", "actions.csv"]);
    assert!(actions.status.success(), "{}", stderr(&actions));
    let twice = bot(dir.path(), &["import", "actions", "actions.csv"]);
    assert!(!twice.status.success());
    assert!(
        stderr(&twice).contains("use --update") || stderr(&twice).contains("--update"),
        "{}",
        stderr(&twice)
    );
    let update = bot(
        dir.path(),
        &["import", "actions", "actions.csv", "--update"],
    );
    assert_eq!(
        stdout(&update).trim(),
        "board dsvb: created 0, updated 0, unchanged 3"
    );

    let export = bot(dir.path(), &["export", "actions", "--out", "out.csv"]);
    assert!(export.status.success(), "{}", stderr(&export));
    let written = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert_eq!(written, crate::store_contract::ACTIONS);

    let created = bot(
        dir.path(),
        &[
            "boards",
            "create",
            "second",
            "--time-zone",
            "Pacific/Auckland",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let ambiguous = bot(dir.path(), &["export", "actions"]);
    assert!(
        stderr(&ambiguous).contains("several boards (dsvb, second)"),
        "{}",
        stderr(&ambiguous)
    );
    let unknown = bot(dir.path(), &["export", "actions", "--board", "dvsb"]);
    assert!(
        stderr(&unknown).contains("there is no board dvsb; the boards are: dsvb, second"),
        "{}",
        stderr(&unknown)
    );
    let bad_zone = bot(
        dir.path(),
        &["boards", "create", "third", "--time-zone", "London"],
    );
    assert!(!bad_zone.status.success());
    assert!(
        stderr(&bad_zone).contains("Europe/London"),
        "{}",
        stderr(&bad_zone)
    );
}

#[test]
fn configuration_errors_name_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("board.toml"),
        "[board_defaults]\nyear_start_month = \"April\"\n",
    )
    .unwrap();
    let out = bot(dir.path(), &["--config", "board.toml", "boards"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("board_defaults.year_start_month"), "{err}");
    assert!(err.contains("board.toml"), "{err}");
    let missing = bot(dir.path(), &["--config", "nope.toml", "boards"]);
    assert!(
        stderr(&missing).contains("nope.toml does not exist"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn configuration_typos_are_refused_with_the_key_meant() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("board.toml"),
        "[board_defaults]\nescalate_after_dayz = 10\n",
    )
    .unwrap();
    let out = bot(dir.path(), &["--config", "board.toml", "boards"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("board.toml sets a key the bot does not know: board_defaults.escalate_after_dayz (did you mean board_defaults.escalate_after_days?)"),
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args(["boards"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("BRIEFING__DISCORD__API_ULR", "http://127.0.0.1:1")
        .output()
        .unwrap();
    assert!(!out.status.success(), "a mistyped variable is not ignored");
    let err = stderr(&out);
    assert!(
        err.contains("BRIEFING__DISCORD__API_ULR (did you mean BRIEFING__DISCORD__API_URL?)"),
        "{err}"
    );
    assert!(
        !dir.path().join("briefing.db").exists(),
        "refused before anything is opened"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args(["boards"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("BRIEFING__BOARD_DEFAULTS__CATCH_UP_DAYS", "4294967295")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a day count that would overflow is refused"
    );
    let err = stderr(&out);
    assert!(
        err.contains("board_defaults.catch_up_days is 4294967295; use 0 to 366 days"),
        "{err}"
    );
}

#[test]
fn database_url_precedence_flag_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args([
            "--database-url",
            "sqlite://flag.db",
            "boards",
            "create",
            "x1",
        ])
        .current_dir(dir.path())
        .env("DATABASE_URL", "sqlite://env.db")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("flag.db").exists());
    assert!(!dir.path().join("env.db").exists());
    let out = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args(["boards", "create", "x2"])
        .current_dir(dir.path())
        .env("DATABASE_URL", "sqlite://env.db")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("env.db").exists());
    assert!(!dir.path().join("briefing.db").exists());
}

#[test]
fn a_backup_restores_to_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("recs.csv"), crate::store_contract::RECS).unwrap();
    std::fs::write(
        dir.path().join("actions.csv"),
        crate::store_contract::ACTIONS,
    )
    .unwrap();
    assert!(bot(
        dir.path(),
        &["import", "recommendations", "recs.csv", "--board", "dsvb"]
    )
    .status
    .success());
    assert!(bot(dir.path(), &["import", "actions", "actions.csv"])
        .status
        .success());
    let before: Vec<String> = ["recommendations", "actions", "history"]
        .iter()
        .map(|what| stdout(&bot(dir.path(), &["export", what])))
        .collect();
    let backup = bot(dir.path(), &["backup", "--out", "backup.db"]);
    assert!(backup.status.success(), "{}", stderr(&backup));
    let again = bot(dir.path(), &["backup", "--out", "backup.db"]);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    // Change the record after the backup.
    let changed = crate::store_contract::ACTIONS.replace("on_track", "off_track");
    std::fs::write(dir.path().join("changed.csv"), changed).unwrap();
    assert!(bot(
        dir.path(),
        &["import", "actions", "changed.csv", "--update"]
    )
    .status
    .success());
    assert_ne!(stdout(&bot(dir.path(), &["export", "actions"])), before[1]);

    let refused = bot(dir.path(), &["restore", "backup.db"]);
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    let restored = bot(dir.path(), &["restore", "backup.db", "--force"]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    let after: Vec<String> = ["recommendations", "actions", "history"]
        .iter()
        .map(|what| stdout(&bot(dir.path(), &["export", what])))
        .collect();
    assert_eq!(after, before);

    std::fs::write(dir.path().join("not-a-db.db"), "hello").unwrap();
    let bad = bot(dir.path(), &["restore", "not-a-db.db", "--force"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("not a briefing-bot database")
            || stderr(&bad).contains("could not connect"),
        "{}",
        stderr(&bad)
    );
}

/// Without a token the checklist still covers everything else, then fails: a deployment
/// check that cannot reach Discord has not checked that the bot can post.
#[test]
fn check_prints_a_checklist_with_fixes_and_fails_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args(["check"])
        .current_dir(dir.path())
        .env_remove("DISCORD_TOKEN")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success(), "no token fails the check");
    let text = stdout(&out);
    assert!(
        text.contains("ok    database sqlite://briefing.db answers"),
        "{text}"
    );
    assert!(text.contains("warn  no boards yet"), "{text}");
    assert!(text.contains("FAIL  DISCORD_TOKEN is not set"), "{text}");
    assert!(text.contains("fix: export DISCORD_TOKEN"), "{text}");
    assert!(!text.contains("all checks passed"), "{text}");
    assert!(
        stderr(&out).contains("1 check(s) failed; fix them and run `briefing-bot check` again"),
        "{}",
        stderr(&out)
    );
    // An empty DISCORD_TOKEN (an unfilled template) is no token either.
    let empty = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args(["check"])
        .current_dir(dir.path())
        .env("DISCORD_TOKEN", "")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!empty.status.success());
    assert!(
        stdout(&empty).contains("FAIL  DISCORD_TOKEN is not set"),
        "{}",
        stdout(&empty)
    );
    let broken = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args([
            "check",
            "--database-url",
            "postgres://bot:pw@127.0.0.1:1/briefing",
        ])
        .current_dir(dir.path())
        .env_remove("DISCORD_TOKEN")
        .output()
        .unwrap();
    assert!(!broken.status.success());
    assert!(
        stdout(&broken).contains("FAIL  database"),
        "{}",
        stdout(&broken)
    );
    assert!(
        !stdout(&broken).contains("pw@"),
        "the password must not be printed"
    );
}

/// A password given as a query parameter is as secret as one before the `@`: no command
/// prints it, whatever fails.
#[test]
fn a_password_in_the_database_urls_query_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let url = "postgres://u@127.0.0.1:1/x?password=hunter2";
    for command in [
        &["export", "actions"][..],
        &["migrate"],
        &["boards", "list"],
        &["check"],
    ] {
        let mut args = vec!["--database-url", url];
        args.extend_from_slice(command);
        let out = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
            .args(&args)
            .current_dir(dir.path())
            .env_remove("DISCORD_TOKEN")
            .env_remove("DATABASE_URL")
            .env_remove("BRIEFING_CONFIG")
            .env_remove("BRIEFING_ENV")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{command:?} cannot reach port 1");
        let shown = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            !shown.contains("hunter2"),
            "{command:?} printed it:\n{shown}"
        );
        assert!(
            shown.contains("postgres://u@127.0.0.1:1/x?password=***"),
            "{command:?} still says which database:\n{shown}"
        );
    }
}

/// Debug output of the settings and of a connected store hides a query-parameter password.
#[tokio::test]
async fn debug_output_of_settings_and_store_hides_a_query_password() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("briefing.toml");
    std::fs::write(
        &file,
        "[database]\nurl = \"postgres://u@127.0.0.1:1/x?sslmode=disable&password=hunter2\"\n",
    )
    .unwrap();
    let settings = briefing_bot::config::Settings::load(Some(&file)).unwrap();
    let debug = format!("{settings:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("password=***"), "{debug}");

    // A real connection, so the store is the one the bot would hold (the test server does not
    // ask for the password; PostgreSQL only, as SQLite refuses unknown URL parameters).
    let Some(db) = crate::support::db::postgres().await else {
        return;
    };
    let separator = if db.url.contains('?') { '&' } else { '?' };
    let url =
        briefing_bot::store::DatabaseUrl::new(format!("{}{separator}password=hunter2", db.url));
    let store = briefing_bot::store::Store::connect(&url).await.unwrap();
    let debug = format!("{store:?} {url:?} {url}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("password=***"), "{debug}");
    store.close().await;
}

/// A PostgreSQL URL parameter the driver would ignore — and log with its value — is refused
/// up front, naming the parameter and never its value.
#[test]
fn an_unknown_database_url_parameter_is_refused_without_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let out = bot(
        dir.path(),
        &[
            "--database-url",
            "postgres://u@127.0.0.1:1/x?sslmode=disable&sslpassword=hunter2",
            "migrate",
        ],
    );
    assert!(!out.status.success());
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("parameter sslpassword"), "{text}");
    assert!(text.contains("remove it"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

/// `briefing-bot redact` through the binary: the text can come from standard input (out of the
/// shell's history), the reply says what changed and what cannot be recalled, the text is gone
/// from every export, and asking again changes nothing and says so.
#[test]
fn redact_removes_text_through_the_binary_and_says_what_it_cannot_reach() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    assert!(bot(dir.path(), &["demo"]).status.success());
    let text = "two IDVA services";
    let export = |what: &str| stdout(&bot(dir.path(), &["export", what]));
    assert!(export("actions").contains(text));
    let mut child = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args([
            "redact",
            "--ref",
            "ACT-004",
            "--text",
            "-",
            "--reason",
            "a detail typed by mistake",
            "--by",
            "Board secretary",
        ])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("DISCORD_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{text}").unwrap();
    let done = child.wait_with_output().unwrap();
    assert!(done.status.success(), "{}", stderr(&done));
    let reply = stdout(&done);
    assert!(reply.contains("Redacted ACT-004"), "{reply}");
    assert!(reply.contains("the record (title)"), "{reply}");
    assert!(!reply.contains(text), "{reply}");
    assert!(reply.contains("not checked: no Discord token"), "{reply}");
    assert!(reply.contains("keeps backups for 35 days"), "{reply}");
    for what in ["actions", "history", "recommendations"] {
        assert!(!export(what).contains(text), "{what}");
    }
    let history = export("history");
    assert!(
        history.contains("Board secretary,redacted,,record: title"),
        "{history}"
    );
    let again = bot(
        dir.path(),
        &[
            "redact", "--ref", "ACT-004", "--text", text, "--reason", "again",
        ],
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("does not appear"),
        "{}",
        stderr(&again)
    );
    let blank = bot(
        dir.path(),
        &[
            "redact", "--ref", "ACT-004", "--text", " ", "--reason", "why",
        ],
    );
    assert!(!blank.status.success());
    assert!(
        stderr(&blank).contains("--text: Give the text"),
        "{}",
        stderr(&blank)
    );
}
