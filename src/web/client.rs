//! Who a request comes from, read from its HTTP parts: the client's address (behind trusted
//! proxies, the forwarded one) and user agent as a [`ClientInfo`] extractor, and the places a
//! token may or must not be.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::state::{AppState, PeerAddr};
use crate::address_block::{AddressBlock, any_contains};
use crate::auth::ClientInfo;

/// Query parameters that look like a token: refused, because URLs end up in logs and history.
const TOKEN_QUERY_PARAMETERS: [&str; 3] = ["token", "access_token", "jwt"];

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Every connection is served with its peer address (`serve.rs`); a request handed to the
        // router some other way (a unit test's `oneshot`) counts as coming from nowhere.
        let peer = parts
            .extensions
            .get::<ConnectInfo<PeerAddr>>()
            .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |info| info.0.0);
        let headers = &parts.headers;
        Ok(ClientInfo::new(
            client_addr(peer, headers, &state.config().trusted_proxies),
            headers
                .get(header::USER_AGENT)
                .and_then(|agent| agent.to_str().ok()),
        ))
    }
}

/// The bearer token of an `Authorization` header, if there is one.
pub(super) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// Whether a URL query carries something that looks like a token.
pub(super) fn query_has_token(query: Option<&str>) -> bool {
    query.is_some_and(|query| {
        query.split('&').any(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            TOKEN_QUERY_PARAMETERS
                .iter()
                .any(|parameter| name.eq_ignore_ascii_case(parameter))
        })
    })
}

/// The client's address for the audit log: the peer, or, when the peer is a trusted proxy, the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
fn client_addr(peer: SocketAddr, headers: &HeaderMap, trusted_proxies: &[AddressBlock]) -> String {
    if !any_contains(trusted_proxies, peer.ip()) {
        return peer.ip().to_string();
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|address| !any_contains(trusted_proxies, **address))
        .or(forwarded.first())
        .unwrap_or(&peer.ip())
        .to_string()
}

/// Whether a request with these headers (a WebSocket upgrade, a change through the API) may
/// proceed. Browsers always send `Origin`;
/// its host must equal the `Host` the browser connected to, or be listed in `allowed`.
/// Requests without `Origin` come from non-browser clients, which cross-site hijacking cannot
/// use, and are allowed.
pub(super) fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if allowed
        .iter()
        .any(|entry| entry.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    matches!((origin_host, host), (Some(origin_host), Some(host)) if origin_host.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn reads_bearer_tokens_only() {
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Bearer abc.def.ghi")])),
            Some("abc.def.ghi")
        );
        assert_eq!(
            bearer_token(&headers(&[("authorization", "bearer   x ")])),
            Some("x")
        );
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Basic dXNlcjpwYXNz")])),
            None
        );
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Bearer ")])),
            None
        );
        assert_eq!(bearer_token(&headers(&[])), None);
    }

    #[test]
    fn spots_tokens_in_queries() {
        for query in [
            "token=x",
            "a=1&access_token=y",
            "JWT=z",
            "token",
            "x=1&Token=",
        ] {
            assert!(query_has_token(Some(query)), "{query}");
        }
        for query in ["tokens=x", "a=token", "session=abc", ""] {
            assert!(!query_has_token(Some(query)), "{query}");
        }
        assert!(!query_has_token(None));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let block = |text: &str| -> AddressBlock { text.parse().unwrap() };
        let peer = SocketAddr::new("10.0.0.2".parse().unwrap(), 5000);
        let forwarded = headers(&[("x-forwarded-for", "198.51.100.7, 203.0.113.9")]);
        assert_eq!(client_addr(peer, &forwarded, &[]), "10.0.0.2");
        assert_eq!(
            client_addr(peer, &forwarded, &[block("10.0.0.2")]),
            "203.0.113.9"
        );
        // A block of proxies (an ingress controller's subnet) is trusted as a whole, and only it.
        assert_eq!(
            client_addr(peer, &forwarded, &[block("10.0.0.0/24")]),
            "203.0.113.9"
        );
        assert_eq!(
            client_addr(peer, &forwarded, &[block("10.0.1.0/24")]),
            "10.0.0.2"
        );
        // The client cannot hide behind an entry it wrote itself when a second proxy is trusted.
        assert_eq!(
            client_addr(
                peer,
                &forwarded,
                &[block("10.0.0.2"), block("203.0.113.0/24")]
            ),
            "198.51.100.7"
        );
        assert_eq!(
            client_addr(
                peer,
                &headers(&[("x-forwarded-for", "garbage")]),
                &[block("10.0.0.2")]
            ),
            "10.0.0.2"
        );
    }

    /// Headers of a request to `host`, from a page at `origin` when there is one.
    fn origin_headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut pairs = vec![("host", host)];
        pairs.extend(origin.map(|origin| ("origin", origin)));
        headers(&pairs)
    }

    #[test]
    fn origin_must_match_host_or_be_listed() {
        let allowed = vec!["https://backstage.example.com".to_owned()];
        assert!(origin_allowed(
            &origin_headers(None, "t.example:8080"),
            &allowed
        ));
        assert!(origin_allowed(
            &origin_headers(Some("http://t.example:8080"), "t.example:8080"),
            &allowed
        ));
        assert!(origin_allowed(
            &origin_headers(Some("https://T.example"), "t.example"),
            &allowed
        ));
        assert!(origin_allowed(
            &origin_headers(Some("https://backstage.example.com"), "t.example"),
            &allowed
        ));
        assert!(!origin_allowed(
            &origin_headers(Some("https://evil.example"), "t.example"),
            &allowed
        ));
        assert!(!origin_allowed(
            &origin_headers(Some("http://t.example:9999"), "t.example:8080"),
            &allowed
        ));
        assert!(!origin_allowed(
            &origin_headers(Some("null"), "t.example"),
            &allowed
        ));
        assert!(!origin_allowed(
            &origin_headers(Some("https://t.example.evil.example"), "t.example"),
            &[]
        ));
    }
}
