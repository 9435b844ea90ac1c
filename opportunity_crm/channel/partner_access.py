"""What a partner user may read, through Frappe's own permission engine.

A partner session is a user with the role "Partner User" and no staff role (`partner_users.is_staff`);
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
- Frappe drops the fields a user may not read from a query's columns, not from its filters, sorting and
  grouping: a partner filtering its own registrations on `sales_person = X`, or on the matches'
  `match_partner`, would learn by the answer whether it guessed right. A partner session's request that
  filters, sorts or groups Deal Registrations on such a field is refused (403, naming the field) as
  Frappe builds the query (`refuse_queries_on_hidden_fields`, from the condition above: it runs after
  the token or session is authenticated, which a `before_request` hook does not).
"""

import json
import re

import frappe
from frappe import _
from frappe.utils.caching import request_cache

from opportunity_crm.channel.partner_users import is_staff, partner_of
from opportunity_crm.constants.roles import PARTNER_USER

DEAL_REGISTRATION = "Deal Registration"
# no partner session reads these rows
NOTHING = "1 = 0"


@request_cache
def partner_session(user: str | None = None) -> bool:
	"""A partner user without a staff role: what this module restricts."""
	user = user or frappe.session.user
	return PARTNER_USER in frappe.get_roles(user) and not is_staff(user)


@request_cache
def session_partner(user: str | None = None) -> str | None:
	return partner_of(user or frappe.session.user)


# permission_query_conditions -------------------------------------------------------------------------


def deal_registration_conditions(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not partner_session(user):
		return ""
	refuse_queries_on_hidden_fields()
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


# Queries on hidden fields -----------------------------------------------------------------------------

REGISTRATION_DOCTYPES = ("Deal Registration", "Deal Registration Item", "Deal Registration Match")
MATCH = "Deal Registration Match"
# the request arguments Frappe's list, count, report, export, group-by and search methods build a query
# from (frappe.client, frappe.desk.reportview, frappe.desk.listview, frappe.desk.search, /api/resource)
# ("field": the list view's group-by counts)
QUERY_ARGUMENTS = (
	"filters",
	"or_filters",
	"order_by",
	"group_by",
	"aggregate_on_field",
	"current_filters",
	"field",
)
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def refuse_queries_on_hidden_fields() -> None:
	"""For a partner session's query of registrations (see the module): the request's own query arguments,
	never the app's. Returns at once outside a request and for a request without query arguments."""
	form = getattr(frappe.local, "form_dict", None) or {}
	request = getattr(frappe.local, "request", None)
	if not request or not any(form.get(argument) for argument in QUERY_ARGUMENTS):
		return
	if (form.get("doctype") or resource_doctype(request.path)) not in REGISTRATION_DOCTYPES:
		return
	hidden = hidden_fields()
	for argument in QUERY_ARGUMENTS:
		for fieldname in referenced_fields(form.get(argument)):
			if fieldname in hidden:
				frappe.throw(
					_("{0}: a partner user may not filter, sort or group Deal Registrations on {1}.").format(
						argument, fieldname
					),
					frappe.PermissionError,
				)


def resource_doctype(path: str) -> str | None:
	for prefix in ("/api/resource/", "/api/v1/resource/", "/api/v2/document/"):
		if path.startswith(prefix):
			return path[len(prefix) :].split("/", 1)[0]
	return None


@request_cache
def hidden_fields() -> frozenset[str]:
	"""The fields of a registration and of its matches the session user may not read, and the name of the
	matches' table itself."""
	meta = frappe.get_meta(DEAL_REGISTRATION)
	readable = set(meta.get_permlevel_access("read"))
	hidden = {df.fieldname for df in meta.fields if df.permlevel not in readable}
	hidden |= {df.fieldname for df in frappe.get_meta(MATCH).fields}
	return frozenset(hidden | {MATCH, f"tab{MATCH}"})


def referenced_fields(value) -> set[str]:
	"""The field and doctype names an argument of a query names: the keys of a filter object, the first
	elements of a filter list (["field", "op", value] or ["Doctype", "field", "op", value]), every
	identifier of a text argument (order_by, group_by); never a filter's value."""
	if isinstance(value, str):
		try:
			parsed = json.loads(value)
		except ValueError:
			return set(IDENTIFIER.findall(value)) | ({MATCH} if MATCH in value else set())
		if isinstance(parsed, str):
			return referenced_fields(parsed) if parsed != value else set()
		value = parsed
	if isinstance(value, dict):
		return {str(key) for key in value} | {
			name for key in value for name in referenced_fields(key) if isinstance(key, str)
		}
	names = set()
	if isinstance(value, list | tuple):
		for condition in value:
			if isinstance(condition, list | tuple):
				names |= {str(element) for element in condition[:2] if isinstance(element, str)}
			elif isinstance(condition, dict | str):
				names |= referenced_fields(condition)
	return names
