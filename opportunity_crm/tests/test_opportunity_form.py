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

	def test_the_form_knows_which_create_buttons_the_rules_refuse(self):
		"""The form script replaces a refused Create ▸ Customer / Quotation by the rule's message."""
		from opportunity_crm import api

		lead = make_lead(addresses=0, contacts=1)
		opportunity = convert(lead)
		refusals = loaded_onload(opportunity)["opportunity_crm_refusals"]
		self.assertEqual(set(refusals), {"Customer", "Quotation"})
		self.assertIn("no Address", refusals["Quotation"])

		make_address("Opportunity", opportunity)
		self.assertEqual(loaded_onload(opportunity)["opportunity_crm_refusals"], {})

		customer = api.create_customer(opportunity)["customer"]
		refusals = loaded_onload(opportunity)["opportunity_crm_refusals"]
		self.assertEqual(set(refusals), {"Customer"})
		self.assertIn(customer, refusals["Customer"])
