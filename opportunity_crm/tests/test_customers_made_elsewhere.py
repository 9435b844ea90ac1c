"""A Customer that ERPNext makes outside the Opportunity (Lead ▸ Customer, Prospect ▸ Customer, the
Customer it makes when a Lead's or a Prospect's Quotation is ordered) belongs to the Opportunity, both
ways, through the rules; when a rule refuses, no Customer is left behind."""

import frappe
from erpnext.crm.doctype.lead.lead import make_customer as lead_make_customer
from erpnext.crm.doctype.prospect.prospect import make_customer as prospect_make_customer
from erpnext.crm.doctype.prospect.prospect import make_opportunity as prospect_make_opportunity
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.exceptions import MissingAddressOrContactError
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	default_company,
	make_address,
	make_contact,
	make_lead,
	make_sales_order_from_quotation,
	make_submitted_quotation,
	unique,
)


def make_prospect() -> str:
	prospect = frappe.get_doc(
		{"doctype": "Prospect", "company_name": unique("PT Prospek"), "company": default_company()}
	).insert(ignore_permissions=True)
	make_address("Prospect", prospect.name)
	make_contact("Prospect", prospect.name)
	return prospect.name


def prospect_opportunity(prospect: str) -> str:
	opportunity = prospect_make_opportunity(prospect)
	opportunity.company = default_company()
	opportunity.insert()
	add_wish(opportunity.name)
	return opportunity.name


def both_ways(opportunity: str) -> tuple:
	customer = frappe.db.get_value("Opportunity", opportunity, "customer")
	return customer, customer and frappe.db.get_value("Customer", customer, "opportunity_name")


def unlink_contacts(opportunity: str) -> None:
	"""History: an Opportunity whose Contact links are gone (written directly, as old data has it)."""
	frappe.db.delete(
		"Dynamic Link", {"link_doctype": "Opportunity", "link_name": opportunity, "parenttype": "Contact"}
	)


class TestCustomersMadeElsewhere(FrappeTestCase):
	def test_lead_create_customer_before_the_opportunity_existed(self):
		lead = make_lead()
		customer = lead_make_customer(lead)
		customer.insert()
		self.assertFalse(customer.opportunity_name)

		opportunity = convert(lead)
		add_wish(opportunity)

		self.assertEqual(both_ways(opportunity), (customer.name, opportunity))
		order = make_sales_order_from_quotation(make_submitted_quotation(opportunity).name)
		self.assertEqual((order.customer, order.opportunity), (customer.name, opportunity))

	def test_lead_customer_made_before_the_app_is_linked_when_the_sales_order_comes(self):
		"""History: the Lead became a Customer and had its Opportunity, unlinked, before install."""
		lead = make_lead()
		opportunity = convert(lead)
		add_wish(opportunity)
		customer = lead_make_customer(lead)
		customer.insert()
		frappe.db.set_value("Customer", customer.name, "opportunity_name", None)
		frappe.db.set_value("Opportunity", opportunity, "customer", None)

		order = make_sales_order_from_quotation(make_submitted_quotation(opportunity).name)

		self.assertEqual(order.customer, customer.name)
		self.assertEqual(both_ways(opportunity), (customer.name, opportunity))

	def test_prospect_create_customer_joins_the_prospects_opportunity(self):
		prospect = make_prospect()
		opportunity = prospect_opportunity(prospect)

		customer = prospect_make_customer(prospect)
		customer.insert()

		self.assertEqual(customer.prospect_name, prospect)
		self.assertEqual(both_ways(opportunity), (customer.name, opportunity))

	def test_prospect_quotation_ordered_makes_the_opportunitys_customer(self):
		prospect = make_prospect()
		opportunity = prospect_opportunity(prospect)
		quotation = make_submitted_quotation(opportunity)
		self.assertEqual(quotation.quotation_to, "Prospect")

		order = make_sales_order_from_quotation(quotation.name)

		self.assertEqual(both_ways(opportunity), (order.customer, opportunity))
		self.assertEqual(order.opportunity, opportunity)

	def test_a_prospects_refused_order_leaves_no_customer(self):
		prospect = make_prospect()
		opportunity = prospect_opportunity(prospect)
		quotation = make_submitted_quotation(opportunity)
		unlink_contacts(opportunity)
		customers = frappe.db.count("Customer")

		with self.assertRaises(MissingAddressOrContactError):
			make_sales_order_from_quotation(quotation.name)

		self.assertEqual(frappe.db.count("Customer"), customers)
		self.assertEqual(both_ways(opportunity), (None, None))

	def test_a_leads_refused_order_leaves_no_customer(self):
		opportunity = convert(make_lead())
		add_wish(opportunity)
		quotation = make_submitted_quotation(opportunity)
		unlink_contacts(opportunity)
		customers = frappe.db.count("Customer")

		with self.assertRaises(MissingAddressOrContactError):
			make_sales_order_from_quotation(quotation.name)

		self.assertEqual(frappe.db.count("Customer"), customers)
