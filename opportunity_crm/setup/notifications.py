"""The e-mails the partner channel sends, as Notification records the app ships (Setup ▸ Notification): an
administrator rewords the subject and message, changes the recipients or the condition, or disables one,
without touching the code.

They are made at install (and by a patch on upgrade) where missing, never rewritten: a site's edits survive
every migrate, which fixtures and Frappe's "Is Standard" Notifications (module folder, read-only outside
developer mode, re-imported when the app's file changes) would not allow. Uninstall removes them.

Each fires on a change of its Deal Registration that the app's rules make through the document (Frappe runs
a Notification's "Value Change" on `on_change`, which a save and `Document.db_set` both run):
- the channel manager's decision: `status` becomes Approved, Rejected or Returned (the Workflow's save);
- the expiry notice: `expiry_notice_sent` is set by the daily job (channel/deal_expiry.py `notice_one`);
- the expiry: `status` becomes Expired (the daily job, `expire_one`).
The texts are the app's translated strings (translations/id.csv), rendered in the partner user's language.
A mail that cannot be sent (no outgoing Email Account) is in Frappe's Error Log; the change stands.
"""

import frappe

DOCTYPE = "Deal Registration"
# the partner user's language, for the `_()` of each text (`partner_language` is a Jinja method, hooks.py)
LANG = "{% set lang = partner_language(doc) %}"
PROTECTED_UNTIL = "frappe.format(doc.protected_until, 'Date')"
PROSPECT = "doc.prospect_name | e"


def translated(source: str, *values: str, lang: str = "lang") -> str:
	"""A Jinja expression: `source` translated into `lang` (the app's id.csv), formatted with `values`."""
	call = f"_({source!r}, {lang})"
	return "{{ " + (f"{call}.format({', '.join(values)})" if values else call) + " }}"


def paragraph(source: str, *values: str, end: str = "") -> str:
	return f"<p>{translated(source, *values)}{end}</p>"


def subject(source: str, *values: str) -> str:
	"""A subject fits Notification's 140 characters: no `{% set %}`, the date (if any) as stored."""
	return translated(source, *values, lang="partner_language(doc)")


REASON = "{% if doc.decision_reason %}" + paragraph("Reason: {0}", "doc.decision_reason | e") + "{% endif %}"


def decision(state: str, source: str, closing: str = "") -> dict:
	return {
		"name": f"Deal Registration {state}",
		"value_changed": "status",
		"condition": f'doc.status == "{state}" and doc.partner_user',
		"subject": subject(source, "doc.name", "doc.prospect_name"),
		"message": LANG + paragraph(source, "doc.name", PROSPECT, end=".") + REASON + closing,
	}


NOTICE = "Deal Registration {0} ({1}) expires on {2}"
EXPIRED = "Deal Registration {0} ({1}) has expired"
NOTIFICATIONS = [
	decision(
		"Approved",
		"Deal Registration {0} ({1}) is approved",
		paragraph("The prospect is protected for you until {0}.", PROTECTED_UNTIL),
	),
	decision("Rejected", "Deal Registration {0} ({1}) is rejected"),
	decision(
		"Returned",
		"Deal Registration {0} ({1}) needs more information",
		paragraph("Please complete the registration and submit it again."),
	),
	{
		"name": "Deal Registration Expiry Notice",
		"value_changed": "expiry_notice_sent",
		"condition": 'doc.expiry_notice_sent and doc.status == "Approved" and doc.partner_user',
		"subject": subject(NOTICE, "doc.name", "doc.prospect_name", "doc.protected_until"),
		"message": LANG
		+ paragraph(NOTICE, "doc.name", PROSPECT, PROTECTED_UNTIL, end=".")
		+ paragraph(
			"Your protection of this prospect ends on {0}. Convert the Opportunity before then (a Customer "
			"or a Sales Order), or the prospect is free for other partners again.",
			PROTECTED_UNTIL,
		),
	},
	{
		"name": "Deal Registration Expired",
		"value_changed": "status",
		"condition": 'doc.status == "Expired" and doc.partner_user',
		"subject": subject(EXPIRED, "doc.name", "doc.prospect_name"),
		"message": LANG
		+ paragraph(EXPIRED, "doc.name", PROSPECT, end=".")
		+ paragraph(
			"It was not converted by {0}: the prospect is no longer protected for you. The Opportunity "
			"stays open.",
			PROTECTED_UNTIL,
		),
	},
]


def partner_language(doc) -> str | None:
	"""The language of the registration's partner user (the site's when none is set)."""
	return (doc.get("partner_user") and frappe.db.get_value("User", doc.partner_user, "language")) or None


def create_notifications() -> None:
	"""Insert each of the app's Notifications that the site does not have (by name); leave the others."""
	for notification in NOTIFICATIONS:
		if frappe.db.exists("Notification", notification["name"]):
			continue
		frappe.get_doc(
			{
				"doctype": "Notification",
				"document_type": DOCTYPE,
				"event": "Value Change",
				"channel": "Email",
				"enabled": 1,
				"is_standard": 0,
				"message_type": "HTML",
				"recipients": [{"receiver_by_document_field": "partner_user"}],
				**notification,
			}
		).insert(ignore_permissions=True)


def delete_notifications() -> None:
	for notification in NOTIFICATIONS:
		frappe.delete_doc("Notification", notification["name"], ignore_missing=True, force=True)
