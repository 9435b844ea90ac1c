import subprocess

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_bench_path

from opportunity_crm import api
from opportunity_crm.channel.partner_users import invite
from opportunity_crm.constants import roles
from opportunity_crm.constants.custom_fields import CUSTOM_FIELDS
from opportunity_crm.opportunities.permissions import ACCESS_INDEXES, ensure_access_indexes
from opportunity_crm.setup import role_permissions, workflow
from opportunity_crm.setup.install import (
	after_install,
	after_uninstall,
	before_uninstall,
	create_custom_fields,
	delete_custom_fields,
	ensure_deal_registration_workflow,
	grant_role_permissions,
)
from opportunity_crm.setup.notifications import NOTIFICATIONS
from opportunity_crm.tests.factories import convert, make_lead, make_sales_partner
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
			# the fields only (the rest of the uninstall: test_uninstall_removes_what_install_made); the
			# reinstall below commits
			delete_custom_fields()

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
		index_columns = table_indexes("Opportunity")
		for name, columns in ACCESS_INDEXES["Opportunity"].items():
			self.assertEqual(index_columns.get(name), list(columns))
		self.assertNotIn("sales_person_index", index_columns)
		self.assertNotIn("sales_partner_index", index_columns)
		self.assertEqual(
			table_indexes("Sales Team").get("opportunity_crm_member_modified"),
			["sales_person", "parenttype", "modified"],
		)

	def test_uninstall_drops_the_indexes_on_erpnexts_columns(self):
		"""After Frappe's uninstall (dropping an index commits): the Sales Team indexes would outlive the
		app, whose fields alone are removed with it."""
		try:
			after_uninstall()
			self.assertNotIn("opportunity_crm_member_modified", table_indexes("Sales Team"))
			self.assertNotIn("opportunity_crm_member_creation", table_indexes("Sales Team"))
		finally:
			ensure_access_indexes()
		self.assertIn("opportunity_crm_member_creation", table_indexes("Sales Team"))

	def test_row_level_access_is_on_for_new_installs_and_off_for_upgrading_sites(self):
		field = frappe.get_meta("Opportunity CRM Settings").get_field("enable_row_level_access")
		self.assertEqual(field.default, "0")  # what a site that upgrades (migrate creates the doctype) gets
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 0)
		after_install()
		self.assertEqual(frappe.db.get_single_value("Opportunity CRM Settings", "enable_row_level_access"), 1)

	def test_a_sites_edits_to_the_workflow_and_the_rules_survive_migrate(self):
		"""Install makes what is missing; `bench migrate` (run here as a command, on this site) leaves what
		the site changed: a Workflow transition given to another role, a rule narrowed, a rule deleted."""
		wf = frappe.get_doc("Workflow", workflow.WORKFLOW)
		next(t for t in wf.transitions if t.action == "Reject").allowed = "Sales Manager"
		wf.save(ignore_permissions=True)
		lead_rule = role_permissions.rule("Lead", roles.CHANNEL_MANAGER)
		frappe.db.set_value("Custom DocPerm", lead_rule, "write", 0)
		frappe.db.delete("Custom DocPerm", role_permissions.rule("Contact", roles.CHANNEL_MANAGER))
		frappe.db.commit()
		try:
			subprocess.run(
				["bench", "--site", frappe.local.site, "migrate", "--skip-search-index"],
				cwd=get_bench_path(),
				check=True,
				capture_output=True,
			)
			frappe.db.rollback()  # a fresh snapshot
			frappe.clear_cache()

			wf = frappe.get_doc("Workflow", workflow.WORKFLOW)
			self.assertEqual(
				[(t.action, t.allowed) for t in wf.transitions if t.state == "Submitted"],
				[("Approve", "Channel Manager"), ("Reject", "Sales Manager"), ("Return", "Channel Manager")],
			)
			self.assertEqual(frappe.db.get_value("Custom DocPerm", lead_rule, "write"), 0)
			self.assertIsNone(role_permissions.rule("Contact", roles.CHANNEL_MANAGER))
		finally:
			frappe.delete_doc("Workflow", workflow.WORKFLOW, ignore_permissions=True, force=True)
			ensure_deal_registration_workflow()
			frappe.db.set_value("Custom DocPerm", lead_rule, "write", 1)
			grant_role_permissions()
			frappe.db.commit()

	def test_uninstall_removes_what_install_made(self):
		partner = make_sales_partner("Company")
		partner_user = invite(
			partner, email=f"mitra-{frappe.generate_hash(length=8)}@example.com", first_name="Dewi"
		)["user"]
		self.assertTrue(frappe.db.exists("Custom DocPerm", {"parent": "Workflow", "role": "Sales Manager"}))

		try:
			before_uninstall()

			self.assertFalse(frappe.db.exists("Workflow", workflow.WORKFLOW))
			for role, _desk_access in workflow.ROLES:
				self.assertFalse(frappe.db.exists("Role", role), role)
				self.assertFalse(frappe.db.exists("Has Role", {"role": role}), role)
			# the states and actions only this Workflow used; Frappe's own stay
			for state in ("Submitted", "Returned", "Expired", "Converted"):
				self.assertFalse(frappe.db.exists("Workflow State", state), state)
			for state in workflow.FRAPPE_STATES:
				self.assertTrue(frappe.db.exists("Workflow State", state), state)
			self.assertFalse(frappe.db.exists("Workflow Action Master", "Return"))
			self.assertTrue(frappe.db.exists("Workflow Action Master", "Approve"))
			# every doctype back on its standard rules
			for doctype in role_permissions.GRANTS:
				self.assertEqual(frappe.db.count("Custom DocPerm", {"parent": doctype}), 0, doctype)
			# the partner user stays (a person, their history), without the partner's permission
			self.assertTrue(frappe.db.exists("User", partner_user))
			self.assertFalse(frappe.db.exists("User Permission", {"user": partner_user}))
			self.assertEqual(set(custom_field_rows().values()), {0})
			self.assertFalse(
				frappe.get_all("Notification", {"name": ("in", [n["name"] for n in NOTIFICATIONS])})
			)
		finally:
			frappe.db.rollback()
			frappe.clear_cache()


def table_indexes(doctype: str) -> dict[str, list[str]]:
	columns = {}
	for row in frappe.db.sql(f"show index from `tab{doctype}`", as_dict=True):
		columns.setdefault(row.Key_name, []).append(row.Column_name)
	return columns
