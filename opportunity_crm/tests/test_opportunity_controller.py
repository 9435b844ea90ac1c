"""The app's `Opportunity.map_fields` (overrides/opportunity_controller.py) against ERPNext's own: the same
fields set to the same values, from a Lead, a Customer and a Prospect, with one statement."""

import frappe
from erpnext.crm.doctype.opportunity.opportunity import Opportunity as ERPNextOpportunity
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.overrides.opportunity_controller import OpportunityMapFields
from opportunity_crm.tests.factories import default_company, make_customer, make_lead, unique


def named(doctype: str, field: str) -> str:
	"""A fresh record of a doctype that is only a name (Industry Type, Market Segment)."""
	return frappe.get_doc({"doctype": doctype, field: unique(doctype)}).insert(ignore_permissions=True).name


def opportunity(party_doctype: str, party_name: str, **values):
	return frappe.get_doc(
		{
			"doctype": "Opportunity",
			"opportunity_from": party_doctype,
			"party_name": party_name,
			"company": default_company(),
			**values,
		}
	)


class TestOpportunityMapFields(FrappeTestCase):
	def setUp(self):
		self.industry = named("Industry Type", "industry")
		self.segment = named("Market Segment", "market_segment")

	def assert_same_as_erpnext(self, doc) -> dict:
		"""Run ERPNext's map_fields and the app's on two copies of `doc`; both end the same. Returns what
		the app's set."""
		self.assertIsInstance(doc, OpportunityMapFields)  # the hook is in effect
		theirs, ours = frappe.get_doc(doc.as_dict()), frappe.get_doc(doc.as_dict())
		before = doc.as_dict()
		ERPNextOpportunity.map_fields(theirs)
		frappe.get_meta(doc.opportunity_from)  # the meta as a warm worker has it
		with self.assertQueryCount(1):
			ours.map_fields()
		self.assertEqual(ours.as_dict(), theirs.as_dict())
		return {k: v for k, v in ours.as_dict().items() if v != before.get(k)}

	def test_from_a_lead_as_erpnext_copies(self):
		lead = make_lead(
			addresses=0,
			contacts=0,
			city="Bandung",
			state="Jawa Barat",
			country="Indonesia",
			website="https://budi.example",
			job_title="Purchasing",
			phone="022-555",
			annual_revenue=5_000_000_000,
			industry=self.industry,
			market_segment=self.segment,
			no_of_employees="11-50",
		)
		# a column set on the Opportunity keeps its value; an empty one takes the Lead's
		copied = self.assert_same_as_erpnext(opportunity("Lead", lead, city="Bogor"))
		self.assertEqual(copied["state"], "Jawa Barat")
		self.assertEqual(copied["industry"], self.industry)
		self.assertEqual(copied["annual_revenue"], 5_000_000_000)
		self.assertNotIn("city", copied)

		# a saved Opportunity, as a later save sees it
		saved = opportunity("Lead", lead)
		saved.insert(ignore_permissions=True)
		saved.reload()
		saved.website = None
		self.assertEqual(self.assert_same_as_erpnext(saved)["website"], "https://budi.example")

	def test_from_a_customer_as_erpnext_copies(self):
		customer = make_customer(
			industry=self.industry, market_segment=self.segment, website="https://cv.example"
		)
		copied = self.assert_same_as_erpnext(opportunity("Customer", customer))
		self.assertEqual(copied["website"], "https://cv.example")
		self.assertEqual(copied["market_segment"], self.segment)

	def test_from_a_prospect_as_erpnext_copies(self):
		prospect = (
			frappe.get_doc(
				{
					"doctype": "Prospect",
					"company_name": unique("PT Prospek"),
					"company": default_company(),
					"industry": self.industry,
					"annual_revenue": 750_000_000,
					"no_of_employees": "51-200",
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		copied = self.assert_same_as_erpnext(opportunity("Prospect", prospect))
		self.assertEqual(copied["industry"], self.industry)
		self.assertEqual(copied["annual_revenue"], 750_000_000)

	def test_a_party_that_is_not_found_gives_what_erpnext_gives(self):
		self.assert_same_as_erpnext(opportunity("Lead", unique("no such Lead")))
