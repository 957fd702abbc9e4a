//! JSON: the `digest` and `remind` CLI contracts (stable keys, ISO-8601 dates).

use serde_json::{json, Value};

use crate::digest::build::GroupRow;
use crate::digest::{Digest, Reminder};

fn rows(rows: &[GroupRow], key: &str) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| json!({ key: r.name, "open": r.open, "overdue": r.overdue, "done": r.done }))
            .collect(),
    )
}

/// The digest as the contract's JSON.
pub fn digest_json(digest: &Digest) -> Value {
    let mut value = serde_json::to_value(digest).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        // The contract names each table's key column after what it groups by.
        map.insert("by_owner".into(), rows(&digest.by_owner, "owner"));
        map.insert("by_borough".into(), rows(&digest.by_borough, "borough"));
        map.insert("by_theme".into(), rows(&digest.by_theme, "theme"));
    }
    value
}

/// The reminder as the contract's JSON; `None` gives empty lists and `nothing_to_post`.
pub fn reminder_json(reminder: Option<&Reminder>, board: &str, as_of: chrono::NaiveDate) -> Value {
    match reminder {
        Some(r) => {
            let mut value = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("nothing_to_post".into(), Value::Bool(false));
            }
            value
        }
        None => json!({
            "board": board,
            "as_of": as_of,
            "nothing_to_post": true,
            "overdue": [],
            "due_soon": [],
            "by_owner": [],
        }),
    }
}
