"""The Opportunity Data Health report in a real browser (headless Chromium driven by Playwright, against
the site served by gunicorn, as in test_browser_walk): the workspace links it, it renders a row of
history with its resolution and its action button, and the button resolves the row.

Screenshots go to test-artifacts/browser/ in the app folder (data-health-*.png).
"""

import os
from urllib.parse import quote

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from opportunity_crm.crm.data_health import LEAD_OPPORTUNITIES
from opportunity_crm.tests.factories import convert, make_lead, make_user
from opportunity_crm.tests.live_server import LiveServer

CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 30_000
ARTIFACTS = os.path.join(os.path.dirname(frappe.get_app_path("opportunity_crm")), "test-artifacts", "browser")


class TestBrowserDataHealth(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if not os.path.exists(CHROMIUM):
			raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (the browser test needs it)")
		from playwright.sync_api import sync_playwright

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

		os.makedirs(ARTIFACTS, exist_ok=True)
		cls.server = LiveServer(workers=2, statics=True).start()
		cls.playwright = sync_playwright().start()
		cls.browser = cls.playwright.chromium.launch(
			executable_path=CHROMIUM,
			args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
		)
		cls.page = cls.browser.new_page(
			viewport={"width": 1920, "height": 900},
			extra_http_headers={"X-Frappe-Site-Name": cls.server.site},
		)
		cls.page.set_default_timeout(TIMEOUT)

	@classmethod
	def tearDownClass(cls):
		cls.browser.close()
		cls.playwright.stop()
		cls.server.stop()
		frappe.db.rollback()
		# committed records: leave no history behind for other tests
		if frappe.db.exists("Opportunity", cls.extra):
			frappe.delete_doc("Opportunity", cls.extra, force=True, ignore_permissions=True)
			frappe.db.commit()
		super().tearDownClass()

	def shot(self, name: str) -> None:
		self.page.screenshot(path=os.path.join(ARTIFACTS, f"data-health-{name}.png"))

	def test_the_report_lists_history_and_its_action_resolves_it(self):
		page = self.page
		page.goto(self.server.url("/login"))
		page.fill("#login_email", self.user)
		page.fill("#login_password", self.password)
		page.click(".btn-login")
		page.wait_for_function("() => window.frappe?.session?.user && frappe.session.user !== 'Guest'")
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
