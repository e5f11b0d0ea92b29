//! Free text fields and accent-insensitive search.

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must have {min} to {max} characters, without control characters")]
pub struct TextError {
    pub field: &'static str,
    pub min: usize,
    pub max: usize,
    pub code: &'static str,
}

impl ErrorCode for TextError {
    fn code(&self) -> &'static str {
        self.code
    }
}

/// Trims `raw` and checks its length in characters and that it has no control
/// characters (new lines allowed when `multiline`).
pub fn bounded(
    raw: &str,
    field: &'static str,
    code: &'static str,
    len: std::ops::RangeInclusive<usize>,
    multiline: bool,
) -> Result<String, TextError> {
    let text = raw.trim();
    let count = text.chars().count();
    let bad_char = text
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
            bounded("  hola ", "x", "invalid_x", 2..=5, false),
            Ok("hola".into())
        );
        assert!(bounded("h", "x", "invalid_x", 2..=5, false).is_err());
        assert!(bounded("a\nb", "x", "invalid_x", 2..=5, false).is_err());
        assert!(bounded("a\nb", "x", "invalid_x", 2..=5, true).is_ok());
    }
}
