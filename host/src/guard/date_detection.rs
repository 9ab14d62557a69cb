//! Elasticsearch's default `dynamic_date_formats`:
//! `strict_date_optional_time || yyyy/MM/dd HH:mm:ss Z || yyyy/MM/dd Z`.
//! A string that matches one of them is mapped as `date`, not `text`.

/// Whether default date detection would map this string as a date.
pub fn is_detected_date(s: &str) -> bool {
    strict_date_optional_time(s.as_bytes()) || slashed_date(s.as_bytes())
}

fn digits(bytes: &[u8], n: usize) -> Option<&[u8]> {
    (bytes.len() >= n && bytes[..n].iter().all(u8::is_ascii_digit)).then(|| &bytes[n..])
}

fn literal(bytes: &[u8], c: u8) -> Option<&[u8]> {
    (bytes.first() == Some(&c)).then(|| &bytes[1..])
}

/// `yyyy-MM-dd['T'HH[:mm[:ss[.SSS]]][Z|+hh:mm]]`
fn strict_date_optional_time(bytes: &[u8]) -> bool {
    let Some(rest) = digits(bytes, 4)
        .and_then(|r| literal(r, b'-'))
        .and_then(|r| digits(r, 2))
        .and_then(|r| literal(r, b'-'))
        .and_then(|r| digits(r, 2))
    else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(mut rest) = literal(rest, b'T').and_then(|r| digits(r, 2)) else {
        return false;
    };
    for _ in 0..2 {
        if let Some(r) = literal(rest, b':').and_then(|r| digits(r, 2)) {
            rest = r;
        }
    }
    if let Some(r) = literal(rest, b'.') {
        let fraction = r.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=9).contains(&fraction) {
            return false;
        }
        rest = &r[fraction..];
    }
    is_zone(rest)
}

fn is_zone(bytes: &[u8]) -> bool {
    match bytes.first() {
        None => true,
        Some(b'Z') => bytes.len() == 1,
        Some(b'+' | b'-') => {
            let rest = &bytes[1..];
            matches!(digits(rest, 2), Some(r) if r.is_empty()
                || digits(r, 2).is_some_and(<[u8]>::is_empty)
                || literal(r, b':').and_then(|r| digits(r, 2)).is_some_and(<[u8]>::is_empty))
        }
        _ => false,
    }
}

/// `yyyy/MM/dd HH:mm:ss Z` or `yyyy/MM/dd Z`
fn slashed_date(bytes: &[u8]) -> bool {
    let Some(rest) = digits(bytes, 4)
        .and_then(|r| literal(r, b'/'))
        .and_then(|r| digits(r, 2))
        .and_then(|r| literal(r, b'/'))
        .and_then(|r| digits(r, 2))
        .and_then(|r| literal(r, b' '))
    else {
        return false;
    };
    let time = digits(rest, 2)
        .and_then(|r| literal(r, b':'))
        .and_then(|r| digits(r, 2))
        .and_then(|r| literal(r, b':'))
        .and_then(|r| digits(r, 2))
        .and_then(|r| literal(r, b' '));
    is_numeric_zone(time.unwrap_or(rest))
}

fn is_numeric_zone(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(b'+' | b'-'))
        && digits(&bytes[1..], 4).is_some_and(<[u8]>::is_empty)
}

#[cfg(test)]
mod tests {
    use super::is_detected_date;

    #[test]
    fn detects_what_elasticsearch_detects() {
        for date in [
            "2016-08-30",
            "2016-08-30T12:01:02Z",
            "2016-08-30T12:01:02.123+02:00",
            "2016-08-30T12",
            "2016/08/30 12:01:02 +0000",
            "2016/08/30 +0000",
        ] {
            assert!(is_detected_date(date), "{date}");
        }
    }

    #[test]
    fn leaves_other_strings_as_text() {
        for text in [
            "Wed Aug 27 13:08:45 +0000 2008",
            "2016-8-30",
            "12345",
            "2016-08-30 12:01:02",
            "2016-08-30T12:01:02Zx",
            "hello",
        ] {
            assert!(!is_detected_date(text), "{text}");
        }
    }
}
