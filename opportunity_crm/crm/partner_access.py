"""What a partner user may read, through Frappe's own permission engine.

A partner session is a user with the role "Partner User" and no staff role (`deal_registration.is_staff`);
`partner_of` names its Sales Partner. Desk users are not touched by anything here.

- Deal Registration: `permission_query_conditions` (lists, counts, reports, exports, link search) and the
  doctype's `has_permission` (`deal_registration.has_permission`: one document) give a partner session
  its own partner's registrations only, beside the User Permission on Sales Partner that Frappe applies.
  A User Permission alone is not enough: Frappe skips it for a link search with `ignore_user_permissions`
  and for link fields marked so, and it does not cover the child tables.
- Child tables are read through their parent only: Frappe checks the parent's doctype permission for
  `/api/resource/<child>?parent=…`, `frappe.client.get_list` and `frappe.desk.reportview.get`, then
  lists every parent's rows. The child doctypes' own `permission_query_conditions` keep a partner
  session to the Items of its own registrations and to no Match at all (matches are internal: permission
  level 1 on the form and on each of their fields, so the parent's report columns drop them too).
- Link search: Frappe's `search_link` / `search_widget` run without any permission check when the
  caller passes `ignore_user_permissions=1` for a doctype its role may read (Deal Registration, and
  Contact and Address through the role All's "if owner" permission): for a partner session the flag is
  dropped (`overrides/whitelisted_methods.py`), so the conditions above and Frappe's own apply.
- A partner's save answers with the document as the partner may read it (`hand_back_readable`).
- `frappe.client.validate_link` reads the name without a document permission check: for a partner
  session it answers as for a name that does not exist, unless the user may read the document.
"""

import frappe
from frappe.utils.caching import request_cache

from opportunity_crm.crm.partner_users import ROLE, partner_of

# no partner session reads these rows
NOTHING = "1 = 0"


@request_cache
def partner_session(user: str | None = None) -> bool:
	"""A partner user without a staff role: what this module restricts."""
	from opportunity_crm.crm.deal_registration import is_staff

	user = user or frappe.session.user
	return ROLE in frappe.get_roles(user) and not is_staff(user)


@request_cache
def session_partner(user: str | None = None) -> str | None:
	return partner_of(user or frappe.session.user)


# permission_query_conditions -------------------------------------------------------------------------


def deal_registration_conditions(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not partner_session(user):
		return ""
	partner = session_partner(user)
	if not partner:
		return NOTHING
	return f"`tabDeal Registration`.`sales_partner` = {frappe.db.escape(partner)}"


def deal_registration_item_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""A partner session reads the Items of its own partner's registrations."""
	user = user or frappe.session.user
	if not partner_session(user):
		return ""
	partner = session_partner(user)
	if not partner:
		return NOTHING
	return (
		"`tabDeal Registration Item`.`parenttype` = 'Deal Registration'"
		" and `tabDeal Registration Item`.`parent` in (select `name` from `tabDeal Registration`"
		f" where `sales_partner` = {frappe.db.escape(partner)})"
	)


def deal_registration_match_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""Matches are the channel team's: a partner session reads none, not even of its own registrations."""
	return NOTHING if partner_session(user or frappe.session.user) else ""


# one document -----------------------------------------------------------------------------------------


def may_read_registration(doc, user: str | None = None) -> bool:
	"""The rule of `deal_registration_conditions` for one registration (a new one is the user's)."""
	user = user or frappe.session.user
	if not partner_session(user) or doc.is_new():
		return True
	partner = session_partner(user)
	return bool(partner) and doc.get("sales_partner") == partner


def hand_back_readable(doc) -> None:
	"""After a partner session's save, the document holds only what the partner may read: REST
	(`PUT /api/resource/…`), `frappe.client.save` / `insert` answer with the saved object, and Frappe's
	write answers skip field-level read permissions (its matches would name another partner). A later
	save of the same object by the partner restores the hidden fields from the database first
	(`validate_higher_perm_levels`), so nothing is lost."""
	if partner_session():
		doc.apply_fieldlevel_read_permissions()


# Frappe methods that read past the permission engine ------------------------------------------------


def search_flags(ignore_user_permissions) -> bool:
	"""The `ignore_user_permissions` a link search runs with: never for a partner session."""
	return False if partner_session() else ignore_user_permissions


def may_confirm_link(doctype: str, docname: str) -> bool:
	"""Whether `validate_link` may say that `docname` exists: always for desk users; for a partner session
	only a document it may read (Frappe checked the doctype, not the document)."""
	if not partner_session() or not isinstance(doctype, str) or not isinstance(docname, str):
		return True
	if doctype == "DocType" or not frappe.db.exists("DocType", doctype):
		return True
	meta = frappe.get_meta(doctype)
	if meta.istable or meta.issingle or meta.is_virtual or not frappe.db.exists(doctype, docname):
		return True
	if not frappe.has_permission(doctype, "read", throw=False):
		# no read on the doctype at all: Frappe's own check refuses it (403)
		return True
	return frappe.has_permission(doctype, "read", doc=docname, throw=False)
