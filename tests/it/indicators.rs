//! The board's monitoring figures: importing indicators and figures (all or nothing, every
//! problem with its line, column and fix, every revision in the history), exporting them back,
//! and the digest's `indicators` contract — on both backends, for a board whose year starts in
//! April and one whose year starts in January.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use briefing_bot::domain::indicators::RevisionSubject;
use briefing_bot::domain::spreadsheet::Cells;
use briefing_bot::domain::{BoardSettings, BoardSlug, YearStartMonth};
use briefing_bot::services::import::{ImportError, ImportOptions, ImportSummary, Problem};
use briefing_bot::services::indicator_export::{export_indicators_csv, IndicatorExport};
use briefing_bot::services::indicators::{import_indicator_csv, IndicatorFile};
use briefing_bot::store::Store;

use crate::on_both_backends;
use crate::support::db::{sqlite, TestDb};

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn slug(s: &str) -> BoardSlug {
    BoardSlug::parse(s).unwrap()
}

fn options(now: DateTime<Utc>, year_start: u32) -> ImportOptions<'static> {
    ImportOptions {
        by: "secretariat",
        now,
        new_board_settings: BoardSettings {
            year_start_month: YearStartMonth::new(year_start).unwrap(),
            ..Default::default()
        },
        ..Default::default()
    }
}

pub const INDICATORS: &str = "\
key,name,unit,better,theme,description
sso_rate,Sexual offences meeting the minimum standards,percent,higher,Sexual violence,Share of reports recorded to the Home Office minimum standards
repeat_victims,Repeat victims of domestic abuse,count,lower,Domestic abuse,
reports,Domestic abuse reports,count,none,Domestic abuse,A rise can mean more confidence to report
fgm_referrals,FGM referrals,,,'Honour'-based violence,
";

async fn import(
    store: &Store,
    board: &str,
    file: IndicatorFile,
    csv: &str,
    options: &ImportOptions<'_>,
) -> Result<ImportSummary, ImportError> {
    import_indicator_csv(
        store,
        Some(&slug(board)),
        file,
        "file.csv",
        csv.as_bytes(),
        options,
    )
    .await
}

async fn digest_json(store: &Store, board: &str, as_of: NaiveDate) -> Value {
    let board = store.board(&slug(board)).await.unwrap().unwrap();
    let digest = briefing_bot::digest::load_digest(store, &board, as_of)
        .await
        .unwrap();
    briefing_bot::digest::render::json::digest_json(&digest)
}

fn problems(result: Result<ImportSummary, ImportError>) -> Vec<Problem> {
    match result {
        Err(ImportError::Invalid { problems, .. }) => problems,
        other => panic!("expected the file to be rejected, got {other:?}"),
    }
}

fn has(problems: &[Problem], line: u64, column: &str, text: &str) -> bool {
    problems
        .iter()
        .any(|p| p.line == line && p.column.as_deref() == Some(column) && p.message.contains(text))
}

const APRIL_FIGURES: &str = "\
indicator,area,period,value,denominator,note
sso_rate,Brent,2010-07-01,1,3,
sso_rate,Bexley,2010-07-01,2,6,
sso_rate,Brent,2010-04-01,1,8,
sso_rate,Brent,2009-07-01,1,16,
repeat_victims,Brent,2010-07-01,30,,
repeat_victims,Bexley,2010-07-01,10,,
repeat_victims,Brent,2010-04-01,25,,
repeat_victims,Camden,2010-04-01,7,,
repeat_victims,Brent,2009-07-01,20,,
repeat_victims,Bexley,2009-07-01,10,,
reports,Brent,2010-07-01,12,,
reports,Brent,2009-07-01,5,,
reports,Brent,2008-07-01,99,,older than anything the digest compares
";

/// A board whose year starts in April, reviewing Q2 2010/11 (July–September 2010): the
/// contract's every rule — sums, pooled percentages rounded half up, directions, areas,
/// nulls — exactly.
async fn the_indicators_contract_for_a_year_starting_in_april(db: TestDb) {
    let o = options(at(2010, 10, 2, 9), 4);
    import(&db.store, "dsvb", IndicatorFile::Indicators, INDICATORS, &o)
        .await
        .unwrap();
    let summary = import(&db.store, "dsvb", IndicatorFile::Figures, APRIL_FIGURES, &o)
        .await
        .unwrap();
    assert_eq!((summary.created, summary.updated), (13, 0));
    let json = digest_json(&db.store, "dsvb", day(2010, 10, 1)).await;
    assert_eq!(
        json["indicators"],
        json!([
            {"key": "fgm_referrals", "name": "FGM referrals", "unit": "count", "better": "none",
             "value": null, "previous": null, "year_ago": null, "direction": null, "areas": []},
            {"key": "repeat_victims", "name": "Repeat victims of domestic abuse", "unit": "count",
             "better": "lower", "value": 40, "previous": 32, "year_ago": 30, "direction": "worse",
             "areas": [
                {"area": "Bexley", "value": 10, "previous": null, "year_ago": 10, "direction": "same"},
                {"area": "Brent", "value": 30, "previous": 25, "year_ago": 20, "direction": "worse"},
                {"area": "Camden", "value": null, "previous": 7, "year_ago": null, "direction": null},
             ]},
            {"key": "reports", "name": "Domestic abuse reports", "unit": "count", "better": "none",
             "value": 12, "previous": null, "year_ago": 5, "direction": "unrated",
             "areas": [
                {"area": "Brent", "value": 12, "previous": null, "year_ago": 5, "direction": "unrated"},
             ]},
            {"key": "sso_rate", "name": "Sexual offences meeting the minimum standards",
             "unit": "percent", "better": "higher", "value": 33.3, "previous": 12.5,
             "year_ago": 6.3, "direction": "better",
             "areas": [
                {"area": "Bexley", "value": 33.3, "previous": null, "year_ago": null, "direction": null},
                {"area": "Brent", "value": 33.3, "previous": 12.5, "year_ago": 6.3, "direction": "better"},
             ]},
        ])
    );
    let monitoring = &json["monitoring"];
    assert_eq!(monitoring["reviewed"]["label"], "Q2 2010/11");
    assert_eq!(monitoring["previous"]["label"], "Q1 2010/11");
    assert_eq!(monitoring["year_ago"]["label"], "Q2 2009/10");
    // Brent's repeat victims rose by 10 (50%) against a year ago: the wrong way, by more than
    // 10% and by at least 5. Camden reported last quarter and not this one.
    assert_eq!(
        monitoring["exceptions"],
        json!([{"indicator": "repeat_victims", "area": "Brent", "value": 30, "year_ago": 20,
                "change_percent": 50.0}])
    );
    assert_eq!(
        monitoring["missing_returns"],
        json!([{"indicator": "repeat_victims", "area": "Camden"}])
    );

    // Q1 2010/11 (April–June) compares with Q4 2009/10, across the year boundary.
    let json = digest_json(&db.store, "dsvb", day(2010, 7, 1)).await;
    let repeat = &json["indicators"][1];
    assert_eq!(repeat["key"], "repeat_victims");
    assert_eq!(json["monitoring"]["previous"]["label"], "Q4 2009/10");
    assert_eq!(json["monitoring"]["previous"]["start"], "2010-01-01");
    assert_eq!(json["monitoring"]["year_ago"]["start"], "2009-04-01");
    assert_eq!(repeat["value"], 32);
    assert_eq!(repeat["previous"], Value::Null);
}

/// A board whose year starts in January: its quarters start in January, April, July and
/// October, and Q1 2011 compares with Q4 2010 and Q1 2010.
async fn the_indicators_contract_for_a_year_starting_in_january(db: TestDb) {
    let o = options(at(2011, 4, 2, 9), 1);
    import(&db.store, "cal", IndicatorFile::Indicators, INDICATORS, &o)
        .await
        .unwrap();
    // 2010-02-01 is not a quarter start for this board; it would be for one starting in
    // February.
    let bad = "indicator,area,period,value,denominator,note\nreports,Brent,2010-02-01,3,,\n";
    let found = problems(import(&db.store, "cal", IndicatorFile::Figures, bad, &o).await);
    assert!(
        has(
            &found,
            2,
            "period",
            "falls in Q1 2010 (2010-01-01 to 2010-03-31); use 2010-01-01"
        ),
        "{found:?}"
    );
    let figures = "\
indicator,area,period,value,denominator,note
reports,Brent,2011-01-01,20,,
reports,Brent,2010-10-01,16,,
reports,Brent,2010-01-01,10,,
sso_rate,Brent,2011-01-01,3,4,
sso_rate,Brent,2010-01-01,1,2,
";
    import(&db.store, "cal", IndicatorFile::Figures, figures, &o)
        .await
        .unwrap();
    let json = digest_json(&db.store, "cal", day(2011, 4, 1)).await;
    assert_eq!(json["monitoring"]["reviewed"]["label"], "Q1 2011");
    assert_eq!(json["monitoring"]["previous"]["label"], "Q4 2010");
    assert_eq!(json["monitoring"]["year_ago"]["label"], "Q1 2010");
    let reports = &json["indicators"][2];
    assert_eq!(
        (
            &reports["value"],
            &reports["previous"],
            &reports["year_ago"]
        ),
        (&json!(20), &json!(16), &json!(10))
    );
    let rate = &json["indicators"][3];
    assert_eq!(
        (&rate["value"], &rate["year_ago"], &rate["direction"]),
        (&json!(75.0), &json!(50.0), &json!("better"))
    );
}

/// Every bad figure the contract lists is reported, each with its line, column and fix, and
/// nothing is written.
async fn every_bad_figure_is_listed_and_nothing_is_written(db: TestDb) {
    let o = options(at(2010, 10, 2, 9), 4);
    import(&db.store, "dsvb", IndicatorFile::Indicators, INDICATORS, &o)
        .await
        .unwrap();
    let file = "\
indicator,area,period,value,denominator,note
nope,Brent,2010-07-01,3,,
reports,Brent,2010-08-01,3,,
reports,Brent,2010-02-30,3,,
reports,Brent,2010-07-01,-3,,
reports,Bexley,2010-07-01,2.5,,
reports,Camden,2010-07-01,lots,,
sso_rate,Brent,2010-07-01,3,,
sso_rate,Bexley,2010-07-01,3,0,
sso_rate,Camden,2010-07-01,9,4,
reports,Ealing,2010-07-01,3,10,
reports,Ealing,2010-07-01,4,,
reports,,2010-07-01,4,,
";
    let found = problems(import(&db.store, "dsvb", IndicatorFile::Figures, file, &o).await);
    for (line, column, text) in [
        (2, "indicator", "there is no indicator nope on this board"),
        (3, "period", "falls in Q2 2010/11"),
        (4, "period", "2010-02-30"),
        (5, "value", "negative"),
        (6, "value", "not a whole number"),
        (7, "value", "not a number"),
        (
            8,
            "denominator",
            "is a percentage, so give what the value is out of",
        ),
        (9, "denominator", "is 0"),
        (10, "value", "more than the denominator 4"),
        (11, "denominator", "is a count, which has no denominator"),
        (12, "area", "appears twice in this file (first on line 11)"),
        (13, "area", "is empty"),
    ] {
        assert!(
            has(&found, line, column, text),
            "line {line} {column}: {found:#?}"
        );
    }
    let board = db.store.board(&slug("dsvb")).await.unwrap().unwrap();
    assert!(db
        .store
        .figures(board.id, None, None)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        db.store.indicator_history(board.id).await.unwrap().len(),
        4,
        "only the four definitions' creation"
    );
}

/// The indicators and [`APRIL_FIGURES`] imported into board dsvb.
async fn import_april_figures(store: &Store, options: &ImportOptions<'_>) {
    import(
        store,
        "dsvb",
        IndicatorFile::Indicators,
        INDICATORS,
        options,
    )
    .await
    .unwrap();
    import(
        store,
        "dsvb",
        IndicatorFile::Figures,
        APRIL_FIGURES,
        options,
    )
    .await
    .unwrap();
}

/// Existing figures are an error unless --update; with it, each changed figure is updated and
/// its revision recorded (who, when, old → new); unchanged ones are counted as such; a dry run
/// reports and writes nothing.
async fn revisions_need_update_and_are_all_in_the_history(db: TestDb) {
    let first = options(at(2010, 10, 2, 9), 4);
    import_april_figures(&db.store, &first).await;
    let corrected = APRIL_FIGURES.replace(
        "repeat_victims,Brent,2010-07-01,30,,",
        "repeat_victims,Brent,2010-07-01,28,,late return",
    );
    let found = problems(
        import(
            &db.store,
            "dsvb",
            IndicatorFile::Figures,
            &corrected,
            &first,
        )
        .await,
    );
    assert!(
        has(
            &found,
            6,
            "value",
            "already recorded (30); import with --update"
        ),
        "{found:?}"
    );
    let again = problems(
        import(
            &db.store,
            "dsvb",
            IndicatorFile::Indicators,
            INDICATORS,
            &first,
        )
        .await,
    );
    assert!(has(&again, 2, "key", "import with --update"), "{again:?}");

    let mut later = options(at(2010, 10, 9, 14), 4);
    later.by = "discord:42";
    later.update = true;
    later.dry_run = true;
    let dry = import(
        &db.store,
        "dsvb",
        IndicatorFile::Figures,
        &corrected,
        &later,
    )
    .await
    .unwrap();
    assert_eq!((dry.created, dry.updated, dry.unchanged), (0, 1, 12));
    assert!(dry.to_string().contains("dry run"), "{dry}");
    let json = digest_json(&db.store, "dsvb", day(2010, 10, 1)).await;
    assert_eq!(
        json["indicators"][1]["value"], 40,
        "the dry run wrote nothing"
    );

    later.dry_run = false;
    let done = import(
        &db.store,
        "dsvb",
        IndicatorFile::Figures,
        &corrected,
        &later,
    )
    .await
    .unwrap();
    assert_eq!((done.created, done.updated, done.unchanged), (0, 1, 12));
    assert_eq!(
        done.to_string(),
        "board dsvb: created 0, updated 1, unchanged 12"
    );
    let json = digest_json(&db.store, "dsvb", day(2010, 10, 1)).await;
    assert_eq!(json["indicators"][1]["value"], 38);

    let board = db.store.board(&slug("dsvb")).await.unwrap().unwrap();
    let history = db.store.indicator_history(board.id).await.unwrap();
    assert_eq!(history.len(), 4 + 13 + 1);
    let last = history.last().unwrap();
    assert_eq!(last.key.as_str(), "repeat_victims");
    assert_eq!(last.area.as_deref(), Some("Brent"));
    assert_eq!(last.period, Some(day(2010, 7, 1)));
    assert_eq!(
        (last.by.as_str(), last.at),
        ("discord:42", at(2010, 10, 9, 14))
    );
    assert_eq!(last.change, "value, note");
    assert_eq!(
        (last.old_value.as_deref(), last.new_value.as_deref()),
        (Some("30"), Some("28"))
    );
    let created = &history[4];
    assert_eq!(
        (created.change.as_str(), created.by.as_str()),
        ("created", "secretariat")
    );

    // A definition's change is recorded too; its unit cannot change once it has figures.
    let renamed = INDICATORS.replace("FGM referrals,,", "Female genital mutilation referrals,,");
    import(
        &db.store,
        "dsvb",
        IndicatorFile::Indicators,
        &renamed,
        &later,
    )
    .await
    .unwrap();
    let history = db.store.indicator_history(board.id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.key.as_str(), last.change.as_str()),
        ("fgm_referrals", "name")
    );
    let unit_change = INDICATORS.replace(
        "Domestic abuse reports,count",
        "Domestic abuse reports,percent",
    );
    let found = problems(
        import(
            &db.store,
            "dsvb",
            IndicatorFile::Indicators,
            &unit_change,
            &later,
        )
        .await,
    );
    assert!(has(&found, 4, "unit", "cannot become percent"), "{found:?}");
}

/// Export writes what import reads: a second board loaded from the exports exports the same.
async fn exports_import_back_to_the_same_state(db: TestDb) {
    let o = options(at(2010, 10, 2, 9), 4);
    import(&db.store, "dsvb", IndicatorFile::Indicators, INDICATORS, &o)
        .await
        .unwrap();
    import(&db.store, "dsvb", IndicatorFile::Figures, APRIL_FIGURES, &o)
        .await
        .unwrap();
    let export = |board: &'static str, what| {
        let store = db.store.clone();
        async move {
            let board = store.board(&slug(board)).await.unwrap().unwrap();
            let mut out = Vec::new();
            export_indicators_csv(&store, &board, what, Cells::SpreadsheetSafe, &mut out)
                .await
                .unwrap();
            String::from_utf8(out).unwrap()
        }
    };
    let indicators = export("dsvb", IndicatorExport::Indicators).await;
    let figures = export("dsvb", IndicatorExport::Figures).await;
    assert!(indicators.starts_with("key,name,unit,better,theme,description\n"));
    // An ordinary leading apostrophe is kept as typed.
    assert!(
        indicators.contains(",'Honour'-based violence,"),
        "{indicators}"
    );
    assert!(figures.starts_with("indicator,area,period,value,denominator,note\n"));
    import(
        &db.store,
        "copy",
        IndicatorFile::Indicators,
        &indicators,
        &o,
    )
    .await
    .unwrap();
    import(&db.store, "copy", IndicatorFile::Figures, &figures, &o)
        .await
        .unwrap();
    assert_eq!(
        export("copy", IndicatorExport::Indicators).await,
        indicators
    );
    assert_eq!(export("copy", IndicatorExport::Figures).await, figures);
    assert_eq!(
        digest_json(&db.store, "copy", day(2010, 10, 1)).await["indicators"],
        digest_json(&db.store, "dsvb", day(2010, 10, 1)).await["indicators"]
    );
    let history = export("dsvb", IndicatorExport::History).await;
    assert!(history.starts_with("at,by,subject,indicator,area,period,change,old,new,note\n"));
    assert_eq!(history.lines().count(), 1 + 4 + 13);
}

/// Bad definitions: keys, units, directions and duplicates.
async fn every_bad_definition_is_listed(db: TestDb) {
    let o = options(at(2010, 10, 2, 9), 4);
    let file = "\
key,name,unit,better,theme,description
1st,First,count,none,,
has space,Spaced,count,none,,
ok_key,,count,none,,
rate,Rate,ratio,up,,
rate,Rate again,percent,higher,,
";
    let found = problems(import(&db.store, "dsvb", IndicatorFile::Indicators, file, &o).await);
    for (line, column, text) in [
        (2, "key", "does not start with a letter"),
        (3, "key", "other than a letter, digit or _"),
        (4, "name", "is empty"),
        (5, "unit", "ratio"),
        (5, "better", "up"),
        (6, "key", "appears twice in this file (first on line 5)"),
    ] {
        assert!(
            has(&found, line, column, text),
            "line {line} {column}: {found:#?}"
        );
    }
    assert!(
        db.store.board(&slug("dsvb")).await.unwrap().is_none(),
        "no board was created"
    );
}

/// Every figure an import adds is in the history as the file gave it, in the file's order:
/// the value as people read it ("1/3" for a percentage), the file it came from and the row's
/// own note; an import that corrects some figures and adds others lists the corrections, then
/// the new figures.
async fn new_figures_enter_the_history_as_written_in_file_order(db: TestDb) {
    let first = options(at(2010, 10, 2, 9), 4);
    import_april_figures(&db.store, &first).await;
    let board = db.store.board(&slug("dsvb")).await.unwrap().unwrap();
    let history = db.store.indicator_history(board.id).await.unwrap();
    let figures: Vec<_> = history
        .iter()
        .filter(|r| r.subject == RevisionSubject::Figure)
        .map(|r| {
            (
                format!(
                    "{},{},{}",
                    r.key.as_str(),
                    r.area.as_deref().unwrap_or(""),
                    r.period.unwrap()
                ),
                r.new_value.clone().unwrap(),
                r.note.clone().unwrap(),
                r.old_value.clone(),
                r.change.clone(),
                r.by.clone(),
                r.at,
            )
        })
        .collect();
    let rows: Vec<&str> = APRIL_FIGURES.lines().skip(1).collect();
    assert_eq!(figures.len(), rows.len());
    for (entry, row) in figures.iter().zip(&rows) {
        let cells: Vec<&str> = row.splitn(6, ',').collect();
        assert_eq!(entry.0, cells[..3].join(","), "{row}");
        let written = match cells[4] {
            "" => cells[3].to_string(),
            d => format!("{}/{d}", cells[3]),
        };
        let note = match cells[5] {
            "" => "imported from file.csv".to_string(),
            n => format!("imported from file.csv: {n}"),
        };
        assert_eq!(
            (&entry.1, &entry.2, &entry.3, entry.4.as_str()),
            (&written, &note, &None, "created"),
            "{row}"
        );
        assert_eq!(
            (entry.5.as_str(), entry.6),
            ("secretariat", at(2010, 10, 2, 9))
        );
    }

    let mut later = options(at(2010, 10, 9, 14), 4);
    later.update = true;
    later.by = "discord:42";
    let mixed = format!(
        "{}reports,Camden,2010-07-01,4,,\nsso_rate,Camden,2010-07-01,2,5,first return\n",
        APRIL_FIGURES.replace(
            "sso_rate,Bexley,2010-07-01,2,6,",
            "sso_rate,Bexley,2010-07-01,3,6,"
        )
    );
    let done = import(&db.store, "dsvb", IndicatorFile::Figures, &mixed, &later)
        .await
        .unwrap();
    assert_eq!((done.created, done.updated, done.unchanged), (2, 1, 12));
    let history = db.store.indicator_history(board.id).await.unwrap();
    let latest: Vec<_> = history[history.len() - 3..]
        .iter()
        .map(|r| {
            (
                r.area.as_deref().unwrap(),
                r.change.as_str(),
                r.old_value.as_deref(),
                r.new_value.as_deref().unwrap(),
                r.note.as_deref().unwrap(),
                r.by.as_str(),
            )
        })
        .collect();
    assert_eq!(
        latest,
        [
            (
                "Bexley",
                "value",
                Some("2/6"),
                "3/6",
                "imported from file.csv",
                "discord:42"
            ),
            (
                "Camden",
                "created",
                None,
                "4",
                "imported from file.csv",
                "discord:42"
            ),
            (
                "Camden",
                "created",
                None,
                "2/5",
                "imported from file.csv: first return",
                "discord:42"
            ),
        ]
    );
    assert!(history[history.len() - 3..]
        .iter()
        .all(|r| r.at == at(2010, 10, 9, 14)));
}

/// Figures for `areas` areas over quarters of the April year from `first_year`, `years` years.
fn many_figures(areas: usize, first_year: i32, years: i32, seed: u64) -> String {
    let mut csv = String::from("indicator,area,period,value,denominator,note\n");
    for year in first_year..first_year + years {
        for month in [4, 7, 10] {
            for a in 0..areas {
                let v = (a as u64 * 7 + month as u64 + seed) % 40;
                csv.push_str(&format!("reports,Area {a:02},{year}-{month:02}-01,{v},,\n"));
                csv.push_str(&format!(
                    "sso_rate,Area {a:02},{year}-{month:02}-01,{v},{},\n",
                    v + 10
                ));
            }
        }
    }
    csv
}

/// Several figure imports at the same moment — two boards, and two files for one board —
/// each get exactly their own history: one "created" entry per figure they wrote, with its
/// value, and none of another import's.
async fn imports_at_the_same_moment_each_record_only_their_own_figures(db: TestDb) {
    let o = options(at(2010, 10, 2, 9), 4);
    for board in ["north", "south"] {
        import(&db.store, board, IndicatorFile::Indicators, INDICATORS, &o)
            .await
            .unwrap();
    }
    let (north_a, north_b, south) = (
        many_figures(30, 2004, 3, 1),
        many_figures(30, 2007, 3, 2),
        many_figures(30, 2004, 3, 3),
    );
    let (a, b, c) = tokio::join!(
        import(&db.store, "north", IndicatorFile::Figures, &north_a, &o),
        import(&db.store, "north", IndicatorFile::Figures, &north_b, &o),
        import(&db.store, "south", IndicatorFile::Figures, &south, &o),
    );
    for summary in [a, b, c] {
        assert_eq!(summary.unwrap().created, 30 * 9 * 2);
    }
    for (board, files) in [("north", vec![&north_a, &north_b]), ("south", vec![&south])] {
        let board = db.store.board(&slug(board)).await.unwrap().unwrap();
        let mut recorded: Vec<String> = db
            .store
            .indicator_history(board.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.subject == RevisionSubject::Figure)
            .map(|r| {
                assert_eq!(r.change, "created");
                format!(
                    "{},{},{},{}",
                    r.key.as_str(),
                    r.area.unwrap(),
                    r.period.unwrap(),
                    r.new_value.unwrap()
                )
            })
            .collect();
        let mut expected: Vec<String> = files
            .iter()
            .flat_map(|f| f.lines().skip(1))
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                let value = match c[4] {
                    "" => c[3].to_string(),
                    d => format!("{}/{d}", c[3]),
                };
                format!("{},{},{},{value}", c[0], c[1], c[2])
            })
            .collect();
        recorded.sort();
        expected.sort();
        assert_eq!(recorded, expected, "board {}", board.slug);
        let figures = db.store.figures(board.id, None, None).await.unwrap();
        assert_eq!(figures.len(), expected.len());
    }
}

on_both_backends!(
    imports_at_the_same_moment_each_record_only_their_own_figures,
    new_figures_enter_the_history_as_written_in_file_order,
    the_indicators_contract_for_a_year_starting_in_april,
    the_indicators_contract_for_a_year_starting_in_january,
    every_bad_figure_is_listed_and_nothing_is_written,
    revisions_need_update_and_are_all_in_the_history,
    exports_import_back_to_the_same_state,
    every_bad_definition_is_listed,
);

async fn board_with_indicators() -> TestDb {
    let db = sqlite().await;
    let o = options(at(2010, 10, 2, 9), 4);
    import(&db.store, "dsvb", IndicatorFile::Indicators, INDICATORS, &o)
        .await
        .unwrap();
    db
}

#[tokio::test]
async fn an_area_spelt_differently_from_last_quarter_gets_a_warning_with_the_likely_match() {
    let db = board_with_indicators().await;
    let o = options(at(2010, 10, 2, 9), 4);
    import(
        &db.store,
        "dsvb",
        IndicatorFile::Figures,
        "indicator,area,period,value\nreports,Hammersmith and Fulham,2010-04-01,12\n",
        &o,
    )
    .await
    .unwrap();
    let summary = import(
        &db.store,
        "dsvb",
        IndicatorFile::Figures,
        "indicator,area,period,value\nreports,Hammersmith & Fulham,2010-07-01,14\nreports,hammersmith and fulham,2010-10-01,9\n",
        &o,
    )
    .await
    .unwrap();
    assert_eq!(summary.created, 2);
    assert_eq!(summary.warnings.len(), 1, "{:?}", summary.warnings);
    assert!(
        summary.warnings[0].contains("line 2: area \"Hammersmith & Fulham\" is new to this board; did you mean \"Hammersmith and Fulham\""),
        "{:?}",
        summary.warnings
    );
}

#[tokio::test]
async fn a_file_that_is_not_utf8_is_refused_with_the_fix() {
    let db = board_with_indicators().await;
    let mut bytes = b"indicator,area,period,value\nreports,".to_vec();
    bytes.extend_from_slice(b"K\xf6ln,2010-07-01,3\n");
    let found = problems(
        import_indicator_csv(
            &db.store,
            Some(&slug("dsvb")),
            IndicatorFile::Figures,
            "latin1.csv",
            &bytes,
            &options(at(2010, 10, 2, 9), 4),
        )
        .await,
    );
    assert!(has(&found, 2, "area", "not valid UTF-8"), "{found:?}");
}

#[tokio::test]
async fn a_ten_megabyte_cell_is_refused_without_being_copied_around() {
    let db = board_with_indicators().await;
    let file = format!(
        "indicator,area,period,value,denominator,note\nreports,Brent,2010-07-01,3,,{}\n",
        "x".repeat(10 * 1024 * 1024)
    );
    let found = problems(
        import(
            &db.store,
            "dsvb",
            IndicatorFile::Figures,
            &file,
            &options(at(2010, 10, 2, 9), 4),
        )
        .await,
    );
    assert!(
        has(&found, 2, "note", "no field takes more than"),
        "{found:?}"
    );
}

#[tokio::test]
async fn a_million_rows_are_refused_whole_without_a_panic() {
    let db = board_with_indicators().await;
    let mut file = String::from("indicator,area,period,value\n");
    for i in 0..1_000_000u32 {
        file.push_str(&format!("reports,Area {i},2010-07-01,{}\n", i % 50));
    }
    let found = problems(
        import(
            &db.store,
            "dsvb",
            IndicatorFile::Figures,
            &file,
            &options(at(2010, 10, 2, 9), 4),
        )
        .await,
    );
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("at most 500000 rows"),
        "{found:?}"
    );
    let board = db.store.board(&slug("dsvb")).await.unwrap().unwrap();
    assert!(db
        .store
        .figures(board.id, None, None)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn figures_need_a_board_with_indicators() {
    let db = sqlite().await;
    let err = import(
        &db.store,
        "nowhere",
        IndicatorFile::Figures,
        "indicator,area,period,value\nreports,Brent,2010-07-01,3\n",
        &options(at(2010, 10, 2, 9), 4),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("import the indicators first"),
        "{err}"
    );
    assert!(db.store.board(&slug("nowhere")).await.unwrap().is_none());
}

const SMALL_FIGURES: &str = "\
indicator,area,period,value,denominator,note
reports,Brent,2010-07-01,3,,
reports,Bexley,2010-07-01,0,,
reports,Brent,2009-07-01,12,,
sso_rate,Brent,2010-07-01,1,4,
sso_rate,Brent,2009-07-01,30,40,
repeat_victims,Brent,2010-07-01,40,,
repeat_victims,Brent,2009-07-01,2,,
";

/// Everything people see of a board with small numbers: Markdown, the board paper, the Discord
/// post and the trend chart — and the JSON the secretariat reads.
struct Renderings {
    json: Value,
    markdown: String,
    html: String,
    discord: String,
    chart: Vec<u8>,
}

async fn renderings(store: &Store) -> Renderings {
    use briefing_bot::digest::render::{chart, discord, html, json, markdown};
    let board = store.board(&slug("dsvb")).await.unwrap().unwrap();
    let digest = briefing_bot::digest::load_digest(store, &board, day(2010, 10, 1))
        .await
        .unwrap();
    let messages = discord::digest_messages(&digest, None);
    let mut text = String::new();
    for m in &messages {
        for e in &m.embeds {
            text.push_str(&e.description);
            for (name, value, _) in &e.fields {
                text.push_str(&format!("\n{name}\n{value}"));
            }
            text.push_str(&format!("\n{}\n", e.footer.clone().unwrap_or_default()));
        }
    }
    // Discord escapes Markdown characters such as brackets; read the text as shown.
    let text = text.replace('\\', "");
    Renderings {
        json: json::digest_json(&digest),
        markdown: markdown::digest_markdown(&digest),
        html: html::digest_html(&digest, None, day(2010, 10, 2)),
        discord: text,
        chart: chart::trend_chart(&digest.monitoring).unwrap(),
    }
}

#[tokio::test]
async fn small_numbers_are_hidden_in_every_rendering_for_people_but_exact_in_the_json() {
    let db = board_with_indicators().await;
    import(
        &db.store,
        "dsvb",
        IndicatorFile::Figures,
        SMALL_FIGURES,
        &options(at(2010, 10, 2, 9), 4),
    )
    .await
    .unwrap();
    let hidden = renderings(&db.store).await;
    // The JSON keeps exact values.
    assert_eq!(hidden.json["indicators"][2]["value"], 3);
    assert_eq!(hidden.json["indicators"][3]["value"], 25.0);
    assert_eq!(hidden.json["monitoring"]["hide_small_numbers"], true);
    for (what, text) in [
        ("markdown", &hidden.markdown),
        ("html", &hidden.html),
        ("discord", &hidden.discord),
    ] {
        // Reports: 3 board-wide is hidden, and so is its change from 12 (which would give it
        // away); the 1 out of 4 is hidden as a percentage.
        assert!(text.contains("fewer than 5"), "{what}: {text}");
        assert!(
            text.contains("not shown (fewer than 5 cases)"),
            "{what}: {text}"
        );
        assert!(
            text.contains("change not shown (fewer than 5 cases)"),
            "{what}: {text}"
        );
        assert!(!text.contains("25.0%"), "{what} shows the 1 in 4: {text}");
        assert!(!text.contains("down 9"), "{what} gives away the 3: {text}");
        assert!(
            text.contains("Counts from 1 to 4"),
            "{what} says why: {text}"
        );
        // 40 repeat victims against 2 a year ago: the exception is listed, its change hidden.
        assert!(
            text.contains("Repeat victims of domestic abuse — Brent: 40"),
            "{what}: {text}"
        );
    }

    // A board that turns the rule off sees the exact figures everywhere.
    let board = db.store.board(&slug("dsvb")).await.unwrap().unwrap();
    let mut settings = board.settings.clone();
    settings.monitoring.hide_small_numbers = false;
    crate::support::boards::set_settings(&db.store, board.id, &settings).await;
    let shown = renderings(&db.store).await;
    assert_eq!(shown.json, {
        let mut j = hidden.json.clone();
        j["monitoring"]["hide_small_numbers"] = json!(false);
        j
    });
    for (what, text) in [
        ("markdown", &shown.markdown),
        ("html", &shown.html),
        ("discord", &shown.discord),
    ] {
        assert!(!text.contains("fewer than 5"), "{what}: {text}");
        assert!(text.contains("25.0%"), "{what}: {text}");
        assert!(text.contains("▼ down 9 (−75.0%)"), "{what}: {text}");
        assert!(!text.contains("Counts from 1 to 4"), "{what}: {text}");
    }
    // The chart leaves out the hidden quarters: it differs only because of them.
    assert_ne!(hidden.chart, shown.chart);
    assert!(hidden.chart.starts_with(b"\x89PNG"));
}

#[tokio::test]
async fn a_board_without_indicators_has_no_monitoring_section() {
    let db = sqlite().await;
    crate::store_contract::load(&db.store, "dsvb").await;
    let board = db.store.board(&slug("dsvb")).await.unwrap().unwrap();
    let digest = briefing_bot::digest::load_digest(&db.store, &board, day(2010, 10, 1))
        .await
        .unwrap();
    let json = briefing_bot::digest::render::json::digest_json(&digest);
    assert_eq!(json["indicators"], json!([]));
    assert!(json.get("monitoring").is_none());
    let markdown = briefing_bot::digest::render::markdown::digest_markdown(&digest);
    assert!(!markdown.contains("Monitoring figures"));
}

#[tokio::test]
async fn the_sample_board_shows_illustrative_figures_for_its_13_boroughs() {
    let db = sqlite().await;
    let (board, _) = briefing_bot::sample::load_sample_board(&db.store)
        .await
        .unwrap();
    let digest =
        briefing_bot::digest::load_digest(&db.store, &board, briefing_bot::sample::SAMPLE_AS_OF)
            .await
            .unwrap();
    let m = &digest.monitoring;
    assert!(m.indicators.len() >= 10);
    for line in &m.indicators {
        assert!(
            line.description
                .as_deref()
                .is_some_and(|d| d.starts_with("ILLUSTRATIVE")),
            "{} is not labelled illustrative",
            line.key
        );
        assert!(
            line.board.value.is_some(),
            "{} has no figure this quarter",
            line.key
        );
    }
    let areas: std::collections::BTreeSet<&str> = m
        .indicators
        .iter()
        .flat_map(|i| i.areas.iter().map(|a| a.area.as_str()))
        .collect();
    assert_eq!(areas.len(), 13, "{areas:?}");
    assert!(m
        .trend
        .iter()
        .all(|t| t.points.iter().all(|p| p.amount.is_some())));
    assert!(!m.exceptions.is_empty() && !m.missing_returns.is_empty());
    let markdown = briefing_bot::digest::render::markdown::digest_markdown(&digest);
    assert!(markdown.contains("## Monitoring figures: Q2 2010/11"));
    assert!(markdown.contains("ILLUSTRATIVE: generated figures"));
}

mod discord {
    //! `/indicator list|show` with autocomplete, `/import` of indicators and figures (the
    //! secretariat only) and `/digest preview`, against the fake Discord.

    use serde_json::{json, Value};

    use super::{at, import, options, IndicatorFile, APRIL_FIGURES, INDICATORS};
    use crate::support::bot::{TestBot, ADMIN, MEMBER, OFFICER};

    fn choice(name: &str, index: u64) -> Value {
        json!({"name": name, "type": 4, "value": index})
    }

    fn text(name: &str, value: &str) -> Value {
        json!({"name": name, "type": 3, "value": value})
    }

    /// The test bot's board with the indicators and the April board's figures.
    async fn bot_with_figures() -> TestBot {
        let bot = TestBot::start().await;
        let o = options(at(2010, 9, 1, 9), 4);
        import(
            &bot.db.store,
            "dsvb",
            IndicatorFile::Indicators,
            INDICATORS,
            &o,
        )
        .await
        .unwrap();
        import(
            &bot.db.store,
            "dsvb",
            IndicatorFile::Figures,
            APRIL_FIGURES,
            &o,
        )
        .await
        .unwrap();
        bot
    }

    #[tokio::test]
    async fn members_list_and_show_indicators_privately_with_the_chart() {
        let bot = bot_with_figures().await;
        let list = bot.run(MEMBER, "indicator list", json!([])).await;
        assert!(list.ephemeral());
        let listed = list.text();
        assert!(listed.contains("4 indicators"), "{listed}");
        assert!(listed.contains("`sso_rate` Sexual offences meeting the minimum standards — percent, higher is better"), "{listed}");
        assert!(
            listed.contains("`reports` Domestic abuse reports — count, not rated"),
            "{listed}"
        );

        let shown = bot
            .run(
                MEMBER,
                "indicator show",
                json!([text("key", "repeat_victims"), text("area", "brent")]),
            )
            .await;
        assert!(shown.ephemeral());
        let table = shown.text();
        // The clock reads 20 September 2010: the quarter to date is Q2 2010/11, the last of
        // eight; Brent's column beside the board-wide one.
        assert!(
            table.contains("Repeat victims of domestic abuse"),
            "{table}"
        );
        assert!(table.contains("Board-wide"), "{table}");
        assert!(table.contains("Brent"), "{table}");
        assert!(table.contains("Q2 2010/11  40"), "{table}");
        assert!(table.contains("Q3 2008/09  no return"), "{table}");
        let row = table.lines().find(|l| l.starts_with("Q2 2010/11")).unwrap();
        assert!(row.trim_end().ends_with("30"), "Brent's 30: {row}");
        assert!(table.contains("Counts from 1 to 4"), "{table}");
        assert_eq!(shown.files.len(), 1, "the chart is attached");
        assert!(shown.files[0].0.ends_with(".png"));
        assert!(shown.files[0].1.starts_with(b"\x89PNG"));

        // Small numbers are hidden here as in the digest: Brent's 1 in 3.
        let rate = bot
            .run(
                MEMBER,
                "indicator show",
                json!([text("key", "SSO_RATE"), text("area", "Brent")]),
            )
            .await;
        let rate = rate.text();
        let row = rate.lines().find(|l| l.starts_with("Q2 2010/11")).unwrap();
        assert_eq!(
            row,
            "Q2 2010/11  33.3%                           not shown (fewer than 5 cases)"
        );

        // Unknown keys and areas say what to do.
        let unknown = bot
            .run(MEMBER, "indicator show", json!([text("key", "nope")]))
            .await;
        assert!(
            unknown.text().contains("no indicator nope"),
            "{}",
            unknown.text()
        );
        let near = bot
            .run(
                MEMBER,
                "indicator show",
                json!([text("key", "reports"), text("area", "Camdon")]),
            )
            .await;
        assert!(
            near.text().contains("Did you mean Camden?"),
            "{}",
            near.text()
        );
        bot.stop().await;
    }

    #[tokio::test]
    async fn keys_and_areas_autocomplete() {
        let bot = bot_with_figures().await;
        let keys = bot
            .autocomplete(
                MEMBER,
                "indicator show",
                json!([{"name": "key", "type": 3, "value": "victim", "focused": true}]),
            )
            .await;
        assert_eq!(keys.kind, 8);
        let choices = keys.choices();
        assert_eq!(choices.len(), 1, "{choices:?}");
        assert_eq!(choices[0].1, "repeat_victims");
        let areas = bot
            .autocomplete(
                MEMBER,
                "indicator show",
                json!([text("key", "reports"), {"name": "area", "type": 3, "value": "b", "focused": true}]),
            )
            .await;
        let names: Vec<String> = areas.choices().into_iter().map(|(_, v)| v).collect();
        assert_eq!(names, ["Bexley", "Brent"]);
        bot.stop().await;
    }

    #[tokio::test]
    async fn only_the_secretariat_imports_indicators_and_figures() {
        let bot = TestBot::start().await;
        let upload = |bot: &TestBot, csv: &str, kind: u64| {
            let (id, url) = bot.fake.add_attachment(csv.as_bytes().to_vec());
            let resolved = json!({"attachments": {id.to_string(): {"id": id.to_string(), "filename": "monitoring.csv", "size": csv.len(), "url": url, "proxy_url": url, "content_type": "text/csv"}}});
            let options = json!([choice("kind", kind), {"name": "file", "type": 11, "value": id.to_string()}]);
            (options, resolved)
        };
        const INDICATORS_KIND: u64 = 2;
        const FIGURES_KIND: u64 = 3;
        for who in [MEMBER, OFFICER] {
            let (o, r) = upload(&bot, INDICATORS, INDICATORS_KIND);
            let refused = bot
                .run_in(who, crate::support::bot::DIGEST_CHANNEL, "import", o, r)
                .await;
            assert!(
                refused.text().contains("for the board's secretariat"),
                "{}",
                refused.text()
            );
        }
        assert!(bot
            .db
            .store
            .indicators(bot.board.id)
            .await
            .unwrap()
            .is_empty());
        let (o, r) = upload(&bot, INDICATORS, INDICATORS_KIND);
        let done = bot
            .run_in(ADMIN, crate::support::bot::DIGEST_CHANNEL, "import", o, r)
            .await;
        assert!(done.text().contains("created 4"), "{}", done.text());
        let bad = "indicator,area,period,value\nreports,Brent,2010-08-01,3\n";
        let (o, r) = upload(&bot, bad, FIGURES_KIND);
        let rejected = bot
            .run_in(ADMIN, crate::support::bot::DIGEST_CHANNEL, "import", o, r)
            .await;
        assert!(
            rejected.text().contains("line 2, column period"),
            "{}",
            rejected.text()
        );
        let (o, r) = upload(&bot, APRIL_FIGURES, FIGURES_KIND);
        let done = bot
            .run_in(ADMIN, crate::support::bot::DIGEST_CHANNEL, "import", o, r)
            .await;
        assert!(done.text().contains("created 13"), "{}", done.text());
        let history = bot.db.store.indicator_history(bot.board.id).await.unwrap();
        assert!(
            history.last().unwrap().by.starts_with("discord:"),
            "{:?}",
            history.last()
        );

        // /digest preview carries the section.
        let preview = bot
            .run(
                MEMBER,
                "digest preview",
                json!([text("as_of", "2010-10-01")]),
            )
            .await;
        let shown = preview.text();
        assert!(shown.contains("Monitoring figures: Q2 2010/11"), "{shown}");
        assert!(shown.contains("Missing returns (1)"), "{shown}");
        assert!(
            preview
                .followup_files
                .iter()
                .any(|(name, _)| name == "trend-chart.png"),
            "{:?}",
            preview
                .followup_files
                .iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
        );
        bot.stop().await;
    }

    #[tokio::test]
    async fn the_secretariat_sets_the_exception_threshold_and_small_number_rule() {
        let bot = bot_with_figures().await;
        let refused = bot
            .run(
                MEMBER,
                "setup monitoring",
                json!([{"name": "exception_percent", "type": 4, "value": 60}]),
            )
            .await;
        assert!(
            refused.text().contains("for the board's secretariat"),
            "{}",
            refused.text()
        );
        let saved = bot
            .run(
                ADMIN,
                "setup monitoring",
                json!([
                    {"name": "exception_percent", "type": 4, "value": 60},
                    {"name": "hide_small_numbers", "type": 5, "value": false},
                    text("trend_indicators", "sso_rate, reports"),
                ]),
            )
            .await;
        assert!(saved.text().contains("more than 60%"), "{}", saved.text());
        assert!(
            saved.text().contains("Trend chart: sso_rate, reports"),
            "{}",
            saved.text()
        );
        // `/board` shows them with the rest of the board's settings.
        let shown = bot.run(ADMIN, "board", json!([])).await.text();
        assert!(
            shown.contains("Monitoring exceptions: the wrong way by more than 60%")
                && shown.contains("Small numbers: shown as they are")
                && shown.contains("Trend chart: sso_rate, reports"),
            "{shown}"
        );
        let board = bot.db.store.board(&bot.board.slug).await.unwrap().unwrap();
        let digest =
            briefing_bot::digest::load_digest(&bot.db.store, &board, super::day(2010, 10, 1))
                .await
                .unwrap();
        // Brent's 50% rise is not more than 60%: no exception now.
        assert!(
            digest.monitoring.exceptions.is_empty(),
            "{:?}",
            digest.monitoring.exceptions
        );
        assert!(!digest.monitoring.hide_small_numbers);
        let trend: Vec<&str> = digest
            .monitoring
            .trend
            .iter()
            .map(|t| t.key.as_str())
            .collect();
        assert_eq!(trend, ["sso_rate", "reports"]);
        let history = bot.db.store.settings_history(board.id).await.unwrap();
        assert!(
            history.iter().any(|c| c.setting == "exception percent"
                && c.old_value.as_deref() == Some("10")
                && c.new_value.as_deref() == Some("60")),
            "{history:?}"
        );
        let unknown = bot
            .run(
                ADMIN,
                "setup monitoring",
                json!([text("trend_indicators", "nope")]),
            )
            .await;
        assert!(
            unknown.text().contains("no indicator nope"),
            "{}",
            unknown.text()
        );
        bot.stop().await;
    }
}
