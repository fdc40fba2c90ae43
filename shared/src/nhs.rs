//! NHS numbers: ten digits whose last is a modulus-11 check digit. The Children's Wellbeing and
//! Schools Act 2026 makes the NHS number the consistent child identifier, so a mistyped one
//! must be caught where it is typed, not found years later as a second record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A valid NHS number, kept as its ten digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NhsNumber(String);

/// Why text is not an NHS number, in words for the person typing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhsError {
    #[error("an NHS number has 10 digits")]
    Length,
    #[error("an NHS number has only digits (spaces are fine)")]
    NotDigits,
    #[error("this is not a valid NHS number: its check digit does not match; check each digit")]
    CheckDigit,
}

impl NhsNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped 3-3-4 as it is printed on NHS letters.
    pub fn spaced(&self) -> String {
        format!("{} {} {}", &self.0[..3], &self.0[3..6], &self.0[6..])
    }
}

/// The check digit of nine digits, or `None` where no check digit can make them valid.
fn check_digit(digits: &[u8]) -> Option<u8> {
    let sum: u32 = digits
        .iter()
        .zip((2..=10u32).rev())
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        d => Some(d as u8),
    }
}

impl FromStr for NhsNumber {
    type Err = NhsError;

    fn from_str(s: &str) -> Result<Self, NhsError> {
        let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if !compact.chars().all(|c| c.is_ascii_digit()) {
            return Err(NhsError::NotDigits);
        }
        if compact.len() != 10 {
            return Err(NhsError::Length);
        }
        let digits: Vec<u8> = compact.bytes().map(|b| b - b'0').collect();
        if check_digit(&digits[..9]) != Some(digits[9]) {
            return Err(NhsError::CheckDigit);
        }
        Ok(NhsNumber(compact))
    }
}

impl TryFrom<String> for NhsNumber {
    type Error = NhsError;
    fn try_from(s: String) -> Result<Self, NhsError> {
        s.parse()
    }
}

impl From<NhsNumber> for String {
    fn from(n: NhsNumber) -> String {
        n.0
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers_parse_with_or_without_spaces() {
        for s in ["9434765919", "943 476 5919", "943-476-5919", "4010232137"] {
            let n: NhsNumber = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(n.as_str().len(), 10);
        }
        assert_eq!(
            "9434765919".parse::<NhsNumber>().expect("valid").spaced(),
            "943 476 5919"
        );
    }

    #[test]
    fn a_changed_digit_or_swapped_pair_is_caught() {
        assert_eq!("9434765918".parse::<NhsNumber>(), Err(NhsError::CheckDigit));
        assert_eq!("9434765991".parse::<NhsNumber>(), Err(NhsError::CheckDigit));
        assert_eq!("943476591".parse::<NhsNumber>(), Err(NhsError::Length));
        assert_eq!("94347659190".parse::<NhsNumber>(), Err(NhsError::Length));
        assert_eq!("94347659A9".parse::<NhsNumber>(), Err(NhsError::NotDigits));
        assert_eq!("".parse::<NhsNumber>(), Err(NhsError::Length));
    }

    #[test]
    fn nine_digits_whose_check_would_be_ten_have_no_valid_number() {
        // The weighted sum of 100000001 leaves 1, so its check digit would be 10: no tenth digit works.
        for last in 0..10 {
            let s = format!("100000001{last}");
            assert!(s.parse::<NhsNumber>().is_err(), "{s}");
        }
    }

    #[test]
    fn serde_refuses_an_invalid_number() {
        assert!(serde_json::from_str::<NhsNumber>("\"9434765918\"").is_err());
        let n: NhsNumber = serde_json::from_str("\"9434765919\"").expect("valid");
        assert_eq!(serde_json::to_string(&n).expect("json"), "\"9434765919\"");
    }
}
