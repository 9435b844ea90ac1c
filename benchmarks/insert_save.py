"""1. Opportunity insert and save: the site with opportunity_crm against the stock ERPNext site,
measured in turns (app, stock, app, stock…)."""

import frappe
from util import SPREAD, interleaved, summary, table

PER_RUN = 30


def setup():
	customer = frappe.db.get_value("Customer", {"customer_name": "Bench Pelanggan"})
	if not customer:
		customer = frappe.get_doc({"doctype": "Customer", "customer_name": "Bench Pelanggan"}).insert().name
	company = frappe.defaults.get_global_default("company")
	frappe.db.commit()

	def insert_and_save(_run):
		for _ in range(PER_RUN):
			doc = frappe.get_doc(
				{
					"doctype": "Opportunity",
					"opportunity_from": "Customer",
					"party_name": customer,
					"company": company,
					"opportunity_amount": 10_000_000,
				}
			).insert()
			doc.opportunity_amount = 12_000_000
			doc.save()
		frappe.db.commit()

	return insert_and_save


def run(app_site: str, stock_site: str, runs: int) -> dict:
	measured = interleaved({"app": (app_site, setup), "stock": (stock_site, setup)}, runs=runs, warmup=1)
	series = {side: [t * 1000 / PER_RUN for t in measured[side]["times"]] for side in ("stock", "app")}
	stock, app = summary(series["stock"], 1), summary(series["app"], 1)
	ratio = app[0] / stock[0]
	table(
		f"1. Opportunity insert + save, ms per Opportunity ({runs} runs of {PER_RUN} on each site, "
		"in turns app/stock, after a warm-up each)",
		["site", *SPREAD],
		[["stock ERPNext", *stock], ["with opportunity_crm", *app]],
		f"ratio (median): {ratio:.2f}   goal <= 1.10",
	)
	return {
		"title": "1. Insert + save (ms per Opportunity)",
		"series": {"stock ERPNext": series["stock"], "opportunity_crm": series["app"]},
		"ratio": ratio,
	}
