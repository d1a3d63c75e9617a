//! The simulator's DNS server over the wire: the same answers on UDP and TCP, CNAMEs followed for
//! TXT queries, NXDOMAIN for names nobody publishes, and SERVFAIL or silence when a tenant's DNS
//! is made to fail.

use std::time::Duration;

use hickory_proto::op::{Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_proto::serialize::binary::BinDecodable;
use posture_graph_sim::{DnsFailure, Mutation, Profile, SimConfig, Simulator, TenantSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

fn query(name: &str, rtype: RecordType) -> Vec<u8> {
    let mut m = Message::new();
    m.set_id(7)
        .set_message_type(MessageType::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(Name::from_ascii(name).expect("a name"), rtype));
    m.to_vec().expect("encodes")
}

async fn udp(sim: &Simulator, name: &str, rtype: RecordType) -> Option<Message> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    socket
        .send_to(&query(name, rtype), sim.dns_addr())
        .await
        .expect("send");
    let mut buf = vec![0u8; 4096];
    let len = tokio::time::timeout(Duration::from_millis(500), socket.recv(&mut buf))
        .await
        .ok()?
        .expect("receive");
    Some(Message::from_bytes(&buf[..len]).expect("a DNS message"))
}

async fn tcp(sim: &Simulator, name: &str, rtype: RecordType) -> Message {
    let mut stream = TcpStream::connect(sim.dns_addr()).await.expect("connect");
    let q = query(name, rtype);
    stream
        .write_all(&(q.len() as u16).to_be_bytes())
        .await
        .expect("write");
    stream.write_all(&q).await.expect("write");
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.expect("length");
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut buf).await.expect("message");
    Message::from_bytes(&buf).expect("a DNS message")
}

fn txt(m: &Message) -> Vec<String> {
    m.answers()
        .iter()
        .filter_map(|r| match r.data() {
            Some(RData::TXT(t)) => Some(t.to_string()),
            _ => None,
        })
        .collect()
}

async fn sim_with(profile: Profile) -> (Simulator, String, String) {
    let sim = Simulator::start(SimConfig::default()).await.expect("starts");
    let info = sim
        .create_tenant(TenantSpec {
            profile,
            users: 10,
            ..TenantSpec::default()
        })
        .expect("tenant");
    let custom = info.default_domain.replace(".onmicrosoft.com", ".example.com");
    (sim, info.tenant_id.to_string(), custom)
}

#[tokio::test]
async fn udp_and_tcp_give_the_same_dmarc_answer() {
    let (sim, _, custom) = sim_with(Profile::Hardened).await;
    let name = format!("_dmarc.{custom}.");
    let over_udp = udp(&sim, &name, RecordType::TXT).await.expect("an answer");
    let over_tcp = tcp(&sim, &name, RecordType::TXT).await;
    assert_eq!(over_udp.id(), 7);
    assert_eq!(txt(&over_udp), txt(&over_tcp));
    assert!(txt(&over_tcp)[0].contains("p=reject"), "{:?}", txt(&over_tcp));
}

#[tokio::test]
async fn a_txt_query_for_a_dkim_selector_follows_its_cname_to_the_key() {
    let (sim, _, custom) = sim_with(Profile::Typical).await;
    let m = tcp(&sim, &format!("selector1._domainkey.{custom}."), RecordType::TXT).await;
    assert!(
        m.answers()
            .iter()
            .any(|r| matches!(r.data(), Some(RData::CNAME(_)))),
        "{m:?}"
    );
    assert!(txt(&m).iter().any(|t| t.starts_with("v=DKIM1")), "{m:?}");
}

#[tokio::test]
async fn unknown_names_are_nxdomain() {
    let (sim, _, _) = sim_with(Profile::Neglected).await;
    let m = udp(&sim, "nobody.example.org.", RecordType::TXT)
        .await
        .expect("an answer");
    assert_eq!(m.response_code(), ResponseCode::NXDomain);
    assert!(m.answers().is_empty());
}

#[tokio::test]
async fn a_failing_tenant_answers_servfail_or_nothing() {
    let (sim, tid, custom) = sim_with(Profile::Hardened).await;
    let name = format!("{custom}.");
    sim.mutate(
        &tid,
        Mutation::SetDnsFailure {
            failure: Some(DnsFailure::Servfail),
        },
    )
    .expect("set");
    let m = udp(&sim, &name, RecordType::TXT).await.expect("an answer");
    assert_eq!(m.response_code(), ResponseCode::ServFail);
    sim.mutate(
        &tid,
        Mutation::SetDnsFailure {
            failure: Some(DnsFailure::Timeout),
        },
    )
    .expect("set");
    assert!(udp(&sim, &name, RecordType::TXT).await.is_none(), "no answer");
    sim.mutate(&tid, Mutation::SetDnsFailure { failure: None })
        .expect("set");
    let m = udp(&sim, &name, RecordType::TXT).await.expect("an answer");
    assert!(txt(&m).iter().any(|t| t.ends_with("-all")), "{m:?}");
}
