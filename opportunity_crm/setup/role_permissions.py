"""What the app's roles may do on Frappe's and ERPNext's doctypes: Custom DocPerm records, as the Role
Permissions Manager makes them (ERPNext's doctype files are never edited).

A channel team is often one person with the role Channel Manager alone. `GRANTS` gives it exactly what the
channel's flows need, and read on Workflow to the roles that act on the Deal Registration form:

- invite a partner's people (Sales Partner ▸ Invite Partner User): write on the Sales Partner, read on the
  Contact picked in the dialog;
- decide (approve, reject, return): the approval makes or reuses the Lead and converts it into the
  Opportunity of a Sales Person, which it then fills (create on Lead; create, write on Opportunity; read
  on Sales Person); the conversion links the Lead's Addresses and Contacts to the Opportunity, which
  changes them (write on Address and Contact, `opportunities/party_links.py`);
- follow the channel: the partners, their Leads and Opportunities in lists and report views (read,
  report);
- a Sales User (a salesperson) opens the Opportunity Pipeline, grouped by Sales Stage: read on Sales Stage;
- Frappe v16's form reads `Workflow.enable_action_confirmation` (`frappe.client.get_value`) before it
  applies any Workflow action: without read on Workflow the Actions menu does nothing.

Each right here was taken away alone once, and a flow then failed (report: the list's report view);
`test_channel_manager` runs the flows with all of them taken away.

`grant()` runs at install and by a patch (once: a rule the site later changes or deletes stays so);
`revoke()` at uninstall takes away the rows `grant()` made and, where a doctype's custom rules are then
only the copy of its standard ones that Frappe made for them (`setup_custom_perms`), that copy too, so the
doctype is back on its standard rules.
"""

import frappe
from frappe.permissions import rights as RIGHTS
from frappe.permissions import setup_custom_perms

from opportunity_crm.constants.roles import CHANNEL_MANAGER, SALES_MANAGER, SALES_USER
from opportunity_crm.setup.workflow import ROLES

# doctype → role → the rights given at permission level 0
GRANTS = {
	"Sales Partner": {CHANNEL_MANAGER: ("read", "write", "report")},
	"Contact": {CHANNEL_MANAGER: ("read", "write")},
	"Address": {CHANNEL_MANAGER: ("read", "write")},
	"Sales Person": {CHANNEL_MANAGER: ("read",)},
	"Lead": {CHANNEL_MANAGER: ("read", "create", "report")},
	"Opportunity": {CHANNEL_MANAGER: ("read", "write", "create", "report")},
	"Workflow": {CHANNEL_MANAGER: ("read",), SALES_MANAGER: ("read",)},
	# the Opportunity Pipeline's default grouping (by Sales Stage) links each row to its stage: Frappe's
	# report runner then needs read on Sales Stage, which ERPNext gives only to the Sales Manager
	"Sales Stage": {SALES_USER: ("read",)},
}

RULE_KEYS = ("role", "permlevel", "if_owner", *RIGHTS)


def grant(doctypes: tuple | None = None) -> None:
	"""A Custom DocPerm for each (doctype, role) of GRANTS (of `doctypes`, default all) that has no rule at
	level 0 yet."""
	for doctype, roles in GRANTS.items():
		if doctypes and doctype not in doctypes:
			continue
		for role, rights in roles.items():
			if rule(doctype, role):
				continue  # the site's rule (or the standard one copied), as it is
			setup_custom_perms(doctype)  # the doctype's standard rules first, else they would stop applying
			if rule(doctype, role):
				continue
			frappe.get_doc(
				{
					"doctype": "Custom DocPerm",
					"parent": doctype,
					"role": role,
					"permlevel": 0,
					"if_owner": 0,
					**{right: int(right in rights) for right in RIGHTS},
				}
			).insert(ignore_permissions=True)
		frappe.clear_cache(doctype=doctype)


def revoke() -> None:
	"""Uninstall: the rules `grant()` made (a rule of another role that the site changed since stays; the
	app's own roles go with all their rules), then the copy of standard rules nothing else needs."""
	app_roles = {role for role, _desk_access in ROLES}
	for doctype, roles in GRANTS.items():
		for role, rights in roles.items():
			name = rule(doctype, role)
			if name and (role in app_roles or granted_rights(name) == set(rights)):
				frappe.delete_doc("Custom DocPerm", name, ignore_permissions=True, force=True)
		frappe.db.delete("Custom DocPerm", {"parent": doctype, "role": ("in", list(app_roles))})
		if rules("Custom DocPerm", doctype) == rules("DocPerm", doctype):
			frappe.db.delete("Custom DocPerm", {"parent": doctype})
		frappe.clear_cache(doctype=doctype)


def rule(doctype: str, role: str) -> str | None:
	return frappe.db.get_value(
		"Custom DocPerm", {"parent": doctype, "role": role, "permlevel": 0, "if_owner": 0}
	)


def granted_rights(name: str) -> set[str]:
	values = frappe.db.get_value("Custom DocPerm", name, list(RIGHTS), as_dict=True)
	return {right for right in RIGHTS if values.get(right)}


def rules(doctype_of_rules: str, doctype: str) -> list[tuple]:
	rows = frappe.get_all(doctype_of_rules, filters={"parent": doctype}, fields=list(RULE_KEYS))
	return sorted(tuple(str(row.get(key) or 0) for key in RULE_KEYS) for row in rows)
