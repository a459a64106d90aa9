//! Errors of the engine. Each variant says what was wrong and where; the Python binding maps
//! them to ValueError / KeyError / AttributeError / TypeError.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A value outside its domain (nseg 0, negative L, x outside [0, 1], NaN...): ValueError.
    Value(String),
    /// An unknown mechanism, variable or global name: KeyError/AttributeError, with a suggestion.
    UnknownName { what: String, name: String, suggestion: Option<String> },
    /// A mechanism that is not inserted where it is read: AttributeError in Python.
    NotInserted(String),
    /// A section or point process used after deletion: ReferenceError-like.
    Deleted(String),
    /// A run stopped from outside (Ctrl-C); the model stays usable.
    Interrupted,
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Value(m) | Error::NotInserted(m) | Error::Deleted(m) => f.write_str(m),
            Error::UnknownName { what, name, suggestion } => {
                write!(f, "unknown {what} '{name}'")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean '{s}'?)")?;
                }
                Ok(())
            }
            Error::Interrupted => f.write_str("run interrupted"),
        }
    }
}

impl std::error::Error for Error {}

/// Checks that a physical value is finite and strictly positive.
pub fn positive(what: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::Value(format!("{what} must be a finite number > 0, got {value}")))
    }
}

/// Checks that a value is finite (not NaN or infinite).
pub fn finite(what: &str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::Value(format!("{what} must be a finite number, got {value}")))
    }
}

/// Checks a normalised position along a section.
pub fn arc_position(x: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(Error::Value(format!("x must be in [0, 1], got {x}")))
    }
}

/// The closest candidate by edit distance, if close enough to be a plausible typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.filter(|(d, c)| *d <= 2.max(c.len() / 3)).map(|(_, c)| c.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(suggest("hhh", ["hh", "pas"]), Some("hh".into()));
        assert_eq!(suggest("gnabr", ["gnabar", "gkbar"]), Some("gnabar".into()));
        assert_eq!(suggest("zzzzzz", ["hh", "pas"]), None);
    }

    #[test]
    fn validators() {
        assert!(positive("L", 0.0).is_err());
        assert!(positive("L", f64::NAN).is_err());
        assert!(positive("L", 2.0).is_ok());
        assert!(arc_position(1.1).is_err());
        assert!(arc_position(1.0).is_ok());
    }
}
