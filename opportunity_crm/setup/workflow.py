"""The roles and the Workflow of Deal Registrations. `ensure()` runs at install and before the tests and
makes what is missing: a Workflow, state, action or role the site already has is left as the site made or
edited it (a migrate never rewrites them). `remove()` runs at uninstall and takes away what `ensure()` made:
the Workflow, the states and actions no other Workflow uses (Frappe's own stay), and the roles."""

import frappe

from opportunity_crm.constants.roles import CHANNEL_MANAGER, PARTNER_USER, STAFF_ROLES

WORKFLOW = "Deal Registration"

# role, desk access
ROLES = ((CHANNEL_MANAGER, 1), (PARTNER_USER, 0))

# state, style of its indicator, roles that may edit the registration in it
STATES = (
	("Draft", "", (PARTNER_USER, *STAFF_ROLES)),
	("Submitted", "Primary", STAFF_ROLES),
	("Returned", "Warning", (PARTNER_USER, *STAFF_ROLES)),
	("Approved", "Success", STAFF_ROLES),
	("Rejected", "Danger", STAFF_ROLES),
	("Expired", "Inverse", STAFF_ROLES),
	("Converted", "Info", STAFF_ROLES),
)

# from, action, to, roles. Approved → Converted / Expired is the system's (no user action).
TRANSITIONS = (
	("Draft", "Submit", "Submitted", (PARTNER_USER, *STAFF_ROLES)),
	("Returned", "Submit", "Submitted", (PARTNER_USER, *STAFF_ROLES)),
	("Submitted", "Approve", "Approved", (CHANNEL_MANAGER,)),
	("Submitted", "Reject", "Rejected", (CHANNEL_MANAGER,)),
	("Submitted", "Return", "Returned", (CHANNEL_MANAGER,)),
)


# Frappe's own Workflow States and Actions (`frappe.utils.install`): never removed
FRAPPE_STATES = ("Pending", "Approved", "Rejected")
FRAPPE_ACTIONS = ("Approve", "Reject", "Review")


def ensure() -> None:
	create_roles()
	create_workflow()


def create_roles() -> None:
	from opportunity_crm.channel.partner_users import PORTAL_HOME, ensure_role

	ensure_role()  # "Partner User" as the partner users' module defines it (its portal home page)
	# the DocType sync may have made the role first, without its home page
	if not frappe.db.get_value("Role", PARTNER_USER, "home_page"):
		frappe.db.set_value("Role", PARTNER_USER, "home_page", PORTAL_HOME)
	for role, desk_access in ROLES:
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": desk_access}).insert(
				ignore_permissions=True
			)
		elif frappe.db.get_value("Role", role, "desk_access") != desk_access:
			# the DocType sync makes a role its permissions name with desk access: a partner user would
			# become a System User
			frappe.db.set_value("Role", role, "desk_access", desk_access)


def create_workflow() -> None:
	"""The Workflow, its states and its actions, where the site has none of that name."""
	for state, style, _roles in STATES:
		if not frappe.db.exists("Workflow State", state):
			frappe.get_doc(
				{"doctype": "Workflow State", "workflow_state_name": state, "style": style}
			).insert(ignore_permissions=True)
	for action in actions():
		if not frappe.db.exists("Workflow Action Master", action):
			frappe.get_doc({"doctype": "Workflow Action Master", "workflow_action_name": action}).insert(
				ignore_permissions=True
			)
	if frappe.db.exists("Workflow", WORKFLOW):
		return  # the site's, as it is: its own edits stay
	frappe.get_doc(
		{
			"doctype": "Workflow",
			"workflow_name": WORKFLOW,
			"document_type": "Deal Registration",
			"workflow_state_field": "status",
			"is_active": 1,
			"send_email_alert": 0,
			"override_status": 0,
			"states": [
				{"state": state, "doc_status": "0", "allow_edit": role}
				for state, _style, roles in STATES
				for role in roles
			],
			"transitions": [
				{
					"state": state,
					"action": action,
					"next_state": next_state,
					"allowed": role,
					"allow_self_approval": 1,
				}
				for state, action, next_state, roles in TRANSITIONS
				for role in roles
			],
		}
	).insert(ignore_permissions=True)


def actions() -> list[str]:
	return list(dict.fromkeys(action for _from, action, _to, _roles in TRANSITIONS))


def remove() -> None:
	"""Uninstall: the Workflow and its pending Workflow Actions; the states and actions `ensure` may have
	made that no other Workflow uses (Frappe's own stay); the app's roles with every grant of them."""
	frappe.db.delete("Workflow Action", {"reference_doctype": "Deal Registration"})
	if frappe.db.exists("Workflow", WORKFLOW):
		frappe.delete_doc("Workflow", WORKFLOW, ignore_permissions=True, force=True)
	used_states = set(frappe.get_all("Workflow Document State", pluck="state")) | set(
		frappe.get_all("Workflow Transition", pluck="next_state")
	)
	for state, _style, _roles in STATES:
		if state not in FRAPPE_STATES and state not in used_states:
			frappe.delete_doc(
				"Workflow State", state, ignore_permissions=True, force=True, ignore_missing=True
			)
	used_actions = set(frappe.get_all("Workflow Transition", pluck="action"))
	for action in actions():
		if action not in FRAPPE_ACTIONS and action not in used_actions:
			frappe.delete_doc(
				"Workflow Action Master", action, ignore_permissions=True, force=True, ignore_missing=True
			)
	for role, _desk_access in ROLES:
		remove_role(role)


def remove_role(role: str) -> None:
	"""The role, taken from every user and every permission rule first (as Frappe does for a disabled
	role), so that nothing names a role that no longer exists."""
	frappe.db.delete("Has Role", {"role": role})
	frappe.db.delete("Custom DocPerm", {"role": role})
	frappe.db.delete("DocPerm", {"role": role})
	if frappe.db.exists("Role", role):
		frappe.delete_doc("Role", role, ignore_permissions=True, force=True)
	frappe.clear_cache()
