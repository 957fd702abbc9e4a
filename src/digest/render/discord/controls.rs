//! Controls on a message — select menus and buttons — as plain data, and what each one
//! carries in its custom id.
//!
//! Everything a click needs is in the custom id, not in the bot's memory: the board, the post
//! and message part it came from, and for one action its ref and a version. So the controls work
//! after a restart, and on another process, and a click on an action that has changed since
//! (closed, reassigned, its due date moved) can be told apart from a current one.
//!
//! The format, one place for writing and reading it (`src/discord/components/` reads it):
//! `bb1:<kind>:<board>:<post>:<part>[:<version>:<ref>]`, at most 100 characters (Discord's
//! limit; a ref is at most 40). A select's option value is `<version>:<ref>`.

use chrono::NaiveDate;

/// Discord's limits on components.
pub mod limits {
    /// Rows (select menus or rows of buttons) in one message.
    pub const ROWS_PER_MESSAGE: usize = 5;
    /// Options in one select menu.
    pub const OPTIONS_PER_SELECT: usize = 25;
    /// Characters in a custom id, an option's value, label or description.
    pub const CUSTOM_ID: usize = 100;
    pub const OPTION_LABEL: usize = 100;
    pub const OPTION_DESCRIPTION: usize = 100;
    /// Characters in a select menu's placeholder.
    pub const PLACEHOLDER: usize = 150;
    /// Characters in a button's label.
    pub const BUTTON_LABEL: usize = 80;
}

/// The version of an action a control was made for: a short fingerprint of what a form built
/// on it depends on (who it is assigned to and when it is due). An action closed since is
/// recognised by its status; one reassigned or given a new date by its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version(u32);

impl Version {
    /// The version of an action assigned to `officer` and due on `due`.
    pub fn of(officer: Option<u64>, due: NaiveDate) -> Self {
        // FNV-1a: stable across processes and releases (std's hasher is not).
        let mut hash: u32 = 0x811c_9dc5;
        let text = format!("{}|{due}", officer.unwrap_or(0));
        for byte in text.bytes() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        Self(hash)
    }

    fn parse(text: &str) -> Option<Self> {
        (text.len() == 8)
            .then(|| u32::from_str_radix(text, 16).ok())
            .flatten()
            .map(Self)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// What a person does to one action from a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// A status, a note and an evidence link.
    Update,
    /// Done, with what shows it (to sign-off when the board requires it).
    Done,
    /// A new due date and the reason: a slip.
    NewDate,
}

impl Act {
    fn code(self) -> &'static str {
        match self {
            Act::Update => "upd",
            Act::Done => "done",
            Act::NewDate => "date",
        }
    }

    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            Act::Update => "Update",
            Act::Done => "Done",
            Act::NewDate => "New date",
        }
    }
}

/// The post and message a control is on: the scheduled post's id in the delivery log and the
/// message's place in it. Zero until the message is sent ([`Message::for_post`]).
///
/// [`Message::for_post`]: super::Message::for_post
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PostPart {
    pub post: i64,
    pub part: u32,
}

/// What a control is for: everything its click needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum ControlId {
    /// The select menu on a reminder message: the `n`th of the message (ids must differ).
    Pick { board: i64, on: PostPart, n: u8 },
    /// A button (on the private panel a pick opens) for one action.
    Button {
        act: Act,
        board: i64,
        on: PostPart,
        version: Version,
        reference: String,
    },
    /// The form (modal) a button opens, for the same action.
    Form {
        act: Act,
        board: i64,
        on: PostPart,
        version: Version,
        reference: String,
    },
    /// "Preview my actions" on a digest post.
    Preview { board: i64 },
}

const PREFIX: &str = "bb1";

impl ControlId {
    /// Read a custom id; `None` for one that is not ours (another feature's, or a control
    /// from a release that wrote them differently).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(7, ':');
        if parts.next()? != PREFIX {
            return None;
        }
        let kind = parts.next()?;
        let board: i64 = parts.next()?.parse().ok()?;
        if kind == "mine" {
            return parts
                .next()
                .is_none()
                .then_some(ControlId::Preview { board });
        }
        let post: i64 = parts.next()?.parse().ok()?;
        let part: u32 = parts.next()?.parse().ok()?;
        let on = PostPart { post, part };
        if let Some(n) = kind.strip_prefix("pick") {
            return Some(ControlId::Pick {
                board,
                on,
                n: n.parse().ok()?,
            });
        }
        let version = Version::parse(parts.next()?)?;
        let reference = parts.next()?.to_string();
        if reference.is_empty() {
            return None;
        }
        let (form, code) = match kind.strip_prefix("f-") {
            Some(code) => (true, code),
            None => (false, kind),
        };
        let act = [Act::Update, Act::Done, Act::NewDate]
            .into_iter()
            .find(|a| a.code() == code)?;
        Some(if form {
            ControlId::Form {
                act,
                board,
                on,
                version,
                reference,
            }
        } else {
            ControlId::Button {
                act,
                board,
                on,
                version,
                reference,
            }
        })
    }

    /// The same control, on `on` (the message it was sent as).
    pub fn on(self, at: PostPart) -> Self {
        match self {
            ControlId::Pick { board, n, .. } => ControlId::Pick { board, on: at, n },
            ControlId::Button {
                act,
                board,
                version,
                reference,
                ..
            } => ControlId::Button {
                act,
                board,
                on: at,
                version,
                reference,
            },
            ControlId::Form {
                act,
                board,
                version,
                reference,
                ..
            } => ControlId::Form {
                act,
                board,
                on: at,
                version,
                reference,
            },
            preview @ ControlId::Preview { .. } => preview,
        }
    }
}

impl std::fmt::Display for ControlId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlId::Pick { board, on, n } => {
                write!(f, "{PREFIX}:pick{n}:{board}:{}:{}", on.post, on.part)
            }
            ControlId::Button {
                act,
                board,
                on,
                version,
                reference,
            } => write!(
                f,
                "{PREFIX}:{}:{board}:{}:{}:{version}:{reference}",
                act.code(),
                on.post,
                on.part
            ),
            ControlId::Form {
                act,
                board,
                on,
                version,
                reference,
            } => write!(
                f,
                "{PREFIX}:f-{}:{board}:{}:{}:{version}:{reference}",
                act.code(),
                on.post,
                on.part
            ),
            ControlId::Preview { board } => write!(f, "{PREFIX}:mine:{board}"),
        }
    }
}

impl From<ControlId> for String {
    fn from(id: ControlId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for ControlId {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        ControlId::parse(&text).ok_or_else(|| format!("not a control id: {text}"))
    }
}

/// A select option's value: the action's version and ref.
pub fn option_value(version: Version, reference: &str) -> String {
    format!("{version}:{reference}")
}

/// Read a select option's value back: the version it was made for and the ref.
pub fn parse_option_value(value: &str) -> Option<(Version, String)> {
    let (version, reference) = value.split_once(':')?;
    if reference.is_empty() {
        return None;
    }
    Some((Version::parse(version)?, reference.to_string()))
}

/// One option of a select menu.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SelectOption {
    pub label: String,
    pub value: String,
    pub description: Option<String>,
}

/// How a button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ButtonStyle {
    Primary,
    Secondary,
    Success,
}

/// One button.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Button {
    pub id: ControlId,
    pub label: String,
    pub style: ButtonStyle,
}

/// One row of a message's controls: a select menu, or up to five buttons.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Row {
    Select {
        id: ControlId,
        placeholder: String,
        options: Vec<SelectOption>,
    },
    Buttons(Vec<Button>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2010, 9, d).unwrap()
    }

    #[test]
    fn every_control_id_reads_back_as_written_within_discords_limit() {
        let on = PostPart {
            post: 9_999_999_999,
            part: 12,
        };
        let version = Version::of(Some(200_000_000_000_000_001), day(1));
        let long_ref = "R".repeat(40);
        let ids = [
            ControlId::Pick { board: 1, on, n: 4 },
            ControlId::Button {
                act: Act::NewDate,
                board: 123_456,
                on,
                version,
                reference: long_ref.clone(),
            },
            ControlId::Form {
                act: Act::Done,
                board: 123_456,
                on,
                version,
                reference: "ACT-001:x".into(),
            },
            ControlId::Form {
                act: Act::Update,
                board: 2,
                on,
                version,
                reference: long_ref,
            },
            ControlId::Preview { board: 3 },
        ];
        for id in ids {
            let text = id.to_string();
            assert!(text.chars().count() <= limits::CUSTOM_ID, "{text}");
            assert_eq!(ControlId::parse(&text), Some(id.clone()), "{text}");
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(serde_json::from_str::<ControlId>(&json).unwrap(), id);
        }
    }

    #[test]
    fn ids_that_are_not_ours_or_are_damaged_are_not_read() {
        for text in [
            "",
            "setup-save-123",
            "bb2:upd:1:2:3:0000abcd:A-1",
            "bb1:upd:1:2:3:0000abcd:",
            "bb1:upd:1:2:3:abcd:A-1",
            "bb1:zap:1:2:3:0000abcd:A-1",
            "bb1:pick:1:2:3",
            "bb1:mine:1:extra",
            "bb1:upd:x:2:3:0000abcd:A-1",
        ] {
            assert_eq!(ControlId::parse(text), None, "{text}");
        }
    }

    #[test]
    fn the_version_changes_with_the_officer_or_the_due_date_only() {
        let v = Version::of(Some(1), day(1));
        assert_eq!(v, Version::of(Some(1), day(1)));
        assert_ne!(v, Version::of(Some(2), day(1)));
        assert_ne!(v, Version::of(None, day(1)));
        assert_ne!(v, Version::of(Some(1), day(2)));
        let value = option_value(v, "ACT-001");
        assert_eq!(parse_option_value(&value), Some((v, "ACT-001".into())));
        assert_eq!(parse_option_value("ACT-001"), None);
    }
}
