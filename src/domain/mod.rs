//! The board's vocabulary as types: refs, statuses, dates, periods, records, indicators and
//! their figures, webhook targets, and how a cell of the record is written in a CSV file a
//! spreadsheet will open.
//! Parsed once at the edge (CSV, CLI, slash command) so nothing past it handles raw strings.
//! No I/O here.

mod board;
pub(crate) mod dates;
pub mod indicators;
mod period;
mod records;
mod refs;
mod schedule;
pub mod settings_history;
pub mod spreadsheet;
mod status;
mod text;
mod webhook;

pub use board::{BoardSettings, ChatSettings, MonitoringSettings, TimeZone, YearStartMonth};
pub use dates::{
    format_long_date, parse_date, parse_timestamp, DateError, EARLIEST_DATE, LATEST_DATE,
};
pub use period::Period;
pub use records::{
    Action, Board, ChangeKind, DueMoves, Meeting, Recommendation, Source, StatusUpdate, SubjectKind,
};
pub use refs::{BoardSlug, OfficerId, Ref, RefError};
pub use schedule::{Frequent, Schedule};
pub use settings_history::SettingChange;
pub use status::{ActionStatus, Priority, Rag, RecommendationStatus, Response, StatusError};
pub use text::{Text, TextError};
pub use webhook::{Webhook, WebhookKind, WebhookUrl};
