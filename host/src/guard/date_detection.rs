//! Elasticsearch's default `dynamic_date_formats`:
//! `strict_date_optional_time || yyyy/MM/dd HH:mm:ss Z || yyyy/MM/dd Z`.
//! A string that matches one of them is mapped as `date`, not `text`.
//!
//! The rules are Java time's, as the project's test server applies them
//! (`tests/es-server/src/mapping.rs`): the year alone or year and month are
//! already a date, months, days, hours, minutes and offsets are range-checked,
//! and the slashed formats take an optional time and an optional zone.
//! `host/tests/guard_dates.rs` checks the two agree on every case below.

/// Whether default date detection would map this string as a date.
pub fn is_detected_date(s: &str) -> bool {
    strict_date_optional_time(s.as_bytes()) || slashed_date(s.as_bytes())
}

/// A cursor over ASCII date text.
struct Cursor<'s> {
    s: &'s [u8],
    at: usize,
}

impl<'s> Cursor<'s> {
    fn new(s: &'s [u8]) -> Self {
        Cursor { s, at: 0 }
    }

    fn digits(&mut self, n: usize) -> Option<u32> {
        let part = self.s.get(self.at..self.at + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += n;
        Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.s.get(self.at) == Some(&c);
        self.at += usize::from(hit);
        hit
    }

    fn done(&self) -> bool {
        self.at == self.s.len()
    }

    /// `Z`, `+HH`, `+HHmm` or `+HH:mm` (hours up to 18, as Java's `ZoneOffset`).
    fn offset(&mut self) -> bool {
        if self.eat(b'Z') {
            return true;
        }
        if !(self.eat(b'+') || self.eat(b'-')) {
            return false;
        }
        if self.digits(2).is_none_or(|h| h > 18) {
            return false;
        }
        if self.done() {
            return true;
        }
        self.eat(b':');
        self.digits(2).is_some_and(|m| m < 60)
    }
}

fn valid_day(year: u32, month: u32, day: u32) -> bool {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `yyyy[-MM[-dd['T'HH[:mm[:ss[.S{1,9}]]][offset]]]]`
fn strict_date_optional_time(bytes: &[u8]) -> bool {
    let mut c = Cursor::new(bytes);
    let Some(year) = c.digits(4) else {
        return false;
    };
    if c.done() {
        return true;
    }
    if !c.eat(b'-') {
        return false;
    }
    let Some(month) = c.digits(2).filter(|m| (1..=12).contains(m)) else {
        return false;
    };
    if c.done() {
        return true;
    }
    if !c.eat(b'-') || !c.digits(2).is_some_and(|day| valid_day(year, month, day)) {
        return false;
    }
    if c.done() {
        return true;
    }
    if !c.eat(b'T') || c.digits(2).is_none_or(|h| h >= 24) {
        return false;
    }
    if c.eat(b':') {
        if c.digits(2).is_none_or(|m| m >= 60) {
            return false;
        }
        if c.eat(b':') {
            if c.digits(2).is_none_or(|s| s >= 60) {
                return false;
            }
            if c.eat(b'.') || c.eat(b',') {
                let start = c.at;
                while c.digits(1).is_some() {}
                if !(1..=9).contains(&(c.at - start)) {
                    return false;
                }
            }
        }
    }
    c.done() || (c.offset() && c.done())
}

/// `yyyy/MM/dd[ HH:mm:ss][ offset]`
fn slashed_date(bytes: &[u8]) -> bool {
    let mut c = Cursor::new(bytes);
    let (Some(year), true, Some(month), true, Some(day)) = (
        c.digits(4),
        c.eat(b'/'),
        c.digits(2),
        c.eat(b'/'),
        c.digits(2),
    ) else {
        return false;
    };
    if !valid_day(year, month, day) {
        return false;
    }
    if c.done() {
        return true;
    }
    if !c.eat(b' ') {
        return false;
    }
    let zone_at = c.at;
    let time = c.digits(2).is_some_and(|h| h < 24)
        && c.eat(b':')
        && c.digits(2).is_some_and(|m| m < 60)
        && c.eat(b':')
        && c.digits(2).is_some_and(|s| s < 60);
    if !time {
        c.at = zone_at;
        return c.offset() && c.done();
    }
    c.done() || (c.eat(b' ') && c.offset() && c.done())
}

#[cfg(test)]
mod tests {
    use super::is_detected_date;

    /// Strings the default `dynamic_date_formats` map as `date`.
    const DATES: &[&str] = &[
        "2016",
        "2016-08",
        "2016-08-30",
        "2016-02-29",
        "2016-08-30T12",
        "2016-08-30T12:01",
        "2016-08-30T12:01:02Z",
        "2016-08-30T12:01:02.123+02:00",
        "2016-08-30T12:01:02,5-0530",
        "2016/08/30",
        "2016/08/30 12:01:02 +0000",
        "2016/08/30 +0000",
    ];

    /// Strings that stay `text`.
    const TEXTS: &[&str] = &[
        "Wed Aug 27 13:08:45 +0000 2008",
        "201",
        "12345",
        "2016-8-30",
        "2016-13-01",
        "2015-02-29",
        "2016-08-30 12:01:02",
        "2016-08-30T24:00",
        "2016-08-30T12:01:02Zx",
        "2016-08-30T12:01:02+19:00",
        "hello",
    ];

    #[test]
    fn detects_what_elasticsearch_detects() {
        for date in DATES {
            assert!(is_detected_date(date), "{date}");
        }
    }

    #[test]
    fn leaves_other_strings_as_text() {
        for text in TEXTS {
            assert!(!is_detected_date(text), "{text}");
        }
    }
}
