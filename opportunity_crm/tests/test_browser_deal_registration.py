"""A channel manager decides a Deal Registration in a real browser (headless Chromium driven by Playwright,
against the site served by gunicorn, as in test_browser_walk): the workspace's Channel section renders its
shortcuts with their counts, the shortcut opens the registrations waiting for a decision, the form shows the
matches side by side, and Actions ▸ Approve asks for the Sales Person and the reason, then creates the deal.

Screenshots go to test-artifacts/browser/ in the app folder (deal-registration-*.png).
"""

import frappe
from frappe.model.workflow import apply_workflow
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from opportunity_crm.setup import workflow
from opportunity_crm.tests.browser import close_browser, close_suggestions, log_in, open_browser, screenshot
from opportunity_crm.tests.factories import make_sales_partner, make_sales_person, make_user
from opportunity_crm.tests.test_deal_registration import make_partner_user, outgoing_email_account, prospect

DOCTYPE = "Deal Registration"


def delete_registration_and_deal(name: str) -> None:
	"""A committed registration and the deal its approval made: the Opportunity, the Lead and the Lead's
	Addresses and Contacts (browser tests commit; nothing protected may stay behind)."""
	lead, opportunity = frappe.db.get_value(DOCTYPE, name, ["lead", "opportunity"]) or (None, None)
	frappe.delete_doc(DOCTYPE, name, force=True, ignore_permissions=True)
	if opportunity:
		frappe.delete_doc("Opportunity", opportunity, force=True, ignore_permissions=True)
	if lead:
		for doctype in ("Address", "Contact"):
			for parent in frappe.get_all(
				"Dynamic Link",
				{"parenttype": doctype, "link_doctype": "Lead", "link_name": lead},
				pluck="parent",
			):
				frappe.delete_doc(doctype, parent, force=True, ignore_permissions=True)
		frappe.delete_doc("Lead", lead, force=True, ignore_permissions=True)


class TestBrowserDealRegistration(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		workflow.ensure()
		outgoing_email_account()
		cls.password = frappe.generate_hash(length=16)
		cls.manager = make_user("Channel Manager", "Sales Manager", "Sales User")
		update_password(cls.manager, cls.password)
		cls.sales_person = make_sales_person()
		partners = [make_sales_partner("Company") for _ in range(2)]
		values = prospect()
		cls.registrations = []
		# two partners register the same prospect: the second one's form shows the first as a match
		for partner in partners:
			frappe.set_user(make_partner_user(partner))
			doc = frappe.get_doc({"doctype": DOCTYPE, **values}).insert()
			apply_workflow(doc, "Submit")
			frappe.set_user("Administrator")
			cls.registrations.append(doc.name)
		frappe.db.commit()

		open_browser(cls, width=1600, height=1000)

	@classmethod
	def tearDownClass(cls):
		close_browser(cls)
		frappe.set_user("Administrator")
		frappe.db.rollback()
		# committed records: the deal and the registrations, so that no protected prospect stays behind
		for name in cls.registrations:
			delete_registration_and_deal(name)
		frappe.db.commit()
		super().tearDownClass()

	def shot(self, name: str) -> None:
		screenshot(self.page, f"deal-registration-{name}")

	def test_a_channel_manager_finds_the_registration_in_the_workspace_and_approves_it(self):
		page = self.page
		first, second = self.registrations
		log_in(page, self.server, self.manager, self.password)

		# the workspace's Channel section: its shortcuts render, with the count of those waiting
		page.goto(self.server.url("/app/opportunity-crm"))
		page.locator('.ce-header:has-text("Channel")').wait_for()
		waiting = page.locator('.widget.shortcut-widget-box:has-text("Registrations to Decide")')
		waiting.wait_for()
		page.locator('.widget.shortcut-widget-box:has-text("Registration Conflicts")').wait_for()
		page.locator('.widget.shortcut-widget-box:has-text("Deal Registration")').first.wait_for()
		waiting.locator('.indicator-pill:has-text("Waiting")').wait_for()
		page.wait_for_timeout(500)
		self.shot("01-workspace")

		# the shortcut opens the registrations waiting for a decision
		waiting.click()
		page.wait_for_function(
			"() => window.cur_list && cur_list.doctype == 'Deal Registration'"
			" && (cur_list.filter_area?.get() || []).some(f => f[1] == 'status' && f[3] == 'Submitted')"
		)
		page.locator(f'.list-row a[data-name="{second}"]').wait_for()
		self.shot("02-list")

		# the second registration's form: the first as a match, side by side
		page.goto(self.server.url(f"/app/deal-registration/{second}"))
		page.wait_for_function(
			f"() => window.cur_frm && cur_frm.doc.name == {frappe.as_json(second)} && !document.querySelector('.freeze')"
		)
		page.evaluate("() => cur_frm.scroll_to_field('matches')")
		page.locator('.frappe-control[data-fieldname="matches"] .grid-body .grid-row').first.wait_for()
		self.assertTrue(
			page.evaluate(f"() => cur_frm.doc.matches.some(row => row.match_name == {frappe.as_json(first)})")
		)
		page.wait_for_timeout(500)
		self.shot("03-matches")

		# Actions ▸ Approve on the first: a dialog asks for the Sales Person and the reason
		page.goto(self.server.url(f"/app/deal-registration/{first}"))
		page.wait_for_function(
			f"() => window.cur_frm && cur_frm.doc.name == {frappe.as_json(first)} && !document.querySelector('.freeze')"
		)
		page.locator(".actions-btn-group > button:visible").click()
		page.locator('.actions-btn-group .dropdown-item:has-text("Approve")').click()
		page.wait_for_function("() => window.cur_dialog && cur_dialog.fields_dict.sales_person")
		page.evaluate(f"() => cur_dialog.set_value('sales_person', {frappe.as_json(self.sales_person)})")
		page.locator('.modal:visible textarea[data-fieldname="reason"]').fill("Strong fit, first to register")
		close_suggestions(page)
		page.wait_for_timeout(500)
		self.shot("04-approve-dialog")
		page.locator(".modal:visible .btn-modal-primary").click()
		page.wait_for_function(
			"() => window.cur_frm && cur_frm.doc.status == 'Approved' && cur_frm.doc.opportunity"
		)
		page.wait_for_timeout(800)
		self.shot("05-approved")

		frappe.db.rollback()  # a fresh snapshot: the server committed the approval
		doc = frappe.get_doc(DOCTYPE, first)
		self.assertEqual((doc.status, doc.sales_person), ("Approved", self.sales_person))
		self.assertEqual(doc.decision_reason, "Strong fit, first to register")
		self.assertEqual(
			frappe.db.get_value("Opportunity", doc.opportunity, "sales_person"), self.sales_person
		)
