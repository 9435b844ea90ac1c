"""9. The Opportunity Forecast and Pipeline Movement reports at scale: each report's `execute` against a
hand-written SQL that computes the same numbers, as a Sales Manager and as a restricted salesperson, with
MariaDB's EXPLAIN of each query the report runs. From the bench's sites folder:

    ../env/bin/python ../apps/opportunity_crm/benchmarks/forecast_reports.py [--quick] [--keep] [--reuse]

Makes the site bench-forecast.localhost from the clean ERPNext database that `.ci/run` keeps, installs the
app, and adds through documents: a second Company, fiscal years, a Sales Person tree (3 teams, 30 Sales
Persons, one of them a user's through Employee), 20 Sales Partners, a Monthly Distribution and targets of a
few Sales Persons (a team's included) and Sales Partners. Then, in bulk SQL (MariaDB's sequence engine):
N Opportunities (default 1,000,000; 70 / 30 % over the two companies, expected closing over 24 months,
every status and forecast category, weighted amounts that follow the stage's probability), a Sales Team on
10 % of them (60 / 40 splits, an overlay row on 2 %), 50,000 submitted Sales Orders with their Sales Team
(10 % split 50 / 50) and 5 movements per Opportunity (default 5,000,000 Opportunity Movement rows over two
years: the creation, then stage, amount, closing date, category, Sales Person, won, lost and closed moves).
Then measures, as the Sales Manager and as the restricted salesperson (row-level access on):
- Opportunity Forecast by Sales Person, per month, 12 months, all measures; and by Sales Partner;
- Pipeline Movement by Sales Person over the last 30 and the last 90 days;
each against a hand-written SQL of the same numbers (its own GROUP BY over the same tables), checks that
the two give the same totals and prints both ratios, with the EXPLAIN of every statement; and times the
movement report's period statement as MariaDB plans it against the same with `force index (moved_on)`.
Asserts nothing. Drops the site at the end unless --keep (--reuse measures a kept site again). Not run by
CI (it takes many minutes and 6 million rows; measured: 2 min 15 s to load, 9 min to measure).
"""

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import frappe
from data import insert_opportunities, insert_sales_teams, opportunity_name, pick
from frappe.utils import add_days, add_months, add_to_date, get_first_day, get_last_day, getdate, now_datetime
from util import drop_site, make_site, on_site, summary, table, timed_runs

SITE = "bench-forecast.localhost"
TEAMS, PERSONS, PARTNERS = 3, 30, 20
ORDERS = 50_000
MOVES_PER_OPPORTUNITY = 5
OPEN_STATUSES = ("Open", "Quotation", "Replied")
META_KEY = "bench_forecast_meta"
# Opportunity n's attributes, as SQL over `s.n` (the same expressions for its Sales Team and its movements)
PERSON_OF = "(({n}) div 7) mod {persons}"
STATUS_OF = "(({n}) div 3) mod 10"
STATUSES = ["Open", "Open", "Open", "Open", "Quotation", "Replied", "Converted", "Lost", "Closed", "Open"]
OPEN_CATEGORIES = ["Pipeline", "Best Case", "Commit"]
MOVE_KINDS = (
	["Stage"] * 6
	+ ["Amount"] * 4
	+ ["Closing Date"] * 4
	+ ["Forecast Category"] * 2
	# one in 20 each
	+ ["Sales Person", "Won", "Lost", "Closed"]
)


def esc(value) -> str:
	return frappe.db.escape(value)


def window(today) -> tuple:
	"""The forecast's 12 months: from 5 months back to 6 months ahead."""
	return get_first_day(add_months(today, -5)), get_last_day(add_months(today, 6))


def make_documents(today) -> dict:
	"""Users, companies, fiscal years, the Sales Person tree, partners and targets, through documents."""
	from opportunity_crm.tests.factories import (
		make_employee,
		make_sales_partner,
		make_sales_person,
		make_user,
	)

	frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
	company = frappe.defaults.get_global_default("company")
	currency = frappe.get_cached_value("Company", company, "default_currency")
	second = "BFR Second Company"
	if not frappe.db.exists("Company", second):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": second,
				"abbr": "BFR2",
				"default_currency": currency,
				"country": frappe.get_cached_value("Company", company, "country"),
			}
		).insert(ignore_permissions=True)
	for year in range(today.year - 2, today.year + 2):
		if not frappe.db.exists("Fiscal Year", str(year)):
			frappe.get_doc(
				{
					"doctype": "Fiscal Year",
					"year": str(year),
					"year_start_date": f"{year}-01-01",
					"year_end_date": f"{year}-12-31",
				}
			).insert(ignore_permissions=True)
	distribution = frappe.get_doc(
		{
			"doctype": "Monthly Distribution",
			"distribution_id": "BFR Seasonal",
			"percentages": [
				{"month": month, "percentage_allocation": share}
				for month, share in zip(
					[
						"January",
						"February",
						"March",
						"April",
						"May",
						"June",
						"July",
						"August",
						"September",
						"October",
						"November",
						"December",
					],
					[6, 6, 7, 7, 8, 8, 9, 9, 9, 10, 10, 11],
					strict=True,
				)
			],
		}
	).insert(ignore_permissions=True)

	salesperson = make_user("Sales User")
	manager = make_user("Sales User", "Sales Manager")
	teams = [make_sales_person(is_group=1) for _ in range(TEAMS)]
	persons = [make_sales_person(parent=teams[0], employee=make_employee(salesperson))]
	persons += [make_sales_person(parent=teams[i % TEAMS]) for i in range(1, PERSONS)]
	partners = [make_sales_partner() for _ in range(PARTNERS)]

	def add_targets(doctype: str, name: str, amount: float) -> None:
		doc = frappe.get_doc(doctype, name)
		for year in (today.year - 1, today.year, today.year + 1):
			doc.append(
				"targets",
				{
					"item_group": frappe.db.get_value("Item Group", {"is_group": 1}, "name"),
					"fiscal_year": str(year),
					"target_amount": amount,
					"distribution_id": distribution.name,
				},
			)
		doc.save(ignore_permissions=True)

	for i, person in enumerate([persons[0], persons[1], persons[2], persons[3], teams[0]]):
		add_targets("Sales Person", person, 120_000_000 * (i + 1))
	for i, partner in enumerate(partners[:3]):
		add_targets("Sales Partner", partner, 240_000_000 * (i + 1))
	frappe.db.commit()
	return {
		"salesperson": salesperson,
		"manager": manager,
		"person": persons[0],
		"persons": persons,
		"partners": partners,
		"companies": [company, second],
		"company": company,
		"currency": currency,
	}


def make_data(count: int, moves: int, today) -> dict:
	timings = {}
	start = time.perf_counter()
	meta = make_documents(today)
	timings["documents (users, companies, tree, partners, targets)"] = time.perf_counter() - start
	persons, partners, (company, second) = meta["persons"], meta["partners"], meta["companies"]
	stages = frappe.get_all("Sales Stage", fields=["name", "probability"], order_by="name")
	values = {
		"company": company,
		"second": second,
		"currency": meta["currency"],
		"closing_from": get_first_day(add_months(today, -12)),
		"today": today,
		"now": now_datetime(),
	}
	person = PERSON_OF.format(n="s.n", persons=PERSONS)
	seq_status = pick(STATUSES, STATUS_OF.format(n="seq"))
	stage_index = f"s.n mod {len(stages)}"
	probability = f"elt(({stage_index}) + 1, {', '.join(str(int(s.probability or 0)) for s in stages)})"

	def timed(label: str, statements: Callable) -> None:
		began = time.perf_counter()
		statements()
		frappe.db.commit()
		timings[label] = time.perf_counter() - began
		print(f"  loaded {label}: {timings[label]:.1f} s", flush=True)

	def opportunities():
		insert_opportunities(
			"BFR",
			count,
			created="s.created",
			amount="1000 * (1 + s.n mod 500)",
			probability=probability,
			columns={
				"status": "s.status",
				"company": "if(s.n mod 10 < 7, %(company)s, %(second)s)",
				"transaction_date": "date(s.created)",
				"expected_closing": "s.closing",
				"sales_stage": pick([st.name for st in stages], stage_index),
				"forecast_category": f"""case s.status when 'Converted' then 'Closed' when 'Lost' then 'Omitted'
					when 'Closed' then 'Omitted' else {pick(OPEN_CATEGORIES, "(s.n div 11) mod 3")} end""",
				"forecast_category_overridden": "1",
				"converted_on": "if(s.status = 'Converted', s.closing, null)",
				"sales_partner": pick(partners, f"s.n mod {PARTNERS}"),
				"sales_person": pick(persons, person),
			},
			values=values,
			derived={
				"status": seq_status,
				"created": f"%(now)s - interval (seq * 1051200 div {count}) minute",
				"closing": "%(closing_from)s + interval (seq mod 730) day",
			},
		)

	def opportunity_teams():
		# a 60 / 40 split on every 10th Opportunity (its Sales Person first), an overlay row on every 50th
		def row(where: str, person_index: str, share: str, overlay: str = "0") -> tuple:
			columns = {"sales_person": pick(persons, person_index), "allocated_percentage": share}
			return where, {**columns, "overlay": overlay}

		insert_sales_teams(
			"BFR",
			count,
			"%(now)s",
			[
				row("s.n mod 10 = 0", person, "60"),
				row("s.n mod 10 = 0", f"({person} + 7) mod {PERSONS}", "40"),
				row("s.n mod 50 = 0", f"({person} + 13) mod {PERSONS}", "25", overlay="1"),
			],
			values,
			tag="OST",
		)

	def orders():
		frappe.db.sql(
			f"""
			insert into `tabSales Order` (name, creation, modified, modified_by, owner, docstatus, idx,
				naming_series, customer, customer_name, order_type, company, transaction_date, delivery_date,
				currency, conversion_rate, selling_price_list, price_list_currency, plc_conversion_rate,
				net_total, base_net_total, total, base_total, grand_total, base_grand_total, status,
				sales_partner)
			select concat('BFR-SO-', lpad(s.n, 6, '0')), %(now)s, %(now)s, 'Administrator', 'Administrator',
				1, 0, 'SAL-ORD-.YYYY.-', concat('BFR Customer ', s.n mod 5000),
				concat('BFR Customer ', s.n mod 5000), 'Sales', if(s.n mod 10 < 7, %(company)s, %(second)s),
				%(today)s - interval (s.n mod 730) day, %(today)s - interval (s.n mod 730) day,
				%(currency)s, 1, 'Standard Selling', %(currency)s, 1, 1000 * (1 + s.n mod 300),
				1000 * (1 + s.n mod 300), 1000 * (1 + s.n mod 300), 1000 * (1 + s.n mod 300),
				1000 * (1 + s.n mod 300), 1000 * (1 + s.n mod 300), 'To Deliver and Bill',
				{pick(partners, f"s.n mod {PARTNERS}")}
			from (select seq as n from seq_1_to_{ORDERS}) s
			""",
			values,
		)
		order_person = f"(s.n div 3) mod {PERSONS}"
		for row, share, condition, other in (
			(1, "if(s.n mod 10 = 0, 50, 100)", "1 = 1", order_person),
			(2, "50", "s.n mod 10 = 0", f"({order_person} + 11) mod {PERSONS}"),
		):
			frappe.db.sql(
				f"""
				insert into `tabSales Team` (name, creation, modified, modified_by, owner, docstatus, idx,
					parent, parenttype, parentfield, sales_person, allocated_percentage, allocated_amount)
				select concat('BFR-SST-', s.n, '-', {row}), %(now)s, %(now)s, 'Administrator', 'Administrator',
					1, {row}, concat('BFR-SO-', lpad(s.n, 6, '0')), 'Sales Order', 'sales_team',
					{pick(persons, other)}, {share}, 1000 * (1 + s.n mod 300) * {share} / 100
				from (select seq as n from seq_1_to_{ORDERS}) s where {condition}
				""",
				values,
			)

	def movements():
		# row s: Opportunity o = (s - 1) div K + 1, its r-th move (r = 0: its creation); moves in time order
		# between its creation and now. Each chunk appends to the (opportunity, ...) indexes.
		per = max(1, moves // count)
		total = per * count
		step = 500_000
		o_person = PERSON_OF.format(n="s.o", persons=PERSONS)
		kind = pick(MOVE_KINDS, f"(s.s * 31) mod {len(MOVE_KINDS)}")
		from_amount = "1000 * (1 + s.s mod 400)"
		for first in range(0, total, step):
			frappe.db.sql(
				f"""
				insert into `tabOpportunity Movement` (name, creation, modified, modified_by, owner, docstatus,
					idx, opportunity, company, kind, direction, moved_on, moved_by, sales_person,
					from_sales_person, from_stage, to_stage, from_closing_date, to_closing_date,
					from_forecast_category, to_forecast_category, from_status, to_status, currency,
					from_amount, to_amount, from_base_amount, to_base_amount)
				select s.s, s.moved_on, s.moved_on, 'Administrator', 'Administrator', 0, 0,
					{opportunity_name("BFR", "s.o")}, if(s.o mod 10 < 7, %(company)s, %(second)s),
					s.kind,
					case s.kind
						when 'Stage' then if(s.s mod 3 = 0, 'Back', 'Forward')
						when 'Amount' then if(s.s mod 2 = 0, 'Up', 'Down')
						when 'Closing Date' then if(s.s mod 4 = 0, 'Pulled', 'Pushed')
					end,
					s.moved_on, 'Administrator', {pick(persons, o_person)},
					if(s.kind = 'Sales Person', {pick(persons, f"({o_person} + 1) mod {PERSONS}")}, null),
					if(s.kind = 'Stage', {pick([st.name for st in stages], f"s.s mod {len(stages)}")}, null),
					if(s.kind in ('New', 'Stage', 'Won', 'Lost', 'Closed'),
						{pick([st.name for st in stages], f"(s.s + 1) mod {len(stages)}")}, null),
					if(s.kind = 'Closing Date', %(closing_from)s + interval (s.s mod 700) day, null),
					if(s.kind in ('New', 'Closing Date'), %(closing_from)s + interval (s.o mod 730) day, null),
					if(s.kind = 'Forecast Category', 'Pipeline', null),
					if(s.kind in ('New', 'Forecast Category'), 'Commit', null),
					if(s.kind in ('Won', 'Lost', 'Closed'), 'Open', null),
					case s.kind when 'New' then 'Open' when 'Won' then 'Converted' when 'Lost' then 'Lost'
						when 'Closed' then 'Closed' end,
					%(currency)s,
					if(s.kind = 'Amount', {from_amount}, 0),
					case s.kind when 'New' then 1000 * (1 + s.o mod 500)
						when 'Amount' then {from_amount} + if(s.s mod 2 = 0, 500, -500) else 0 end,
					if(s.kind = 'Amount', {from_amount}, 0),
					case s.kind when 'New' then 1000 * (1 + s.o mod 500)
						when 'Amount' then {from_amount} + if(s.s mod 2 = 0, 500, -500) else 0 end
				from (
					select t.s, t.o, if(t.r = 0, 'New', {kind.replace("s.s", "t.s")}) as kind,
						%(now)s - interval (t.o * 1051200 div {count}) minute
							+ interval (least(t.o * 1051200 div {count}, 259200) * t.r div {per}) minute
							- interval (t.s mod 3) second as moved_on
					from (select seq as s, (seq - 1) div {per} + 1 as o, (seq - 1) mod {per} as r
						from seq_{first + 1}_to_{first + min(step, total - first)}) t
				) s
				""",
				values,
			)
			frappe.db.commit()
		frappe.db.sql(f"select setval(`opportunity_movement_id_seq`, {total + 1})")

	timed(f"{count:,} Opportunities", opportunities)
	timed("their Sales Teams", opportunity_teams)
	timed(f"{ORDERS:,} submitted Sales Orders and their Sales Teams", orders)
	timed(f"{max(1, moves // count) * count:,} Opportunity Movements", movements)
	# each Opportunity's last_moved_on and stage_moved_on, as the app's patch gives them to a site's history
	from opportunity_crm.forecasting.movement import backfill_dates

	timed("the Opportunities' movement dates", backfill_dates)

	def analyze():
		for doctype in ("Opportunity", "Sales Team", "Sales Order", "Opportunity Movement", "Target Detail"):
			frappe.db.sql(f"analyze table `tab{doctype}`")

	timed("ANALYZE TABLE", analyze)
	meta["timings"] = timings
	frappe.db.set_global(META_KEY, json.dumps(meta, default=str))
	frappe.db.commit()
	return meta


def check_indexes() -> list[str]:
	"""Every index the app defines on the tables the reports read exists (the movement doctype's
	`on_doctype_update`, the forecast's and the row-level access's)."""
	from opportunity_crm.forecasting.forecast import FORECAST_INDEXES
	from opportunity_crm.forecasting.movement import OPEN_DEAL_INDEXES
	from opportunity_crm.opportunities.permissions import ACCESS_INDEXES
	from opportunity_crm.opportunity_crm.doctype.opportunity_movement.opportunity_movement import (
		on_doctype_update,
	)

	def names(doctype):
		return {row.Key_name for row in frappe.db.sql(f"show index from `tab{doctype}`", as_dict=True)}

	wanted = {
		"Opportunity Movement": {"moved_on", "opportunity_moved_on_index", "opportunity_kind_moved_on_index"},
		"Opportunity": {
			*FORECAST_INDEXES["Opportunity"],
			*ACCESS_INDEXES["Opportunity"],
			*OPEN_DEAL_INDEXES["Opportunity"],
		},
	}
	if wanted["Opportunity Movement"] - names("Opportunity Movement"):
		on_doctype_update()
	lines = []
	for doctype, indexes in wanted.items():
		missing = indexes - names(doctype)
		lines.append(
			f"  {doctype}: {', '.join(sorted(names(doctype)))}"
			+ (f"  (MISSING: {', '.join(sorted(missing))})" if missing else "")
		)
	return lines


# The measured calls ------------------------------------------------------------------------------------


def forecast_filters(meta: dict, group: str, today) -> dict:
	from_date, to_date = window(today)
	return {
		"company": meta["company"],
		"period": "Month",
		"from_date": str(from_date),
		"to_date": str(to_date),
		"group_by": group,
		"value": "All Measures",
	}


def movement_filters(meta: dict, days: int, today) -> dict:
	return {
		"company": meta["company"],
		"from_date": str(add_days(today, -(days - 1))),
		"to_date": str(today),
		"group_by": "Sales Person",
		"stale_days": 14,
	}


FORECAST_MEASURES = ("target", "achieved", "commit_amount", "best_case", "weighted_pipeline")
MOVEMENT_MEASURES = (
	"new_deals",
	"forward",
	"back",
	"pushed",
	"amount_up",
	"amount_down",
	"won",
	"lost",
	"closed",
	"open_deals",
	"avg_days_in_stage",
	"stale",
)


def forecast_report(filters: dict) -> dict:
	"""{group value: {measure: total over the periods}} of the report's `execute`."""
	from opportunity_crm.opportunity_crm.report.opportunity_forecast.opportunity_forecast import execute

	_columns, data, *_rest = execute(filters)
	return {row["group_value"]: {m: row[f"{m}__total"] for m in (*FORECAST_MEASURES, "gap")} for row in data}


def movement_report(filters: dict) -> dict:
	from opportunity_crm.opportunity_crm.report.pipeline_movement.pipeline_movement import execute

	_columns, data, *_rest = execute(filters)
	return {row["group_value"]: {m: row[m] for m in MOVEMENT_MEASURES} for row in data}


def mine(column: str, restricted: bool) -> str:
	"""A join to the salesperson's Opportunities (their own, and those whose Sales Team they are in, an
	overlay row included): each of the two read through its own index."""
	if not restricted:
		return ""
	return f"""join (select `name` from `tabOpportunity` where sales_person = %(person)s
		union select st.parent from `tabSales Team` st where st.parenttype = 'Opportunity'
			and st.parentfield = 'sales_team' and st.sales_person = %(person)s) mine on mine.name = {column}"""


def hand_forecast(filters: dict, meta: dict, restricted: bool) -> dict:
	"""The same numbers as the forecast report, written by hand: the stored forecast category (the data
	keeps it in line with the status), one GROUP BY per source, the tree roll-up over the grouped rows."""
	values = {**filters, "person": meta["person"]}
	share = "coalesce(st.allocated_percentage, 100) / 100"
	if filters["group_by"] == "Sales Person":
		if restricted:
			# the salesperson's credit: 100 % of their own Opportunities without a revenue team, and their
			# revenue rows' share of the others, each read through its index
			amounts = "sum(if(x.forecast_category = 'Commit', x.amount * x.share, 0)) as commit_amount,"
			amounts += " sum(if(x.forecast_category in ('Commit', 'Best Case'), x.amount * x.share, 0))"
			amounts += " as best_case, sum(if(x.forecast_category in ('Pipeline', 'Best Case', 'Commit'),"
			amounts += " x.weighted * x.share, 0)) as weighted_pipeline"
			fields = "o.expected_closing, o.forecast_category, o.base_opportunity_amount as amount,"
			fields += " o.base_weighted_amount as weighted"
			in_window = "o.company = %(company)s and o.expected_closing between %(from_date)s and %(to_date)s"
			opportunities = f"""
			select %(person)s as grp, date_format(x.expected_closing, '%%Y-%%m') as month, 0 as target,
				0 as achieved, {amounts}
			from (
				select {fields}, 1 as share from `tabOpportunity` o
				where o.sales_person = %(person)s and {in_window} and not exists (select 1 from `tabSales Team` st
					where st.parent = o.name and st.parenttype = 'Opportunity' and st.overlay = 0)
				union all
				select {fields}, st.allocated_percentage / 100 from `tabSales Team` st
				join `tabOpportunity` o on o.name = st.parent
				where st.parenttype = 'Opportunity' and st.parentfield = 'sales_team'
					and st.sales_person = %(person)s and st.overlay = 0 and {in_window}
			) x
			group by 1, 2"""
		else:
			opportunities = f"""
			select coalesce(st.sales_person, o.sales_person) as grp,
				date_format(o.expected_closing, '%%Y-%%m') as month, 0 as target, 0 as achieved,
				sum(if(o.forecast_category = 'Commit', o.base_opportunity_amount * {share}, 0)) as commit_amount,
				sum(if(o.forecast_category in ('Commit', 'Best Case'), o.base_opportunity_amount * {share}, 0))
					as best_case,
				sum(if(o.forecast_category in ('Pipeline', 'Best Case', 'Commit'),
					o.base_weighted_amount * {share}, 0)) as weighted_pipeline
			from `tabOpportunity` o
			left join `tabSales Team` st on st.parent = o.name and st.parenttype = 'Opportunity'
				and st.overlay = 0
			where o.company = %(company)s and o.expected_closing between %(from_date)s and %(to_date)s
			group by 1, 2"""
		facts = f"""{opportunities}
			union all
			select st.sales_person, date_format(so.transaction_date, '%%Y-%%m'), 0,
				sum(so.base_net_total * st.allocated_percentage / 100), 0, 0, 0
			from `tabSales Order` so
			join `tabSales Team` st on st.parent = so.name and st.parenttype = 'Sales Order'
			where so.docstatus = 1 and so.company = %(company)s
				and so.transaction_date between %(from_date)s and %(to_date)s
				{"and st.sales_person = %(person)s" if restricted else ""}
			group by 1, 2"""
		target_owner = "Sales Person"
	else:
		facts = f"""
			select o.sales_partner as grp, date_format(o.expected_closing, '%%Y-%%m') as month, 0 as target,
				0 as achieved,
				sum(if(o.forecast_category = 'Commit', o.base_opportunity_amount, 0)) as commit_amount,
				sum(if(o.forecast_category in ('Commit', 'Best Case'), o.base_opportunity_amount, 0))
					as best_case,
				sum(if(o.forecast_category in ('Pipeline', 'Best Case', 'Commit'), o.base_weighted_amount, 0))
					as weighted_pipeline
			from `tabOpportunity` o {mine("o.name", restricted)}
			where o.company = %(company)s and o.expected_closing between %(from_date)s and %(to_date)s
				and o.sales_partner != ''
			group by 1, 2
			union all
			select so.sales_partner, date_format(so.transaction_date, '%%Y-%%m'), 0, sum(so.base_net_total),
				0, 0, 0
			from `tabSales Order` so
			where so.docstatus = 1 and so.company = %(company)s
				and so.transaction_date between %(from_date)s and %(to_date)s and so.sales_partner != ''
				{
			'''and exists (select 1 from `tabSales Team` st where st.parent = so.name
					and st.parenttype = 'Sales Order' and st.sales_person = %(person)s)'''
			if restricted
			else ""
		}
			group by 1, 2"""
		# a restricted salesperson has no Sales Partner of their own: no partner's target is theirs
		target_owner = None if restricted else "Sales Partner"
	if target_owner:
		facts += f"""
			union all
			select td.parent, date_format(m.month_start, '%%Y-%%m'),
				sum(td.target_amount * mdp.percentage_allocation / 100), 0, 0, 0, 0
			from `tabTarget Detail` td
			join `tabFiscal Year` fy on fy.name = td.fiscal_year
			join (select cast(%(from_date)s as date) + interval seq month as month_start from seq_0_to_11) m
				on m.month_start between fy.year_start_date and fy.year_end_date
			join `tabMonthly Distribution Percentage` mdp on mdp.parent = td.distribution_id
				and mdp.month = monthname(m.month_start)
			where td.parenttype = {esc(target_owner)} and td.parentfield = 'targets'
				{"and td.parent = %(person)s" if restricted else ""}
			group by 1, 2"""
	sums = ", ".join(f"sum(f.{m}) as {m}" for m in FORECAST_MEASURES)
	if filters["group_by"] == "Sales Person":
		query = f"""
			select node.name as grp, f.month, {sums}
			from ({facts}) f
			join `tabSales Person` leaf on leaf.name = f.grp
			join `tabSales Person` node on node.lft <= leaf.lft and node.rgt >= leaf.rgt
			{"where node.name = %(person)s" if restricted else ""}
			group by 1, 2"""
	else:
		query = f"select f.grp, f.month, {sums} from ({facts}) f group by 1, 2"
	totals = defaultdict(lambda: dict.fromkeys(FORECAST_MEASURES, 0.0))
	for row in frappe.db.sql(query, values, as_dict=True):
		for m in FORECAST_MEASURES:
			totals[row.grp][m] += round(float(row[m] or 0), 2)
	# the gap as the report defines it (docs/guide.md, forecasting/forecast.py): target - achieved - commit,
	# only against a target; without one it is empty (None), as ERPNext's Target Variance reports have no
	# row, hence no variance, for a Sales Person or Partner without a target
	for cell in totals.values():
		cell["gap"] = (
			round(cell["target"] - cell["achieved"] - cell["commit_amount"], 2)
			if round(cell["target"], 2)
			else None
		)
	return dict(totals)


def hand_movement(filters: dict, meta: dict, restricted: bool) -> dict:
	"""The same numbers as the movement report, by hand: the period's movements grouped by their Sales
	Person; the open Opportunities with their last moves as each keeps them (`last_moved_on`,
	`stage_moved_on`, the log's dates the movement log keeps on the Opportunity)."""
	now = now_datetime()
	values = {
		**filters,
		"person": meta["person"],
		"moved_before": add_days(getdate(filters["to_date"]), 1),
		"now": now,
		"stale_before": add_to_date(now, days=-filters["stale_days"]),
		"open_statuses": OPEN_STATUSES,
	}

	def count(condition):
		return f"count(distinct if({condition}, m.opportunity, null))"

	rows = {}
	for row in frappe.db.sql(
		f"""
		select m.sales_person as grp, {count("m.kind = 'New'")} as new_deals,
			{count("m.kind = 'Stage' and m.direction = 'Forward'")} as forward,
			{count("m.kind = 'Stage' and m.direction = 'Back'")} as back,
			{count("m.kind = 'Closing Date' and m.direction = 'Pushed'")} as pushed,
			sum(if(m.kind = 'Amount' and m.direction = 'Up', m.to_base_amount - m.from_base_amount, 0))
				as amount_up,
			sum(if(m.kind = 'Amount' and m.direction = 'Down', m.from_base_amount - m.to_base_amount, 0))
				as amount_down,
			{count("m.kind = 'Won'")} as won, {count("m.kind = 'Lost'")} as lost,
			{count("m.kind = 'Closed'")} as closed
		from `tabOpportunity Movement` m {mine("m.opportunity", restricted)}
		where m.moved_on >= %(from_date)s and m.moved_on < %(moved_before)s and m.company = %(company)s
		group by 1
		""",
		values,
		as_dict=True,
	) + frappe.db.sql(
		f"""
		select o.sales_person as grp, count(*) as open_deals,
			avg(timestampdiff(second, coalesce(o.stage_moved_on, o.creation), %(now)s)) / 86400
				as avg_days_in_stage,
			sum(coalesce(o.last_moved_on, o.creation) < %(stale_before)s) as stale
		from `tabOpportunity` o {mine("o.name", restricted)}
		where o.status in %(open_statuses)s and o.company = %(company)s
		group by 1
		""",
		values,
		as_dict=True,
	):
		target = rows.setdefault(row.grp, dict.fromkeys(MOVEMENT_MEASURES, 0))
		target.update({k: v for k, v in row.items() if k != "grp"})
	for row in rows.values():
		for m in MOVEMENT_MEASURES:
			row[m] = round(float(row[m] or 0), 1 if m == "avg_days_in_stage" else 2)
	return rows


def compare(report: dict, hand: dict) -> tuple[bool, str]:
	"""Same group values and, for each, the same numbers (cents: each cell is rounded to them; days in
	stage: a tenth, both measured at their own `now`). An empty cell (None: the report's gap without a
	target) equals only an empty one."""
	if set(report) != set(hand):
		return False, f"group values differ: {sorted(set(report) ^ set(hand), key=str)[:4]}"
	worst, where = 0.0, ""
	for grp, numbers in report.items():
		for measure, value in numbers.items():
			other = hand[grp].get(measure)
			if value is None or other is None:
				if (value is None) != (other is None):
					worst, where = float("inf"), f"{grp} {measure}: report {value}, hand {other}"
				continue
			tolerance = 0.11 if measure == "avg_days_in_stage" else 0.01 * 13 + 1e-12 * abs(float(value))
			diff = abs(float(value) - float(other))
			if diff > tolerance and diff > worst:
				worst, where = diff, f"{grp} {measure}: report {value}, hand {other}"
	totals = defaultdict(float)
	for numbers in report.values():
		for measure, value in numbers.items():
			totals[measure] += float(value or 0)
	shown = ", ".join(
		f"{m} {totals[m]:,.0f}"
		for m in ("target", "achieved", "commit_amount", "weighted_pipeline", "new_deals", "forward", "stale")
		if m in totals
	)
	return not where, (where or f"equal over {len(report)} rows ({shown})")


def cases(meta: dict, today) -> list[tuple[str, Callable, Callable]]:
	"""(name, report call, hand-SQL call given `restricted`)."""
	by_person = forecast_filters(meta, "Sales Person", today)
	by_partner = forecast_filters(meta, "Sales Partner", today)
	days_30, days_90 = movement_filters(meta, 30, today), movement_filters(meta, 90, today)
	return [
		(
			"forecast by Sales Person, 12 months",
			lambda: forecast_report(by_person),
			lambda r: hand_forecast(by_person, meta, r),
		),
		(
			"forecast by Sales Partner, 12 months",
			lambda: forecast_report(by_partner),
			lambda r: hand_forecast(by_partner, meta, r),
		),
		(
			"movement, last 30 days",
			lambda: movement_report(days_30),
			lambda r: hand_movement(days_30, meta, r),
		),
		(
			"movement, last 90 days",
			lambda: movement_report(days_90),
			lambda r: hand_movement(days_90, meta, r),
		),
	]


READS = ("tabOpportunity", "tabSales Order", "tabTarget Detail")


def recorded(fn) -> list[tuple[str, object]]:
	"""The statements fn runs on the reports' tables (wrapping frappe.db.sql, as access_indexes does)."""
	queries, original = [], frappe.db.sql

	def recording(query, values=(), *args, **kwargs):
		queries.append((str(query), values))
		return original(query, values, *args, **kwargs)

	frappe.db.sql = recording
	try:
		fn()
	finally:
		frappe.db.sql = original
	return [
		(query, values)
		for query, values in queries
		if any(t in query for t in READS) and query.lstrip().lower().startswith(("select", "with"))
	]


def explain(fn) -> list[str]:
	lines = []
	for query, values in recorded(fn):
		lines.append("   " + " ".join(query.split())[:900])
		for row in frappe.db.sql(f"explain {query}", values, as_dict=True):
			lines.append(
				f"     -> id={row.id} {row.select_type} table={row.table} type={row.type} key={row.key}"
				f" rows={row.rows} extra={row.Extra}"
			)
	return lines


MOVEMENTS = "`tabOpportunity Movement` `m`"


def index_hint(meta: dict, runs: int, today) -> list[list]:
	"""The movement report's period statement (the Sales Manager's) as it runs, and with
	`force index (moved_on)`: what the index the doctype declares would give where MariaDB scans."""
	rows = []
	act_as(meta, "manager")
	for days in (30, 90):
		filters = movement_filters(meta, days, today)
		query, values = next(
			(q, v) for q, v in recorded(lambda f=filters: movement_report(f)) if "`m`.`moved_on` >=" in q
		)
		hinted = query.replace(MOVEMENTS, f"{MOVEMENTS} force index (`moved_on`)", 1)
		same = sorted(map(tuple, frappe.db.sql(query, values))) == sorted(
			map(tuple, frappe.db.sql(hinted, values))
		)
		plans = []
		for statement in (query, hinted):
			plan = frappe.db.sql(f"explain {statement}", values, as_dict=True)[0]
			plans.append(f"type={plan.type} key={plan.key} rows={plan.rows}")
		as_is = summary(timed_runs(lambda _run, q=query, v=values: frappe.db.sql(q, v), runs=runs))
		forced = summary(timed_runs(lambda _run, q=hinted, v=values: frappe.db.sql(q, v), runs=runs))
		rows.append(
			[
				f"last {days} days",
				plans[0],
				as_is[0],
				plans[1],
				forced[0],
				f"{forced[0] / as_is[0]:.2f}",
				"yes" if same else "NO",
			]
		)
	act_as({"Administrator": "Administrator"}, "Administrator")
	return rows


def act_as(meta: dict, who: str) -> None:
	frappe.set_user(meta[who])
	frappe.local.request_cache = defaultdict(dict)  # permissions.get_restrictions is request-cached


WHO = ("manager", "salesperson")


def measure(meta: dict, runs: int, today) -> tuple[dict, dict]:
	figures, checks, plans = {}, {}, []
	frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
	frappe.db.commit()
	for name, report, hand in cases(meta, today):
		for who in WHO:
			restricted = who == "salesperson"
			act_as(meta, who)
			result = report()
			checks[(name, who)] = (*compare(result, hand(restricted)), len(result))
			print(f"  {name} ({who}): {checks[(name, who)][1]}", flush=True)
			figures[(name, who, "report")] = summary(timed_runs(lambda _run, f=report: f(), runs=runs))
			figures[(name, who, "hand SQL")] = summary(
				timed_runs(lambda _run, f=hand, r=restricted: f(r), runs=runs)
			)
			plans.append(f"  {name}, as the {who}, the report's statements:")
			plans += explain(report)
			plans.append(f"  {name}, as the {who}, the hand-written SQL:")
			plans += explain(lambda f=hand, r=restricted: f(r))
	act_as({"Administrator": "Administrator"}, "Administrator")
	print("\nEXPLAIN of each statement (report, then hand-written SQL):")
	print("\n".join(plans))
	return figures, checks


def run(count: int, moves: int, runs: int, keep: bool, root_password: str, reuse: bool = False) -> None:
	if not reuse:
		began = time.perf_counter()
		make_site(SITE, root_password)
		print(
			f"site made from the clean ERPNext database, app installed: {time.perf_counter() - began:.0f} s"
		)
	with on_site(SITE):
		today = getdate()
		if reuse:
			meta = json.loads(frappe.db.get_global(META_KEY))
		else:
			print("loading:")
			meta = make_data(count, moves, today)
		from opportunity_crm.opportunities.permissions import match_condition

		opportunities = frappe.db.count("Opportunity")
		movements = frappe.db.sql("select count(*) from `tabOpportunity Movement`")[0][0]
		act_as(meta, "salesperson")
		own = frappe.db.sql(  # through the row-level access
			f"select count(*) from `tabOpportunity` where 1 = 1 {match_condition('Opportunity')}"
		)[0][0]
		condition = match_condition("Opportunity")
		act_as({"Administrator": "Administrator"}, "Administrator")
		print(
			f"\n{opportunities:,} Opportunities ({len(meta['companies'])} companies, {PERSONS} Sales Persons in"
			f" {TEAMS} teams, {PARTNERS} Sales Partners), "
			f"{frappe.db.count('Sales Team', {'parenttype': 'Opportunity'}):,} Opportunity Sales Team rows, "
			f"{frappe.db.count('Sales Order', {'docstatus': 1}):,} submitted Sales Orders, "
			f"{movements:,} Opportunity Movements; the restricted salesperson sees {own:,} Opportunities"
		)
		condition = " ".join(condition.split()).removeprefix("and ")
		print(f"the salesperson's row-level access condition on Opportunity: {condition[:600]}")
		if meta.get("timings"):
			table(
				"loading, seconds",
				["step", "s"],
				[[label, seconds] for label, seconds in meta["timings"].items()]
				+ [["total", sum(meta["timings"].values())]],
			)
		print("\nindexes:")
		print("\n".join(check_indexes()))
		print("\nchecks (report against the hand-written SQL, every row and measure):")
		figures, checks = measure(meta, runs, today)
		hint_rows = index_hint(meta, runs, today)

	rows = []
	for name, _report, _hand in cases(meta, today):
		for who in WHO:
			report_ms, hand_ms = figures[(name, who, "report")], figures[(name, who, "hand SQL")]
			rows.append(
				[
					f"{name} ({who})",
					checks[(name, who)][2],
					report_ms[0],
					f"{report_ms[1]:,.0f}-{report_ms[2]:,.0f}",
					hand_ms[0],
					f"{hand_ms[1]:,.0f}-{hand_ms[2]:,.0f}",
					f"{report_ms[0] / hand_ms[0]:.2f}",
					"yes" if checks[(name, who)][0] else "NO",
				]
			)
	table(
		f"9. Forecast and movement reports over {opportunities:,} Opportunities and {movements:,} movements, "
		f"ms (median of {runs} runs after a warm-up)",
		[
			"report (user)",
			"rows",
			"report",
			"min-max",
			"hand SQL",
			"min-max",
			"report / hand",
			"same numbers",
		],
		rows,
	)
	table(
		"restricted salesperson / Sales Manager (ratio of the medians)",
		["report", "report's execute", "hand SQL"],
		[
			[
				name,
				f"{figures[(name, 'salesperson', 'report')][0] / figures[(name, 'manager', 'report')][0]:.2f}",
				f"{figures[(name, 'salesperson', 'hand SQL')][0] / figures[(name, 'manager', 'hand SQL')][0]:.2f}",
			]
			for name, _report, _hand in cases(meta, today)
		],
	)
	table(
		"the movement report's period statement (Sales Manager), as MariaDB plans it and with force index"
		" (moved_on), ms",
		["period", "plan as run", "as run", "plan forced", "forced", "forced / as run", "same rows"],
		hint_rows,
	)
	if not keep:
		drop_site(SITE, root_password)


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--opportunities", type=int, default=1_000_000)
	parser.add_argument("--movements", type=int, default=5_000_000)
	parser.add_argument("--quick", action="store_true", help="100,000 Opportunities, 500,000 movements")
	parser.add_argument("--runs", type=int, default=5)
	parser.add_argument("--keep", action="store_true", help="keep the site")
	parser.add_argument("--reuse", action="store_true", help="measure the site a --keep run kept")
	parser.add_argument("--app-site")  # accepted (and ignored) so that benchmarks/run can pass its arguments
	parser.add_argument("--stock-site")
	args = parser.parse_args()
	count = 100_000 if args.quick else args.opportunities
	moves = MOVES_PER_OPPORTUNITY * count if args.quick else args.movements
	run(count, moves, args.runs, args.keep, os.environ.get("DB_ROOT_PASSWORD", "root"), args.reuse)


if __name__ == "__main__":
	main()
