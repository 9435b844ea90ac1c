import frappe
from erpnext.crm.doctype.lead.lead import make_customer as make_customer_from_lead
from erpnext.crm.doctype.opportunity.opportunity import make_customer as make_customer_from_opportunity
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.exceptions import (
	DuplicateCustomerError,
	MissingAddressOrContactError,
	ReadOnlyFieldError,
)
from opportunity_crm.tests.factories import (
	convert,
	linked_parents,
	make_address,
	make_contact,
	make_customer,
	make_lead,
	row_counts,
)


class TestCustomerConversion(FrappeTestCase):
	def assertBecameCustomer(self, opportunity: str, customer: str):
		"""Everything `create_customer` promises, on whichever path made the Customer."""
		opp = frappe.get_doc("Opportunity", opportunity)
		cust = frappe.get_doc("Customer", customer)
		self.assertEqual(opp.customer, customer)
		self.assertEqual(cust.opportunity_name, opportunity)
		self.assertTrue(opp.converted_on)
		if opp.opportunity_from == "Lead":
			self.assertEqual(cust.lead_name, opp.party_name)
		for doctype in ("Address", "Contact"):
			linked_to_opportunity = linked_parents("Opportunity", opportunity, doctype)
			self.assertTrue(linked_to_opportunity)
			self.assertLessEqual(linked_to_opportunity, linked_parents("Customer", customer, doctype))
		if opp.sales_partner:
			self.assertEqual(cust.default_sales_partner, opp.sales_partner)
		if opp.sales_person:
			team = {row.sales_person: row.allocated_percentage for row in cust.sales_team}
			self.assertIn(opp.sales_person, team)
			self.assertEqual(sum(team.values()), 100)

	def test_create_customer_makes_the_customer_of_the_opportunity(self):
		opportunity = convert(make_lead(addresses=2, contacts=2))

		result = api.create_customer(opportunity)

		self.assertEqual(set(result), {"customer"})
		self.assertBecameCustomer(opportunity, result["customer"])
		team = frappe.get_doc("Customer", result["customer"]).sales_team
		self.assertEqual([(row.allocated_percentage) for row in team], [100])

	def test_create_customer_links_an_existing_customer_without_a_duplicate(self):
		opportunity = convert(make_lead())
		existing = make_customer()
		customers_before = frappe.db.count("Customer")

		result = api.create_customer(opportunity, customer=existing)

		self.assertEqual(result["customer"], existing)
		self.assertEqual(frappe.db.count("Customer"), customers_before)
		self.assertBecameCustomer(opportunity, existing)

	def test_linking_the_same_customer_again_changes_nothing(self):
		opportunity = convert(make_lead())
		customer = api.create_customer(opportunity)["customer"]
		before = row_counts()

		self.assertEqual(api.create_customer(opportunity, customer=customer)["customer"], customer)
		self.assertEqual(row_counts(), before)

	def test_a_second_customer_for_an_opportunity_is_refused_via_the_api(self):
		opportunity = convert(make_lead())
		first = api.create_customer(opportunity)["customer"]
		before = row_counts()

		with self.assertRaises(DuplicateCustomerError) as refused:
			api.create_customer(opportunity)
		self.assertIn(first, str(refused.exception))

		with self.assertRaises(DuplicateCustomerError) as refused:
			api.create_customer(opportunity, customer=make_customer())
		self.assertIn(first, str(refused.exception))
		self.assertEqual(frappe.db.count("Customer", {"opportunity_name": opportunity}), 1)
		self.assertEqual(row_counts()["Dynamic Link"], before["Dynamic Link"])

	def test_a_second_customer_for_an_opportunity_is_refused_via_erpnext_mapper(self):
		"""Opportunity ▸ Create ▸ Customer in desk maps with make_customer, then saves."""
		opportunity = convert(make_lead())
		first = make_customer_from_opportunity(opportunity)
		first.insert()
		self.assertBecameCustomer(opportunity, first.name)

		second = make_customer_from_opportunity(opportunity)
		second.customer_name = "PT Kedua"
		with self.assertRaises(DuplicateCustomerError) as refused:
			second.insert()
		self.assertIn(first.name, str(refused.exception))

	def test_a_customer_belongs_to_at_most_one_opportunity(self):
		first = convert(make_lead())
		customer = api.create_customer(first)["customer"]
		second = convert(make_lead())

		with self.assertRaises(DuplicateCustomerError) as refused:
			api.create_customer(second, customer=customer)
		self.assertIn(first, str(refused.exception))

		doc = frappe.get_doc("Customer", customer)
		doc.opportunity_name = second
		with self.assertRaises(ReadOnlyFieldError):
			doc.save()
		self.assertIsNone(frappe.db.get_value("Opportunity", second, "customer"))

	def test_customer_needs_an_address_and_a_contact(self):
		for addresses, contacts, missing in ((0, 1, "Address"), (1, 0, "Contact"), (0, 0, "Address")):
			opportunity = convert(make_lead(addresses=addresses, contacts=contacts))
			before = row_counts()

			with self.assertRaises(MissingAddressOrContactError) as refused:
				api.create_customer(opportunity)
			self.assertIn(missing, str(refused.exception))
			self.assertIn(opportunity, str(refused.exception))

			with self.assertRaises(MissingAddressOrContactError):
				make_customer_from_opportunity(opportunity).insert()

			self.assertEqual(row_counts(), before)
			self.assertIsNone(frappe.db.get_value("Opportunity", opportunity, "customer"))

	def test_addresses_added_to_the_opportunity_later_count(self):
		opportunity = convert(make_lead(addresses=0, contacts=0))
		make_address("Opportunity", opportunity)
		make_contact("Opportunity", opportunity)

		customer = api.create_customer(opportunity)["customer"]
		self.assertBecameCustomer(opportunity, customer)

	def test_lead_create_customer_joins_the_leads_opportunity(self):
		"""Lead ▸ Create ▸ Customer: ERPNext's mapper, then a save."""
		lead = make_lead()
		opportunity = convert(lead)

		customer = make_customer_from_lead(lead)
		customer.insert()

		self.assertBecameCustomer(opportunity, customer.name)

		again = make_customer_from_lead(lead)
		again.customer_name = "PT Lagi"
		with self.assertRaises(DuplicateCustomerError) as refused:
			again.insert()
		self.assertIn(customer.name, str(refused.exception))

	def test_customer_field_of_opportunity_cannot_be_set_directly(self):
		opportunity = frappe.get_doc("Opportunity", convert(make_lead()))
		opportunity.customer = make_customer()
		with self.assertRaises(ReadOnlyFieldError) as refused:
			opportunity.save()
		self.assertIn("customer", str(refused.exception))

	def test_lead_from_customer_is_not_taken_for_the_converted_customer(self):
		"""ERPNext copies Lead.customer ("From Customer") into same-named empty Opportunity fields."""
		referrer = make_customer()
		lead = make_lead(customer=referrer, source="Existing Customer")
		opportunity = frappe.get_doc("Opportunity", convert(lead))
		self.assertIsNone(opportunity.customer)
		opportunity.save()
		self.assertIsNone(frappe.db.get_value("Opportunity", opportunity.name, "customer"))

	def test_deleting_the_customer_frees_the_opportunity(self):
		opportunity = convert(make_lead())
		customer = api.create_customer(opportunity)["customer"]
		frappe.delete_doc("Customer", customer)
		self.assertIsNone(frappe.db.get_value("Opportunity", opportunity, "customer"))
		self.assertBecameCustomer(opportunity, api.create_customer(opportunity)["customer"])

	def test_unknown_opportunity_is_refused_with_its_name(self):
		with self.assertRaises(frappe.DoesNotExistError) as refused:
			api.create_customer("CRM-OPP-NOPE")
		self.assertIn("opportunity", str(refused.exception))
		self.assertIn("CRM-OPP-NOPE", str(refused.exception))
