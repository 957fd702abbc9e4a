//! A JSON-schema checker for the keywords Discord's OpenAPI schemas use, enough to check every
//! body the bot sends against `tests/fixtures/discord-openapi/schemas.json` and to answer as
//! Discord does: each problem has its place in the body and Discord's own error code, so the
//! fake can refuse with the `{"code": 50035, "errors": {…}}` body Discord sends.
//!
//! Keywords checked (every keyword the schemas use, audited against the fixture):
//! - structure: `$ref`, `type` (with nullable unions), `properties`, `required`,
//!   `additionalProperties`, `maxProperties`, `items`, `oneOf` / `anyOf` / `allOf`;
//! - values: `enum`, `const`, `minimum`, `maximum`, `minLength`, `maxLength`, `pattern`;
//! - arrays: `minItems`, `maxItems`, `uniqueItems` (Discord refuses a role listed twice in
//!   `allowed_mentions.roles` with `SET_TYPE_ALREADY_CONTAINS_VALUE`);
//! - `format`: `snowflake`, `int32`, `int64`, `uri`, `date-time` (`double` and `nonce` add
//!   nothing beyond their `type` and `maxLength`).
//!
//! `title`, `description` and `x-discord-union` are documentation. A `oneOf` is checked as
//! "at least one": Discord's unions are tagged (a `type` const, or null beside an object), so
//! no body matches two branches and "exactly one" would add nothing but slowness.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

/// The code the fake gives a field the schema does not know. Not Discord's: Discord ignores
/// unknown fields, so the fake records them (they are usually a typo) but does not refuse.
pub const UNKNOWN_FIELD: &str = "UNKNOWN_FIELD";

/// One thing wrong with a body: where, Discord's code for it, and Discord's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Keys and array indices from the body's root to the offending value.
    pub path: Vec<String>,
    /// Discord's error code (`BASE_TYPE_MAX_LENGTH`, `SET_TYPE_ALREADY_CONTAINS_VALUE`, …).
    pub code: &'static str,
    pub message: String,
}

impl Problem {
    pub fn new(path: &[String], code: &'static str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_vec(),
            code,
            message: message.into(),
        }
    }

    /// Whether Discord refuses the body for this (it ignores only unknown fields).
    pub fn refused(&self) -> bool {
        self.code != UNKNOWN_FIELD
    }

    /// `allowed_mentions.roles.1`, as serenity and discord.js print Discord's paths.
    pub fn place(&self) -> String {
        if self.path.is_empty() {
            "(body)".to_string()
        } else {
            self.path.join(".")
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]: {}", self.place(), self.code, self.message)
    }
}

/// Discord's answer to a body it refuses: 400 with code 50035 and the problems nested by
/// their path, each place holding `{"_errors": [{"code", "message"}]}`.
pub fn invalid_form_body(problems: &[Problem]) -> Value {
    let mut errors = Map::new();
    for p in problems.iter().filter(|p| p.refused()) {
        let mut node = &mut errors;
        for key in &p.path {
            node = node
                .entry(key.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("error nodes are objects");
        }
        node.entry("_errors")
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("_errors is a list")
            .push(json!({"code": p.code, "message": p.message}));
    }
    json!({"code": 50035, "message": "Invalid Form Body", "errors": errors})
}

/// The schemas, loaded once.
pub struct Schemas(Value);

/// How deep `$ref`s may nest before the checker stops (the schemas are not recursive, but a
/// bad fixture must not hang a test).
const MAX_DEPTH: usize = 40;

impl Schemas {
    pub fn load() -> Self {
        let text = include_str!("../../fixtures/discord-openapi/schemas.json");
        let all: Value = serde_json::from_str(text).expect("schemas.json is JSON");
        Self(all["schemas"].clone())
    }

    /// Problems with `value` against the named schema; empty when it conforms.
    pub fn check(&self, schema: &str, value: &Value) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.0[schema].is_null() {
            problems.push(Problem::new(
                &[],
                "NO_SCHEMA",
                format!("no schema {schema}"),
            ));
            return problems;
        }
        self.walk(&self.0[schema], value, &mut Vec::new(), &mut problems, 0);
        // A value can break one rule through two routes (a local `enum` and the `allOf` enum
        // type it names); Discord reports it once.
        let mut seen = HashSet::new();
        problems.retain(|p| seen.insert((p.path.clone(), p.code)));
        problems
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => &self.0[r.rsplit('/').next().unwrap_or_default()],
            None => schema,
        }
    }

    fn walk(
        &self,
        schema: &Value,
        value: &Value,
        path: &mut Vec<String>,
        problems: &mut Vec<Problem>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let schema = self.resolve(schema);
        if schema.is_null() {
            problems.push(Problem::new(path, "NO_SCHEMA", "no schema for this value"));
            return;
        }
        // A wrong type makes every other keyword meaningless: report it alone.
        if !self.type_ok(schema, value, path, problems) {
            return;
        }
        self.unions(schema, value, path, problems, depth);
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.walk(part, value, path, problems, depth + 1);
            }
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            if !value.is_null() && !values.contains(value) {
                problems.push(not_an_enum_value(path, value));
            }
        }
        if let Some(wanted) = schema.get("const") {
            if value != wanted {
                problems.push(not_an_enum_value(path, value));
            }
        }
        match value {
            Value::String(s) => string(schema, s, path, problems),
            Value::Number(_) => number(schema, value, path, problems),
            Value::Array(items) => self.array(schema, items, path, problems, depth),
            Value::Object(map) => self.object(schema, map, path, problems, depth),
            _ => {}
        }
    }

    /// `type`: the value's JSON type is one the schema allows. Discord accepts snowflakes as
    /// JSON numbers as well as strings (serenity sends attachment ids as numbers), and an
    /// integer wherever a number is wanted.
    fn type_ok(
        &self,
        schema: &Value,
        value: &Value,
        path: &[String],
        problems: &mut Vec<Problem>,
    ) -> bool {
        let Some(types) = schema.get("type") else {
            return true;
        };
        let allowed: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = json_type(value);
        let snowflake = schema.get("format").and_then(Value::as_str) == Some("snowflake");
        let ok = allowed.contains(&actual)
            || (actual == "integer" && allowed.contains(&"number"))
            || (actual == "integer" && snowflake);
        if !ok {
            let wanted = allowed
                .iter()
                .find(|t| **t != "null")
                .copied()
                .unwrap_or("null");
            problems.push(wrong_type(path, value, wanted, snowflake));
        }
        ok
    }

    /// `oneOf` / `anyOf`: at least one branch fits. When none does, the branch the value was
    /// most likely meant for explains why: the one whose type fits, then whose `type` tag
    /// fits, then with the fewest problems.
    fn unions(
        &self,
        schema: &Value,
        value: &Value,
        path: &mut Vec<String>,
        problems: &mut Vec<Problem>,
        depth: usize,
    ) {
        for key in ["oneOf", "anyOf"] {
            let Some(options) = schema.get(key).and_then(Value::as_array) else {
                continue;
            };
            if options.is_empty() {
                continue;
            }
            // An enumeration (`oneOf` of consts): one answer, as Discord gives it.
            if options.iter().all(|o| o.get("const").is_some()) {
                if !options.iter().any(|o| &o["const"] == value) {
                    problems.push(not_an_enum_value(path, value));
                }
                continue;
            }
            // Lower is likelier: (type does not fit, `type` tag does not fit, problems, is null).
            type Score = (bool, bool, usize, bool);
            let mut best: Option<(Score, Vec<Problem>)> = None;
            for option in options {
                let mut inner = Vec::new();
                self.walk(option, value, path, &mut inner, depth + 1);
                let refused = inner.iter().filter(|p| p.refused()).count();
                if refused == 0 {
                    // It fits; keep its notes (unknown fields) for the test to see.
                    best = Some(((false, false, 0, false), inner));
                    break;
                }
                let tag = path.len() + 1;
                let wrong_tag = inner
                    .iter()
                    .any(|p| p.refused() && p.path.len() == tag && p.path[tag - 1] == "type");
                let resolved = self.resolve(option);
                let score = (
                    !self.type_ok(resolved, value, path, &mut Vec::new()),
                    wrong_tag,
                    refused,
                    // On a tie, explain by the real shape rather than by "or null".
                    resolved.get("type").and_then(Value::as_str) == Some("null"),
                );
                if best.as_ref().is_none_or(|(s, _)| score < *s) {
                    best = Some((score, inner));
                }
            }
            if let Some((_, closest)) = best {
                problems.extend(closest);
            }
        }
    }

    fn array(
        &self,
        schema: &Value,
        items: &[Value],
        path: &mut Vec<String>,
        problems: &mut Vec<Problem>,
        depth: usize,
    ) {
        let (min, max) = (
            schema.get("minItems").and_then(Value::as_u64),
            schema.get("maxItems").and_then(Value::as_u64),
        );
        if let Some(p) = length_problem(path, items.len(), min, max) {
            problems.push(p);
        }
        if schema.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
            // Discord compares what the values mean: the snowflake "5" and 5 are one id.
            let mut seen = HashSet::new();
            for (i, item) in items.iter().enumerate() {
                let key = match item {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if !seen.insert(key) {
                    path.push(i.to_string());
                    problems.push(Problem::new(
                        path,
                        "SET_TYPE_ALREADY_CONTAINS_VALUE",
                        "The set already contains this value",
                    ));
                    path.pop();
                }
            }
        }
        if let Some(item) = schema.get("items") {
            for (i, v) in items.iter().enumerate() {
                path.push(i.to_string());
                self.walk(item, v, path, problems, depth + 1);
                path.pop();
            }
        }
    }

    fn object(
        &self,
        schema: &Value,
        map: &Map<String, Value>,
        path: &mut Vec<String>,
        problems: &mut Vec<Problem>,
        depth: usize,
    ) {
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    path.push(r.to_string());
                    problems.push(Problem::new(
                        path,
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    ));
                    path.pop();
                }
            }
        }
        if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64) {
            if map.len() as u64 > max {
                problems.push(Problem::new(
                    path,
                    "BASE_TYPE_MAX_LENGTH",
                    format!("Must be {max} or fewer in length."),
                ));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        let extra = schema.get("additionalProperties");
        for (k, v) in map {
            path.push(k.clone());
            match (props.and_then(|p| p.get(k)), extra) {
                (Some(s), _) => self.walk(s, v, path, problems, depth + 1),
                (None, Some(Value::Bool(false))) => problems.push(Problem::new(
                    path,
                    "BASE_TYPE_INVALID",
                    "This field is not allowed",
                )),
                (None, Some(s)) if s.is_object() => self.walk(s, v, path, problems, depth + 1),
                // Serenity sends a few response-only fields as null (an embed image's
                // proxy_url); only a value counts.
                (None, _) if v.is_null() || props.is_none() => {}
                (None, _) => problems.push(Problem::new(
                    path,
                    UNKNOWN_FIELD,
                    format!("unknown field {k} (Discord ignores it)"),
                )),
            }
            path.pop();
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `Value "5" is not int.` and its kin: Discord's words for a value of the wrong type.
fn wrong_type(path: &[String], value: &Value, wanted: &str, snowflake: bool) -> Problem {
    let shown = shown(value);
    match wanted {
        _ if snowflake => Problem::new(
            path,
            "NUMBER_TYPE_COERCE",
            format!("Value \"{shown}\" is not snowflake."),
        ),
        "integer" => Problem::new(
            path,
            "NUMBER_TYPE_COERCE",
            format!("Value \"{shown}\" is not int."),
        ),
        "number" => Problem::new(
            path,
            "NUMBER_TYPE_COERCE",
            format!("Value \"{shown}\" is not a number."),
        ),
        "boolean" => Problem::new(
            path,
            "BOOLEAN_TYPE_CONVERT",
            format!("Value \"{shown}\" is not bool."),
        ),
        "string" => Problem::new(
            path,
            "STRING_TYPE_CONVERT",
            format!("Could not interpret \"{shown}\" as string."),
        ),
        "array" => Problem::new(
            path,
            "LIST_TYPE_CONVERT",
            "Only iterables may be used in a ListType",
        ),
        "object" => Problem::new(
            path,
            "MODEL_TYPE_CONVERT",
            "Only dictionaries may be used in a ModelType",
        ),
        _ => Problem::new(path, "BASE_TYPE_REQUIRED", "This field is required"),
    }
}

fn not_an_enum_value(path: &[String], value: &Value) -> Problem {
    Problem::new(
        path,
        "ENUM_TYPE_COERCE",
        format!("Value \"{}\" is not a valid enum value.", shown(value)),
    )
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `minLength`/`maxLength` and `minItems`/`maxItems`, in Discord's words for each.
fn length_problem(
    path: &[String],
    len: usize,
    min: Option<u64>,
    max: Option<u64>,
) -> Option<Problem> {
    let len = len as u64;
    let short = min.is_some_and(|m| len < m);
    let long = max.is_some_and(|m| len > m);
    match (min, max) {
        (Some(min), Some(max)) if short || long => Some(Problem::new(
            path,
            "BASE_TYPE_BAD_LENGTH",
            format!("Must be between {min} and {max} in length."),
        )),
        (_, Some(max)) if long => Some(Problem::new(
            path,
            "BASE_TYPE_MAX_LENGTH",
            format!("Must be {max} or fewer in length."),
        )),
        (Some(min), _) if short => Some(Problem::new(
            path,
            "BASE_TYPE_MIN_LENGTH",
            format!("Must be {min} or more in length."),
        )),
        _ => None,
    }
}

fn string(schema: &Value, s: &str, path: &[String], problems: &mut Vec<Problem>) {
    // Discord counts characters (code points), not bytes.
    let (min, max) = (
        schema.get("minLength").and_then(Value::as_u64),
        schema.get("maxLength").and_then(Value::as_u64),
    );
    if let Some(p) = length_problem(path, s.chars().count(), min, max) {
        problems.push(p);
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        if !matches_pattern(pattern, s) {
            problems.push(Problem::new(
                path,
                "STRING_TYPE_REGEX",
                format!("String value did not match validation regex ({pattern})."),
            ));
        }
    }
    match schema.get("format").and_then(Value::as_str) {
        // The pattern has already refused what is not digits; a snowflake is also a 64-bit id.
        Some("snowflake") if matches_pattern(SNOWFLAKE, s) && s.parse::<u64>().is_err() => problems
            .push(Problem::new(
                path,
                "NUMBER_TYPE_COERCE",
                format!("Value \"{s}\" is not snowflake."),
            )),
        Some("uri") => {
            if let Some(p) = uri_problem(path, s) {
                problems.push(p);
            }
        }
        Some("date-time") if chrono::DateTime::parse_from_rfc3339(s).is_err() => {
            problems.push(Problem::new(
                path,
                "DATE_TYPE_PARSE",
                format!("Could not parse {s}. Should be ISO8601."),
            ))
        }
        _ => {}
    }
}

const SNOWFLAKE: &str = "^(0|[1-9][0-9]*)$";

/// The only `pattern` in the schemas is the snowflake's `^(0|[1-9][0-9]*)$`; any other fails
/// loudly so a new fixture cannot be half-checked without anyone noticing.
fn matches_pattern(pattern: &str, s: &str) -> bool {
    match pattern {
        SNOWFLAKE => {
            s == "0"
                || (s.starts_with(|c: char| ('1'..='9').contains(&c))
                    && s.chars().all(|c| c.is_ascii_digit()))
        }
        other => panic!("the schema checker does not know the pattern {other}; add it"),
    }
}

/// Discord's URL fields take `http(s)://host…`, `attachment://file` (a file of the same
/// message, for embed images) and `discord://…` (buttons); anything else is refused.
fn uri_problem(path: &[String], s: &str) -> Option<Problem> {
    let Some((scheme, rest)) = s.split_once("://") else {
        return Some(Problem::new(
            path,
            "URL_TYPE_INVALID_URL",
            "Not a well formed URL.",
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if !["http", "https", "attachment", "discord"].contains(&scheme.as_str()) {
        return Some(Problem::new(
            path,
            "URL_TYPE_INVALID_SCHEME",
            format!(
                "Scheme \"{scheme}\" is not supported. Scheme must be one of ('http', 'https')."
            ),
        ));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || s.chars().any(char::is_whitespace) {
        return Some(Problem::new(
            path,
            "URL_TYPE_INVALID_URL",
            "Not a well formed URL.",
        ));
    }
    None
}

fn number(schema: &Value, value: &Value, path: &[String], problems: &mut Vec<Problem>) {
    let Some(v) = value.as_f64() else {
        return;
    };
    let kind = if value.is_f64() { "float" } else { "int" };
    let mut min = schema.get("minimum").and_then(Value::as_f64);
    let mut max = schema.get("maximum").and_then(Value::as_f64);
    if schema.get("format").and_then(Value::as_str) == Some("int32") {
        min = Some(min.unwrap_or(f64::MIN).max(f64::from(i32::MIN)));
        max = Some(max.unwrap_or(f64::MAX).min(f64::from(i32::MAX)));
    }
    if let Some(min) = min.filter(|m| v < *m) {
        problems.push(Problem::new(
            path,
            "NUMBER_TYPE_MIN",
            format!("{kind} value should be greater than or equal to {min}."),
        ));
    }
    if let Some(max) = max.filter(|m| v > *m) {
        problems.push(Problem::new(
            path,
            "NUMBER_TYPE_MAX",
            format!("{kind} value should be less than or equal to {max}."),
        ));
    }
    // Snowflakes sent as numbers are ids too: no negative or fractional ones.
    if schema.get("format").and_then(Value::as_str) == Some("snowflake") && value.as_u64().is_none()
    {
        problems.push(Problem::new(
            path,
            "NUMBER_TYPE_COERCE",
            format!("Value \"{value}\" is not snowflake."),
        ));
    }
}

#[cfg(test)]
mod tests {
    //! Bodies Discord refuses, each refused here for the same reason and in the same place.

    use super::*;

    /// Where and why, sorted by place (object keys have no order to rely on).
    fn problems(schema: &str, body: Value) -> Vec<(String, &'static str)> {
        let mut found: Vec<_> = Schemas::load()
            .check(schema, &body)
            .into_iter()
            .map(|p| (p.place(), p.code))
            .collect();
        found.sort();
        found
    }

    fn message(body: Value) -> Vec<(String, &'static str)> {
        problems("MessageCreateRequest", body)
    }

    #[test]
    fn a_message_the_bot_sends_passes() {
        let body = json!({
            "content": "**Reminder — 4 Oct 2010**: 1 overdue",
            "embeds": [{"title": "MPS — 1 overdue", "description": "`ACT-001`", "color": 12_980_005,
                        "fields": [{"name": "Open", "value": "3", "inline": true}],
                        "footer": {"text": "as at 4 Oct 2010"}, "image": {"url": "attachment://chart.png"},
                        "timestamp": "2010-10-04T08:00:00Z"}],
            "allowed_mentions": {"parse": [], "users": ["200000000000000001"], "roles": [700_000_000_000_000_010u64], "replied_user": false},
            "attachments": [{"id": 0, "filename": "chart.png"}],
            "nonce": "bb12-0",
            "enforce_nonce": true,
        });
        assert_eq!(message(body), []);
    }

    #[test]
    fn a_role_or_user_listed_twice_is_refused_at_the_second_one() {
        let body = json!({"content": "x", "allowed_mentions": {"parse": [], "roles": ["10", "11", "10"], "users": ["5", 5]}});
        assert_eq!(
            message(body),
            [
                (
                    "allowed_mentions.roles.2".to_string(),
                    "SET_TYPE_ALREADY_CONTAINS_VALUE"
                ),
                (
                    "allowed_mentions.users.1".to_string(),
                    "SET_TYPE_ALREADY_CONTAINS_VALUE"
                ),
            ]
        );
        let body = json!({"content": "x", "allowed_mentions": {"parse": ["users", "users"]}});
        assert_eq!(
            message(body),
            [(
                "allowed_mentions.parse.1".to_string(),
                "SET_TYPE_ALREADY_CONTAINS_VALUE"
            )]
        );
    }

    #[test]
    fn a_mention_kind_discord_does_not_know_is_refused() {
        let body = json!({"content": "x", "allowed_mentions": {"parse": ["admins"]}});
        assert_eq!(
            message(body),
            [("allowed_mentions.parse.0".to_string(), "ENUM_TYPE_COERCE")]
        );
    }

    #[test]
    fn ids_that_are_not_snowflakes_are_refused() {
        for bad in [
            json!("12a"),
            json!("012"),
            json!(""),
            json!(-3),
            json!(1.5),
            json!("99999999999999999999"),
        ] {
            let body = json!({"content": "x", "allowed_mentions": {"users": [bad.clone()]}});
            let found = message(body);
            assert_eq!(found.len(), 1, "{bad}: {found:?}");
            assert_eq!(found[0].0, "allowed_mentions.users.0", "{bad}");
        }
    }

    #[test]
    fn lengths_counts_and_ranges_are_refused_beyond_the_limits() {
        let long = "é".repeat(257);
        let fields: Vec<Value> = (0..26)
            .map(|i| json!({"name": format!("f{i}"), "value": "v"}))
            .collect();
        let body = json!({"embeds": [{"title": long, "color": 16_777_216, "fields": fields}]});
        assert_eq!(
            message(body),
            [
                ("embeds.0.color".to_string(), "NUMBER_TYPE_MAX"),
                ("embeds.0.fields".to_string(), "BASE_TYPE_MAX_LENGTH"),
                ("embeds.0.title".to_string(), "BASE_TYPE_MAX_LENGTH"),
            ]
        );
        let embeds: Vec<Value> = (0..11).map(|_| json!({"title": "t"})).collect();
        assert_eq!(
            message(json!({"embeds": embeds})),
            [("embeds".to_string(), "BASE_TYPE_MAX_LENGTH")]
        );
        // 256 characters of a two-byte letter is within the limit: Discord counts characters.
        assert_eq!(message(json!({"embeds": [{"title": "é".repeat(256)}]})), []);
    }

    #[test]
    fn a_field_without_a_value_and_an_empty_filename_are_refused() {
        let body = json!({"embeds": [{"fields": [{"name": "Open"}]}], "attachments": [{"id": 0, "filename": ""}]});
        assert_eq!(
            message(body),
            [
                ("attachments.0.filename".to_string(), "BASE_TYPE_BAD_LENGTH"),
                ("embeds.0.fields.0.value".to_string(), "BASE_TYPE_REQUIRED"),
            ]
        );
    }

    #[test]
    fn urls_and_timestamps_must_be_well_formed() {
        let body = json!({"embeds": [
            {"url": "javascript:alert(1)", "image": {"url": "chart.png"}, "timestamp": "4 Oct 2010"},
            {"url": "https://example.org/a", "thumbnail": {"url": "attachment://by-owner.csv"}, "timestamp": "2010-10-04T09:00:00+01:00"},
        ]});
        assert_eq!(
            message(body),
            [
                ("embeds.0.image.url".to_string(), "URL_TYPE_INVALID_URL"),
                ("embeds.0.timestamp".to_string(), "DATE_TYPE_PARSE"),
                ("embeds.0.url".to_string(), "URL_TYPE_INVALID_URL"),
            ]
        );
        assert_eq!(
            message(json!({"embeds": [{"url": "ftp://example.org/x"}]})),
            [("embeds.0.url".to_string(), "URL_TYPE_INVALID_SCHEME")]
        );
    }

    #[test]
    fn wrong_types_are_refused_once_in_discords_words() {
        let checked = Schemas::load().check(
            "MessageCreateRequest",
            &json!({"content": 5, "tts": "yes", "embeds": {"title": "t"}, "nonce": 1.5}),
        );
        let mut found: Vec<(String, &str, &str)> = checked
            .iter()
            .map(|p| (p.place(), p.code, p.message.as_str()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                (
                    "content".to_string(),
                    "STRING_TYPE_CONVERT",
                    "Could not interpret \"5\" as string."
                ),
                (
                    "embeds".to_string(),
                    "LIST_TYPE_CONVERT",
                    "Only iterables may be used in a ListType"
                ),
                (
                    "nonce".to_string(),
                    "NUMBER_TYPE_COERCE",
                    "Value \"1.5\" is not int."
                ),
                (
                    "tts".to_string(),
                    "BOOLEAN_TYPE_CONVERT",
                    "Value \"yes\" is not bool."
                ),
            ]
        );
    }

    #[test]
    fn a_nonce_longer_than_25_characters_is_refused() {
        assert_eq!(
            message(json!({"content": "x", "nonce": "n".repeat(26)})),
            [("nonce".to_string(), "BASE_TYPE_MAX_LENGTH")]
        );
    }

    #[test]
    fn interaction_callbacks_are_checked_through_their_unions_and_enums() {
        // A modal needs a title of 1 to 45 characters and known component types.
        let modal = json!({"type": 9, "data": {"custom_id": "note", "title": "",
            "components": [{"type": 1, "components": [{"type": 4, "custom_id": "n", "style": 3, "label": "Note"}]}]}});
        assert_eq!(
            problems("ModalInteractionCallbackRequest", modal),
            [
                (
                    "data.components.0.components.0.style".to_string(),
                    "ENUM_TYPE_COERCE"
                ),
                ("data.title".to_string(), "BASE_TYPE_BAD_LENGTH"),
            ]
        );
        assert_eq!(
            problems(
                "CreateMessageInteractionCallbackRequest",
                json!({"type": 3})
            ),
            [("type".to_string(), "ENUM_TYPE_COERCE")]
        );
        // Autocomplete choices need a name.
        let choices =
            json!({"type": 8, "data": {"choices": [{"name": "", "value": "DSVB-2010-03"}]}});
        assert_eq!(
            problems("ApplicationCommandAutocompleteCallbackRequest", choices),
            [("data.choices.0.name".to_string(), "BASE_TYPE_BAD_LENGTH")]
        );
    }

    #[test]
    fn localised_names_are_checked_as_additional_properties() {
        let mut names = Map::new();
        for i in 0..35 {
            names.insert(format!("l{i}"), json!("Nom"));
        }
        names.insert("fr".into(), json!(""));
        let choices = json!({"type": 8, "data": {"choices": [{"name": "n", "value": 1, "name_localizations": names}]}});
        assert_eq!(
            problems("ApplicationCommandAutocompleteCallbackRequest", choices),
            [
                (
                    "data.choices.0.name_localizations".to_string(),
                    "BASE_TYPE_MAX_LENGTH"
                ),
                (
                    "data.choices.0.name_localizations.fr".to_string(),
                    "BASE_TYPE_BAD_LENGTH"
                ),
            ]
        );
    }

    #[test]
    fn an_unknown_field_is_noted_but_not_refused() {
        let found = Schemas::load().check(
            "MessageCreateRequest",
            &json!({"content": "x", "colour": 3}),
        );
        assert_eq!(found.len(), 1);
        assert!(!found[0].refused(), "{found:?}");
    }

    #[test]
    fn the_refusal_nests_problems_by_path_as_discord_does() {
        let problems = Schemas::load().check(
            "MessageCreateRequest",
            &json!({"content": "x", "colour": 3, "allowed_mentions": {"roles": ["10", "10"]}}),
        );
        assert_eq!(
            invalid_form_body(&problems),
            json!({"code": 50035, "message": "Invalid Form Body", "errors": {
                "allowed_mentions": {"roles": {"1": {"_errors": [
                    {"code": "SET_TYPE_ALREADY_CONTAINS_VALUE", "message": "The set already contains this value"}
                ]}}}
            }})
        );
    }
}
