"""Benchmark-scale data written straight with SQL (bulk inserts): the benchmarks measure the add-on's
code paths, not the time it takes to build a million rows through documents."""

import random

import frappe
from frappe.utils import add_days, now, nowdate

from opportunity_crm.demo import CITIES as CITY_STATES
from opportunity_crm.demo import FIRST, LAST
from opportunity_crm.demo import WORDS as COMPANY

CITIES = [city for city, _state in CITY_STATES]


def base(name: str) -> dict:
	stamp = now()
	return {
		"name": name,
		"creation": stamp,
		"modified": stamp,
		"owner": "Administrator",
		"modified_by": "Administrator",
		"docstatus": 0,
		"idx": 0,
	}


def bulk(doctype: str, rows: list[dict]) -> None:
	if not rows:
		return
	fields = list(rows[0])
	frappe.db.bulk_insert(doctype, fields, [[row[f] for f in fields] for row in rows], chunk_size=5000)


def make_leads(prefix: str, count: int, addresses: int = 2, contacts: int = 2, seed: int = 1) -> list[str]:
	"""`count` Leads, each with its own Addresses and Contacts linked through Dynamic Link rows."""
	rng = random.Random(seed)
	company = frappe.defaults.get_global_default("company")
	leads, party_rows, links = [], {"Address": [], "Contact": []}, []
	for i in range(count):
		lead = f"{prefix}-LEAD-{i:06d}"
		first, last = rng.choice(FIRST), rng.choice(LAST)
		org = f"PT {rng.choice(COMPANY)} {rng.choice(COMPANY)} {i}"
		leads.append(
			{
				**base(lead),
				"lead_name": f"{first} {last}",
				"first_name": first,
				"last_name": last,
				"company_name": org,
				"status": "Lead",
				"company": company,
				"naming_series": "CRM-LEAD-.YYYY.-",
				"title": org,
			}
		)
		for kind, n in (("Address", addresses), ("Contact", contacts)):
			for j in range(n):
				name = f"{prefix}-{kind[:4].upper()}-{i:06d}-{j}"
				if kind == "Address":
					row = {
						**base(name),
						"address_title": org,
						"address_type": "Office",
						"address_line1": f"Jl. {rng.choice(COMPANY)} No. {rng.randint(1, 200)}",
						"city": rng.choice(CITIES),
						"country": "Indonesia",
					}
				else:
					row = {
						**base(name),
						"first_name": rng.choice(FIRST),
						"last_name": rng.choice(LAST),
						"status": "Passive",
					}
				party_rows[kind].append(row)
				links.append(
					{
						**base(frappe.generate_hash(length=12)),
						"idx": 1,
						"parent": name,
						"parenttype": kind,
						"parentfield": "links",
						"link_doctype": "Lead",
						"link_name": lead,
					}
				)
	bulk("Lead", leads)
	bulk("Address", party_rows["Address"])
	bulk("Contact", party_rows["Contact"])
	bulk("Dynamic Link", links)
	frappe.db.commit()
	return [row["name"] for row in leads]


def make_opportunities(prefix: str, count: int, has_app_fields: bool, seed: int = 2) -> None:
	"""`count` Opportunities spread over partners, salespeople, stages and dates."""
	rng = random.Random(seed)
	company = frappe.defaults.get_global_default("company")
	currency = frappe.get_cached_value("Company", company, "default_currency")
	stages = frappe.get_all("Sales Stage", pluck="name")
	partners = [f"{prefix} Mitra {i}" for i in range(20)]
	persons = [f"{prefix} Tenaga {i}" for i in range(30)]
	rows = []
	for i in range(count):
		amount = rng.randint(1, 500) * 1_000_000
		probability = rng.choice([10, 20, 30, 40, 50, 60, 70, 80])
		row = {
			**base(f"{prefix}-OPP-{i:07d}"),
			"naming_series": "CRM-OPP-.YYYY.-",
			"opportunity_from": "Customer",
			"party_name": f"{prefix} Customer {i % 5000}",
			"customer_name": f"{prefix} Customer {i % 5000}",
			"title": f"{prefix} Customer {i % 5000}",
			"opportunity_type": "Sales",
			"status": rng.choice(["Open", "Open", "Quotation", "Converted", "Lost", "Closed"]),
			"company": company,
			"transaction_date": add_days(nowdate(), -rng.randint(0, 720)),
			"currency": currency,
			"conversion_rate": 1,
			"sales_stage": rng.choice(stages),
			"probability": probability,
			"opportunity_amount": amount,
			"base_opportunity_amount": amount,
		}
		if has_app_fields:
			row.update(
				{
					"sales_partner": rng.choice(partners),
					"sales_person": rng.choice(persons),
					"weighted_amount": amount * probability / 100,
					"base_weighted_amount": amount * probability / 100,
					"customer": f"{prefix} Converted {i}" if rng.random() < 0.2 else None,
				}
			)
		rows.append(row)
	bulk("Opportunity", rows)
	frappe.db.commit()


def top_up_dynamic_links(total: int, prefix: str) -> int:
	"""Add filler Dynamic Link rows (other records' addresses and contacts) until the table holds
	`total` rows; uses MariaDB's sequence engine."""
	current = frappe.db.count("Dynamic Link")
	missing = total - current
	step = 200_000
	start = 0
	while missing > 0:
		n = min(step, missing)
		frappe.db.sql(
			f"""
			insert into `tabDynamic Link`
				(name, creation, modified, modified_by, owner, docstatus, idx, parent, parentfield,
				 parenttype, link_doctype, link_name)
			select concat(%(prefix)s, '-DL-', {current} + {start} + seq), now(), now(), 'Administrator',
				'Administrator', 0, 1, concat(%(prefix)s, '-P-', seq mod 300000), 'links',
				if(seq mod 2, 'Address', 'Contact'), if(seq mod 3, 'Opportunity', 'Customer'),
				concat(%(prefix)s, '-X-', seq mod 250000)
			from seq_1_to_{n}
			""",
			{"prefix": prefix},
		)
		frappe.db.commit()
		missing -= n
		start += n
	return frappe.db.count("Dynamic Link")


# Opportunities in bulk SQL ---------------------------------------------------------------------------

CHUNK = 100_000  # numbers per statement (a commit after each)


def opportunity_name(prefix: str, number: str) -> str:
	"""The name of Opportunity `number` (SQL) of a benchmark's data: `prefix`-OPP-0000042."""
	return f"concat('{prefix}-OPP-', lpad({number}, 7, '0'))"


def pick(values: list, expr: str) -> str:
	"""SQL: the element of `values` at the 0-based index `expr`."""
	return f"elt(({expr}) + 1, {', '.join(frappe.db.escape(v) for v in values)})"


def numbered(count: int, derived: dict[str, str] | None = None):
	"""The numbers 1 … `count` in chunks of CHUNK, each chunk as a derived table `s`: `s.n` the number and
	the columns of `derived` (name -> SQL over `seq`, the number: worked out once for a row that several
	columns read)."""
	extra = "".join(f", {expr} as {name}" for name, expr in (derived or {}).items())
	for first in range(0, count, CHUNK):
		yield f"(select seq as n{extra} from seq_{first + 1}_to_{min(first + CHUNK, count)}) s"


def insert_opportunities(
	prefix: str,
	count: int,
	created: str,
	amount: str,
	probability: str,
	columns: dict[str, str],
	values: dict,
	derived: dict[str, str] | None = None,
) -> None:
	"""Opportunities 1 … `count` (`prefix`-OPP-0000001 …) in bulk SQL over MariaDB's sequence engine, a
	statement and a commit per CHUNK. Every SQL expression reads the row `s` of `numbered` (`s.n`, the
	Opportunity's number, and the columns of `derived`) and the parameters `values` (which hold `currency`).

	What is the same for every benchmark is written here: a Customer's Sales Opportunity of
	'`prefix` Customer <n mod 5000>', made by Administrator at `created` (its creation and modified), in
	`currency` at rate 1, worth `amount` at `probability` % (its base and weighted amounts follow). `columns`
	(column -> SQL) are the benchmark's own: status, company, dates, stage, partner, Sales Person …"""
	customer = f"concat('{prefix} Customer ', s.n mod 5000)"
	weighted = f"{amount} * {probability} / 100"
	every = {
		"name": opportunity_name(prefix, "s.n"),
		"creation": created,
		"modified": created,
		"modified_by": "'Administrator'",
		"owner": "'Administrator'",
		"docstatus": "0",
		"idx": "0",
		"naming_series": "'CRM-OPP-.YYYY.-'",
		"opportunity_from": "'Customer'",
		"party_name": customer,
		"customer_name": customer,
		"title": customer,
		"opportunity_type": "'Sales'",
		"currency": "%(currency)s",
		"conversion_rate": "1",
		"probability": probability,
		"opportunity_amount": amount,
		"base_opportunity_amount": amount,
		"weighted_amount": weighted,
		"base_weighted_amount": weighted,
		**columns,
	}
	for rows in numbered(count, derived):
		insert("Opportunity", every, rows, values)
		frappe.db.commit()


def insert_sales_teams(
	prefix: str,
	count: int,
	created: str,
	rows: list[tuple[str, dict[str, str]]],
	values: dict | None = None,
	tag: str = "ST",
) -> None:
	"""Sales Team rows of Opportunities 1 … `count` of `insert_opportunities`: for each (`where`, `columns`)
	of `rows`, the row idx 1, 2, … (its place in `rows`) of every Opportunity `where` (SQL over `s.n`)
	holds, named `prefix`-`tag`-<n>-<idx>, made by Administrator at `created`; `columns` (column -> SQL over
	`s.n`) give at least its sales_person and allocated_percentage. A statement per row and CHUNK."""
	for idx, (where, columns) in enumerate(rows, 1):
		every = {
			"name": f"concat('{prefix}-{tag}-', s.n, '-', {idx})",
			"creation": created,
			"modified": created,
			"modified_by": "'Administrator'",
			"owner": "'Administrator'",
			"docstatus": "0",
			"idx": str(idx),
			"parent": opportunity_name(prefix, "s.n"),
			"parenttype": "'Opportunity'",
			"parentfield": "'sales_team'",
			**columns,
		}
		for numbers in numbered(count):
			insert("Sales Team", every, f"{numbers} where {where}", values)
			frappe.db.commit()


def insert(doctype: str, columns: dict[str, str], source: str, values: dict | None = None) -> None:
	"""`insert into tab<doctype> (columns) select <their SQL> from <source>`."""
	frappe.db.sql(
		f"insert into `tab{doctype}` ({', '.join(columns)}) select {', '.join(columns.values())} from {source}",
		values or {},
	)
