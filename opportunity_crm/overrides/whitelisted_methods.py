"""Frappe's whitelisted methods that read past its permission engine for a partner session
(`override_whitelisted_methods` in hooks.py). Each calls Frappe's own method with the same arguments;
only a partner session (`channel.partner_access`) is treated differently, desk users get Frappe's answer."""

import frappe
from frappe import _
from frappe.desk.search import search_link as frappe_search_link
from frappe.desk.search import search_widget as frappe_search_widget

from opportunity_crm.channel.partner_access import may_confirm_link, search_flags
from opportunity_crm.opportunities.newest_page import read_newest_page
from opportunity_crm.opportunities.permissions import count_own_first


@frappe.whitelist()
def search_link(
	doctype: str,
	txt: str,
	query: str | None = None,
	filters: str | dict | list | None = None,
	page_length: int = 10,
	searchfield: str | None = None,
	reference_doctype: str | None = None,
	ignore_user_permissions: bool = False,
	**kwargs,
):
	"""Frappe's link search; a partner session's search keeps its permissions (no
	`ignore_user_permissions`, which would skip every permission check). `kwargs`: what a newer Frappe
	adds (v16's desk sends `link_fieldname`), passed on as it came."""
	# frappe.call passes on only what Frappe's own method takes (the request's `cmd` is among the kwargs)
	return frappe.call(
		frappe_search_link,
		doctype=doctype,
		txt=txt,
		query=query,
		filters=filters,
		page_length=page_length,
		searchfield=searchfield,
		reference_doctype=reference_doctype,
		ignore_user_permissions=search_flags(ignore_user_permissions),
		**kwargs,
	)


@frappe.whitelist()
def search_widget(
	doctype: str,
	txt: str,
	query: str | None = None,
	searchfield: str | None = None,
	start: int = 0,
	page_length: int = 10,
	filters: str | dict | list | None = None,
	filter_fields=None,
	as_dict: bool = False,
	reference_doctype: str | None = None,
	ignore_user_permissions: bool = False,
	**kwargs,
):
	"""Frappe's search box, with the same rule as `search_link` (and its `kwargs`)."""
	return frappe.call(
		frappe_search_widget,
		doctype=doctype,
		txt=txt,
		query=query,
		searchfield=searchfield,
		start=start,
		page_length=page_length,
		filters=filters,
		filter_fields=filter_fields,
		as_dict=as_dict,
		reference_doctype=reference_doctype,
		ignore_user_permissions=search_flags(ignore_user_permissions),
		**kwargs,
	)


def frappes_method(name: str):
	"""Frappe's own method `frappe.client.<name>`; one that this Frappe version does not have answers as
	Frappe answers a method it cannot find (417), never as a server error. v15 has `validate_link`, v16
	`validate_link_and_fetch` instead."""
	import frappe.client

	method = getattr(frappe.client, name, None)
	if method is None:
		frappe.throw(
			_("Failed to get method for command {0} with {1}").format(
				f"frappe.client.{name}", "AttributeError"
			)
		)
	return method


@frappe.whitelist()
def validate_link(doctype: str, docname: str, fields=None):
	"""Frappe v15's link check; to a partner session, a document it may not read answers as one that does
	not exist (Frappe checks the doctype's permission, not the document's)."""
	frappe_validate_link = frappes_method("validate_link")
	if not may_confirm_link(doctype, docname):
		# what Frappe answers for a name that does not exist
		return frappe._dict(name=None)
	return frappe_validate_link(doctype, docname, fields=fields)


@frappe.whitelist()
def validate_link_and_fetch(
	doctype: str,
	docname: str,
	fields_to_fetch: list[str] | str | None = None,
	query: str | None = None,
	filters: dict | list | str | None = None,
	**search_args,
):
	"""Frappe v16's link check (it runs `search_widget`, which takes `ignore_user_permissions` from the
	request): the same rules as `validate_link` and `search_link` for a partner session."""
	frappe_validate_link_and_fetch = frappes_method("validate_link_and_fetch")
	if not may_confirm_link(doctype, docname):
		return {}  # what Frappe answers for a name that does not exist
	search_args.pop("cmd", None)
	if "ignore_user_permissions" in search_args:
		search_args["ignore_user_permissions"] = search_flags(search_args["ignore_user_permissions"])
	return frappe_validate_link_and_fetch(
		doctype, docname, fields_to_fetch=fields_to_fetch, query=query, filters=filters, **search_args
	)


@frappe.whitelist()
def get_count(**kwargs) -> int:
	"""Frappe's list count (it reads the request's `form_dict`, as Frappe's does); a restricted
	salesperson's capped count of Opportunities counts their own first (`permissions.count_own_first`)."""
	from frappe.desk.reportview import get_count as frappe_get_count

	return count_own_first(lambda: frappe.call(frappe_get_count, **frappe.local.form_dict))


@frappe.whitelist()
@frappe.read_only()
def get(**kwargs):
	"""Frappe's list page (it reads the request's `form_dict`); a restricted salesperson's page of
	Opportunities, newest first, is read through the indexes first (`newest_page.read_newest_page`). On a
	site with a read replica the look-up reads it too, as Frappe's method does (nested `read_only` keeps
	the connection it found)."""
	from frappe.desk.reportview import get as frappe_get

	return read_newest_page(lambda: frappe.call(frappe_get, **frappe.local.form_dict))
