"""Connections added to ERPNext forms (hooks.override_doctype_dashboards)."""

from frappe import _


def opportunity(data):
	data.setdefault("non_standard_fieldnames", {})["Customer"] = "opportunity_name"
	data.setdefault("transactions", []).append(
		{"label": _("Opportunity CRM"), "items": ["Customer", "Sales Order", "Deal Registration"]}
	)
	# the movement log (`Opportunity Movement.opportunity`, the dashboard's own fieldname)
	data["transactions"].append({"label": _("Movements"), "items": ["Opportunity Movement"]})
	return data


def lead(data):
	"""The Deal Registration the Lead was made (or reused) for (`Deal Registration.lead`)."""
	if data.get("fieldname") != "lead":
		data.setdefault("non_standard_fieldnames", {})["Deal Registration"] = "lead"
	data.setdefault("transactions", []).append({"label": _("Channel"), "items": ["Deal Registration"]})
	return data


def sales_partner(data):
	data = add_opportunities(data, "sales_partner")
	if data["fieldname"] != "sales_partner":
		data.setdefault("non_standard_fieldnames", {})["Deal Registration"] = "sales_partner"
	data["transactions"].insert(1, {"label": _("Channel"), "items": ["Deal Registration"]})
	return data


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
