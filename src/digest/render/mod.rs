//! Renderers: each a function of a [`super::Digest`], [`super::Reminder`] or
//! [`super::MeetingBrief`] value.

pub mod chart;
pub mod discord;
pub mod figures;
pub mod html;
pub mod json;
pub mod markdown;
pub mod text;

/// Counts by name in words, leaving out the zeros: "3 implemented, 16 open".
pub(crate) fn counts_in_words(counts: &std::collections::BTreeMap<&'static str, usize>) -> String {
    counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The implementation rate as a headline: "7 of 19 recommendations implemented, 37%"; `None`
/// when there are no recommendations.
pub(crate) fn implementation_rate(r: &super::build::RecommendationTotals) -> Option<String> {
    let rate = r.implementation_rate?;
    let noun = if r.total == 1 {
        "recommendation"
    } else {
        "recommendations"
    };
    Some(format!(
        "{} of {} {noun} implemented, {rate}%",
        r.implemented, r.total
    ))
}

/// What an empty digest says: nothing had been recorded by then.
pub(crate) const NO_RECORDS_YET: &str =
    "The board had no recommendations or actions recorded yet on this date.";

/// Whether a digest has nothing in it at all (a point-in-time digest of a day before the
/// board's first record).
pub(crate) fn is_empty(d: &super::Digest) -> bool {
    d.totals.actions == 0 && d.recommendations.total == 0
}

/// "2 done actions await sign-off (A1, A2); 1 response is overdue (R3)."; `None` when there
/// is nothing for the secretariat.
pub(crate) fn secretariat_line(s: &crate::digest::reminder::ForSecretariat) -> Option<String> {
    let refs = |refs: &[String]| {
        let shown: Vec<&str> = refs.iter().take(10).map(String::as_str).collect();
        let more = refs.len().saturating_sub(shown.len());
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    let mut parts = Vec::new();
    match s.awaiting_sign_off.len() {
        0 => {}
        1 => parts.push(format!(
            "1 done action awaits sign-off ({}) — /action sign-off",
            refs(&s.awaiting_sign_off)
        )),
        n => parts.push(format!(
            "{n} done actions await sign-off ({}) — /action sign-off",
            refs(&s.awaiting_sign_off)
        )),
    }
    match s.responses_overdue.len() {
        0 => {}
        1 => parts.push(format!(
            "1 response is overdue ({})",
            refs(&s.responses_overdue)
        )),
        n => parts.push(format!(
            "{n} responses are overdue ({})",
            refs(&s.responses_overdue)
        )),
    }
    (!parts.is_empty()).then(|| format!("{}.", parts.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::reminder::ForSecretariat;

    fn refs(prefix: &str, n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("{prefix}-{i:02}")).collect()
    }

    #[test]
    fn the_secretariats_line_names_up_to_ten_refs_and_counts_the_rest() {
        assert_eq!(secretariat_line(&ForSecretariat::default()), None);
        let one = ForSecretariat {
            awaiting_sign_off: refs("A", 1),
            responses_overdue: Vec::new(),
        };
        assert_eq!(
            secretariat_line(&one).unwrap(),
            "1 done action awaits sign-off (A-01) — /action sign-off."
        );
        let many = ForSecretariat {
            awaiting_sign_off: refs("A", 10),
            responses_overdue: refs("R", 12),
        };
        let line = secretariat_line(&many).unwrap();
        assert!(
            line.starts_with("10 done actions await sign-off (A-01, A-02,"),
            "{line}"
        );
        assert!(line.contains("A-10) — /action sign-off; "), "{line}");
        assert!(
            line.ends_with("12 responses are overdue (R-01, R-02, R-03, R-04, R-05, R-06, R-07, R-08, R-09, R-10 and 2 more)."),
            "{line}"
        );
    }
}
