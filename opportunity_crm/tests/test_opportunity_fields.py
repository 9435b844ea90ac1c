import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.exceptions import InvalidSalesPersonError
from opportunity_crm.tests.factories import (
	convert,
	make_lead,
	make_sales_partner,
	make_sales_person,
)


class TestOpportunityFields(FrappeTestCase):
	def test_sales_person_is_an_enabled_individual(self):
		opportunity = frappe.get_doc("Opportunity", convert(make_lead()))
		for person, rule in (
			(make_sales_person(is_group=1), "group"),
			(make_sales_person(enabled=0), "disabled"),
		):
			opportunity.reload()
			opportunity.sales_person = person
			with self.assertRaises(InvalidSalesPersonError) as refused:
				opportunity.save()
			self.assertIn(person, str(refused.exception))
			self.assertIn(rule, str(refused.exception))

	def test_a_disabled_sales_person_stays_on_older_opportunities(self):
		person = make_sales_person()
		opportunity = frappe.get_doc("Opportunity", convert(make_lead(), sales_person=person))
		frappe.db.set_value("Sales Person", person, "enabled", 0)
		opportunity.probability = 50
		opportunity.save()
		self.assertEqual(opportunity.sales_person, person)

	def test_sales_partner_is_an_individual_or_a_company(self):
		self.assertEqual(
			frappe.db.get_value("Sales Partner", make_sales_partner(), "partner_kind"), "Company"
		)
		individual = make_sales_partner("Individual")
		self.assertEqual(frappe.db.get_value("Sales Partner", individual, "partner_kind"), "Individual")
		with self.assertRaises(frappe.ValidationError) as refused:
			make_sales_partner("Cooperative")
		self.assertIn("Partner Kind", str(refused.exception))
