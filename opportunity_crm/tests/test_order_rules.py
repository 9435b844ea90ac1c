"""Quotations and Sales Orders belong to their Opportunity on every save and at submit, whatever flags
ERPNext sets; an Opportunity's party and company are fixed once it has submitted orders."""

import frappe
from erpnext.crm.doctype.opportunity.opportunity import make_quotation
from erpnext.utilities.bulk_transaction import task as bulk_transaction_task
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.exceptions import FixedPartyError, OpportunityMismatchError
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	make_customer,
	make_lead,
	make_sales_order,
	make_sales_order_from_quotation,
	make_submitted_quotation,
)


def converted_opportunity() -> tuple[str, str]:
	opportunity = convert(make_lead())
	add_wish(opportunity)
	return opportunity, api.create_customer(opportunity)["customer"]


class TestOrderRules(FrappeTestCase):
	def test_a_draft_sales_order_moved_to_another_customer_cannot_be_submitted(self):
		opportunity, customer = converted_opportunity()
		order = make_sales_order(customer, opportunity=opportunity).insert()
		order.customer = make_customer()
		with self.assertRaises(OpportunityMismatchError) as refused:
			order.save()
		self.assertIn("its own Customer", str(refused.exception))

		order.reload()
		frappe.db.set_value("Sales Order", order.name, "customer", make_customer())  # as history has it
		order.reload()
		with self.assertRaises(OpportunityMismatchError):
			order.submit()

	def test_the_bulk_quotation_to_sales_order_action_keeps_the_rules(self):
		"""ERPNext's Quotation list ▸ Actions ▸ Sales Order sets `flags.ignore_validate`."""
		opportunity, _customer = converted_opportunity()
		quotation = make_submitted_quotation(opportunity)
		# a Quotation of history, addressed to another Customer than its Opportunity's
		frappe.db.set_value(
			"Quotation", quotation.name, {"quotation_to": "Customer", "party_name": make_customer()}
		)
		orders = frappe.db.count("Sales Order")

		with self.assertRaises(OpportunityMismatchError):
			bulk_transaction_task(quotation.name, "Quotation", "Sales Order")
		self.assertEqual(frappe.db.count("Sales Order"), orders)

	def test_a_sales_orders_opportunity_is_its_quotations_opportunity(self):
		opportunity, _customer = converted_opportunity()
		other, _other_customer = converted_opportunity()
		quotation = make_submitted_quotation(opportunity)
		from erpnext.selling.doctype.quotation.quotation import make_sales_order as map_sales_order

		order = map_sales_order(quotation.name)
		self.assertEqual(order.opportunity, opportunity)
		order.opportunity = other
		order.delivery_date = frappe.utils.add_days(frappe.utils.nowdate(), 7)
		with self.assertRaises(OpportunityMismatchError) as refused:
			order.insert()
		self.assertIn("its Quotations' Opportunity", str(refused.exception))

		make_sales_order_from_quotation(quotation.name)  # unchanged, it goes through

	def test_a_quotation_is_addressed_to_its_opportunitys_party(self):
		opportunity = convert(make_lead())
		add_wish(opportunity)
		quotation = make_quotation(opportunity)
		quotation.quotation_to, quotation.party_name = "Customer", make_customer()
		with self.assertRaises(OpportunityMismatchError) as refused:
			quotation.insert()
		self.assertIn("its Opportunity's party", str(refused.exception))

		quotation = make_quotation(opportunity)
		quotation.party_name = make_lead()
		with self.assertRaises(OpportunityMismatchError):
			quotation.insert()

	def test_a_quotation_belongs_to_an_opportunity_of_its_own_company(self):
		from opportunity_crm.tests.test_quotation_and_sales_order import other_company

		opportunity = convert(make_lead())
		add_wish(opportunity)
		quotation = make_quotation(opportunity)
		quotation.company = other_company()
		with self.assertRaises(OpportunityMismatchError) as refused:
			quotation.insert()
		self.assertIn("its own Company", str(refused.exception))

	def test_a_converted_opportunity_may_be_quoted_to_its_customer(self):
		opportunity, customer = converted_opportunity()
		quotation = make_quotation(opportunity)
		quotation.quotation_to, quotation.party_name = "Customer", customer
		quotation.insert()
		self.assertEqual(quotation.opportunity, opportunity)

	def test_an_opportunitys_party_is_fixed_once_it_has_a_submitted_order(self):
		opportunity, _customer = converted_opportunity()
		quotation = make_submitted_quotation(opportunity)
		doc = frappe.get_doc("Opportunity", opportunity)
		doc.party_name = make_lead()
		with self.assertRaises(FixedPartyError) as refused:
			doc.save()
		self.assertIn(quotation.name, str(refused.exception))

		make_sales_order_from_quotation(quotation.name).submit()
		doc.reload()
		doc.opportunity_from, doc.party_name = "Customer", make_customer()
		with self.assertRaises(FixedPartyError):
			doc.save()

	def test_an_opportunity_without_orders_may_change_its_party(self):
		opportunity = convert(make_lead())
		doc = frappe.get_doc("Opportunity", opportunity)
		new_lead = make_lead()
		doc.party_name = new_lead
		doc.save()
		self.assertEqual(doc.lead, new_lead)
