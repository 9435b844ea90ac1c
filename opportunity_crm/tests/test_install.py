import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.constants.custom_fields import CUSTOM_FIELDS
from opportunity_crm.setup.install import (
	ACCESS_INDEXES,
	after_install,
	before_uninstall,
	create_custom_fields,
)
from opportunity_crm.tests.factories import convert, make_lead
from opportunity_crm.tests.test_deadlocks import delete_leads


def custom_field_rows() -> dict[tuple[str, str], int]:
	return {
		(doctype, field["fieldname"]): frappe.db.count(
			"Custom Field", {"dt": doctype, "fieldname": field["fieldname"]}
		)
		for doctype, fields in CUSTOM_FIELDS.items()
		for field in fields
	}


class TestInstall(FrappeTestCase):
	"""The install and uninstall hooks, as `install-app`, `migrate` (the patch) and `uninstall-app` run
	them. .ci/run also runs the real commands: install, migrate twice, uninstall, install again.

	Creating a custom field alters a table, which commits, and the backfill commits each chunk; so each
	test ends by reinstalling, puts back the row-level access switch it found and deletes the records it
	made (committed), and the other tests always find the app installed and the site as it was."""

	def setUp(self):
		self.leads = []
		self.row_level_access = frappe.db.get_single_value(
			"Opportunity CRM Settings", "enable_row_level_access"
		)

	def tearDown(self):
		frappe.db.rollback()
		after_install()
		frappe.db.set_single_value(
			"Opportunity CRM Settings", "enable_row_level_access", self.row_level_access
		)
		if self.leads:
			opportunities = frappe.get_all(
				"Opportunity",
				{"party_name": ("in", self.leads)},
				["name", "customer", "sales_partner", "sales_person"],
			)
			for customer in {o.customer for o in opportunities if o.customer}:
				frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
			frappe.db.commit()
			delete_leads(self.leads)  # with their Opportunities, Addresses and Contacts; commits
			for doctype, field in (("Sales Partner", "sales_partner"), ("Sales Person", "sales_person")):
				for name in {o[field] for o in opportunities if o[field]}:
					frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		frappe.db.commit()
		frappe.clear_cache()

	def lead(self) -> str:
		self.leads.append(make_lead())
		return self.leads[-1]

	def test_uninstall_removes_the_fields_and_keeps_the_records(self):
		opportunity = convert(self.lead())
		customer = api.create_customer(opportunity)["customer"]
		links_before = frappe.db.count("Dynamic Link", {"link_name": ("in", [opportunity, customer])})

		try:
			before_uninstall()

			self.assertEqual(set(custom_field_rows().values()), {0})
			for doctype, fields in CUSTOM_FIELDS.items():
				meta = frappe.get_meta(doctype)
				for field in fields:
					self.assertIsNone(meta.get_field(field["fieldname"]), f"{doctype}.{field['fieldname']}")
			self.assertTrue(frappe.db.exists("Opportunity", opportunity))
			self.assertEqual(frappe.db.get_value("Customer", customer, "opportunity_name"), opportunity)
			self.assertEqual(
				frappe.db.count("Dynamic Link", {"link_name": ("in", [opportunity, customer])}), links_before
			)
		finally:
			after_install()

		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "customer"), customer)

	def test_migrate_puts_back_a_field_a_site_changed(self):
		"""The patch re-applies each field's definition (update=True), not only the missing ones."""
		frappe.db.set_value("Custom Field", {"dt": "Opportunity", "fieldname": "lead"}, "read_only", 0)
		frappe.db.set_value(
			"Custom Field", {"dt": "Sales Partner", "fieldname": "partner_kind"}, "options", "Company"
		)
		frappe.clear_cache()

		create_custom_fields()  # what the patch does on migrate

		self.assertTrue(frappe.get_meta("Opportunity").get_field("lead").read_only)
		self.assertEqual(
			frappe.get_meta("Sales Partner").get_field("partner_kind").options, "Company\nIndividual"
		)

	def test_install_links_opportunities_made_before_it(self):
		"""A site that already has Opportunities from Leads: the oldest one of each Lead gets `lead`."""
		lead = self.lead()
		opportunity = convert(lead)
		frappe.db.set_value("Opportunity", opportunity, "lead", None, update_modified=False)

		after_install()

		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "lead"), lead)

	def test_the_access_indexes_replace_the_single_column_ones(self):
		"""Install (and the patch on migrate) leaves the composite indexes, not Frappe's one-column ones."""
		index_columns = {}
		for row in frappe.db.sql("show index from `tabOpportunity`", as_dict=True):
			index_columns.setdefault(row.Key_name, []).append(row.Column_name)
		for name, columns in ACCESS_INDEXES["Opportunity"].items():
			self.assertEqual(index_columns.get(name), list(columns))
		self.assertNotIn("sales_person_index", index_columns)
		self.assertNotIn("sales_partner_index", index_columns)

	def test_row_level_access_is_on_for_new_installs_and_off_for_upgrading_sites(self):
		field = frappe.get_meta("Opportunity CRM Settings").get_field("enable_row_level_access")
		self.assertEqual(field.default, "0")  # what a site that upgrades (migrate creates the doctype) gets
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 0)
		after_install()
		self.assertEqual(frappe.db.get_single_value("Opportunity CRM Settings", "enable_row_level_access"), 1)
