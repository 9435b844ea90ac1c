"""Forecast numbers: targets against the pipeline, per Sales Person (rolled up the tree), Sales Partner or
Company and per month or quarter of the expected closing date. The report *Opportunity Forecast* and the
weekly *Opportunity Forecast Snapshot* read them from here, so "now" and a snapshot are counted alike.

Definitions (every amount in the company's currency):
- **target**: `target_amount` of the Sales Person's / Sales Partner's Target Detail rows (all item groups),
  spread over the months of its fiscal year by the row's Monthly Distribution (`percentage_allocation` of the
  month's name), evenly (1/12) when the row has none; a Company's is its `monthly_sales_target`.
- **achieved**: submitted Sales Orders by `transaction_date`, `base_net_total` x the person's
  `allocated_percentage` in the order's Sales Team (a partner: the order's `sales_partner`, 100 %; a
  company: all its orders). A restricted salesperson's row counts every order that credits him, as his
  manager's does, not only those of his Opportunities, which the Sales Order list shows him
  (`order_permission`).
- **commit**: `base_opportunity_amount` of open Opportunities in Commit.
- **best case**: Commit + Best Case (Salesforce's cumulative Best Case, without Closed: won business is
  already in *achieved*).
- **weighted pipeline**: `base_weighted_amount` of open Opportunities (Pipeline, Best Case and Commit).
- **gap**: target - achieved - commit: what is still missing if every committed deal closes (positive: short
  of target; negative: above it); only against a target: without one the report leaves it empty.
An Opportunity counts in the month of its `expected_closing` (none: it is in no period). Its category is the
stored `forecast_category`: every path that changes the status or converts runs the Opportunity's events,
which keep it (`forecasting/forecast_category.py`: Lost, Closed and won deals never count as pipeline). A person's
credit on an Opportunity is the `allocated_percentage` of their revenue rows (not
overlay) in its Sales Team; an Opportunity without such rows credits 100 % to its `sales_person`. A partner
and a company get 100 %. A team's row (a group Sales Person) sums its whole subtree (`lft`/`rgt`), its own
targets included.

The numbers are aggregated in SQL, one statement (`forecast_rows`); Python only pivots the result.
"""

import frappe
from frappe import _
from frappe.utils import add_months, get_first_day, get_last_day, getdate, nowdate

from opportunity_crm.opportunities.permissions import (
	credited_orders_condition,
	get_restrictions,
	match_condition,
	sql_list,
)

# the stored category (see the module)
CATEGORY = "`tabOpportunity`.`forecast_category`"
GROUPS = {"Sales Person": "sales_person", "Sales Partner": "sales_partner", "Company": "company"}
MEASURES = ("target", "achieved", "commit_amount", "best_case", "weighted_pipeline")
SNAPSHOT_DOCTYPE = "Opportunity Forecast Snapshot"
# The weekly snapshot keeps the months from the start of last year to the end of next year.
SNAPSHOT_YEARS_BACK = 1
SNAPSHOT_YEARS_AHEAD = 1


# The forecast reads Opportunities by expected closing date (and company); composite, so that Frappe's schema
# sync, which drops an undeclared one-column index, leaves it alone. Sales Orders have ERPNext's own index on
# `transaction_date`.
FORECAST_INDEXES = {"Opportunity": {"opportunity_crm_closing": ("expected_closing", "company")}}


def ensure_forecast_indexes() -> None:
	for doctype, indexes in FORECAST_INDEXES.items():
		for index_name, columns in indexes.items():
			frappe.db.add_index(doctype, list(columns), index_name)


def period_sql(month: str, period: str) -> str:
	"""The period of a 'YYYY-MM' month: itself, or 'YYYY-Qn'."""
	if period == "Quarter":
		return f"concat(left({month}, 4), '-Q', ceil(substr({month}, 6, 2) / 3))"
	return month


def month_of(column: str) -> str:
	return f"date_format({column}, '%%Y-%%m')"


def overlay_clause(alias: str) -> str:
	"""Revenue rows only: Sales Team.overlay is a custom field that may not exist yet."""
	return f" and ifnull({alias}.`overlay`, 0) = 0" if frappe.db.has_column("Sales Team", "overlay") else ""


# Facts: (company, grp, month, target, achieved, commit_amount, best_case, weighted_pipeline) -----------


def opportunity_facts(group: str, scope: dict) -> str:
	category = CATEGORY
	amounts = f"""
		sum(case when {category} = 'Commit'
			then `tabOpportunity`.`base_opportunity_amount` * {{share}} else 0 end) as commit_amount,
		sum(case when {category} in ('Commit', 'Best Case')
			then `tabOpportunity`.`base_opportunity_amount` * {{share}} else 0 end) as best_case,
		sum(case when {category} in ('Pipeline', 'Best Case', 'Commit')
			then `tabOpportunity`.`base_weighted_amount` * {{share}} else 0 end) as weighted_pipeline"""
	conditions = [
		"`tabOpportunity`.`expected_closing` between %(from_date)s and %(to_date)s",
		*([" `tabOpportunity`.`company` = %(company)s"] if scope.get("company") else []),
	]
	join = ""
	if group == "Sales Person":
		join = f"""left join `tabSales Team` team on team.parent = `tabOpportunity`.`name`
			and team.parenttype = 'Opportunity' and team.parentfield = 'sales_team'{overlay_clause("team")}"""
		grp = "coalesce(team.sales_person, `tabOpportunity`.`sales_person`)"
		share = "coalesce(team.allocated_percentage, 100) / 100"
		conditions.append(f"{grp} is not null")
		if scope.get("sales_persons") is not None:
			conditions.append(f"{grp} in ({sql_list(scope['sales_persons'])})")
	else:
		grp = f"`tabOpportunity`.`{GROUPS[group]}`"
		share = "1"
		conditions.append(f"{grp} is not null and {grp} != ''")
	permission = match_condition("Opportunity") if scope.get("apply_permissions") else ""
	return f"""
		select `tabOpportunity`.`company` as company, {grp} as grp,
			{month_of("`tabOpportunity`.`expected_closing`")} as month, 0 as target, 0 as achieved,
			{amounts.format(share=share)}
		from `tabOpportunity` {join}
		where {" and ".join(conditions)} {permission}
		group by 1, 2, 3"""


def order_facts(group: str, scope: dict) -> str:
	conditions = [
		"`tabSales Order`.`docstatus` = 1",
		"`tabSales Order`.`transaction_date` between %(from_date)s and %(to_date)s",
		*(["`tabSales Order`.`company` = %(company)s"] if scope.get("company") else []),
	]
	persons = scope.get("sales_persons")
	join = ""
	if group == "Sales Person":
		join = f"""join `tabSales Team` team on team.parent = `tabSales Order`.`name`
			and team.parenttype = 'Sales Order'{overlay_clause("team")}"""
		grp, share = "team.sales_person", "team.allocated_percentage / 100"
		if persons is not None:
			conditions.append(f"team.sales_person in ({sql_list(persons)})")
	else:
		grp, share = f"`tabSales Order`.`{GROUPS[group]}`", "1"
		conditions.append(f"{grp} is not null and {grp} != ''")
		if persons is not None:
			conditions.append(
				f"""exists (select 1 from `tabSales Team` mine where mine.parent = `tabSales Order`.`name`
				and mine.parenttype = 'Sales Order' and mine.sales_person in ({sql_list(persons)}))"""
			)
	return f"""
		select `tabSales Order`.`company` as company, {grp} as grp,
			{month_of("`tabSales Order`.`transaction_date`")} as month, 0 as target,
			sum(`tabSales Order`.`base_net_total` * {share}) as achieved, 0 as commit_amount, 0 as best_case,
			0 as weighted_pipeline
		from `tabSales Order` {join}
		where {" and ".join(conditions)} {order_permission(scope)}
		group by 1, 2, 3"""


def order_permission(scope: dict) -> str:
	"""The user's conditions on the Sales Orders of *achieved*. A restricted salesperson's orders are
	already those that credit his Sales Persons (`sales_persons` above): all of them count, not only
	those of his Opportunities, which are all the Sales Order list shows him; so his own row reads as
	his manager sees it (User Permissions and a partner limit still apply)."""
	if not scope.get("apply_permissions"):
		return ""
	if scope.get("sales_persons") is not None:
		return credited_orders_condition()
	return match_condition("Sales Order")


def target_facts(group: str, scope: dict) -> str | None:
	"""Targets per month of the report's range (`months`, a recursive CTE of month starts)."""
	if group == "Company":
		if scope.get("restricted"):
			return None
		return f"""
			select c.name as company, c.name as grp, {month_of("months.month_start")} as month,
				sum(c.monthly_sales_target) as target, 0 as achieved, 0 as commit_amount, 0 as best_case,
				0 as weighted_pipeline
			from `tabCompany` c join months
			where ifnull(c.monthly_sales_target, 0) != 0 {"and c.name = %(company)s" if scope.get("company") else ""}
			group by 1, 2, 3"""
	allowed = scope.get("sales_persons") if group == "Sales Person" else scope.get("sales_partners")
	if scope.get("restricted") and allowed is None:
		return None
	allowed_clause = f"and td.parent in ({sql_list(allowed)})" if allowed is not None else ""
	return f"""
		select '' as company, td.parent as grp, {month_of("months.month_start")} as month,
			sum(case
				when ifnull(td.distribution_id, '') = '' then td.target_amount / 12
				else td.target_amount * ifnull(share.percentage_allocation, 0) / 100
			end) as target, 0 as achieved, 0 as commit_amount, 0 as best_case, 0 as weighted_pipeline
		from `tabTarget Detail` td
		join `tabFiscal Year` fy on fy.name = td.fiscal_year
		join months on months.month_start between fy.year_start_date and fy.year_end_date
		left join `tabMonthly Distribution Percentage` share on share.parent = td.distribution_id
			and share.parenttype = 'Monthly Distribution' and share.month = monthname(months.month_start)
		where td.parenttype = {frappe.db.escape(group)} and td.parentfield = 'targets'
			and ifnull(td.target_amount, 0) != 0 {allowed_clause}
		group by 1, 2, 3"""


MONTHS_CTE = """
	with recursive months (month_start) as (
		select cast(date_format(%(from_date)s, '%%Y-%%m-01') as date)
		union all
		select month_start + interval 1 month from months where month_start + interval 1 month <= %(to_date)s
	)"""


def facts_sql(group: str, scope: dict) -> str:
	parts = [opportunity_facts(group, scope), order_facts(group, scope), target_facts(group, scope)]
	return "\nunion all\n".join(part for part in parts if part)


def scope_for(filters, apply_permissions: bool = True) -> dict:
	"""What limits the numbers: the filters, and for a restricted user (row-level access) their own Sales
	Persons / Sales Partners (`opportunity_crm.opportunities.permissions`)."""
	scope = {"company": filters.get("company"), "apply_permissions": apply_permissions}
	restrictions = get_restrictions(frappe.session.user) if apply_permissions else None
	if restrictions:
		scope.update(
			restricted=True,
			sales_persons=restrictions.sales_persons,
			sales_partners=restrictions.sales_partners,
		)
	return scope


def query_values(filters) -> dict:
	return {
		"company": filters.get("company"),
		"from_date": getdate(filters.get("from_date")),
		"to_date": getdate(filters.get("to_date")),
	}


# The report's numbers -----------------------------------------------------------------------------------


def forecast_rows(filters, group: str, period: str) -> list[dict]:
	"""One row per (group value, period) with the five measures, live, in one statement. Sales Persons are
	rolled up the tree: each node sums the facts of every Sales Person in its subtree."""
	scope = scope_for(filters)
	measures = ", ".join(f"sum(f.{m}) as {m}" for m in MEASURES)
	facts = facts_sql(group, scope)
	if group == "Sales Person":
		visible = scope.get("sales_persons")
		query = f"""{MONTHS_CTE}
			select node.name as grp, {period_sql("f.month", period)} as period, {measures}
			from ({facts}) f
			join `tabSales Person` leaf on leaf.name = f.grp
			join `tabSales Person` node on node.lft <= leaf.lft and node.rgt >= leaf.rgt
			{f"where node.name in ({sql_list(visible)})" if visible is not None else ""}
			group by 1, 2"""
	else:
		query = f"""{MONTHS_CTE}
			select f.grp, {period_sql("f.month", period)} as period, {measures}
			from ({facts}) f
			group by 1, 2"""
	return frappe.db.sql(query, query_values(filters), as_dict=True)


def snapshot_rows(filters, group: str, period: str, snapshot_date) -> list[dict]:
	"""The same rows from the snapshot of `snapshot_date` (rolled up the tree as it is now)."""
	scope = scope_for(filters)
	field = GROUPS[group]
	conditions = [
		"s.snapshot_date = %(snapshot_date)s",
		"s.period between date_format(%(from_date)s, '%%Y-%%m') and date_format(%(to_date)s, '%%Y-%%m')",
	]
	others = [f for f in GROUPS.values() if f != field]
	conditions += [f"s.{other} = ''" for other in others if other != "company"]
	conditions.append(f"s.{field} != ''")
	if filters.get("company"):
		conditions.append("s.company in (%(company)s, '')")
	if scope.get("restricted"):
		allowed = {"Sales Person": scope.get("sales_persons"), "Sales Partner": scope.get("sales_partners")}
		if allowed.get(group) is None:
			return []
		conditions.append(f"s.{field} in ({sql_list(allowed[group])})")
	measures = ", ".join(f"sum(s.{m}) as {m}" for m in MEASURES)
	where = " and ".join(conditions)
	if group == "Sales Person":
		query = f"""
			select node.name as grp, {period_sql("s.period", period)} as period, {measures}
			from `tab{SNAPSHOT_DOCTYPE}` s
			join `tabSales Person` leaf on leaf.name = s.sales_person
			join `tabSales Person` node on node.lft <= leaf.lft and node.rgt >= leaf.rgt
			where {where}
			{f"and node.name in ({sql_list(scope['sales_persons'])})" if scope.get("sales_persons") else ""}
			group by 1, 2"""
	else:
		query = f"""
			select s.{field} as grp, {period_sql("s.period", period)} as period, {measures}
			from `tab{SNAPSHOT_DOCTYPE}` s where {where} group by 1, 2"""
	return frappe.db.sql(query, {**query_values(filters), "snapshot_date": snapshot_date}, as_dict=True)


def snapshot_dates() -> list[str]:
	return [
		str(d)
		for d in frappe.db.sql_list(
			f"select distinct snapshot_date from `tab{SNAPSHOT_DOCTYPE}` order by snapshot_date desc"
		)
	]


def opportunities_behind(filters, group: str, group_value: str, period_value: str, measure: str) -> list:
	"""The Opportunities that make a cell of `measure` (commit_amount, best_case, weighted_pipeline) for
	`group_value` in the period `period_value` ('YYYY-MM' or 'YYYY-Qn'): the report's own conditions, the
	user's permissions included."""
	categories = {
		"commit_amount": ("Commit",),
		"best_case": ("Commit", "Best Case"),
		"weighted_pipeline": ("Pipeline", "Best Case", "Commit"),
	}.get(measure)
	if not categories:
		return []
	scope = scope_for(filters)
	values = {**query_values(filters), "group_value": group_value, "period_value": period_value}
	conditions = [
		"`tabOpportunity`.`expected_closing` between %(from_date)s and %(to_date)s",
		f"{CATEGORY} in ({sql_list(categories)})",
	]
	if period_value != "total":
		month = month_of("`tabOpportunity`.`expected_closing`")
		conditions.append(f"{period_sql(month, filters.get('period'))} = %(period_value)s")
	if filters.get("company"):
		conditions.append("`tabOpportunity`.`company` = %(company)s")
	join = ""
	if group == "Sales Person":
		join = f"""left join `tabSales Team` team on team.parent = `tabOpportunity`.`name`
			and team.parenttype = 'Opportunity' and team.parentfield = 'sales_team'{overlay_clause("team")}
			join `tabSales Person` leaf on leaf.name = coalesce(team.sales_person, `tabOpportunity`.`sales_person`)
			join `tabSales Person` node on node.lft <= leaf.lft and node.rgt >= leaf.rgt"""
		conditions.append("node.name = %(group_value)s")
		if scope.get("sales_persons") is not None:
			conditions.append(f"leaf.name in ({sql_list(scope['sales_persons'])})")
	else:
		conditions.append(f"`tabOpportunity`.`{GROUPS[group]}` = %(group_value)s")
	return frappe.db.sql_list(
		f"""select distinct `tabOpportunity`.`name` from `tabOpportunity` {join}
		where {" and ".join(conditions)} {match_condition("Opportunity")}
		limit 1000""",
		values,
	)


def orders_behind(filters, group: str, group_value: str, period_value: str) -> list:
	"""The submitted Sales Orders that make an *achieved* cell, the user's permissions included."""
	scope = scope_for(filters)
	values = {**query_values(filters), "group_value": group_value, "period_value": period_value}
	conditions = [
		"`tabSales Order`.`docstatus` = 1",
		"`tabSales Order`.`transaction_date` between %(from_date)s and %(to_date)s",
	]
	if period_value != "total":
		month = month_of("`tabSales Order`.`transaction_date`")
		conditions.append(f"{period_sql(month, filters.get('period'))} = %(period_value)s")
	if filters.get("company"):
		conditions.append("`tabSales Order`.`company` = %(company)s")
	join = ""
	persons = scope.get("sales_persons")
	if group == "Sales Person":
		join = f"""join `tabSales Team` team on team.parent = `tabSales Order`.`name`
			and team.parenttype = 'Sales Order'{overlay_clause("team")}
			join `tabSales Person` leaf on leaf.name = team.sales_person
			join `tabSales Person` node on node.lft <= leaf.lft and node.rgt >= leaf.rgt"""
		conditions.append("node.name = %(group_value)s")
		if persons is not None:
			conditions.append(f"leaf.name in ({sql_list(persons)})")
	else:
		conditions.append(f"`tabSales Order`.`{GROUPS[group]}` = %(group_value)s")
	return frappe.db.sql_list(
		f"""select distinct `tabSales Order`.`name` from `tabSales Order` {join}
		where {" and ".join(conditions)} {match_condition("Sales Order")}
		limit 1000""",
		values,
	)


# The weekly snapshot --------------------------------------------------------------------------------------


def take_weekly_snapshot() -> None:
	"""Scheduler (weekly): today's snapshot."""
	take_snapshot()


def take_snapshot(snapshot_date=None, commit: bool = True) -> int:
	"""Store the forecast facts of every Sales Person, Sales Partner and Company per month (from the start
	of last year to the end of next year), without any user's restrictions. A rerun on the same day
	replaces that day's rows: delete and insert in one transaction. Return the number of rows stored.
	`commit=False` leaves the transaction to the caller (tests).

	A person's rows are not rolled up: the report rolls them up the tree as it is when it compares."""
	snapshot_date = getdate(snapshot_date or nowdate())
	today = getdate(nowdate())
	filters = frappe._dict(
		from_date=get_first_day(add_months(today, -12 * SNAPSHOT_YEARS_BACK)).replace(month=1),
		to_date=get_last_day(add_months(today, 12 * SNAPSHOT_YEARS_AHEAD)).replace(month=12, day=31),
	)
	scope = scope_for(filters, apply_permissions=False)
	values = {**query_values(filters), "snapshot_date": snapshot_date, "user": frappe.session.user}
	try:
		frappe.db.delete(SNAPSHOT_DOCTYPE, {"snapshot_date": snapshot_date})
		stored = 0
		for group, field in GROUPS.items():
			person = "f.grp" if field == "sales_person" else "''"
			partner = "f.grp" if field == "sales_partner" else "''"
			frappe.db.sql(
				f"""insert into `tab{SNAPSHOT_DOCTYPE}` (name, creation, modified, owner, modified_by,
					docstatus, idx, snapshot_date, company, sales_person, sales_partner, period,
					{", ".join(MEASURES)})
				{MONTHS_CTE}
				select sha1(concat_ws('|', %(snapshot_date)s, f.company, {person}, {partner}, f.month)),
					now(6), now(6), %(user)s, %(user)s, 0, 0, %(snapshot_date)s, f.company, {person},
					{partner}, f.month, {", ".join(f"sum(f.{m})" for m in MEASURES)}
				from ({facts_sql(group, scope)}) f
				group by f.company, f.grp, f.month""",
				values,
			)
			stored += frappe.db._cursor.rowcount or 0
		if commit:
			frappe.db.commit()
	except Exception:
		if commit:
			frappe.db.rollback()
		raise
	return stored


def check_period(period: str) -> str:
	if period not in ("Month", "Quarter"):
		frappe.throw(_("Period must be Month or Quarter (field period)."), frappe.ValidationError)
	return period
