import json
import subprocess
import sys
import time

import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.tests.factories import convert, make_lead

WORKERS = 4


def run_at_once(action: str, name: str, workers: int = WORKERS) -> list[dict]:
	"""Start `workers` processes that call the same conversion at the same instant."""
	start_at = time.time() + 4
	processes = [
		subprocess.Popen(
			[
				sys.executable,
				"-m",
				"opportunity_crm.tests.concurrent_worker",
				frappe.local.site,
				action,
				name,
				str(start_at),
			],
			cwd=frappe.local.sites_path,
			stdout=subprocess.PIPE,
			stderr=subprocess.PIPE,
			text=True,
		)
		for _ in range(workers)
	]
	outcomes = []
	for process in processes:
		stdout, stderr = process.communicate(timeout=120)
		lines = stdout.strip().splitlines()
		assert lines, f"worker printed nothing: {stderr[-2000:]}"
		outcomes.append(json.loads(lines[-1]))
	return outcomes


class TestConcurrency(FrappeTestCase):
	"""Processes of their own, committing: what two desk users or integrators do at the same time."""

	def tearDown(self):
		frappe.db.rollback()
		for doctype, names in reversed(self.created):
			for name in names:
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		frappe.db.commit()

	def setUp(self):
		self.created = []

	def test_concurrent_conversions_of_one_lead_make_exactly_one_opportunity(self):
		lead = make_lead()
		frappe.db.commit()
		self.created.append(("Lead", [lead]))

		outcomes = run_at_once("convert_lead", lead)

		opportunities = frappe.get_all("Opportunity", {"party_name": lead}, pluck="name")
		self.created.append(("Opportunity", opportunities))
		self.assertEqual(len(opportunities), 1)
		self.assertEqual([o["ok"] for o in outcomes if "ok" in o], [{"opportunity": opportunities[0]}])
		refusals = [o for o in outcomes if "error" in o]
		self.assertEqual(len(refusals), WORKERS - 1)
		for refusal in refusals:
			self.assertEqual(refusal["error"], "DuplicateOpportunityError", refusal)
			self.assertIn(opportunities[0], refusal["message"])

	def test_concurrent_conversions_of_one_opportunity_make_exactly_one_customer(self):
		lead = make_lead()
		opportunity = convert(lead)
		frappe.db.commit()
		self.created.append(("Lead", [lead]))
		self.created.append(("Opportunity", [opportunity]))

		outcomes = run_at_once("create_customer", opportunity)

		customers = frappe.get_all("Customer", {"opportunity_name": opportunity}, pluck="name")
		self.created.append(("Customer", customers))
		self.assertEqual(len(customers), 1)
		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "customer"), customers[0])
		refusals = [o for o in outcomes if "error" in o]
		self.assertEqual(len(refusals), WORKERS - 1)
		for refusal in refusals:
			self.assertEqual(refusal["error"], "DuplicateCustomerError", refusal)
			self.assertIn(customers[0], refusal["message"])
