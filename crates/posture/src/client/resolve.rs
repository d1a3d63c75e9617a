//! Tenants by name: every command that takes a tenant accepts its Entra tenant id or its display
//! name (case-insensitive, whole name). A name is looked up in the connections the key may see;
//! none or several matching is an error that says what to type instead.

use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;

use super::GatewayArgs;

/// The tenant argument of a command, so names can be resolved before the command runs.
pub trait TenantArgument {
    /// The tenant argument and, for commands that repeat it to confirm, that confirmation.
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)>;
}

fn is_guid(text: &str) -> bool {
    uuid::Uuid::try_parse(text.trim()).is_ok()
}

/// Replaces a display name in `command`'s tenant argument by the tenant id it names.
pub async fn resolve_names(command: &mut impl TenantArgument, gateway: &GatewayArgs) -> anyhow::Result<()> {
    let Some((tenant, confirm)) = command.tenant_argument() else {
        return Ok(());
    };
    if is_guid(tenant) {
        return Ok(());
    }
    let id = tenant_id_of(gateway, tenant).await?;
    if let Some(confirm) = confirm
        && confirm.trim().eq_ignore_ascii_case(tenant.trim())
    {
        confirm.clone_from(&id);
    }
    *tenant = id;
    Ok(())
}

/// Replaces each display name among `tenants` by the tenant id it names (commands that take
/// several tenants, such as `posture drift baseline apply`).
pub async fn resolve_all(tenants: &mut [String], gateway: &GatewayArgs) -> anyhow::Result<()> {
    for tenant in tenants.iter_mut().filter(|t| !is_guid(t)) {
        *tenant = tenant_id_of(gateway, tenant).await?;
    }
    Ok(())
}

async fn tenant_id_of(gateway: &GatewayArgs, name: &str) -> anyhow::Result<String> {
    let mut client = TenantConnectionServiceClient::new(gateway.connect().await?);
    let matches = super::tenants::all_connections(&mut client)
        .await?
        .into_iter()
        .filter(|c| c.display_name.trim().eq_ignore_ascii_case(name.trim()))
        .map(|c| c.tenant_id)
        .collect();
    choose(name, matches)
}

fn choose(name: &str, mut matches: Vec<String>) -> anyhow::Result<String> {
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => anyhow::bail!(
            "no tenant is named `{name}` (give its tenant id or its exact display name; `posture tenants list` shows both)"
        ),
        _ => anyhow::bail!(
            "{} tenants are named `{name}`: give the tenant id instead ({})",
            matches.len(),
            matches.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_must_name_exactly_one_tenant() {
        assert_eq!(choose("Contoso", vec!["a".into()]).expect("one"), "a");
        let none = choose("Contoso", Vec::new()).expect_err("none");
        assert!(none.to_string().contains("posture tenants list"), "{none}");
        let two = choose("Contoso", vec!["a".into(), "b".into()]).expect_err("two");
        assert!(two.to_string().contains("a, b"), "{two}");
        assert!(is_guid("1810dc11-0eed-5d18-bdf7-e1dc86e4b3f5"));
        assert!(!is_guid("Contoso"));
    }
}
