"""10. The Pipeline Movement report over ~5,000,000 Opportunity Movement rows, as a Sales Manager: the report's
`execute` for its default period (the last 7 days) and for the last 90 days, against a hand-written SQL of
the same numbers that reads the best index the movement table has. From the bench's sites folder:

    ../env/bin/python ../apps/opportunity_crm/benchmarks/movement_report.py --site SITE [--make-site]
        [--reuse] [--opportunities N] [--moves-per-opportunity K] [--runs R]

SITE must have the app (`--make-site` makes it afresh from the clean ERPNext database `.ci/run` keeps).
Without --reuse it loads the data, on that one site: the documents of benchmark 9 (`forecast_reports.
make_documents`: two companies, a tree of 3 teams and 30 Sales Persons, a Sales Manager and a restricted
salesperson), then in bulk SQL (MariaDB's sequence engine) N Opportunities (default 500,000) created over
the two years back from today, and K movements each (default 10: 5,000,000 rows): its creation, stage,
amount, closing date, forecast category and Sales Person moves over up to 90 days of its life, and, for
those that ended (nine in ten of those older than 120 days, one in five of the younger), a last Won, Lost
or Closed move. What stays open is the recent deals and one in ten of the old ones (stale).
--reuse measures the data a previous run left (the bench meta is kept in the site's defaults); a site
loaded before the Opportunity had `last_moved_on` and `stage_moved_on` needs `bench --site SITE migrate`
first (the patch `backfill_movement_dates` fills them: 17 s over 500,000 Opportunities here).

Then, as the Sales Manager, times (median and min-max of R runs after a warm-up, the calls taken in
turns) the report's `execute`, the hand-written SQL and each of their statements alone, checks that both
give the same numbers and prints report / hand, with the plan (EXPLAIN) of every statement of both.
Asserts nothing; not run by CI. `run(site, ...)` is what benchmarks/run.py calls.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import frappe
from data import insert_opportunities, opportunity_name, pick
from forecast_reports import (
	MOVEMENT_MEASURES,
	OPEN_STATUSES,
	PERSONS,
	act_as,
	compare,
	make_documents,
	movement_report,
	recorded,
)
from frappe.utils import add_days, add_months, add_to_date, get_first_day, getdate, now_datetime
from util import make_site, on_site, summary, table

SITE = "bench-movement.localhost"
META_KEY = "bench_movement_meta"
PREFIX = "BMV"  # its Opportunities: BMV-OPP-0000001 …
MINUTES_2Y = 730 * 24 * 60
LIFE = 90 * 24 * 60  # minutes over which a deal's moves spread
ENDED_AFTER = 120 * 24 * 60  # older than this: nine in ten ended
# the moves between the creation and the end, one in 17 each
MIDDLE_KINDS = (
	["Stage"] * 6 + ["Amount"] * 4 + ["Closing Date"] * 4 + ["Forecast Category"] * 2 + ["Sales Person"]
)
ENDED_STATUSES = ["Converted"] * 3 + ["Lost"] * 5 + ["Closed"] * 2
OPEN_ONES = ["Open", "Open", "Quotation", "Replied"]


def load(count: int, per: int, today, meta: dict | None = None) -> dict:
	"""The data; the documents of an earlier load (`meta`) are kept."""
	timings = {}
	started = time.perf_counter()
	meta = meta or make_documents(today)
	timings["documents"] = time.perf_counter() - started
	persons, (company, second) = meta["persons"], meta["companies"]
	stages = frappe.get_all("Sales Stage", fields=["name", "probability"], order_by="name")
	stage_names = [s.name for s in stages]
	values = {
		"company": company,
		"second": second,
		"currency": meta["currency"],
		"closing_from": get_first_day(add_months(today, -12)),
		"now": now_datetime(),
	}
	# Opportunity n (1 = the newest): its age in minutes, whether it ended, its status
	age = f"((n) * {MINUTES_2Y} div {count})"
	ended = f"(({age} > {ENDED_AFTER} and (n) mod 10 <> 0) or ({age} <= {ENDED_AFTER} and (n) mod 5 = 0))"
	status = (
		f"if({ended}, {pick(ENDED_STATUSES, '((n) div 10) mod 10')}, {pick(OPEN_ONES, '((n) div 3) mod 4')})"
	)
	person = f"(((n) div 7) mod {PERSONS})"

	def at(expr: str, n: str) -> str:
		return expr.replace("(n)", f"({n})")

	def timed(label, fn):
		began = time.perf_counter()
		fn()
		frappe.db.commit()
		timings[label] = time.perf_counter() - began
		print(f"  loaded {label}: {timings[label]:.1f} s", flush=True)

	def opportunities():
		stage_index = f"s.n mod {len(stages)}"
		insert_opportunities(
			PREFIX,
			count,
			created="s.created",
			amount="1000 * (1 + s.n mod 500)",
			probability=f"elt(({stage_index}) + 1, {', '.join(str(int(s.probability or 0)) for s in stages)})",
			columns={
				"status": "s.status",
				"company": "if(s.n mod 10 < 7, %(company)s, %(second)s)",
				"transaction_date": "date(s.created)",
				"expected_closing": "s.closing",
				"sales_stage": pick(stage_names, stage_index),
				"forecast_category": """case s.status when 'Converted' then 'Closed' when 'Lost' then 'Omitted'
					when 'Closed' then 'Omitted' else 'Pipeline' end""",
				"forecast_category_overridden": "1",
				"converted_on": "if(s.status = 'Converted', date(s.created), null)",
				"sales_person": pick(persons, at(person, "s.n")),
			},
			values=values,
			derived={
				"status": at(status, "seq"),
				"created": f"%(now)s - interval {at(age, 'seq')} minute",
				"closing": "%(closing_from)s + interval (seq mod 730) day",
			},
		)

	def movements():
		# row s: Opportunity o = (s - 1) div K + 1, its r-th move (r = 0: its creation, r = K - 1: its end
		# when it ended), at creation + min(age, 90 days) * r / K
		total = per * count
		step = 500_000
		middle = pick(MIDDLE_KINDS, f"(t.s * 31) mod {len(MIDDLE_KINDS)}")
		end_kind = f"case {at(status, 't.o')} when 'Converted' then 'Won' else {at(status, 't.o')} end"
		from_amount = "1000 * (1 + s.s mod 400)"
		o_person = at(person, "s.o")
		for first in range(0, total, step):
			frappe.db.sql(
				f"""
				insert into `tabOpportunity Movement` (name, creation, modified, modified_by, owner, docstatus,
					idx, opportunity, company, kind, direction, moved_on, moved_by, sales_person,
					from_sales_person, from_stage, to_stage, from_closing_date, to_closing_date,
					from_forecast_category, to_forecast_category, from_status, to_status, currency,
					from_amount, to_amount, from_base_amount, to_base_amount)
				select s.s, s.moved_on, s.moved_on, 'Administrator', 'Administrator', 0, 0,
					{opportunity_name(PREFIX, "s.o")}, if(s.o mod 10 < 7, %(company)s, %(second)s), s.kind,
					case s.kind
						when 'Stage' then if(s.s mod 3 = 0, 'Back', 'Forward')
						when 'Amount' then if(s.s mod 2 = 0, 'Up', 'Down')
						when 'Closing Date' then if(s.s mod 4 = 0, 'Pulled', 'Pushed')
					end,
					s.moved_on, 'Administrator', {pick(persons, o_person)},
					if(s.kind = 'Sales Person', {pick(persons, f"({o_person} + 1) mod {PERSONS}")}, null),
					if(s.kind = 'Stage', {pick(stage_names, f"s.s mod {len(stages)}")}, null),
					if(s.kind in ('New', 'Stage', 'Won', 'Lost', 'Closed'),
						{pick(stage_names, f"(s.s + 1) mod {len(stages)}")}, null),
					if(s.kind = 'Closing Date', %(closing_from)s + interval (s.s mod 700) day, null),
					if(s.kind in ('New', 'Closing Date'), %(closing_from)s + interval (s.o mod 730) day, null),
					if(s.kind = 'Forecast Category', 'Best Case', null),
					if(s.kind in ('New', 'Forecast Category'), 'Pipeline', null),
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
					select t.s, t.o,
						case when t.r = 0 then 'New' when t.r = {per - 1} and {at(ended, "t.o")} then {end_kind}
							else {middle} end as kind,
						%(now)s - interval {at(age, "t.o")} minute
							+ interval (least({at(age, "t.o")}, {LIFE}) * t.r div {per}) minute as moved_on
					from (select seq as s, (seq - 1) div {per} + 1 as o, (seq - 1) mod {per} as r
						from seq_{first + 1}_to_{first + min(step, total - first)}) t
				) s
				""",
				values,
			)
			frappe.db.commit()
		frappe.db.sql(f"select setval(`opportunity_movement_id_seq`, {total + 1})")

	timed(f"{count:,} Opportunities", opportunities)
	timed(f"{per * count:,} Opportunity Movements", movements)
	# each Opportunity's last_moved_on and stage_moved_on, as the app's patch gives them to a site's history
	from opportunity_crm.forecasting.movement import backfill_dates

	timed("the Opportunities' movement dates (backfill_dates)", backfill_dates)
	timed(
		"ANALYZE TABLE",
		lambda: [frappe.db.sql(f"analyze table `tab{d}`") for d in ("Opportunity", "Opportunity Movement")],
	)
	meta.update(timings=timings, opportunities=count, movements=per * count, loaded_on=str(today))
	frappe.db.set_global(META_KEY, json.dumps(meta, default=str))
	frappe.db.commit()
	return meta


def clear() -> None:
	"""What an earlier load left: its Opportunities and the movement log (the benchmark's own site)."""
	frappe.db.sql(f"delete from `tabOpportunity` where name like '{PREFIX}-OPP-%%'")
	frappe.db.commit()
	frappe.db.truncate("Opportunity Movement")


# The measured calls ------------------------------------------------------------------------------------


def filters_of(meta: dict, days: int, today) -> dict:
	return {
		"company": meta["company"],
		"from_date": str(add_days(today, -(days - 1))),
		"to_date": str(today),
		"group_by": "Sales Person",
		"stale_days": 14,
	}


def hand_values(filters: dict) -> dict:
	now = now_datetime()
	return {
		**filters,
		"moved_before": add_days(getdate(filters["to_date"]), 1),
		"now": now,
		"stale_before": add_to_date(now, days=-filters["stale_days"]),
		"open_statuses": OPEN_STATUSES,
		"persons": frappe.get_all("Sales Person", pluck="name"),
	}


def hand_period_sql() -> str:
	"""The period's movements, by hand: the Opportunities and the amount change of each (Sales Person, kind,
	direction), read from the covering (company, sales_person, kind, direction, moved_on, ...) index alone,
	a range per Sales Person, kind and direction, in the GROUP BY's order (no temporary table)."""
	return """
		select m.sales_person as grp, m.kind, m.direction, count(distinct m.opportunity) as n,
			sum(m.to_base_amount - m.from_base_amount) as amount
		from `tabOpportunity Movement` m
		where m.company = %(company)s and (m.sales_person in %(persons)s or m.sales_person is null)
			and m.kind in ('New', 'Stage', 'Closing Date', 'Amount', 'Won', 'Lost', 'Closed')
			and (m.direction in ('Forward', 'Back', 'Pushed', 'Up', 'Down') or m.direction is null)
			and m.moved_on >= %(from_date)s and m.moved_on < %(moved_before)s
		group by 1, 2, 3"""


HAND_COLUMNS = {
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


def hand_open_sql() -> str:
	"""The open Opportunities now, by hand: each one's last move and its last New or Stage move as the
	Opportunity holds them (`last_moved_on`, `stage_moved_on`: the movement log keeps them in the
	transaction of its rows), one row per open deal and no look-up in the log, read from the covering
	(status, company, converted_on, sales_person, creation, last_moved_on, stage_moved_on) index alone
	(`movement.OPEN_DEAL_INDEXES`): 0.13-0.21 s where the table scan took 0.3-0.6 s. Before those columns,
	the best hand query took the dates from the log by two correlated look-ups per deal over the
	(opportunity, moved_on) and (opportunity, kind, moved_on) indexes: 1.0-1.1 s on this data, where a
	derived table grouped per Opportunity (LATERAL DERIVED) was 2-3x slower."""
	return """
		select o.sales_person as grp, count(*) as open_deals,
			avg(timestampdiff(second, coalesce(o.stage_moved_on, o.creation), %(now)s)) / 86400
				as avg_days_in_stage,
			sum(coalesce(o.last_moved_on, o.creation) < %(stale_before)s) as stale
		from `tabOpportunity` o
		where o.status in %(open_statuses)s and o.converted_on is null and o.company = %(company)s
		group by 1"""


def hand(filters: dict) -> dict:
	values = hand_values(filters)
	rows = {}
	for move in frappe.db.sql(hand_period_sql(), values, as_dict=True):
		column = HAND_COLUMNS.get((move.kind, move.direction)) or HAND_COLUMNS.get((move.kind, None))
		if column:
			target = rows.setdefault(move.grp, dict.fromkeys(MOVEMENT_MEASURES, 0))
			value = {"amount_up": move.amount, "amount_down": -move.amount}.get(column, move.n)
			target[column] += value
	for row in frappe.db.sql(hand_open_sql(), values, as_dict=True):
		target = rows.setdefault(row.grp, dict.fromkeys(MOVEMENT_MEASURES, 0))
		target.update({k: v for k, v in row.items() if k != "grp"})
	for row in rows.values():
		for m in MOVEMENT_MEASURES:
			row[m] = round(float(row[m] or 0), 1 if m == "avg_days_in_stage" else 2)
	return rows


def plans(statements: list[tuple[str, object]]) -> list[str]:
	lines = []
	for query, values in statements:
		lines.append("   " + " ".join(query.split())[:300])
		for row in frappe.db.sql(f"explain {query}", values, as_dict=True):
			lines.append(
				f"     -> id={row.id} {row.select_type} table={row.table} type={row.type} key={row.key}"
				f" rows={row.rows} extra={row.Extra}"
			)
	return lines


def alternated(calls: dict, runs: int) -> dict:
	"""Seconds of each of `runs` calls of each function, taken in turns (a, b, c, a, b, c, ...) after one
	unmeasured call of each: load from the machine's other users falls on every column alike."""
	times = {name: [] for name in calls}
	for run in range(-1, runs):
		for name, fn in calls.items():
			start = time.perf_counter()
			fn()
			if run >= 0:
				times[name].append(time.perf_counter() - start)
	return times


def measure(meta: dict, runs: int, today) -> tuple[list[list], list[list], list[str], dict]:
	act_as(meta, "manager")
	rows, parts, lines, series = [], [], [], {}
	for label, days in (("default period (last 7 days)", 7), ("last 90 days", 90)):
		filters = filters_of(meta, days, today)
		# the report's two statements: the period's movements, the open deals (the Opportunities alone)
		statements = [
			(q, v)
			for q, v in recorded(lambda f=filters: movement_report(f))
			if "Opportunity Movement" in q or "`open_deals`" in q
		]
		values = hand_values(filters)
		calls = {
			"report": lambda f=filters: movement_report(f),
			"hand": lambda f=filters: hand(f),
			# each statement of the report alone, and of the hand SQL (where the time goes)
			**{
				f"report statement {i + 1}": (lambda q=q, v=v: frappe.db.sql(q, v))
				for i, (q, v) in enumerate(statements)
			},
			"hand period": lambda v=values: frappe.db.sql(hand_period_sql(), v),
			"hand open": lambda v=values: frappe.db.sql(hand_open_sql(), v),
		}
		times = alternated(calls, runs)
		same, detail = compare(movement_report(filters), hand(filters))
		r, h = summary(times["report"]), summary(times["hand"])
		series[f"{days} days: report"] = [t * 1000 for t in times["report"]]
		series[f"{days} days: hand SQL"] = [t * 1000 for t in times["hand"]]
		rows.append(
			[
				label,
				f"{r[0]:,.0f}",
				f"{r[1]:,.0f}-{r[2]:,.0f}",
				f"{h[0]:,.0f}",
				f"{h[1]:,.0f}-{h[2]:,.0f}",
				f"{r[0] / h[0]:.2f}",
				"yes" if same else "NO",
			]
		)
		for name in calls:
			if name not in ("report", "hand"):
				t = summary(times[name])
				parts.append([label, name, f"{t[0]:,.0f}", f"{t[1]:,.0f}-{t[2]:,.0f}"])
		lines.append(f"  {label}: {detail}")
		lines.append(f"  {label}, the report's statements:")
		lines += plans(statements)
		lines.append(f"  {label}, the hand-written SQL:")
		lines += plans([(hand_period_sql(), values), (hand_open_sql(), values)])
	act_as({"Administrator": "Administrator"}, "Administrator")
	return rows, parts, lines, series


def run(
	site: str = SITE,
	opportunities: int = 500_000,
	per: int = 10,
	runs: int = 5,
	reuse: bool = False,
	make: bool = False,
	root_password: str = "root",
) -> dict:
	"""Load (unless `reuse`), measure, print; returns the panel benchmarks/run.py keeps."""
	if make:
		make_site(site, root_password)
	with on_site(site):
		if not frappe.db.has_column("Opportunity", "last_moved_on"):
			sys.exit(f"{site} has no Opportunity.last_moved_on: run `bench --site {site} migrate` first")
		today = getdate()
		meta = json.loads(frappe.db.get_global(META_KEY) or "null")
		if not reuse or not meta:
			if meta:
				clear()
			print(f"loading {opportunities:,} Opportunities and {opportunities * per:,} movements on {site}")
			meta = load(opportunities, per, today, meta)
		counts = frappe.db.sql("select count(*) from `tabOpportunity Movement`")[0][0]
		indexes = sorted(
			{r.Key_name for r in frappe.db.sql("show index from `tabOpportunity Movement`", as_dict=True)}
		)
		rows, parts, lines, series = measure(meta, runs, today)
	print(f"\nsite {site}: {counts:,} Opportunity Movement rows; indexes: {', '.join(indexes)}")
	print("\n".join(lines))
	table(
		f"10. Pipeline Movement over {counts:,} movements, Sales Manager, ms (median and min-max of {runs} runs"
		" after a warm-up)",
		["period", "report", "min-max", "hand SQL", "min-max", "report / hand", "same numbers"],
		rows,
		"goals: report / hand <= 1.5, report < 1,000 ms at 90 days",
	)
	table(
		"where the time goes: each statement alone, ms (median and min-max, in the same turns)",
		["period", "statement", "median", "min-max"],
		parts,
		"report statement 1: the period's movements; 2: the open deals (both as the report runs them)",
	)
	return {
		"title": f"10. Pipeline Movement, {counts:,} movements, Sales Manager (ms)",
		"series": series,
		"ratio": float(rows[-1][5]),  # report / hand SQL at 90 days
	}


def main():
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--site", default=SITE)
	parser.add_argument("--make-site", action="store_true", help="make SITE afresh, with the app")
	parser.add_argument("--reuse", action="store_true", help="measure the data an earlier run loaded")
	parser.add_argument("--opportunities", type=int, default=500_000)
	parser.add_argument("--moves-per-opportunity", type=int, default=10)
	parser.add_argument("--runs", type=int, default=5)
	args = parser.parse_args()
	run(
		args.site,
		args.opportunities,
		args.moves_per_opportunity,
		args.runs,
		args.reuse,
		args.make_site,
		os.environ.get("DB_ROOT_PASSWORD", "root"),
	)


if __name__ == "__main__":
	main()
