//! Brace patterns for shard lists, as WebDataset (Python's `braceexpand`)
//! and the shell read them: `{0000..0099}` is a numeric range, zero-padded
//! to the longer bound's width when either bound has a leading zero, and
//! counting down when the first bound is larger; `{a,b,c}` is a list.
//! Several groups multiply out, leftmost slowest. Braces do not nest, and
//! a pattern may expand to at most [`MAX_EXPANSION`] names.

use crate::error::{Error, Result};

/// The most names one pattern may expand to.
pub const MAX_EXPANSION: usize = 1_000_000;

fn bad(pattern: &str, what: impl Into<String>) -> Error {
    Error::Pattern {
        pattern: pattern.to_string(),
        what: what.into(),
    }
}

/// The alternatives one `{...}` group stands for.
fn group(pattern: &str, body: &str) -> Result<Vec<String>> {
    if body.contains(',') {
        return Ok(body.split(',').map(str::to_string).collect());
    }
    let Some((a, b)) = body.split_once("..") else {
        return Err(bad(
            pattern,
            format!("{{{body}}} is neither a range a..b nor a list a,b"),
        ));
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return Err(bad(
            pattern,
            format!("range {{{body}}} needs two non-negative whole numbers"),
        ));
    }
    let (from, to): (u64, u64) = match (a.parse(), b.parse()) {
        (Ok(from), Ok(to)) => (from, to),
        _ => return Err(bad(pattern, format!("range {{{body}}} is not numeric"))),
    };
    let count = from.abs_diff(to) + 1;
    if count > MAX_EXPANSION as u64 {
        return Err(bad(
            pattern,
            format!("range {{{body}}} has {count} values, over {MAX_EXPANSION}"),
        ));
    }
    let padded = (a.len() > 1 && a.starts_with('0')) || (b.len() > 1 && b.starts_with('0'));
    let width = if padded { a.len().max(b.len()) } else { 0 };
    let values: Vec<u64> = if from <= to {
        (from..=to).collect()
    } else {
        (to..=from).rev().collect()
    };
    Ok(values.into_iter().map(|v| format!("{v:0width$}")).collect())
}

/// Every name `pattern` stands for, in order.
///
/// ```
/// use load::source::expand_braces;
/// assert_eq!(expand_braces("s-{08..10}.tar")?, ["s-08.tar", "s-09.tar", "s-10.tar"]);
/// assert_eq!(expand_braces("{a,b}-{1..2}")?, ["a-1", "a-2", "b-1", "b-2"]);
/// assert!(expand_braces("s-{1..").is_err());
/// # Ok::<(), load::Error>(())
/// ```
pub fn expand(pattern: &str) -> Result<Vec<String>> {
    let mut names = vec![String::new()];
    let mut rest = pattern;
    while !rest.is_empty() {
        let (literal, group_body, tail) = match rest.find(['{', '}']) {
            None => (rest, None, ""),
            Some(at) if rest.as_bytes()[at] == b'}' => {
                return Err(bad(pattern, "a '}' without its '{'"));
            }
            Some(at) => {
                let inner = &rest[at + 1..];
                let close = inner
                    .find(['{', '}'])
                    .filter(|&c| inner.as_bytes()[c] == b'}')
                    .ok_or_else(|| bad(pattern, "a '{' without its '}' (braces do not nest)"))?;
                (&rest[..at], Some(&inner[..close]), &inner[close + 1..])
            }
        };
        for name in &mut names {
            name.push_str(literal);
        }
        if let Some(body) = group_body {
            let options = group(pattern, body)?;
            if names.len().saturating_mul(options.len()) > MAX_EXPANSION {
                return Err(bad(
                    pattern,
                    format!("expands to over {MAX_EXPANSION} names"),
                ));
            }
            names = names
                .iter()
                .flat_map(|name| options.iter().map(move |o| format!("{name}{o}")))
                .collect();
        }
        rest = tail;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_lists_and_padding() -> Result<()> {
        assert_eq!(
            expand("train-{0000..0002}.tar")?,
            ["train-0000.tar", "train-0001.tar", "train-0002.tar"]
        );
        assert_eq!(expand("{9..11}")?, ["9", "10", "11"]);
        assert_eq!(expand("{3..1}")?, ["3", "2", "1"]);
        assert_eq!(expand("{1..03}")?, ["01", "02", "03"]);
        assert_eq!(expand("x{a,,b}y")?, ["xay", "xy", "xby"]);
        assert_eq!(expand("plain.tar")?, ["plain.tar"]);
        assert_eq!(expand("")?, [""]);
        Ok(())
    }

    #[test]
    fn malformed_patterns_are_named() {
        for p in [
            "{1..",
            "a}",
            "{a{b}}",
            "{1..x}",
            "{-1..3}",
            "{1...3}",
            "{}",
            "{0..99999999}",
            "{0..999}{0..999}{0..9}",
        ] {
            assert!(matches!(expand(p), Err(Error::Pattern { .. })), "{p}");
        }
    }
}
