"""Connections added to ERPNext forms (hooks.override_doctype_dashboards)."""

from frappe import _


def opportunity(data):
	data.setdefault("non_standard_fieldnames", {})["Customer"] = "opportunity_name"
	data.setdefault("transactions", []).append(
		{"label": _("Opportunity CRM"), "items": ["Customer", "Sales Order"]}
	)
	return data


def sales_partner(data):
	return add_opportunities(data, "sales_partner")


def sales_person(data):
	return add_opportunities(data, "sales_person")


def add_opportunities(data, fieldname):
	"""Opportunity has a plain field `fieldname`; other transactions keep their own link field."""
	if data.get("fieldname") and data["fieldname"] != fieldname:
		data.setdefault("non_standard_fieldnames", {})["Opportunity"] = fieldname
	else:
		data["fieldname"] = fieldname
	data.setdefault("transactions", []).insert(0, {"label": _("Pre Sales"), "items": ["Opportunity"]})
	return data
