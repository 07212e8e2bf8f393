//! `[api]` and `[cors]`: the JSON API's rate limit per caller, and the
//! origins allowed to call it from a browser.

use super::{Problems, StringList, defaults};
use serde::Deserialize;
use std::num::NonZeroU32;
use url::Url;

/// `[api]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    /// Sustained calls per second per caller (token or client address).
    pub rate_per_second: Option<u32>,
    /// Burst per caller.
    pub burst: Option<u32>,
}

/// `[cors]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawCors {
    /// Origins allowed to call `/api/v1` from a browser (none by default).
    pub allowed_origins: Option<StringList>,
}

/// `[api]` and `[cors]`, checked.
pub struct ApiSection {
    /// Calls per second per caller.
    pub rate_per_second: NonZeroU32,
    /// Burst per caller.
    pub burst: NonZeroU32,
    /// Origins allowed to call the API cross-origin.
    pub cors_origins: Vec<String>,
}

/// Checks `[api]` and `[cors]`.
pub fn check(api: RawApi, cors: RawCors, p: &mut Problems) -> ApiSection {
    let RawApi {
        rate_per_second,
        burst,
    } = api;
    let RawCors { allowed_origins } = cors;
    let mut at_least_one = |key: &str, value: Option<u32>, default: u32| {
        let mut n = default;
        p.at_least_one(key, value, &mut n);
        NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
    };
    let rate_per_second = at_least_one(
        "api.rate_per_second",
        rate_per_second,
        defaults::API_RATE_PER_SECOND,
    );
    let burst = at_least_one("api.burst", burst, defaults::API_BURST);
    let cors_origins: Vec<String> = allowed_origins
        .as_ref()
        .map(StringList::items)
        .unwrap_or_default();
    for origin in &cors_origins {
        match Url::parse(origin) {
            Ok(url) if url.origin().ascii_serialization() == *origin => {}
            _ => p.push(format!("cors.allowed_origins entry {origin:?} is not an origin such as https://app.example.com")),
        }
    }
    ApiSection {
        rate_per_second,
        burst,
        cors_origins,
    }
}
