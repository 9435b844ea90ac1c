import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.constants.custom_fields import CUSTOM_FIELDS
from opportunity_crm.setup.install import after_install, before_uninstall, create_custom_fields
from opportunity_crm.tests.factories import convert, make_lead


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

	Creating a custom field may alter a table, which commits; so each test ends by reinstalling and
	committing, and the other tests always find the app installed."""

	def tearDown(self):
		after_install()
		frappe.db.commit()
		frappe.clear_cache()

	def test_uninstall_removes_the_fields_and_keeps_the_records(self):
		opportunity = convert(make_lead())
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

	def test_install_and_migrate_again_make_no_duplicate_field(self):
		after_install()
		create_custom_fields()  # what the patch does on migrate
		create_custom_fields()

		self.assertEqual(set(custom_field_rows().values()), {1})
		meta = frappe.get_meta("Opportunity")
		self.assertEqual(len([f for f in meta.fields if f.fieldname == "lead"]), 1)

	def test_install_links_opportunities_made_before_it(self):
		"""A site that already has Opportunities from Leads: the oldest one of each Lead gets `lead`."""
		lead = make_lead()
		opportunity = convert(lead)
		frappe.db.set_value("Opportunity", opportunity, "lead", None, update_modified=False)

		after_install()

		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "lead"), lead)

	def test_row_level_access_is_on_for_new_installs_and_off_for_upgrading_sites(self):
		field = frappe.get_meta("Opportunity CRM Settings").get_field("enable_row_level_access")
		self.assertEqual(field.default, "0")  # what a site that upgrades (migrate creates the doctype) gets
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 0)
		after_install()
		self.assertEqual(frappe.db.get_single_value("Opportunity CRM Settings", "enable_row_level_access"), 1)
