"""No stored field lies: after every path that converts, merges or expires, the Opportunity's stored
`forecast_category`, its movement log, its Version log and the reports say the same thing.

Each test reads the stored field (not the reports' SQL), the Won row of the movement log, the Version
that records the change, and the Pipeline Movement and Opportunity Forecast reports' drill-downs."""

import json

import frappe
from erpnext.crm.doctype.lead.lead import make_customer as lead_make_customer
from erpnext.crm.doctype.opportunity.opportunity import make_customer as opportunity_make_customer
from erpnext.crm.doctype.prospect.prospect import make_customer as prospect_make_customer
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, nowdate

from opportunity_crm import api
from opportunity_crm.channel import deal_expiry
from opportunity_crm.forecasting import forecast
from opportunity_crm.opportunity_crm.report.pipeline_movement.pipeline_movement import drill_down
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	default_company,
	make_address,
	make_contact,
	make_customer,
	make_lead,
	make_sales_order,
	make_sales_order_from_quotation,
	make_sales_person,
	make_submitted_quotation,
)
from opportunity_crm.tests.test_customers_made_elsewhere import make_prospect, prospect_opportunity
from opportunity_crm.tests.test_deal_keys import fresh_tax_id, make_registration
from opportunity_crm.tests.test_merges import history_duplicate, merge


def committed(opportunity: str, closing_in_days: int = 20) -> str:
	"""`opportunity` in a Commit stage (Negotiation/Review), 1,000 in this month's pipeline."""
	doc = frappe.get_doc("Opportunity", opportunity)
	doc.sales_stage = "Negotiation/Review"
	doc.expected_closing = add_days(nowdate(), closing_in_days)
	doc.opportunity_amount = 1000
	doc.save()
	assert doc.forecast_category == "Commit", doc.forecast_category
	return opportunity


def stored(opportunity: str, field: str = "forecast_category"):
	return frappe.db.get_value("Opportunity", opportunity, field)


def kinds(opportunity: str) -> list[str]:
	return frappe.get_all(
		"Opportunity Movement", filters={"opportunity": opportunity}, pluck="kind", order_by="name"
	)


def versioned_changes(doctype: str, name: str) -> dict:
	"""{field: (old, new)} over every Version of the record, the last change of each field winning."""
	changes = {}
	for data in frappe.get_all(
		"Version", filters={"ref_doctype": doctype, "docname": name}, pluck="data", order_by="creation"
	):
		for field, old, new in json.loads(data).get("changed", []):
			changes[field] = (old, new)
	return changes


class StoredFieldsTestCase(FrappeTestCase):
	def assertWon(self, opportunity: str) -> None:
		"""Stored Closed; one Won row and the category's row in the movement log; a Version of the change;
		the reports count it won, not open and not committed."""
		self.assertEqual(stored(opportunity), "Closed")
		self.assertTrue(stored(opportunity, "converted_on") or stored(opportunity, "status") == "Converted")
		log = kinds(opportunity)
		self.assertEqual(log.count("Won"), 1, log)
		last_category = frappe.get_all(
			"Opportunity Movement",
			filters={"opportunity": opportunity, "kind": "Forecast Category"},
			fields=["from_forecast_category", "to_forecast_category"],
			order_by="name desc",
			limit=1,
		)
		self.assertEqual(
			(last_category[0].from_forecast_category, last_category[0].to_forecast_category),
			("Commit", "Closed"),
		)
		self.assertEqual(
			versioned_changes("Opportunity", opportunity).get("forecast_category"), ("Commit", "Closed")
		)

		person = stored(opportunity, "sales_person")
		# the win counts for whoever had the deal when it was won (after a merge: the merged one's person)
		credited = frappe.db.get_value(
			"Opportunity Movement", {"opportunity": opportunity, "kind": "Won"}, "sales_person"
		)
		filters = {"company": default_company(), "from_date": nowdate(), "to_date": nowdate()}
		self.assertIn(opportunity, drill_down(filters, credited, "won"))
		self.assertNotIn(opportunity, drill_down(filters, person, "open_deals"))
		self.assertNotIn(opportunity, committed_in_forecast(person))

	def assertOpenInCommit(self, opportunity: str) -> None:
		self.assertEqual(stored(opportunity), "Commit")
		self.assertNotIn("Won", kinds(opportunity))
		person = stored(opportunity, "sales_person")
		filters = {"company": default_company(), "from_date": nowdate(), "to_date": nowdate()}
		self.assertIn(opportunity, drill_down(filters, person, "open_deals"))
		self.assertIn(opportunity, committed_in_forecast(person))


def committed_in_forecast(sales_person: str) -> list[str]:
	"""The Opportunities behind the person's Commit total in the Opportunity Forecast report."""
	today = getdate(nowdate())
	filters = frappe._dict(
		period="Month",
		from_date=today.replace(day=1),
		to_date=add_days(today, 400),
		company=default_company(),
		group_by="Sales Person",
	)
	return forecast.opportunities_behind(filters, "Sales Person", sales_person, "total", "commit_amount")


class TestConversionsThroughTheDocument(StoredFieldsTestCase):
	def test_api_create_customer(self):
		opportunity = committed(convert(make_lead()))
		self.assertOpenInCommit(opportunity)
		customer = api.create_customer(opportunity)["customer"]
		self.assertEqual(stored(opportunity, "customer"), customer)
		self.assertWon(opportunity)
		changes = versioned_changes("Opportunity", opportunity)
		self.assertEqual((bool(changes["customer"][0]), changes["customer"][1]), (False, customer))
		self.assertTrue(changes["converted_on"][1])

	def test_opportunity_create_customer(self):
		opportunity = committed(convert(make_lead()))
		opportunity_make_customer(opportunity).insert()
		self.assertWon(opportunity)

	def test_lead_create_customer(self):
		lead = make_lead()
		opportunity = committed(convert(lead))
		customer = lead_make_customer(lead)
		customer.insert()
		self.assertEqual(stored(opportunity, "customer"), customer.name)
		self.assertWon(opportunity)

	def test_prospect_create_customer(self):
		prospect = make_prospect()
		opportunity = prospect_opportunity(prospect)
		doc = frappe.get_doc("Opportunity", opportunity)
		doc.sales_person = make_sales_person()
		doc.save()
		committed(opportunity)
		prospect_make_customer(prospect).insert()
		self.assertWon(opportunity)

	def test_quotation_to_sales_order(self):
		"""The Customer made at the order's insert makes it won; the submit sets ERPNext's Converted:
		still one Won row."""
		opportunity = committed(convert(make_lead()))
		add_wish(opportunity)
		order = make_sales_order_from_quotation(make_submitted_quotation(opportunity).name)
		order.submit()
		self.assertEqual(stored(opportunity, "status"), "Converted")
		self.assertWon(opportunity)

	def test_direct_sales_order(self):
		"""An Opportunity of an existing Customer: its first Sales Order makes it won."""
		customer = make_customer()
		make_address("Customer", customer)
		make_contact("Customer", customer)
		opportunity = frappe.get_doc(
			{
				"doctype": "Opportunity",
				"opportunity_from": "Customer",
				"party_name": customer,
				"company": default_company(),
				"sales_person": make_sales_person(),
			}
		).insert()
		committed(opportunity.name)
		self.assertOpenInCommit(opportunity.name)
		order = make_sales_order(customer, opportunity=opportunity.name)
		order.insert()
		order.submit()
		self.assertWon(opportunity.name)

	def test_merge_of_a_converted_opportunity_into_an_open_one(self):
		lead = make_lead()
		converted = convert(lead)
		api.create_customer(converted)
		kept = committed(history_duplicate(lead))
		self.assertOpenInCommit(kept)

		merge("Opportunity", converted, kept)

		self.assertTrue(stored(kept, "customer"))
		# Frappe's merge moved the merged one's log, its Won row included, to the kept one: the merge does
		# not log a second win
		self.assertWon(kept)


class TestDealRegistrationsThroughTheDocument(StoredFieldsTestCase):
	def registration(self, opportunity: str, protected_until) -> str:
		return make_registration(
			"Approved",
			protected_until=protected_until,
			approved_on=add_days(protected_until, -90),
			opportunity=opportunity,
			tax_id=fresh_tax_id(),
		)

	def assertVersioned(self, name: str, change: tuple) -> None:
		"""A Version of the status change, when the doctype keeps them (Track Changes)."""
		if frappe.get_meta("Deal Registration").track_changes:
			self.assertEqual(versioned_changes("Deal Registration", name).get("status"), change)

	def test_expiry(self):
		"""The registration is Expired through its document (a Version); the Opportunity stays as it was:
		open, in Commit, not won."""
		opportunity = committed(convert(make_lead()))
		name = self.registration(opportunity, add_days(nowdate(), -1))

		self.assertTrue(deal_expiry.expire_one(name))

		self.assertEqual(frappe.db.get_value("Deal Registration", name, "status"), "Expired")
		self.assertVersioned(name, ("Approved", "Expired"))
		self.assertOpenInCommit(opportunity)

	def test_conversion_converts_the_registration(self):
		opportunity = committed(convert(make_lead()))
		name = self.registration(opportunity, add_days(nowdate(), 30))

		api.create_customer(opportunity)

		self.assertEqual(frappe.db.get_value("Deal Registration", name, "status"), "Converted")
		self.assertVersioned(name, ("Approved", "Converted"))
		self.assertWon(opportunity)
