"""Where an Opportunity insert and save spend their SQL statements and milliseconds, handler by handler.

An Opportunity is made from a Lead through ERPNext's mapper (`make_opportunity` + `insert`), then loaded as
a form save loads it and saved with a new probability. Every hook of the app that Frappe looks up
(`doc_events`, permission hooks: all go through `frappe.get_attr`) is wrapped, and so is ERPNext's
`Opportunity.map_fields` (split into the app's custom columns and ERPNext's own); each SQL statement
is booked to the innermost of them that runs it, the rest to "Frappe / ERPNext (the rest)". The app's
controller has a `map_fields` of its own (overrides/opportunity_controller.py): that one is booked whole.
Statement counts are deterministic; milliseconds are noisy on a shared machine, hence median and spread
over the rounds. Sites are measured in turns (util.interleaved). From the bench's sites folder:

    ../env/bin/python ../apps/opportunity_crm/benchmarks/save_cost.py --app-site A [--stock-site S] \
        [--rounds 5] [--per-round 20]

It measures, asserts nothing, exits 0.
"""

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import frappe
from util import interleaved, table

REST = "Frappe / ERPNext (the rest)"
MAP_APP = "ERPNext map_fields: the app's custom columns"
MAP_STOCK = "ERPNext map_fields: ERPNext's own columns"
MAP_OWN = "the app's map_fields (party's cached meta, one get_value)"


class Book:
	"""Statements and exclusive seconds per label, the innermost open label taking each statement."""

	def __init__(self):
		self.stack = [REST]
		self.count = defaultdict(int)
		self.seconds = defaultdict(float)
		self.started = [time.perf_counter()]
		self.columns = defaultdict(int)  # map_fields column -> statements
		self.current_column = None

	def enter(self, label):
		now = time.perf_counter()
		self.seconds[self.stack[-1]] += now - self.started[-1]
		self.stack.append(label)
		self.started.append(now)

	def leave(self):
		now = time.perf_counter()
		self.seconds[self.stack.pop()] += now - self.started.pop()
		self.started[-1] = now

	def close(self):
		self.seconds[self.stack[-1]] += time.perf_counter() - self.started[-1]


BOOK: list[Book] = []


def install_wrappers():
	original_sql = frappe.db.sql

	def sql(query, *args, **kwargs):
		if BOOK:
			BOOK[-1].count[BOOK[-1].stack[-1]] += 1
			if BOOK[-1].stack[-1] in (MAP_APP, MAP_STOCK, MAP_OWN):
				BOOK[-1].columns[BOOK[-1].current_column] += 1
		return original_sql(query, *args, **kwargs)

	frappe.db.sql = sql

	original_get_attr = frappe.get_attr

	def get_attr(path):
		fn = original_get_attr(path)
		if not (isinstance(path, str) and path.startswith("opportunity_crm.")):
			return fn
		label = path.rsplit(".", 2)
		label = f"{label[-2]}.{label[-1]}"

		def wrapped(*args, **kwargs):
			if not BOOK:
				return fn(*args, **kwargs)
			BOOK[-1].enter(label)
			try:
				return fn(*args, **kwargs)
			finally:
				BOOK[-1].leave()

		return wrapped

	frappe.get_attr = get_attr

	if "opportunity_crm" not in frappe.get_installed_apps():
		custom = set()
	else:
		custom = {f.fieldname for f in frappe.get_meta("Opportunity").fields if f.get("is_custom_field")}
	from erpnext.crm.doctype.opportunity.opportunity import Opportunity

	def map_fields(self):
		# ERPNext's own loop, statement for statement, with each column booked to whose column it is
		for field in self.meta.get_valid_columns():
			book = BOOK[-1] if BOOK else None
			if book:
				book.enter(MAP_APP if field in custom else MAP_STOCK)
				book.current_column = field
			try:
				if not self.get(field) and frappe.db.field_exists(self.opportunity_from, field):
					try:
						self.set(field, frappe.db.get_value(self.opportunity_from, self.party_name, field))
					except Exception:
						continue
			finally:
				if book:
					book.leave()

	Opportunity.map_fields = map_fields

	# the app's controller (overrides/opportunity_controller.py) has a map_fields of its own, booked whole
	from frappe.model.base_document import get_controller

	controller = get_controller("Opportunity")
	if controller.map_fields is not Opportunity.map_fields:
		own_map_fields = controller.map_fields

		def booked_map_fields(self):
			book = BOOK[-1] if BOOK else None
			if book:
				book.enter(MAP_OWN)
				book.current_column = "(the app's map_fields: all columns)"
			try:
				return own_map_fields(self)
			finally:
				if book:
					book.leave()

		controller.map_fields = booked_map_fields


def new_request():
	"""Forget what Frappe keeps for one request only (each insert and save is a request of its own)."""
	frappe.db.value_cache = {}
	if hasattr(frappe.local, "request_cache"):
		frappe.local.request_cache.clear()
	if hasattr(frappe.local, "document_cache"):
		frappe.local.document_cache.clear()


def setup_for(per_round: int):
	def setup():
		from erpnext.crm.doctype.lead.lead import make_opportunity

		install_wrappers()
		company = frappe.defaults.get_global_default("company")
		frappe.db.commit()

		def step(run):
			books = {"insert": Book(), "save": Book()}
			totals = {"insert": 0.0, "save": 0.0}
			for i in range(per_round):
				lead = frappe.get_doc(
					{
						"doctype": "Lead",
						"first_name": f"Bench {run} {i} {frappe.generate_hash(length=6)}",
						"company_name": f"PT Bench {frappe.generate_hash(length=6)}",
					}
				).insert()
				for label in ("insert", "save"):
					new_request()
					book = books[label]
					book.started = [time.perf_counter()]
					book.stack = [REST]
					BOOK.append(book)
					start = time.perf_counter()
					try:
						if label == "insert":
							doc = make_opportunity(lead.name)
							doc.company = company
							doc.opportunity_amount = 10_000_000
							doc.insert()
						else:
							doc = frappe.get_doc("Opportunity", doc.name)  # as a form save loads it
							doc.probability = 40
							doc.save()
					finally:
						book.close()
						BOOK.pop()
					totals[label] += time.perf_counter() - start
				frappe.db.commit()
			return {
				label: {
					"count": {k: v / per_round for k, v in book.count.items()},
					"ms": {k: v * 1000 / per_round for k, v in book.seconds.items()},
					"total_ms": totals[label] * 1000 / per_round,
					"columns": {k: v / per_round for k, v in book.columns.items()},
				}
				for label, book in books.items()
			}

		return step

	return setup


def spread(values):
	values = sorted(values)
	return f"{statistics.median(values):.2f} ({values[0]:.2f}–{values[-1]:.2f})"


def report(measured: dict, rounds: int, per_round: int) -> None:
	for action in ("insert", "save"):
		for side, result in measured.items():
			runs = [extra[action] for extra in result["extra"]]
			labels = sorted({k for r in runs for k in r["count"]} | {k for r in runs for k in r["ms"]})
			rows = []
			for label in labels:
				count = runs[0]["count"].get(label, 0)
				ms = [r["ms"].get(label, 0.0) for r in runs]
				rows.append([label, round(count, 2), spread(ms)])
			rows.sort(key=lambda r: (r[0] != REST, -r[1]))
			total_count = sum(runs[0]["count"].values())
			rows.append(["total", round(total_count, 2), spread([r["total_ms"] for r in runs])])
			table(
				f"Opportunity {action} on the {side} site: statements per Opportunity and ms, median "
				f"(min–max) of {rounds} rounds of {per_round}",
				["handler / cause", "statements", "ms"],
				rows,
			)
			columns = runs[0]["columns"]
			if columns:
				print(
					"map_fields statements by column: "
					+ ", ".join(f"{k} {v:g}" for k, v in sorted(columns.items(), key=lambda kv: -kv[1]))
				)


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--app-site", required=True)
	parser.add_argument("--stock-site")
	parser.add_argument("--rounds", type=int, default=5)
	parser.add_argument("--per-round", type=int, default=20)
	args = parser.parse_args()
	sides = {"app": (args.app_site, setup_for(args.per_round))}
	if args.stock_site:
		sides["stock"] = (args.stock_site, setup_for(args.per_round))
	measured = interleaved(sides, runs=args.rounds, warmup=1)
	report(measured, args.rounds, args.per_round)


if __name__ == "__main__":
	main()
