//! Where the emulator accepts what Wix's own documents show but its method reference pages do not
//! (docs/decisions.md item 35): the "Sample Flows" article writes query operators without `$`,
//! filters referred friends by `contactId`, updates a program without its revision; the Rewards
//! reference filters by `"CouponReward"` and sorts by `revision`. A request that does so is
//! answered as the documents show, and **says so**: each departure is a warning that names the
//! request's part and the page it departs from, sent in `x-wix-emulator-warning` (one header per
//! warning) and kept in the request log. In strict mode (`--strict`, `Settings::strict`,
//! `PUT /_emulator/v1/strict`) each departure is a 400 naming it instead.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use parking_lot::Mutex;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The response header that carries each warning.
pub const WARNING_HEADER: &str = "x-wix-emulator-warning";

/// Warnings a response carries at most (a filter can repeat a departure many times).
const MAX_WARNINGS: usize = 20;

/// One request's departures from Wix's reference pages, and whether they are refused.
#[derive(Debug, Default)]
pub(crate) struct Lenience {
    strict: bool,
    warnings: Mutex<Vec<String>>,
}

impl Lenience {
    /// Lenient, keeping warnings: for a request.
    pub(crate) fn new(strict: bool) -> Self {
        Self {
            strict,
            warnings: Mutex::default(),
        }
    }

    /// Accepts a departure at `part` of the request (`query.filter.referralCode.eq`), described
    /// by `what`, from what `page` says; in strict mode, refuses it with a 400 naming both.
    pub(crate) fn depart(&self, part: &str, what: &str, page: &str) -> ApiResult<()> {
        if self.strict {
            return Err(ApiError::invalid(
                part,
                &format!("{what} ({page}; the emulator is in strict mode)"),
            ));
        }
        let mut warnings = self.warnings.lock();
        let warning = format!("{part}: {what} - accepted as Wix's documents show, but {page}");
        if warnings.len() < MAX_WARNINGS && !warnings.contains(&warning) {
            warnings.push(warning);
        }
        Ok(())
    }

    /// The warnings so far.
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.warnings.lock().clone()
    }
}

/// The request's [`Lenience`], for a handler (every Wix route has one: [`attach`]).
pub(crate) struct Lenient(pub(crate) Arc<Lenience>);

impl FromRequestParts<AppState> for Lenient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        Ok(Lenient(
            parts
                .extensions
                .get::<Arc<Lenience>>()
                .cloned()
                .unwrap_or_else(|| Arc::new(Lenience::new(app.strict()))),
        ))
    }
}

/// Middleware of the Wix routes: gives the request its [`Lenience`], then writes its warnings
/// into the answer's headers and the request log.
pub(crate) async fn attach(
    axum::extract::State(app): axum::extract::State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let lenience = Arc::new(Lenience::new(app.strict()));
    request.extensions_mut().insert(lenience.clone());
    let note = request
        .extensions()
        .get::<Arc<crate::requests::RequestNote>>()
        .cloned();
    let mut response = next.run(request).await;
    let warnings = lenience.warnings();
    if warnings.is_empty() {
        return response;
    }
    for warning in &warnings {
        // Header values are visible ASCII: anything else from the request is replaced.
        let visible: String = warning
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if let Ok(value) = HeaderValue::from_str(&visible) {
            response.headers_mut().append(WARNING_HEADER, value);
        }
    }
    if let Some(note) = note {
        note.warned(warnings);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::Lenience;

    #[test]
    fn a_departure_is_a_warning_or_in_strict_mode_a_400_naming_it() {
        let lenient = Lenience::new(false);
        lenient
            .depart(
                "query.filter.a.eq",
                "operator without $",
                "the page says $eq",
            )
            .unwrap();
        lenient
            .depart(
                "query.filter.a.eq",
                "operator without $",
                "the page says $eq",
            )
            .unwrap();
        let warnings = lenient.warnings();
        assert_eq!(warnings.len(), 1, "the same departure is told once");
        assert!(warnings[0].starts_with("query.filter.a.eq: operator without $"));
        assert!(warnings[0].contains("the page says $eq"));

        let strict = Lenience::new(true);
        let refused = strict
            .depart(
                "query.filter.a.eq",
                "operator without $",
                "the page says $eq",
            )
            .unwrap_err();
        assert_eq!(refused.violations()[0].field, "query.filter.a.eq");
        assert!(refused.message().contains("strict mode"));
        assert!(strict.warnings().is_empty());

        for n in 0..50 {
            lenient.depart(&format!("part{n}"), "x", "y").unwrap();
        }
        assert_eq!(lenient.warnings().len(), super::MAX_WARNINGS);
    }
}
