"""11. What the `before_request` hook (overrides/request_guard.py) costs a request, by the kind of request.

    ../env/bin/python ../apps/opportunity_crm/benchmarks/request_guard.py SITE

Runs `check_resource_write` on an existing site (nothing is written) for requests built with werkzeug as
Frappe's app would receive them: a page, a method call, a REST write of a doctype the hook leaves alone,
and a REST insert of an Opportunity with a body of 10 fields and a 3-row Sales Team (the one it reads).
Prints the median time per call over 5 rounds of N calls, next to a whole request Frappe answers itself
(GET /api/method/ping through `frappe.app.application`, the same process), for scale. Not run by CI.
"""

import json
import os
import statistics
import sys
import time

import frappe
from frappe.utils import set_request

N = 20_000
BODY = {
	"opportunity_from": "Lead",
	"party_name": "CRM-LEAD-2026-00001",
	"company": "_Test Company",
	"title": "Bench",
	"status": "Open",
	"opportunity_amount": 1000,
	"currency": "INR",
	"transaction_date": "2026-01-01",
	"sales_stage": "Prospecting",
	"sales_team": [{"sales_person": f"SP {i}", "allocated_percentage": 33} for i in range(3)],
}
CASES = {
	"GET /app/opportunity": dict(method="GET", path="/app/opportunity"),
	"POST /api/method/…convert_lead": dict(
		method="POST", path="/api/method/opportunity_crm.api.convert_lead", json={"lead": "x"}
	),
	"POST /api/resource/ToDo": dict(method="POST", path="/api/resource/ToDo", json={"description": "x"}),
	"POST /api/resource/Opportunity": dict(method="POST", path="/api/resource/Opportunity", json=BODY),
}


def per_call(function, calls: int) -> float:
	rounds = []
	for _ in range(5):
		start = time.perf_counter()
		for _ in range(calls):
			function()
		rounds.append((time.perf_counter() - start) / calls * 1e6)
	return statistics.median(rounds)


def main(site: str):
	from opportunity_crm.overrides.request_guard import check_resource_write

	frappe.init(site=site, sites_path=os.getcwd())
	frappe.connect()
	try:
		for label, request in CASES.items():
			set_request(**request)
			frappe.local.form_dict = frappe._dict(request.get("json") or {})
			print(f"{label:34} {per_call(check_resource_write, N):8.2f} µs per request")
		frappe.local.form_dict = frappe._dict(data=json.dumps(BODY))
		set_request(method="POST", path="/api/resource/Opportunity")
		print(
			f"{'  same, v1 body as data=<json>':34} {per_call(check_resource_write, N):8.2f} µs per request"
		)
	finally:
		frappe.destroy()

	from frappe.app import application
	from werkzeug.test import Client

	client = Client(application)
	headers = {"Host": site}

	def ping():
		client.get("/api/method/ping", headers=headers)

	print(f"{'whole request: GET /api/method/ping':34} {per_call(ping, 200) / 1000:8.2f} ms per request")


if __name__ == "__main__":
	main(sys.argv[1])
