//! The closed vocabularies: action status (and its RAG colour), recommendation status and
//! response, priority. Each parses leniently from what people type ("On track", "on-track",
//! "on_track") and always prints one canonical snake_case form, which the CSV, JSON and the
//! database all use.

use std::fmt;
use std::str::FromStr;

/// A value outside a closed vocabulary, with the accepted values to put in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what}; use one of: {}", .allowed.join(", "))]
pub struct StatusError {
    pub what: &'static str,
    pub value: String,
    pub allowed: Vec<&'static str>,
}

/// Lower-case, and treat spaces and hyphens as underscores, so "Not started" and "not-started"
/// both mean `not_started`.
fn normalise(input: &str) -> String {
    input
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the order boards read them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical form stored and exported.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The form shown to people ("not started").
            pub fn label(self) -> String {
                self.as_str().replace('_', " ")
            }

            pub fn parse(input: &str) -> Result<Self, StatusError> {
                // The stored, canonical form needs no normalising (the common case by far).
                if let Some(found) = Self::ALL.iter().copied().find(|v| v.as_str() == input) {
                    return Ok(found);
                }
                let wanted = normalise(input);
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == wanted)
                    .ok_or_else(|| StatusError {
                        what: $what,
                        value: input.trim().to_string(),
                        allowed: Self::ALL.iter().map(|v| v.as_str()).collect(),
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = StatusError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// Where an action stands. `done` and `dropped` are closed; the rest are open.
    ActionStatus, "action status", {
        NotStarted => "not_started",
        OnTrack => "on_track",
        AtRisk => "at_risk",
        OffTrack => "off_track",
        Done => "done",
        Dropped => "dropped",
    }
);

vocabulary!(
    /// Where a recommendation stands.
    RecommendationStatus, "recommendation status", {
        Open => "open",
        Implemented => "implemented",
        NotImplemented => "not_implemented",
        Superseded => "superseded",
    }
);

vocabulary!(
    /// The accountable body's formal answer to a recommendation.
    Response, "response", {
        Pending => "pending",
        Accepted => "accepted",
        PartiallyAccepted => "partially_accepted",
        Rejected => "rejected",
    }
);

vocabulary!(
    /// Red / amber / green, the colour boards use to read an action's health at a glance.
    Rag, "RAG rating", {
        Green => "green",
        Amber => "amber",
        Red => "red",
    }
);

impl ActionStatus {
    /// Closed actions are finished one way or another and never count as overdue.
    pub fn is_closed(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::Dropped)
    }

    /// RAG colour for open, rated actions; `not_started` and closed actions have none.
    pub fn rag(self) -> Option<Rag> {
        match self {
            ActionStatus::OnTrack => Some(Rag::Green),
            ActionStatus::AtRisk => Some(Rag::Amber),
            ActionStatus::OffTrack => Some(Rag::Red),
            _ => None,
        }
    }
}

impl RecommendationStatus {
    /// Anything but `open` is a closing decision and needs a note saying what shows it.
    pub fn is_closed(self) -> bool {
        self != RecommendationStatus::Open
    }
}

/// Whether a recommendation is flagged as a board priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Priority(pub bool);

impl Priority {
    pub fn parse(input: &str) -> Result<Self, StatusError> {
        match normalise(input).as_str() {
            "yes" | "y" | "true" | "1" | "priority" => Ok(Priority(true)),
            "no" | "n" | "false" | "0" | "" => Ok(Priority(false)),
            _ => Err(StatusError {
                what: "priority flag",
                value: input.trim().to_string(),
                allowed: vec!["yes", "no"],
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        if self.0 {
            "yes"
        } else {
            "no"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_the_way_people_type_them() {
        assert_eq!(
            ActionStatus::parse("On track").unwrap(),
            ActionStatus::OnTrack
        );
        assert_eq!(
            ActionStatus::parse(" not-started ").unwrap(),
            ActionStatus::NotStarted
        );
        assert_eq!(
            Response::parse("Partially accepted").unwrap(),
            Response::PartiallyAccepted
        );
        let err = ActionStatus::parse("finished").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"finished\" is not a valid action status; use one of: not_started, on_track, at_risk, off_track, done, dropped"
        );
    }

    #[test]
    fn closed_statuses_have_no_rag() {
        for status in ActionStatus::ALL {
            assert_eq!(
                status.is_closed(),
                status.rag().is_none() && *status != ActionStatus::NotStarted
            );
        }
        assert_eq!(ActionStatus::AtRisk.rag(), Some(Rag::Amber));
    }

    #[test]
    fn priority_is_yes_or_no() {
        assert!(Priority::parse("Yes").unwrap().0);
        assert!(!Priority::parse("").unwrap().0);
        assert!(Priority::parse("maybe").is_err());
    }
}
