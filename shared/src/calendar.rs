//! Calendar dates, working days and England's bank holidays, for statutory timescales.
//!
//! A plain civil date (no time zone, no clock): the day a visit or conference happened, as
//! the practitioner entered it. Working days skip weekends and the bank holidays below.
//! "Today" is the date in England at a moment the caller passes in
//! ([`Date::london_from_unix_ms`]): UK civil time, computed here from the rules, not from
//! the device's time zone.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A calendar date, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date(i32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a date (expected YYYY-MM-DD)")]
pub struct BadDate;

impl Date {
    /// From year, month (1-12) and day (1-31); `None` if no such day exists.
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = m as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    /// 1970-01-01: what a date missing from an older message reads as.
    pub fn epoch() -> Date {
        Date(0)
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (if m <= 2 { y + 1 } else { y }, m, d)
    }

    /// The date part of a `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` string.
    pub fn parse_prefix(s: &str) -> Option<Date> {
        s.get(..10).and_then(|d| d.parse().ok())
    }

    /// The UTC calendar day of a Unix time in milliseconds.
    pub fn from_unix_ms(ms: i64) -> Date {
        Date(ms.div_euclid(86_400_000) as i32)
    }

    /// The calendar day in England (Europe/London) at a Unix time in milliseconds: "today"
    /// for the tablet and the server alike, whatever time zone either machine is set to, so
    /// both compute the same flags between midnight and 01:00 in summer.
    pub fn london_from_unix_ms(ms: i64) -> Date {
        Date::from_unix_ms(ms.saturating_add(london_offset_ms(ms)))
    }

    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    pub fn add_days(self, n: i32) -> Date {
        Date(self.0 + n)
    }

    /// Days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Date) -> i32 {
        later.0 - self.0
    }

    /// Monday = 0 … Sunday = 6.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        (self.0 + 3).rem_euclid(7) as u32
    }

    pub fn is_working_day(self) -> bool {
        self.weekday() < 5 && bank_holiday(self).is_none()
    }

    /// The working day `n` working days after `self` (n = 0 is `self`).
    pub fn add_working_days(self, n: u32) -> Date {
        let mut d = self;
        let mut left = n;
        while left > 0 {
            d = d.add_days(1);
            if d.is_working_day() {
                left -= 1;
            }
        }
        d
    }

    /// Same day `n` months later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb).
    pub fn add_months(self, n: u32) -> Date {
        let (y, m, d) = self.ymd();
        let total = y * 12 + (m as i32 - 1) + n as i32;
        let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
        let nd = d.min(days_in_month(ny, nm));
        Date::from_ymd(ny, nm, nd).unwrap_or(self)
    }
}

const HOUR_MS: i64 = 3_600_000;

/// How far UK civil time is ahead of UTC at `ms`: one hour in British Summer Time, from 01:00
/// UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October, else none
/// (GMT). That is the rule in force since 1996 (the Summer Time Order 2002 restates it);
/// earlier years had other end dates, which nothing here needs: "today" and the dates of
/// entries written by Quilt are recent. Computed here rather than read from the device, whose
/// time zone is whatever its settings say. If the law changes, this is the one place to change.
fn london_offset_ms(ms: i64) -> i64 {
    // Summer time never spans a new year, so the UTC year is the year that matters.
    let (year, _, _) = Date::from_unix_ms(ms).ymd();
    let starts = last_sunday(year, 3).days_since_epoch() as i64 * 86_400_000 + HOUR_MS;
    let ends = last_sunday(year, 10).days_since_epoch() as i64 * 86_400_000 + HOUR_MS;
    if (starts..ends).contains(&ms) {
        HOUR_MS
    } else {
        0
    }
}

/// The last Sunday of a month that has 31 days (March, October).
fn last_sunday(year: i32, month: u32) -> Date {
    let last = Date::from_ymd(year, month, 31).unwrap_or(Date(0));
    // Monday = 0 … Sunday = 6: a Sunday steps back 0 days, a Monday 1, a Saturday 6.
    last.add_days(-(((last.weekday() + 1) % 7) as i32))
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The date as people in England read it, the one format every page shows: `DD/MM/YYYY`.
    pub fn dmy(self) -> String {
        let (y, m, d) = self.ymd();
        format!("{d:02}/{m:02}/{y:04}")
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Date {
    type Err = BadDate;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(BadDate);
        }
        let num = |r: std::ops::Range<usize>| {
            s.get(r)
                .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|p| p.parse::<u32>().ok())
        };
        match (num(0..4), num(5..7), num(8..10)) {
            (Some(y), Some(m), Some(d)) => Date::from_ymd(y as i32, m, d).ok_or(BadDate),
            _ => Err(BadDate),
        }
    }
}

impl TryFrom<String> for Date {
    type Error = BadDate;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

/// The bank holiday on `date` in England, if any.
pub fn bank_holiday(date: Date) -> Option<&'static str> {
    let key = date.to_string();
    ENGLAND_BANK_HOLIDAYS
        .binary_search_by(|(d, _)| d.cmp(&key.as_str()))
        .ok()
        .map(|i| ENGLAND_BANK_HOLIDAYS[i].1)
}

/// First and last years the bank-holiday data covers; outside them only weekends are skipped.
pub const BANK_HOLIDAY_YEARS: (i32, i32) = (2015, 2030);

/// England and Wales bank holidays, including substitute days and one-off holidays. Sorted.
pub const ENGLAND_BANK_HOLIDAYS: &[(&str, &str)] = &[
    ("2015-01-01", "New Year's Day"),
    ("2015-04-03", "Good Friday"),
    ("2015-04-06", "Easter Monday"),
    ("2015-05-04", "Early May bank holiday"),
    ("2015-05-25", "Spring bank holiday"),
    ("2015-08-31", "Summer bank holiday"),
    ("2015-12-25", "Christmas Day"),
    ("2015-12-28", "Boxing Day"),
    ("2016-01-01", "New Year's Day"),
    ("2016-03-25", "Good Friday"),
    ("2016-03-28", "Easter Monday"),
    ("2016-05-02", "Early May bank holiday"),
    ("2016-05-30", "Spring bank holiday"),
    ("2016-08-29", "Summer bank holiday"),
    ("2016-12-26", "Boxing Day"),
    ("2016-12-27", "Christmas Day"),
    ("2017-01-02", "New Year's Day"),
    ("2017-04-14", "Good Friday"),
    ("2017-04-17", "Easter Monday"),
    ("2017-05-01", "Early May bank holiday"),
    ("2017-05-29", "Spring bank holiday"),
    ("2017-08-28", "Summer bank holiday"),
    ("2017-12-25", "Christmas Day"),
    ("2017-12-26", "Boxing Day"),
    ("2018-01-01", "New Year's Day"),
    ("2018-03-30", "Good Friday"),
    ("2018-04-02", "Easter Monday"),
    ("2018-05-07", "Early May bank holiday"),
    ("2018-05-28", "Spring bank holiday"),
    ("2018-08-27", "Summer bank holiday"),
    ("2018-12-25", "Christmas Day"),
    ("2018-12-26", "Boxing Day"),
    ("2019-01-01", "New Year's Day"),
    ("2019-04-19", "Good Friday"),
    ("2019-04-22", "Easter Monday"),
    ("2019-05-06", "Early May bank holiday"),
    ("2019-05-27", "Spring bank holiday"),
    ("2019-08-26", "Summer bank holiday"),
    ("2019-12-25", "Christmas Day"),
    ("2019-12-26", "Boxing Day"),
    ("2020-01-01", "New Year's Day"),
    ("2020-04-10", "Good Friday"),
    ("2020-04-13", "Easter Monday"),
    ("2020-05-08", "Early May bank holiday"),
    ("2020-05-25", "Spring bank holiday"),
    ("2020-08-31", "Summer bank holiday"),
    ("2020-12-25", "Christmas Day"),
    ("2020-12-28", "Boxing Day"),
    ("2021-01-01", "New Year's Day"),
    ("2021-04-02", "Good Friday"),
    ("2021-04-05", "Easter Monday"),
    ("2021-05-03", "Early May bank holiday"),
    ("2021-05-31", "Spring bank holiday"),
    ("2021-08-30", "Summer bank holiday"),
    ("2021-12-27", "Christmas Day"),
    ("2021-12-28", "Boxing Day"),
    ("2022-01-03", "New Year's Day"),
    ("2022-04-15", "Good Friday"),
    ("2022-04-18", "Easter Monday"),
    ("2022-05-02", "Early May bank holiday"),
    ("2022-06-02", "Spring bank holiday"),
    ("2022-06-03", "Platinum Jubilee bank holiday"),
    ("2022-08-29", "Summer bank holiday"),
    ("2022-09-19", "State Funeral of Queen Elizabeth II"),
    ("2022-12-26", "Boxing Day"),
    ("2022-12-27", "Christmas Day"),
    ("2023-01-02", "New Year's Day"),
    ("2023-04-07", "Good Friday"),
    ("2023-04-10", "Easter Monday"),
    ("2023-05-01", "Early May bank holiday"),
    ("2023-05-08", "Coronation of King Charles III"),
    ("2023-05-29", "Spring bank holiday"),
    ("2023-08-28", "Summer bank holiday"),
    ("2023-12-25", "Christmas Day"),
    ("2023-12-26", "Boxing Day"),
    ("2024-01-01", "New Year's Day"),
    ("2024-03-29", "Good Friday"),
    ("2024-04-01", "Easter Monday"),
    ("2024-05-06", "Early May bank holiday"),
    ("2024-05-27", "Spring bank holiday"),
    ("2024-08-26", "Summer bank holiday"),
    ("2024-12-25", "Christmas Day"),
    ("2024-12-26", "Boxing Day"),
    ("2025-01-01", "New Year's Day"),
    ("2025-04-18", "Good Friday"),
    ("2025-04-21", "Easter Monday"),
    ("2025-05-05", "Early May bank holiday"),
    ("2025-05-26", "Spring bank holiday"),
    ("2025-08-25", "Summer bank holiday"),
    ("2025-12-25", "Christmas Day"),
    ("2025-12-26", "Boxing Day"),
    ("2026-01-01", "New Year's Day"),
    ("2026-04-03", "Good Friday"),
    ("2026-04-06", "Easter Monday"),
    ("2026-05-04", "Early May bank holiday"),
    ("2026-05-25", "Spring bank holiday"),
    ("2026-08-31", "Summer bank holiday"),
    ("2026-12-25", "Christmas Day"),
    ("2026-12-28", "Boxing Day"),
    ("2027-01-01", "New Year's Day"),
    ("2027-03-26", "Good Friday"),
    ("2027-03-29", "Easter Monday"),
    ("2027-05-03", "Early May bank holiday"),
    ("2027-05-31", "Spring bank holiday"),
    ("2027-08-30", "Summer bank holiday"),
    ("2027-12-27", "Christmas Day"),
    ("2027-12-28", "Boxing Day"),
    ("2028-01-03", "New Year's Day"),
    ("2028-04-14", "Good Friday"),
    ("2028-04-17", "Easter Monday"),
    ("2028-05-01", "Early May bank holiday"),
    ("2028-05-29", "Spring bank holiday"),
    ("2028-08-28", "Summer bank holiday"),
    ("2028-12-25", "Christmas Day"),
    ("2028-12-26", "Boxing Day"),
    ("2029-01-01", "New Year's Day"),
    ("2029-03-30", "Good Friday"),
    ("2029-04-02", "Easter Monday"),
    ("2029-05-07", "Early May bank holiday"),
    ("2029-05-28", "Spring bank holiday"),
    ("2029-08-27", "Summer bank holiday"),
    ("2029-12-25", "Christmas Day"),
    ("2029-12-26", "Boxing Day"),
    ("2030-01-01", "New Year's Day"),
    ("2030-04-19", "Good Friday"),
    ("2030-04-22", "Easter Monday"),
    ("2030-05-06", "Early May bank holiday"),
    ("2030-05-27", "Spring bank holiday"),
    ("2030-08-26", "Summer bank holiday"),
    ("2030-12-25", "Christmas Day"),
    ("2030-12-26", "Boxing Day"),
];

#[cfg(test)]
mod tests {

    #[test]
    fn pages_show_dates_day_first() {
        let d: Date = "2026-03-07".parse().expect("date");
        assert_eq!(d.dmy(), "07/03/2026");
    }

    use super::*;

    fn date(s: &str) -> Date {
        s.parse().expect("test date")
    }

    #[test]
    fn round_trips_and_weekdays() {
        for s in [
            "1970-01-01",
            "2000-02-29",
            "2024-12-31",
            "2026-11-26",
            "1999-03-01",
        ] {
            assert_eq!(date(s).to_string(), s);
        }
        assert_eq!(date("2026-11-26").weekday(), 3, "a Thursday");
        assert!("2026-02-29".parse::<Date>().is_err());
        assert!("2026-1-01".parse::<Date>().is_err());
        assert_eq!(
            Date::parse_prefix("2026-03-04T10:00"),
            Some(date("2026-03-04"))
        );
        assert_eq!(date("2026-01-31").add_months(1), date("2026-02-28"));
        assert_eq!(date("2026-11-15").add_months(3), date("2027-02-15"));
    }

    #[test]
    fn bank_holidays_are_sorted_and_not_at_weekends() {
        for w in ENGLAND_BANK_HOLIDAYS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        for (d, name) in ENGLAND_BANK_HOLIDAYS {
            assert!(date(d).weekday() < 5, "{d} {name} falls at a weekend");
        }
        assert_eq!(bank_holiday(date("2026-12-28")), Some("Boxing Day"));
        assert_eq!(bank_holiday(date("2026-12-29")), None);
    }

    fn check(start: &str, n: u32, expected: &str) {
        assert_eq!(
            date(start).add_working_days(n).to_string(),
            expected,
            "{start} + {n} working days"
        );
    }

    /// `utc` (`YYYY-MM-DDTHH:MM:SS`, UTC) is `offset_hours` behind London, where it is `day`.
    fn check_london(utc: &str, offset_hours: i64, day: &str) {
        let (d, t) = utc.split_once('T').expect("test time");
        let hms: Vec<i64> = t
            .split(':')
            .map(|p| p.parse().expect("test time"))
            .collect();
        let ms = date(d).days_since_epoch() as i64 * 86_400_000
            + (hms[0] * 3600 + hms[1] * 60 + hms[2]) * 1000;
        assert_eq!(
            london_offset_ms(ms),
            offset_hours * HOUR_MS,
            "offset at {utc} UTC"
        );
        assert_eq!(
            Date::london_from_unix_ms(ms),
            date(day),
            "London date at {utc} UTC"
        );
    }

    #[test]
    fn london_dates_around_the_clock_changes() {
        // 2026: summer time from Sunday 29 March to Sunday 25 October.
        check_london("2026-03-28T23:30:00", 0, "2026-03-28");
        check_london("2026-03-29T00:59:59", 0, "2026-03-29");
        check_london("2026-03-29T01:00:00", 1, "2026-03-29"); // 02:00 BST
        check_london("2026-03-29T22:59:59", 1, "2026-03-29");
        check_london("2026-03-29T23:30:00", 1, "2026-03-30"); // 00:30 BST; the UTC date is the 29th
        check_london("2026-07-01T22:59:59", 1, "2026-07-01");
        check_london("2026-07-01T23:00:00", 1, "2026-07-02");
        check_london("2026-10-24T23:30:00", 1, "2026-10-25");
        check_london("2026-10-25T00:59:59", 1, "2026-10-25"); // 01:59:59 BST
        check_london("2026-10-25T01:00:00", 0, "2026-10-25"); // back to 01:00 GMT
        check_london("2026-10-25T23:30:00", 0, "2026-10-25");
        check_london("2026-12-31T23:59:59", 0, "2026-12-31");
        check_london("2027-01-01T00:00:00", 0, "2027-01-01");
        // 2025: 30 March to 26 October.
        check_london("2025-03-29T23:59:59", 0, "2025-03-29");
        check_london("2025-03-30T00:59:59", 0, "2025-03-30");
        check_london("2025-03-30T01:00:00", 1, "2025-03-30");
        check_london("2025-03-30T23:00:00", 1, "2025-03-31");
        check_london("2025-10-25T23:00:00", 1, "2025-10-26");
        check_london("2025-10-26T00:59:59", 1, "2025-10-26");
        check_london("2025-10-26T01:00:00", 0, "2025-10-26");
        check_london("2025-10-26T23:00:00", 0, "2025-10-26");
        // 2027: 28 March to 31 October (the month's last day).
        check_london("2027-03-27T23:00:00", 0, "2027-03-27");
        check_london("2027-03-28T01:00:00", 1, "2027-03-28");
        check_london("2027-03-28T23:00:00", 1, "2027-03-29");
        check_london("2027-10-30T23:00:00", 1, "2027-10-31");
        check_london("2027-10-31T00:59:59", 1, "2027-10-31");
        check_london("2027-10-31T01:00:00", 0, "2027-10-31");
        check_london("2027-10-31T23:00:00", 0, "2027-10-31");
        // 2028, a leap year: 26 March to 29 October.
        check_london("2028-03-26T00:59:59", 0, "2028-03-26");
        check_london("2028-03-26T22:59:59", 1, "2028-03-26");
        check_london("2028-03-26T23:00:00", 1, "2028-03-27");
        check_london("2028-10-28T23:00:00", 1, "2028-10-29");
        check_london("2028-10-29T01:00:00", 0, "2028-10-29");
        check_london("2028-10-29T23:00:00", 0, "2028-10-29");
        // 2024 and 2030: 31 March, the month's last day; 27 October.
        check_london("2024-03-31T00:59:59", 0, "2024-03-31");
        check_london("2024-03-31T01:00:00", 1, "2024-03-31");
        check_london("2024-10-27T00:59:59", 1, "2024-10-27");
        check_london("2024-10-27T01:00:00", 0, "2024-10-27");
        check_london("2030-03-31T01:00:00", 1, "2030-03-31");
        check_london("2030-10-26T23:00:00", 1, "2030-10-27");
        check_london("2030-10-27T01:00:00", 0, "2030-10-27");
    }

    #[test]
    fn working_days() {
        check("2026-11-26", 1, "2026-11-27");
        check("2026-11-27", 1, "2026-11-30");
        // Christmas 2026: Fri 25 and Mon 28 (Boxing Day substitute) are holidays.
        check("2026-12-24", 1, "2026-12-29");
        // Easter 2026: Good Friday 3 April, Easter Monday 6 April.
        check("2026-04-02", 1, "2026-04-07");
        check("2026-11-02", 15, "2026-11-23");
    }
}
