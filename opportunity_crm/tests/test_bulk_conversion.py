import json
import time

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.background_jobs import get_redis_connection_without_auth

from opportunity_crm import api
from opportunity_crm.exceptions import InvalidArgumentError
from opportunity_crm.opportunities.bulk_conversion import REALTIME_EVENT, convert_leads
from opportunity_crm.tests.factories import (
	convert,
	make_lead,
	make_sales_partner,
	make_sales_person,
	row_counts,
)
from opportunity_crm.tests.test_deadlocks import delete_leads


class TestBulkConversion(FrappeTestCase):
	"""The job commits each Lead (the test's own records with the first): each test deletes them."""

	def setUp(self):
		self.leads = []
		self.sales_people = []
		self.sales_partners = []

	def tearDown(self):
		frappe.db.rollback()
		if self.leads:  # the Sales Partners and Sales People `convert` made, committed with the first Lead
			for row in frappe.get_all(
				"Opportunity", {"party_name": ("in", self.leads)}, ["sales_partner", "sales_person"]
			):
				self.sales_partners.append(row.sales_partner)
				self.sales_people.append(row.sales_person)
		delete_leads(self.leads)
		for doctype, names in (("Sales Person", self.sales_people), ("Sales Partner", self.sales_partners)):
			for name in set(filter(None, names)):
				if frappe.db.exists(doctype, name):
					frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		frappe.db.commit()

	def lead(self, **kwargs) -> str:
		self.leads.append(make_lead(**kwargs))
		return self.leads[-1]

	def test_mixed_leads_are_converted_skipped_or_failed_each_on_its_own(self):
		fresh = [self.lead(addresses=2, contacts=1) for _ in range(3)]
		already = self.lead()
		existing = convert(already)
		disabled = self.lead(disabled=1)

		summary = convert_leads([fresh[0], already, "CRM-LEAD-MISSING", fresh[1], disabled, fresh[2]])

		frappe.db.rollback()  # what follows is what the job committed
		self.assertEqual([r["lead"] for r in summary["converted"]], fresh)
		for row in summary["converted"]:
			self.assertEqual(frappe.db.get_value("Opportunity", row["opportunity"], "lead"), row["lead"])
			self.assertEqual(
				frappe.db.count(
					"Dynamic Link", {"link_doctype": "Opportunity", "link_name": row["opportunity"]}
				),
				3,
			)
		self.assertEqual(summary["skipped"], [{"lead": already, "opportunity": existing}])
		failed = {r["lead"]: r["reason"] for r in summary["failed"]}
		self.assertEqual(set(failed), {"CRM-LEAD-MISSING", disabled})
		self.assertIn("does not exist", failed["CRM-LEAD-MISSING"])
		self.assertIn("disabled", failed[disabled])
		self.assertFalse(frappe.db.exists("Opportunity", {"lead": disabled}))

	def test_a_failing_lead_leaves_nothing_and_the_others_go_on(self):
		group = make_sales_person(is_group=1)
		self.sales_people.append(group)
		leads = [self.lead(addresses=1, contacts=1) for _ in range(2)]
		before = row_counts()

		summary = convert_leads(leads, sales_person=group)

		self.assertEqual(len(summary["failed"]), 2)
		self.assertIn("group", summary["failed"][0]["reason"])
		self.assertEqual(row_counts(), before)

	def test_the_api_converts_the_leads_it_is_given_and_tells_the_user(self):
		"""Under tests `frappe.enqueue` runs the job at once (no job id): what shows that the API ran it is
		what it did with the Leads and options, and the summary it sent to the user's desk (through
		Redis, as the browser gets it)."""
		partner, person = make_sales_partner(), make_sales_person()
		self.sales_people.append(person)
		self.sales_partners.append(partner)
		leads = [self.lead() for _ in range(2)]
		events = subscribe_to_realtime_events()
		try:
			api.bulk_convert_leads(json.dumps([*leads, leads[0]]), sales_partner=partner, sales_person=person)
			summaries = received(events, REALTIME_EVENT)
		finally:
			events.close()

		frappe.db.rollback()  # what follows is what the job committed
		opportunities = frappe.get_all(
			"Opportunity", {"lead": ("in", leads)}, ["name", "lead", "sales_partner", "sales_person"]
		)
		self.assertEqual(sorted(o.lead for o in opportunities), sorted(leads))
		self.assertEqual({(o.sales_partner, o.sales_person) for o in opportunities}, {(partner, person)})
		self.assertEqual(len(summaries), 1)
		self.assertEqual(summaries[0]["room"], f"user:{frappe.session.user}")
		self.assertEqual(
			summaries[0]["message"],
			{
				"converted": [
					{"lead": o.lead, "opportunity": o.name}
					for o in sorted(opportunities, key=lambda o: leads.index(o.lead))
				],
				"skipped": [],
				"failed": [],
			},
		)

	def test_the_api_refuses_bad_input_and_users_who_may_not_create_opportunities(self):
		for bad in ([], "not json", [1, 2]):
			with self.subTest(leads=bad), self.assertRaises(InvalidArgumentError) as refused:
				api.bulk_convert_leads(bad)
			self.assertIn("leads", str(refused.exception))
		lead = self.lead()
		frappe.set_user("Guest")
		try:
			with self.assertRaises(frappe.PermissionError):
				api.bulk_convert_leads([lead])
		finally:
			frappe.set_user("Administrator")
		self.assertFalse(frappe.db.exists("Opportunity", {"lead": lead}))


def subscribe_to_realtime_events():
	"""Frappe publishes every realtime event on the Redis channel `events`, for the socket.io server."""
	pubsub = get_redis_connection_without_auth().pubsub()
	pubsub.subscribe("events")
	pubsub.get_message(timeout=1)  # the subscription's confirmation
	return pubsub


def received(pubsub, event: str) -> list[dict]:
	"""The `event`s this site published (already on the channel: the job published after its commit),
	read until none came for half a second or for 10 s at most (other sites publish on it too)."""
	found, deadline = [], time.monotonic() + 10
	while time.monotonic() < deadline and (message := pubsub.get_message(timeout=0.5)):
		data = json.loads(message["data"])
		if data["event"] == event and data["namespace"] == frappe.local.site:
			found.append(data)
	return found
