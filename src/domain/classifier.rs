//! The single classifier of goods and services (CUCOP-style): a hierarchy of numeric
//! codes — capítulo, concepto, partida genérica, partida específica, item — each with a
//! description, its expense-object partida, a unit of measure and an ICT flag.

use std::collections::{HashMap, HashSet};

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

/// Orders rows so that a row whose parent is in the file comes after that parent; rows
/// keep the file's order otherwise. Rows caught in a cycle within the file come last
/// (their upsert refuses them).
pub fn parents_first(rows: Vec<(usize, NewClassifierItem)>) -> Vec<(usize, NewClassifierItem)> {
    let index: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (_, item))| (item.code.to_string(), i))
        .collect();
    let mut placed = vec![false; rows.len()];
    let mut order = Vec::with_capacity(rows.len());
    for i in 0..rows.len() {
        // Walk up through the file's own rows to the first one already placed, then place
        // from the top down. Iterative (a file may hold a chain of any length) and linear
        // overall: each row joins one walk only.
        let mut chain = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(i);
        while let Some(at) = next {
            if placed.get(at).copied().unwrap_or(true) || !seen.insert(at) {
                break;
            }
            chain.push(at);
            next = rows
                .get(at)
                .and_then(|(_, item)| item.parent.as_ref())
                .and_then(|p| index.get(p.as_str()).copied());
        }
        for at in chain.into_iter().rev() {
            if let Some(slot) = placed.get_mut(at)
                && !*slot
            {
                *slot = true;
                order.push(at);
            }
        }
    }
    let mut slots: Vec<Option<(usize, NewClassifierItem)>> = rows.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
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

    mod ordering {
        use super::super::*;

        fn item(code: &'static str, parent: Option<&'static str>) -> NewClassifierItem {
            NewClassifierItem::parse(&RawClassifierItem {
                code,
                description: "Artículo",
                parent,
                partida: None,
                unit: None,
                is_ict: false,
            })
            .unwrap_or_else(|e| panic!("{e}"))
        }

        #[test]
        fn parents_come_before_children_whatever_the_file_order() {
            let rows = vec![
                (2, item("21101001", Some("21101"))),
                (3, item("21101", Some("211"))),
                (4, item("211", None)),
            ];
            let order: Vec<usize> = parents_first(rows)
                .into_iter()
                .map(|(line, _)| line)
                .collect();
            assert_eq!(order, [4, 3, 2]);
        }

        #[test]
        fn a_long_chain_in_a_file_is_ordered_without_recursion() {
            let codes: Vec<&'static str> = (0..50_000)
                .map(|i| &*Box::leak(format!("{}", 100_000_000 + i).into_boxed_str()))
                .collect();
            let rows: Vec<_> = codes
                .iter()
                .enumerate()
                .map(|(i, code)| (i + 2, item(code, (i > 0).then(|| codes[i - 1]))))
                .rev()
                .collect();
            assert_eq!(parents_first(rows).len(), 50_000, "every row is kept");
        }
    }
}
