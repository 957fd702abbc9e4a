//! A small JSON-schema checker for the subset Discord's OpenAPI schemas use (`type` with
//! nullable unions, `properties`, `required`, `items`, `maxItems`, `maxLength`, `minimum`,
//! `maximum`, `enum`, `oneOf`/`anyOf`/`allOf`, `$ref`), enough to check every body the bot sends
//! against `tests/fixtures/discord-openapi/schemas.json`.

use serde_json::Value;

/// The schemas, loaded once.
pub struct Schemas(Value);

impl Schemas {
    pub fn load() -> Self {
        let text = include_str!("../../fixtures/discord-openapi/schemas.json");
        let all: Value = serde_json::from_str(text).expect("schemas.json is JSON");
        Self(all["schemas"].clone())
    }

    /// Problems with `value` against the named schema; empty when it conforms.
    pub fn check(&self, schema: &str, value: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.walk(&self.0[schema], value, schema, &mut problems, 0);
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
        path: &str,
        problems: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > 40 {
            return;
        }
        let schema = self.resolve(schema);
        if schema.is_null() {
            problems.push(format!("{path}: no schema"));
            return;
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = schema.get(key).and_then(Value::as_array) {
                let mut closest: Option<Vec<String>> = None;
                for option in options {
                    let mut inner = Vec::new();
                    self.walk(option, value, path, &mut inner, depth + 1);
                    if closest.as_ref().is_none_or(|c| inner.len() < c.len()) {
                        closest = Some(inner);
                    }
                }
                if let Some(closest) = closest.filter(|c| !c.is_empty()) {
                    problems.push(format!(
                        "{path}: matches none of the allowed shapes ({})",
                        closest.join("; ")
                    ));
                }
            }
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                // allOf here only names an enum type for documentation; check types loosely.
                let part = self.resolve(part);
                if part.get("type").is_some() && part.get("enum").is_none() {
                    self.walk(part, value, path, problems, depth + 1);
                }
            }
        }
        if let Some(types) = schema.get("type") {
            let allowed: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            let actual = match value {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            // Discord accepts snowflakes as JSON numbers as well as strings, and serenity sends
            // attachment ids as numbers.
            let snowflake = schema.get("format").and_then(Value::as_str) == Some("snowflake");
            let ok = allowed.contains(&actual)
                || (actual == "integer" && allowed.contains(&"number"))
                || (actual == "integer" && snowflake);
            if !ok {
                problems.push(format!("{path}: is {actual}, schema wants {allowed:?}"));
                return;
            }
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            if !value.is_null() && !values.contains(value) {
                problems.push(format!("{path}: {value} is not one of {values:?}"));
            }
        }
        match value {
            Value::String(s) => {
                if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
                    if s.chars().count() as u64 > max {
                        problems.push(format!(
                            "{path}: {} characters, at most {max}",
                            s.chars().count()
                        ));
                    }
                }
            }
            Value::Number(n) => {
                if let (Some(min), Some(v)) =
                    (schema.get("minimum").and_then(Value::as_f64), n.as_f64())
                {
                    if v < min {
                        problems.push(format!("{path}: {v} below {min}"));
                    }
                }
                if let (Some(max), Some(v)) =
                    (schema.get("maximum").and_then(Value::as_f64), n.as_f64())
                {
                    if v > max {
                        problems.push(format!("{path}: {v} above {max}"));
                    }
                }
            }
            Value::Array(items) => {
                if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
                    if items.len() as u64 > max {
                        problems.push(format!("{path}: {} items, at most {max}", items.len()));
                    }
                }
                if let Some(item) = schema.get("items") {
                    for (i, v) in items.iter().enumerate() {
                        self.walk(item, v, &format!("{path}[{i}]"), problems, depth + 1);
                    }
                }
            }
            Value::Object(map) => {
                if let Some(required) = schema.get("required").and_then(Value::as_array) {
                    for r in required.iter().filter_map(Value::as_str) {
                        if !map.contains_key(r) {
                            problems.push(format!("{path}: missing required {r}"));
                        }
                    }
                }
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (k, v) in map {
                        match props.get(k) {
                            Some(s) => self.walk(s, v, &format!("{path}.{k}"), problems, depth + 1),
                            // Discord ignores unknown fields; serenity sends a few response-only
                            // ones as null (an embed image's proxy_url). Only a value counts.
                            None if v.is_null() => {}
                            None => problems.push(format!("{path}: unknown field {k}")),
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
