"""Addresses and Contacts are linked to records through their `links` table (Dynamic Link)."""

import frappe
from frappe import _
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


def count_linked_records(
	link_doctype: str, link_name: str, exclude: str | None = None, for_update: bool = False
) -> dict[str, int]:
	"""How many Addresses and Contacts are linked to the given record: {"Address": n, "Contact": m}.

	`exclude`: leave out the Address/Contact of that name. `for_update`: a locking read, which sees the
	links that concurrent transactions committed and keeps them until this transaction ends."""
	dynamic_link = frappe.qb.DocType("Dynamic Link")
	condition = (
		(dynamic_link.link_doctype == link_doctype)
		& (dynamic_link.link_name == link_name)
		& dynamic_link.parenttype.isin(LINKED_DOCTYPES)
	)
	if exclude:
		condition &= dynamic_link.parent != exclude
	query = (
		frappe.qb.from_(dynamic_link)
		.select(dynamic_link.parenttype, Count(dynamic_link.parent).distinct())
		.where(condition)
		.groupby(dynamic_link.parenttype)
	)
	if for_update:
		query = query.for_update()
	counts = dict.fromkeys(LINKED_DOCTYPES, 0)
	counts.update({parenttype: count for parenttype, count in query.run()})
	return counts


def copy_links(
	from_doctype: str,
	from_name: str,
	to_doctype: str,
	to_name: str,
	new_target: bool = False,
	ignore_permissions: bool = False,
) -> None:
	"""Link every Address and Contact of one record to another as well (the first keeps its links).
	`new_target`: the other record was just created, so none of them can be linked to it yet."""
	add_links(
		get_linked_records(from_doctype, from_name), to_doctype, to_name, new_target, ignore_permissions
	)


def add_links(
	records: list[tuple[str, str]],
	link_doctype: str,
	link_name: str,
	new_target: bool = False,
	ignore_permissions: bool = False,
) -> None:
	"""Add a `links` row pointing at (link_doctype, link_name) to each Address/Contact that lacks one.

	Rows are inserted directly, in one statement, rather than by saving each Address and Contact: linking
	is not an edit of the address, and a conversion must not fail on an unrelated, older validation of
	one of them. It still changes each record, so it is done as a save would do it: the session user
	must be allowed to write each one (the caller passes `ignore_permissions` for its document's
	`flags.ignore_permissions`, as Frappe does for linked writes), each one's `modified` moves (so that a
	form opened before is refused by Frappe's timestamp check when it is saved, instead of dropping the
	new link), and open forms and lists hear of the change once it is committed.
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
	touched = sorted({tuple(record) for record in records} - already_linked)
	if not touched:
		return
	if not ignore_permissions:
		require_write(touched, link_doctype, link_name)

	last_idx = {
		(parenttype, parent): idx
		for parenttype, parent, idx in frappe.qb.from_(dynamic_link)
		.select(dynamic_link.parenttype, dynamic_link.parent, Max(dynamic_link.idx))
		.where(dynamic_link.parent.isin(parents) & dynamic_link.parenttype.isin(LINKED_DOCTYPES))
		.groupby(dynamic_link.parenttype, dynamic_link.parent)
		.run()
	}

	stamp, user = now(), frappe.session.user
	# Like a save: the records' own rows first (locked in name order), then their child rows.
	mark_modified(touched, stamp, user)
	rows = [
		(
			frappe.generate_hash(length=10),
			stamp,
			stamp,
			user,
			user,
			0,
			(last_idx.get((parenttype, parent)) or 0) + 1,
			parent,
			"links",
			parenttype,
			link_doctype,
			link_name,
		)
		for parenttype, parent in touched
	]
	frappe.db.bulk_insert("Dynamic Link", LINK_COLUMNS, rows)
	notify_update(touched, stamp)


def require_write(records: list[tuple[str, str]], link_doctype: str, link_name: str) -> None:
	"""The session user may write each Address/Contact that is about to get a link (403 otherwise)."""
	for parenttype, parent in records:
		if not frappe.has_permission(parenttype, "write", doc=parent):
			frappe.throw(
				_(
					"You are not permitted to change {0} {1}: linking it to {2} {3} (field Links) needs write permission on it."
				).format(_(parenttype), frappe.bold(parent), _(link_doctype), frappe.bold(link_name)),
				frappe.PermissionError,
				title=_("Not permitted"),
			)


def mark_modified(records: list[tuple[str, str]], stamp: str, user: str) -> None:
	"""Move `modified` and `modified_by` of the records: one statement per doctype."""
	for doctype in LINKED_DOCTYPES:
		names = [name for parenttype, name in records if parenttype == doctype]
		if not names:
			continue
		table = frappe.qb.DocType(doctype)
		(
			frappe.qb.update(table)
			.set(table.modified, stamp)
			.set(table.modified_by, user)
			.where(table.name.isin(names))
			.run()
		)
		for name in names:
			frappe.clear_document_cache(doctype, name)


def notify_update(records: list[tuple[str, str]], modified: str) -> None:
	"""Frappe's `Document.notify_update` of each record, as its save would call it: after the commit, open
	forms of it learn that it changed (and to which `modified`) and open lists of its doctype refresh.
	It reads the record's doctype, name and `modified` only, so it runs on a document made of those three,
	not on the record loaded from the database (3 statements per Contact, 2 per Address, issue 19)."""
	for doctype, name in records:
		frappe.get_doc({"doctype": doctype, "name": name, "modified": modified}).notify_update()
