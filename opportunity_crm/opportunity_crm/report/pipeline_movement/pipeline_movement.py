"""Pipeline Movement: how the pipeline moved over a period, per Sales Person or per team.

Two queries with GROUP BY, no Python per Opportunity:
- the period's movements (`Opportunity Movement`), read from its covering (company, sales_person, kind,
  direction, moved_on, ...) index alone (`movement.MOVEMENT_INDEXES`): new deals, moved forward, moved back,
  pushed (closing date later), amount up / down (sums in the company's currency), won, lost, closed. A
  movement counts for the Sales Person the Opportunity had right after it; counts are of Opportunities (a
  deal moved forward twice counts once), the amounts are summed over every move;
- the open Opportunities now (status Open, Quotation or Replied, and not won: `opportunities/won.py`): how
  many, average days in the current stage, and how many had no movement for the last N days. Each
  Opportunity's last moves are its own `last_moved_on` and `stage_moved_on`, the log's dates that the
  movement log keeps on the Opportunity in the transaction of its rows (`movement.LAST_MOVED`,
  `movement.STAGE_MOVED`): one row per open deal, no look-up in the log. An Opportunity from before the
  app was installed has no movements: its current stage and its last change are dated from its `creation`
  (an upper bound; the first change the app sees replaces it).

Benchmark 10 (`benchmarks/movement_report.py`, docs/performance-movement-report.md) measures both against a
hand-written SQL over 5,000,000 movements.

The Sales Person filter takes a team: the Sales Person and everyone below it in the tree (lft/rgt). Group by
Sales Person, or by the parent team of each Sales Person. The user's permissions on Opportunity (row-level
access included) apply to both queries and to the drill-down. Every number opens the Opportunities behind
it (`drill_down`, the same conditions as the columns: one definition for both).
"""

import json

import frappe
from frappe import _
from frappe.utils import add_days, add_to_date, cint, flt, getdate, now_datetime

from opportunity_crm.constants.opportunity_status import OPEN_STATUSES
from opportunity_crm.forecasting.movement import LAST_MOVED, STAGE_MOVED
from opportunity_crm.opportunities.permissions import match_condition
from opportunity_crm.opportunities.won import won_sql

REPORT = "Pipeline Movement"
GROUPS = {"Sales Person": "`sp`.`name`", "Parent Team": "`sp`.`parent_sales_person`"}
DEFAULT_STALE_DAYS = 14
DRILL_DOWN_LIMIT = 1000  # the Opportunity list's filter carries the names

# column -> the (kind, direction) of the movements of the period it counts; None: any direction (the log
# writes none for these kinds). One definition for the per-Sales Person statement, the per-team one and the
# drill-down.
COLUMN_OF_MOVE = {
	("New", None): "new_deals",
	("Stage", "Forward"): "forward",
	("Stage", "Back"): "back",
	("Closing Date", "Pushed"): "pushed",
	("Amount", "Up"): "amount_up",
	("Amount", "Down"): "amount_down",
	("Won", None): "won",
	("Lost", None): "lost",
	("Closed", None): "closed",
}
# the same as SQL conditions on a movement `m` (the per-team statement and the drill-down)
MOVEMENT_COLUMNS = {
	column: f"`m`.`kind` = '{kind}'" + (f" and `m`.`direction` = '{direction}'" if direction else "")
	for (kind, direction), column in COLUMN_OF_MOVE.items()
}
COUNTED_KINDS = tuple(dict.fromkeys(kind for kind, _direction in COLUMN_OF_MOVE))
COUNTED_DIRECTIONS = tuple(direction for _kind, direction in COLUMN_OF_MOVE if direction)
AMOUNT_COLUMNS = {"amount_up", "amount_down"}  # sums of (to - from) / (from - to), company currency

# the open Opportunities' dates, the movement log's as the Opportunity holds them (its last movement, its
# last New or Stage movement); `creation` for what happened before the log. Read from the Opportunity's row:
# two correlated look-ups in the log per open deal cost 1.1 s over 83,000 open deals (benchmark 10).
STAGE_SINCE = f"coalesce(`tabOpportunity`.`{STAGE_MOVED}`, `tabOpportunity`.`creation`)"
LAST_CHANGE = f"coalesce(`tabOpportunity`.`{LAST_MOVED}`, `tabOpportunity`.`creation`)"
OPEN_COLUMNS = {
	"open_deals": "1 = 1",
	"avg_days_in_stage": "1 = 1",
	"stale": f"{LAST_CHANGE} < %(stale_before)s",
}


@frappe.read_only()
def execute(filters=None):
	filters = clean(filters)
	rows = merge(movement_rows(filters), open_rows(filters))
	return get_columns(filters), rows, None, get_chart(rows), get_summary(rows, filters)


def clean(filters) -> frappe._dict:
	filters = frappe._dict(json.loads(filters) if isinstance(filters, str) else (filters or {}))
	filters.group_by = filters.get("group_by") or "Sales Person"
	if filters.group_by not in GROUPS:
		frappe.throw(_("Group By (field group_by) must be Sales Person or Parent Team."))
	filters.to_date = getdate(filters.get("to_date"))
	filters.from_date = getdate(filters.get("from_date") or add_days(filters.to_date, -6))
	if filters.from_date > filters.to_date:
		frappe.throw(_("From Date (field from_date) must be on or before To Date (field to_date)."))
	filters.stale_days = cint(filters.get("stale_days") or DEFAULT_STALE_DAYS)
	if filters.stale_days < 1:
		frappe.throw(_("Stale After (Days) (field stale_days) must be at least 1."))
	return filters


def values_of(filters) -> dict:
	now = now_datetime()
	return {
		"company": filters.get("company"),
		"sales_person": filters.get("sales_person"),
		"moved_from": filters.from_date,
		"moved_before": add_days(filters.to_date, 1),
		"now": now,
		"stale_before": add_to_date(now, days=-filters.stale_days),
		"open_statuses": OPEN_STATUSES,
		"kinds": COUNTED_KINDS,
		"directions": COUNTED_DIRECTIONS,
		"companies": [filters.company] if filters.get("company") else frappe.get_all("Company", pluck="name"),
		"persons": persons_of(filters),
	}


def persons_of(filters) -> list[str]:
	"""The Sales Persons the period statement reads: the team's subtree with the filter, else every one. As a
	list, so that MariaDB reads one range of the movement index per Sales Person (no function, no join in
	the condition; `movement.MOVEMENT_INDEXES`)."""
	if not filters.get("sales_person"):
		return frappe.get_all("Sales Person", pluck="name", order_by="name") or [""]
	lft, rgt = frappe.db.get_value("Sales Person", filters.sales_person, ["lft", "rgt"]) or (0, -1)
	return frappe.get_all(
		"Sales Person", filters={"lft": [">=", lft], "rgt": ["<=", rgt]}, pluck="name", order_by="name"
	) or [""]


def team_join(filters, person_field: str) -> str:
	"""The Sales Person of each row (`sp`), and, with the filter, only those in the team's subtree."""
	join = f"left join `tabSales Person` `sp` on `sp`.`name` = {person_field}"
	if filters.get("sales_person"):
		join += """
		join `tabSales Person` `team` on `team`.`name` = %(sales_person)s
			and `sp`.`lft` >= `team`.`lft` and `sp`.`rgt` <= `team`.`rgt`"""
	return join


def movements_from(filters, group_join: bool = True) -> tuple[str, str]:
	"""FROM and WHERE of the period's movements the user may see. Every condition is on a column of the
	(company, sales_person, kind, direction, moved_on, ...) index, as equalities or lists before the date
	range: MariaDB reads the period as a few ranges of that index per Sales Person, and no table row
	(`movement.MOVEMENT_INDEXES`). `group_join`: with the Sales Person of each row (`sp`), for a group."""
	access = match_condition("Opportunity")
	joins = team_join(filters, "`m`.`sales_person`") if group_join else ""
	if access:
		# only when the user is restricted: a look-up of each movement's Opportunity by its primary key
		joins += "\n\t\tjoin `tabOpportunity` on `tabOpportunity`.`name` = `m`.`opportunity`"
	persons = "`m`.`sales_person` in %(persons)s"
	if not filters.get("sales_person"):
		persons = f"({persons} or `m`.`sales_person` is null)"
	where = f"""`m`.`company` in %(companies)s and {persons}
		and `m`.`kind` in %(kinds)s and (`m`.`direction` in %(directions)s or `m`.`direction` is null)
		and `m`.`moved_on` >= %(moved_from)s and `m`.`moved_on` < %(moved_before)s"""
	return f"`tabOpportunity Movement` `m`\n\t\t{joins}", f"{where} {access}"


def open_from(filters) -> tuple[str, str]:
	"""FROM and WHERE of the open Opportunities the user may see."""
	where = f"`tabOpportunity`.`status` in %(open_statuses)s and not {won_sql('`tabOpportunity`')}"
	if filters.get("company"):
		where += " and `tabOpportunity`.`company` = %(company)s"
	joins = team_join(filters, "`tabOpportunity`.`sales_person`")
	return f"`tabOpportunity`\n\t\t{joins}", f"{where} {match_condition('Opportunity')}"


def movement_rows(filters) -> list[dict]:
	if filters.group_by == "Sales Person":
		return movement_rows_per_person(filters)
	# per team: an Opportunity moved by two of its members counts once, so one statement counts distinct
	# Opportunities per team (through the same index; a temporary table groups the rows)
	group = GROUPS[filters.group_by]
	tables, where = movements_from(filters)
	measures = []
	for column, condition in MOVEMENT_COLUMNS.items():
		if column == "amount_up":
			measures.append(
				f"sum(case when {condition} then `m`.`to_base_amount` - `m`.`from_base_amount` else 0 end)"
				f" as `{column}`"
			)
		elif column == "amount_down":
			measures.append(
				f"sum(case when {condition} then `m`.`from_base_amount` - `m`.`to_base_amount` else 0 end)"
				f" as `{column}`"
			)
		else:
			measures.append(f"count(distinct case when {condition} then `m`.`opportunity` end) as `{column}`")
	measures_sql = ",\n\t\t\t".join(measures)
	return frappe.db.sql(
		f"""
		select {group} as `group_value`,
			{measures_sql}
		from {tables}
		where {where}
		group by {group}
		""",
		values_of(filters),
		as_dict=True,
	)


def movement_rows_per_person(filters) -> list[dict]:
	"""Per Sales Person: one row per (Sales Person, kind, direction), grouped in the index's order (no
	temporary table: the rows come sorted by the GROUP BY), each the Opportunities it moved and the sum of
	its amount changes; the columns are picked from them here (a handful of rows per Sales Person)."""
	tables, where = movements_from(filters, group_join=False)
	rows = {}
	for move in frappe.db.sql(
		f"""
		select `m`.`sales_person` as `group_value`, `m`.`kind`, `m`.`direction`,
			count(distinct `m`.`opportunity`) as `opportunities`,
			sum(`m`.`to_base_amount` - `m`.`from_base_amount`) as `amount`
		from {tables}
		where {where}
		group by `m`.`sales_person`, `m`.`kind`, `m`.`direction`
		""",
		values_of(filters),
		as_dict=True,
	):
		column = COLUMN_OF_MOVE.get((move.kind, move.direction)) or COLUMN_OF_MOVE.get((move.kind, None))
		if not column:
			continue  # e.g. a closing date pulled: no column counts it
		row = rows.setdefault(move.group_value, frappe._dict(group_value=move.group_value))
		if column == "amount_up":
			value = flt(move.amount)
		elif column == "amount_down":
			value = -flt(move.amount)
		else:
			value = cint(move.opportunities)
		row[column] = row.get(column, 0) + value
	return list(rows.values())


def open_rows(filters) -> list[dict]:
	group = GROUPS[filters.group_by]
	tables, where = open_from(filters)
	return frappe.db.sql(
		f"""
		select `group_value`, count(*) as `open_deals`,
			avg(timestampdiff(second, `stage_since`, %(now)s)) / 86400 as `avg_days_in_stage`,
			sum(`last_change` < %(stale_before)s) as `stale`
		from (
			select {group} as `group_value`, {STAGE_SINCE} as `stage_since`, {LAST_CHANGE} as `last_change`
			from {tables}
			where {where}
		) `open_deals`
		group by `group_value`
		""",
		values_of(filters),
		as_dict=True,
	)


def merge(movements: list[dict], open_deals: list[dict]) -> list[dict]:
	"""One row per group (a handful of rows, not Opportunities), in the order of the group's name."""
	rows = {}
	empty = dict.fromkeys([*MOVEMENT_COLUMNS, "open_deals", "avg_days_in_stage", "stale"], 0)
	for row in [*movements, *open_deals]:
		rows.setdefault(row.group_value, frappe._dict(empty, group_value=row.group_value)).update(row)
	for row in rows.values():
		for column in (*MOVEMENT_COLUMNS, "open_deals", "stale"):
			row[column] = flt(row[column], 2) if column in AMOUNT_COLUMNS else cint(row[column])
		row.avg_days_in_stage = flt(row.avg_days_in_stage, 1)
	return sorted(rows.values(), key=lambda row: (row.group_value is None, row.group_value or ""))


@frappe.whitelist()
@frappe.read_only()
def drill_down(filters, group_value=None, column=None) -> list[str]:
	"""The Opportunities behind one number of the report: same filters, same group, same condition."""
	if not frappe.get_doc("Report", REPORT).is_permitted():
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	filters = clean(filters)
	group = GROUPS[filters.group_by]
	values = values_of(filters)
	values["group_value"] = group_value or None
	group_condition = f"{group} = %(group_value)s" if group_value else f"{group} is null"
	if column in MOVEMENT_COLUMNS:
		tables, where = movements_from(filters)
		condition, opportunity = MOVEMENT_COLUMNS[column], "`m`.`opportunity`"
	elif column in OPEN_COLUMNS:
		tables, where = open_from(filters)
		condition, opportunity = OPEN_COLUMNS[column], "`tabOpportunity`.`name`"
	else:
		frappe.throw(_("Column {0} of the Pipeline Movement report has no drill-down.").format(column))
	return frappe.db.sql(
		f"""
		select distinct {opportunity}
		from {tables}
		where {where} and {group_condition} and ({condition})
		limit {DRILL_DOWN_LIMIT}
		""",
		values,
		pluck=True,
	)


def get_columns(filters) -> list[dict]:
	def column(fieldname, label, fieldtype="Int", width=95, **extra):
		return {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width, **extra}

	currency = company_currency(filters)
	return [
		column(
			"group_value",
			_("Sales Person") if filters.group_by == "Sales Person" else _("Parent Team"),
			"Link",
			180,
			options="Sales Person",
		),
		column("new_deals", _("New Deals")),
		column("forward", _("Moved Forward")),
		column("back", _("Moved Back")),
		column("pushed", _("Pushed")),
		column("amount_up", _("Amount Up"), "Currency", 130, options=currency),
		column("amount_down", _("Amount Down"), "Currency", 130, options=currency),
		column("won", _("Won")),
		column("lost", _("Lost")),
		column("closed", _("Closed")),
		column("open_deals", _("Open Deals")),
		column("avg_days_in_stage", _("Avg. Days in Stage"), "Float", 130, precision=1),
		column("stale", _("No Change for {0} Days").format(filters.stale_days), width=150),
	]


def company_currency(filters) -> str | None:
	company = filters.get("company") or frappe.defaults.get_user_default("Company")
	return frappe.get_cached_value("Company", company, "default_currency") if company else None


def get_summary(rows: list[dict], filters) -> list[dict]:
	def total(column):
		return sum(row[column] for row in rows)

	currency = company_currency(filters)
	return [
		{"label": _("New Deals"), "value": total("new_deals"), "datatype": "Int", "indicator": "Blue"},
		{"label": _("Moved Forward"), "value": total("forward"), "datatype": "Int", "indicator": "Green"},
		{"label": _("Moved Back"), "value": total("back"), "datatype": "Int", "indicator": "Red"},
		{"label": _("Pushed"), "value": total("pushed"), "datatype": "Int", "indicator": "Orange"},
		{"label": _("Amount Up"), "value": total("amount_up"), "datatype": "Currency", "currency": currency},
		{
			"label": _("Amount Down"),
			"value": total("amount_down"),
			"datatype": "Currency",
			"currency": currency,
		},
		{"label": _("Won"), "value": total("won"), "datatype": "Int", "indicator": "Green"},
		{"label": _("Lost"), "value": total("lost"), "datatype": "Int", "indicator": "Red"},
	]


def get_chart(rows: list[dict]) -> dict:
	return {
		"data": {
			"labels": [row.group_value or _("Not Set") for row in rows],
			"datasets": [
				{"name": _(label), "values": [row[column] for row in rows]}
				for column, label in (
					("forward", "Moved Forward"),
					("back", "Moved Back"),
					("won", "Won"),
					("lost", "Lost"),
				)
			],
		},
		"type": "bar",
		"title": _("Pipeline Movement"),
	}
