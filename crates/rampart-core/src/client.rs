//! What identifies a client's network: its /24 (IPv4) or /64 (IPv6). Session
//! protection and the sign-in lock-out both reason per network, so a phone
//! moving between addresses of one network counts as the same client.

use std::net::IpAddr;

/// The network of an address, e.g. `203.0.113.0/24` or `2001:db8:1:2::/64`.
pub fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}
