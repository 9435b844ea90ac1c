import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.crm.bulk_conversion import convert_leads
from opportunity_crm.tests.factories import convert, make_lead, make_sales_person, row_counts
from opportunity_crm.tests.test_deadlocks import delete_leads


class TestBulkConversion(FrappeTestCase):
	"""The job commits each Lead (the test's own records with the first): each test deletes them."""

	def setUp(self):
		self.leads = []
		self.sales_people = []

	def tearDown(self):
		delete_leads(self.leads)
		for sales_person in self.sales_people:
			frappe.delete_doc("Sales Person", sales_person, force=True, ignore_permissions=True)
		frappe.db.commit()

	def lead(self, **kwargs) -> str:
		self.leads.append(make_lead(**kwargs))
		return self.leads[-1]

	def test_mixed_leads_are_converted_skipped_or_failed_each_on_its_own(self):
		fresh = [self.lead(addresses=2, contacts=1) for _ in range(3)]
		already = self.lead()
		existing = convert(already)
		disabled = self.lead(disabled=1)

		summary = convert_leads([fresh[0], already, "CRM-LEAD-MISSING", fresh[1], disabled, fresh[2]])

		frappe.db.rollback()  # what follows is what the job committed
		self.assertEqual([r["lead"] for r in summary["converted"]], fresh)
		for row in summary["converted"]:
			self.assertEqual(frappe.db.get_value("Opportunity", row["opportunity"], "lead"), row["lead"])
			self.assertEqual(
				frappe.db.count(
					"Dynamic Link", {"link_doctype": "Opportunity", "link_name": row["opportunity"]}
				),
				3,
			)
		self.assertEqual(summary["skipped"], [{"lead": already, "opportunity": existing}])
		failed = {r["lead"]: r["reason"] for r in summary["failed"]}
		self.assertEqual(set(failed), {"CRM-LEAD-MISSING", disabled})
		self.assertIn("does not exist", failed["CRM-LEAD-MISSING"])
		self.assertIn("disabled", failed[disabled])
		self.assertFalse(frappe.db.exists("Opportunity", {"lead": disabled}))

	def test_a_failing_lead_leaves_nothing_and_the_others_go_on(self):
		group = make_sales_person(is_group=1)
		self.sales_people.append(group)
		leads = [self.lead(addresses=1, contacts=1) for _ in range(2)]
		before = row_counts()

		summary = convert_leads(leads, sales_person=group)

		self.assertEqual(len(summary["failed"]), 2)
		self.assertIn("group", summary["failed"][0]["reason"])
		self.assertEqual(row_counts(), before)

	def test_the_api_runs_the_job_and_refuses_bad_input(self):
		leads = [self.lead() for _ in range(2)]
		result = api.bulk_convert_leads(leads)  # runs at once under tests (frappe.enqueue now=in_test)
		self.assertIn("job_id", result)
		self.assertEqual(frappe.db.count("Opportunity", {"lead": ("in", leads)}), 2)
		for bad in ([], "not json", [1, 2]):
			with self.assertRaises(frappe.ValidationError):
				api.bulk_convert_leads(bad)
