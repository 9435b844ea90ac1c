"""Addresses and Contacts are linked to records through their `links` table (Dynamic Link)."""

import frappe
from frappe.query_builder.functions import Count, Max
from frappe.utils import now

LINKED_DOCTYPES = ("Address", "Contact")
LINK_COLUMNS = (
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"idx",
	"parent",
	"parentfield",
	"parenttype",
	"link_doctype",
	"link_name",
)


def get_linked_records(link_doctype: str, link_name: str) -> list[tuple[str, str]]:
	"""(parenttype, parent) of every Address and Contact linked to the given record."""
	dynamic_link = frappe.qb.DocType("Dynamic Link")
	rows = (
		frappe.qb.from_(dynamic_link)
		.select(dynamic_link.parenttype, dynamic_link.parent)
		.distinct()
		.where(
			(dynamic_link.link_doctype == link_doctype)
			& (dynamic_link.link_name == link_name)
			& dynamic_link.parenttype.isin(LINKED_DOCTYPES)
		)
		.run()
	)
	return [(parenttype, parent) for parenttype, parent in rows]


def count_linked_records(link_doctype: str, link_name: str) -> dict[str, int]:
	"""How many Addresses and Contacts are linked to the given record: {"Address": n, "Contact": m}."""
	dynamic_link = frappe.qb.DocType("Dynamic Link")
	rows = (
		frappe.qb.from_(dynamic_link)
		.select(dynamic_link.parenttype, Count(dynamic_link.parent).distinct())
		.where(
			(dynamic_link.link_doctype == link_doctype)
			& (dynamic_link.link_name == link_name)
			& dynamic_link.parenttype.isin(LINKED_DOCTYPES)
		)
		.groupby(dynamic_link.parenttype)
		.run()
	)
	counts = dict.fromkeys(LINKED_DOCTYPES, 0)
	counts.update({parenttype: count for parenttype, count in rows})
	return counts


def copy_links(
	from_doctype: str, from_name: str, to_doctype: str, to_name: str, new_target: bool = False
) -> None:
	"""Link every Address and Contact of one record to another as well (the first keeps its links).
	`new_target`: the other record was just created, so none of them can be linked to it yet."""
	add_links(get_linked_records(from_doctype, from_name), to_doctype, to_name, new_target)


def add_links(
	records: list[tuple[str, str]], link_doctype: str, link_name: str, new_target: bool = False
) -> None:
	"""Add a `links` row pointing at (link_doctype, link_name) to each Address/Contact that lacks one.

	Rows are inserted directly, in one statement, rather than by saving each Address and Contact: linking
	is not an edit of the address, and a conversion must not fail on an unrelated, older validation of
	one of them.
	"""
	if not records:
		return

	parents = sorted({parent for _parenttype, parent in records})
	dynamic_link = frappe.qb.DocType("Dynamic Link")
	already_linked = set()
	if not new_target:
		already_linked = set(
			frappe.qb.from_(dynamic_link)
			.select(dynamic_link.parenttype, dynamic_link.parent)
			.where(
				(dynamic_link.link_doctype == link_doctype)
				& (dynamic_link.link_name == link_name)
				& dynamic_link.parent.isin(parents)
			)
			.run()
		)
	last_idx = dict(
		frappe.qb.from_(dynamic_link)
		.select(dynamic_link.parent, Max(dynamic_link.idx))
		.where(dynamic_link.parent.isin(parents) & dynamic_link.parenttype.isin(LINKED_DOCTYPES))
		.groupby(dynamic_link.parent)
		.run()
	)

	stamp, user = now(), frappe.session.user
	rows = []
	for parenttype, parent in sorted(set(records)):
		if (parenttype, parent) in already_linked:
			continue
		last_idx[parent] = (last_idx.get(parent) or 0) + 1
		name = frappe.generate_hash(length=10)
		rows.append(
			(
				name,
				stamp,
				stamp,
				user,
				user,
				0,
				last_idx[parent],
				parent,
				"links",
				parenttype,
				link_doctype,
				link_name,
			)
		)
	frappe.db.bulk_insert("Dynamic Link", LINK_COLUMNS, rows)
