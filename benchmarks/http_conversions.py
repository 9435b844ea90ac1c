"""Many Lead ▸ Opportunity conversions at the same moment over HTTP, stock ERPNext against the app.

From the bench's sites folder, on two sites made from the same clean ERPNext database (one without the
app, one with it; benchmarks/util.make_site makes them):

    ../env/bin/python ../apps/opportunity_crm/benchmarks/http_conversions.py --app-site A --stock-site S \
        [--at-once 50] [--rounds 4] [--workers 4]

Each site is served by gunicorn on loopback (`--workers` processes, as test_http_concurrency). A round
fires `--at-once` conversions of different Leads (2 Addresses + 2 Contacts each) in the same instant,
one thread per conversion; rounds alternate between the sites (stock, app, stock, app…):
- stock: what an integrator of stock ERPNext calls: ERPNext's mapper
  `erpnext.crm.doctype.lead.lead.make_opportunity`, then `frappe.client.insert` of the Opportunity it
  returns;
- app: `opportunity_crm.api.convert_lead`.
Prints, per site, the HTTP answers counted by status (and exception type) and the Opportunities that
exist afterwards. Measures, asserts nothing.
"""

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import frappe
import requests
from data import make_leads
from util import on_site

from opportunity_crm.tests.live_server import LiveServer


class Side:
	def __init__(self, label: str, site: str, leads: int, workers: int):
		self.label, self.site = label, site
		with on_site(site):
			prefix = f"HTC{frappe.generate_hash(length=4).upper()}"
			self.leads = make_leads(prefix, leads)
			api_key, api_secret = api_keys("Administrator")
			self.versions = (
				f"MariaDB {frappe.db.sql('select version()')[0][0]}, "
				f"snapshot isolation {snapshot_isolation()}, Frappe {frappe.__version__}"
			)
			self.server = LiveServer(workers=workers).start()
		self.headers = {"Host": site, "Authorization": f"token {api_key}:{api_secret}"}
		self.answers: dict = {}
		self.seconds: list[float] = []

	def post(self, method: str, payload: dict) -> requests.Response:
		return requests.post(
			self.server.url(f"/api/method/{method}"), json=payload, headers=self.headers, timeout=300
		)

	def convert(self, lead: str) -> requests.Response:
		if self.label == "app":
			return self.post("opportunity_crm.api.convert_lead", {"lead": lead})
		mapped = self.post("erpnext.crm.doctype.lead.lead.make_opportunity", {"source_name": lead})
		if not mapped.ok:
			return mapped
		return self.post("frappe.client.insert", {"doc": mapped.json()["message"]})

	def round(self, leads: list[str]) -> None:
		start = time.perf_counter()
		with ThreadPoolExecutor(max_workers=len(leads)) as pool:
			responses = list(pool.map(self.convert, leads))
		self.seconds.append(time.perf_counter() - start)
		for response in responses:
			key = str(response.status_code)
			if not response.ok:
				try:
					key += " " + (response.json().get("exc_type") or "")
				except ValueError:
					pass
			self.answers[key] = self.answers.get(key, 0) + 1

	def made(self) -> int:
		with on_site(self.site):
			return frappe.db.count(
				"Opportunity", {"opportunity_from": "Lead", "party_name": ("in", self.leads)}
			)


def api_keys(user: str) -> tuple[str, str]:
	"""A fresh API secret for `user` (the benchmark's sites are its own), committed for the server."""
	doc = frappe.get_doc("User", user)
	doc.api_key = doc.api_key or frappe.generate_hash(length=15)
	doc.api_secret = api_secret = frappe.generate_hash(length=15)
	doc.save(ignore_permissions=True)
	frappe.db.commit()
	return doc.api_key, api_secret


def snapshot_isolation() -> str:
	row = frappe.db.sql("show variables like 'innodb_snapshot_isolation'")
	return row[0][1] if row else "(no such variable)"


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--app-site", required=True)
	parser.add_argument("--stock-site", required=True)
	parser.add_argument("--at-once", type=int, default=50)
	parser.add_argument("--rounds", type=int, default=4)
	parser.add_argument("--workers", type=int, default=4)
	args = parser.parse_args()
	total = args.at_once * args.rounds
	sides = [
		Side("stock", args.stock_site, total, args.workers),
		Side("app", args.app_site, total, args.workers),
	]
	try:
		print(sides[0].versions)
		for n in range(args.rounds):
			for side in sides:
				side.round(side.leads[n * args.at_once : (n + 1) * args.at_once])
		print(
			f"\n{args.rounds} rounds of {args.at_once} Lead ▸ Opportunity conversions at once, over HTTP, "
			f"gunicorn with {args.workers} workers per site"
		)
		for side in sides:
			answers = ", ".join(f"{key}: {count}" for key, count in sorted(side.answers.items()))
			per_round = ", ".join(f"{s:.1f}" for s in side.seconds)
			print(
				f"{side.label:>5} ({side.site}): {answers}; Opportunities made {side.made()}/{total}; "
				f"seconds per round {per_round}"
			)
	finally:
		for side in sides:
			side.server.stop()


if __name__ == "__main__":
	main()
