"""The roles and the Workflow of Deal Registrations, made in code like a fixture: `ensure()` runs at
install, at every migrate and before the tests, and brings the site to this definition whatever it had
(a second run changes nothing)."""

import frappe

CHANNEL_MANAGER = "Channel Manager"
PARTNER_USER = "Partner User"
WORKFLOW = "Deal Registration"
STAFF = ("Channel Manager", "Sales Manager", "System Manager")

# role, desk access
ROLES = ((CHANNEL_MANAGER, 1), (PARTNER_USER, 0))

# state, style of its indicator, roles that may edit the registration in it
STATES = (
	("Draft", "", (PARTNER_USER, *STAFF)),
	("Submitted", "Primary", STAFF),
	("Returned", "Warning", (PARTNER_USER, *STAFF)),
	("Approved", "Success", STAFF),
	("Rejected", "Danger", STAFF),
	("Expired", "Inverse", STAFF),
	("Converted", "Info", STAFF),
)

# from, action, to, roles. Approved → Converted / Expired is the system's (no user action).
TRANSITIONS = (
	("Draft", "Submit", "Submitted", (PARTNER_USER, *STAFF)),
	("Returned", "Submit", "Submitted", (PARTNER_USER, *STAFF)),
	("Submitted", "Approve", "Approved", (CHANNEL_MANAGER,)),
	("Submitted", "Reject", "Rejected", (CHANNEL_MANAGER,)),
	("Submitted", "Return", "Returned", (CHANNEL_MANAGER,)),
)


def ensure() -> None:
	create_roles()
	create_workflow()


def create_roles() -> None:
	from opportunity_crm.crm.partner_users import PORTAL_HOME, ensure_role

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
	for state, style, _roles in STATES:
		if not frappe.db.exists("Workflow State", state):
			frappe.get_doc(
				{"doctype": "Workflow State", "workflow_state_name": state, "style": style}
			).insert(ignore_permissions=True)
	for action in dict.fromkeys(action for _from, action, _to, _roles in TRANSITIONS):
		if not frappe.db.exists("Workflow Action Master", action):
			frappe.get_doc({"doctype": "Workflow Action Master", "workflow_action_name": action}).insert(
				ignore_permissions=True
			)
	definition = {
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
	if frappe.db.exists("Workflow", WORKFLOW):
		workflow = frappe.get_doc("Workflow", WORKFLOW)
		if same(workflow, definition):
			return
		workflow.set("states", [])
		workflow.set("transitions", [])
		workflow.update(definition)
		workflow.save(ignore_permissions=True)
	else:
		frappe.get_doc({"doctype": "Workflow", "workflow_name": WORKFLOW, **definition}).insert(
			ignore_permissions=True
		)


def same(workflow, definition: dict) -> bool:
	def rows(table, keys):
		return [tuple(str(row.get(key) or "") for key in keys) for row in table]

	state_keys = ("state", "doc_status", "allow_edit")
	transition_keys = ("state", "action", "next_state", "allowed", "allow_self_approval")
	return (
		all(
			str(workflow.get(key)) == str(value)
			for key, value in definition.items()
			if key not in ("states", "transitions")
		)
		and rows(workflow.states, state_keys) == rows(definition["states"], state_keys)
		and rows(workflow.transitions, transition_keys) == rows(definition["transitions"], transition_keys)
	)
