//! The other replicas of this server: which ones are current, and the base URL of the one that
//! owns a session. A session id names its replica (`SessionId::node_of`), and ids come from
//! clients, so a name is trusted only as far as this: it must be a DNS label (no host, port or
//! path can hide in it), the URL is built from the configured template alone, and the replica
//! must be current: one of the fixed `peers`, or a name whose addresses all belong to the
//! headless `peer_service`. No crafted id makes the server connect anywhere else.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use reqwest::Url;

use crate::config::{Config, is_dns_label};

/// How long a name lookup may take before the replica counts as gone.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(1);

/// The replicas, as the configuration describes them.
#[derive(Debug, Clone)]
pub(crate) struct Peers {
    /// For the session API's calls to other replicas (plain HTTP inside the cluster).
    http: reqwest::Client,
    /// This replica's name.
    node: Option<String>,
    /// A base URL with `{node}` in it.
    template: Option<String>,
    /// The replicas' names, when fixed.
    fixed: Vec<String>,
    /// The headless Service whose addresses are the current replicas.
    service: Option<String>,
}

impl Peers {
    pub(crate) fn new(config: &Config) -> Self {
        // reqwest is built without a bundled crypto provider; ring is installed for the process
        // (harmlessly again if authentication did it). Replicas speak plain HTTP: no CA roots.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .redirect(reqwest::redirect::Policy::none())
            .tls_certs_only(Vec::new())
            .build()
            .expect("an HTTP client without certificates always builds");
        Self {
            http,
            node: config.node_name.clone(),
            template: config.peer_url_template.clone(),
            fixed: config.peers.clone(),
            service: config.peer_service.clone(),
        }
    }

    /// The HTTP client for other replicas.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Whether `node` is this replica (or there are no replicas, so every id is ours).
    pub(crate) fn is_self(&self, node: &str) -> bool {
        self.node.as_deref().is_none_or(|own| own == node)
    }

    /// The base URL of replica `node`, if it is a current replica other than this one.
    pub(crate) async fn url_of(&self, node: &str) -> Option<Url> {
        let template = self.template.as_deref()?;
        if !is_dns_label(node) || self.is_self(node) {
            return None;
        }
        let url = Url::parse(&template.replace("{node}", node)).ok()?;
        if !self.fixed.is_empty() {
            return self.fixed.iter().any(|peer| peer == node).then_some(url);
        }
        let service = self.service.as_deref()?;
        let port = url.port_or_known_default()?;
        let (own, current) = tokio::join!(resolve(url.host_str()?, port), resolve(service, port));
        let current: HashSet<SocketAddr> = current.into_iter().collect();
        (!own.is_empty() && own.iter().all(|addr| current.contains(addr))).then_some(url)
    }

    /// The base URLs of every other current replica, for a list that spans them.
    pub(crate) async fn others(&self) -> Vec<Url> {
        let Some(template) = self.template.as_deref() else {
            return Vec::new();
        };
        if !self.fixed.is_empty() {
            return self
                .fixed
                .iter()
                .filter(|peer| !self.is_self(peer))
                .filter_map(|peer| Url::parse(&template.replace("{node}", peer)).ok())
                .collect();
        }
        let Some(service) = self.service.as_deref() else {
            return Vec::new();
        };
        let Some(base) = Url::parse(&template.replace("{node}", "0")).ok() else {
            return Vec::new();
        };
        let Some(port) = base.port_or_known_default() else {
            return Vec::new();
        };
        // Every address of the Service, this replica's included: the caller skips what it
        // lists itself by session id.
        resolve(service, port)
            .await
            .into_iter()
            .filter_map(|addr| Url::parse(&format!("{}://{addr}/", base.scheme())).ok())
            .collect()
    }
}

/// The addresses `host` resolves to (none on failure or after [`LOOKUP_TIMEOUT`]).
async fn resolve(host: &str, port: u16) -> Vec<SocketAddr> {
    match tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port))).await {
        Ok(Ok(addrs)) => addrs.collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers(node: &str, template: &str, fixed: &[&str]) -> Peers {
        Peers::new(&Config {
            node_name: Some(node.into()),
            peer_url_template: Some(template.into()),
            peers: fixed.iter().map(|peer| (*peer).to_owned()).collect(),
            ..Config::default()
        })
    }

    #[tokio::test]
    async fn only_current_replicas_are_reached_and_only_through_the_template() {
        let peers = peers("a", "http://{node}.peers.test:8080", &["a", "b"]);
        assert_eq!(
            peers.url_of("b").await.map(String::from),
            Some("http://b.peers.test:8080/".into())
        );
        // Itself, a replica not in the list, and names that would change the URL's meaning.
        for node in [
            "a",
            "c",
            "evil.example.com",
            "b:22",
            "b/x",
            "B",
            "-b",
            "",
            "b@x",
        ] {
            assert_eq!(peers.url_of(node).await, None, "{node:?}");
        }
        let urls: Vec<String> = peers.others().await.into_iter().map(String::from).collect();
        assert_eq!(urls, ["http://b.peers.test:8080/"]);
    }

    #[tokio::test]
    async fn a_name_outside_the_peer_service_is_not_current() {
        // localhost resolves to loopback; the "service" here resolves to nothing at all.
        let peers = Peers::new(&Config {
            node_name: Some("a".into()),
            peer_url_template: Some("http://{node}:8080".into()),
            peer_service: Some("no-such-service.invalid".into()),
            ..Config::default()
        });
        assert_eq!(peers.url_of("localhost").await, None);
        let service = Peers {
            service: Some("localhost".into()),
            ..peers
        };
        assert!(service.url_of("localhost").await.is_some());
    }

    #[test]
    fn without_replicas_every_id_is_ours() {
        assert!(Peers::new(&Config::default()).is_self("anything"));
    }
}
