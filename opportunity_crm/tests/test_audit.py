import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.tests.factories import convert, make_lead, make_user


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
		self.assertIn(lead, lead_to_opportunity[0])
		self.assertIn(opportunity, lead_to_opportunity[0])

		opportunity_to_customer = [c for c in timeline("Opportunity", opportunity) if customer in c]
		self.assertEqual(len(opportunity_to_customer), 1)
		self.assertIn("converted", opportunity_to_customer[0])
		self.assertIn(opportunity_to_customer[0], timeline("Lead", lead))

		# the new record's own timeline and fields say where it came from: no entry of the app on it
		self.assertEqual(timeline("Customer", customer), [])
		self.assertFalse([c for c in timeline("Opportunity", opportunity) if "into Opportunity" in c])
		self.assertEqual(
			frappe.db.get_value("Opportunity", opportunity, ["opportunity_from", "party_name"]),
			("Lead", lead),
		)
		self.assertEqual(
			frappe.db.get_value("Customer", customer, ["lead_name", "opportunity_name"]), (lead, opportunity)
		)

	def test_the_entry_shows_the_users_name_as_text(self):
		user = make_user("Sales Manager", "Sales User")
		# as stored, unsanitized (an import, an older version); Frappe keeps full names for the request
		frappe.db.set_value("User", user, {"first_name": "<img src=x onerror=alert(1)>", "last_name": "A&B"})
		frappe.local.fullnames.pop(user, None)
		lead = make_lead()
		frappe.set_user(user)
		try:
			opportunity = convert(lead)
		finally:
			frappe.set_user("Administrator")

		(entry,) = [c for c in timeline("Lead", lead) if opportunity in c]
		self.assertIn("<strong>&lt;img src=x onerror=alert(1)&gt; A&amp;B</strong>", entry)
		self.assertNotIn("<img", entry)
		self.assertEqual(
			frappe.db.get_value(
				"Comment",
				{"reference_doctype": "Lead", "reference_name": lead, "comment_type": "Info"},
				["comment_email", "owner"],
			),
			(user, user),
		)

	def test_a_refused_conversion_leaves_no_entry(self):
		lead = make_lead()
		convert(lead)
		before = frappe.db.count("Comment")
		with self.assertRaises(frappe.ValidationError):
			convert(lead)
		self.assertEqual(frappe.db.count("Comment"), before)
