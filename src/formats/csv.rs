//! CSV as spreadsheets open it safely: RFC 4180 (CRLF, quotes where needed), a header
//! row, and no cell a spreadsheet would run as a formula.

use anyhow::Context;

/// A cell a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return: OWASP's list) gets a leading `'`, which spreadsheets show as text.
/// Plain numbers, negative ones included, stay as they are.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell
        .strip_prefix('-')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    if risky && !number {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// One CSV document: `header`, then `rows`, every cell neutralised.
pub fn table(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> anyhow::Result<Vec<u8>> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(header).context("writing CSV")?;
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| neutralise(cell).into_owned()))
            .context("writing CSV")?;
    }
    writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("finishing the CSV: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("-1200.50"), "-1200.50");
        assert_eq!(neutralise("-"), "'-");
        assert_eq!(neutralise("Papelería"), "Papelería");
    }

    #[test]
    fn a_table_is_crlf_with_its_header() {
        let body = table(&["a", "b"], [vec!["1".to_owned(), "x,y".to_owned()]]).unwrap();
        assert_eq!(String::from_utf8(body).unwrap(), "a,b\r\n1,\"x,y\"\r\n");
    }
}
