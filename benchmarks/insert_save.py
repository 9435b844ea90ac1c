"""1. Opportunity insert and save: the site with opportunity_crm against the stock ERPNext site."""

import frappe
from util import on_site, summary, table, timed_runs

PER_RUN = 30


def measure(site: str, runs: int) -> list[float]:
	with on_site(site):
		customer = frappe.db.get_value("Customer", {"customer_name": "Bench Pelanggan"})
		if not customer:
			customer = (
				frappe.get_doc({"doctype": "Customer", "customer_name": "Bench Pelanggan"}).insert().name
			)
		company = frappe.defaults.get_global_default("company")

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

		return [t / PER_RUN for t in timed_runs(insert_and_save, runs=runs)]


def run(app_site: str, stock_site: str, runs: int) -> dict:
	app, stock = summary(measure(app_site, runs)), summary(measure(stock_site, runs))
	ratio = app[0] / stock[0]
	table(
		f"1. Opportunity insert + save, ms per Opportunity (median of {runs} runs of {PER_RUN}, after a warm-up)",
		["site", "median", "min", "max"],
		[["stock ERPNext", *stock], ["with opportunity_crm", *app]],
		f"ratio (median): {ratio:.2f}   goal <= 1.10",
	)
	return {"ratio": ratio}
