"""Row-level access to Opportunities (and their Customers, Quotations and Sales Orders), through Frappe's
permission hooks, so that it holds on every path: form, list, report view, link search, REST, exports,
`frappe.client`, reports and the app's own methods.

- A user who is a Sales Person (Sales Person → Employee → User) sees and edits only Opportunities of their
  Sales Person or of one below it in the tree, as the Opportunity's Sales Person or as a member of its
  Sales Team (split credit, overlay rows included), and only the Customers, Quotations and Sales Orders
  of those Opportunities.
- A user with a User Permission on Sales Partner sees only those partners' Opportunities, and the
  Quotations and Sales Orders of those Opportunities (or of those partners).
- Sales Managers, System Managers and Administrator see everything; so does everyone while the switch in
  Opportunity CRM Settings is off.
"""

import hashlib
from collections.abc import Callable

import frappe
from frappe import _
from frappe.desk.reportview import get_match_cond
from frappe.model.document import Document
from frappe.permissions import get_user_permissions
from frappe.utils import cint
from frappe.utils.caching import request_cache

from opportunity_crm.base.chunks import add_indexes
from opportunity_crm.constants.roles import UNRESTRICTED_ROLES

SETTINGS = "Opportunity CRM Settings"


def is_enabled() -> bool:
	"""The switch, from the cached settings (no query per request): Frappe drops the cached document when
	the settings are saved or set (`set_single_value`), and again after that transaction's commit or
	rollback."""
	return bool(frappe.get_cached_value(SETTINGS, SETTINGS, "enable_row_level_access"))


@request_cache
def get_restrictions(user: str) -> frappe._dict | None:
	"""What limits `user`: {"sales_persons": [...] or None, "sales_partners": [...] or None}, or None
	when nothing does."""
	if user == "Administrator" or not is_enabled() or set(UNRESTRICTED_ROLES) & set(frappe.get_roles(user)):
		return None
	restrictions = frappe._dict(
		# team_opportunities: looked up when a query first needs it (sales_person_condition)
		sales_persons=get_sales_persons(user),
		sales_partners=get_sales_partners(user),
		team_opportunities=None,
	)
	if restrictions.sales_persons is None and restrictions.sales_partners is None:
		return None
	return restrictions


# The user's Sales Persons (theirs and those below in the tree), kept across requests per user: a
# restricted user's every list, form and report needs them, and they change only when an Employee (its
# User) or a Sales Person (its Employee, its place in the tree, its name) is saved, renamed or deleted;
# `forget_sales_persons` (doc_events in hooks.py) then drops them all.
SALES_PERSONS_CACHE = "opportunity_crm:sales_persons"


def get_sales_persons(user: str) -> list[str] | None:
	"""The user's own Sales Persons and every Sales Person below them; None if the user is none."""
	return frappe.cache.hget(SALES_PERSONS_CACHE, user, generator=lambda: find_sales_persons(user))


def forget_sales_persons(doc=None, method=None, *args, **kwargs) -> None:
	"""doc_events of Employee and Sales Person: drop every user's cached Sales Persons, now and again once
	the transaction ends (a request that read the old rows before the commit may have cached them; a
	rollback takes back what was cached from this transaction's rows)."""
	forget_cached_sales_persons()
	frappe.db.after_commit.add(forget_cached_sales_persons)
	frappe.db.after_rollback.add(forget_cached_sales_persons)


def forget_cached_sales_persons() -> None:
	frappe.cache.delete_value(SALES_PERSONS_CACHE)


def find_sales_persons(user: str) -> list[str] | None:
	employees = frappe.get_all("Employee", filters={"user_id": user}, pluck="name")
	if not employees:
		return None
	sales_person = frappe.qb.DocType("Sales Person")
	below = frappe.qb.DocType("Sales Person").as_("below")
	names = (
		frappe.qb.from_(sales_person)
		.join(below)
		.on((below.lft >= sales_person.lft) & (below.rgt <= sales_person.rgt))
		.select(below.name)
		.distinct()
		.where(sales_person.employee.isin(employees))
		.run(pluck=True)
	)
	return names or None


def get_sales_partners(user: str) -> list[str] | None:
	permissions = get_user_permissions(user).get("Sales Partner")
	if not permissions:
		return None
	return sorted({permission.doc for permission in permissions})


def sql_list(values: list[str]) -> str:
	return ", ".join(frappe.db.escape(value) for value in values)


def partner_opportunities_sql(partners: list[str]) -> str:
	return f"select `name` from `tabOpportunity` where `sales_partner` in ({sql_list(partners)})"


# permission_query_conditions -------------------------------------------------------------------------


def opportunity_conditions(user: str | None = None, doctype: str | None = None) -> str:
	restrictions = get_restrictions(user or frappe.session.user)
	if not restrictions:
		return ""
	if restrictions.get("own_only"):
		return restrictions_condition(restrictions, form="own")
	if restrictions.get("page_names"):  # the list page's newest names (`newest_page`): a hint beside the rule
		names = sql_list(sorted(restrictions.page_names))
		return (
			f"`tabOpportunity`.`name` in ({names}) and {restrictions_condition(restrictions, form='per row')}"
		)
	page = newest_first_page(restrictions)
	if page is None:
		return restrictions_condition(restrictions)
	condition = restrictions_condition(restrictions, form="per row")
	if page:  # the newest Opportunity the user may read: none newer is theirs, the scan starts there
		return f"`tabOpportunity`.`modified` <= {frappe.db.escape(str(page))} and {condition}"
	return condition


def restrictions_condition(restrictions, form: str = "") -> str:
	"""The condition on `tabOpportunity` for a restricted user. `form` "per row" or "own": the list page's
	(`per_row_sales_person_condition`, `count_own_first`); else the one for any query."""
	conditions = []
	if restrictions.sales_persons is not None:
		if form == "own":
			conditions.append(f"`tabOpportunity`.`sales_person` in ({sql_list(restrictions.sales_persons)})")
		elif form == "per row":
			conditions.append(per_row_sales_person_condition(restrictions))
		else:
			conditions.append(sales_person_condition(restrictions))
	if restrictions.sales_partners is not None:
		conditions.append(f"`tabOpportunity`.`sales_partner` in ({sql_list(restrictions.sales_partners)})")
	return " and ".join(conditions)


def sales_person_condition(restrictions) -> str:
	"""Their own or their team's Opportunities, as Sales Person or as a member of the Sales Team (split
	credit). The memberships on other Sales Persons' Opportunities are looked up first (an index on
	`tabSales Team.sales_person`) and named: `sales_person in (…) or name in (…)` lets MariaDB merge two
	index ranges (`sort_union`). Past TEAM_NAMES_LIMIT such memberships the list would outgrow the query:
	an `exists` on Sales Team takes over.

	Kept against a subquery the optimizer could use as a semi-join (issue 17), because it is faster where
	it applies. Measured at 1M Opportunities (benchmarks/access_condition.py: the two tables alone, median
	of 3, on 2 cores shared with a load of about 10, so the ratios count, not the seconds): a salesperson's
	count takes 1.5 s named, 3.7 s as `name in (select … from (own union team) …)` (a primary-key look-up
	per allowed Opportunity), 7.6 s as `… or name in (select …)` and 9.5 s as `exists` (both read every
	Opportunity); the first page of a list and a report sum rank the same. A team lead of 10 Sales Persons
	(330,000 Opportunities, 33,000 memberships) counts in 2.1 s named, 26 s with `exists` (where naming
	every membership sent them, past the limit) and 127 s as the semi-join: naming only the memberships on
	other Sales Persons' Opportunities (their own are matched by `sales_person` already) keeps such users
	under the limit. It costs a salesperson a little: naming every membership counted in 1.0 s (a look-up
	without the join to Opportunity)."""
	persons = sql_list(restrictions.sales_persons)
	own = f"`tabOpportunity`.`sales_person` in ({persons})"
	if restrictions.team_opportunities is None:
		restrictions.team_opportunities = team_opportunities(restrictions.sales_persons)
	teams = restrictions.team_opportunities
	if teams is False:
		return (
			f"({own} or exists (select 1 from `tabSales Team` `st`"
			" where `st`.`parent` = `tabOpportunity`.`name` and `st`.`parenttype` = 'Opportunity'"
			f" and `st`.`parentfield` = 'sales_team' and `st`.`sales_person` in ({persons})))"
		)
	if teams:
		return f"({own} or `tabOpportunity`.`name` in ({sql_list(teams)}))"
	return own


# The desk's Opportunity list asks for a page in the order of an index (`modified`, newest first) and for a
# count it caps (limit 1001). For the page, MariaDB reads `modified` backwards and stops after enough
# matches: what counts is the cost of the condition per row read, so the list page gets
# `per_row_sales_person_condition` where the user's Opportunities are common among the newest (else the
# scan would read most of the table: a salesperson with a handful of deals keeps the named form, which
# reaches them through the indexes). The count counts the user's own first (`count_own_first`).
LIST_PAGE_METHODS = ("frappe.desk.reportview.get", "frappe.desk.reportview.get_list")
# How many of the newest Opportunities are sampled, and for how long the number of the user's among them
# is kept (per set of Sales Persons): a statistic for choosing the form, never for deciding access.
NEWEST_SAMPLE = 1000
NEWEST_SAMPLE_SECONDS = 600
# (Not a density estimate: the user's rows need not be spread evenly. At 1M Opportunities a salesperson with
# 14 of the newest 1,000 had their next ones 103,000 rows further down: row by row read all of them, 340 ms,
# where the named form took 290.)


def newest_first_page(restrictions):
	"""For the desk's list of Opportunities sorted by `modified` (`form_dict.cmd`: the method the request
	calls) whose page the user's own Opportunities fill when read newest first: "" when they do among the
	site's newest NEWEST_SAMPLE, else the `modified` of the newest Opportunity the user may read when they
	do among the NEWEST_SAMPLE read from there (a user whose deals are all older than the site's newest: the
	scan starts at theirs instead of reading past everyone's newer rows). None: not such a page, or the
	user's Opportunities are too rare to be read row by row (the named form reaches them by the indexes)."""
	if restrictions.sales_persons is None:
		return None
	form = getattr(frappe.local, "form_dict", None) or {}
	if form.get("cmd") not in LIST_PAGE_METHODS or not cint(form.get("page_length")):
		return None
	if "modified" not in (form.get("order_by") or "modified"):
		return None
	wanted = cint(form.get("start")) + cint(form.get("page_length"))
	if own_among_newest(restrictions.sales_persons) >= wanted:
		return ""
	newest = newest_readable(restrictions.sales_persons)
	if newest and own_among_newest(restrictions.sales_persons, below=newest) >= wanted:
		return newest
	return None


def newest_readable(sales_persons: list[str]):
	"""The latest `modified` of the Opportunities the user may read through `sales_persons`: their own (the
	(sales_person, modified) index, one look-up per Sales Person) and those whose Sales Team they are in
	(the memberships by their index, each Opportunity by its key). Read per request: any save moves it."""
	persons = sql_list(sales_persons)
	return frappe.db.sql(
		f"""select greatest(
			coalesce((select max(`modified`) from `tabOpportunity` where `sales_person` in ({persons})), 0),
			coalesce((select max(`o`.`modified`) from `tabSales Team` `st`
				join `tabOpportunity` `o` on `o`.`name` = `st`.`parent`
				where `st`.`parenttype` = 'Opportunity' and `st`.`parentfield` = 'sales_team'
				and `st`.`sales_person` in ({persons})), 0))"""
	)[0][0]


def own_among_newest(sales_persons: list[str], below=None) -> int:
	"""How many of the NEWEST_SAMPLE newest Opportunities (`below`: modified at or before it) are of
	`sales_persons`, kept NEWEST_SAMPLE_SECONDS (the site's newest) or read now (below a point in time)."""
	since = f"where `modified` <= {frappe.db.escape(str(below))}" if below else ""
	sample = f"""select count(*) from (select `sales_person` from `tabOpportunity` {since}
		order by `modified` desc limit {NEWEST_SAMPLE}) `newest`
		where `newest`.`sales_person` in ({sql_list(sales_persons)})"""
	if below:
		return frappe.db.sql(sample)[0][0]
	key = (
		"opportunity_crm:own_among_newest:"
		+ hashlib.sha1("\n".join(sorted(sales_persons)).encode()).hexdigest()
	)
	count = frappe.cache.get_value(key, expires=True)
	if count is None:
		count = frappe.db.sql(sample)[0][0]
		frappe.cache.set_value(key, count, expires_in_sec=NEWEST_SAMPLE_SECONDS)
	return count


def count_own_first(count: Callable[[], int]) -> int:
	"""`count()` (Frappe's list count, reading `form_dict`) for a restricted salesperson's capped count of
	Opportunities: first with their own Opportunities only (`sales_person in (…)`, an index range that
	stops at the cap), which answers when it reaches the cap — the whole set holds those rows, so its
	capped count is the cap too —, else with the whole condition."""
	form = getattr(frappe.local, "form_dict", None) or {}
	limit = cint(form.get("limit"))
	restrictions = get_restrictions(frappe.session.user) if form.get("doctype") == "Opportunity" else None
	if limit and restrictions and restrictions.sales_persons is not None:
		restrictions.own_only = True
		try:
			own = count()
		finally:
			restrictions.own_only = False
		if own == limit:  # capped (a Frappe that counted past the limit gets the whole count below)
			return own
	return count()


def per_row_sales_person_condition(restrictions) -> str:
	"""`sales_person_condition`'s rule for the list page: own, else a look-up of the Opportunity's Sales
	Team by `parent` (an index), one per row read, as a scalar subquery so that MariaDB neither turns it
	into a semi-join nor materializes the user's memberships first. Nothing is looked up in Python, and the
	optimizer keeps reading `modified` backwards and stopping after the page: at 1M Opportunities
	(benchmarks/list_page.py, 1 of 30 Sales Persons, a Sales Team on 10 %) a salesperson's first page took
	640 ms of SQL with the names (a `sort_union` of all 36,000 allowed rows, then a sort) after 260 ms to look
	3,300 names up, and 2.5 to 7 ms this way (about 540 rows read). Reports, full counts and the list of a
	user whose Opportunities are rare among the newest keep `sales_person_condition`: where most rows are
	to be read, the indexes it lets MariaDB use win."""
	persons = sql_list(restrictions.sales_persons)
	return (
		f"(`tabOpportunity`.`sales_person` in ({persons}) or (select 1 from `tabSales Team` `st`"
		" where `st`.`parent` = `tabOpportunity`.`name` and `st`.`parenttype` = 'Opportunity'"
		f" and `st`.`parentfield` = 'sales_team' and `st`.`sales_person` in ({persons}) limit 1) is not null)"
	)


# Past this many memberships on other Sales Persons' Opportunities, the `exists` form (which reads every
# Opportunity: at 1M, 660 ms instead of about 170 for the forecast, benchmarks/forecast_reports.py). Up to
# it the names go into the query: 10,000 of them are about 200 KB of SQL, which MariaDB turns into ranges of
# the primary key.
TEAM_NAMES_LIMIT = 10_000


def team_opportunities(sales_persons: list[str]) -> list[str] | bool:
	"""The Opportunities in whose Sales Team one of `sales_persons` is and whose own Sales Person is none of
	them (those the `sales_person` condition matches already), or False past TEAM_NAMES_LIMIT."""
	team = frappe.qb.DocType("Sales Team")
	opportunity = frappe.qb.DocType("Opportunity")
	names = (
		frappe.qb.from_(team)
		.left_join(opportunity)
		.on(opportunity.name == team.parent)
		.select(team.parent)
		.distinct()
		.where(
			(team.parenttype == "Opportunity")
			& (team.parentfield == "sales_team")
			& team.sales_person.isin(sales_persons)
			& (opportunity.sales_person.isnull() | opportunity.sales_person.notin(sales_persons))
		)
		.limit(TEAM_NAMES_LIMIT + 1)
		.run(pluck=True)
	)
	return False if len(names) > TEAM_NAMES_LIMIT else names


def quotation_conditions(user: str | None = None, doctype: str | None = None) -> str:
	return partner_transaction_conditions("Quotation", "referral_sales_partner", user)


def sales_order_conditions(user: str | None = None, doctype: str | None = None) -> str:
	return partner_transaction_conditions("Sales Order", "sales_partner", user)


def partner_transaction_conditions(doctype: str, partner_field: str, user: str | None) -> str:
	restrictions = get_restrictions(user or frappe.session.user)
	if not restrictions:
		return ""
	if restrictions.sales_persons is not None and not frappe.flags.get(OWN_CREDIT_FLAG):
		# a salesperson's: those of his Opportunities (the subquery holds a partner limit too)
		return f"`tab{doctype}`.`opportunity` in ({allowed_opportunities_sql(restrictions)})"
	if restrictions.sales_partners is None:
		return ""
	partners = restrictions.sales_partners
	return (
		f"(`tab{doctype}`.`{partner_field}` in ({sql_list(partners)})"
		f" or `tab{doctype}`.`opportunity` in ({partner_opportunities_sql(partners)}))"
	)


# Set while `credited_orders_condition` builds its condition: a salesperson's Opportunity rule on Sales
# Orders and Quotations is left out (a partner limit stays).
OWN_CREDIT_FLAG = "opportunity_crm_own_credit"


def credited_orders_condition() -> str:
	"""`match_condition("Sales Order")` without the rule that a restricted salesperson reads only the Sales
	Orders of his Opportunities: Frappe's User Permissions (the Company ERPNext gives an Employee's user),
	sharing and a Sales Partner limit still apply. For numbers a query already limits to the user's own
	credit (his Sales Persons' rows in the order's Sales Team): the forecast's *achieved*, which counts
	every order that credits him, as ERPNext's Sales Person Target Variance does, whether or not it came
	from one of his Opportunities (a repeat order, one made by hand, one of another's deal he shares)."""
	frappe.flags[OWN_CREDIT_FLAG] = True
	try:
		return match_condition("Sales Order")
	finally:
		frappe.flags.pop(OWN_CREDIT_FLAG, None)


def match_condition(doctype: str) -> str:
	"""The user's permission conditions on `doctype` (User Permissions, sharing and the
	permission_query_conditions above) for a raw query: `" and (...)"`, or "" when there are none."""
	return as_one_term(get_match_cond(doctype))


def as_one_term(match_cond: str) -> str:
	"""`get_match_cond`'s result in parentheses. Frappe v15 returns `" and (...)"`; v16 returns
	`" and ..."`, unbracketed when it ends in a top-level OR (a User Permission gives
	`ifnull(company, '') = '' or company in (...)`, sharing `... or name in (...)`), which, appended to a
	query's own filters, would let rows past them."""
	condition = match_cond.strip()
	if condition[:4].lower() == "and ":
		condition = condition[4:].strip()
	return f" and ({condition})" if condition else ""


# has_permission --------------------------------------------------------------------------------------
# Each hook answers True (no objection) or False (denied), never None: Frappe's roles, User Permissions
# and sharing still decide the rest, since `get_doc_permissions` applies them after the hooks. Frappe
# reads the answer differently by version (`frappe.permissions.has_controller_permissions`):
# - v16 denies on anything falsy, None included, and asks the next hook after a True: a None would
#   lock every user but Administrator out of every Opportunity, Quotation and Sales Order.
# - v15 asks the next hook after None and stops at the first other answer: False denies, True ends the
#   loop as "allowed", skipping the hooks after ours. Hooks run "*" first, then this doctype's, from the
#   last installed app to the first; so a True skips only Opportunity / Quotation / Sales Order hooks of
#   apps installed before opportunity_crm. Frappe, ERPNext and HRMS (v15 and v16) have none, so True
#   skips nothing; test_permission_hooks fails if an app adds one (then it would matter on v15).
NO_OBJECTION = True


def opportunity_has_permission(doc, ptype=None, user=None, debug=False) -> bool:
	restrictions = get_restrictions(user or frappe.session.user)
	if not restrictions or doc.is_new():
		# a new one is checked again on save, once its Sales Person / Sales Partner are filled in
		return NO_OBJECTION
	return opportunity_is_allowed(doc, restrictions)


def opportunity_is_allowed(doc, restrictions) -> bool:
	"""The same rule as `opportunity_conditions`, for one Opportunity."""
	if restrictions.sales_persons is not None and not (
		{doc.get("sales_person"), *team_members(doc)} & set(restrictions.sales_persons)
	):
		return False
	if (
		restrictions.sales_partners is not None
		and doc.get("sales_partner") not in restrictions.sales_partners
	):
		return False
	return True


def team_members(doc) -> set[str]:
	"""The Sales Persons in an Opportunity's Sales Team (overlay rows too): the rows of a loaded document
	(as it is being saved), else the saved ones."""
	if isinstance(doc, Document):
		return {row.sales_person for row in doc.get("sales_team") or []}
	return set(
		frappe.get_all(
			"Sales Team",
			filters={"parenttype": "Opportunity", "parentfield": "sales_team", "parent": doc.get("name")},
			pluck="sales_person",
		)
	)


def quotation_has_permission(doc, ptype=None, user=None, debug=False) -> bool:
	return partner_transaction_has_permission(doc, "referral_sales_partner", user)


def sales_order_has_permission(doc, ptype=None, user=None, debug=False) -> bool:
	return partner_transaction_has_permission(doc, "sales_partner", user)


def partner_transaction_has_permission(doc, partner_field: str, user: str | None) -> bool:
	restrictions = get_restrictions(user or frappe.session.user)
	if not restrictions:
		return NO_OBJECTION
	if restrictions.sales_persons is not None:
		# a new one is checked again on save, once its Opportunity is filled in (order_rules, rules)
		return bool(doc.is_new()) or opportunity_name_is_allowed(doc.get("opportunity"), restrictions)
	if restrictions.sales_partners is None:
		return NO_OBJECTION
	if doc.get(partner_field) in restrictions.sales_partners:
		return NO_OBJECTION
	opportunity = doc.get("opportunity")
	return bool(
		opportunity
		and frappe.db.get_value("Opportunity", opportunity, "sales_partner") in restrictions.sales_partners
	)


# the documents of an Opportunity: what a salesperson sees of them follows the Opportunity -------------
# A restricted Sales Person sees the Customers, Quotations and Sales Orders of the Opportunities he may
# see and no others: the Opportunity's condition as a subquery. A user limited to Sales Partners only keeps
# the partner rule (partner_transaction_conditions; Customers: Frappe's User Permissions).


def allowed_opportunities_sql(restrictions, column: str = "name") -> str:
	"""`select <column> from tabOpportunity where <the user's Opportunity condition>`."""
	return f"select `tabOpportunity`.`{column}` from `tabOpportunity` where {restrictions_condition(restrictions)}"


def opportunity_name_is_allowed(opportunity: str | None, restrictions) -> bool:
	if not opportunity:
		return False
	values = frappe.db.get_value(
		"Opportunity", opportunity, ["name", "sales_person", "sales_partner"], as_dict=True
	)
	return bool(values) and opportunity_is_allowed(values, restrictions)


def customer_conditions(user: str | None = None, doctype: str | None = None) -> str:
	restrictions = get_restrictions(user or frappe.session.user)
	if not restrictions or restrictions.sales_persons is None:
		return ""
	return f"`tabCustomer`.`name` in ({allowed_opportunities_sql(restrictions, 'customer')})"


def customer_has_permission(doc, ptype=None, user=None, debug=False) -> bool:
	restrictions = get_restrictions(user or frappe.session.user)
	if not restrictions or restrictions.sales_persons is None or doc.is_new():
		return NO_OBJECTION
	return opportunity_name_is_allowed(
		frappe.db.get_value("Opportunity", {"customer": doc.name}), restrictions
	)


def add_to_boot(bootinfo) -> None:
	"""`extend_bootinfo`: the Sales Persons whose deals row-level access limits the user to (the lists of
	Opportunities, Customers, Quotations and Sales Orders say so: public/js/row_level_note.js), or None."""
	restrictions = get_restrictions(frappe.session.user)
	bootinfo.opportunity_crm_own_deals = (restrictions.sales_persons if restrictions else None) or None


# on save: a restricted user keeps what they save within what they may see ---------------------------


def ensure_within_row_level_access(doc) -> None:
	"""A restricted user saves only Opportunities they may open again (their Sales Person's or their
	team's, of a Sales Partner they may access)."""
	restrictions = get_restrictions(frappe.session.user)
	if restrictions and not opportunity_is_allowed(doc, restrictions):
		frappe.throw(
			_(
				"You can only save Opportunities whose Sales Person (field sales_person) is yours or of your team, and whose Sales Partner (field sales_partner) you may access."
			),
			frappe.PermissionError,
			title=_("Not permitted"),
		)


def own_sales_person(user: str) -> str | None:
	employees = frappe.get_all("Employee", filters={"user_id": user}, pluck="name")
	return frappe.db.get_value(
		"Sales Person", {"employee": ("in", employees), "enabled": 1, "is_group": 0}, "name"
	)


# Indexes ----------------------------------------------------------------------------------------------

# Row-level access and the reports filter Opportunities by Sales Person and Sales Partner; a restricted
# user's list shows their newest first. One composite index each serves the filter alone (its prefix) and
# the filter with the list's order, where a single-column index made MariaDB intersect it with `company`
# (slower than a full scan) or read the newest of everyone's rows until 20 were the user's
# (benchmarks/access_indexes.py). The Sales Person's holds `company` too: ERPNext gives an Employee's User
# a User Permission on its Company, so Frappe adds `company` to every query of a salesperson, and with it in
# the index their list's count (`count_own_first`) reads the index alone instead of a row per Opportunity
# (1,001 rows: 0.6 ms instead of 5, benchmarks/list_page.py).
#
# A salesperson's list page, newest first, is read from the newest entries per Sales Person of their own
# Opportunities and of the Sales Team rows they are in, by `modified` (Frappe 15's list order) or
# `creation` (16's): `opportunities.newest_page`.
ACCESS_INDEXES = {
	"Opportunity": {
		"opportunity_crm_sales_person_company": ("sales_person", "modified", "company"),
		"opportunity_crm_sales_person_creation": ("sales_person", "creation"),
		"opportunity_crm_sales_partner": ("sales_partner", "modified"),
	},
	"Sales Team": {
		"opportunity_crm_member_modified": ("sales_person", "parenttype", "modified"),
		"opportunity_crm_member_creation": ("sales_person", "parenttype", "creation"),
	},
}
# indexes the ones above replace (a prefix of one of them): dropped by ensure_access_indexes
REPLACED_INDEXES = {"Opportunity": ("opportunity_crm_sales_person",)}


def ensure_access_indexes() -> None:
	add_indexes(ACCESS_INDEXES)
	for doctype, names in REPLACED_INDEXES.items():
		for name in names:
			if frappe.db.has_index(f"tab{doctype}", name):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{name}`")


def remove_access_indexes() -> None:
	"""At uninstall: the indexes above (those on ERPNext's own columns would outlive the app's fields)."""
	for doctype, indexes in ACCESS_INDEXES.items():
		for name in indexes:
			if frappe.db.has_index(f"tab{doctype}", name):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{name}`")
