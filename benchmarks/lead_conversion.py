"""2. convert_lead on Leads with 2 Addresses + 2 Contacts against stock ERPNext's make_opportunity + insert,
in turns (app batch, stock batch, …), and the SQL statements one conversion runs (it must not grow with
the number of Leads)."""

import frappe
from data import make_leads
from util import SPREAD, count_queries, interleaved, summary, table

WARMUP = 20


def with_app(lead):
	from opportunity_crm.api import convert_lead

	convert_lead(lead)


def stock(lead):
	from erpnext.crm.doctype.lead.lead import make_opportunity

	make_opportunity(lead).insert()


def setup_for(total: int, runs: int, convert):
	def setup():
		leads = make_leads(f"BCV{frappe.generate_hash(length=4).upper()}", total + WARMUP)
		for lead in leads[:WARMUP]:
			convert(lead)
		frappe.db.commit()
		batch = total // runs

		def convert_batch(run):
			chunk = leads[WARMUP + run * batch : WARMUP + (run + 1) * batch]
			with count_queries() as statements:
				convert(chunk[0])
			for lead in chunk[1:]:
				convert(lead)
			frappe.db.commit()
			return len(statements)

		return convert_batch

	return setup


def run(app_site: str, stock_site: str, total: int, runs: int) -> dict:
	batch = total // runs
	measured = interleaved(
		{
			"app": (app_site, setup_for(total, runs, with_app)),
			"stock": (stock_site, setup_for(total, runs, stock)),
		},
		runs=runs,
		warmup=0,
	)
	series = {side: [t * 1000 / batch for t in measured[side]["times"]] for side in ("stock", "app")}
	app, base = summary(series["app"], 1), summary(series["stock"], 1)
	ratio = app[0] / base[0]
	table(
		f"2. Lead → Opportunity, ms per conversion, {total} Leads with 2 Addresses + 2 Contacts per site "
		f"({runs} batches of {batch}, in turns app/stock, after {WARMUP} warm-up conversions each)",
		["path", *SPREAD, "SQL per conversion (1st of each batch)"],
		[
			["stock make_opportunity + insert", *base, " ".join(map(str, measured["stock"]["extra"]))],
			["opportunity_crm.api.convert_lead", *app, " ".join(map(str, measured["app"]["extra"]))],
		],
		f"ratio (median): {ratio:.2f}   goal <= 1.2 (convert_lead also links 4 addresses/contacts and audits)",
	)
	return {
		"title": "2. Lead → Opportunity (ms per conversion)",
		"series": {"stock make_opportunity": series["stock"], "opportunity_crm convert_lead": series["app"]},
		"ratio": ratio,
		"queries": measured["app"]["extra"],
	}
