"""2. convert_lead on Leads with 2 Addresses + 2 Contacts against stock ERPNext's make_opportunity + save,
and the SQL statements one conversion runs (it must not grow with the number of Leads)."""

import frappe
from data import make_leads
from util import count_queries, on_site, summary, table

WARMUP = 20


def measure(site: str, total: int, runs: int, convert) -> tuple[list[float], list[int]]:
	import time

	with on_site(site):
		leads = make_leads(f"BCV{frappe.generate_hash(length=4).upper()}", total + WARMUP)
		for lead in leads[:WARMUP]:
			convert(lead)
		frappe.db.commit()
		batch = total // runs
		times, queries = [], []
		for run in range(runs):
			chunk = leads[WARMUP + run * batch : WARMUP + (run + 1) * batch]
			start = time.perf_counter()
			for n, lead in enumerate(chunk):
				if n == 0:
					with count_queries() as statements:
						convert(lead)
					queries.append(len(statements))
				else:
					convert(lead)
			frappe.db.commit()
			times.append((time.perf_counter() - start) / len(chunk))
		return times, queries


def with_app(lead):
	from opportunity_crm.api import convert_lead

	convert_lead(lead)


def stock(lead):
	from erpnext.crm.doctype.lead.lead import make_opportunity

	make_opportunity(lead).insert()


def run(app_site: str, stock_site: str, total: int, runs: int) -> dict:
	app_times, app_queries = measure(app_site, total, runs, with_app)
	stock_times, stock_queries = measure(stock_site, total, runs, stock)
	app, base = summary(app_times), summary(stock_times)
	ratio = app[0] / base[0]
	table(
		f"2. Lead → Opportunity, ms per conversion, {total} Leads with 2 Addresses + 2 Contacts "
		f"(median of {runs} batches of {total // runs}, after {WARMUP} warm-up conversions)",
		["path", "median", "min", "max", "SQL per conversion (1st of each batch)"],
		[
			["stock make_opportunity + insert", *base, " ".join(map(str, stock_queries))],
			["opportunity_crm.api.convert_lead", *app, " ".join(map(str, app_queries))],
		],
		f"ratio (median): {ratio:.2f}   goal <= 1.2 (convert_lead also links 4 addresses/contacts and audits)",
	)
	return {"ratio": ratio, "queries": app_queries}
