import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.tests.factories import convert, make_lead


def timeline(doctype: str, name: str) -> list[str]:
	return frappe.get_all(
		"Comment",
		filters={"reference_doctype": doctype, "reference_name": name, "comment_type": "Info"},
		pluck="content",
	)


class TestAudit(FrappeTestCase):
	def test_each_conversion_leaves_a_timeline_entry_saying_who_converted_what_into_what(self):
		lead = make_lead()
		opportunity = convert(lead)
		customer = api.create_customer(opportunity)["customer"]

		lead_to_opportunity = [c for c in timeline("Lead", lead) if "into Opportunity" in c]
		self.assertEqual(len(lead_to_opportunity), 1)
		self.assertIn("Administrator", lead_to_opportunity[0])
		self.assertIn(lead_to_opportunity[0], timeline("Opportunity", opportunity))

		opportunity_to_customer = [c for c in timeline("Customer", customer) if opportunity in c]
		self.assertEqual(len(opportunity_to_customer), 1)
		self.assertIn("converted", opportunity_to_customer[0])
		self.assertIn(opportunity_to_customer[0], timeline("Opportunity", opportunity))
		self.assertIn(opportunity_to_customer[0], timeline("Lead", lead))

	def test_a_refused_conversion_leaves_no_entry(self):
		lead = make_lead()
		convert(lead)
		before = frappe.db.count("Comment")
		with self.assertRaises(frappe.ValidationError):
			convert(lead)
		self.assertEqual(frappe.db.count("Comment"), before)
