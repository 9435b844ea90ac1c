"""Set-based work over every Opportunity, a chunk at a time: (lo, hi] bounds in `name` order (keyset
pagination), one commit per chunk; Python holds one chunk boundary at a time, whatever the number of
Opportunities. Used by the install backfills and the patches."""

import frappe

BACKFILL_CHUNK = 1000


def update_in_chunks(update_between, size: int) -> int:
	"""Run `update_between(lo, hi)` (a set-based UPDATE of the Opportunities named in (lo, hi], returning
	how many rows it changed) over every Opportunity, a commit per chunk of `size`; return the total."""
	changed = 0
	for bounds in opportunity_chunks(size):
		changed += update_between(bounds["lo"], bounds["hi"])
		frappe.db.commit()
	return changed


def opportunity_chunks(size: int):
	"""(lo, hi] bounds of consecutive chunks of `size` Opportunities in `name` order."""
	lo = ""
	while True:
		hi = frappe.db.sql(
			"""select max(name) from (
				select name from `tabOpportunity` where name > %(lo)s order by name limit %(size)s
			) chunk""",
			{"lo": lo, "size": size},
		)[0][0]
		if hi is None:
			return
		yield {"lo": lo, "hi": hi}
		lo = hi


def run_counted(query: str, values: dict) -> int:
	"""Run a write statement; return how many rows it changed.

	"No such row" is written as a LEFT JOIN … IS NULL, not NOT EXISTS: inside an UPDATE, MariaDB turns
	NOT EXISTS into a materialised NOT IN over the whole table (every Opportunity holding a Lead, say) for
	each chunk, where the anti-join reads one index entry per row."""
	frappe.db.sql(query, values)
	return frappe.db._cursor.rowcount or 0


def add_indexes(indexes_by_doctype: dict) -> None:
	"""Create the indexes that do not exist yet (`frappe.db.add_index` checks by name)."""
	for doctype, indexes in indexes_by_doctype.items():
		for index_name, columns in indexes.items():
			frappe.db.add_index(doctype, list(columns), index_name)
