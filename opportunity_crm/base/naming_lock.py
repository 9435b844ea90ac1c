"""The naming-series row of a new document, locked before anything else is read.

Frappe names a document from a naming series by locking its `tabSeries` row (`SELECT … FOR UPDATE` in
`frappe.model.naming.getseries`) in the middle of the insert. On MariaDB 11.6.2 and later
(`innodb_snapshot_isolation` ON, the default; MariaDB 11.8 is Frappe v16's database), a locking read of a
row that another transaction changed after this one's first plain read fails with 1020 "Record has changed
since last read": every conversion that waited for the series row behind another one would fail.

A transaction reads from a snapshot taken at its first plain read, and a locking read takes none. So a
call that starts a fresh transaction, locks the series row first and reads afterwards sees the row as the
previous holder left it, and names its document without an error; concurrent calls queue on the row (as
they did at the insert) instead of failing. `base.atomic.run_retrying` starts each attempt in a fresh
transaction when it owns it.
"""

import frappe
from frappe.model.naming import NamingSeries

# parts of a naming series that do not depend on the document (frappe.model.naming.parse_naming_series)
DATE_PARTS = {"YY", "MM", "DD", "YYYY", "WW"}


def lock_naming_series(doctype: str) -> None:
	"""Lock the `tabSeries` row that naming a new `doctype` will lock, if its key is known before the
	document is made (a series of literals and date parts, e.g. ERPNext's `CRM-OPP-.YYYY.-`)."""
	if key := static_series_key(doctype):
		series = frappe.qb.DocType("Series")
		frappe.qb.from_(series).select(series.current).where(series.name == key).for_update().run()


def static_series_key(doctype: str) -> str | None:
	"""The `tabSeries` key of a new `doctype`'s default naming series, or None when the series has a part
	taken from the document (a field, `{field}`, an app's variable) or the time of day."""
	naming_series = frappe.new_doc(doctype).get("naming_series")
	if not naming_series or not isinstance(naming_series, str):
		return None
	series = NamingSeries(naming_series)
	meta = frappe.get_meta(doctype)
	variables = frappe.get_hooks("naming_series_variables") or {}
	for part in series.series.split("."):
		if part.startswith("#") or part in DATE_PARTS or not part:
			continue
		if "{" in part or part == "timestamp" or meta.has_field(part) or part in variables:
			return None
	return series.get_prefix()
