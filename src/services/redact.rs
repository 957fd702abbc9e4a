//! Redaction: removing text typed by mistake (a victim's name, an address, a case detail) from
//! one action's or recommendation's record, from every history entry about it and from the
//! digest archive, in one transaction, with a history entry of its own that says who, when,
//! why and which entries — never what.
//!
//! The removed text is replaced by [`MARK`]. Text already reading `[redacted]` is left alone,
//! so a second redaction never breaks the mark of a first. The store's guards (see
//! `store/redaction.rs`) refuse any other rewrite of the history or the archive.

use chrono::{DateTime, Utc};

use super::ServiceError;
use crate::digest::render::{discord, html, markdown};
use crate::domain::{Board, ChangeKind, Ref, StatusUpdate, SubjectKind};
use crate::store::{
    retry_conflicts, ArchivedDestination, ArchivedTexts, EntryTexts, MessageEdit,
    MessageEditOutcome, Store, Transaction,
};

/// What removed text is replaced with, everywhere.
pub const MARK: &str = "[redacted]";

/// Text to remove. It is exactly what must not be kept, so it never prints: `Debug` hides it.
#[derive(Clone)]
pub struct TextToRemove(String);

impl std::fmt::Debug for TextToRemove {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TextToRemove(..)")
    }
}

impl TextToRemove {
    /// Check the text a person gave: not blank, at least two characters, and not part of the
    /// mark itself (removing `red` would eat earlier redactions' marks).
    pub fn new(text: &str) -> Result<Self, ServiceError> {
        if text.trim().is_empty() {
            return Err(ServiceError::rejected(
                "Give the text to remove, exactly as it appears (the match is case-sensitive).",
            ));
        }
        if text.chars().count() < 2 {
            return Err(ServiceError::rejected(
                "The text to remove is a single character; give the whole word or name, so \
                 nothing else is removed with it.",
            ));
        }
        if MARK.contains(text) || text.contains(MARK) {
            return Err(ServiceError::rejected(format!(
                "The text to remove overlaps the mark {MARK} that replaces removed text; give \
                 the text that is still there."
            )));
        }
        Ok(Self(text.to_string()))
    }

    /// Every form the text takes where it was shown: as typed, escaped for Markdown, Discord
    /// and HTML, doubled quotes in CSV, and each of those inside a JSON string (the archive
    /// keeps the JSON digest and the Discord messages as JSON). Longest first, so a longer
    /// form is replaced before a shorter one inside it.
    pub fn forms(&self) -> Vec<String> {
        let text = self.0.as_str();
        // Escaped as it would be in the middle of a line (a prefix keeps the line-start rules
        // out) and at the start of one.
        let mid = |escape: fn(&str) -> String| {
            let escaped = escape(&format!("x{text}"));
            escaped.strip_prefix('x').map(str::to_string)
        };
        let mut forms = vec![
            text.to_string(),
            markdown::escape(text),
            discord::escape(text),
            html::escape(text),
            text.replace('"', "\"\""),
        ];
        forms.extend(mid(markdown::escape));
        forms.extend(mid(discord::escape));
        let in_json: Vec<String> = forms.iter().filter_map(|f| in_json_string(f)).collect();
        forms.extend(in_json);
        forms.retain(|f| !f.trim().is_empty());
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        forms
    }

    /// The text as typed, for matching the record's own fields.
    fn as_typed(&self) -> &str {
        &self.0
    }
}

/// Replace every occurrence of any of `forms` in `text` with [`MARK`], leaving existing marks
/// alone. Returns the new text and how many occurrences went.
pub fn replace_forms(text: &str, forms: &[String]) -> (String, usize) {
    let mut count = 0;
    let pieces: Vec<String> = text
        .split(MARK)
        .map(|piece| {
            let mut piece = piece.to_string();
            for form in forms {
                let found = piece.matches(form.as_str()).count();
                if found > 0 {
                    count += found;
                    piece = piece.replace(form.as_str(), MARK);
                }
            }
            piece
        })
        .collect();
    (pieces.join(MARK), count)
}

/// A redaction to make.
#[derive(Debug, Clone)]
pub struct RedactionRequest<'a> {
    pub reference: &'a Ref,
    pub text: &'a TextToRemove,
    pub reason: &'a str,
    /// Who is redacting: `discord:<id>` or a name given to the command line.
    pub by: &'a str,
    pub at: DateTime<Utc>,
}

/// An archived digest a redaction rewrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RewrittenDigest {
    pub id: i64,
    pub posted_at: DateTime<Utc>,
}

/// What a redaction changed. Holds no trace of the removed text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RedactionReport {
    /// The redaction's number (its row in the store).
    pub id: i64,
    pub subject: SubjectKind,
    #[serde(rename = "ref")]
    pub reference: Ref,
    /// The record's own fields the text was removed from (`title`, `owner` …).
    pub record_fields: Vec<&'static str>,
    /// The history entries it was removed from (their numbers), oldest first.
    pub entries: Vec<i64>,
    /// How many fields changed in all: the record's, the entries' and the archive's.
    pub fields: usize,
    /// The archived digests rewritten.
    pub digests: Vec<RewrittenDigest>,
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
    /// When the record's history began: messages posted before then cannot show it.
    pub since: DateTime<Utc>,
}

/// Remove `request.text` from the record `request.reference` names (an action, else a
/// recommendation), its history and the board's archived digests, in one transaction, and
/// append the `redacted` entry. Nothing found anywhere: an error, nothing changed.
pub async fn redact(
    store: &Store,
    board: &Board,
    request: &RedactionRequest<'_>,
) -> Result<RedactionReport, ServiceError> {
    let reason = request.reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::rejected(
            "Say why the text is being removed (for example \"a victim's name typed by \
             mistake\"): the reason is kept in the history, the text is not.",
        ));
    }
    if reason.contains(request.text.as_typed()) {
        return Err(ServiceError::rejected(
            "The reason repeats the text being removed, and the reason is kept for good; say              why without quoting it.",
        ));
    }
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        let report = redact_in(&mut tx, board, request, reason).await?;
        tx.commit().await?;
        Ok(report)
    })
    .await
}

async fn redact_in(
    tx: &mut Transaction,
    board: &Board,
    request: &RedactionRequest<'_>,
    reason: &str,
) -> Result<RedactionReport, ServiceError> {
    let typed = [request.text.as_typed().to_string()];
    let forms = request.text.forms();
    let (subject, subject_id, record_fields) =
        redact_record(tx, board, request.reference, &typed, request.at).await?;
    let mut fields = record_fields.len();
    // Entries keep typed text, and the record as JSON (quotes and backslashes escaped).
    let stored_forms = json_and_typed(request.text);
    let mut entries = Vec::new();
    let mut since = request.at;
    let redaction_id = tx
        .open_redaction(
            board.id, subject, subject_id, request.at, request.by, reason,
        )
        .await?;
    for mut entry in tx.entry_texts(board.id, subject, subject_id).await? {
        since = since.min(entry.recorded_at);
        let changed = redact_entry(&mut entry, subject, &stored_forms);
        if changed > 0 {
            tx.rewrite_entry(&entry).await?;
            entries.push(entry.id);
            fields += changed;
        }
    }
    let mut digests = Vec::new();
    for mut archived in tx.archived_texts_containing(board.id, &forms).await? {
        let changed = redact_archived(&mut archived, &forms);
        if changed > 0 {
            tx.rewrite_archived(redaction_id, &archived).await?;
            digests.push(RewrittenDigest {
                id: archived.id,
                posted_at: archived.posted_at,
            });
            fields += changed;
        }
    }
    if fields == 0 {
        return Err(ServiceError::rejected(format!(
            "That text does not appear in {}'s record, its history or the digest archive, so \
             nothing was changed. The match is exact and case-sensitive: copy the text as \
             /history {} shows it.",
            request.reference, request.reference
        )));
    }
    let summary = summary(&record_fields, &entries, &digests);
    let entry = StatusUpdate {
        subject,
        reference: request.reference.clone(),
        at: request.at,
        by: request.by.to_string(),
        change: ChangeKind::Redacted,
        old_value: None,
        new_value: Some(summary),
        note: Some(reason.to_string()),
        evidence: None,
    };
    tx.append_update(board.id, subject_id, &entry).await?;
    tx.close_redaction(
        redaction_id,
        fields,
        &entries,
        &digests.iter().map(|d| d.id).collect::<Vec<_>>(),
    )
    .await?;
    Ok(RedactionReport {
        id: redaction_id,
        subject,
        reference: request.reference.clone(),
        record_fields,
        entries,
        fields,
        digests,
        at: request.at,
        by: request.by.to_string(),
        reason: reason.to_string(),
        since,
    })
}

/// What lies beyond the database, after a redaction has committed: copies it cannot reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aftermath {
    /// Webhook deliveries of the rewritten digests: Slack and Teams cannot edit what they were
    /// sent, so the secretariat must follow up there.
    pub webhooks: Vec<ArchivedDestination>,
    /// What was done so the text does not linger in the database's files, in words.
    pub files: String,
    /// How long backups are kept (`backups.keep_days`): backups taken before the redaction
    /// hold the text until then.
    pub keep_days: u32,
}

/// Make sure the text is gone from the database's files and find the copies a redaction
/// cannot reach (webhook deliveries). Run after [`redact`] has committed.
pub async fn aftermath(
    store: &Store,
    board: &Board,
    report: &RedactionReport,
    keep_days: u32,
) -> Result<Aftermath, ServiceError> {
    let files = store.scrub_freed_text().await?;
    let mut webhooks = Vec::new();
    for digest in &report.digests {
        if let Some(archived) = store.archived_digest(Some(board.id), digest.id).await? {
            webhooks.extend(
                archived
                    .entry
                    .destinations
                    .into_iter()
                    .filter(|d| d.destination.starts_with("webhook:")),
            );
        }
    }
    Ok(Aftermath {
        webhooks,
        files,
        keep_days,
    })
}

/// The reply to whoever redacted (the command line prints it; Discord shows it privately):
/// what changed, what the history now says, which Discord messages were edited or could not
/// be, and what cannot be recalled (webhooks, backups). Never the removed text.
pub fn redaction_reply(
    board: &Board,
    report: &RedactionReport,
    aftermath: &Aftermath,
    discord: &DiscordEdits,
) -> String {
    let tz = &board.settings.time_zone;
    let when = |at: DateTime<Utc>| discord::short_local_time(tz, at);
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut places = Vec::new();
    if !report.record_fields.is_empty() {
        places.push(format!("the record ({})", report.record_fields.join(", ")));
    }
    let mut place = |(one, many): (&str, &str), items: Vec<String>| {
        if !items.is_empty() {
            places.push(format!(
                "{} ({})",
                plural(items.len(), one, many),
                items.join(", ")
            ));
        }
    };
    place(
        ("history entry", "history entries"),
        report.entries.iter().map(|id| format!("#{id}")).collect(),
    );
    place(
        ("archived digest", "archived digests"),
        report
            .digests
            .iter()
            .map(|d| format!("#{} posted {}", d.id, when(d.posted_at)))
            .collect(),
    );
    let mut out = format!(
        "Redacted {} (redaction #{}): the text is now {MARK} in {} — {} in all.\n",
        report.reference,
        report.id,
        places.join(", "),
        plural(report.fields, "field", "fields")
    );
    out.push_str(&format!(
        "The history has a new entry \"redacted\" saying who, when and why ({}); it never \
         holds the text. Statuses, dates and authors are unchanged.\n",
        report.reason
    ));
    match discord {
        DiscordEdits::NotChecked(why) => out.push_str(&format!(
            "Discord: the bot's messages were not checked: {why}.\n"
        )),
        DiscordEdits::Checked(edits) => {
            let edited = edits
                .iter()
                .filter(|e| e.outcome == MessageEditOutcome::Edited)
                .count();
            let failed: Vec<&MessageEdit> = edits
                .iter()
                .filter(|e| {
                    !matches!(
                        e.outcome,
                        MessageEditOutcome::Edited | MessageEditOutcome::Unchanged
                    )
                })
                .collect();
            out.push_str(&format!(
                "Discord: {} of the bot's messages checked, {} edited.\n",
                edits.len(),
                edited
            ));
            for e in failed {
                out.push_str(&format!(
                    "  Could not edit message {} in <#{}>: {}.\n",
                    e.message_id,
                    e.channel_id,
                    e.detail.as_deref().unwrap_or(e.outcome.as_str())
                ));
            }
        }
    }
    if !aftermath.webhooks.is_empty() {
        out.push_str(
            "Webhooks cannot edit what they were sent; the text may still be in Slack or Teams \
             where these went — remove it there:\n",
        );
        for w in &aftermath.webhooks {
            out.push_str(&format!(
                "  {} on {}\n",
                w.destination.trim_start_matches("webhook:"),
                when(w.delivered_at)
            ));
        }
    }
    out.push_str(&format!("Files: {}\n", aftermath.files));
    out.push_str(&format!(
        "Backups taken before now still hold the text, and cannot be edited: this deployment \
         keeps backups for {} days (backups.keep_days), so the last one holding it is deleted \
         by {}. People who already read it cannot be made to forget it.\n",
        aftermath.keep_days,
        (tz.today(report.at) + chrono::Days::new(u64::from(aftermath.keep_days)))
            .format("%-d %b %Y")
    ));
    out
}

/// Whether the bot's Discord messages were checked for the text, and what happened to each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscordEdits {
    /// Not checked, and why (no token configured, say).
    NotChecked(String),
    Checked(Vec<MessageEdit>),
}

/// `text` as it reads inside a JSON string (quotes and backslashes escaped), without the quotes.
fn in_json_string(text: &str) -> Option<String> {
    let quoted = serde_json::to_string(text).ok()?;
    Some(quoted.get(1..quoted.len().checked_sub(1)?)?.to_string())
}

/// The forms text takes in the history: as typed and inside the record's JSON.
fn json_and_typed(text: &TextToRemove) -> Vec<String> {
    let typed = text.as_typed().to_string();
    let mut forms: Vec<String> = in_json_string(&typed).into_iter().collect();
    forms.push(typed);
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms
}

/// Remove the text from the record's own free-text fields and write it back. Returns the
/// record's kind, id and the fields changed.
async fn redact_record(
    tx: &mut Transaction,
    board: &Board,
    reference: &Ref,
    forms: &[String],
    at: DateTime<Utc>,
) -> Result<(SubjectKind, i64, Vec<&'static str>), ServiceError> {
    let mut changed = Vec::new();
    let mut field = |name: &'static str, value: &mut String| {
        let (new, count) = replace_forms(value, forms);
        if count > 0 {
            *value = new;
            changed.push(name);
        }
    };
    if let Some(stored) = tx.action(board.id, reference).await? {
        let mut action = stored.action.clone();
        field("title", &mut action.title);
        field("owner", &mut action.owner);
        if let Some(borough) = action.borough.as_mut() {
            field("borough", borough);
        }
        if !changed.is_empty() {
            tx.update_action(stored.id, &action, stored.recommendation_id, at)
                .await?;
        }
        return Ok((SubjectKind::Action, stored.id, changed));
    }
    if let Some(stored) = tx.recommendation(board.id, reference).await? {
        let mut rec = stored.recommendation.clone();
        field("title", &mut rec.title);
        for (name, value) in [
            ("text", rec.text.as_mut()),
            ("theme", rec.theme.as_mut()),
            ("owner", rec.owner.as_mut()),
        ] {
            if let Some(value) = value {
                field(name, value);
            }
        }
        if !changed.is_empty() {
            let source_id = tx.recommendation_source_id(stored.id).await?;
            tx.update_recommendation(stored.id, &rec, source_id, at)
                .await?;
        }
        return Ok((SubjectKind::Recommendation, stored.id, changed));
    }
    Err(ServiceError::NotFound {
        what: "action or recommendation",
        reference: reference.to_string(),
        hint: "Check the ref; /action list and /rec list show them all.".to_string(),
    })
}

/// The columns of the record an entry keeps that hold free text (see the guards in the
/// redaction migration): an action's title, owner and borough; a recommendation's title,
/// text, theme and owner.
fn text_columns(subject: SubjectKind) -> &'static [usize] {
    match subject {
        SubjectKind::Action => &[2, 3, 4],
        SubjectKind::Recommendation => &[1, 2, 3, 4],
    }
}

/// Remove the text from one history entry; returns how many of its fields changed.
fn redact_entry(entry: &mut EntryTexts, subject: SubjectKind, forms: &[String]) -> usize {
    let mut changed = 0;
    let mut text = |value: &mut Option<String>| {
        if let Some(v) = value.as_mut() {
            let (new, count) = replace_forms(v, forms);
            if count > 0 {
                *v = new;
                changed += 1;
            }
        }
    };
    text(&mut entry.note);
    text(&mut entry.evidence);
    // Old and new values are statuses, dates and field names, except in an edit of details.
    if entry.change_kind == ChangeKind::Details.as_str() {
        text(&mut entry.old_value);
        text(&mut entry.new_value);
    }
    if let Some(record) = entry.record.as_deref() {
        if let Some(new) = redact_record_json(record, subject, forms) {
            entry.record = Some(new);
            changed += 1;
        }
    }
    changed
}

/// The record an entry keeps with the text removed from its free-text columns, or `None`
/// when it holds none (or is not the JSON array it should be).
fn redact_record_json(record: &str, subject: SubjectKind, forms: &[String]) -> Option<String> {
    let mut columns: Vec<serde_json::Value> = serde_json::from_str(record).ok()?;
    let mut found = 0;
    for &i in text_columns(subject) {
        if let Some(serde_json::Value::String(s)) = columns.get_mut(i) {
            let (new, count) = replace_forms(s, forms);
            if count > 0 {
                *s = new;
                found += count;
            }
        }
    }
    (found > 0).then(|| serde_json::to_string(&columns).ok())?
}

/// Remove the text from an archived digest's renderings; returns how many of them changed.
fn redact_archived(archived: &mut ArchivedTexts, forms: &[String]) -> usize {
    let mut changed = 0;
    for text in [
        &mut archived.json,
        &mut archived.markdown,
        &mut archived.html,
    ] {
        let (new, count) = replace_forms(text, forms);
        if count > 0 {
            *text = new;
            changed += 1;
        }
    }
    if let Some(new) = redact_discord_messages(&archived.discord, forms) {
        archived.discord = new;
        changed += 1;
    }
    changed
}

/// The archived Discord messages with the text removed from every string — and from the CSV
/// files attached, which are kept as base64 — or `None` when they hold none of it.
fn redact_discord_messages(serialised: &str, forms: &[String]) -> Option<String> {
    use base64::Engine as _;
    let mut messages: serde_json::Value = serde_json::from_str(serialised).ok()?;
    let mut found = 0;
    fn walk(value: &mut serde_json::Value, forms: &[String], found: &mut usize) {
        match value {
            serde_json::Value::String(s) => {
                let (new, count) = replace_forms(s, forms);
                if count > 0 {
                    *s = new;
                    *found += count;
                }
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|v| walk(v, forms, found));
            }
            serde_json::Value::Object(map) => {
                let is_csv = map
                    .get("name")
                    .and_then(|n| n.as_str())
                    .is_some_and(|n| n.ends_with(".csv"));
                for (key, v) in map.iter_mut() {
                    if key == "bytes" {
                        if is_csv {
                            redact_csv_bytes(v, forms, found);
                        }
                    } else {
                        walk(v, forms, found);
                    }
                }
            }
            _ => {}
        }
    }
    fn redact_csv_bytes(value: &mut serde_json::Value, forms: &[String], found: &mut usize) {
        let engine = base64::engine::general_purpose::STANDARD;
        let Some(text) = value
            .as_str()
            .and_then(|b| engine.decode(b).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok())
        else {
            return;
        };
        let (new, count) = replace_forms(&text, forms);
        if count > 0 {
            *value = serde_json::Value::String(engine.encode(new.as_bytes()));
            *found += count;
        }
    }
    walk(&mut messages, forms, &mut found);
    (found > 0).then(|| serde_json::to_string(&messages).ok())?
}

/// The history entry's summary of what was touched, e.g. "title; entries #3, #7; archived
/// digests #2".
fn summary(record_fields: &[&str], entries: &[i64], digests: &[RewrittenDigest]) -> String {
    let list = |ids: &mut dyn Iterator<Item = i64>| {
        ids.map(|id| format!("#{id}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !record_fields.is_empty() {
        parts.push(format!("record: {}", record_fields.join(", ")));
    }
    if !entries.is_empty() {
        parts.push(format!(
            "history entries {}",
            list(&mut entries.iter().copied())
        ));
    }
    if !digests.is_empty() {
        parts.push(format!(
            "archived digests {}",
            list(&mut digests.iter().map(|d| d.id))
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(text: &str) -> Vec<String> {
        TextToRemove::new(text).unwrap().forms()
    }

    #[test]
    fn every_occurrence_goes_and_earlier_marks_stay() {
        let (text, n) = replace_forms(
            "Jane Roe called; [redacted] and Jane Roe again",
            &forms("Jane Roe"),
        );
        assert_eq!(text, "[redacted] called; [redacted] and [redacted] again");
        assert_eq!(n, 2);
    }

    #[test]
    fn the_match_is_case_sensitive() {
        let (text, n) = replace_forms("jane roe", &forms("Jane Roe"));
        assert_eq!((text.as_str(), n), ("jane roe", 0));
    }

    #[test]
    fn escaped_forms_are_found_where_the_text_was_shown() {
        let f = forms("O'Brien_Smith");
        for shown in [
            "O'Brien_Smith",     // as typed
            "O'Brien\\_Smith",   // Markdown and Discord
            "O&#39;Brien_Smith", // HTML
        ] {
            let (text, n) = replace_forms(&format!("x {shown} y"), &f);
            assert_eq!((text.as_str(), n), ("x [redacted] y", 1), "{shown}");
        }
        let f = forms("say \"hi\"");
        let (text, n) = replace_forms(r#"{"note":"say \"hi\" now"}"#, &f);
        assert_eq!((text.as_str(), n), (r#"{"note":"[redacted] now"}"#, 1));
    }

    #[test]
    fn blank_single_character_and_mark_overlapping_texts_are_refused() {
        for bad in ["", "   ", "J", "red", "[redacted]", "x [redacted] y"] {
            assert!(TextToRemove::new(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(TextToRemove::new("Al").is_ok());
    }

    #[test]
    fn the_text_never_prints() {
        let t = TextToRemove::new("Jane Roe").unwrap();
        assert_eq!(format!("{t:?}"), "TextToRemove(..)");
    }

    #[test]
    fn only_free_text_columns_of_a_kept_record_change() {
        let record = r#"["ACT-1","R1","Call Jane Roe","Jane Roe's team",null,"42","2010-01-01","done","2010-01-02",0]"#;
        let out = redact_record_json(record, SubjectKind::Action, &forms("Jane Roe")).unwrap();
        let v: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        assert_eq!(v[2], "Call [redacted]");
        assert_eq!(v[3], "[redacted]'s team");
        assert_eq!(v[7], "done");
        // A ref or status that happened to match stays: only text columns are touched.
        assert!(redact_record_json(record, SubjectKind::Action, &forms("done")).is_none());
        assert!(redact_record_json("not json", SubjectKind::Action, &forms("Jane")).is_none());
    }

    #[test]
    fn csv_files_in_archived_messages_are_redacted_too() {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let csv = "ref,title\nACT-1,Call Jane Roe\n";
        let messages = serde_json::json!([{
            "content": "Call Jane Roe",
            "files": [{"name": "actions.csv", "bytes": engine.encode(csv)},
                      {"name": "chart.png", "bytes": engine.encode("Jane Roe")}]
        }])
        .to_string();
        let out = redact_discord_messages(&messages, &forms("Jane Roe")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v[0]["content"], "Call [redacted]");
        let file = engine
            .decode(v[0]["files"][0]["bytes"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(file).unwrap(),
            "ref,title\nACT-1,Call [redacted]\n"
        );
        // Not a CSV: its bytes are not text to search.
        assert_eq!(v[0]["files"][1]["bytes"], engine.encode("Jane Roe"));
    }

    fn report(entries: Vec<i64>, digests: usize) -> RedactionReport {
        let at = DateTime::parse_from_rfc3339("2010-10-05T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        RedactionReport {
            id: 4,
            subject: SubjectKind::Action,
            reference: Ref::parse("ACT-009").unwrap(),
            record_fields: vec!["title"],
            entries,
            fields: 3,
            digests: (0..digests)
                .map(|i| RewrittenDigest {
                    id: 7 + i as i64,
                    posted_at: at,
                })
                .collect(),
            at,
            by: "secretary".into(),
            reason: "a name typed by mistake".into(),
            since: at,
        }
    }

    #[test]
    fn the_reply_says_what_changed_what_was_edited_and_what_cannot_be_recalled() {
        let board = Board {
            id: 1,
            slug: crate::domain::BoardSlug::parse("dsvb").unwrap(),
            name: "DSVB".into(),
            settings: Default::default(),
            chat: Default::default(),
        };
        let at = report(vec![], 0).at;
        let after = Aftermath {
            webhooks: vec![ArchivedDestination {
                destination: "webhook:teams-board".into(),
                delivered_at: at,
            }],
            files: "Zeroed.".into(),
            keep_days: 30,
        };
        let edit = |outcome, detail: Option<&str>| MessageEdit {
            channel_id: "55".into(),
            message_id: "66".into(),
            outcome,
            detail: detail.map(str::to_string),
        };
        let edits = DiscordEdits::Checked(vec![
            edit(MessageEditOutcome::Edited, None),
            edit(MessageEditOutcome::Unchanged, None),
            edit(
                MessageEditOutcome::Gone,
                Some("the message was deleted in Discord"),
            ),
        ]);
        let one = redaction_reply(&board, &report(vec![23], 1), &after, &edits);
        assert!(one.starts_with("Redacted ACT-009 (redaction #4): the text is now [redacted] in the record (title), 1 history entry (#23), 1 archived digest (#7 posted 5 Oct 2010 10:00 BST) — 3 fields in all."), "{one}");
        assert!(one.contains("(a name typed by mistake)"), "{one}");
        assert!(
            one.contains("Discord: 3 of the bot's messages checked, 1 edited."),
            "{one}"
        );
        assert!(
            one.contains("Could not edit message 66 in <#55>: the message was deleted in Discord."),
            "{one}"
        );
        assert!(
            !one.contains("Could not edit message 66 in <#55>: unchanged"),
            "{one}"
        );
        assert!(
            one.contains("  teams-board on 5 Oct 2010 10:00 BST"),
            "{one}"
        );
        assert!(one.contains("Files: Zeroed."), "{one}");
        assert!(one.contains("keeps backups for 30 days (backups.keep_days), so the last one holding it is deleted by 4 Nov 2010"), "{one}");
        let many = redaction_reply(
            &board,
            &report(vec![23, 31], 2),
            &Aftermath {
                webhooks: vec![],
                ..after
            },
            &DiscordEdits::NotChecked("no token".into()),
        );
        assert!(
            many.contains("2 history entries (#23, #31), 2 archived digests (#7 posted"),
            "{many}"
        );
        assert!(
            many.contains("Discord: the bot's messages were not checked: no token."),
            "{many}"
        );
        assert!(!many.contains("Webhooks cannot edit"), "{many}");
        let none = redaction_reply(
            &board,
            &RedactionReport {
                record_fields: vec![],
                ..report(vec![23], 0)
            },
            &Aftermath {
                webhooks: vec![],
                files: String::new(),
                keep_days: 1,
            },
            &DiscordEdits::Checked(vec![]),
        );
        assert!(
            none.contains("in 1 history entry (#23) — 3 fields"),
            "{none}"
        );
    }

    #[test]
    fn the_summary_names_fields_entries_and_digests() {
        let digests = [RewrittenDigest {
            id: 2,
            posted_at: DateTime::<Utc>::default(),
        }];
        assert_eq!(
            summary(&["title"], &[3, 7], &digests),
            "record: title; history entries #3, #7; archived digests #2"
        );
        assert_eq!(summary(&[], &[3], &[]), "history entries #3");
    }
}
