# SharePoint tenant settings as the controls read them (admin/sharepoint/settings, a singleton).
package posture.lib

# The documented response wraps the settings in {"value": {...}}; a plain singleton is flat.
sharepoint_settings := s if {
	s := singleton("sharepoint_settings").value
	is_object(s)
} else := singleton("sharepoint_settings")

sharepoint_evidence(detail) := evidence("sharepointSettings", "admin/sharepoint/settings", "SharePoint tenant settings", detail)

# The value of one setting for evidence text ("absent" when Graph did not return it).
sharepoint_value(name) := sprintf("%v", [object.get(sharepoint_settings, name, "absent")])

# A SharePoint control's result when the settings are unusable (not synced, or synced empty).
sharepoint_unusable(required) := r if {
	r := error_for(required)
} else := r if {
	r := singleton_missing("sharepoint_settings")
}
