//! A tiny Atom 1.0 (RFC 4287) writer: the feed, its links and its entries, every text
//! and attribute XML-escaped. No dependency: Atom needs a dozen elements.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};

/// The media type of an Atom feed.
pub const ATOM: &str = "application/atom+xml";

/// A link of a feed or an entry.
#[derive(Debug, Clone)]
pub struct Link {
    pub rel: &'static str,
    pub media_type: &'static str,
    pub href: String,
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// A permanent, unique IRI (a `tag:` URI).
    pub id: String,
    pub title: String,
    pub updated: DateTime<Utc>,
    pub published: DateTime<Utc>,
    pub author: String,
    pub summary: String,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone)]
pub struct Feed {
    pub id: String,
    pub title: String,
    pub updated: DateTime<Utc>,
    pub links: Vec<Link>,
    pub entries: Vec<Entry>,
}

/// Escapes text for XML content and double-quoted attributes. Characters XML 1.0 does not
/// allow (most control characters) become U+FFFD, so the document stays well-formed.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn element(out: &mut String, indent: &str, name: &str, text: &str) {
    let _ = writeln!(out, "{indent}<{name}>{}</{name}>", escape(text));
}

fn links(out: &mut String, indent: &str, links: &[Link]) {
    for link in links {
        let _ = writeln!(
            out,
            "{indent}<link rel=\"{}\" type=\"{}\" href=\"{}\"/>",
            escape(link.rel),
            escape(link.media_type),
            escape(&link.href)
        );
    }
}

impl Feed {
    /// The whole document, UTF-8.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
        element(&mut out, "  ", "id", &self.id);
        element(&mut out, "  ", "title", &self.title);
        element(&mut out, "  ", "updated", &time(self.updated));
        links(&mut out, "  ", &self.links);
        for entry in &self.entries {
            out.push_str("  <entry>\n");
            element(&mut out, "    ", "id", &entry.id);
            element(&mut out, "    ", "title", &entry.title);
            element(&mut out, "    ", "updated", &time(entry.updated));
            element(&mut out, "    ", "published", &time(entry.published));
            let _ = writeln!(
                out,
                "    <author><name>{}</name></author>",
                escape(&entry.author)
            );
            links(&mut out, "    ", &entry.links);
            element(&mut out, "    ", "summary", &entry.summary);
            out.push_str("  </entry>\n");
        }
        out.push_str("</feed>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_forbidden_characters_are_escaped() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\td\n"), "a\u{FFFD}b\u{FFFD}c\td\n");
        assert_eq!(escape("Educación Pública"), "Educación Pública");
    }

    #[test]
    fn a_feed_renders_every_required_element() {
        let at = DateTime::from_timestamp(1_774_000_000, 0).unwrap_or_default();
        let feed = Feed {
            id: "tag:ocds-licita,2026:awards".into(),
            title: "Awards".into(),
            updated: at,
            links: vec![Link {
                rel: "self",
                media_type: ATOM,
                href: "/public/v1/awards?agency=SEP&limit=1".into(),
            }],
            entries: vec![Entry {
                id: "tag:ocds-licita,2026:awards/1".into(),
                title: "Sillas <ergonómicas> & mesas".into(),
                updated: at,
                published: at,
                author: "SEP".into(),
                summary: "Awarded".into(),
                links: vec![],
            }],
        };
        let xml = feed.render();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
        assert!(xml.contains("href=\"/public/v1/awards?agency=SEP&amp;limit=1\""));
        assert!(xml.contains("<title>Sillas &lt;ergonómicas&gt; &amp; mesas</title>"));
        assert!(xml.contains("<updated>2026-03-20T09:46:40Z</updated>"));
        assert!(xml.ends_with("</feed>\n"));
    }
}
