"""Opportunity Data Health: one row per record of the site's history that breaks a rule, with what
resolves it and, where the fix is mechanical, an action. The queries live in
`opportunity_crm.opportunities.data_health`; the user's permissions apply."""

import frappe
from frappe import _

from opportunity_crm.opportunities.data_health import ROW_LIMIT, get_problems


def execute(filters=None):
	filters = frappe._dict(filters or {})
	rows, truncated = get_problems(filters.get("company"), filters.get("problem"))
	message = None
	if truncated:
		message = _(
			"Only the first {0} rows of each of these problems are shown: {1}. Resolve them, or filter by Company, to see the next ones."
		).format(ROW_LIMIT, ", ".join(_(problem) for problem in truncated))
	return get_columns(), rows, message, None, get_summary(rows)


def get_columns() -> list[dict]:
	return [
		{"fieldname": "problem", "label": _("Problem"), "fieldtype": "Data", "width": 150},
		# Data, not Link DocType: the record's doctype, read by the Dynamic Link column (a Link column would
		# make Frappe filter the rows by the user's access to DocType records)
		{"fieldname": "record_doctype", "label": _("Record Type"), "fieldtype": "Data", "hidden": 1},
		{
			"fieldname": "record",
			"label": _("Record"),
			"fieldtype": "Dynamic Link",
			"options": "record_doctype",
			"width": 140,
		},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 70},
		{"fieldname": "company", "label": _("Company"), "fieldtype": "Data", "width": 90},
		{"fieldname": "related", "label": _("Related Records"), "fieldtype": "Data", "width": 140},
		# every column within a 1440 px screen; the two sentences wrap over the row's four lines (the report's JS)
		{"fieldname": "details", "label": _("Details"), "fieldtype": "Data", "width": 200},
		{"fieldname": "resolution", "label": _("Resolution"), "fieldtype": "Data", "width": 300},
		{"fieldname": "action", "label": _("Action"), "fieldtype": "Data", "width": 140},
	]


def get_summary(rows: list[dict]) -> list[dict]:
	"""How many rows of each problem, above the table."""
	counts = {}
	for row in rows:
		counts[row.problem] = counts.get(row.problem, 0) + 1
	return [
		{"label": problem, "value": count, "datatype": "Int", "indicator": "Red"}
		for problem, count in counts.items()
	]
