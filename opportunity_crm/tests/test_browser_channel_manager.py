"""A channel team of one, in a real browser (headless Chromium driven by Playwright, against the site served
by gunicorn): a user whose only role is Channel Manager invites a partner's person from the Sales Partner
form, is asked to confirm before inviting a Customer's portal user, and approves a registration with the
form's own Workflow action (Actions ▸ Approve), which on Frappe v16 first reads the Workflow.

Screenshots go to test-artifacts/browser/ in the app folder (channel-manager-*.png).
"""

from urllib.parse import quote

import frappe
from frappe.model.workflow import apply_workflow
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from opportunity_crm.channel.partner_users import partner_of
from opportunity_crm.constants import roles
from opportunity_crm.setup import role_permissions, workflow
from opportunity_crm.tests.browser import close_browser, log_in, open_browser, screenshot
from opportunity_crm.tests.factories import make_customer, make_sales_partner, make_sales_person, make_user
from opportunity_crm.tests.test_browser_deal_registration import delete_registration_and_deal
from opportunity_crm.tests.test_deal_registration import make_partner_user, outgoing_email_account, prospect
from opportunity_crm.tests.test_partner_invites import make_customer_portal_user

DOCTYPE = "Deal Registration"


def partners(user: str) -> list[str]:
	"""The Sales Partners of the user's User Permissions, read from the database (the test process's role
	cache does not see what the server changed)."""
	return frappe.get_all("User Permission", {"user": user, "allow": "Sales Partner"}, pluck="for_value")


class TestBrowserChannelManager(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		workflow.ensure()
		role_permissions.grant()
		outgoing_email_account()
		cls.password = frappe.generate_hash(length=16)
		cls.manager = make_user(roles.CHANNEL_MANAGER)
		update_password(cls.manager, cls.password)
		cls.sales_person = make_sales_person()
		cls.partner = make_sales_partner("Company")
		cls.customer = make_customer()
		cls.customer_user, _contact = make_customer_portal_user(cls.customer)
		frappe.set_user(make_partner_user(cls.partner))
		doc = frappe.get_doc({"doctype": DOCTYPE, **prospect()}).insert()
		apply_workflow(doc, "Submit")
		frappe.set_user("Administrator")
		cls.registration = doc.name
		cls.invited = f"undangan-{frappe.generate_hash(length=8)}@example.com"
		frappe.db.commit()

		open_browser(cls, width=1400, height=1000)

	@classmethod
	def tearDownClass(cls):
		close_browser(cls)
		frappe.set_user("Administrator")
		frappe.db.rollback()
		delete_registration_and_deal(cls.registration)
		for user in (cls.invited, cls.customer_user, cls.manager):
			frappe.db.delete("User Permission", {"user": user})
			contacts = set(frappe.get_all("Contact", {"user": user}, pluck="name")) | set(
				frappe.get_all("Contact Email", {"email_id": user}, pluck="parent")
			)
			for contact in contacts:
				frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
			if frappe.db.exists("User", user):
				frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def shot(self, name: str) -> None:
		screenshot(self.page, f"channel-manager-{name}")

	def wait_for_form(self, name: str) -> None:
		self.page.wait_for_function(
			f"() => window.cur_frm && cur_frm.doc.name == {frappe.as_json(name)}"
			" && !document.querySelector('.freeze')"
		)

	def open_invite_dialog(self, email: str, first_name: str) -> None:
		page = self.page
		page.locator('.page-actions button:has-text("Invite Partner User")').click()
		page.wait_for_function(
			"() => window.cur_dialog && cur_dialog.display && cur_dialog.fields_dict.email"
		)
		page.evaluate(
			f"() => cur_dialog.set_value('email', {frappe.as_json(email)})"
			f".then(() => cur_dialog.set_value('first_name', {frappe.as_json(first_name)}))"
		)
		page.wait_for_timeout(300)

	def test_a_channel_manager_alone_invites_and_approves(self):
		page = self.page
		log_in(page, self.server, self.manager, self.password)
		self.assertEqual(page.evaluate("() => frappe.user_roles.includes('Sales Manager')"), False)

		# Sales Partner ▸ Invite Partner User: a new person
		page.goto(self.server.url(f"/app/sales-partner/{quote(self.partner)}"))
		self.wait_for_form(self.partner)
		self.open_invite_dialog(self.invited, "Dewi")
		self.shot("01-invite")
		page.locator(".modal.show .btn-primary:visible").click()
		page.wait_for_function("() => !window.cur_dialog || !cur_dialog.display")
		frappe.db.rollback()  # a fresh snapshot: the server committed the invitation
		self.assertEqual(partner_of(self.invited), self.partner)

		# a Customer's portal user: the dialog says who it is and asks; confirmed, the user is invited
		self.wait_for_form(self.partner)
		self.open_invite_dialog(self.customer_user, "Budi")
		page.locator(".modal.show .btn-primary:visible").click()
		confirm = page.locator('.modal.show:has-text("Invite this user anyway?")')
		confirm.wait_for()
		self.assertIn(self.customer, confirm.inner_text())
		self.shot("02-confirm-customer-user")
		frappe.db.rollback()
		self.assertEqual(partners(self.customer_user), [])
		confirm.locator(".btn-primary").click()
		page.wait_for_function("() => !document.querySelector('.modal.show')")
		self.shot("03-invited-customer-user")
		frappe.db.rollback()
		self.assertEqual(partners(self.customer_user), [self.partner])
		self.assertTrue(frappe.db.exists("Has Role", {"parent": self.customer_user, "role": "Partner User"}))

		# the registration: Actions ▸ Approve, the Sales Person and the reason, the deal is made
		page.goto(self.server.url(f"/app/deal-registration/{self.registration}"))
		self.wait_for_form(self.registration)
		page.locator(".actions-btn-group > button:visible").click()
		page.locator('.actions-btn-group .dropdown-item:has-text("Approve")').click()
		page.wait_for_function("() => window.cur_dialog && cur_dialog.fields_dict.sales_person")
		page.evaluate(f"() => cur_dialog.set_value('sales_person', {frappe.as_json(self.sales_person)})")
		page.locator('.modal:visible textarea[data-fieldname="reason"]').fill("First to register")
		page.wait_for_timeout(300)
		self.shot("04-approve")
		page.locator(".modal:visible .btn-modal-primary").click()
		page.wait_for_function(
			"() => window.cur_frm && cur_frm.doc.status == 'Approved' && cur_frm.doc.opportunity"
		)
		page.wait_for_timeout(500)
		self.shot("05-approved")

		frappe.db.rollback()
		doc = frappe.get_doc(DOCTYPE, self.registration)
		self.assertEqual((doc.status, doc.sales_person), ("Approved", self.sales_person))
		self.assertEqual(
			frappe.db.get_value("Opportunity", doc.opportunity, ["sales_partner", "sales_person"]),
			(self.partner, self.sales_person),
		)
