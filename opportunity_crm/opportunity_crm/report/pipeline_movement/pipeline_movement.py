"""Pipeline Movement: how the pipeline moved over a period, per Sales Person or per team.

Two queries with GROUP BY, no Python per Opportunity:
- the period's movements (`Opportunity Movement`, through its `moved_on` index): new deals, moved forward,
  moved back, pushed (closing date later), amount up / down (sums in the company's currency), won, lost,
  closed. A movement counts for the Sales Person the Opportunity had right after it; counts are of
  Opportunities (a deal moved forward twice counts once), the amounts are summed over every move;
- the open Opportunities now (status Open, Quotation or Replied, and not won: `opportunities/won.py`): how many,
  average days in the current stage, and how many had no movement for the last N days. Each
  Opportunity's last moves come from the (`opportunity`, `moved_on`) index. An Opportunity from before the app was installed has no movements:
  its current stage and its last change are dated from its `creation` (an upper bound; the first change
  the app sees replaces it).

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
from opportunity_crm.opportunities.permissions import match_condition
from opportunity_crm.opportunities.won import won_sql

REPORT = "Pipeline Movement"
GROUPS = {"Sales Person": "`sp`.`name`", "Parent Team": "`sp`.`parent_sales_person`"}
DEFAULT_STALE_DAYS = 14
DRILL_DOWN_LIMIT = 1000  # the Opportunity list's filter carries the names

# column -> which movements of the period it counts (one definition for the numbers and the drill-down)
MOVEMENT_COLUMNS = {
	"new_deals": "`m`.`kind` = 'New'",
	"forward": "`m`.`kind` = 'Stage' and `m`.`direction` = 'Forward'",
	"back": "`m`.`kind` = 'Stage' and `m`.`direction` = 'Back'",
	"pushed": "`m`.`kind` = 'Closing Date' and `m`.`direction` = 'Pushed'",
	"amount_up": "`m`.`kind` = 'Amount' and `m`.`direction` = 'Up'",
	"amount_down": "`m`.`kind` = 'Amount' and `m`.`direction` = 'Down'",
	"won": "`m`.`kind` = 'Won'",
	"lost": "`m`.`kind` = 'Lost'",
	"closed": "`m`.`kind` = 'Closed'",
}
AMOUNT_COLUMNS = {"amount_up", "amount_down"}  # sums of (to - from) / (from - to), company currency

# the open Opportunities' dates, from the movement log; `creation` for what happened before it. Both come
# from one grouped derived table, which MariaDB splits per Opportunity on the (opportunity, moved_on)
# index ("LATERAL DERIVED"): one look-up of each open Opportunity's movements, not two correlated
# sub-queries (benchmark 9).
MOVEMENT_DATES = """left join (
			select `opportunity`, max(`moved_on`) as `last_moved_on`,
				max(case when `kind` in ('New', 'Stage') then `moved_on` end) as `stage_moved_on`
			from `tabOpportunity Movement`
			group by `opportunity`
		) `dates` on `dates`.`opportunity` = `tabOpportunity`.`name`"""
STAGE_SINCE = "coalesce(`dates`.`stage_moved_on`, `tabOpportunity`.`creation`)"
LAST_CHANGE = "coalesce(`dates`.`last_moved_on`, `tabOpportunity`.`creation`)"
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
	}


def team_join(filters, person_field: str) -> str:
	"""The Sales Person of each row (`sp`), and, with the filter, only those in the team's subtree."""
	join = f"left join `tabSales Person` `sp` on `sp`.`name` = {person_field}"
	if filters.get("sales_person"):
		join += """
		join `tabSales Person` `team` on `team`.`name` = %(sales_person)s
			and `sp`.`lft` >= `team`.`lft` and `sp`.`rgt` <= `team`.`rgt`"""
	return join


def movements_from(filters) -> tuple[str, str]:
	"""FROM and WHERE of the period's movements the user may see."""
	access = match_condition("Opportunity")
	joins = team_join(filters, "`m`.`sales_person`")
	if access:
		# only when the user is restricted: a look-up of each movement's Opportunity by its primary key
		joins += "\n\t\tjoin `tabOpportunity` on `tabOpportunity`.`name` = `m`.`opportunity`"
	where = "`m`.`moved_on` >= %(moved_from)s and `m`.`moved_on` < %(moved_before)s"
	if filters.get("company"):
		where += " and `m`.`company` = %(company)s"
	return f"`tabOpportunity Movement` `m`\n\t\t{joins}", f"{where} {access}"


def open_from(filters) -> tuple[str, str]:
	"""FROM and WHERE of the open Opportunities the user may see."""
	where = f"`tabOpportunity`.`status` in %(open_statuses)s and not {won_sql('`tabOpportunity`')}"
	if filters.get("company"):
		where += " and `tabOpportunity`.`company` = %(company)s"
	joins = team_join(filters, "`tabOpportunity`.`sales_person`")
	return (
		f"`tabOpportunity`\n\t\t{joins}\n\t\t{MOVEMENT_DATES}",
		f"{where} {match_condition('Opportunity')}",
	)


def movement_rows(filters) -> list[dict]:
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
