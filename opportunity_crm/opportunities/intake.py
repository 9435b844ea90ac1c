"""ERPNext's intake (incoming e-mail, the website contact form) keeps what it is sent.

Both create an Opportunity for the sender's Lead, then attach the message to it. When that Lead already
has its Opportunity, a second one would break "a Lead has at most one Opportunity" and the intake would
lose the message (e-mail filed as unhandled, the visitor sees an error). Instead, the new Opportunity is
inserted without `lead`, the message it receives is pointed at the Lead's Opportunity, and before the
transaction commits the new one is merged into the Lead's Opportunity (Frappe's Rename ▸ Merge: whatever
ERPNext attached to it, such as the Lead's open ToDos, moves along) and is gone.

Desk users, REST clients and the app's API get the rule's refusal instead: their input stays in their form.
"""

import frappe
from frappe.model.rename_doc import rename_doc

FLAG = "opportunity_crm_intake_folds"


# What Frappe is running when ERPNext's intake inserts an Opportunity: the background job that pulls an
# Email Account's mail (scheduled), the desk's Email Account ▸ Pull Emails, and the website contact form
# (Frappe's method, which ERPNext's `override_whitelisted_methods` hands to its own, or ERPNext's directly).
INTAKE_JOBS = frozenset({"frappe.email.doctype.email_account.email_account.pull_from_email_account"})
INTAKE_METHODS = frozenset(
	{
		"frappe.email.doctype.email_account.email_account.pull_emails",
		"frappe.www.contact.send_message",
		"erpnext.templates.utils.send_message",
	}
)
INTAKE_ENTRY_POINTS = INTAKE_JOBS | INTAKE_METHODS


def is_intake(doc) -> bool:
	"""A new Opportunity inserted by ERPNext's intake rather than by a user or another app.

	Recognised by what Frappe says it is running: the job's method (`frappe.local.job`, set by Frappe's
	`execute_job`) or the request's method (`frappe.form_dict.cmd`, set by Frappe's handler), one of the
	intake's entry points above; and inserted as the intake inserts it, with `ignore_permissions` (Frappe's
	`InboundMail._create_reference_document`, ERPNext's `send_message`). Another app's insert with the same
	flags, from anywhere else, gets the rule's refusal like everybody's.
	"""
	return bool(doc.is_new() and doc.flags.ignore_permissions and entry_point() in INTAKE_ENTRY_POINTS)


def entry_point() -> str | None:
	"""The method of the background job, else of the request, that Frappe is running; None otherwise."""
	job = getattr(frappe.local, "job", None)
	if job and job.get("method"):
		return job.method
	if getattr(frappe.local, "request", None):
		return (getattr(frappe.local, "form_dict", None) or {}).get("cmd")
	return None


def fold_into(new: str, existing: str) -> None:
	"""Merge Opportunity `new` into `existing` before the transaction commits."""
	pending = frappe.local.flags.setdefault(FLAG, {})
	if not pending:
		frappe.db.before_commit.add(fold_pending)
		frappe.db.after_rollback.add(forget_pending)
	pending[new] = existing


def redirect(name: str) -> str:
	"""The Opportunity a message addressed to `name` belongs to."""
	return frappe.local.flags.get(FLAG, {}).get(name, name)


def fold_pending() -> None:
	pending = frappe.local.flags.pop(FLAG, None) or {}
	for new, existing in pending.items():
		if not frappe.db.exists("Opportunity", new):
			continue
		doc = frappe.get_doc("Opportunity", new)
		doc.flags.opportunity_crm_intake_fold = True
		rename_doc(
			doc=doc,
			new=existing,
			merge=True,
			force=True,
			ignore_permissions=True,
			show_alert=False,
			rebuild_search=False,
		)


def forget_pending() -> None:
	frappe.local.flags.pop(FLAG, None)
