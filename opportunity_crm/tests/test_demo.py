import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.demo import generate


class TestDemoData(FrappeTestCase):
	def test_generate_follows_the_rules_and_is_deterministic_by_seed(self):
		def newest_leads(n):
			return frappe.get_all(
				"Lead", fields=["company_name", "first_name"], order_by="creation desc, name desc", limit=n
			)

		made = generate(leads=6, seed=7, commit=False)  # the class's rollback takes it away
		first = newest_leads(6)
		again = generate(leads=6, seed=7, commit=False)
		self.assertEqual(made, again)
		self.assertEqual(
			[(r.company_name, r.first_name) for r in newest_leads(6)],
			[(r.company_name, r.first_name) for r in first],
		)
		self.assertEqual(made["leads"], 6)
		self.assertGreaterEqual(made["opportunities"], made["customers"])
		for lead in frappe.get_all("Lead", pluck="name", order_by="creation desc", limit=6):
			for doctype in ("Address", "Contact"):
				links = frappe.db.count(
					"Dynamic Link", {"link_doctype": "Lead", "link_name": lead, "parenttype": doctype}
				)
				self.assertTrue(1 <= links <= 5)
		kinds = set(
			frappe.get_all(
				"Sales Partner", filters={"partner_name": ("like", "%Mitra%")}, pluck="partner_kind"
			)
		)
		self.assertEqual(kinds, {"Company"})
		self.assertTrue(
			frappe.db.exists(
				"Sales Partner", {"partner_kind": "Individual", "partner_name": ("like", "Bapak %")}
			)
		)
