"""The Opportunity list's columns as the app ships them: a List View Settings record, made at install (and
by a patch) where the site has none, as a user's List Settings ▸ Fields would make it.

Frappe's list shows the title, the status and then the doctype's `in_list_view` fields in form order, at
most 6 columns on a 1440 px screen: ERPNext's own (series, Opportunity From, type) come first, and the
app's Sales Partner, Sales Person and Weighted Amount fell off. The record orders them first and names the
number of columns. A site's own record (made or edited in List Settings) stays as it is; uninstall takes
away the record only while it is still the app's.
"""

import json

import frappe

DOCTYPE = "Opportunity"
# "status_field" is how List View Settings names the status indicator column
COLUMNS = (
	("status_field", "Status"),
	("sales_partner", "Sales Partner"),
	("sales_person", "Sales Person"),
	("weighted_amount", "Weighted Amount"),
)
# the title and the tags take the first two
TOTAL_FIELDS = str(2 + len(COLUMNS))


def shipped_fields() -> str:
	return json.dumps([{"fieldname": fieldname, "label": label} for fieldname, label in COLUMNS])


def has_total_fields() -> bool:
	"""Frappe v15's List View Settings names its number of columns; v16's has no such field."""
	return frappe.get_meta("List View Settings").has_field("total_fields")


def ship() -> None:
	"""The app's List View Settings for Opportunity, where the site has none."""
	if frappe.db.exists("List View Settings", DOCTYPE):
		return
	doc = frappe.new_doc("List View Settings")
	doc.name = DOCTYPE
	if has_total_fields():
		doc.total_fields = TOTAL_FIELDS
	doc.fields = shipped_fields()
	doc.insert(ignore_permissions=True)


def remove() -> None:
	"""Uninstall: the record, unless the site changed it since."""
	fields = ["fields", "total_fields"] if has_total_fields() else ["fields"]
	values = frappe.db.get_value("List View Settings", DOCTYPE, fields, as_dict=True)
	if (
		values
		and values.get("total_fields", TOTAL_FIELDS) == TOTAL_FIELDS
		and json.loads(values.fields or "[]") == json.loads(shipped_fields())
	):
		frappe.delete_doc("List View Settings", DOCTYPE, ignore_permissions=True, force=True)
