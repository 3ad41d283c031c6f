//! Authentication test helpers: signing keys generated in the test (RSA, EC, Ed25519), a real
//! HTTP server on 127.0.0.1:0 serving a JWKS that the test can change (rotation, outage) and a
//! fake Backstage user-info endpoint, tokens minted in the test, and WebSocket clients that
//! present them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand_core::OsRng;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use web_terminal::auth::AuthConfig;
use web_terminal::auth::config::ProviderConfig;

use super::{Client, TestServer};

/// A private key the test signs with, and its public JWK.
#[derive(Clone)]
pub struct TestKey {
    pub kid: String,
    pub algorithm: Algorithm,
    encoding: EncodingKey,
    /// The public key as a JWK, with `kid` (and `alg`, `use`).
    pub jwk: Value,
    /// RSA only: the public key as PKCS#1 DER, for the HMAC key-confusion attack.
    pub public_der: Option<Vec<u8>>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl TestKey {
    /// A 2048-bit RSA key signing with `algorithm` (RS* or PS*). Generated once per test binary
    /// and shared: RSA generation is the slow part.
    pub fn rsa(kid: &str, algorithm: Algorithm) -> Self {
        use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
        use rsa::traits::PublicKeyParts;
        static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
        let private = KEY.get_or_init(|| rsa::RsaPrivateKey::new(&mut OsRng, 2048).unwrap());
        let public = private.to_public_key();
        Self {
            kid: kid.to_owned(),
            algorithm,
            encoding: EncodingKey::from_rsa_der(private.to_pkcs1_der().unwrap().as_bytes()),
            jwk: json!({
                "kty": "RSA", "kid": kid, "use": "sig",
                "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be()),
            }),
            public_der: Some(public.to_pkcs1_der().unwrap().as_bytes().to_vec()),
        }
    }

    /// A fresh P-256 key for ES256.
    pub fn es256(kid: &str) -> Self {
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::random(&mut OsRng);
        let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).unwrap();
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!("ES256");
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(secret.to_pkcs8_der().unwrap().as_bytes()),
            jwk,
            public_der: None,
        }
    }

    /// A fresh P-384 key for ES384.
    pub fn es384(kid: &str) -> Self {
        use p384::pkcs8::EncodePrivateKey;
        let secret = p384::SecretKey::random(&mut OsRng);
        let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).unwrap();
        jwk["kid"] = json!(kid);
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::ES384,
            encoding: EncodingKey::from_ec_der(secret.to_pkcs8_der().unwrap().as_bytes()),
            jwk,
            public_der: None,
        }
    }

    /// A fresh Ed25519 key for EdDSA.
    pub fn ed25519(kid: &str) -> Self {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let signing = ed25519_dalek::SigningKey::generate(&mut OsRng);
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(signing.to_pkcs8_der().unwrap().as_bytes()),
            jwk: json!({
                "kty": "OKP", "crv": "Ed25519", "kid": kid,
                "x": b64(signing.verifying_key().as_bytes()),
            }),
            public_der: None,
        }
    }

    /// Signs `claims` with this key's algorithm and `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Claims for `sub` from `iss`, valid from a minute ago for `valid_for` seconds.
pub fn claims(iss: &str, sub: &str, valid_for: i64) -> Value {
    let now = now();
    json!({"iss": iss, "sub": sub, "iat": now - 60, "nbf": now - 60, "exp": now + valid_for})
}

/// A token with a hand-made header and payload and the given signature bytes.
pub fn raw_token(header: &Value, payload: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes()),
        b64(signature)
    )
}

/// HMAC-SHA256 of `message` under `key`, for forging an HS256 token.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

#[derive(Default)]
struct JwksState {
    keys: Vec<Value>,
    up: bool,
    jwks_hits: usize,
    /// Backstage user info: `ent` per user ref.
    ownership: HashMap<String, Vec<String>>,
    userinfo_up: bool,
    userinfo_hits: usize,
}

/// A real HTTP server serving `/jwks` and Backstage's `/api/auth/v1/userinfo`.
#[derive(Clone)]
pub struct JwksServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<JwksState>>,
}

impl JwksServer {
    /// Starts serving `keys`' public JWKs.
    pub async fn start(keys: &[&TestKey]) -> Self {
        let state = Arc::new(Mutex::new(JwksState {
            keys: keys.iter().map(|key| key.jwk.clone()).collect(),
            up: true,
            userinfo_up: true,
            ..JwksState::default()
        }));
        let app = Router::new()
            .route("/jwks", get(serve_jwks))
            .route("/api/auth/v1/userinfo", get(serve_userinfo))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, state }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, JwksState> {
        self.state.lock().unwrap()
    }

    /// The JWKS URL.
    pub fn url(&self) -> String {
        format!("http://{}/jwks", self.addr)
    }

    /// The issuer of the fake Backstage (its user info is `<issuer>/v1/userinfo`).
    pub fn backstage_issuer(&self) -> String {
        format!("http://{}/api/auth", self.addr)
    }

    /// Publishes these keys instead.
    pub fn set_keys(&self, keys: &[&TestKey]) {
        self.lock().keys = keys.iter().map(|key| key.jwk.clone()).collect();
    }

    /// Publishes these raw JWKs instead.
    pub fn set_raw_keys(&self, keys: Vec<Value>) {
        self.lock().keys = keys;
    }

    /// Answers 503 while down.
    pub fn set_up(&self, up: bool) {
        self.lock().up = up;
    }

    /// JWKS requests served so far (up or down).
    pub fn jwks_hits(&self) -> usize {
        self.lock().jwks_hits
    }

    /// Sets the ownership refs user info returns for `user`.
    pub fn set_ownership(&self, user: &str, refs: &[&str]) {
        self.lock().ownership.insert(
            user.to_owned(),
            refs.iter().map(|item| item.to_string()).collect(),
        );
    }

    /// User info answers 500 while down.
    pub fn set_userinfo_up(&self, up: bool) {
        self.lock().userinfo_up = up;
    }

    /// User-info requests served so far.
    pub fn userinfo_hits(&self) -> usize {
        self.lock().userinfo_hits
    }
}

async fn serve_jwks(State(state): State<Arc<Mutex<JwksState>>>) -> Response {
    let mut state = state.lock().unwrap();
    state.jwks_hits += 1;
    if !state.up {
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    axum::Json(json!({"keys": state.keys})).into_response()
}

/// Like Backstage's auth backend: the caller's own token, answered with its `sub` and `ent`.
async fn serve_userinfo(
    State(state): State<Arc<Mutex<JwksState>>>,
    headers: HeaderMap,
) -> Response {
    let mut state = state.lock().unwrap();
    state.userinfo_hits += 1;
    if !state.userinfo_up {
        return (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response();
    }
    let Some(token) = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    // The real endpoint verifies the token; the fake only reads whose it is.
    let payload = token.split('.').nth(1).unwrap_or_default();
    let claims: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let sub = claims["sub"].as_str().unwrap_or_default().to_owned();
    let ent = state.ownership.get(&sub).cloned().unwrap_or_default();
    axum::Json(json!({"claims": {"sub": sub, "ent": ent}})).into_response()
}

/// The issuer of the generic test provider.
pub const ISSUER: &str = "https://issuer.test";

/// A provider for `jwks` with issuer [`ISSUER`], refetching at most once a second.
pub fn provider(jwks: &JwksServer) -> ProviderConfig {
    serde_json::from_value(json!({
        "name": "test",
        "url": jwks.url(),
        "issuer": ISSUER,
        "min_refresh_interval": 1,
    }))
    .unwrap()
}

/// Authentication on, with `provider`, allowing `user:default/alice` and `group:default/ops`.
pub fn auth_config(provider: ProviderConfig) -> AuthConfig {
    let mut config = AuthConfig {
        enabled: true,
        jwks_providers: vec![provider],
        ..AuthConfig::default()
    };
    config.authorization.allowed_users = vec!["user:default/alice".into()];
    config.authorization.allowed_groups = vec!["group:default/ops".into()];
    config
}

impl TestServer {
    /// A server with `auth`, once its keys are loaded (or at once if `wait_for_keys` is off).
    pub async fn start_auth(auth: AuthConfig, wait_for_keys: bool) -> Self {
        let server = Self::start_with(|config| config.auth = auth).await;
        if wait_for_keys {
            let state = server.state.clone();
            super::eventually("signing keys load", || state.keys_ready()).await;
        }
        server
    }

    /// A server with `auth` and `adjust`ed otherwise, once its keys are loaded.
    pub async fn start_auth_with(
        auth: AuthConfig,
        adjust: impl FnOnce(&mut web_terminal::Config),
    ) -> Self {
        let server = Self::start_with(|config| {
            config.auth = auth;
            adjust(config);
        })
        .await;
        let state = server.state.clone();
        super::eventually("signing keys load", || state.keys_ready()).await;
        server
    }

    /// Connects with `Authorization: Bearer token` on the upgrade.
    pub async fn connect_with_header(&self, token: &str) -> Client {
        let mut request = self.ws_url().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        self.connect_request(request).await
    }

    /// Connects to the WebSocket URL with `query` appended.
    pub async fn connect_with_query(&self, query: &str) -> Client {
        let request = format!("{}?{query}", self.ws_url())
            .into_client_request()
            .unwrap();
        self.connect_request(request).await
    }

    async fn connect_request(
        &self,
        request: tokio_tungstenite::tungstenite::handshake::client::Request,
    ) -> Client {
        let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        Client {
            socket,
            output: Vec::new(),
            session: None,
        }
    }

    /// Connects and sends `open` with `token` in the message.
    pub async fn open_with_token(&self, token: &str) -> Client {
        let mut client = self.connect().await;
        client
            .send_json(json!({"type": "open", "cols": 80, "rows": 24, "token": token}))
            .await;
        client
    }

    /// Connects and sends `attach` to `session` with `token` in the message.
    pub async fn attach_with_token(&self, session: &str, token: &str) -> Client {
        let mut client = self.connect().await;
        client
            .send_json(json!({"type": "attach", "session": session, "token": token}))
            .await;
        client
    }

    /// Opens with `token` and expects the connection to be refused with `code`; returns the
    /// close reason.
    pub async fn refused(&self, token: &str, code: u16) -> String {
        let mut client = self.open_with_token(token).await;
        client.expect_close(code).await
    }
}
