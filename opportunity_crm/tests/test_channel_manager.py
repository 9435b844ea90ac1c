"""A channel team of one: a user with the role Channel Manager and nothing else invites a partner's people,
decides registrations and follows the channel, through the rules `setup/role_permissions.py` gives the role
(Custom DocPerm). Each check is run again with those rules taken away: then it is refused, so it proves the
app's rules, not Frappe's defaults."""

import frappe
from frappe.client import get_value

from opportunity_crm import api
from opportunity_crm.channel.partner_users import partner_of
from opportunity_crm.constants.roles import CHANNEL_MANAGER
from opportunity_crm.setup import role_permissions
from opportunity_crm.tests.factories import make_lead, make_user
from opportunity_crm.tests.test_deal_registration import DOCTYPE, DealRegistrationCase, prospect


def linked_parenttypes(link_doctype: str, link_name: str) -> list[str]:
	return frappe.get_all(
		"Dynamic Link", {"link_doctype": link_doctype, "link_name": link_name}, pluck="parenttype"
	)


class TestChannelManagerAlone(DealRegistrationCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		role_permissions.grant()
		cls.channel_manager = make_user(CHANNEL_MANAGER)
		cls.sales_manager = make_user("Sales Manager")

	def tearDown(self):
		role_permissions.grant()  # back, after a test that took them away
		super().tearDown()

	def as_user(self, user: str, call, *args, **kwargs):
		frappe.set_user(user)
		try:
			return call(*args, **kwargs)
		finally:
			frappe.set_user("Administrator")

	def as_channel_manager(self, call, *args, **kwargs):
		return self.as_user(self.channel_manager, call, *args, **kwargs)

	def without_the_apps_rules(self) -> None:
		role_permissions.revoke()
		# the role itself goes at uninstall only: revoke() takes its rules, the user keeps the role
		self.assertEqual(frappe.get_roles(self.channel_manager).count(CHANNEL_MANAGER), 1)

	def test_the_role_is_all_the_user_has(self):
		self.assertEqual(
			set(frappe.get_roles(self.channel_manager)) - {"All", "Guest", "Desk User"}, {CHANNEL_MANAGER}
		)

	def test_a_channel_manager_alone_invites_a_partner_user(self):
		email = f"dewi-{frappe.generate_hash(length=8)}@mitra.co.id"

		result = self.as_channel_manager(
			api.invite_partner_user, self.partner, email=email, first_name="Dewi"
		)

		self.assertEqual((result["user"], result["created"]), (email, True))
		self.assertEqual(partner_of(email), self.partner)

	def test_without_the_apps_rules_a_channel_manager_cannot_invite(self):
		self.without_the_apps_rules()
		with self.assertRaises(frappe.PermissionError):
			self.as_channel_manager(
				api.invite_partner_user,
				self.partner,
				email=f"dewi-{frappe.generate_hash(length=8)}@mitra.co.id",
				first_name="Dewi",
			)

	def test_a_channel_manager_alone_approves_rejects_and_returns(self):
		approved, rejected, returned = (self.register() for _ in range(3))

		result = self.as_channel_manager(
			api.approve_deal_registration, approved.name, self.sales_person, "First to register"
		)
		self.as_channel_manager(api.reject_deal_registration, rejected.name, "Not a fit")
		self.as_channel_manager(api.return_deal_registration, returned.name, "The tax id is missing")

		self.assertEqual(result["status"], "Approved")
		opportunity = frappe.db.get_value(
			"Opportunity",
			result["opportunity"],
			["sales_partner", "sales_person", "party_name"],
			as_dict=True,
		)
		self.assertEqual(
			(opportunity.sales_partner, opportunity.sales_person, opportunity.party_name),
			(self.partner, self.sales_person, result["lead"]),
		)
		self.assertEqual(frappe.db.get_value(DOCTYPE, rejected.name, "status"), "Rejected")
		self.assertEqual(frappe.db.get_value(DOCTYPE, returned.name, "status"), "Returned")

	def test_a_channel_manager_alone_approves_onto_an_existing_lead(self):
		"""The Lead someone else made, with its Address and Contact: the conversion links them to the new
		Opportunity (write on Address and Contact)."""
		values = prospect()
		lead = make_lead(email_id=values["contact_email"], company_name=values["prospect_name"])
		registration = self.register(**values)

		result = self.as_channel_manager(
			api.approve_deal_registration, registration.name, self.sales_person, "First to register"
		)

		self.assertEqual(result["lead"], lead)
		self.assertEqual(
			set(linked_parenttypes("Opportunity", result["opportunity"])),
			{"Address", "Contact"},
		)

	def test_without_the_apps_rules_a_channel_manager_cannot_approve(self):
		registration = self.register()
		self.without_the_apps_rules()
		with self.assertRaises(frappe.PermissionError):
			self.as_channel_manager(
				api.approve_deal_registration, registration.name, self.sales_person, "First to register"
			)
		self.assertEqual(frappe.db.get_value(DOCTYPE, registration.name, "status"), "Submitted")
		self.assertFalse(frappe.db.get_value(DOCTYPE, registration.name, "opportunity"))

	def test_a_channel_manager_alone_follows_the_channel(self):
		registration = self.register()
		result = self.as_channel_manager(
			api.approve_deal_registration, registration.name, self.sales_person, "First to register"
		)

		def lists():
			return {
				doctype: frappe.get_list(doctype, filters={"name": name}, pluck="name")
				for doctype, name in (
					("Sales Partner", self.partner),
					("Lead", result["lead"]),
					("Opportunity", result["opportunity"]),
					(DOCTYPE, registration.name),
				)
			}

		expected = {
			"Sales Partner": [self.partner],
			"Lead": [result["lead"]],
			"Opportunity": [result["opportunity"]],
			DOCTYPE: [registration.name],
		}
		self.assertEqual(self.as_channel_manager(lists), expected)

		self.without_the_apps_rules()
		for doctype in ("Sales Partner", "Lead", "Opportunity"):
			with self.assertRaises(frappe.PermissionError, msg=doctype):
				self.as_channel_manager(frappe.get_list, doctype, filters={"name": expected[doctype][0]})

	def test_the_form_may_read_the_workflows_confirmation_setting(self):
		"""What Frappe v16's Workflow actions read before they run (`frappe.client.get_value`)."""
		for user in (self.channel_manager, self.sales_manager):
			value = self.as_user(user, get_value, "Workflow", "name", {"document_type": DOCTYPE})
			self.assertEqual(value, {"name": "Deal Registration"}, user)

		self.without_the_apps_rules()
		for user in (self.channel_manager, self.sales_manager):
			with self.assertRaises(frappe.PermissionError, msg=user):
				self.as_user(user, get_value, "Workflow", "name", {"document_type": DOCTYPE})
