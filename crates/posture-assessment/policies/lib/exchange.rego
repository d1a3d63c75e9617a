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
