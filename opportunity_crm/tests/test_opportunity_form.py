import frappe
from frappe.desk.form.load import getdoc
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.tests.factories import convert, make_address, make_contact, make_lead


def loaded_onload(opportunity: str) -> dict:
	"""What the desk form receives when it opens the Opportunity."""
	frappe.response.docs = []
	getdoc("Opportunity", opportunity)
	return frappe.response.docs[0].get("__onload")


class TestOpportunityForm(FrappeTestCase):
	def test_form_lists_addresses_and_contacts_of_the_opportunity_and_of_its_party(self):
		lead = make_lead(addresses=1, contacts=1)
		opportunity = convert(lead)
		own_address = make_address("Opportunity", opportunity)  # "New Address" on the Opportunity form
		own_contact = make_contact("Opportunity", opportunity)
		later_lead_address = make_address("Lead", lead)

		onload = loaded_onload(opportunity)

		addresses = {row["name"] for row in onload["addr_list"]}
		contacts = {row["name"] for row in onload["contact_list"]}
		self.assertIn(own_address, addresses)
		self.assertIn(later_lead_address, addresses)
		self.assertEqual(len(addresses), 3)
		self.assertIn(own_contact, contacts)
		self.assertEqual(len(contacts), 2)

	def test_create_buttons_refuse_before_the_form_opens(self):
		"""Desk's Create ▸ … buttons call make_mapped_doc, which applies the app's overrides."""
		from frappe.model.mapper import make_mapped_doc

		from opportunity_crm import api
		from opportunity_crm.exceptions import (
			DuplicateCustomerError,
			DuplicateOpportunityError,
			MissingAddressOrContactError,
		)

		lead = make_lead(addresses=0, contacts=1)
		opportunity = convert(lead)
		with self.assertRaises(DuplicateOpportunityError):
			make_mapped_doc("erpnext.crm.doctype.lead.lead.make_opportunity", lead)
		for mapper in ("make_customer", "make_quotation"):
			with self.assertRaises(MissingAddressOrContactError):
				make_mapped_doc(f"erpnext.crm.doctype.opportunity.opportunity.{mapper}", opportunity)

		make_address("Opportunity", opportunity)
		quotation = make_mapped_doc("erpnext.crm.doctype.opportunity.opportunity.make_quotation", opportunity)
		self.assertEqual(quotation.doctype, "Quotation")
		customer = api.create_customer(opportunity)["customer"]
		with self.assertRaises(DuplicateCustomerError) as refused:
			make_mapped_doc("erpnext.crm.doctype.opportunity.opportunity.make_customer", opportunity)
		self.assertIn(customer, str(refused.exception))
