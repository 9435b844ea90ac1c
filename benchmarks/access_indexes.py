"""7. Row-level access at scale: a restricted salesperson's Opportunity list and pipeline report against
the same for a Sales Manager, with and without the indexes on `Opportunity.sales_person` and
`sales_partner`, with MariaDB's EXPLAIN of each query. From the bench's sites folder:

    ../env/bin/python ../apps/opportunity_crm/benchmarks/access_indexes.py [--opportunities N] [--quick]

Makes the site bench-access.localhost from the clean ERPNext database that `.ci/run` keeps, installs the
app, adds 30 Sales Persons (one of them a user's, through Employee) and N Opportunities in bulk SQL (MariaDB's
sequence engine; default 1,000,000) spread evenly over them and 20 Sales Partners, then measures, as each
user, what the desk does:
- the list: `frappe.get_list` of the list view's fields, newest first, 20 rows, and the desk's count
  (`frappe.desk.reportview.get_count`);
- the Opportunity Pipeline report grouped by Sales Person, and (Sales Manager) filtered by one Sales Partner.
First without the two indexes (dropped), then with them (put back by `frappe.db.updatedb`, as migrate
does). Prints figures and EXPLAIN; asserts nothing. Drops the site at the end unless --keep. Not run by CI
(it takes minutes and a million rows).
"""

import argparse
import os
import sys
from collections import defaultdict
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import frappe
from util import drop_site, make_site, on_site, summary, table, timed_runs

SITE = "bench-access.localhost"
PERSONS, PARTNERS = 30, 20
LIST_FIELDS = [
	"`tabOpportunity`.`name`",
	"`tabOpportunity`.`title`",
	"`tabOpportunity`.`status`",
	"`tabOpportunity`.`sales_partner`",
	"`tabOpportunity`.`sales_person`",
	"`tabOpportunity`.`weighted_amount`",
	"`tabOpportunity`.`modified`",
]


def make_data(count: int) -> dict:
	"""The users and Sales Persons through documents, the Opportunities in one SQL statement per 100,000."""
	from opportunity_crm.tests.factories import make_employee, make_sales_person, make_user

	frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
	salesperson = make_user("Sales User")
	persons = [make_sales_person(employee=make_employee(salesperson))]
	persons += [make_sales_person() for _ in range(PERSONS - 1)]
	manager = make_user("Sales User", "Sales Manager")
	partners = [f"BAI Mitra {i}" for i in range(PARTNERS)]
	company = frappe.defaults.get_global_default("company")
	currency = frappe.get_cached_value("Company", company, "default_currency")
	stages = frappe.get_all("Sales Stage", pluck="name") or ["Prospecting"]
	frappe.db.commit()

	def pick(values: list[str], expr: str) -> str:
		return f"elt(({expr}) + 1, {', '.join(frappe.db.escape(v) for v in values)})"

	step = 100_000
	for start in range(0, count, step):
		n = min(step, count - start)
		frappe.db.sql(
			f"""
			insert into `tabOpportunity`
				(name, creation, modified, modified_by, owner, docstatus, idx, naming_series,
				 opportunity_from, party_name, customer_name, title, opportunity_type, status, company,
				 transaction_date, currency, conversion_rate, sales_stage, probability, opportunity_amount,
				 base_opportunity_amount, weighted_amount, base_weighted_amount, sales_partner, sales_person, customer)
			select concat('BAI-OPP-', lpad(s.n, 7, '0')),
				now() - interval s.n minute, now() - interval s.n minute, 'Administrator', 'Administrator',
				0, 0, 'CRM-OPP-.YYYY.-', 'Customer', concat('BAI Customer ', s.n mod 5000),
				concat('BAI Customer ', s.n mod 5000), concat('BAI Customer ', s.n mod 5000), 'Sales',
				{pick(["Open", "Open", "Quotation", "Converted", "Lost", "Closed"], "s.n mod 6")},
				%(company)s, curdate() - interval (s.n mod 720) day, %(currency)s, 1,
				{pick(stages, f"s.n mod {len(stages)}")}, 10 * (1 + s.n mod 8),
				1000000 * (1 + s.n mod 500), 1000000 * (1 + s.n mod 500),
				1000000 * (1 + s.n mod 500) * (1 + s.n mod 8) / 10,
				1000000 * (1 + s.n mod 500) * (1 + s.n mod 8) / 10,
				{pick(partners, f"s.n mod {PARTNERS}")}, {pick(persons, f"(s.n div 7) mod {PERSONS}")},
				if(s.n mod 5 = 0, concat('BAI Converted ', s.n), null)
			from (select {start} + seq as n from seq_1_to_{n}) s
			""",
			{"company": company, "currency": currency},
		)
		frappe.db.commit()
	frappe.db.sql("analyze table `tabOpportunity`")
	return {
		"salesperson": salesperson,
		"manager": manager,
		"partner": partners[0],
		"company": company,
		"total": frappe.db.count("Opportunity"),
		"own": frappe.db.count("Opportunity", {"sales_person": persons[0]}),
	}


def kept_data() -> dict:
	"""The users and figures of a site kept by an earlier run (--keep), for --reuse."""
	salesperson = frappe.db.get_value("Employee", {"user_id": ("like", "%@example.com")}, "user_id")
	person = frappe.db.get_value("Sales Person", {"employee": ("is", "set")}, "name")
	manager = frappe.db.sql(
		"""select parent from `tabHas Role` where role = 'Sales Manager' and parent like '%%@example.com'
		limit 1"""
	)[0][0]
	return {
		"salesperson": salesperson,
		"manager": manager,
		"partner": "BAI Mitra 0",
		"company": frappe.defaults.get_global_default("company"),
		"total": frappe.db.count("Opportunity"),
		"own": frappe.db.count("Opportunity", {"sales_person": person}),
	}


def desk_list():
	return frappe.get_list(
		"Opportunity", fields=LIST_FIELDS, order_by="`tabOpportunity`.`modified` desc", limit_page_length=20
	)


def list_query_only():
	"""The list's query built (permission conditions included), not run: the Python side of the list."""
	return frappe.get_list(
		"Opportunity",
		fields=LIST_FIELDS,
		order_by="`tabOpportunity`.`modified` desc",
		limit_page_length=20,
		run=0,
	)


def desk_count():
	from frappe.desk.reportview import get_count

	frappe.local.form_dict = frappe._dict(doctype="Opportunity", filters="[]", fields="[]", distinct="false")
	return get_count()


def report(filters: dict):
	from opportunity_crm.opportunity_crm.report.opportunity_pipeline.opportunity_pipeline import execute

	return execute(filters)


def cases(data: dict) -> list[tuple[str, str, Callable]]:
	by_person = {"company": data["company"], "group_by": "Sales Person"}
	by_partner = {**by_person, "sales_partner": data["partner"]}
	return [
		*[
			(name, who, fn)
			for name, fn in (
				("list, 20 newest", desk_list),
				("list query built, not run", list_query_only),
				("list count", desk_count),
				("pipeline report by Sales Person", lambda: report(by_person)),
			)
			for who in ("salesperson", "manager", ACCESS_OFF)
		],
		("pipeline report, one Sales Partner", "manager", lambda: report(by_partner)),
	]


def explain(fn) -> list[str]:
	"""EXPLAIN of every statement on tabOpportunity that fn runs."""
	queries, original = [], frappe.db.sql

	def recording(query, values=(), *args, **kwargs):
		queries.append((str(query), values))
		return original(query, values, *args, **kwargs)

	frappe.db.sql = recording
	try:
		fn()
	finally:
		frappe.db.sql = original
	lines = []
	for query, values in queries:
		if "tabOpportunity" not in query or not query.lstrip().lower().startswith("select"):
			continue
		lines.append("   " + " ".join(query.split())[:600])
		for row in frappe.db.sql(f"explain {query}", values, as_dict=True):
			lines.append(
				f"     -> table={row.table} type={row.type} key={row.key} rows={row.rows} extra={row.Extra}"
			)
	return lines


# The same salesperson with the app's row-level access switched off: what stock ERPNext costs for this
# user (its own permission checks, the user's User Permission on Company), so that the ratio to it is the
# app's own share.
ACCESS_OFF = "salesperson, access off"


def act_as(data: dict, who: str) -> None:
	frappe.set_user(data["salesperson"] if who == ACCESS_OFF else data.get(who, who))
	frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", int(who != ACCESS_OFF))
	frappe.db.commit()
	frappe.local.request_cache = defaultdict(dict)  # permissions.get_restrictions is request-cached


def measure(data: dict, runs: int, label: str) -> dict:
	figures, plans = {}, []
	for name, who, fn in cases(data):
		act_as(data, who)
		figures[(name, who)] = summary(timed_runs(lambda _run, fn=fn: fn(), runs=runs, warmup=1))
		plans.append(f"  {name}, as the {who}:")
		plans += explain(fn)
	act_as(data, "Administrator")
	print(f"\nEXPLAIN, {label}:")
	print("\n".join(plans))
	return figures


# The index states measured: none, Frappe's single-column `search_index` indexes (what the app had
# before), and the composite indexes the app creates (setup/install.py ACCESS_INDEXES).
STATES = [
	("without indexes", {}),
	(
		"single-column indexes",
		{"sales_person_index": ("sales_person",), "sales_partner_index": ("sales_partner",)},
	),
	("composite indexes (the app's)", None),  # None: ACCESS_INDEXES, read on the site
]


def indexes() -> list[str]:
	return sorted(
		{
			row.Key_name
			for row in frappe.db.sql("show index from `tabOpportunity`", as_dict=True)
			if row.Column_name in ("sales_person", "sales_partner")
		}
	)


def set_indexes(wanted: dict) -> None:
	"""Leave exactly `wanted` ({name: columns}) among the indexes on sales_person / sales_partner."""
	for name in indexes():
		frappe.db.sql_ddl(f"alter table `tabOpportunity` drop index `{name}`")
	for name, columns in wanted.items():
		frappe.db.add_index("Opportunity", list(columns), name)
	frappe.db.sql("analyze table `tabOpportunity`")


def run(count: int, runs: int, keep: bool, root_password: str, reuse: bool = False) -> None:
	if not reuse:
		make_site(SITE, root_password)
	figures = {}
	with on_site(SITE):
		from opportunity_crm.opportunities.permissions import ACCESS_INDEXES

		data = kept_data() if reuse else make_data(count)
		print(
			f"{data['total']:,} Opportunities; the restricted salesperson sees {data['own']:,} "
			f"(1 of {PERSONS} Sales Persons); the Sales Manager sees all"
		)
		for label, wanted in STATES:
			set_indexes(ACCESS_INDEXES["Opportunity"] if wanted is None else wanted)
			print(f"\n{label}: {indexes() or 'none'}")
			figures[label] = measure(data, runs, label)

	labels = [label for label, _wanted in STATES]
	rows = [
		[f"{name} ({who})", *(figures[label][(name, who)][0] for label in labels)]
		for name, who, _fn in cases(data)
	]
	notes = []
	for name in (
		"list, 20 newest",
		"list query built, not run",
		"list count",
		"pipeline report by Sales Person",
	):
		for baseline in ("manager", ACCESS_OFF):
			ratios = [
				figures[label][(name, "salesperson")][0] / figures[label][(name, baseline)][0]
				for label in labels
			]
			notes.append(
				f"   {name}, salesperson / {baseline}: "
				+ ", ".join(f"{r:.2f} {label}" for r, label in zip(ratios, labels, strict=True))
			)
	table(
		f"7. Row-level access over {data['total']:,} Opportunities, ms (median of {runs} runs after a warm-up)",
		["query (user)", *labels],
		rows,
		"ratios of the medians (goal: salesperson / manager <= 1.5):\n" + "\n".join(notes),
	)
	if not keep:
		drop_site(SITE, root_password)


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--opportunities", type=int, default=1_000_000)
	parser.add_argument("--quick", action="store_true", help="100,000 Opportunities")
	parser.add_argument("--runs", type=int, default=5)
	parser.add_argument("--keep", action="store_true", help="keep the site")
	parser.add_argument("--reuse", action="store_true", help="measure the site a --keep run kept")
	parser.add_argument("--app-site")  # accepted (and ignored) so that benchmarks/run can pass its arguments
	parser.add_argument("--stock-site")
	args = parser.parse_args()
	run(
		100_000 if args.quick else args.opportunities,
		args.runs,
		args.keep,
		os.environ.get("DB_ROOT_PASSWORD", "root"),
		args.reuse,
	)


if __name__ == "__main__":
	main()
