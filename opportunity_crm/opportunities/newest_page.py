"""A restricted salesperson's Opportunity list, page by page newest first, read through indexes.

The desk asks for a page of Opportunities sorted by `modified` (Frappe 15) or `creation` (16), newest first.
A salesperson may read their own (`sales_person`) and those whose Sales Team they are in. Which of those
are the newest is in two indexes: (sales_person, modified | creation) on Opportunity and (sales_person,
parenttype, modified | creation) on Sales Team, whose rows carry their Opportunity's `modified`
(`sales_team.keep_rows_modified_with_the_opportunity`) and `creation` (Frappe writes the parent's on each
new row). So the `start + page_length` newest Opportunities the user may read are found by reading that
many entries per Sales Person from each index (one statement), and the page is Frappe's own query with the
app's condition narrowed to those names (`permissions.opportunity_conditions`, `page_names`): a primary-key
look-up per name and a sort of that many rows, wherever they lie in the table. Where the user's own
Opportunities fill the page among the site's newest (`permissions.own_among_newest`, a kept statistic),
reading `modified` backwards row by row is cheaper still (no look-up first: each Sales Person's entries
cost about 0.3 ms, a team lead of 10 about 7) and `permissions.newest_first_page` keeps that form.

The names are a hint, never access: the whole row-level condition is kept beside them. And the page is
Frappe's answer only when it is whole: `page_length` rows, each one of the names. Then no other row can
belong to it — every other Opportunity the user may read is older than all those names, and the rows the
names left out of the query (those filters or User Permissions refuse) cannot be on it either. Otherwise
(filters that leave fewer rows, a user with fewer Opportunities than the page, shared documents older than
the names) Frappe's query runs again with the ordinary condition. Measured in benchmarks/list_page.py.

What the Sales Team index cannot see: an Opportunity's `modified` written without a document event
(`frappe.db.set_value` or SQL; ERPNext and this app never do so on Opportunity, Frappe where a rename
carries assignments over) leaves its team rows older until its next save or `db_set`, and a team member
(not its Sales Person) may then see it lower on the list than its `modified` puts it.
"""

from collections.abc import Callable

import frappe
from frappe.utils import cint

from opportunity_crm.opportunities.permissions import get_restrictions, own_among_newest

# The desk's list page (`form_dict.cmd`); `reportview.get_list` and the REST API keep the ordinary form.
LIST_PAGE_METHOD = "frappe.desk.reportview.get"
# The orders the indexes give: the list's default (Frappe 15 `modified`, 16 `creation`), newest first.
SORT_COLUMNS = ("modified", "creation")
# Past these, the ordinary condition: a deep page or a large team makes the look-up itself the cost.
MOST_ROWS = 500
MOST_SALES_PERSONS = 50


def read_newest_page(get: Callable[[], dict | list]) -> dict | list:
	"""`get()` (Frappe's `reportview.get`, reading `form_dict`) for a restricted salesperson's list page
	of Opportunities: first narrowed to the newest names the indexes give, and again as Frappe asks it when
	that page is not whole."""
	page = planned_page()
	if page is None:
		return get()
	restrictions, names, page_length = page
	restrictions.page_names = names
	try:
		data = get()
	finally:
		restrictions.page_names = None
	if is_whole(data, names, page_length):
		return data
	return get()


def planned_page() -> tuple | None:
	"""(restrictions, the names, page_length) for a list page the indexes can serve, else None."""
	form = getattr(frappe.local, "form_dict", None) or {}
	if form.get("cmd") != LIST_PAGE_METHOD or form.get("doctype") != "Opportunity" or form.get("group_by"):
		return None
	page_length = cint(form.get("page_length"))
	wanted = cint(form.get("start")) + page_length
	column = sort_column(form.get("order_by"))
	if not page_length or wanted > MOST_ROWS or not column:
		return None
	restrictions = get_restrictions(frappe.session.user)
	if not restrictions or not restrictions.sales_persons:
		return None
	if len(restrictions.sales_persons) > MOST_SALES_PERSONS:
		return None
	if column == "modified" and own_among_newest(restrictions.sales_persons) >= wanted:
		return None  # their own fill the page among the site's newest: read row by row, no look-up first
	names = newest_names(restrictions.sales_persons, column, wanted)
	if names is None:
		return None
	return restrictions, names, page_length


def sort_column(order_by: str | None) -> str | None:
	"""`modified` or `creation` when the list is sorted by it, newest first (its first term)."""
	first = (order_by or "").split(",")[0].replace("`", "").strip().lower().split()
	if len(first) != 2 or first[1] != "desc":
		return None
	column = first[0].removeprefix("tabopportunity.")
	return column if column in SORT_COLUMNS else None


def newest_names(sales_persons: list[str], column: str, wanted: int) -> set[str] | None:
	"""The `wanted` newest (by `column`) Opportunities of `sales_persons`, as Sales Person or in the Sales
	Team: the `wanted` newest entries of each index per Sales Person, merged. None when the user has fewer
	(the ordinary condition is quick for them) or a team repeats a Sales Person past the entries read."""
	parts = []
	for person in sales_persons:
		person = frappe.db.escape(person)
		parts.append(
			f"(select `name`, `{column}` `at`, '' `team` from `tabOpportunity` where `sales_person` = {person}"
			f" order by `{column}` desc limit {wanted})"
		)
		parts.append(
			f"(select `parent`, `{column}`, {person} from `tabSales Team` where `sales_person` = {person}"
			" and `parenttype` = 'Opportunity' and `parentfield` = 'sales_team'"
			f" order by `{column}` desc limit {wanted})"
		)
	newest, team_rows = {}, {}
	for name, at, team in frappe.db.sql(" union all ".join(parts)):
		if name not in newest or at > newest[name]:
			newest[name] = at
		if team:
			team_rows.setdefault(team, []).append(name)
	if any(len(rows) == wanted and len(set(rows)) < wanted for rows in team_rows.values()):
		return None  # one Opportunity's team names the Sales Person twice: fewer Opportunities than read
	if len(newest) < wanted:
		return None
	return set(sorted(newest, key=newest.get, reverse=True)[:wanted])


def is_whole(data, names: set[str], page_length: int) -> bool:
	"""`reportview.get`'s answer ({keys, values}) holds `page_length` rows, each one of `names`."""
	if not isinstance(data, dict) or "name" not in (data.get("keys") or []):
		return False
	values = data.get("values") or []
	at = data["keys"].index("name")
	return len(values) == page_length and all(row[at] in names for row in values)
