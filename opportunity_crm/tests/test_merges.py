"""Rename ▸ Merge of Opportunities, Customers and Leads keeps the rules: a consistent result, or a 417
refusal naming the rule (never the database's IntegrityError)."""

import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.exceptions import MergeConflictError
from opportunity_crm.tests.factories import convert, make_customer, make_lead


def history_duplicate(lead: str) -> str:
	"""A second Opportunity of `lead` as stock ERPNext left it before the app: `lead` empty. Made for
	another Lead through the app, then pointed at this Lead directly, as a site's history would have it."""
	other = convert(make_lead())
	frappe.db.set_value("Opportunity", other, {"party_name": lead, "lead": None}, update_modified=False)
	return other


def merge(doctype: str, old: str, new: str) -> None:
	frappe.rename_doc(doctype, old, new, merge=True, show_alert=False, rebuild_search=False)


def customer_link(opportunity: str) -> tuple:
	customer = frappe.db.get_value("Opportunity", opportunity, "customer")
	return customer, frappe.db.get_value("Customer", customer, "opportunity_name") if customer else None


class TestMerges(FrappeTestCase):
	def test_merging_a_converted_opportunity_into_its_leads_other_one_moves_lead_and_customer(self):
		lead = make_lead()
		converted = convert(lead)
		customer = api.create_customer(converted)["customer"]
		other = history_duplicate(lead)

		merge("Opportunity", converted, other)

		self.assertFalse(frappe.db.exists("Opportunity", converted))
		self.assertEqual(frappe.db.get_value("Opportunity", other, "lead"), lead)
		self.assertEqual(customer_link(other), (customer, other))
		self.assertEqual(frappe.db.count("Customer", {"opportunity_name": other}), 1)

	def test_two_converted_opportunities_cannot_be_merged(self):
		lead = make_lead()
		first = convert(lead)
		api.create_customer(first)
		second = history_duplicate(lead)
		api.create_customer(second)

		with self.assertRaises(MergeConflictError) as refused:
			merge("Opportunity", first, second)
		self.assertIn("at most one Customer", str(refused.exception))
		self.assertTrue(frappe.db.exists("Opportunity", first))

	def test_opportunities_of_different_parties_cannot_be_merged(self):
		first, second = convert(make_lead()), convert(make_lead())
		with self.assertRaises(MergeConflictError) as refused:
			merge("Opportunity", first, second)
		self.assertIn("different parties", str(refused.exception))

	def test_merging_a_converted_customer_into_a_free_one_keeps_both_links_in_agreement(self):
		opportunity = convert(make_lead())
		converted = api.create_customer(opportunity)["customer"]
		free = make_customer()

		merge("Customer", converted, free)

		self.assertEqual(customer_link(opportunity), (free, opportunity))

	def test_two_converted_customers_cannot_be_merged(self):
		first_opportunity, second_opportunity = convert(make_lead()), convert(make_lead())
		first = api.create_customer(first_opportunity)["customer"]
		second = api.create_customer(second_opportunity)["customer"]

		with self.assertRaises(MergeConflictError) as refused:
			merge("Customer", first, second)
		self.assertIn("at most one Opportunity", str(refused.exception))
		self.assertEqual(customer_link(first_opportunity), (first, first_opportunity))

	def test_two_leads_with_an_opportunity_each_cannot_be_merged(self):
		first, second = make_lead(), make_lead()
		convert(first)
		convert(second)
		with self.assertRaises(MergeConflictError) as refused:
			merge("Lead", first, second)
		self.assertIn("at most one Opportunity", str(refused.exception))

	def test_merging_a_lead_into_one_without_opportunity_carries_its_opportunity(self):
		first, second = make_lead(), make_lead()
		opportunity = convert(first)

		merge("Lead", first, second)

		self.assertEqual(
			frappe.db.get_value("Opportunity", opportunity, ["lead", "party_name"]), (second, second)
		)
