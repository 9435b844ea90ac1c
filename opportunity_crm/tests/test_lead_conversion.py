import frappe
from erpnext.crm.doctype.lead.lead import make_opportunity
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.exceptions import DuplicateOpportunityError, InvalidSalesPersonError
from opportunity_crm.tests.factories import (
	convert,
	default_company,
	linked_parents,
	make_lead,
	make_sales_partner,
	make_sales_person,
	row_counts,
)


class TestLeadConversion(FrappeTestCase):
	def test_convert_lead_creates_the_opportunity_of_the_lead(self):
		lead = make_lead()
		partner, person = make_sales_partner(), make_sales_person()

		result = api.convert_lead(lead, company=default_company(), sales_partner=partner, sales_person=person)

		opportunity = frappe.get_doc("Opportunity", result["opportunity"])
		self.assertEqual(set(result), {"opportunity"})
		self.assertEqual(opportunity.opportunity_from, "Lead")
		self.assertEqual(opportunity.party_name, lead)
		self.assertEqual(opportunity.lead, lead)
		self.assertEqual(opportunity.company, default_company())
		self.assertEqual(opportunity.sales_partner, partner)
		self.assertEqual(opportunity.sales_person, person)
		self.assertIsNone(opportunity.customer)

	def test_convert_lead_links_every_address_and_contact_of_the_lead(self):
		lead = make_lead(addresses=2, contacts=3)
		lead_addresses = linked_parents("Lead", lead, "Address")
		lead_contacts = linked_parents("Lead", lead, "Contact")

		opportunity = convert(lead)

		self.assertEqual(len(lead_addresses), 2)
		self.assertEqual(len(lead_contacts), 3)
		self.assertEqual(linked_parents("Opportunity", opportunity, "Address"), lead_addresses)
		self.assertEqual(linked_parents("Opportunity", opportunity, "Contact"), lead_contacts)
		# the Lead keeps its own links
		self.assertEqual(linked_parents("Lead", lead, "Address"), lead_addresses)
		self.assertEqual(linked_parents("Lead", lead, "Contact"), lead_contacts)

	def test_a_lead_has_at_most_one_opportunity_via_the_api(self):
		lead = make_lead()
		first = convert(lead)
		before = row_counts()

		with self.assertRaises(DuplicateOpportunityError) as refused:
			convert(lead)

		self.assertIn(first, str(refused.exception))
		self.assertEqual(row_counts(), before)

	def test_a_lead_has_at_most_one_opportunity_via_erpnext_mapper(self):
		"""Lead ▸ Create ▸ Opportunity in desk maps with make_opportunity, then saves."""
		lead = make_lead()
		first = make_opportunity(lead)
		first.insert()
		self.assertEqual(first.lead, lead)

		second = make_opportunity(lead)
		with self.assertRaises(DuplicateOpportunityError) as refused:
			second.insert()
		self.assertIn(first.name, str(refused.exception))

	def test_a_lead_has_at_most_one_opportunity_via_resource_insert(self):
		"""What POST /api/resource/Opportunity does: insert a dict."""
		lead = make_lead()
		values = {
			"doctype": "Opportunity",
			"opportunity_from": "Lead",
			"party_name": lead,
			"company": default_company(),
		}
		first = frappe.get_doc(values).insert()
		self.assertEqual(first.lead, lead)

		with self.assertRaises(DuplicateOpportunityError) as refused:
			frappe.get_doc(values).insert()
		self.assertIn(first.name, str(refused.exception))

	def test_lead_is_unique_in_the_database(self):
		"""Even a write that skips the controller cannot give a Lead a second Opportunity."""
		lead = make_lead()
		first = convert(lead)
		other = convert(make_lead())

		with self.assertRaises(Exception) as refused:  # the driver's IntegrityError
			frappe.db.set_value("Opportunity", other, "lead", lead)

		self.assertTrue(frappe.db.is_unique_key_violation(refused.exception))
		self.assertEqual(frappe.db.get_value("Opportunity", {"lead": lead}), first)

	def test_lead_field_follows_opportunity_from(self):
		lead = make_lead()
		opportunity = frappe.get_doc("Opportunity", convert(lead))
		self.assertEqual(opportunity.lead, lead)

		customer = frappe.get_doc({"doctype": "Customer", "customer_name": "PT Lain"}).insert()
		opportunity.opportunity_from = "Customer"
		opportunity.party_name = customer.name
		opportunity.save()
		self.assertIsNone(opportunity.lead)
		# the Lead is free again
		self.assertTrue(convert(lead))

	def test_failed_conversion_writes_nothing(self):
		lead = make_lead(addresses=2, contacts=2)
		group = make_sales_person(is_group=1)
		before = row_counts()

		with self.assertRaises(InvalidSalesPersonError) as refused:
			api.convert_lead(lead, sales_person=group)

		self.assertIn(group, str(refused.exception))
		self.assertEqual(row_counts(), before)
		self.assertFalse(frappe.db.exists("Opportunity", {"lead": lead}))

	def test_unknown_lead_is_refused_with_its_name(self):
		with self.assertRaises(frappe.DoesNotExistError) as refused:
			api.convert_lead("CRM-LEAD-DOES-NOT-EXIST")
		self.assertIn("lead", str(refused.exception))
		self.assertIn("CRM-LEAD-DOES-NOT-EXIST", str(refused.exception))

	def test_unknown_sales_partner_is_refused(self):
		lead = make_lead()
		before = row_counts()
		with self.assertRaises(frappe.LinkValidationError):
			api.convert_lead(lead, sales_partner="No Such Partner")
		self.assertEqual(row_counts(), before)
