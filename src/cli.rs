//! The command line: the same service functions the bot uses, for a laptop, a cron job or a
//! test. Each subcommand parses its arguments into domain types and calls one service.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::spreadsheet::Cells;
use crate::domain::{parse_date, BoardSettings, BoardSlug, TimeZone, YearStartMonth};
use crate::monitoring::logging::LogFormat;
use crate::services::actions::Author;
use crate::services::boards::{create_board, resolve_board};
use crate::services::export::{export_csv, ExportKind};
use crate::services::import::{import_csv, ImportOptions, RecordKind};
use crate::services::indicator_export::{export_indicators_csv, IndicatorExport};
use crate::services::indicators::{import_indicator_csv, IndicatorFile};
use crate::store::Store;

/// briefing-bot: keeps an oversight board's recommendations and actions honest.
#[derive(Debug, Parser)]
#[command(name = "briefing-bot", version, about, long_about = None)]
pub struct Cli {
    /// Database URL (sqlite://FILE.db or postgres://…). Default: DATABASE_URL, then the
    /// config file, then sqlite://briefing.db in the current folder.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// A configuration file layered over the built-in defaults (see config/default.toml).
    #[arg(long, global = true, value_name = "FILE", env = "BRIEFING_CONFIG")]
    pub config: Option<PathBuf>,

    /// Log format for long-running commands (`run`): text for people, json for log
    /// collectors. Default: log.format in the config.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load the sample board (the MPA Domestic and Sexual Violence Board) and show what the
    /// board would see. Needs no Discord account.
    ///
    /// Example: briefing-bot demo
    Demo,
    /// Print the quarterly VAW briefing digest for a board as of a date (the quarter it
    /// reviews is the one containing the day before).
    ///
    /// Example: briefing-bot digest --board dsvb --as-of 2010-10-01 --format html --out paper.html
    Digest {
        /// The board; may be left out when the database holds exactly one.
        #[arg(long, value_name = "SLUG")]
        board: Option<String>,
        /// The day the digest is "as of" (default: today in the board's time zone).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// Show the record as it stood before the as-of day began (statuses, due dates,
        /// owners and sign-offs as recorded then), rebuilt from the history. Without it, the
        /// digest reads today's record.
        #[arg(long, requires = "as_of")]
        point_in_time: bool,
        /// Output format: markdown, json (the contract), or html (the board paper: one
        /// self-contained file for the meeting pack, chart included, printable on A4).
        #[arg(long, value_enum, default_value_t = DigestFormat::Markdown)]
        format: DigestFormat,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Also write the chart (actions by borough or owner) as a PNG file.
        #[arg(long, value_name = "FILE")]
        chart: Option<PathBuf>,
        /// Also write the monitoring figures' trend chart (each indicator board-wide over the
        /// last eight quarters) as a PNG file.
        #[arg(long, value_name = "FILE")]
        trend_chart: Option<PathBuf>,
    },
    /// Print the reminder post that would go out on a date, without posting it.
    ///
    /// Example: briefing-bot remind --board dsvb --as-of 2010-10-04 --format markdown
    Remind {
        /// The board; may be left out when the database holds exactly one.
        #[arg(long, value_name = "SLUG")]
        board: Option<String>,
        /// The day of the reminder (default: today in the board's time zone).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PostFormat::Markdown)]
        format: PostFormat,
    },
    /// Load recommendations, actions, indicators or figures from a CSV file: all of it, or
    /// nothing.
    ///
    /// Example: briefing-bot import actions plan.csv --board dsvb --dry-run
    Import(ImportArgs),
    /// Write recommendations, actions, the status history or the settings history as CSV.
    ///
    /// Example: briefing-bot export actions --board dsvb --out actions.csv
    Export(ExportArgs),
    /// List the boards in the database, or create one.
    ///
    /// Example: briefing-bot boards create dsvb --name "Domestic and Sexual Violence Board"
    Boards(BoardsArgs),
    /// Connect to Discord with the token in DISCORD_TOKEN and serve every server the bot is
    /// in, until Ctrl-C or SIGTERM.
    ///
    /// Starts with the same checks as `check` (configuration, database, token) and refuses to
    /// start if one fails; the boards' channels are checked once it is up.
    ///
    /// Example: briefing-bot run --database-url postgres://bot@db/briefing --ops-listen 127.0.0.1:9187
    Run(RunArgs),
    /// List scheduled posts (digests, reminders) and how each went, newest first.
    ///
    /// Example: briefing-bot deliveries --board dsvb --limit 20
    Deliveries {
        /// Only this board.
        #[arg(long, value_name = "SLUG")]
        board: Option<String>,
        /// How many posts to list.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// List the digests posted (on schedule or with /digest post), newest first: the archive,
    /// which keeps each one exactly as it was sent. `digests show ID` prints one again.
    ///
    /// Example: briefing-bot digests --board dsvb; briefing-bot digests show 3 --format html --out paper.html
    Digests(DigestsArgs),
    /// Remove text typed by mistake (a name, an address, a case detail) from one action's or
    /// recommendation's record, every history entry about it, the digest archive and the
    /// bot's Discord posts, in one transaction. The history records who removed something,
    /// when and why — never what. The match is exact and case-sensitive.
    ///
    /// Example: briefing-bot redact --board dsvb --ref ACT-009 --text "Jane Roe" --reason "a victim's name typed by mistake"
    Redact(RedactArgs),
    /// Write a consistent copy of the SQLite database, safe to run while the bot is running.
    /// (For PostgreSQL, use pg_dump.)
    ///
    /// Example: briefing-bot backup --out backups/briefing-2026-11-23.db
    Backup {
        /// The file to write; must not exist yet.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Replace the SQLite database with a backup. Stop the bot first.
    ///
    /// Example: briefing-bot restore backups/briefing-2026-11-23.db --database-url sqlite://briefing.db
    Restore {
        /// The backup file to restore.
        file: PathBuf,
        /// Replace an existing database (without this, restore refuses to overwrite one).
        #[arg(long)]
        force: bool,
    },
    /// Check the configuration, the database, the token in DISCORD_TOKEN and that the bot can
    /// post in every board's channels; prints a checklist with fixes and exits non-zero if
    /// anything must be fixed (a missing DISCORD_TOKEN included).
    ///
    /// Example: briefing-bot check
    Check,
    /// Ask a running bot's /healthz whether it is ready (for Docker's HEALTHCHECK or a script):
    /// prints the answer, exits 0 when ready and 1 when not.
    ///
    /// Example: briefing-bot health --ops-listen 127.0.0.1:9187
    Health {
        /// The address the bot serves /healthz on. Default: ops.listen in the config.
        #[arg(long, value_name = "ADDR")]
        ops_listen: Option<String>,
    },
    /// Bring the database schema up to date (every command also does this on start).
    ///
    /// Example: briefing-bot migrate --database-url postgres://postgres@127.0.0.1/briefing
    Migrate,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Serve GET /healthz and GET /metrics (Prometheus) on this address, e.g. 127.0.0.1:9187.
    /// Default: ops.listen in the config (empty: off). Unauthenticated: keep it private.
    #[arg(long, value_name = "ADDR")]
    pub ops_listen: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PostFormat {
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DigestFormat {
    Json,
    Markdown,
    Html,
}

/// How `digests show` prints an archived digest: each is the stored text, byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArchivedFormat {
    /// The JSON (the `digest --format json` contract) as it was when posted.
    Json,
    /// The Markdown, as webhooks were sent it.
    Markdown,
    /// The board paper.
    Html,
    /// The Discord messages as sent (JSON; attached files in base64).
    Discord,
}

#[derive(Debug, Args)]
pub struct DigestsArgs {
    #[command(subcommand)]
    pub command: Option<DigestsCommand>,
    /// Only this board's digests (with `show`: refuse a digest of another board).
    #[arg(long, value_name = "SLUG", global = true)]
    pub board: Option<String>,
    /// How many digests to list.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Output format of the list.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Debug, Subcommand)]
pub enum DigestsCommand {
    /// Print one archived digest exactly as it was sent.
    ///
    /// Example: briefing-bot digests show 3 --format json
    Show {
        /// The digest's id, as `briefing-bot digests` lists it.
        id: i64,
        /// Which rendering to print.
        #[arg(long, value_enum, default_value_t = ArchivedFormat::Markdown)]
        format: ArchivedFormat,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportWhat {
    Recommendations,
    Actions,
    /// Indicator definitions: key, name, unit, better, theme, description.
    Indicators,
    /// Monitoring figures: indicator, area, period, value, denominator, note.
    Figures,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds.
    pub what: ImportWhat,
    /// The CSV file (header row; see the README for the columns).
    pub file: PathBuf,
    /// The board to load into; created if it does not exist. May be left out when the
    /// database holds exactly one board.
    #[arg(long, value_name = "SLUG")]
    pub board: Option<String>,
    /// Change records whose ref already exists (otherwise they are an error).
    #[arg(long)]
    pub update: bool,
    /// Check the file and report what would change, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportWhat {
    Recommendations,
    Actions,
    History,
    /// Who changed which board setting, when, old → new.
    SettingsHistory,
    /// Indicator definitions, in the import format.
    Indicators,
    /// Monitoring figures, in the import format.
    Figures,
    /// Every revision of an indicator or a figure: who, when, old → new.
    IndicatorHistory,
}

#[derive(Args)]
pub struct RedactArgs {
    /// The board; may be left out when the database holds exactly one.
    #[arg(long, value_name = "SLUG")]
    pub board: Option<String>,
    /// The action or recommendation the text is in.
    #[arg(long = "ref", value_name = "REF")]
    pub reference: String,
    /// The text to remove, exactly as typed. `-` reads it from standard input instead, so it
    /// stays out of the shell's history.
    #[arg(long, value_name = "TEXT")]
    pub text: String,
    /// Why it is removed; kept in the history for good (so it must not repeat the text).
    #[arg(long, value_name = "WHY")]
    pub reason: String,
    /// Who is redacting, as the history should name them.
    #[arg(long, value_name = "NAME", default_value = "cli")]
    pub by: String,
}

// The text to remove is the one thing that must never be printed.
impl std::fmt::Debug for RedactArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedactArgs")
            .field("board", &self.board)
            .field("reference", &self.reference)
            .field("text", &"..")
            .field("reason", &self.reason)
            .field("by", &self.by)
            .finish()
    }
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    pub what: ExportWhat,
    /// The board; may be left out when the database holds exactly one.
    #[arg(long, value_name = "SLUG")]
    pub board: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write every cell exactly as stored, for tools that are not spreadsheets. Without it, a
    /// cell a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
    /// return) starts with an apostrophe, which import removes again.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct BoardsArgs {
    #[command(subcommand)]
    pub command: Option<BoardsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum BoardsCommand {
    /// List the boards (the default).
    List,
    /// Create a board.
    ///
    /// Example: briefing-bot boards create dsvb --time-zone Europe/London --year-start-month 4
    Create {
        /// Short name used with --board: lower-case letters, digits and hyphens.
        slug: String,
        /// The board's full name.
        #[arg(long)]
        name: Option<String>,
        /// IANA time zone the board's dates are read in (default from config).
        #[arg(long, value_name = "ZONE")]
        time_zone: Option<String>,
        /// Month (1–12) the reporting year starts (default from config; 4 = April).
        #[arg(long, value_name = "MONTH")]
        year_start_month: Option<u32>,
    },
}

/// Parse an optional `--board` value into a slug, with the fix in the message.
pub fn board_arg(board: Option<&str>) -> Result<Option<BoardSlug>> {
    board
        .map(|b| BoardSlug::parse(b).map_err(|e| anyhow::anyhow!("--board: {e}")))
        .transpose()
}

/// Parse a `--as-of` value.
pub fn as_of_arg(
    value: Option<&str>,
    settings: &BoardSettings,
    clock: &dyn Clock,
) -> Result<NaiveDate> {
    match value {
        Some(v) => parse_date(v).map_err(|e| anyhow::anyhow!("--as-of: {e}")),
        None => Ok(settings.time_zone.today(clock.now())),
    }
}

/// Run one command to completion.
pub async fn run(cli: Cli) -> Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    let url = settings.database_url(cli.database_url.as_deref());
    if let Command::Restore { file, force } = &cli.command {
        // Restoring replaces the database file, so it must not be opened first.
        return restore(&url, file, *force).await;
    }
    if let Command::Health { ops_listen } = &cli.command {
        let addr = ops_listen
            .as_deref()
            .or(settings.ops.listen())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no ops endpoint is configured; give --ops-listen ADDR or set ops.listen \
                     (BRIEFING__OPS__LISTEN) to the address `run` serves /healthz on"
                )
            })?;
        let (ready, body) = crate::monitoring::server::ask_health(addr).await?;
        print!("{body}");
        if !ready {
            anyhow::bail!("the bot is not ready");
        }
        return Ok(());
    }
    if let Command::Check = &cli.command {
        return crate::check::run(&settings, &url, &mut std::io::stdout()).await;
    }
    if let Command::Run(args) = &cli.command {
        let log_format = match cli.log_format {
            Some(format) => format,
            None => settings.log.format()?,
        };
        crate::monitoring::logging::init(log_format);
        // Into the log, not onto standard error beside it: a JSON log must stay all JSON.
        return run_bot(&settings, &url, args).await.map_err(|e| {
            tracing::error!(error = format!("{e:#}"), "briefing-bot stopped");
            anyhow::Error::new(Logged)
        });
    }
    let store = Store::connect(&url).await?;
    let clock = SystemClock;
    let result = dispatch(cli.command, &store, &settings, &clock).await;
    store.close().await;
    result
}

/// An error already written to the log; `main` only sets the exit status.
#[derive(Debug, thiserror::Error)]
#[error("stopped; the log says why")]
pub struct Logged;

/// `briefing-bot run`: the checks, then the bot, its scheduler and (if asked for) the
/// `/healthz` and `/metrics` endpoint, until Ctrl-C or SIGTERM.
async fn run_bot(
    settings: &Settings,
    url: &crate::store::DatabaseUrl,
    args: &RunArgs,
) -> Result<()> {
    let ready = crate::check::before_run(settings, url).await?;
    let ops_listen = args
        .ops_listen
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .or(settings.ops.listen());
    let ops = match ops_listen {
        Some(addr) => {
            let listener = crate::monitoring::server::bind(addr).await?;
            let bound = listener.local_addr()?;
            tracing::info!(address = %bound, "serving /healthz and /metrics");
            Some(listener)
        }
        None => None,
    };
    let crate::check::ReadyToRun {
        store,
        boards,
        login,
    } = ready;
    let connection = crate::discord::client::Connection {
        token: login.token.clone(),
        api_url: settings.discord.api_url().map(str::to_string),
        shards: settings.discord.shard_range()?,
        lease_term: settings.discord.lease_term()?,
    };
    tracing::info!(database = %store.url(), api_url = ?connection.api_url, "starting the bot");
    // The channels are checked while the bot connects: a problem is logged with its fix, and
    // never holds up the other boards.
    tokio::spawn(async move {
        crate::check::channels_logged(&login, &boards).await;
    });
    let data = crate::discord::Data::new(
        store.clone(),
        std::sync::Arc::new(SystemClock),
        settings.board_settings()?,
    )
    .with_schedule_settings(settings.schedule.clone())
    .with_backup_keep_days(settings.backups.keep_days()?);
    let scheduler = crate::discord::client::SchedulerOptions {
        claim_lease: settings.schedule.claim_lease()?,
    };
    let result = crate::discord::client::run_until(
        connection,
        data,
        ops,
        scheduler,
        crate::discord::client::shutdown_signal(),
    )
    .await;
    store.close().await;
    result
}

async fn dispatch(
    command: Command,
    store: &Store,
    settings: &Settings,
    clock: &dyn Clock,
) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match command {
        Command::Migrate => {
            let applied = store.applied_migrations().await?;
            writeln!(
                stdout,
                "database {} is up to date ({} migrations applied)",
                store.url(),
                applied.len()
            )?;
        }
        Command::Demo => crate::demo::run(store, &mut stdout).await?,
        Command::Digest {
            board,
            as_of,
            point_in_time,
            format,
            out,
            chart,
            trend_chart,
        } => {
            let slug = board_arg(board.as_deref())?;
            let board = resolve_board(store, slug.as_ref()).await?;
            let as_of = as_of_arg(as_of.as_deref(), &board.settings, clock)?;
            let digest = if point_in_time {
                crate::digest::load_digest_as_it_stood(store, &board, as_of).await?
            } else {
                crate::digest::load_digest(store, &board, as_of).await?
            };
            let text = match format {
                DigestFormat::Json => crate::digest::render::json::digest_json_text(&digest),
                DigestFormat::Markdown => crate::digest::render::markdown::digest_markdown(&digest),
                DigestFormat::Html => {
                    let png = crate::digest::render::chart::digest_chart(&digest)
                        .inspect_err(
                            |e| tracing::warn!(error = %e, "the paper's chart could not be drawn"),
                        )
                        .ok();
                    let published = board.settings.time_zone.today(clock.now());
                    crate::digest::render::html::digest_html(&digest, png.as_deref(), published)
                }
            };
            match out {
                Some(path) => {
                    write_file_whole(&path, text.as_bytes())?;
                    eprintln!("wrote the digest to {}", path.display());
                }
                None => write!(stdout, "{text}")?,
            }
            if let Some(path) = chart {
                let png = crate::digest::render::chart::digest_chart(&digest)
                    .map_err(|e| anyhow::anyhow!("could not draw the chart: {e}"))?;
                std::fs::write(&path, png)
                    .with_context(|| format!("could not write {}", path.display()))?;
                eprintln!("wrote the chart to {}", path.display());
            }
            if let Some(path) = trend_chart {
                if digest.monitoring.trend.is_empty() {
                    anyhow::bail!(
                        "board {} has no indicators, so there is no trend to draw; import them \
                         with `briefing-bot import indicators FILE`",
                        board.slug
                    );
                }
                let png = crate::digest::render::chart::trend_chart(&digest.monitoring)
                    .map_err(|e| anyhow::anyhow!("could not draw the trend chart: {e}"))?;
                std::fs::write(&path, png)
                    .with_context(|| format!("could not write {}", path.display()))?;
                eprintln!("wrote the trend chart to {}", path.display());
            }
        }
        Command::Remind {
            board,
            as_of,
            format,
        } => {
            let slug = board_arg(board.as_deref())?;
            let board = resolve_board(store, slug.as_ref()).await?;
            let as_of = as_of_arg(as_of.as_deref(), &board.settings, clock)?;
            let reminder = crate::digest::load_reminder(store, &board, as_of).await?;
            match format {
                PostFormat::Json => {
                    let json = crate::digest::render::json::reminder_json(
                        reminder.as_ref(),
                        board.slug.as_str(),
                        as_of,
                    );
                    serde_json::to_writer_pretty(&mut stdout, &json)?;
                    writeln!(stdout)?;
                }
                PostFormat::Markdown => write!(
                    stdout,
                    "{}",
                    crate::digest::render::markdown::reminder_markdown(reminder.as_ref(), as_of)
                )?,
            }
        }
        Command::Backup { out } => {
            store.backup_to(&out).await?;
            writeln!(stdout, "backed up {} to {}", store.url(), out.display())?;
        }
        Command::Restore { .. } | Command::Check | Command::Run(_) | Command::Health { .. } => {
            unreachable!("handled before connecting")
        }
        Command::Deliveries {
            board,
            limit,
            format,
        } => {
            let board = match board_arg(board.as_deref())? {
                Some(slug) => Some(resolve_board(store, Some(&slug)).await?.id),
                None => None,
            };
            let records = store.deliveries(board, limit).await?;
            if format == ListFormat::Json {
                serde_json::to_writer_pretty(&mut stdout, &records)?;
                writeln!(stdout)?;
            } else if records.is_empty() {
                writeln!(stdout, "no scheduled posts yet")?;
            } else {
                for d in records {
                    writeln!(
                        stdout,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{} attempt{}, {} message{} confirmed{}",
                        d.due_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        d.board,
                        d.job,
                        d.occasion,
                        d.destination,
                        d.state,
                        d.attempts,
                        if d.attempts == 1 { "" } else { "s" },
                        d.messages_confirmed,
                        if d.messages_confirmed == 1 { "" } else { "s" },
                        d.last_error.map(|e| format!("\t{e}")).unwrap_or_default()
                    )?;
                }
            }
        }
        Command::Digests(args) => digests(store, args, &mut stdout).await?,
        Command::Redact(args) => redact(store, settings, clock, args, &mut stdout).await?,
        Command::Boards(args) => match args.command.unwrap_or(BoardsCommand::List) {
            BoardsCommand::List => {
                let boards = store.boards().await?;
                if boards.is_empty() {
                    writeln!(
                        stdout,
                        "no boards yet; create one with `briefing-bot boards create SLUG`"
                    )?;
                }
                for b in boards {
                    writeln!(
                        stdout,
                        "{}\t{}\t{}\tyear starts month {}",
                        b.slug,
                        b.name,
                        b.settings.time_zone,
                        b.settings.year_start_month.get()
                    )?;
                }
            }
            BoardsCommand::Create {
                slug,
                name,
                time_zone,
                year_start_month,
            } => {
                let slug = BoardSlug::parse(&slug).map_err(|e| anyhow::anyhow!("slug: {e}"))?;
                let mut board_settings = settings.board_settings()?;
                if let Some(tz) = time_zone {
                    board_settings.time_zone =
                        TimeZone::parse(&tz).map_err(|e| anyhow::anyhow!("--time-zone: {e}"))?;
                }
                if let Some(month) = year_start_month {
                    board_settings.year_start_month = YearStartMonth::new(month)
                        .map_err(|e| anyhow::anyhow!("--year-start-month: {e}"))?;
                }
                let author = Author {
                    by: "command line",
                    at: clock.now(),
                };
                let board =
                    create_board(store, &slug, name.as_deref(), &board_settings, &author).await?;
                writeln!(stdout, "created board {} ({})", board.slug, board.name)?;
            }
        },
        Command::Import(args) => {
            let slug = board_arg(args.board.as_deref())?;
            let bytes = std::fs::read(&args.file).with_context(|| {
                format!("could not read {}; check the path", args.file.display())
            })?;
            let kind = match args.what {
                ImportWhat::Recommendations => Ok(RecordKind::Recommendations),
                ImportWhat::Actions => Ok(RecordKind::Actions),
                ImportWhat::Indicators => Err(IndicatorFile::Indicators),
                ImportWhat::Figures => Err(IndicatorFile::Figures),
            };
            let bar = progress_bar();
            let progress = |done: usize, total: usize| {
                if let Some(bar) = &bar {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                }
            };
            let options = ImportOptions {
                update: args.update,
                dry_run: args.dry_run,
                by: "import",
                progress: Some(&progress),
                now: clock.now(),
                new_board_settings: settings.board_settings()?,
            };
            let file_name = args
                .file
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            let result = match kind {
                Ok(kind) => {
                    import_csv(store, slug.as_ref(), kind, &file_name, &bytes, &options).await
                }
                Err(file) => {
                    import_indicator_csv(store, slug.as_ref(), file, &file_name, &bytes, &options)
                        .await
                }
            };
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            let summary = result?;
            for warning in &summary.warnings {
                eprintln!("warning: {warning}");
            }
            writeln!(stdout, "{summary}")?;
        }
        Command::Export(args) => {
            let slug = board_arg(args.board.as_deref())?;
            let board = resolve_board(store, slug.as_ref()).await?;
            let kind = match args.what {
                ExportWhat::Recommendations => Ok(ExportKind::Recommendations),
                ExportWhat::Actions => Ok(ExportKind::Actions),
                ExportWhat::History => Ok(ExportKind::History),
                ExportWhat::SettingsHistory => Ok(ExportKind::SettingsHistory),
                ExportWhat::Indicators => Err(IndicatorExport::Indicators),
                ExportWhat::Figures => Err(IndicatorExport::Figures),
                ExportWhat::IndicatorHistory => Err(IndicatorExport::History),
            };
            let cells = if args.raw {
                Cells::Raw
            } else {
                Cells::SpreadsheetSafe
            };
            match args.out {
                Some(path) => {
                    // Write beside the target and rename, so a failed export never leaves a
                    // half-written file where a good one was.
                    let tmp = path.with_extension("csv.partial");
                    let file = std::fs::File::create(&tmp).with_context(|| {
                        format!(
                            "could not create {}; check the folder exists and is writable",
                            tmp.display()
                        )
                    })?;
                    let rows =
                        export_any(store, &board, kind, cells, std::io::BufWriter::new(file))
                            .await?;
                    std::fs::rename(&tmp, &path)
                        .with_context(|| format!("could not write {}", path.display()))?;
                    eprintln!("wrote {rows} rows to {}", path.display());
                }
                None => {
                    export_any(store, &board, kind, cells, &mut stdout).await?;
                }
            }
        }
    }
    Ok(())
}

/// `briefing-bot digests [show ID]`: the archive's list, or one archived digest's stored bytes.
async fn digests(store: &Store, args: DigestsArgs, stdout: &mut impl Write) -> Result<()> {
    let board = match board_arg(args.board.as_deref())? {
        Some(slug) => Some(resolve_board(store, Some(&slug)).await?),
        None => None,
    };
    let board_id = board.as_ref().map(|b| b.id);
    match args.command {
        Some(DigestsCommand::Show { id, format, out }) => {
            let Some(archived) = store.archived_digest(board_id, id).await? else {
                let on_board = board
                    .map(|b| format!(" on board {}", b.slug))
                    .unwrap_or_default();
                anyhow::bail!(
                    "there is no archived digest {id}{on_board}; `briefing-bot digests` lists \
                     them with their ids"
                );
            };
            // A redacted digest says so where people read it (the Markdown and the paper),
            // and on standard error beside the machine-read forms.
            let owner =
                resolve_board(store, Some(&BoardSlug::parse(&archived.entry.board)?)).await?;
            let redactions = store.redactions_of_archived(archived.entry.id).await?;
            let notice = crate::digest::archive::redaction_notice(&redactions, &owner);
            let text = match format {
                ArchivedFormat::Json => archived.json,
                ArchivedFormat::Markdown => crate::digest::archive::markdown_with_notice(
                    &archived.markdown,
                    notice.as_deref(),
                ),
                ArchivedFormat::Html => {
                    crate::digest::archive::html_with_notice(&archived.html, notice.as_deref())
                }
                ArchivedFormat::Discord => archived.discord,
            };
            if let (Some(notice), ArchivedFormat::Json | ArchivedFormat::Discord) =
                (&notice, format)
            {
                eprintln!("{notice}");
            }
            match out {
                Some(path) => {
                    write_file_whole(&path, text.as_bytes())?;
                    eprintln!("wrote archived digest {id} to {}", path.display());
                }
                None => stdout.write_all(text.as_bytes())?,
            }
        }
        None => {
            let entries = store.archived_digests(board_id, args.limit).await?;
            if args.format == ListFormat::Json {
                serde_json::to_writer_pretty(&mut *stdout, &entries)?;
                writeln!(stdout)?;
            } else if entries.is_empty() {
                writeln!(
                    stdout,
                    "no digests archived yet: each digest posted on schedule or with /digest post \
                     is kept here"
                )?;
            } else {
                let at = |t: chrono::DateTime<chrono::Utc>| {
                    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                };
                writeln!(
                    stdout,
                    "id\tboard\tperiod\tas of\tposted at\tposted by\tdestinations"
                )?;
                for e in entries {
                    let by = match (e.posted_by.as_str(), e.requested_by) {
                        ("command", Some(who)) => format!("/digest post by {who}"),
                        _ => "schedule".to_string(),
                    };
                    let destinations = if e.destinations.is_empty() {
                        "not delivered".to_string()
                    } else {
                        e.destinations
                            .iter()
                            .map(|d| format!("{} ({})", d.destination, at(d.delivered_at)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    writeln!(
                        stdout,
                        "{}\t{}\t{} ({} to {})\t{}\t{}\t{by}\t{destinations}",
                        e.id,
                        e.board,
                        e.period_label,
                        e.period_start,
                        e.period_end,
                        e.as_of,
                        at(e.posted_at),
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// Export the record (`Ok`) or the monitoring figures (`Err`) as CSV; the rows written.
async fn export_any(
    store: &Store,
    board: &crate::domain::Board,
    kind: Result<ExportKind, IndicatorExport>,
    cells: Cells,
    out: impl Write,
) -> Result<usize, crate::services::ServiceError> {
    match kind {
        Ok(kind) => export_csv(store, board, kind, cells, out).await,
        Err(what) => export_indicators_csv(store, board, what, cells, out).await,
    }
}

/// Write `bytes` to `path` beside it and rename, so a failure never leaves a half-written file
/// where a good one was.
fn write_file_whole(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).with_context(|| {
        format!(
            "could not write {}; check the folder exists and is writable",
            tmp.display()
        )
    })?;
    std::fs::rename(&tmp, path).with_context(|| format!("could not write {}", path.display()))
}

/// Replace a SQLite database with a backup, refusing to overwrite one unless forced.
async fn restore(
    url: &crate::store::DatabaseUrl,
    file: &std::path::Path,
    force: bool,
) -> Result<()> {
    let Some(target) = url.sqlite_path() else {
        anyhow::bail!(
            "restore replaces a SQLite file; for PostgreSQL use pg_restore (see the README)"
        );
    };
    let target = PathBuf::from(target);
    if target.exists() && !force {
        anyhow::bail!(
            "{} already exists; stop the bot and run restore again with --force to replace it",
            target.display()
        );
    }
    let migrations = crate::store::restore_sqlite(file, &target).await?;
    println!(
        "restored {} from {} ({migrations} migrations applied in the backup; newer ones run at the next start)",
        target.display(),
        file.display()
    );
    Ok(())
}

/// A progress bar on standard error for large imports, only when a person is watching.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// `briefing-bot redact`: the redaction, then the files, the bot's Discord messages (when a
/// token is configured) and the reply.
async fn redact(
    store: &Store,
    settings: &Settings,
    clock: &dyn Clock,
    args: RedactArgs,
    out: &mut impl Write,
) -> Result<()> {
    use crate::services::redact::{
        aftermath, redact, redaction_reply, replace_forms, DiscordEdits, RedactionRequest,
        TextToRemove,
    };
    let slug = board_arg(args.board.as_deref())?;
    let board = resolve_board(store, slug.as_ref()).await?;
    let reference =
        crate::domain::Ref::parse(&args.reference).map_err(|e| anyhow::anyhow!("--ref: {e}"))?;
    let typed = if args.text == "-" {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("could not read the text to remove from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        args.text
    };
    let text = TextToRemove::new(&typed).map_err(|e| anyhow::anyhow!("--text: {e}"))?;
    let keep_days = settings.backups.keep_days()?;
    let request = RedactionRequest {
        reference: &reference,
        text: &text,
        reason: &args.reason,
        by: &args.by,
        at: clock.now(),
    };
    let report = redact(store, &board, &request).await?;
    let after = aftermath(store, &board, &report, keep_days).await?;
    let discord = match settings.discord.token() {
        None => DiscordEdits::NotChecked(
            "no Discord token is configured here (DISCORD_TOKEN); run /redact in Discord, or \
             this command where the bot's token is set, to edit what the bot posted"
                .to_string(),
        ),
        Some(token) => {
            let connection = crate::discord::client::Connection::new(
                token,
                settings.discord.api_url().map(str::to_string),
            );
            let http = crate::discord::client::http_client(&connection);
            let messages = store
                .posted_discord_messages(board.id, report.since)
                .await?;
            let edits = crate::delivery::redaction::redact_posted_messages(
                &http,
                &messages,
                board.chat.reminder_channel,
                &text.forms(),
                replace_forms,
            )
            .await;
            store
                .record_message_edits(report.id, &edits, clock.now())
                .await?;
            DiscordEdits::Checked(edits)
        }
    };
    write!(
        out,
        "{}",
        redaction_reply(&board, &report, &after, &discord)
    )?;
    Ok(())
}
