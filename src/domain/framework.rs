//! Framework contracts (contratos marco): where one covers an item, agencies buy through it
//! at its fixed prices, from its adhered suppliers, unless a written exception says why not.

use crate::domain::code::Code;
use chrono::NaiveDate;

use super::money::Money;
use super::tender::Item;
use super::validation::ValidationErrors;

/// A framework contract as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    /// (classifier code, unit, fixed unit price).
    pub prices: Vec<(String, String, Money)>,
    pub suppliers: Vec<String>,
}

impl Framework {
    /// In force from `valid_from` to `valid_until`, or to `ended_on` when ended early
    /// (both days included).
    pub fn active_on(&self, on: NaiveDate) -> bool {
        let last = self
            .ended_on
            .map_or(self.valid_until, |e| e.min(self.valid_until));
        self.valid_from <= on && on <= last
    }

    /// The unit and fixed price of an item: the contract lists its code or, failing that,
    /// the nearest ancestor's.
    pub fn fixed(&self, code: &str, ancestors: &[String]) -> Option<(&str, Money)> {
        self.prices
            .iter()
            .find(|(c, ..)| c == code)
            .or_else(|| {
                ancestors
                    .iter()
                    .rev()
                    .find_map(|a| self.prices.iter().find(|(c, ..)| c == a))
            })
            .map(|(_, unit, price)| (unit.as_str(), *price))
    }

    /// The fixed price of an item.
    pub fn price_of(&self, code: &str, ancestors: &[String]) -> Option<Money> {
        self.fixed(code, ancestors).map(|(_, price)| price)
    }

    pub fn adhered(&self, rfc: &str) -> bool {
        self.suppliers.iter().any(|s| s == rfc)
    }
}

/// A framework order's items against its contract: each covered, no maximum above the
/// fixed price. `ancestors[i]` are the ancestors' codes of `items[i]`.
pub fn check_order(
    framework: &Framework,
    items: &[Item],
    ancestors: &[Vec<String>],
    on: NaiveDate,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if !framework.active_on(on) {
        errors.push(
            "framework_contract_id",
            Code::FrameworkContractInactive,
            format!("the framework contract is not in force on {on}"),
        );
    }
    for (i, item) in items.iter().enumerate() {
        let chain = ancestors.get(i).map(Vec::as_slice).unwrap_or(&[]);
        match framework.fixed(&item.classifier_code, chain) {
            Some((unit, _)) if !unit.trim().eq_ignore_ascii_case(item.unit.trim()) => errors.push(
                &format!("items[{i}].unit"),
                Code::FrameworkUnitMismatch,
                format!(
                    "the framework contract prices {} by {unit}, not by {}",
                    item.classifier_code, item.unit
                ),
            ),
            None => errors.push(
                &format!("items[{i}].classifier_code"),
                Code::FrameworkItemNotCovered,
                format!(
                    "the framework contract does not cover {}",
                    item.classifier_code
                ),
            ),
            Some((_, price)) if item.max_unit_price > price => errors.push(
                &format!("items[{i}].max_unit_price"),
                Code::FrameworkPriceExceeded,
                format!(
                    "{} is above the framework price {price}",
                    item.max_unit_price
                ),
            ),
            Some(_) => {}
        }
    }
    errors.finish()
}

/// Σ (framework price − acquired unit price) × quantity: the ICT policy's "efficiency".
/// `None` when the sum does not fit (never with real prices: it fails loudly instead of
/// recording a wrong figure).
pub fn framework_savings(
    framework: &Framework,
    items: &[Item],
    ancestors: &[Vec<String>],
    acquired: &[Money],
) -> Option<i64> {
    let mut total: i128 = 0;
    for (i, (item, price)) in items.iter().zip(acquired).enumerate() {
        let chain = ancestors.get(i).map(Vec::as_slice).unwrap_or(&[]);
        let Some(fixed) = framework.price_of(&item.classifier_code, chain) else {
            continue;
        };
        let line = i128::from(fixed.minus(*price)).checked_mul(i128::from(item.quantity))?;
        total = total.checked_add(line)?;
    }
    i64::try_from(total).ok()
}

/// The highest total an order under `framework` may reach: Σ quantity × the lower of the
/// item's maximum unit price and the framework's fixed price (the auction's ceiling).
/// `None` on overflow.
pub fn ceiling(framework: &Framework, items: &[Item], ancestors: &[Vec<String>]) -> Option<Money> {
    items
        .iter()
        .enumerate()
        .try_fold(Money::ZERO, |sum, (i, item)| {
            let chain = ancestors.get(i).map(Vec::as_slice).unwrap_or(&[]);
            let unit = framework
                .price_of(&item.classifier_code, chain)
                .map_or(item.max_unit_price, |fixed| fixed.min(item.max_unit_price));
            sum.checked_add(unit.checked_mul(item.quantity)?)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn framework() -> Framework {
        Framework {
            valid_from: date("2026-01-01"),
            valid_until: date("2026-12-31"),
            ended_on: None,
            prices: vec![
                (
                    "51501003".into(),
                    "pieza".into(),
                    Money::parse("17000.00").unwrap(),
                ),
                ("211".into(), "pieza".into(), Money::parse("90.00").unwrap()),
            ],
            suppliers: vec!["AAA010101AA1".into()],
        }
    }

    fn item(code: &str, max: &str, quantity: u64) -> Item {
        Item {
            lot: 1,
            classifier_code: code.into(),
            quantity,
            unit: "pieza".into(),
            max_unit_price: Money::parse(max).unwrap(),
        }
    }

    #[test]
    fn the_ceiling_takes_the_lower_of_the_maximum_and_the_fixed_price() {
        let items = [
            item("51501003", "18000.00", 2),
            item("21101001", "80.00", 10),
            item("99999999", "5.00", 3),
        ];
        let chains = vec![vec![], vec!["211".into()], vec![]];
        assert_eq!(
            ceiling(&framework(), &items, &chains),
            Money::parse("34815.00").ok(),
            "2 × 17,000 + 10 × 80 + 3 × 5"
        );
    }

    #[test]
    fn in_force_between_its_dates_or_until_ended() {
        let mut f = framework();
        assert!(f.active_on(date("2026-01-01")) && f.active_on(date("2026-12-31")));
        assert!(!f.active_on(date("2027-01-01")));
        f.ended_on = Some(date("2026-06-30"));
        assert!(f.active_on(date("2026-06-30")) && !f.active_on(date("2026-07-01")));
    }

    #[test]
    fn prices_apply_to_the_code_or_its_ancestors() {
        let f = framework();
        assert_eq!(f.price_of("51501003", &[]), Money::parse("17000.00").ok());
        assert_eq!(
            f.price_of(
                "21101001",
                &["2000".into(), "2100".into(), "211".into(), "21101".into()]
            ),
            Money::parse("90.00").ok()
        );
        assert_eq!(f.price_of("51101001", &["5000".into()]), None);
    }

    #[test]
    fn an_order_is_covered_and_within_the_fixed_prices() {
        let f = framework();
        let ancestors = vec![vec![], vec!["211".into()]];
        let on = date("2026-05-01");
        assert!(
            check_order(
                &f,
                &[
                    item("51501003", "17000.00", 10),
                    item("21101001", "90.00", 5)
                ],
                &ancestors,
                on
            )
            .is_ok()
        );
        let codes = |items: &[Item], on| {
            check_order(&f, items, &ancestors, on)
                .err()
                .map(|e| e.0.iter().map(|e| e.code).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(
            codes(&[item("51501003", "17000.01", 1)], on),
            [Code::FrameworkPriceExceeded]
        );
        assert_eq!(
            codes(&[item("51101001", "1.00", 1)], on),
            [Code::FrameworkItemNotCovered]
        );
        assert_eq!(
            codes(&[item("51501003", "1.00", 1)], date("2027-01-02")),
            [Code::FrameworkContractInactive]
        );
    }

    #[test]
    fn framework_savings_sum_each_line() {
        let f = framework();
        let items = [
            item("51501003", "17000.00", 10),
            item("21101001", "90.00", 5),
        ];
        let acquired = [
            Money::parse("16500.00").unwrap(),
            Money::parse("90.00").unwrap(),
        ];
        assert_eq!(
            framework_savings(&f, &items, &[vec![], vec!["211".into()]], &acquired),
            Some(500_000)
        );
        let fixed = Framework {
            prices: vec![(
                "51501003".into(),
                "pieza".into(),
                Money::from_centavos(crate::domain::money::MAX_CENTAVOS).unwrap(),
            )],
            ..f
        };
        let huge = [item("51501003", "17000.00", u64::MAX)];
        assert_eq!(
            framework_savings(&fixed, &huge, &[vec![]], &[Money::ZERO]),
            None,
            "fails instead of wrapping"
        );
    }

    #[test]
    fn a_framework_prices_each_item_by_its_unit() {
        let f = framework();
        let mut boxes = item("51501003", "1.00", 1);
        boxes.unit = "caja".into();
        let codes = check_order(&f, &[boxes], &[vec![]], date("2026-05-01"))
            .err()
            .map(|e| e.0.iter().map(|e| e.code).collect::<Vec<_>>())
            .unwrap_or_default();
        assert_eq!(codes, [Code::FrameworkUnitMismatch]);
    }
}
