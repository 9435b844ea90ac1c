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

	def test_the_contract_fields_exist(self):
		"""The fields the app adds (not ERPNext's), as the install leaves them."""
		expected = {
			"Opportunity": {
				"sales_partner": ("Link", "Sales Partner"),
				"sales_person": ("Link", "Sales Person"),
				"lead": ("Link", "Lead"),
				"customer": ("Link", "Customer"),
			},
			"Sales Order": {"opportunity": ("Link", "Opportunity")},
			"Sales Partner": {"partner_kind": ("Select", "Company\nIndividual")},
		}  # Customer.opportunity_name, the Customer's side, is ERPNext's own field
		for doctype, fields in expected.items():
			meta = frappe.get_meta(doctype)
			for fieldname, (fieldtype, options) in fields.items():
				field = meta.get_field(fieldname)
				self.assertEqual(
					(field.fieldtype, field.options), (fieldtype, options), f"{doctype}.{fieldname}"
				)
		opportunity = frappe.get_meta("Opportunity")
		for fieldname in ("lead", "customer"):
			self.assertTrue(opportunity.get_field(fieldname).read_only)
			self.assertTrue(opportunity.get_field(fieldname).unique)
