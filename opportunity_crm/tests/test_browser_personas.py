"""Every persona's first day, in a real browser (headless Chromium, Playwright) over the demo: the Sales
Manager, the restricted salesperson, the Channel Manager alone, and the partner user in English and in
Indonesian open their default views. Each view renders numbers, no permission error is shown and no
request is refused, and nothing of another salesperson's or partner's is on the page. Screenshots:
docs/screenshots/persona-*.png (small, 1440 px wide, the list's width the columns are chosen for).

The demo is this walk's fixture: `demo.load` makes it once per site and marks it (as dev/up does; a
second run reuses it), and `make_personas` makes the persona users, whose password this test sets. The
demo stays (other modules make their own, uniquely named, records); the personas' passwords are changed
back to random ones at the end.
"""

import os
import unittest
from urllib.parse import quote

import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import demo, demo_personas
from opportunity_crm.tests.browser import close_browser, log_in, new_page, open_browser

SCREENSHOTS = os.path.join(os.path.dirname(frappe.get_app_path("opportunity_crm")), "docs", "screenshots")
WIDTH = 1440
OTHER_PARTNER_USER = "eko@mitra-sejahtera-pangan.example.com"


class TestBrowserPersonas(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		if int(frappe.__version__.split(".")[0]) >= 16:
			# The walk reads v15's desk: v16's new desk (routes under /desk, no #navbar-breadcrumbs) and its
			# portal log-in, which aborts the first navigation to /partner, need their own selectors and
			# waits. What the walk checks on v16 is covered there by the permission, portal and report tests.
			raise unittest.SkipTest("the persona walk reads Frappe v15's desk; v16's is not walked yet")
		super().setUpClass()
		demo.load()
		cls.password = frappe.generate_hash(length=16)
		cls.users = {
			row["persona"].split(" (")[0]: row["email"] for row in demo_personas.make_personas(cls.password)
		}
		frappe.db.commit()
		os.makedirs(SCREENSHOTS, exist_ok=True)
		open_browser(cls, width=WIDTH)

	@classmethod
	def tearDownClass(cls):
		close_browser(cls)
		demo_personas.make_personas()  # new random passwords: the test's one is gone with it
		frappe.db.set_value("User", demo_personas.PARTNER_USER, "language", "en")
		frappe.db.commit()
		super().tearDownClass()

	# helpers ------------------------------------------------------------------------------------------

	def start(self, user: str, portal: bool = False):
		"""A new browser context logged in as `user`; every refused request (4xx/5xx) is collected."""
		page = new_page(self.browser, self.server, WIDTH, 900)
		self.refused = []
		page.on(
			"response",
			lambda r: (
				r.status >= 400 and "socket.io" not in r.url and self.refused.append(f"{r.status} {r.url}")
			),
		)
		if portal:
			page.goto(self.server.url("/login?redirect-to=/partner"))
			page.fill("#login_email", user)
			page.fill("#login_password", self.password)
			page.click(".btn-login")
			page.wait_for_url("**/partner")
		else:
			log_in(page, self.server, user, self.password)
		self.addCleanup(page.context.close)
		return page

	def go(self, page, path: str) -> None:
		self.refused = []
		page.goto(self.server.url(path))

	def no_error(self, page, view: str) -> None:
		page.wait_for_timeout(300)
		dialogs = page.evaluate(
			"() => [...document.querySelectorAll('.modal.show .msgprint, .modal.show .modal-body')]"
			".map(e => e.innerText.trim()).filter(Boolean)"
		)
		self.assertEqual(dialogs, [], f"{view}: a dialog says {dialogs}")
		self.assertEqual(self.refused, [], f"{view}: refused requests")

	def shot(self, page, name: str) -> None:
		"""A screenshot in docs/screenshots/, in 64 colours (a third of the size, as legible)."""
		from PIL import Image

		path = os.path.join(SCREENSHOTS, f"persona-{name}.png")
		page.screenshot(path=path)
		Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)

	def workspace(self, page) -> dict:
		"""The workspace's number cards and shortcut counts, as shown, once every one has loaded."""
		self.go(page, "/app/opportunity-crm")
		page.wait_for_selector(".number-widget-box .widget-content .number")
		page.wait_for_function(
			"() => [...document.querySelectorAll('.number-widget-box .number')].every(e => e.innerText.trim())"
			" && ![...document.querySelectorAll('.shortcut-widget-box')].some(e => e.innerText.includes('...'))"
		)
		page.wait_for_timeout(1500)  # the shortcuts' counts come one request each
		return page.evaluate(
			"() => Object.fromEntries([...document.querySelectorAll('.shortcut-widget-box, .number-widget-box')]"
			".map(e => [e.querySelector('.widget-title')?.textContent.trim(), e.innerText.trim()]))"
		)

	def list_view(self, page, doctype: str, query: str = "") -> list[dict]:
		"""The rows the list shows (its first page)."""
		self.go(page, f"/app/{slug(doctype)}{query}")
		page.wait_for_function(
			f"() => window.cur_list && cur_list.doctype == {frappe.as_json(doctype)} && cur_list.data"
			" && (cur_list.data.length > 0 || cur_list.$no_result?.is(':visible'))"
		)
		page.wait_for_timeout(400)
		return page.evaluate("() => cur_list.data")

	def report(self, page, name: str) -> int:
		"""Open a query report; returns its number of rows once drawn."""
		self.go(page, f"/app/query-report/{quote(name)}")
		page.wait_for_function(
			f"() => window.frappe?.query_report?.report_name == {frappe.as_json(name)}"
			" && frappe.query_report.data && !frappe.query_report.loading"
		)
		page.wait_for_selector(".dt-row:visible, .no-result:visible")
		page.wait_for_timeout(1500)  # the chart
		return page.evaluate("() => frappe.query_report.data.length")

	def breadcrumb(self, page) -> str:
		return page.evaluate("() => document.querySelector('#navbar-breadcrumbs')?.innerText.trim()")

	# the personas -------------------------------------------------------------------------------------

	def test_sales_manager(self):
		page = self.start(self.users["Sales Manager"])
		cards = self.workspace(page)
		self.no_error(page, "workspace")
		self.assertRegex(cards["Open Pipeline (Weighted)"], r"\d")
		self.shot(page, "sales-manager-workspace")

		rows = self.list_view(page, "Opportunity")
		self.no_error(page, "Opportunity list")
		self.assertTrue(rows)
		columns = page.evaluate("() => cur_list.columns.map(c => c.df && c.df.fieldname).filter(Boolean)")
		for field in ("sales_partner", "sales_person", "weighted_amount"):
			self.assertIn(field, columns)
		self.shot(page, "sales-manager-opportunities")

		for name in ("Opportunity Pipeline", "Opportunity Forecast", "Pipeline Movement"):
			self.assertGreater(self.report(page, name), 0, name)
			self.no_error(page, name)
			self.assertIn("Opportunity CRM", self.breadcrumb(page))
		self.shot(page, "sales-manager-movement")
		self.report(page, "Opportunity Data Health")
		self.no_error(page, "Opportunity Data Health")
		self.assertIn("Opportunity CRM", self.breadcrumb(page))
		self.shot(page, "sales-manager-data-health")

		# a partner's deal: the partner's two text areas wait in a collapsed section of their own
		deal = frappe.db.get_value("Opportunity", {"sales_partner": demo_personas.PARTNER}, "name")
		self.go(page, f"/app/opportunity/{quote(deal)}")
		page.wait_for_function(f"() => window.cur_frm?.doc?.name == {frappe.as_json(deal)}")
		page.wait_for_selector('.section-head.collapsed:has-text("From the Sales Partner")')
		self.assertFalse(page.locator('.frappe-control[data-fieldname="partner_notes"]').is_visible())
		self.no_error(page, "Opportunity form")
		self.shot(page, "sales-manager-opportunity")

		self.go(page, f"/app/sales-partner/{quote(demo_personas.PARTNER)}")
		page.wait_for_selector('.page-actions button:has-text("Invite Partner User")')
		self.no_error(page, "Sales Partner")

	def test_restricted_salesperson(self):
		user = self.users["Salesperson"]
		page = self.start(user)
		cards = self.workspace(page)
		self.no_error(page, "workspace")
		self.assertRegex(cards["Open Pipeline (Weighted)"], r"\d")
		page.wait_for_selector(".ocrm-row-level-note:visible")
		self.shot(page, "salesperson-workspace")

		frappe.set_user(user)
		try:
			mine = set(frappe.get_list("Opportunity", pluck="name"))
			customers = set(frappe.get_list("Customer", pluck="name"))
		finally:
			frappe.set_user("Administrator")
		everyone = set(frappe.get_all("Opportunity", pluck="name"))
		self.assertTrue(mine)
		self.assertLess(len(mine), len(everyone))

		rows = self.list_view(page, "Opportunity")
		self.no_error(page, "Opportunity list")
		self.assertTrue(rows)
		self.assertLessEqual({row.name for row in map(frappe._dict, rows)}, mine)
		page.wait_for_selector(".ocrm-row-level-note:visible")
		self.shot(page, "salesperson-opportunities")

		# what belongs to his Opportunities, and nothing else
		for doctype in ("Quotation", "Sales Order"):
			rows = self.list_view(page, doctype)
			self.no_error(page, f"{doctype} list")
			for row in rows:
				self.assertIn(frappe.db.get_value(doctype, row["name"], "opportunity"), mine, doctype)
		rows = self.list_view(page, "Customer")
		self.no_error(page, "Customer list")
		self.assertLessEqual({row["name"] for row in rows}, customers)
		for row in rows:
			self.assertIn(frappe.db.get_value("Opportunity", {"customer": row["name"]}), mine)

		self.assertGreater(self.report(page, "Opportunity Pipeline"), 0)
		self.no_error(page, "Opportunity Pipeline")
		self.shot(page, "salesperson-pipeline")
		for name in ("Opportunity Forecast", "Pipeline Movement"):
			self.assertGreater(self.report(page, name), 0, name)
			self.no_error(page, name)

	def test_channel_manager_alone(self):
		page = self.start(self.users["Channel Manager"])
		cards = self.workspace(page)
		self.no_error(page, "workspace")
		self.assertRegex(cards["Registrations to Decide"], r"\d")
		self.shot(page, "channel-manager-workspace")

		rows = self.list_view(page, "Deal Registration")
		self.no_error(page, "Deal Registration list")
		self.assertTrue(rows)
		self.shot(page, "channel-manager-registrations")
		for doctype in ("Opportunity", "Lead", "Sales Partner"):
			self.assertTrue(self.list_view(page, doctype), doctype)
			self.no_error(page, f"{doctype} list")

		self.go(page, f"/app/sales-partner/{quote(demo_personas.PARTNER)}")
		page.wait_for_selector('.page-actions button:has-text("Invite Partner User")')
		self.no_error(page, "Sales Partner")

	def partner_walk(self, language: str) -> str:
		frappe.db.set_value("User", demo_personas.PARTNER_USER, "language", language)
		frappe.db.commit()
		frappe.clear_cache(user=demo_personas.PARTNER_USER)
		page = self.start(demo_personas.PARTNER_USER, portal=True)
		others = set(frappe.get_all("Sales Partner", pluck="name")) - {demo_personas.PARTNER}
		other_deals = set(
			frappe.get_all("Opportunity", filters={"sales_partner": ("in", list(others))}, pluck="name")
		)
		text = ""
		for path in ("/partner", "/partner/registrations", "/partner/opportunities", "/partner/orders"):
			self.go(page, path)
			page.wait_for_selector(".partner-portal-nav, table")
			self.assertEqual(self.refused, [], path)
			body = page.inner_text("body")
			for name in others | other_deals:
				self.assertNotIn(name, body, f"{path} shows {name}")
			self.assertNotIn(OTHER_PARTNER_USER, body)
			text += body
			if path == "/partner" or language == "en":
				self.shot(page, f"partner-{language}-{path.strip('/').replace('/', '-') or 'overview'}")
		self.go(page, "/partner")
		self.assertRegex(page.inner_text(".partner-commission"), r"\d+(\.\d+)? %")
		# the wish list starts with a real choice
		self.go(page, "/partner/registrations")
		self.assertTrue(page.eval_on_selector("#item_code", "e => e.value"))
		return text

	def test_partner_user_in_english(self):
		self.partner_walk("en")

	def test_partner_user_in_indonesian(self):
		text = self.partner_walk("id")
		for stock_word in ("Rumah", "Laporan berkala"):
			self.assertNotIn(stock_word, text)


def slug(doctype: str) -> str:
	return doctype.lower().replace(" ", "-")
