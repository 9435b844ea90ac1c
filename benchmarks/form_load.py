"""3. Opportunity form load (getdoc, which lists its addresses and contacts) with 10k and 1M Dynamic Link
rows in the database, and the EXPLAIN of the query that finds an Opportunity's addresses."""

import frappe
from data import make_leads, top_up_dynamic_links
from frappe.desk.form.load import getdoc
from util import on_site, summary, table, timed_runs


def load(opportunity: str) -> None:
	frappe.response.docs = []
	getdoc("Opportunity", opportunity)
	frappe.local.response = frappe._dict()


def run(app_site: str, sizes: list[int], runs: int) -> dict:
	rows, results = [], {}
	with on_site(app_site):
		from opportunity_crm.api import convert_lead

		lead = make_leads(f"BFL{frappe.generate_hash(length=4).upper()}", 1, addresses=3, contacts=3)[0]
		opportunity = convert_lead(lead)["opportunity"]
		frappe.db.commit()
		for size in sizes:
			actual = top_up_dynamic_links(size, "BFL")
			frappe.clear_cache()
			times = timed_runs(lambda _run: load(opportunity), runs=runs, warmup=2)
			results[size] = summary(times)
			rows.append([f"{actual:,}", *results[size]])
		query = frappe.get_list(
			"Address",
			filters=[
				["Dynamic Link", "link_doctype", "=", "Opportunity"],
				["Dynamic Link", "link_name", "=", opportunity],
				["Dynamic Link", "parenttype", "=", "Address"],
			],
			fields=["*"],
			run=0,
		)
		explain = frappe.db.sql(f"explain {query}", as_dict=True)
	ratio = results[sizes[-1]][0] / results[sizes[0]][0]
	table(
		f"3. Opportunity form load (getdoc with its address/contact lists), ms (median of {runs}, after 2 warm-ups)",
		["Dynamic Link rows", "median", "min", "max"],
		rows,
		f"ratio {sizes[-1]:,} / {sizes[0]:,} rows (median): {ratio:.2f}   goal <= 1.5",
	)
	table(
		"   EXPLAIN of the address list query (frappe.contacts get_address_display_list)",
		["table", "type", "key", "rows", "Extra"],
		[[e.table, e.type, e.key, e.rows, e.Extra or ""] for e in explain],
		"   `tabDynamic Link` has index link_doctype_link_name_index (link_doctype, link_name): no index to add.",
	)
	return {"ratio": ratio}
