//! `posture certs`: the internal CA and certificates for a local distributed stack (`make up`,
//! docker-compose). Kubernetes gets the same from cert-manager.
//!
//! Writes into `--dir`, keeping what is already there (running it again is safe):
//! `ca.crt`/`ca.key` (the internal CA), `<role>.crt`/`<role>.key` for every role (DNS names
//! `<role>.posture.internal`, server and client use), and `edge.crt`/`edge.key`, the gateway's
//! public certificate for `localhost`, `127.0.0.1`, `::1` and each `--gateway-name`, issued by the
//! same CA so clients trust it with `--ca-cert DIR/ca.crt`. Keys are written mode 0600.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use posture_kit::ServiceRole;
use posture_kit::tls::{CertificateAuthority, write_private, write_public};

const DAY: Duration = Duration::from_secs(24 * 3600);

#[derive(Args, Debug)]
pub struct CertsArgs {
    /// Folder for the CA, the role certificates and the gateway's public certificate.
    #[arg(long, default_value = "posture-data/certs")]
    pub dir: PathBuf,
    /// Another name (DNS) or address (IP) the gateway is reached by (repeatable).
    #[arg(long = "gateway-name", value_name = "NAME")]
    pub gateway_names: Vec<String>,
    /// Validity of the role and gateway certificates, in days (the CA gets ten times as long).
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// Issue new role and gateway certificates even when they exist (the CA is kept).
    #[arg(long)]
    pub renew: bool,
}

pub fn run(args: &CertsArgs) -> anyhow::Result<()> {
    create_private_dir(&args.dir)?;
    let validity = DAY * args.days;
    let (ca_cert, ca_key) = (args.dir.join("ca.crt"), args.dir.join("ca.key"));
    let authority = if ca_cert.exists() && ca_key.exists() {
        CertificateAuthority::load(&ca_cert, &ca_key)
            .with_context(|| format!("reading the CA in {}", args.dir.display()))?
    } else {
        let authority = CertificateAuthority::generate("Posture internal CA", validity * 10)?;
        write_private(&ca_key, &authority.private_key_pem())?;
        write_public(&ca_cert, authority.certificate_pem())?;
        println!("created the internal CA: {}", ca_cert.display());
        authority
    };

    for role in ServiceRole::ALL {
        let (cert, key) = pair(&args.dir, role.as_str());
        if !args.renew && cert.exists() && key.exists() {
            continue;
        }
        let issued = authority.issue_roles(&[role], validity)?;
        write_private(&key, &issued.private_key_pem)?;
        write_public(&cert, &issued.certificate_pem)?;
        println!("issued {} for the {role} role", cert.display());
    }

    let (cert, key) = pair(&args.dir, "edge");
    if args.renew || !cert.exists() || !key.exists() {
        let mut names = vec!["localhost".to_owned()];
        let mut addresses: Vec<IpAddr> = vec!["127.0.0.1".parse()?, "::1".parse()?];
        for name in &args.gateway_names {
            match name.parse::<IpAddr>() {
                Ok(address) if !addresses.contains(&address) => addresses.push(address),
                Ok(_) => {}
                Err(_) if !names.iter().any(|known| known.eq_ignore_ascii_case(name)) => {
                    names.push(name.clone())
                }
                Err(_) => {}
            }
        }
        let issued = authority.issue_server(&names, &addresses, validity)?;
        write_private(&key, &issued.private_key_pem)?;
        write_public(&cert, &issued.certificate_pem)?;
        println!("issued {} for the gateway's public TLS", cert.display());
    }
    Ok(())
}

fn pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")))
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", dir.display()))?;
    }
    Ok(())
}
