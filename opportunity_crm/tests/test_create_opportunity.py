import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.exceptions import InvalidArgumentError, MissingAddressOrContactError
from opportunity_crm.tests.factories import (
	default_company,
	linked_parents,
	make_address,
	make_contact,
	make_customer,
	make_lead,
	make_sales_partner,
	make_sales_person,
	row_counts,
)

NEW_ADDRESS = {
	"address_title": "Gudang Bekasi",
	"address_type": "Warehouse",
	"address_line1": "Jl. Industri 5",
	"city": "Bekasi",
	"country": "Indonesia",
}
NEW_CONTACT = {"first_name": "Dewi", "last_name": "Lestari"}


class TestCreateOpportunity(FrappeTestCase):
	def opportunity_values(self, **values):
		return {
			"opportunity_from": "Customer",
			"party_name": make_customer(),
			"company": default_company(),
			"sales_partner": make_sales_partner(),
			"sales_person": make_sales_person(),
			**values,
		}

	def test_create_opportunity_with_new_and_existing_addresses_and_contacts(self):
		existing_address, existing_contact = make_address(), make_contact()

		result = api.create_opportunity(
			self.opportunity_values(),
			addresses=[existing_address, NEW_ADDRESS],
			contacts=[NEW_CONTACT, existing_contact],
		)

		opportunity = result["opportunity"]
		addresses = linked_parents("Opportunity", opportunity, "Address")
		contacts = linked_parents("Opportunity", opportunity, "Contact")
		self.assertEqual(len(addresses), 2)
		self.assertIn(existing_address, addresses)
		self.assertEqual(len(contacts), 2)
		self.assertIn(existing_contact, contacts)
		self.assertEqual(
			frappe.db.get_value("Address", (addresses - {existing_address}).pop(), "city"), "Bekasi"
		)

	def test_create_opportunity_accepts_json_strings_as_over_http(self):
		result = api.create_opportunity(
			frappe.as_json(self.opportunity_values()),
			addresses=frappe.as_json([NEW_ADDRESS]),
			contacts=frappe.as_json([NEW_CONTACT]),
		)
		self.assertTrue(frappe.db.exists("Opportunity", result["opportunity"]))

	def test_create_opportunity_from_a_lead_keeps_the_lead_rules(self):
		lead = make_lead(addresses=1, contacts=1)
		values = {"opportunity_from": "Lead", "party_name": lead, "company": default_company()}

		opportunity = api.create_opportunity(values, addresses=[NEW_ADDRESS], contacts=[])["opportunity"]

		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "lead"), lead)
		# the Lead's own address and contact, plus the new address
		self.assertEqual(len(linked_parents("Opportunity", opportunity, "Address")), 2)
		self.assertEqual(len(linked_parents("Opportunity", opportunity, "Contact")), 1)

	def test_create_opportunity_needs_an_address_and_a_contact(self):
		values = self.opportunity_values()
		before = row_counts()
		with self.assertRaises(MissingAddressOrContactError) as refused:
			api.create_opportunity(values, addresses=[NEW_ADDRESS], contacts=[])
		self.assertIn("Contact", str(refused.exception))
		self.assertEqual(row_counts(), before)

	def test_create_opportunity_is_all_or_nothing(self):
		"""A bad contact after a good address: no Opportunity, no Address, no link is left."""
		bad_contact = {"first_name": "Rudi", "email_ids": [{"email_id": "not an email"}]}
		values = self.opportunity_values()
		before = row_counts()

		with self.assertRaises(frappe.InvalidEmailAddressError):
			api.create_opportunity(values, addresses=[NEW_ADDRESS], contacts=[bad_contact])

		self.assertEqual(row_counts(), before)

	def test_bad_arguments_are_refused_before_anything_is_written(self):
		address = make_address()
		values = self.opportunity_values()
		cases = [
			("not an object", [NEW_ADDRESS], [NEW_CONTACT], "opportunity"),
			(values, "not json", [NEW_CONTACT], "addresses"),
			(values, {"address_line1": "x"}, [NEW_CONTACT], "addresses"),
			(values, ["No Such Address"], [NEW_CONTACT], "addresses"),
			(values, [address, address], [NEW_CONTACT], "addresses"),
			(values, [42], [NEW_CONTACT], "addresses"),
			(values, [{"doctype": "Contact", "first_name": "x"}], [NEW_CONTACT], "addresses"),
			(values, [NEW_ADDRESS], [{"name": "Chosen", "first_name": "x"}], "contacts"),
		]
		before = row_counts()
		for opportunity, addresses, contacts, argument in cases:
			with self.subTest(argument=argument, addresses=addresses, contacts=contacts):
				# FrappeTypeError: Frappe's own check of the annotated argument types
				with self.assertRaises((InvalidArgumentError, frappe.FrappeTypeError)) as refused:
					api.create_opportunity(opportunity, addresses=addresses, contacts=contacts)
				self.assertIn(argument, str(refused.exception))
		self.assertEqual(row_counts(), before)

	def test_an_opportunity_belongs_to_a_company_a_partner_and_a_salesperson(self):
		values = self.opportunity_values()
		opportunity = api.create_opportunity(values, addresses=[NEW_ADDRESS], contacts=[NEW_CONTACT])[
			"opportunity"
		]
		for fieldname in ("company", "sales_partner", "sales_person"):
			self.assertEqual(frappe.db.get_value("Opportunity", opportunity, fieldname), values[fieldname])
		# each of them has 0..n Opportunities
		second = api.create_opportunity(
			{**values, "party_name": make_customer()}, addresses=[NEW_ADDRESS], contacts=[NEW_CONTACT]
		)["opportunity"]
		self.assertEqual(
			set(frappe.get_all("Opportunity", {"sales_person": values["sales_person"]}, pluck="name")),
			{opportunity, second},
		)
