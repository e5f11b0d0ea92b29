//! The single classifier of goods and services (CUCOP-style): a hierarchy of numeric
//! codes — capítulo, concepto, partida genérica, partida específica, item — each with a
//! description, its expense-object partida, a unit of measure and an ICT flag.

use super::code::Code;
use super::text::bounded;
use super::validation::{ErrorCode, ValidationErrors, all_or_errors};

/// The longest code: an 8-digit CUCOP item, with room for finer national extensions.
pub const MAX_CODE_LEN: usize = 12;
pub const DESCRIPTION_LEN: std::ops::RangeInclusive<usize> = 2..=300;
pub const UNIT_LEN: std::ops::RangeInclusive<usize> = 1..=40;
/// The deepest level of the hierarchy.
pub const MAX_LEVEL: i32 = 8;

/// A classifier code: 1 to 12 ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassifierCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a classifier code has 1 to 12 digits, got {0:?}")]
pub struct ClassifierCodeError(pub String);

impl ErrorCode for ClassifierCodeError {
    fn code(&self) -> Code {
        Code::InvalidClassifierCode
    }
}

impl ClassifierCode {
    pub fn parse(raw: &str) -> Result<Self, ClassifierCodeError> {
        let code = raw.trim();
        if code.is_empty() || code.len() > MAX_CODE_LEN || !code.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ClassifierCodeError(code.chars().take(20).collect()));
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClassifierCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A classifier item as given by the registrar (one row of an import, or one upsert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClassifierItem {
    pub code: ClassifierCode,
    pub description: String,
    pub parent: Option<ClassifierCode>,
    pub partida: Option<String>,
    pub unit: Option<String>,
    pub is_ict: bool,
}

/// The raw fields of an item, before parsing.
#[derive(Debug, Clone, Default)]
pub struct RawClassifierItem<'a> {
    pub code: &'a str,
    pub description: &'a str,
    pub parent: Option<&'a str>,
    pub partida: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub is_ict: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a partida is a 4- or 5-digit expense-object code, got {0:?}")]
pub struct PartidaError(String);

impl ErrorCode for PartidaError {
    fn code(&self) -> Code {
        Code::InvalidPartida
    }
}

fn parse_partida(raw: &str) -> Result<String, PartidaError> {
    let p = raw.trim();
    if (4..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) {
        Ok(p.to_owned())
    } else {
        Err(PartidaError(p.chars().take(20).collect()))
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

impl NewClassifierItem {
    pub fn parse(raw: &RawClassifierItem<'_>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let code = errors.check("code", ClassifierCode::parse(raw.code));
        let description = errors.check(
            "description",
            bounded(
                raw.description,
                "description",
                Code::InvalidDescription,
                DESCRIPTION_LEN,
                false,
            ),
        );
        let parent = non_empty(raw.parent)
            .map(|p| errors.check("parent", ClassifierCode::parse(p)))
            .map(|p| p.ok_or(()));
        let partida = non_empty(raw.partida)
            .map(|p| errors.check("partida", parse_partida(p)))
            .map(|p| p.ok_or(()));
        let unit = non_empty(raw.unit)
            .map(|u| {
                errors.check(
                    "unit",
                    bounded(u, "unit", Code::InvalidUnit, UNIT_LEN, false),
                )
            })
            .map(|u| u.ok_or(()));
        if let (Some(code), Some(Ok(parent))) = (&code, &parent)
            && code == parent
        {
            errors.push(
                "parent",
                Code::ClassifierCycle,
                "an item cannot be its own parent",
            );
        }
        all_or_errors(errors, || {
            Some(Self {
                code: code?,
                description: description?,
                parent: parent.transpose().ok()?,
                partida: partida.transpose().ok()?,
                unit: unit.transpose().ok()?,
                is_ict: raw.is_ict,
            })
        })
    }
}

/// Parses the `is_ict` column of a CSV: true/false, 1/0, yes/no, sí/no (any case).
pub fn parse_flag(raw: &str) -> Option<bool> {
    match raw.trim().to_lowercase().as_str() {
        "true" | "1" | "yes" | "si" | "sí" | "y" | "t" => Some(true),
        "false" | "0" | "no" | "n" | "f" | "" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(code: &str, parent: Option<&'static str>) -> RawClassifierItem<'static> {
        RawClassifierItem {
            code: Box::leak(code.to_owned().into_boxed_str()),
            description: "Computadora portátil",
            parent,
            partida: Some("51501"),
            unit: Some("pieza"),
            is_ict: true,
        }
    }

    #[test]
    fn codes_are_digits_only() {
        assert!(ClassifierCode::parse("51501001").is_ok());
        assert!(ClassifierCode::parse(" 2000 ").is_ok_and(|c| c.as_str() == "2000"));
        for bad in ["", "51A01", "1234567890123", "-1"] {
            assert!(ClassifierCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_item_parses_with_every_field_checked() {
        let item = NewClassifierItem::parse(&raw("51501001", Some("51501")));
        assert!(item.is_ok_and(|i| i.parent.is_some() && i.is_ict));
        let bad = RawClassifierItem {
            code: "X",
            description: "",
            parent: Some("Y"),
            partida: Some("12"),
            unit: Some(""),
            is_ict: false,
        };
        let errors = NewClassifierItem::parse(&bad).err().unwrap_or_default();
        let fields: Vec<_> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            fields,
            [
                ("code", Code::InvalidClassifierCode),
                ("description", Code::InvalidDescription),
                ("parent", Code::InvalidClassifierCode),
                ("partida", Code::InvalidPartida),
            ]
        );
    }

    #[test]
    fn an_item_cannot_be_its_own_parent() {
        let errors = NewClassifierItem::parse(&raw("515", Some("515")))
            .err()
            .unwrap_or_default();
        assert_eq!(
            errors.0.first().map(|e| e.code),
            Some(Code::ClassifierCycle)
        );
    }

    #[test]
    fn flags_accept_common_spellings() {
        assert_eq!(parse_flag("TRUE"), Some(true));
        assert_eq!(parse_flag("sí"), Some(true));
        assert_eq!(parse_flag("0"), Some(false));
        assert_eq!(parse_flag("maybe"), None);
    }
}
