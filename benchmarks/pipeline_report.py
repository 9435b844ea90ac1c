"""4. The Opportunity Pipeline report over many Opportunities against one hand-written SQL GROUP BY that
computes the same figures."""

import frappe
from data import make_opportunities
from util import on_site, summary, table, timed_runs

HAND_SQL = """
	select o.sales_person, count(*), sum(o.base_opportunity_amount),
		sum(o.base_opportunity_amount * o.probability / 100),
		sum(o.customer is not null or so.opportunity is not null)
	from `tabOpportunity` o
	left join (select distinct opportunity from `tabSales Order` where docstatus < 2 and opportunity is not null) so
		on so.opportunity = o.name
	where o.company = %(company)s
	group by o.sales_person
"""


def run(app_site: str, count: int, runs: int) -> dict:
	from opportunity_crm.opportunity_crm.report.opportunity_pipeline.opportunity_pipeline import execute

	with on_site(app_site):
		existing = frappe.db.count("Opportunity")
		if existing < count:
			make_opportunities(
				f"BPR{frappe.generate_hash(length=4).upper()}", count - existing, has_app_fields=True
			)
		company = frappe.defaults.get_global_default("company")
		filters = {"company": company, "group_by": "Sales Person"}
		report = timed_runs(lambda _run: execute(filters), runs=runs, warmup=1)
		hand = timed_runs(lambda _run: frappe.db.sql(HAND_SQL, {"company": company}), runs=runs, warmup=1)
		rows = execute(filters)[1]
		check = {r[0]: r[1] for r in frappe.db.sql(HAND_SQL, {"company": company})}
		same = all(check.get(row.group_value) == row.count for row in rows)
		total = frappe.db.count("Opportunity")
	ratio = summary(report)[0] / summary(hand)[0]
	table(
		f"4. Opportunity Pipeline report over {total:,} Opportunities, ms (median of {runs}, after a warm-up)",
		["query", "median", "min", "max"],
		[["hand-written SQL GROUP BY", *summary(hand)], ["report execute()", *summary(report)]],
		f"ratio (median): {ratio:.2f}   goal <= 1.5   same counts per group: {same}",
	)
	return {"ratio": ratio}
