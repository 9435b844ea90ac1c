"""A desk user's walk through the pipeline in a real browser: headless Chromium (Debian's) driven by
Playwright, against the site served by gunicorn on loopback with its built assets.

Lead ▸ Create ▸ Opportunity → an Address and a Contact added on the Opportunity form → Create ▸
Customer → a Quotation and a Sales Order → the Opportunity's Connections → the Opportunity Pipeline
report → the UI in Indonesian. Screenshots go to test-artifacts/browser/ in the app folder.
"""

from urllib.parse import quote

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, nowdate
from frappe.utils.password import update_password

from opportunity_crm.tests.browser import close_browser, log_in, open_browser, screenshot
from opportunity_crm.tests.factories import make_item, make_lead, make_sales_person, make_user


class TestBrowserWalk(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.password = frappe.generate_hash(length=16)
		cls.user = make_user("System Manager", "Sales Manager", "Sales User", "Accounts User", "Stock User")
		update_password(cls.user, cls.password)
		cls.lead = make_lead(addresses=0, contacts=0)
		cls.item = make_item()
		cls.successor = make_sales_person()
		frappe.db.commit()

		open_browser(cls)

	@classmethod
	def tearDownClass(cls):
		close_browser(cls)
		frappe.db.set_value("User", cls.user, "language", None)
		frappe.db.commit()
		super().tearDownClass()

	# helpers ------------------------------------------------------------------------------------------

	def shot(self, name: str) -> None:
		screenshot(self.page, name)

	def go(self, path: str) -> None:
		self.page.goto(self.server.url(path))

	def wait_for_form(self, doctype: str, new: bool | None = None) -> None:
		state = "" if new is None else ("&& cur_frm.is_new()" if new else "&& !cur_frm.is_new()")
		self.page.wait_for_function(
			f"() => window.cur_frm && cur_frm.doctype == {frappe.as_json(doctype)} {state}"
			" && !document.querySelector('.freeze')"
		)
		self.page.wait_for_timeout(500)

	def open_form(self, doctype: str, name: str) -> None:
		self.go(f"/app/{frappe.scrub(doctype).replace('_', '-')}/{quote(name)}")
		self.wait_for_form(doctype, new=False)

	def doc(self, field: str):
		return self.page.evaluate(f"() => cur_frm.doc.{field}")

	def save(self, doctype: str) -> str:
		self.page.keyboard.press("Control+s")
		self.page.wait_for_function(
			f"() => cur_frm && cur_frm.doctype == {frappe.as_json(doctype)} && !cur_frm.is_new() && !cur_frm.is_dirty()"
		)
		self.page.wait_for_timeout(500)
		return self.doc("name")

	def create(self, label: str) -> None:
		"""Form ▸ Create ▸ `label`."""
		self.page.locator('.inner-group-button[data-label="Create"]:visible > button').click()
		self.page.locator(
			f'.inner-group-button[data-label="Create"]:visible .dropdown-item[data-label="{quote(label)}"]'
		).click()

	def create_menu_has(self, label: str) -> bool:
		return (
			self.page.locator(
				f'.inner-group-button[data-label="Create"]:visible .dropdown-item[data-label="{quote(label)}"]'
			).count()
			> 0
		)

	def fill(self, doctype: str, field: str, value: str) -> None:
		self.page.locator(f'input[data-doctype="{doctype}"][data-fieldname="{field}"]:visible').fill(value)

	def set_value(self, field: str, value) -> None:
		self.page.evaluate(f"() => cur_frm.set_value({frappe.as_json(field)}, {frappe.as_json(value)})")
		self.page.wait_for_timeout(300)

	# the walk -----------------------------------------------------------------------------------------

	def test_a_desk_user_walks_the_pipeline(self):
		page = self.page

		log_in(page, self.server, self.user, self.password)

		# open a Lead, Create ▸ Opportunity (ERPNext asks about a Prospect and a Contact first)
		self.open_form("Lead", self.lead)
		self.shot("01-lead")
		self.create("Opportunity")
		page.locator(".modal.show .btn-primary").click()
		self.wait_for_form("Opportunity", new=True)
		opportunity = self.save("Opportunity")
		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "lead"), self.lead)

		# the probability follows the Sales Stage; the weighted amount follows both
		self.set_value("sales_stage", "Proposal/Price Quote")
		page.wait_for_function("() => cur_frm.doc.probability == 70")
		self.set_value("opportunity_amount", 7_500_000)
		self.save("Opportunity")
		self.assertEqual(self.doc("weighted_amount"), 5_250_000)

		# without an Address and a Contact, Create ▸ Customer says why instead of opening a form
		page.reload()
		self.wait_for_form("Opportunity", new=False)
		self.create("Customer")
		page.wait_for_selector(".modal.show >> text=needs at least one linked Address and one linked Contact")
		self.shot("02a-create-customer-refused")
		page.locator(".modal.show .btn-modal-close:visible").first.click()
		page.wait_for_timeout(500)
		self.assertEqual(self.doc("doctype"), "Opportunity")

		# add an Address and a Contact on the Opportunity form: they are linked to it and listed on it
		page.locator('.form-tabs .nav-link:visible:has-text("Contacts")').click()
		page.locator(".btn-address:visible").first.click()
		self.wait_for_form("Address", new=True)
		self.fill("Address", "address_line1", "Jl. Jenderal Sudirman Kav. 52")
		self.fill("Address", "city", "Jakarta Selatan")
		self.save("Address")
		self.wait_for_form("Opportunity", new=False)
		page.locator('.form-tabs .nav-link:visible:has-text("Contacts")').click()
		page.locator(".btn-contact:visible").first.click()
		self.wait_for_form("Contact", new=True)
		self.fill("Contact", "first_name", "Siti Rahayu")
		self.save("Contact")
		self.wait_for_form("Opportunity", new=False)
		page.locator('.form-tabs .nav-link:visible:has-text("Contacts")').click()
		page.wait_for_selector(".address-box:visible >> text=Jl. Jenderal Sudirman Kav. 52")
		# Frappe v15's contact list draws each Contact in an .address-box, v16's in a .contact-box
		page.wait_for_selector(":is(.address-box, .contact-box):visible >> text=Siti Rahayu")
		self.shot("02-opportunity-addresses-and-contacts")

		# a wish list item, so that a Quotation has something to quote
		frappe.db.rollback()
		doc = frappe.get_doc("Opportunity", opportunity)
		doc.append("items", {"item_code": self.item, "qty": 3, "rate": 2_500_000})
		doc.save()
		frappe.db.commit()

		# Create ▸ Customer
		page.reload()
		self.wait_for_form("Opportunity", new=False)
		self.create("Customer")
		self.wait_for_form("Customer", new=True)
		customer = self.save("Customer")
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "customer"), customer)
		self.shot("03-customer")

		# once converted, the forms stop offering a second conversion
		self.open_form("Opportunity", opportunity)
		self.assertFalse(self.create_menu_has("Customer"))
		self.open_form("Lead", self.lead)
		self.assertFalse(self.create_menu_has("Opportunity"))
		page.locator(f'.page-actions button:visible:has-text("{opportunity}")').click()
		self.wait_for_form("Opportunity", new=False)
		self.assertEqual(self.doc("name"), opportunity)

		# Create ▸ Quotation, save and submit
		self.create("Quotation")
		self.wait_for_form("Quotation", new=True)
		quotation = self.save("Quotation")
		page.keyboard.press("Control+s")
		page.locator(".modal.show .btn-primary:visible").click()
		page.wait_for_function("() => cur_frm.doc.docstatus == 1")
		page.wait_for_timeout(800)

		# Quotation ▸ Create ▸ Sales Order
		self.create("Sales Order")
		self.wait_for_form("Sales Order", new=True)
		self.set_value("delivery_date", add_days(nowdate(), 7))
		sales_order = self.save("Sales Order")
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Sales Order", sales_order, "opportunity"), opportunity)
		self.shot("04-sales-order")

		# the Opportunity's Connections show them all
		self.open_form("Opportunity", opportunity)
		page.locator('.form-tabs .nav-link:visible:has-text("Connections")').click()
		for doctype in ("Quotation", "Sales Order", "Customer"):
			page.wait_for_selector(f'.document-link[data-doctype="{doctype}"]:visible .count:has-text("1")')
		self.shot("05-opportunity-connections")
		self.assertTrue(quotation)

		# Opportunity list ▸ Actions ▸ Reassign Sales Person
		self.go(f"/app/opportunity?name={quote(opportunity)}")
		page.wait_for_function(
			f"() => window.cur_list?.data?.length == 1 && cur_list.data[0].name == {frappe.as_json(opportunity)}"
		)
		page.wait_for_timeout(500)
		page.locator(".list-row-container:visible .list-row-checkbox").first.check()
		page.locator(".actions-btn-group:visible > button").click()
		page.locator('.actions-btn-group:visible .dropdown-item:has-text("Reassign Sales Person")').click()
		page.wait_for_selector('.modal.show input[data-fieldname="sales_person"]')
		page.wait_for_function("() => window.cur_dialog?.fields_dict?.sales_person")
		page.evaluate(f"() => cur_dialog.set_value('sales_person', {frappe.as_json(self.successor)})")
		page.wait_for_timeout(500)
		self.shot("05a-reassign-dialog")
		page.evaluate("() => cur_dialog.get_primary_btn().click()")
		page.wait_for_selector(".modal.show >> text=Reassigned 1, skipped 0, failed 0")
		self.shot("05b-reassigned")
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "sales_person"), self.successor)
		page.locator(".modal.show .btn-modal-close:visible").first.click()

		# the Pipeline report
		self.go("/app/query-report/Opportunity Pipeline")
		page.wait_for_selector(".dt-row:visible")
		page.wait_for_timeout(3000)  # the chart animates in
		self.shot("06-pipeline-report")

		# the UI in Indonesian
		frappe.db.set_value("User", self.user, "language", "id")
		frappe.db.commit()
		frappe.clear_cache(user=self.user)
		self.go("/app/query-report/Opportunity Pipeline")
		page.wait_for_selector(".page-title:visible >> text=Pipeline Peluang")
		page.wait_for_selector(".dt-row:visible")
		page.wait_for_selector(".dt-cell__content:visible >> text=Jumlah Tertimbang")
		page.wait_for_timeout(3000)
		self.shot("07-pipeline-report-indonesian")
