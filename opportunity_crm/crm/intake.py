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


def is_intake(doc) -> bool:
	"""A new Opportunity inserted by ERPNext's intake rather than by a user.

	Frappe's inbound mail inserts it with `ignore_permissions` and `ignore_mandatory`
	(`InboundMail._create_reference_document`); the website contact form
	(`erpnext.templates.utils.send_message`) inserts it as Guest with `ignore_permissions`. A user's
	insert (desk, REST, Data Import, the app's API) checks permissions.
	"""
	return bool(
		doc.is_new()
		and doc.flags.ignore_permissions
		and (doc.flags.ignore_mandatory or frappe.session.user == "Guest")
	)


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
