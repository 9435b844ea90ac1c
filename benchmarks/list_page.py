"""11. The Opportunity list page of a restricted salesperson against a Sales Manager's, at 1,000,000
Opportunities (issue 19, item 3: goal salesperson / manager <= 1.5). From the bench's sites folder:

    ../env/bin/python ../apps/opportunity_crm/benchmarks/list_page.py --site SITE [--opportunities N] \
        [--runs N] [--reuse]

SITE is a site with the app (e.g. one made by `bash /tmp/coord/mksite.sh lp-app.localhost`; never a site
whose data matters: the benchmark adds a million Opportunities and switches row-level access on). The first
run fills it in bulk SQL (MariaDB's sequence engine, 100,000 rows per statement): 30 Sales Persons, each
with an Employee and a User (a team lead's Sales Person is a group with 9 of them below it), a Sales Manager
user, N Opportunities (default 1,000,000) spread evenly over the 30 and over time, and a Sales Team of two
rows (the Sales Person 60 %, the next one 40 %) on 10 % of them. `--reuse` measures a site filled by an
earlier run again (the figures of the fill are kept in a global default).

Then, in turns (manager, salesperson, team lead, manager, …; a warm-up first), each user's list page as
the desk asks for it, each call starting with Frappe's per-request state empty (`frappe.set_user` and the
request cache):
- `frappe.desk.reportview.get`: the list view's fields, no filter, `modified desc`, the first 20;
- `frappe.desk.reportview.get_count`: the list's count (the desk asks with `limit` 1001).
Per call: total ms (median, min to max), the ms spent in the app's permission_query_conditions hook for
Opportunity (the conditions built in Python, their SQL included), the SQL statements run (in the hook /
in all) and the size of the condition. Prints the ratios salesperson / manager and team lead / manager of
the page (get + count). Asserts nothing; not run by CI. `run()` is what benchmarks/run.py calls.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import frappe
from data import insert_opportunities, insert_sales_teams, pick
from util import on_site, table

PERSONS, TEAM = 30, 10  # Sales Persons; the team lead's group and the 9 below it
PREFIX = "BLP"
KEPT = "opportunity_crm_list_page_benchmark"  # the global default that keeps the users for --reuse
# the last: the same salesperson with the app's row-level access off for the call (`is_enabled` answers
# False), what Frappe alone costs for this user (the User Permission on Company that ERPNext gives an
# Employee's User, sharing), so that the ratio to it is the app's own share
ACCESS_OFF = "salesperson, access off"
# a Sales Manager who is an Employee too, as ERPNext makes one (Employee ▸ Create User Permission, on by
# default, gives its User a User Permission on the Company): Frappe then handles their queries as it does
# the salesperson's (`company` in every query, the user's shared documents read), the like-for-like baseline
EMPLOYEE_MANAGER = "manager, an Employee"
USERS = ("manager", EMPLOYEE_MANAGER, "salesperson", "team lead", ACCESS_OFF)
RESTRICTED = ("salesperson", "team lead")
CALLS = ("get", "get_count")


# data ------------------------------------------------------------------------------------------------


def make_data(count: int) -> dict:
	"""The users, Employees and Sales Persons through documents; the Opportunities and Sales Team rows in
	bulk SQL."""
	from opportunity_crm.tests.factories import make_employee, make_sales_person, make_user

	frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
	lead_user = make_user("Sales User")
	lead = make_sales_person(is_group=1, employee=make_employee(lead_user))
	users, persons = [lead_user], [lead]
	for i in range(1, PERSONS):
		user = make_user("Sales User")
		users.append(user)
		persons.append(make_sales_person(parent=lead if i < TEAM else None, employee=make_employee(user)))
	manager = make_user("Sales User", "Sales Manager")
	frappe.db.commit()

	company = frappe.defaults.get_global_default("company")
	stages = frappe.get_all("Sales Stage", pluck="name") or ["Prospecting"]
	partners = frappe.get_all("Sales Partner", pluck="name", limit=20)
	created = "now() - interval s.n minute"  # one a minute back from now
	person = f"(s.n div 7) mod {PERSONS}"  # evenly over the Sales Persons, 7 in a row each
	insert_opportunities(
		PREFIX,
		count,
		created=created,
		amount="1000000 * (1 + s.n mod 500)",
		probability="10 * (1 + s.n mod 8)",
		columns={
			"status": pick(["Open", "Open", "Quotation", "Replied", "Lost", "Closed"], "s.n mod 6"),
			"company": "%(company)s",
			"transaction_date": "curdate() - interval (s.n mod 720) day",
			"expected_closing": "curdate() - interval 360 day + interval (s.n mod 720) day",
			"sales_stage": pick(stages, f"s.n mod {len(stages)}"),
			"sales_partner": pick(partners, f"s.n mod {len(partners)}") if partners else "null",
			"sales_person": pick(persons, person),
		},
		values={
			"company": company,
			"currency": frappe.get_cached_value("Company", company, "default_currency"),
		},
	)
	# split credit on a tenth of them, picked by a hash of the number (evenly over the Sales Persons): the
	# Sales Person 60 %, the next one 40 %
	split, next_one = "crc32(s.n) mod 10 = 0", f"({person} + 1) mod {PERSONS}"
	insert_sales_teams(
		PREFIX,
		count,
		created,
		[
			(split, {"sales_person": pick(persons, person), "allocated_percentage": "60"}),
			(split, {"sales_person": pick(persons, next_one), "allocated_percentage": "40"}),
		],
	)
	frappe.db.sql("analyze table `tabOpportunity`, `tabSales Team`")
	data = {"manager": manager, "salesperson": users[1], "team lead": lead_user, "persons": persons}
	frappe.db.set_global(KEPT, json.dumps(data))
	frappe.db.commit()
	return with_employee_manager(data)


def kept_data() -> dict:
	kept = frappe.db.get_global(KEPT)
	if not kept:
		sys.exit(f"--reuse: this site holds no data of an earlier run ({KEPT} is not set)")
	return with_employee_manager(json.loads(kept))


def with_employee_manager(data: dict) -> dict:
	"""`data` with EMPLOYEE_MANAGER, made (and kept) by the first run that needs one."""
	if EMPLOYEE_MANAGER not in data:
		from opportunity_crm.tests.factories import make_employee, make_user

		data[EMPLOYEE_MANAGER] = make_user("Sales User", "Sales Manager")
		make_employee(data[EMPLOYEE_MANAGER])
		frappe.db.set_global(KEPT, json.dumps(data))
		frappe.db.commit()
	return data


def describe(data: dict) -> str:
	from opportunity_crm.opportunities import permissions

	def seen(user: str) -> int:
		persons = permissions.get_sales_persons(user)
		return frappe.db.sql(
			"""select count(*) from `tabOpportunity` where sales_person in %(p)s or name in (
				select parent from `tabSales Team` where parenttype = 'Opportunity' and sales_person in %(p)s)""",
			{"p": persons},
		)[0][0]

	return (
		f"{frappe.db.count('Opportunity'):,} Opportunities, "
		f"{frappe.db.count('Sales Team', {'parenttype': 'Opportunity'}):,} Sales Team rows; the salesperson "
		f"sees {seen(data['salesperson']):,}, the team lead ({TEAM} Sales Persons) {seen(data['team lead']):,}"
	)


# the desk's requests ---------------------------------------------------------------------------------


def list_fields() -> list[str]:
	"""The fields the desk's Opportunity list asks for (list_view.js `set_fields`): Frappe's standard
	fields, the `in_list_view` fields, Currency fields' currencies, status, title, ERPNext's `add_fields`
	and the columns of the List View Settings."""
	meta = frappe.get_meta("Opportunity")
	names = ["name", "owner", "creation", "modified", "modified_by", "_user_tags", "_comments", "_assign"]
	names += ["_liked_by", "docstatus", "idx"]
	names += [df.fieldname for df in meta.fields if df.in_list_view or df.fieldname == "status"]
	names += [
		df.options
		for df in meta.fields
		if df.fieldtype == "Currency" and df.options and ":" not in df.options
	]
	names += [meta.title_field, "customer_name", "opportunity_type", "opportunity_from", "status"]
	settings = frappe.db.get_value("List View Settings", "Opportunity", "fields")
	names += [f["fieldname"] for f in json.loads(settings or "[]") if f["fieldname"] != "status_field"]
	fields = []
	for name in names:
		if name and (meta.has_field(name) or name in frappe.model.default_fields or name.startswith("_")):
			field = f"`tabOpportunity`.`{name}`"
			if field not in fields:
				fields.append(field)
	return fields


def request(user: str, form: dict) -> None:
	"""Frappe's per-request state as a new request from `user` starts it."""
	frappe.set_user(user)  # also empties frappe.local.cache, role_permissions, user_perms
	frappe.local.request_cache = defaultdict(dict)
	frappe.local.form_dict = frappe._dict(form)


def page_calls(fields: list[str]) -> dict:
	# `cmd`: the method, as Frappe's API sets it for the request (row-level access reads it)
	get_form = {
		"cmd": "frappe.desk.reportview.get",
		"doctype": "Opportunity",
		"fields": json.dumps(fields),
		"filters": "[]",
		"order_by": "`tabOpportunity`.`modified` desc",
		"start": "0",
		"page_length": "20",
		"view": "List",
		"group_by": "",
		"with_comment_count": "1",
	}
	count_form = {
		"cmd": "frappe.desk.reportview.get_count",
		"doctype": "Opportunity",
		"filters": "[]",
		"fields": "[]",
		"distinct": "false",
		"limit": "1001",
	}
	return {"get": handler(get_form), "get_count": handler(count_form)}


def handler(form: dict) -> tuple:
	"""The method a request with this `cmd` runs, as Frappe's handler finds it (an app may override it:
	`override_whitelisted_methods`), called as the handler calls it."""
	method = frappe.get_attr(frappe.override_whitelisted_method(form["cmd"]))
	return (lambda: frappe.call(method, **frappe.local.form_dict)), form


class Probe:
	"""Times the app's Opportunity permission_query_conditions hook and counts SQL statements (all, and
	those the hook runs), by wrapping the module attributes Frappe resolves on each call."""

	def __init__(self):
		from opportunity_crm.opportunities import permissions

		self.module = permissions
		self.original_hook = permissions.opportunity_conditions
		self.original_is_enabled = permissions.is_enabled
		self.original_sql = frappe.db.sql
		self.reset()

	@staticmethod
	def never() -> bool:
		return False

	def reset(self):
		self.hook_seconds, self.statements, self.hook_statements, self.in_hook = 0.0, 0, 0, False
		self.condition_bytes = 0

	def __enter__(self):
		def hook(*args, **kwargs):
			start, self.in_hook = time.perf_counter(), True
			try:
				condition = self.original_hook(*args, **kwargs)
				self.condition_bytes = max(self.condition_bytes, len(condition or ""))
				return condition
			finally:
				self.in_hook = False
				self.hook_seconds += time.perf_counter() - start

		def sql(*args, **kwargs):
			self.statements += 1
			self.hook_statements += self.in_hook
			return self.original_sql(*args, **kwargs)

		self.module.opportunity_conditions = hook
		frappe.db.sql = sql
		return self

	def __exit__(self, *exc):
		self.module.opportunity_conditions = self.original_hook
		self.module.is_enabled = self.original_is_enabled
		frappe.db.sql = self.original_sql


def measure(data: dict, runs: int, warmup: int = 2) -> dict:
	"""{(user, call): [(seconds, hook seconds, statements, hook statements, condition bytes, result)]}"""
	calls = page_calls(list_fields())
	figures = defaultdict(list)
	with Probe() as probe:
		for run in range(-warmup, runs):
			for who in USERS:
				for call in CALLS:
					fn, form = calls[call]
					request(data["salesperson" if who == ACCESS_OFF else who], form)
					probe.module.is_enabled = probe.never if who == ACCESS_OFF else probe.original_is_enabled
					probe.reset()
					start = time.perf_counter()
					result = fn()
					seconds = time.perf_counter() - start
					frappe.db.rollback()
					if run >= 0:
						size = result if call == "get_count" else len(result.get("values", []))
						figures[(who, call)].append(
							(
								seconds,
								probe.hook_seconds,
								probe.statements,
								probe.hook_statements,
								probe.condition_bytes,
								size,
							)
						)
	frappe.set_user("Administrator")
	return figures


def spread(values: list[float]) -> str:
	ms = [v * 1000 for v in values]
	return f"{statistics.median(ms):.1f} ({min(ms):.1f}–{max(ms):.1f})"


def report(figures: dict, runs: int, title: str) -> dict:
	rows, medians = [], {}
	for who in USERS:
		page = [0.0] * runs
		for call in CALLS:
			values = figures[(who, call)]
			for i, v in enumerate(values):
				page[i] += v[0]
			medians[(who, call)] = statistics.median(v[0] for v in values) * 1000
			rows.append(
				[
					f"{call} ({who})",
					spread([v[0] for v in values]),
					spread([v[1] for v in values]),
					f"{values[0][3]} / {values[0][2]}",
					f"{values[0][4]:,}",
					f"{values[0][5]:,}",
				]
			)
		medians[(who, "page")] = statistics.median(page) * 1000
		rows.append([f"page: get + count ({who})", spread(page), "", "", "", ""])
	notes = []
	for who, baseline in (
		("salesperson", "manager"),
		("team lead", "manager"),
		("salesperson", EMPLOYEE_MANAGER),
		("team lead", EMPLOYEE_MANAGER),
		("salesperson", ACCESS_OFF),
		(EMPLOYEE_MANAGER, "manager"),
	):
		parts = [
			f"{what} {medians[(who, what)] / medians[(baseline, what)]:.2f}" for what in (*CALLS, "page")
		]
		notes.append(f"   {who} / {baseline}: " + ", ".join(parts))
	table(
		title,
		[
			"call (user)",
			"ms median (min–max)",
			"hook ms",
			"SQL hook / all",
			"condition bytes",
			"rows / count",
		],
		rows,
		"ratios of the medians (goal: salesperson / manager <= 1.5):\n" + "\n".join(notes),
	)
	return medians


def run(site: str, opportunities: int = 1_000_000, runs: int = 15, reuse: bool = False) -> dict:
	"""Fill `site` (unless `reuse`), measure, print; returns the panel benchmarks/run.py keeps."""
	with on_site(site):
		if not reuse and frappe.db.get_global(KEPT):
			print("this site holds the data of an earlier run: measured again (as --reuse)")
			reuse = True
		data = kept_data() if reuse else make_data(opportunities)
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
		frappe.db.commit()
		print(describe(data))
		total = frappe.db.count("Opportunity")
		figures = measure(data, runs)
	medians = report(
		figures,
		runs,
		f"11. Opportunity list page, {total:,} Opportunities: ms per call "
		f"(median (min–max) of {runs} runs in turns after a warm-up)",
	)
	return {
		"title": "11. Opportunity list page at 1M Opportunities, get + count (ms)",
		"series": {
			f"{who}: page": [sum(figures[(who, call)][i][0] for call in CALLS) * 1000 for i in range(runs)]
			for who in USERS
		},
		# the goal is for every restricted user: the worse of the salesperson and the team lead
		"ratio": max(medians[(who, "page")] / medians[("manager", "page")] for who in RESTRICTED),
		"like_for_like": {
			who: medians[(who, "page")] / medians[(EMPLOYEE_MANAGER, "page")] for who in RESTRICTED
		},
	}


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", required=True, help="a site with the app, whose data does not matter")
	parser.add_argument("--opportunities", type=int, default=1_000_000)
	parser.add_argument("--runs", type=int, default=15)
	parser.add_argument("--reuse", action="store_true", help="measure the data an earlier run left")
	args = parser.parse_args()
	run(args.site, args.opportunities, args.runs, args.reuse)


if __name__ == "__main__":
	main()
