import frappe
from frappe.desk.notifications import get_open_count
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	make_lead,
	make_sales_order_from_quotation,
	make_sales_partner,
	make_sales_person,
	make_submitted_quotation,
)


def connected_doctypes(doctype: str) -> set[str]:
	data = frappe.get_meta(doctype).get_dashboard_data()
	return {item for group in data.transactions for item in group["items"]}


def counts(doctype: str, name: str) -> dict[str, int]:
	"""What the form's Connections tab shows. Frappe's `get_open_count` caps the session's statements at
	1 s for the request it serves; here the session goes on, so the cap is lifted again afterwards."""
	try:
		found = get_open_count(doctype, name)["count"]["external_links_found"]
	finally:
		frappe.db.set_execution_timeout(0)
	return {row["doctype"]: row["count"] for row in found}


class TestConnections(FrappeTestCase):
	"""Only the Connections the app adds (`overrides/dashboards.py`): stock ERPNext already shows an
	Opportunity's Quotations, a Lead's Opportunities and a Customer's Opportunities."""

	def test_opportunity_shows_its_sales_orders_and_customer(self):
		self.assertLessEqual({"Sales Order", "Customer"}, connected_doctypes("Opportunity"))

		opportunity = convert(make_lead())
		add_wish(opportunity)
		quotation = make_submitted_quotation(opportunity)
		make_sales_order_from_quotation(quotation.name)
		# ERPNext makes the Lead's Customer with the Sales Order; the app links it to the Opportunity

		found = counts("Opportunity", opportunity)
		self.assertEqual(found["Sales Order"], 1)
		self.assertEqual(found["Customer"], 1)

	def test_sales_partner_and_sales_person_show_their_opportunities(self):
		partner, person = make_sales_partner(), make_sales_person()
		convert(make_lead(), sales_partner=partner, sales_person=person)
		convert(make_lead(), sales_partner=partner, sales_person=person)
		convert(make_lead(), sales_partner=make_sales_partner(), sales_person=make_sales_person())

		for doctype, name in (("Sales Partner", partner), ("Sales Person", person)):
			with self.subTest(doctype=doctype):
				self.assertIn("Opportunity", connected_doctypes(doctype))
				self.assertEqual(counts(doctype, name)["Opportunity"], 2)
