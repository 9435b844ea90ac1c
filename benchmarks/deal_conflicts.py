"""8. The deal-registration conflict check at scale: `deal_keys.find_matches` (four keys, over Leads,
Customers, open Opportunities through their party, and live Deal Registrations) against one plain indexed
lookup (`select name from tabLead where key_tax_id = %s`), as a ratio, with MariaDB's EXPLAIN of every
query. From the bench's sites folder:

    ../env/bin/python ../apps/opportunity_crm/benchmarks/deal_conflicts.py [--rows N] [--quick] [--backfill]

Makes the site bench-deals.localhost from the clean ERPNext database that `.ci/run` keeps, installs the
app, and adds N Leads and N Customers (default 1,000,000 each) with their company name, e-mail / website,
phone and (Customers) tax id, and the keys, in bulk SQL (MariaDB's sequence engine), plus an open
Opportunity for every tenth Lead and 1,000 live registrations. The SQL writes keys in the shape the Python
normalisers give (checked on a sample of rows before measuring). Then measures, median of --runs after a
warm-up: a check that finds a match on every key, one that finds nothing, the plain lookup, and, for scale,
the same four keys as one `OR` query with the indexes ignored (a scan). With --backfill, also times
`backfill_keys` over the whole tables (keys emptied first). Prints figures; asserts nothing. Drops the
site at the end unless --keep. Not run by CI.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import frappe
from util import drop_site, make_site, on_site, summary, table, timed_runs

SITE = "bench-deals.localhost"
STEP = 100_000
REGISTRATIONS = 1000


def insert_in_steps(count: int, statement: str, values: dict) -> None:
	for start in range(0, count, STEP):
		n = min(STEP, count - start)
		frappe.db.sql(statement.format(rows=f"(select {start} + seq as n from seq_1_to_{n}) s"), values)
		frappe.db.commit()


def make_data(count: int) -> dict:
	company = frappe.defaults.get_global_default("company")
	partner = (
		frappe.get_doc(
			{
				"doctype": "Sales Partner",
				"partner_name": "BDC Mitra",
				"territory": frappe.db.get_value("Territory", {"is_group": 1}, "name"),
				"commission_rate": 5,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)
	frappe.db.commit()
	started = time.perf_counter()
	# Lead n: "PT Nusantara n Tbk", sales@nusantaran.co.id, +62 81 n
	insert_in_steps(
		count,
		"""insert into `tabLead`
			(name, creation, modified, modified_by, owner, docstatus, idx, naming_series, lead_name, first_name,
			 company_name, email_id, phone, status, company, key_domain, key_phone, key_name)
		select concat('BDC-LEAD-', lpad(s.n, 7, '0')), now(), now(), 'Administrator', 'Administrator', 0, 0,
			'CRM-LEAD-.YYYY.-', concat('Budi ', s.n), concat('Budi ', s.n),
			concat('PT Nusantara ', s.n, ' Tbk'), concat('sales@nusantara', s.n, '.co.id'),
			concat('+62 81', lpad(s.n, 9, '0')), 'Lead', %(company)s,
			concat('nusantara', s.n, '.co.id'), concat('+6281', lpad(s.n, 9, '0')), concat('nusantara', s.n)
		from {rows}""",
		{"company": company},
	)
	# Customer n: "CV Sejahtera n", NPWP n (15 digits), www.sejahteran.com, 0821 n
	insert_in_steps(
		count,
		"""insert into `tabCustomer`
			(name, creation, modified, modified_by, owner, docstatus, idx, naming_series, customer_name,
			 customer_type, tax_id, website, mobile_no, key_tax_id, key_domain, key_phone, key_name)
		select concat('BDC-CUST-', lpad(s.n, 7, '0')), now(), now(), 'Administrator', 'Administrator', 0, 0,
			'CUST-.YYYY.-', concat('CV Sejahtera ', s.n), 'Company', lpad(s.n, 15, '0'),
			concat('www.sejahtera', s.n, '.com'), concat('0821', lpad(s.n, 8, '0')),
			lpad(s.n, 15, '0'), concat('sejahtera', s.n, '.com'), concat('+62821', lpad(s.n, 8, '0')),
			concat('sejahtera', s.n)
		from {rows}""",
		{},
	)
	# an open Opportunity for every tenth Lead
	insert_in_steps(
		count // 10,
		"""insert into `tabOpportunity`
			(name, creation, modified, modified_by, owner, docstatus, idx, naming_series, opportunity_from,
			 party_name, title, status, company, transaction_date, sales_partner)
		select concat('BDC-OPP-', lpad(s.n, 7, '0')), now(), now(), 'Administrator', 'Administrator', 0, 0,
			'CRM-OPP-.YYYY.-', 'Lead', concat('BDC-LEAD-', lpad(s.n * 10, 7, '0')),
			concat('PT Nusantara ', s.n * 10, ' Tbk'), 'Open', %(company)s, curdate(), %(partner)s
		from {rows}""",
		{"company": company, "partner": partner},
	)
	insert_in_steps(
		REGISTRATIONS,
		"""insert into `tabDeal Registration`
			(name, creation, modified, modified_by, owner, docstatus, idx, sales_partner, company,
			 prospect_name, status, key_name, key_domain)
		select concat('BDC-DR-', lpad(s.n, 7, '0')), now(), now(), 'Administrator', 'Administrator', 0, 0,
			%(partner)s, %(company)s, concat('PT Nusantara ', s.n * 10), 'Submitted',
			concat('nusantara', s.n * 10), concat('nusantara', s.n * 10, '.co.id')
		from {rows}""",
		{"company": company, "partner": partner},
	)
	inserted = time.perf_counter() - started
	for table_name in ("tabLead", "tabCustomer", "tabOpportunity", "tabDeal Registration"):
		frappe.db.sql(f"analyze table `{table_name}`")
	return {"inserted_seconds": inserted}


def check_keys_match_python(sample: int = 1000) -> int:
	"""The keys the SQL wrote are those the normalisers give: recompute a sample in Python."""
	from opportunity_crm.channel.deal_keys import KEY_FIELDS, compute_keys, source_values

	checked = 0
	for doctype in ("Lead", "Customer"):
		fields = [
			"name",
			"company_name",
			"customer_name",
			"email_id",
			"website",
			"phone",
			"mobile_no",
			"tax_id",
		]
		meta = frappe.get_meta(doctype)
		columns = [f for f in fields if f == "name" or meta.has_field(f)] + list(KEY_FIELDS)
		rows = frappe.db.sql(
			f"select {', '.join(columns)} from `tab{doctype}` where name like 'BDC-%%' order by rand() limit %s",
			sample,
			as_dict=True,
		)
		for row in rows:
			expected = compute_keys(**source_values(doctype, row))
			stored = {field: row.get(field) for field in KEY_FIELDS}
			if stored != expected:
				sys.exit(f"{doctype} {row.name}: SQL keys {stored} != Python keys {expected}")
			checked += 1
	return checked


def explain(sql: str, values) -> list[str]:
	lines = ["   " + " ".join(sql.split())[:300] + " …"]
	for row in frappe.db.sql(f"explain {sql}", values, as_dict=True):
		lines.append(
			f"     -> id={row.id} {row.select_type} table={row.table} type={row.type} key={row.key} "
			f"rows={row.rows} extra={row.Extra}"
		)
	return lines


def run(count: int, runs: int, keep: bool, root_password: str, reuse: bool, backfill: bool) -> None:
	if not reuse:
		make_site(SITE, root_password)
	with on_site(SITE):
		from opportunity_crm.channel import deal_keys

		data = {} if reuse else make_data(count)
		checked = check_keys_match_python()
		leads, customers = frappe.db.count("Lead"), frappe.db.count("Customer")
		opportunities = frappe.db.count("Opportunity")
		print(
			f"{leads:,} Leads, {customers:,} Customers, {opportunities:,} Opportunities, "
			f"{frappe.db.count('Deal Registration'):,} Deal Registrations"
			+ (f"; inserted in {data['inserted_seconds']:.0f} s" if data else "")
			+ f"; keys of {checked:,} sampled rows equal the Python normalisers'"
		)
		n = 10 * (REGISTRATIONS // 2)  # a Lead with an Opportunity and a live registration
		hit = {
			"key_tax_id": deal_keys.normalise_tax_id(f"{n:015d}"),  # Customer n
			"key_domain": deal_keys.domain_key(f"info@nusantara{n}.co.id"),  # Lead n, its Opportunity, DR
			"key_phone": deal_keys.phone_key(f"0821 {n:08d}", "ID"),  # Customer n
			"key_name": deal_keys.company_key(f"PT. Sejahtera {n}"),  # Customer n
		}
		miss = {
			"key_tax_id": "999999999999999",
			"key_domain": "nobody.example",
			"key_phone": "99999999999",
			"key_name": "nobody",
		}
		found = deal_keys.find_matches(hit)
		print(
			f"a check with every key matching finds {len(found)} records: "
			+ ", ".join(sorted({f"{m['doctype']} ({m['key']})" for m in found}))
		)
		plain_sql = "select name from `tabLead` where key_tax_id = %s"
		or_where = (
			"where key_tax_id = %(key_tax_id)s or key_domain = %(key_domain)s or key_phone = %(key_phone)s "
			"or key_name = %(key_name)s"
		)
		or_sql = f"select name from `tabCustomer` {or_where}"
		scan_sql = (
			"select name from `tabCustomer` ignore index (key_tax_id_index, key_domain_index, "
			f"key_phone_index, key_name_index) {or_where}"
		)
		# the index look-ups find_matches makes, each as a plain query of its own
		probes = [
			(f"select name from `tab{doctype}` where `{field}` = %s", hit[field])
			for doctype in ("Lead", "Customer", "Lead", "Customer", "Prospect", "Deal Registration")
			for field in deal_keys.TABLE_KEYS[doctype]
		]

		def plain_probes(_run):
			for sql, value in probes:
				frappe.db.sql(sql, value)

		cases = [
			("find_matches, a match on every key", lambda _run: deal_keys.find_matches(hit)),
			("find_matches, no match", lambda _run: deal_keys.find_matches(miss)),
			("plain indexed lookup (tabLead.key_tax_id)", lambda _run: frappe.db.sql(plain_sql, "1")),
			(f"its {len(probes)} look-ups as plain queries, one by one", plain_probes),
		]
		scan_runs = max(1, runs // 2)
		figures = {name: summary(timed_runs(fn, runs=runs, warmup=1)) for name, fn in cases}
		figures["four keys as one OR over tabCustomer, indexes ignored (a scan)"] = summary(
			timed_runs(lambda _run: frappe.db.sql(scan_sql, hit), runs=scan_runs, warmup=0)
		)

		plans = ["EXPLAIN of find_matches (one query per table):"]
		for sql, values in deal_keys.match_queries(hit):
			plans += explain(sql, values)
		plans.append("EXPLAIN of the plain lookup:")
		plans += explain(plain_sql, "1")
		plans.append("EXPLAIN of the four keys as one OR (indexes allowed): MariaDB's choice")
		plans += explain(or_sql, hit)
		print("\n".join(plans))

		backfill_note = ""
		if backfill:
			for doctype in ("Lead", "Customer"):
				frappe.db.sql(
					f"update `tab{doctype}` set key_tax_id = null, key_domain = null, key_phone = null, key_name = null"
				)
			frappe.db.commit()
			start = time.perf_counter()
			changed = deal_keys.backfill_keys()
			first = time.perf_counter() - start
			start = time.perf_counter()
			again = deal_keys.backfill_keys()
			second = time.perf_counter() - start
			backfill_note = (
				f"\nbackfill_keys over {leads + customers:,} rows: {first:.1f} s ({changed}), "
				f"a second run {second:.1f} s ({again})"
			)

	plain = figures["plain indexed lookup (tabLead.key_tax_id)"][0]
	rows = [[name, *spread, spread[0] / plain] for name, spread in figures.items()]
	table(
		f"8. Deal registration conflict check over {leads:,} Leads and {customers:,} Customers, ms "
		f"(median of {runs} runs after a warm-up; the scan {scan_runs} runs)",
		["query", "median", "min", "max", "IQR", "ratio to the plain lookup"],
		rows,
		"find_matches runs 4 queries (Leads, Customers, Opportunities through their party, registrations) "
		"of 3 + 4 + 9 + 4 index look-ups." + backfill_note,
	)
	if not keep:
		drop_site(SITE, root_password)


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--rows", type=int, default=1_000_000, help="Leads, and as many Customers")
	parser.add_argument("--quick", action="store_true", help="100,000 Leads and 100,000 Customers")
	parser.add_argument("--runs", type=int, default=21)
	parser.add_argument("--keep", action="store_true", help="keep the site")
	parser.add_argument("--reuse", action="store_true", help="measure the site a --keep run kept")
	parser.add_argument("--backfill", action="store_true", help="also time backfill_keys over every row")
	args = parser.parse_args()
	run(
		100_000 if args.quick else args.rows,
		args.runs,
		args.keep,
		os.environ.get("DB_ROOT_PASSWORD", "root"),
		args.reuse,
		args.backfill,
	)


if __name__ == "__main__":
	main()
