# Exchange Online settings as the controls read them: cmdlet output in PascalCase, one object per
# policy, rule or domain, named by its Guid (Identity where there is none).
package posture.lib

exo_id(o) := o.Guid if is_string(o.Guid) else := object.get(o, "Identity", "")

exo_name(o) := o.Name if is_string(o.Name) else := exo_id(o)

exo_evidence(kind, o, detail) := evidence(kind, exo_id(o), exo_name(o), detail)

# A control over one cmdlet's single object (organization, transport or audit log configuration).
exo_singleton_unusable(names, name) := r if {
	r := error_for(names)
} else := r if {
	r := singleton_missing(name)
}

# --- mail DNS records (dns_mail_records: one object per accepted domain, named by the domain) ---

# Evidence naming one domain's records.
dns_evidence(d, detail) := evidence("mailDnsRecords", d.id, d.domain, detail)

# The domain's SPF record: the one `v=spf1` TXT record, undefined when none or several (RFC 7208
# makes several a permanent error, as receivers treat none).
spf_record(d) := r if {
	records := list(object.get(d, "spf", {}), "records")
	count(records) == 1
	r := records[0]
}

# The domain's DMARC tags, undefined when no single `v=DMARC1` record is published.
dmarc_tags(d) := t if {
	records := list(object.get(d, "dmarc", {}), "records")
	count(records) == 1
	t := object.get(d.dmarc, "tags", {})
}

# Custom (not *.onmicrosoft.com) domains among the records.
is_custom_domain(d) if not endswith(lower(d.domain), ".onmicrosoft.com")

# --- sharing policies (exo_sharing_policies) -------------------------------------------------------

# The actions an enabled sharing policy grants every external domain (its `*:` entry), e.g.
# CalendarSharingFreeBusySimple, ContactsSharing.
shared_with_all(policy) := {trim_space(a) |
	policy.Enabled == true
	some entry in list(policy, "Domains")
	startswith(entry, "*:")
	some a in split(substring(entry, 2, -1), ",")
}
