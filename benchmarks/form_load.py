"""3. Opportunity form load (getdoc, which lists its addresses and contacts) with 10k and 1M Dynamic Link
rows in the database, on both sites in turns, and the EXPLAIN of the query that finds an Opportunity's
addresses.

Both sites load an Opportunity made from a Lead with 3 Addresses + 3 Contacts, all 6 linked to the
Opportunity: on the app site by convert_lead, on the stock site by make_opportunity + insert and then the
same 6 Dynamic Link rows written directly (stock ERPNext does not link them; without them its form would
list nothing and the two would not load the same thing)."""

import frappe
from data import base, bulk, make_leads, top_up_dynamic_links
from frappe.desk.form.load import getdoc
from util import SPREAD, interleaved, on_site, summary, table


def load(opportunity: str) -> None:
	frappe.response.docs = []
	getdoc("Opportunity", opportunity)
	frappe.local.response = frappe._dict()


def app_opportunity(lead: str) -> str:
	from opportunity_crm.api import convert_lead

	return convert_lead(lead)["opportunity"]


def stock_opportunity(lead: str) -> str:
	from erpnext.crm.doctype.lead.lead import make_opportunity

	opportunity = make_opportunity(lead).insert().name
	parties = frappe.get_all(
		"Dynamic Link",
		filters={"link_doctype": "Lead", "link_name": lead, "parenttype": ("in", ["Address", "Contact"])},
		fields=["parent", "parenttype"],
	)
	bulk(
		"Dynamic Link",
		[
			{
				**base(frappe.generate_hash(length=12)),
				"idx": 2,
				"parent": p.parent,
				"parenttype": p.parenttype,
				"parentfield": "links",
				"link_doctype": "Opportunity",
				"link_name": opportunity,
			}
			for p in parties
		],
	)
	return opportunity


def setup_for(size: int, make_opportunity):
	def setup():
		lead = make_leads(f"BFL{frappe.generate_hash(length=4).upper()}", 1, addresses=3, contacts=3)[0]
		opportunity = make_opportunity(lead)
		frappe.db.commit()
		actual = top_up_dynamic_links(size, "BFL")
		frappe.clear_cache()
		return (lambda _run: load(opportunity)), {"rows": actual, "opportunity": opportunity}

	return setup


def run(app_site: str, stock_site: str, sizes: list[int], runs: int) -> dict:
	rows, results = [], {}
	for size in sizes:
		measured = interleaved(
			{
				"app": (app_site, setup_for(size, app_opportunity)),
				"stock": (stock_site, setup_for(size, stock_opportunity)),
			},
			runs=runs,
			warmup=2,
		)
		results[size] = {side: [t * 1000 for t in measured[side]["times"]] for side in ("stock", "app")}
		app, stock = summary(results[size]["app"], 1), summary(results[size]["stock"], 1)
		actual = measured["app"]["info"]["rows"]
		rows.append([f"{actual:,}", "stock ERPNext", *stock, ""])
		rows.append([f"{actual:,}", "with opportunity_crm", *app, f"{app[0] / stock[0]:.2f}"])
		opportunity = measured["app"]["info"]["opportunity"]
	with on_site(app_site):
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
	median = {size: {side: summary(t, 1)[0] for side, t in r.items()} for size, r in results.items()}
	growth = median[sizes[-1]]["app"] / median[sizes[0]]["app"]
	stock_growth = median[sizes[-1]]["stock"] / median[sizes[0]]["stock"]
	table(
		f"3. Opportunity form load (getdoc with its 3 addresses + 3 contacts), ms ({runs} runs per site, "
		"in turns app/stock, after 2 warm-ups each)",
		["Dynamic Link rows", "site", *SPREAD, "app / stock"],
		rows,
		f"ratio {sizes[-1]:,} / {sizes[0]:,} rows (median): app {growth:.2f}, stock {stock_growth:.2f}   "
		"goal <= 1.5",
	)
	table(
		"   EXPLAIN of the address list query (frappe.contacts get_address_display_list)",
		["table", "type", "key", "rows", "Extra"],
		[[e.table, e.type, e.key, e.rows, e.Extra or ""] for e in explain],
		"   `tabDynamic Link` has index link_doctype_link_name_index (link_doctype, link_name): no index to add.",
	)
	series = {}
	for size in sizes:
		label = f"{size // 1000:,}k" if size < 1_000_000 else f"{size // 1_000_000}M"
		series[f"stock, {label} links"] = results[size]["stock"]
		series[f"app, {label} links"] = results[size]["app"]
	return {"title": "3. Form load (ms)", "series": series, "ratio": growth}
