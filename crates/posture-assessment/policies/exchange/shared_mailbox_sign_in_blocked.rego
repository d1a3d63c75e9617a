# Sign-in is blocked for shared mailboxes (CIS 1.2.2): their accounts exist in Entra ID with a
# password nobody owns; Get-Mailbox's AccountDisabled shows whether the account can sign in.
package posture.controls.exchange_shared_mailbox_sign_in_blocked

import data.posture.lib

metadata := {
	"id": "exchange.shared-mailbox-sign-in-blocked",
	"title": "Sign-in to shared mailboxes is blocked",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "1.2.2"}],
	"rationale": "People reach a shared mailbox through their own accounts; a shared mailbox account that can sign in is an unowned login whose password nobody rotates.",
	"remediation": "Microsoft 365 admin center > Users > Active users: select the shared mailbox's account and Block sign-in (or Update-MgUser -UserId <id> -AccountEnabled:$false).",
	"required_collections": ["exo_shared_mailboxes"],
}

mailboxes := lib.items("exo_shared_mailboxes")

open := [m | some m in mailboxes; m.AccountDisabled != true]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("sign-in is blocked for all %d shared mailboxes", [count(mailboxes)]), []) if {
	count(open) == 0
} else := lib.result("fail", sprintf("%d of %d shared mailboxes can sign in", [count(open), count(mailboxes)]), [lib.exo_evidence("sharedMailbox", m, sprintf("%s: AccountDisabled is %v", [object.get(m, "UserPrincipalName", ""), object.get(m, "AccountDisabled", "absent")])) | some m in open])
