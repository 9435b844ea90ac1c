"""4. The Opportunity Pipeline report over many Opportunities against a hand-written SQL GROUP BY that
computes the same figures, on the app site, and the stock equivalent of that GROUP BY on the stock site
(the same Opportunities without the app's columns; stock ERPNext has no such report). The three are
measured in turns: report, app SQL, stock SQL, report, …; all grouped by Sales Stage, a stock field."""

import frappe
from data import make_opportunities
from util import SPREAD, interleaved, on_site, summary, table

# What the report computes, by hand: weighted amount and conversions from the app's columns.
APP_SQL = """
	select o.sales_stage, count(*), sum(o.base_opportunity_amount), sum(o.base_weighted_amount),
		sum(o.customer is not null or so.opportunity is not null)
	from `tabOpportunity` o
	left join (select distinct opportunity from `tabSales Order` where docstatus < 2 and opportunity is not null) so
		on so.opportunity = o.name
	where o.company = %(company)s
	group by o.sales_stage
"""
# The nearest figures from stock columns only: weighted from the probability, converted from the status
# (a stock Sales Order has no link back to its Opportunity, so there is no join to make).
STOCK_SQL = """
	select o.sales_stage, count(*), sum(o.base_opportunity_amount),
		sum(o.base_opportunity_amount * o.probability / 100), sum(o.status = 'Converted')
	from `tabOpportunity` o
	where o.company = %(company)s
	group by o.sales_stage
"""


def fill(site: str, count: int, has_app_fields: bool) -> int:
	with on_site(site):
		existing = frappe.db.count("Opportunity")
		if existing < count:
			make_opportunities(
				f"BPR{frappe.generate_hash(length=4).upper()}",
				count - existing,
				has_app_fields=has_app_fields,
			)
		return frappe.db.count("Opportunity")


def report_setup():
	from opportunity_crm.opportunity_crm.report.opportunity_pipeline.opportunity_pipeline import execute

	filters = {"company": frappe.defaults.get_global_default("company"), "group_by": "Sales Stage"}
	counts = {row.group_value: row.count for row in execute(filters)[1]}
	return (lambda _run: execute(filters)), counts


def sql_setup(sql: str):
	def setup():
		company = {"company": frappe.defaults.get_global_default("company")}
		counts = {r[0]: r[1] for r in frappe.db.sql(sql, company)}
		return (lambda _run: frappe.db.sql(sql, company)), counts

	return setup


def run(app_site: str, stock_site: str, count: int, runs: int) -> dict:
	totals = {"app": fill(app_site, count, True), "stock": fill(stock_site, count, False)}
	measured = interleaved(
		{
			"report": (app_site, report_setup),
			"app SQL": (app_site, sql_setup(APP_SQL)),
			"stock SQL": (stock_site, sql_setup(STOCK_SQL)),
		},
		runs=runs,
		warmup=1,
	)
	series = {label: [t * 1000 for t in m["times"]] for label, m in measured.items()}
	s = {label: summary(t, 1) for label, t in series.items()}
	same = measured["report"]["info"] == measured["app SQL"]["info"]
	ratio = s["report"][0] / s["app SQL"][0]
	table(
		f"4. Opportunity Pipeline by Sales Stage over {totals['app']:,} (app) / {totals['stock']:,} (stock) "
		f"Opportunities, ms ({runs} runs each, in turns, after a warm-up each)",
		["site", "query", *SPREAD],
		[
			["stock ERPNext", "hand-written SQL GROUP BY (stock columns)", *s["stock SQL"]],
			["with opportunity_crm", "hand-written SQL GROUP BY (app columns)", *s["app SQL"]],
			["with opportunity_crm", "report execute()", *s["report"]],
		],
		f"ratio report / app SQL (median): {ratio:.2f}   goal <= 1.5   same counts per group: {same}\n"
		f"ratio app SQL / stock SQL (median): {s['app SQL'][0] / s['stock SQL'][0]:.2f}",
	)
	return {
		"title": f"4. Pipeline, {totals['app']:,} Opportunities (ms)",
		"series": {
			"stock: SQL GROUP BY": series["stock SQL"],
			"app: SQL GROUP BY": series["app SQL"],
			"app: report": series["report"],
		},
		"ratio": ratio,
	}
