//! Cursor pagination: stable order, opaque cursors, a `next` link.

use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 200;

/// `?cursor=&limit=` of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// The query of a list that takes no parameter: any parameter is refused (400
/// `invalid_query` naming it), rather than silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// A validated page request: continue after `after`, at most `limit` items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<String>,
    pub limit: u64,
}

impl PageParams {
    pub fn parse(&self) -> Result<PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::InvalidQuery(format!(
                "limit must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        let after = self
            .cursor
            .as_deref()
            .map(|c| {
                hex::decode(c)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .filter(|key| !key.is_empty() && !key.chars().any(char::is_control))
                    .ok_or(ApiError::InvalidCursor)
            })
            .transpose()?;
        Ok(PageRequest { after, limit })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    pub links: PageLinks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageLinks {
    /// The next page's URL (path and query), absent on the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds the page from up to `limit + 1` rows fetched in order: the extra row only
    /// tells that there is more. `key` gives the sort key a cursor continues after;
    /// `filters` are the request's other query parameters, kept in the `next` link.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> String,
        req: &HttpRequest,
        filters: &[(&str, String)],
    ) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = rows
            .last()
            .filter(|_| more)
            .map(|last| hex::encode(key(last)));
        let next = next_cursor.as_ref().map(|cursor| {
            let mut pairs: Vec<(&str, String)> = filters.to_vec();
            pairs.push(("limit", request.limit.to_string()));
            pairs.push(("cursor", cursor.clone()));
            let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            format!("{}?{query}", req.path())
        });
        Self {
            items: rows,
            next_cursor,
            links: PageLinks { next },
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            links: self.links,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_the_range_are_refused() {
        for limit in [0, MAX_PAGE_SIZE + 1] {
            let params = PageParams {
                cursor: None,
                limit: Some(limit),
            };
            assert!(matches!(params.parse(), Err(ApiError::InvalidQuery(_))));
        }
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let params = PageParams {
            cursor: Some(hex::encode("SEP")),
            limit: None,
        };
        assert_eq!(
            params.parse().ok(),
            Some(PageRequest {
                after: Some("SEP".into()),
                limit: DEFAULT_PAGE_SIZE
            })
        );
        for bad in ["zz", "00", "", "41004"] {
            let params = PageParams {
                cursor: Some(bad.into()),
                limit: None,
            };
            assert!(
                matches!(params.parse(), Err(ApiError::InvalidCursor)),
                "{bad}"
            );
        }
    }
}
