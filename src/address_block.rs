//! An address, or a block of addresses in CIDR notation (`10.0.0.1`, `10.0.0.0/8`, `fd00::/8`),
//! as `trusted_proxies` lists them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One address (a block of one) or a CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressBlock {
    /// The block's first address; its host bits are zero.
    network: IpAddr,
    /// How many leading bits every address in the block shares with `network`.
    prefix: u8,
}

impl AddressBlock {
    /// Whether `address` is in the block. An IPv4 address seen as IPv6 (`::ffff:10.0.0.1`, from a
    /// dual-stack socket) counts as the IPv4 address it is.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                mask(u32::from(address).into(), 32, self.prefix) == u32::from(network).into()
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                mask(u128::from(address), 128, self.prefix) == u128::from(network)
            }
            _ => false,
        }
    }
}

/// Whether any of `blocks` holds `address`.
pub(crate) fn any_contains(blocks: &[AddressBlock], address: IpAddr) -> bool {
    blocks.iter().any(|block| block.contains(address))
}

/// `bits` (an address of `width` bits) with all but its first `prefix` bits cleared.
fn mask(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let host_bits = u32::from(width - prefix);
    bits >> host_bits << host_bits
}

impl FromStr for AddressBlock {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or a CIDR block"))?;
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= width)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {width}"))?,
        };
        let bits = match network {
            IpAddr::V4(address) => u128::from(u32::from(address)),
            IpAddr::V6(address) => u128::from(address),
        };
        if mask(bits, width, prefix) != bits {
            return Err(format!(
                "{text:?} has bits set past its prefix: write the block's first address"
            ));
        }
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for AddressBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = if self.network.is_ipv4() { 32 } else { 128 };
        if self.prefix == width {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

impl Serialize for AddressBlock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AddressBlock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::AddressBlock;
    use std::net::IpAddr;

    fn block(text: &str) -> AddressBlock {
        text.parse().unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_block_holds_exactly_its_addresses() {
        let ten = block("10.0.0.0/8");
        assert!(ten.contains(ip("10.0.0.0")));
        assert!(ten.contains(ip("10.255.255.255")));
        assert!(ten.contains(ip("::ffff:10.1.2.3")));
        assert!(!ten.contains(ip("11.0.0.0")));
        assert!(!ten.contains(ip("9.255.255.255")));
        assert!(!ten.contains(ip("::a00:1")));
        let one = block("192.168.1.7");
        assert!(one.contains(ip("192.168.1.7")));
        assert!(!one.contains(ip("192.168.1.6")));
        assert!(block("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!block("0.0.0.0/0").contains(ip("2001:db8::1")));
        let six = block("fd00::/8");
        assert!(six.contains(ip("fd12:3456::1")));
        assert!(!six.contains(ip("fe80::1")));
        assert!(block("::/0").contains(ip("2001:db8::1")));
    }

    #[test]
    fn bad_blocks_are_refused_with_the_reason() {
        for (text, reason) in [
            ("10.0.0.1/8", "bits set past its prefix"),
            ("10.0.0.0/33", "must be 0 to 32"),
            ("fd00::/129", "must be 0 to 128"),
            ("10.0.0.0/", "must be 0 to 32"),
            ("10.0.0.0/-1", "must be 0 to 32"),
            ("ten", "not an IP address"),
            ("", "not an IP address"),
        ] {
            let error = text.parse::<AddressBlock>().unwrap_err();
            assert!(error.contains(reason), "{text:?} gave {error:?}");
        }
    }

    #[test]
    fn prints_as_it_is_written() {
        for text in ["10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1", "0.0.0.0/0"] {
            assert_eq!(block(text).to_string(), text);
        }
    }
}
