//! Reporting periods: quarters of the board's year.
//!
//! UK public bodies count financial-year quarters (Q1 = April–June); the month the year starts
//! is a board setting. A digest "as of" D reviews the quarter containing the day before D, so
//! the digest posted on 1 October reviews July–September.

use chrono::{Datelike, Months, NaiveDate};

/// One quarter, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The month (1–12) the board's year starts; needed to name the quarter.
    year_start_month: u32,
}

impl Period {
    /// The quarter that contains `date` for a year starting in `year_start_month` (1–12).
    pub fn containing(date: NaiveDate, year_start_month: u32) -> Self {
        let start_month0 = (year_start_month.clamp(1, 12) - 1) as i32;
        // Months since the year's first quarter began, counted from a fixed origin.
        let months = date.year() * 12 + date.month0() as i32 - start_month0;
        let quarter_start = months - months.rem_euclid(3) + start_month0;
        let start = NaiveDate::from_ymd_opt(
            quarter_start.div_euclid(12),
            quarter_start.rem_euclid(12) as u32 + 1,
            1,
        )
        .expect("first of a month exists");
        let end = start + Months::new(3) - chrono::Days::new(1);
        Self {
            start,
            end,
            year_start_month: year_start_month.clamp(1, 12),
        }
    }

    /// The period a digest as of `as_of` reviews: the quarter containing the day before.
    pub fn reviewed_on(as_of: NaiveDate, year_start_month: u32) -> Self {
        Self::containing(as_of.pred_opt().unwrap_or(as_of), year_start_month)
    }

    /// The quarter after this one.
    pub fn next(&self) -> Self {
        Self::containing(
            self.end.succ_opt().unwrap_or(self.end),
            self.year_start_month,
        )
    }

    /// The quarter before this one.
    pub fn previous(&self) -> Self {
        Self::containing(
            self.start.pred_opt().unwrap_or(self.start),
            self.year_start_month,
        )
    }

    /// The same quarter a year earlier (what a seasonal comparison is made with).
    pub fn year_earlier(&self) -> Self {
        Self::containing(
            self.start
                .checked_sub_months(Months::new(12))
                .unwrap_or(self.start),
            self.year_start_month,
        )
    }

    /// The month (1–12) the board's year starts, as this quarter was counted.
    pub fn year_start_month(&self) -> u32 {
        self.year_start_month
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        (self.start..=self.end).contains(&date)
    }

    /// Quarter number 1–4 within the board's year.
    pub fn quarter(&self) -> u32 {
        let offset = (self.start.month() + 12 - self.year_start_month) % 12;
        offset / 3 + 1
    }

    /// "Q2 2010/11" for a year that does not start in January, "Q3 2010" for one that does.
    pub fn label(&self) -> String {
        if self.year_start_month == 1 {
            return format!("Q{} {}", self.quarter(), self.start.year());
        }
        let first_year = if self.start.month() >= self.year_start_month {
            self.start.year()
        } else {
            self.start.year() - 1
        };
        format!(
            "Q{} {}/{:02}",
            self.quarter(),
            first_year,
            (first_year + 1).rem_euclid(100)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn financial_year_quarters() {
        let p = Period::containing(d(2010, 9, 30), 4);
        assert_eq!((p.start, p.end), (d(2010, 7, 1), d(2010, 9, 30)));
        assert_eq!(p.label(), "Q2 2010/11");
        let q4 = Period::containing(d(2011, 3, 31), 4);
        assert_eq!((q4.start, q4.end), (d(2011, 1, 1), d(2011, 3, 31)));
        assert_eq!(q4.label(), "Q4 2010/11");
        assert_eq!(q4.next().start, d(2011, 4, 1));
        assert_eq!(q4.next().label(), "Q1 2011/12");
    }

    #[test]
    fn digest_reviews_the_quarter_before_the_posting_day() {
        let p = Period::reviewed_on(d(2010, 10, 1), 4);
        assert_eq!((p.start, p.end), (d(2010, 7, 1), d(2010, 9, 30)));
        let preview = Period::reviewed_on(d(2026, 11, 22), 4);
        assert_eq!(
            (preview.start, preview.end),
            (d(2026, 10, 1), d(2026, 12, 31))
        );
    }

    #[test]
    fn calendar_year_and_odd_start_months() {
        let p = Period::reviewed_on(d(2025, 1, 1), 1);
        assert_eq!((p.start, p.end), (d(2024, 10, 1), d(2024, 12, 31)));
        assert_eq!(p.label(), "Q4 2024");
        let feb = Period::containing(d(2024, 2, 29), 12);
        assert_eq!((feb.start, feb.end), (d(2023, 12, 1), d(2024, 2, 29)));
        assert_eq!(feb.label(), "Q1 2023/24");
    }
}
