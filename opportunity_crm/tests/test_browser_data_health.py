"""The Opportunity Data Health report in a real browser (headless Chromium driven by Playwright, against
the site served by gunicorn, as in test_browser_walk): the workspace links it, it renders a row of
history with its resolution and its action button, and the button resolves the row.

Screenshots go to test-artifacts/browser/ in the app folder (data-health-*.png).
"""

from urllib.parse import quote

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from opportunity_crm.opportunities.data_health import LEAD_OPPORTUNITIES
from opportunity_crm.tests.browser import close_browser, log_in, open_browser, screenshot
from opportunity_crm.tests.factories import convert, make_lead, make_user


class TestBrowserDataHealth(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.password = frappe.generate_hash(length=16)
		cls.user = make_user("Sales Manager", "Sales User")
		update_password(cls.user, cls.password)
		# A Lead with two Opportunities, as stock ERPNext allowed: the older one is history (`lead`
		# empty, as the install leaves all but one), the newer one is the Lead's.
		cls.lead = make_lead()
		cls.extra = convert(cls.lead)
		frappe.db.set_value("Opportunity", cls.extra, "lead", None, update_modified=False)
		cls.main = convert(cls.lead)
		frappe.db.commit()

		open_browser(cls, width=1920, height=900)

	@classmethod
	def tearDownClass(cls):
		close_browser(cls)
		frappe.db.rollback()
		# committed records: leave no history behind for other tests
		if frappe.db.exists("Opportunity", cls.extra):
			frappe.delete_doc("Opportunity", cls.extra, force=True, ignore_permissions=True)
			frappe.db.commit()
		super().tearDownClass()

	def shot(self, name: str) -> None:
		screenshot(self.page, f"data-health-{name}")

	def test_the_report_lists_history_and_its_action_resolves_it(self):
		page = self.page
		log_in(page, self.server, self.user, self.password)
		# full width (the user's toggle, kept in this browser only), so that the screenshots show every column
		page.evaluate("() => { localStorage.container_fullwidth = true; }")

		# the workspace links the report (shortcut and Reports card)
		page.goto(self.server.url("/app/opportunity-crm"))
		shortcut = page.locator('.widget.shortcut-widget-box:has-text("Opportunity Data Health")')
		shortcut.wait_for()
		page.locator('.widget.links-widget-box a:has-text("Opportunity Data Health")').wait_for()
		self.shot("01-workspace")
		shortcut.click()
		page.wait_for_selector('.page-title:visible >> text="Opportunity Data Health"')

		# the row of the history Opportunity, with its resolution and its button
		page.goto(
			self.server.url(f"/app/query-report/Opportunity Data Health?problem={quote(LEAD_OPPORTUNITIES)}")
		)
		button = page.locator(f'.ocrm-data-health-action[data-argument="{self.extra}"]')
		button.wait_for()
		self.assertEqual(button.inner_text().strip(), f"Merge into {self.main}")
		page.wait_for_selector(f'.dt-cell__content:has-text("Merge it into Opportunity {self.main}")')
		page.wait_for_timeout(1000)
		self.shot("02-report")

		# the action merges it and the report refreshes without the row
		button.click()
		page.wait_for_selector(f'.alert-message:has-text("Merged {self.extra} into {self.main}")')
		# gone from the table (with no row left, the report hides the table instead of emptying it)
		button.wait_for(state="hidden")
		page.wait_for_timeout(500)
		self.shot("03-resolved")

		frappe.db.rollback()  # a fresh snapshot: the server committed the merge
		self.assertFalse(frappe.db.exists("Opportunity", self.extra))
		self.assertEqual(frappe.db.get_value("Opportunity", self.main, "lead"), self.lead)
