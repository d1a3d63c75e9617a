//! The simulator's DNS server (UDP and TCP on one port): the mail authentication records of every
//! tenant's accepted domains, per profile, so the sync's resolver is tested on this machine.
//!
//! | profile | SPF at the domain | DMARC at `_dmarc.` | DKIM selectors of the custom domain |
//! |---|---|---|---|
//! | hardened | `-all` | `p=reject`, reports to the tenant | CNAMEs to the keys |
//! | typical | `~all` | `p=quarantine`, reports to the tenant | CNAMEs to the keys |
//! | neglected | only the initial domain's (Microsoft's) | none | none |
//!
//! Names nobody publishes are NXDOMAIN; a tenant's [`DnsFailure`] answers its names with SERVFAIL
//! or not at all.

use std::net::SocketAddr;
use std::sync::Arc;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{CNAME, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinDecodable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

use crate::spec::{DnsFailure, Profile};
use crate::state::{SimState, read};
use crate::tenant::Tenant;

/// Microsoft's SPF include for Exchange Online.
const SPF_INCLUDE: &str = "include:spf.protection.outlook.com";

/// What a name holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Published {
    pub cname: Option<String>,
    pub txt: Vec<String>,
}

/// The answer for one name across every tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Published),
    NxDomain,
    Fail(DnsFailure),
}

impl Tenant {
    /// The records this tenant publishes at `name` (lower case, no final dot), `None` when the
    /// name is not under one of its domains.
    pub fn dns_records(&self, name: &str) -> Option<Published> {
        let initial = self.domain.to_ascii_lowercase();
        let custom = self.custom_domain().to_ascii_lowercase();
        let p = self.profile();
        let key = |host: &str| format!("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A{}", host.len());
        let mut out = Published::default();
        if name == initial {
            // Microsoft publishes the initial domain's SPF record.
            out.txt.push(format!("v=spf1 {SPF_INCLUDE} -all"));
        } else if name == custom {
            out.txt.push(format!("MS=ms{}", self.seed % 100_000_000));
            match p {
                Profile::Hardened => out.txt.push(format!("v=spf1 {SPF_INCLUDE} -all")),
                Profile::Typical => out.txt.push(format!("v=spf1 {SPF_INCLUDE} ~all")),
                Profile::Neglected => {}
            }
        } else if name == format!("_dmarc.{initial}") || name == format!("_dmarc.{custom}") {
            match p {
                Profile::Hardened => out.txt.push(format!(
                    "v=DMARC1; p=reject; pct=100; rua=mailto:dmarc-reports@{custom}; ruf=mailto:dmarc-reports@{custom}"
                )),
                Profile::Typical => out.txt.push(format!(
                    "v=DMARC1; p=quarantine; pct=100; rua=mailto:dmarc-reports@{custom}"
                )),
                Profile::Neglected => return None,
            }
        } else if let Some(selector) = ["selector1", "selector2"]
            .into_iter()
            .find(|s| name == format!("{s}._domainkey.{custom}"))
        {
            if p == Profile::Neglected {
                return None;
            }
            let host = custom.replace('.', "-");
            out.cname = Some(format!("{selector}-{host}._domainkey.{initial}"));
        } else if let Some(host) = name
            .strip_suffix(&format!("._domainkey.{initial}"))
            .and_then(|h| {
                h.strip_prefix("selector1-")
                    .or_else(|| h.strip_prefix("selector2-"))
            })
        {
            // Microsoft's key records the custom domain's selectors point to.
            if host != custom.replace('.', "-") && host != initial.replace('.', "-") {
                return None;
            }
            out.txt.push(key(host));
        } else {
            return None;
        }
        Some(out)
    }

    fn owns_name(&self, name: &str) -> bool {
        let initial = self.domain.to_ascii_lowercase();
        let custom = self.custom_domain().to_ascii_lowercase();
        [initial, custom]
            .iter()
            .any(|d| name == d || name.ends_with(&format!(".{d}")))
    }
}

/// The answer for `name` across the simulator's tenants.
pub fn lookup(state: &SimState, name: &str) -> Lookup {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    for tenant in state.all_tenants() {
        let t = read(&tenant);
        if !t.owns_name(&name) {
            continue;
        }
        if let Some(failure) = t.dns_failure {
            return Lookup::Fail(failure);
        }
        if let Some(found) = t.dns_records(&name) {
            return Lookup::Found(found);
        }
    }
    Lookup::NxDomain
}

/// The response to one query message, or `None` when it should go unanswered.
pub fn respond(state: &SimState, request: &[u8]) -> Option<Vec<u8>> {
    let request = Message::from_bytes(request).ok()?;
    let mut response = Message::new();
    response
        .set_id(request.id())
        .set_message_type(MessageType::Response)
        .set_op_code(request.op_code())
        .set_recursion_desired(request.recursion_desired())
        .set_recursion_available(true)
        .set_authoritative(true);
    let Some(query) = request.queries().first().cloned() else {
        response.set_response_code(ResponseCode::FormErr);
        return response.to_vec().ok();
    };
    response.add_query(query.clone());
    let name = query.name().to_utf8();
    let ttl = 300;
    match lookup(state, &name) {
        Lookup::Fail(DnsFailure::Timeout) => return None,
        Lookup::Fail(DnsFailure::Servfail) => {
            response.set_response_code(ResponseCode::ServFail);
        }
        Lookup::NxDomain => {
            response.set_response_code(ResponseCode::NXDomain);
        }
        Lookup::Found(found) => {
            let mut txt = found.txt;
            if let Some(target) = &found.cname {
                let target_name = Name::from_ascii(format!("{target}.")).ok()?;
                response.add_answer(Record::from_rdata(
                    query.name().clone(),
                    ttl,
                    RData::CNAME(CNAME(target_name.clone())),
                ));
                // A recursive server follows the CNAME for the type asked.
                if query.query_type() == RecordType::TXT
                    && let Lookup::Found(next) = lookup(state, target)
                {
                    for t in next.txt {
                        response.add_answer(Record::from_rdata(
                            target_name.clone(),
                            ttl,
                            RData::TXT(TXT::new(vec![t])),
                        ));
                    }
                }
                txt.clear();
            }
            if query.query_type() == RecordType::TXT {
                for t in txt {
                    response.add_answer(Record::from_rdata(
                        query.name().clone(),
                        ttl,
                        RData::TXT(TXT::new(vec![t])),
                    ));
                }
            }
        }
    }
    response.to_vec().ok()
}

/// Serves DNS on `udp` and `tcp` (bound to the same address) until `stop`.
pub async fn serve(udp: UdpSocket, tcp: TcpListener, state: Arc<SimState>, stop: CancellationToken) {
    let udp_state = state.clone();
    let udp_stop = stop.clone();
    let udp_task = async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let (len, peer) = tokio::select! {
                _ = udp_stop.cancelled() => return,
                r = udp.recv_from(&mut buf) => match r {
                    Ok(r) => r,
                    Err(_) => continue,
                },
            };
            if let Some(answer) = respond(&udp_state, &buf[..len]) {
                let _ = udp.send_to(&answer, peer).await;
            }
        }
    };
    let tcp_task = async move {
        loop {
            let (stream, _) = tokio::select! {
                _ = stop.cancelled() => return,
                r = tcp.accept() => match r {
                    Ok(r) => r,
                    Err(_) => continue,
                },
            };
            tokio::spawn(serve_tcp(stream, state.clone()));
        }
    };
    tokio::join!(udp_task, tcp_task);
}

/// Length-prefixed messages on one TCP connection until it closes.
async fn serve_tcp(mut stream: TcpStream, state: Arc<SimState>) {
    loop {
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).await.is_err() {
            return;
        }
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if stream.read_exact(&mut buf).await.is_err() {
            return;
        }
        let Some(answer) = respond(&state, &buf) else {
            continue;
        };
        let Ok(n) = u16::try_from(answer.len()) else {
            return;
        };
        if stream.write_all(&n.to_be_bytes()).await.is_err() || stream.write_all(&answer).await.is_err() {
            return;
        }
    }
}

/// Binds UDP and TCP on one port of `ip` (a free one when `port` is 0).
pub async fn bind(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener, SocketAddr)> {
    // The UDP port is chosen first; TCP takes the same number (retrying on the rare clash).
    for _ in 0..20 {
        let udp = UdpSocket::bind(addr).await?;
        let bound = udp.local_addr()?;
        match TcpListener::bind(bound).await {
            Ok(tcp) => return Ok((udp, tcp, bound)),
            Err(e) if addr.port() != 0 => return Err(e),
            Err(_) => continue,
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "no port free for both UDP and TCP",
    ))
}
