import frappe
from erpnext.crm.doctype.opportunity.opportunity import make_quotation
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.exceptions import MissingAddressOrContactError, OpportunityMismatchError
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	make_address,
	make_contact,
	make_customer,
	make_lead,
	make_sales_order,
	make_sales_order_from_quotation,
	make_submitted_quotation,
	row_counts,
)


def other_company() -> str:
	name = "_OCRM Other Company"
	if not frappe.db.exists("Company", name):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": name,
				"abbr": "_OCRM",
				"default_currency": frappe.db.get_value("Company", {}, "default_currency"),
				"country": frappe.db.get_value("Company", {}, "country"),
			}
		).insert()
	return name


class TestQuotationAndSalesOrder(FrappeTestCase):
	def opportunity(self, **kwargs) -> str:
		opportunity = convert(make_lead(**kwargs))
		add_wish(opportunity)
		return opportunity

	def test_quotation_from_opportunity_carries_its_sales_partner(self):
		opportunity = self.opportunity()
		quotation = make_submitted_quotation(opportunity)

		self.assertEqual(quotation.opportunity, opportunity)
		self.assertEqual(
			quotation.referral_sales_partner, frappe.db.get_value("Opportunity", opportunity, "sales_partner")
		)

	def test_an_opportunity_has_many_quotations(self):
		opportunity = self.opportunity()
		first, second = make_submitted_quotation(opportunity), make_submitted_quotation(opportunity)
		self.assertEqual(
			set(frappe.get_all("Quotation", {"opportunity": opportunity}, pluck="name")),
			{first.name, second.name},
		)

	def test_quotation_needs_an_address_and_a_contact(self):
		for addresses, contacts in ((0, 1), (1, 0)):
			opportunity = self.opportunity(addresses=addresses, contacts=contacts)
			quotation = make_quotation(opportunity)
			with self.assertRaises(MissingAddressOrContactError) as refused:
				quotation.insert()
			self.assertIn(opportunity, str(refused.exception))
			self.assertFalse(frappe.db.exists("Quotation", {"opportunity": opportunity}))

	def test_sales_order_from_a_lead_quotation_makes_the_opportunitys_customer(self):
		"""ERPNext creates the Customer itself when a Quotation addressed to a Lead is ordered."""
		opportunity = self.opportunity()
		quotation = make_submitted_quotation(opportunity)
		self.assertEqual(quotation.quotation_to, "Lead")

		sales_order = make_sales_order_from_quotation(quotation.name)

		opp = frappe.get_doc("Opportunity", opportunity)
		self.assertTrue(opp.customer)
		self.assertEqual(sales_order.customer, opp.customer)
		self.assertEqual(frappe.db.get_value("Customer", opp.customer, "opportunity_name"), opportunity)
		self.assertEqual(sales_order.opportunity, opportunity)
		self.assertEqual(sales_order.sales_partner, opp.sales_partner)
		self.assertIn(opp.sales_person, [row.sales_person for row in sales_order.sales_team])
		self.assertEqual(sum(row.allocated_percentage for row in sales_order.sales_team), 100)

	def test_sales_order_reuses_the_customer_the_opportunity_became(self):
		opportunity = self.opportunity()
		customer = api.create_customer(opportunity)["customer"]
		quotation = make_submitted_quotation(opportunity)
		customers_before = frappe.db.count("Customer")

		first = make_sales_order_from_quotation(quotation.name)
		second = make_sales_order(customer, opportunity=opportunity).insert()

		self.assertEqual(frappe.db.count("Customer"), customers_before)
		self.assertEqual(first.customer, customer)
		self.assertEqual(
			set(frappe.get_all("Sales Order", {"opportunity": opportunity}, pluck="name")),
			{first.name, second.name},
		)
		self.assertEqual(
			second.sales_partner, frappe.db.get_value("Opportunity", opportunity, "sales_partner")
		)
		self.assertEqual(
			[row.sales_person for row in second.sales_team],
			[frappe.db.get_value("Opportunity", opportunity, "sales_person")],
		)

	def test_sales_order_of_an_opportunity_for_an_existing_customer(self):
		customer = make_customer()
		lead_opportunity = self.opportunity()
		opportunity = frappe.get_doc(
			{
				"doctype": "Opportunity",
				"opportunity_from": "Customer",
				"party_name": customer,
				"company": frappe.db.get_value("Opportunity", lead_opportunity, "company"),
			}
		).insert()
		make_address("Opportunity", opportunity.name)
		make_contact("Opportunity", opportunity.name)

		sales_order = make_sales_order(customer, opportunity=opportunity.name).insert()
		self.assertEqual(sales_order.opportunity, opportunity.name)

	def test_sales_order_opportunity_must_be_of_the_same_company(self):
		opportunity = self.opportunity()
		customer = api.create_customer(opportunity)["customer"]
		before = row_counts()

		with self.assertRaises(OpportunityMismatchError) as refused:
			make_sales_order(customer, company=other_company(), opportunity=opportunity).insert()
		self.assertIn(opportunity, str(refused.exception))
		self.assertIn("Company", str(refused.exception))
		self.assertEqual(row_counts()["Sales Order"], before["Sales Order"])

	def test_sales_order_opportunity_must_be_of_the_same_customer(self):
		opportunity = self.opportunity()
		customer = api.create_customer(opportunity)["customer"]
		stranger = make_customer()

		with self.assertRaises(OpportunityMismatchError) as refused:
			make_sales_order(stranger, opportunity=opportunity).insert()
		self.assertIn(customer, str(refused.exception))
		self.assertIn(stranger, str(refused.exception))

	def test_sales_order_needs_the_opportunity_to_have_become_a_customer(self):
		opportunity = self.opportunity()
		with self.assertRaises(OpportunityMismatchError) as refused:
			make_sales_order(make_customer(), opportunity=opportunity).insert()
		self.assertIn(opportunity, str(refused.exception))

	def test_sales_order_needs_an_address_and_a_contact(self):
		opportunity = self.opportunity(addresses=0, contacts=1)
		quotation = make_quotation(opportunity)
		with self.assertRaises(MissingAddressOrContactError):
			quotation.insert()
		# and a Sales Order set on it directly: the Opportunity of an existing Customer has none of its own
		customer = make_customer()
		bare = frappe.get_doc(
			{
				"doctype": "Opportunity",
				"opportunity_from": "Customer",
				"party_name": customer,
				"company": frappe.db.get_value("Opportunity", opportunity, "company"),
			}
		).insert()
		with self.assertRaises(MissingAddressOrContactError) as refused:
			make_sales_order(customer, opportunity=bare.name).insert()
		self.assertIn("Sales Order", str(refused.exception))
