from concurrent.futures import ThreadPoolExecutor

import frappe
import requests
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.tests.factories import convert, make_lead
from opportunity_crm.tests.live_server import LiveServer, generate_keys

PARALLEL = 20
LEADS_AT_ONCE = 50


class TestHttpConcurrency(FrappeTestCase):
	"""Many integrators at once, over HTTP against gunicorn (4 workers)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.server = LiveServer(workers=4).start()
		api_key, api_secret = generate_keys("Administrator", cls)
		cls.headers = {"Host": cls.server.site, "Authorization": f"token {api_key}:{api_secret}"}

	@classmethod
	def tearDownClass(cls):
		cls.server.stop()
		super().tearDownClass()

	def post_all(self, method: str, payloads: list[dict]) -> list[requests.Response]:
		url = self.server.url(f"/api/method/opportunity_crm.api.{method}")
		with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
			return list(
				pool.map(lambda p: requests.post(url, json=p, headers=self.headers, timeout=180), payloads)
			)

	def outcomes(self, responses) -> dict:
		summary = {}
		for response in responses:
			key = (
				response.status_code
				if response.ok
				else (response.status_code, response.json().get("exc_type"))
			)
			summary[key] = summary.get(key, 0) + 1
		print(f"\n{len(responses)} concurrent calls: {summary}")
		return summary

	def test_parallel_convert_lead_on_one_lead_makes_one_opportunity(self):
		lead = make_lead()
		frappe.db.commit()

		responses = self.post_all("convert_lead", [{"lead": lead}] * PARALLEL)

		frappe.db.rollback()
		opportunities = frappe.get_all("Opportunity", {"party_name": lead}, pluck="name")
		self.assertEqual(len(opportunities), 1)
		self.assertEqual(self.outcomes(responses), {200: 1, (417, "DuplicateOpportunityError"): PARALLEL - 1})
		for response in responses:
			if not response.ok:
				self.assertIn(opportunities[0], response.json()["_server_messages"])

	def test_parallel_create_customer_on_one_opportunity_makes_one_customer(self):
		opportunity = convert(make_lead())
		frappe.db.commit()

		responses = self.post_all("create_customer", [{"opportunity": opportunity}] * PARALLEL)

		frappe.db.rollback()
		customers = frappe.get_all("Customer", {"opportunity_name": opportunity}, pluck="name")
		self.assertEqual(len(customers), 1)
		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "customer"), customers[0])
		self.assertEqual(self.outcomes(responses), {200: 1, (417, "DuplicateCustomerError"): PARALLEL - 1})

	def test_many_leads_converted_at_once_all_succeed(self):
		leads = [make_lead(addresses=2, contacts=2) for _ in range(LEADS_AT_ONCE)]
		frappe.db.commit()

		responses = self.post_all("convert_lead", [{"lead": lead} for lead in leads])

		frappe.db.rollback()
		self.assertEqual(self.outcomes(responses), {200: LEADS_AT_ONCE})
		self.assertEqual(frappe.db.count("Opportunity", {"lead": ("in", leads)}), LEADS_AT_ONCE)
		for response in responses:
			opportunity = response.json()["message"]["opportunity"]
			self.assertEqual(
				frappe.db.count("Dynamic Link", {"link_doctype": "Opportunity", "link_name": opportunity}), 4
			)
