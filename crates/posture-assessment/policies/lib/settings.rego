# Helpers for the controls on tenant settings and session controls: CIS-only Conditional Access
# verdicts, the device registration policy, directory setting values, activity-based timeouts and
# the authentication methods policy's Microsoft Authenticator configuration.
package posture.lib

# --- CIS-only Conditional Access controls --------------------------------------------------------

# ca_result for controls only CIS references: a pass when a broad policy meets the condition, a
# warning listing the exclusions when they alone keep a policy from applying broadly (CIS reads them
# as documented exceptions to review), else a failure with the near misses.
cis_ca_result(matching, near, what) := ca_result(matching, near, what) if {
	count(matching) > 0
} else := cis_exceptions_result(exempted, what) if {
	exempted := [p | some p in near; ca_broad_but_exclusions(p)]
	count(exempted) > 0
} else := ca_result(matching, near, what)

# Session controls of a policy (null when it has none).
session(p) := s if {
	s := p.sessionControls
	is_object(s)
} else := {}

sign_in_frequency_enabled(p) if session(p).signInFrequency.isEnabled == true

# The sign-in frequency in hours; "every time" counts as zero.
sign_in_frequency_hours(p) := 0 if {
	sign_in_frequency_enabled(p)
	session(p).signInFrequency.frequencyInterval == "everyTime"
} else := h if {
	sign_in_frequency_enabled(p)
	f := session(p).signInFrequency
	is_number(f.value)
	h := f.value * unit_hours(f.type)
}

unit_hours(t) := 24 if t == "days" else := 1 if t == "hours"

persistent_browser_never(p) if {
	session(p).persistentBrowser.isEnabled == true
	session(p).persistentBrowser.mode == "never"
}

app_enforced_restrictions(p) if session(p).applicationEnforcedRestrictions.isEnabled == true

# --- device registration policy --------------------------------------------------------------------

# The policy object ({} when Graph returned something else, so its settings read as unset).
device_registration_policy := p if {
	p := singleton("device_registration_policy")
	is_object(p)
} else := {}

device_registration_evidence(detail) := evidence(
	"deviceRegistrationPolicy",
	object.get(device_registration_policy, "id", "deviceRegistrationPolicy"),
	object.get(device_registration_policy, "displayName", "Device Registration Policy"),
	detail,
)

# deviceRegistrationMembership kinds: all users, none, or selected users and groups.
membership_kind(m) := "unknown" if {
	not is_object(m)
} else := "all" if {
	endswith(lower(str(m, ["@odata.type"])), "alldeviceregistrationmembership")
} else := "none" if {
	endswith(lower(str(m, ["@odata.type"])), "nodeviceregistrationmembership")
} else := "selected" if {
	endswith(lower(str(m, ["@odata.type"])), "enumerateddeviceregistrationmembership")
} else := "unknown"

# --- directory settings (groupSettings) ------------------------------------------------------------

# Every value (lower-cased text) the tenant's directory settings give `name`.
directory_setting_values(name) := {lower(sprintf("%v", [value.value])) |
	some setting in items("directory_settings")
	is_object(setting)
	some value in list(setting, ["values"])
	is_object(value)
	value.name == name
}

# The directory setting objects that carry `name`, as evidence.
directory_setting_evidence(name, detail) := [evidence("directorySetting", setting.id, object.get(setting, "displayName", setting.id), detail) |
	some setting in items("directory_settings")
	is_object(setting)
	some value in list(setting, ["values"])
	is_object(value)
	value.name == name
]

# --- activity-based timeout policies ----------------------------------------------------------------

# Each application policy of each activity-based timeout policy: `definition` is a list of JSON
# strings; one that does not parse is skipped (and reported by the control as unreadable).
activity_timeouts := [{"policy": p, "application": object.get(a, "ApplicationId", "default"), "timeout": object.get(a, "WebSessionIdleTimeout", null)} |
	some p in items("activity_based_timeout_policies")
	is_object(p)
	some d in list(p, ["definition"])
	is_string(d)
	json.is_valid(d)
	def := json.unmarshal(d)
	is_object(def)
	some a in list(def, ["ActivityBasedTimeoutPolicy", "ApplicationPolicies"])
	is_object(a)
]

# A .NET TimeSpan ("hh:mm:ss" or "d.hh:mm:ss") in seconds; undefined for anything else.
timespan_seconds(s) := secs if {
	is_string(s)
	regex.match(`^([0-9]{1,4}\.)?[0-9]{1,2}:[0-9]{2}:[0-9]{2}$`, s)
	parts := split(s, ":")
	secs := ((timespan_hours(split(parts[0], ".")) * 60) + digits(parts[1])) * 60 + digits(parts[2])
}

timespan_hours(dh) := (digits(dh[0]) * 24) + digits(dh[1]) if count(dh) == 2 else := digits(dh[0])

# A run of decimal digits as a number ("08" is 8; to_number rejects leading zeros).
digits(s) := 0 if trim_left(s, "0") == "" else := to_number(trim_left(s, "0"))

# --- authentication methods policy --------------------------------------------------------------------

method_configuration(id) := c if {
	policy := singleton("authentication_methods_policy")
	is_object(policy)
	some c in list(policy, ["authenticationMethodConfigurations"])
	is_object(c)
	lower(str(c, ["id"])) == lower(id)
}
