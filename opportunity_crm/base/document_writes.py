"""Writes the app makes to a record outside its form (a conversion, a merge), made through the document so
that its own events run: `Document.db_set` runs `before_change` and `on_change` (for an Opportunity: the
forecast category its status imposes, the pipeline movement log) and `save_version` leaves the Version a
save would leave. Not `save()`: these writes change one or two fields the rules give to the conversion, and
must not fail on what the rules would ask of the rest of the record (a Sales Person who left since)."""

import frappe


def set_through_document(doctype: str, name: str, values: dict, update_modified: bool = True):
	"""Set `values` on the record `name`, locked, through its document; only the fields that change are
	written. Returns the document (None when there is no such record)."""
	if not frappe.db.exists(doctype, name):
		return None
	doc = frappe.get_doc(doctype, name, for_update=True)
	set_on_document(doc, values, update_modified)
	return doc


def set_on_document(doc, values: dict, update_modified: bool = True) -> dict:
	"""`set_through_document` for a document already loaded (and locked); returns what changed."""
	changed = {field: value for field, value in values.items() if doc.get(field) != value}
	if changed:
		doc.db_set(changed, update_modified=update_modified, notify=True)
		doc.save_version()
	return changed
