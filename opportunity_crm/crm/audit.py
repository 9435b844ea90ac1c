"""Timeline entries for conversions: who turned what into what."""

import frappe
from frappe import _
from frappe.utils import get_fullname, get_link_to_form, now

COLUMNS = (
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"comment_type",
	"reference_doctype",
	"reference_name",
	"comment_email",
	"content",
)


def record_conversion(source: tuple[str, str], target: tuple[str, str], *also: tuple[str, str]) -> None:
	"""Add an Info comment to the timeline of the source, the target and any `also` record."""
	content = _("{0} converted {1} {2} into {3} {4}").format(
		frappe.bold(get_fullname(frappe.session.user)),
		_(source[0]),
		get_link_to_form(*source),
		_(target[0]),
		get_link_to_form(*target),
	)
	# One statement for all entries: a conversion's cost should not grow by a document insert per entry.
	stamp, user = now(), frappe.session.user
	rows = [
		(frappe.generate_hash(length=10), stamp, stamp, user, user, "Info", doctype, name, user, content)
		for doctype, name in (source, target, *also)
	]
	frappe.db.bulk_insert("Comment", COLUMNS, rows)
