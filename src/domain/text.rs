//! Free text fields and accent-insensitive search.

use super::code::Code;
use super::validation::ErrorCode;

/// Folds text for search: lower case, Spanish accents and diacritics removed
/// ("Cómputo" → "computo", "Ñandú" → "nandu"), runs of anything but letters and digits
/// turned into one space.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else {
            pending_space = true;
        }
    }
    out
}

/// How well `folded` text matches the folded query terms: `None` when a term is missing,
/// otherwise the number of terms found only inside a word (0 = every term is a whole word),
/// so that whole-word matches sort first.
pub fn match_rank(folded: &str, terms: &[String]) -> Option<usize> {
    let words: Vec<&str> = folded.split(' ').collect();
    let mut partial = 0;
    for term in terms {
        if words.contains(&term.as_str()) {
            continue;
        }
        if folded.contains(term.as_str()) {
            partial += 1;
        } else {
            return None;
        }
    }
    Some(partial)
}

/// Characters that spoof text in public lists: every format character (bidirectional
/// controls, zero-width characters, the byte-order mark, invisible Arabic and Syriac
/// marks…, Unicode category Cf), line and paragraph separators, private-use and unassigned
/// code points, and the blank "letters" and variation selectors that show nothing.
pub fn is_deceptive(c: char) -> bool {
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        G::Format
            | G::LineSeparator
            | G::ParagraphSeparator
            | G::PrivateUse
            | G::Unassigned
            | G::Surrogate
    ) || matches!(c,
        '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FFA0}' | '\u{E0100}'..='\u{E01EF}')
}

/// The most combining marks one character may carry (after NFC): more stack into the
/// lines around it ("Zalgo" text).
pub const MAX_COMBINING_MARKS: usize = 4;

/// Whether `text` has a deceptive character, or a character with too many marks.
pub fn spoofs(text: &str) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    let mut marks = 0;
    for c in text.chars() {
        if is_deceptive(c) {
            return true;
        }
        if c.general_category_group() == GeneralCategoryGroup::Mark {
            marks += 1;
            if marks > MAX_COMBINING_MARKS {
                return true;
            }
        } else {
            marks = 0;
        }
    }
    false
}

/// Free text as stored: trimmed and in Unicode NFC, so that one spelling is one string.
pub fn normalise(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.trim().nfc().collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{field} must have {min} to {max} characters, without control, invisible or bidirectional-control characters"
)]
pub struct TextError {
    pub field: &'static str,
    pub min: usize,
    pub max: usize,
    pub code: Code,
}

impl ErrorCode for TextError {
    fn code(&self) -> Code {
        self.code
    }
}

/// Trims `raw`, normalises it to NFC and checks its length in characters and that it has
/// no control characters (new lines allowed when `multiline`) and nothing
/// [deceptive](is_deceptive).
pub fn bounded(
    raw: &str,
    field: &'static str,
    code: Code,
    len: std::ops::RangeInclusive<usize>,
    multiline: bool,
) -> Result<String, TextError> {
    let normalised = normalise(raw);
    let text = normalised.as_str();
    let count = text.chars().count();
    let bad_char = spoofs(text)
        || text
            .chars()
            .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')));
    if !len.contains(&count) || bad_char {
        return Err(TextError {
            field,
            min: *len.start(),
            max: *len.end(),
            code,
        });
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_accents_and_punctuation() {
        assert_eq!(
            fold("Equipo de Cómputo, portátil"),
            "equipo de computo portatil"
        );
        assert_eq!(fold("  ÑANDÚ -- Über  "), "nandu uber");
        assert_eq!(fold("A&B"), "a b");
    }

    #[test]
    fn whole_words_rank_before_parts_of_words() {
        let terms = vec!["computo".to_owned()];
        assert_eq!(match_rank("equipo de computo", &terms), Some(0));
        assert_eq!(match_rank("microcomputoras", &terms), Some(1));
        assert_eq!(match_rank("papel bond", &terms), None);
        let two = vec!["papel".to_owned(), "bon".to_owned()];
        assert_eq!(match_rank("papel bond", &two), Some(1));
    }

    #[test]
    fn bounded_text_is_trimmed_and_checked() {
        assert_eq!(
            bounded("  hola ", "x", Code::InvalidText, 2..=5, false),
            Ok("hola".into())
        );
        assert!(bounded("h", "x", Code::InvalidText, 2..=5, false).is_err());
        assert!(bounded("a\nb", "x", Code::InvalidText, 2..=5, false).is_err());
        assert!(bounded("a\nb", "x", Code::InvalidText, 2..=5, true).is_ok());
    }

    #[test]
    fn spoofing_characters_are_refused_and_text_is_nfc() {
        for spoof in [
            "Agencia \u{1D173} de prueba",
            "ab\u{0600}cd",
            "ab\u{2800}cd",
            "Za\u{0301}\u{0302}\u{0303}\u{0304}\u{0305}\u{0306}\u{0307}lgo",
            "abc\u{202E}def",
            "ab\u{200B}cd",
            "\u{FEFF}abcd",
            "ab\u{2028}cd",
            "ab\u{2066}cd",
        ] {
            assert!(
                bounded(spoof, "x", Code::InvalidText, 2..=20, true).is_err(),
                "{spoof:?}"
            );
        }
        // "é" written as e + combining acute is stored as the one character.
        assert_eq!(
            bounded("Cafe\u{0301}", "x", Code::InvalidText, 2..=20, false),
            Ok("Caf\u{e9}".into())
        );
    }
}
