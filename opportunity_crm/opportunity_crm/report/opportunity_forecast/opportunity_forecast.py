"""Opportunity Forecast: target, achieved, commit, best case, weighted pipeline and gap per Sales Person
(rolled up the tree), Sales Partner or Company, per month or quarter of the expected closing date; years
are kept apart ("2025-03" and "2026-03" are two columns). Definitions: `opportunity_crm.forecasting.forecast`
(gap = target - achieved - commit, shown only where there is a target; best case = Commit + Best Case).
By default the range is this quarter and the next (`default_range`, and the same in the desk's filters).

One SQL statement aggregates the live numbers (a second one the snapshot compared with); Python only pivots.
The user's permissions apply (row-level access: a restricted Sales Person sees only their own numbers).

Scale: `execute` runs under `frappe.read_only()`, on the read replica when the site has one
(`read_from_replica`); Frappe's `query_report.run` and the prepared-report job wrap it so too, on v15 and
v16, and the wrapper does not switch twice. A run longer than 15 s makes Frappe switch the report to a
prepared report (`Report.execute_script_report` starts a watcher that sets `prepared_report`, on v15 and
v16 alike); the background run's limit is the report's `timeout` (1500 s).
"""

import frappe
from frappe import _
from frappe.utils import add_months, flt, get_last_day, getdate, nowdate

from opportunity_crm.forecasting import forecast

VALUES = {
	"target": "Target",
	"achieved": "Achieved",
	"commit_amount": "Commit",
	"best_case": "Best Case",
	"weighted_pipeline": "Weighted Pipeline",
	"gap": "Gap",
}
ALL = "All Measures"
# the months of the range are a recursive CTE: MariaDB stops one at `max_recursive_iterations` (1,000 here)
MAX_MONTHS = 600


@frappe.read_only()
def execute(filters=None):
	filters = check_filters(frappe._dict(filters or {}))
	group, period = filters.group_by, filters.period
	live = forecast.forecast_rows(filters, group, period)
	previous = (
		forecast.snapshot_rows(filters, group, period, filters.compare_snapshot)
		if filters.get("compare_snapshot")
		else None
	)
	measures = list(VALUES) if filters.value == ALL else [filters.value]
	periods = sorted({row.period for row in live} | {row.period for row in previous or []})
	data = pivot(live, previous, group, periods, measures)
	columns = get_columns(group, periods, measures, previous is not None)
	return columns, data, None, get_chart(data, periods, group), get_summary(data, group, filters)


def check_filters(filters):
	filters.group_by = filters.get("group_by") or "Sales Person"
	if filters.group_by not in forecast.GROUPS:
		frappe.throw(
			_("Group By (field group_by) must be one of: {0}").format(", ".join(forecast.GROUPS)),
			frappe.ValidationError,
		)
	filters.period = forecast.check_period(filters.get("period") or "Month")
	filters.value = filters.get("value") or ALL
	if filters.value != ALL and filters.value not in VALUES:
		frappe.throw(
			_("Value (field value) must be one of: {0}").format(", ".join([ALL, *VALUES])),
			frappe.ValidationError,
		)
	# by default the quarter a sales manager is in and the next one (as the report's filters in the desk)
	start, end = default_range(getdate(nowdate()))
	filters.from_date = getdate(filters.get("from_date") or start)
	filters.to_date = getdate(filters.get("to_date") or end)
	if filters.from_date > filters.to_date:
		frappe.throw(
			_("From Date must be before To Date (fields from_date, to_date)."), frappe.ValidationError
		)
	months = (
		(filters.to_date.year - filters.from_date.year) * 12 + filters.to_date.month - filters.from_date.month
	)
	if months >= MAX_MONTHS:
		frappe.throw(
			_("From Date to To Date (fields from_date, to_date) may span at most {0} months.").format(
				MAX_MONTHS
			),
			frappe.ValidationError,
		)
	return filters


def default_range(today) -> tuple:
	"""The first day of this quarter and the last day of the next one."""
	quarter_start = today.replace(day=1, month=3 * ((today.month - 1) // 3) + 1)
	return quarter_start, get_last_day(add_months(quarter_start, 5))


def key(measure: str, period: str, suffix: str = "") -> str:
	return f"{measure}__{period.replace('-', '_')}{suffix}"


def with_gap(row) -> dict:
	"""The measures of a cell, and its gap: only against a target (without one there is nothing to fall
	short of, and the cell stays empty rather than showing the pipeline as a negative gap)."""
	values = {measure: flt(row.get(measure), 2) for measure in forecast.MEASURES}
	values["gap"] = (
		flt(values["target"] - values["achieved"] - values["commit_amount"], 2) if values["target"] else None
	)
	return values


def pivot(live, previous, group: str, periods, measures) -> list[dict]:
	"""Rows of the report: one per group value, a column per (measure, period) and a total per measure;
	with a snapshot, each cell also gets its change since then."""
	cells, before = {}, {}
	for source, target in ((live, cells), (previous or [], before)):
		for row in source:
			target[(row.grp, row.period)] = with_gap(row)
	names = ordered_group_values({grp for grp, _period in cells} | {grp for grp, _period in before}, group)
	rows = []
	for name, indent in names:
		row = {"group_value": name, "indent": indent}
		for measure in measures:
			for period in periods:
				value = cells.get((name, period), {}).get(measure, 0)
				row[key(measure, period)] = value
				if previous is not None:
					row[key(measure, period, "__change")] = change(
						value, before.get((name, period), {}).get(measure, 0)
					)
			total = period_total(cells, name, periods, measure)
			row[key(measure, "total")] = total
			if previous is not None:
				row[key(measure, "total", "__change")] = change(
					total, period_total(before, name, periods, measure)
				)
		rows.append(row)
	return rows


def period_total(cells: dict, name: str, periods, measure: str):
	"""A measure over the periods; the gap from the totals, and only against a target (`with_gap`)."""
	if measure == "gap":
		return with_gap(
			{m: sum(flt(cells.get((name, p), {}).get(m)) for p in periods) for m in forecast.MEASURES}
		)["gap"]
	return flt(sum(flt(cells.get((name, p), {}).get(measure)) for p in periods), 2)


def change(value, old):
	"""A cell's change since the snapshot; none where the cell or its old value is empty (a gap)."""
	if value is None or old is None:
		return None
	return flt(value - old, 2)


def ordered_group_values(names: set, group: str) -> list[tuple]:
	"""Sales Persons in tree order (a team before its members, indented); others by name."""
	if group != "Sales Person":
		return [(name, 0) for name in sorted(names)]
	tree = (
		frappe.get_all(
			"Sales Person",
			fields=["name", "lft", "rgt"],
			filters={"name": ("in", list(names))},
			order_by="lft",
		)
		if names
		else []
	)
	indents, open_nodes = [], []
	for node in tree:
		while open_nodes and open_nodes[-1] < node.rgt:
			open_nodes.pop()
		indents.append((node.name, len(open_nodes)))
		open_nodes.append(node.rgt)
	return indents


def get_columns(group: str, periods, measures, compare: bool) -> list[dict]:
	columns = [
		{
			"fieldname": "group_value",
			"label": _(group),
			"fieldtype": "Link",
			"options": group,
			"width": 220,
		}
	]
	for measure in measures:
		for period in [*periods, "total"]:
			label = _("Total") if period == "total" else period
			if len(measures) > 1:
				label = f"{label} {_(VALUES[measure])}"
			columns.append(
				{"fieldname": key(measure, period), "label": label, "fieldtype": "Currency", "width": 140}
			)
			if compare:
				columns.append(
					{
						"fieldname": key(measure, period, "__change"),
						"label": _("{0}: change").format(label),
						"fieldtype": "Currency",
						"width": 140,
					}
				)
	return columns


def top_rows(data, group: str) -> list[dict]:
	"""The rows whose sum is the total: for Sales Persons the top of the visible tree (indent 0)."""
	return [row for row in data if row["indent"] == 0] if group == "Sales Person" else data


def get_chart(data, periods, group: str) -> dict | None:
	if not periods:
		return None
	top = top_rows(data, group)
	return {
		"data": {
			"labels": periods,
			"datasets": [
				{
					"name": _(VALUES[measure]),
					"values": [sum(flt(row.get(key(measure, period))) for row in top) for period in periods],
				}
				for measure in ("target", "achieved", "commit_amount", "best_case", "weighted_pipeline")
				if key(measure, periods[0]) in (data[0] if data else {})
			],
		},
		"type": "bar",
		"fieldtype": "Currency",
		"title": _("Forecast by {0}").format(_(group)),
	}


def get_summary(data, group: str, filters) -> list[dict]:
	company = filters.get("company") or frappe.defaults.get_user_default("Company")
	currency = frappe.get_cached_value("Company", company, "default_currency") if company else None
	top = top_rows(data, group)
	summary = []
	for measure, label in VALUES.items():
		field = key(measure, "total")
		if measure == "gap" and all(row.get(field) is None for row in top):
			continue  # no target, no gap
		if data and field in data[0]:
			summary.append(
				{
					"label": _(label),
					"value": flt(sum(flt(row.get(field)) for row in top), 2),
					"datatype": "Currency",
					"currency": currency,
				}
			)
	return summary


@frappe.whitelist()
def get_snapshot_dates() -> list[str]:
	frappe.has_permission("Opportunity", "report", throw=True)
	return forecast.snapshot_dates()


@frappe.whitelist()
def drill_down(filters, group_value: str, period: str, measure: str) -> dict:
	"""The documents behind a cell: Opportunities for commit, best case and weighted pipeline, Sales Orders
	for achieved (at most 1,000)."""
	frappe.has_permission("Opportunity", "report", throw=True)
	filters = check_filters(frappe._dict(frappe.parse_json(filters) or {}))
	if measure == "achieved":
		names = forecast.orders_behind(filters, filters.group_by, group_value, period)
		return {"doctype": "Sales Order", "names": names}
	names = forecast.opportunities_behind(filters, filters.group_by, group_value, period, measure)
	return {"doctype": "Opportunity", "names": names}
