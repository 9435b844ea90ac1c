"""A partner's walk through the partner portal in a real browser (headless Chromium, Playwright), with a
channel manager's approval in desk between: the partner logs in, registers a deal, registers it again and
is told why not, the manager approves it in desk, another partner's registration of the same prospect
is refused as a conflict, and the partner finds the Opportunity and the commission forecast in the
portal (then in Indonesian). Screenshots: test-artifacts/browser/partner-*.png."""

import random
from urllib.parse import quote

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, nowdate
from frappe.utils.password import update_password

from opportunity_crm.channel import partner_portal
from opportunity_crm.channel.partner_users import invite, partner_of
from opportunity_crm.tests.browser import (
	close_browser,
	close_suggestions,
	log_in,
	new_page,
	open_browser,
	screenshot,
)
from opportunity_crm.tests.factories import make_item, make_sales_partner, make_sales_person, make_user
from opportunity_crm.tests.test_partner_portal import make_partner_contact


class TestBrowserPartner(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.password = frappe.generate_hash(length=16)
		cls.partner = make_sales_partner()
		frappe.db.set_value("Sales Partner", cls.partner, "commission_rate", 10)
		contact, _email = make_partner_contact(cls.partner)
		cls.partner_user = invite(cls.partner, contact)["user"]
		update_password(cls.partner_user, cls.password)
		# Sales Master Manager: ERPNext's role that may edit Sales Partners (the invitation needs it)
		cls.manager = make_user("Channel Manager", "Sales Manager", "Sales User", "Sales Master Manager")
		update_password(cls.manager, cls.password)
		cls.sales_person = make_sales_person()
		cls.item = make_item()
		# keys of their own (tax id, domain, phone, name): no other test's record matches them
		digits = "".join(random.choice("0123456789") for _ in range(12))
		cls.tax_id = f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}.{digits[8]}-{digits[9:12]}.000"
		cls.phone = f"+62 812 {digits[:4]} {digits[4:8]}"
		cls.domain = f"nusantara{frappe.generate_hash(length=8)}.co.id"
		cls.prospect = f"PT Nusantara Digital {frappe.generate_hash(length=6)}"
		cls.other_partner = make_sales_partner()
		other_contact, _email = make_partner_contact(cls.other_partner)
		cls.other_user = invite(cls.other_partner, other_contact)["user"]
		update_password(cls.other_user, cls.password)
		frappe.db.commit()

		open_browser(cls)

	@classmethod
	def tearDownClass(cls):
		close_browser(cls)
		# free the prospect: an approved registration would protect its keys for the next 90 days
		frappe.db.set_value(
			"Deal Registration",
			{"sales_partner": ("in", (cls.partner, cls.other_partner))},
			{"status": "Expired", "protected_until": None},
		)
		frappe.db.set_value("User", cls.partner_user, "language", None)
		frappe.db.commit()
		super().tearDownClass()

	def log_in_to_portal(self, page, user: str) -> None:
		page.goto(self.server.url("/login?redirect-to=/partner"))
		page.fill("#login_email", user)
		page.fill("#login_password", self.password)
		page.click(".btn-login")
		page.wait_for_url("**/partner")
		page.wait_for_selector(".partner-commission")

	def go(self, page, path: str) -> None:
		page.goto(self.server.url(path))

	def register(self, page, prospect: str) -> None:
		self.go(page, "/partner/registrations")
		page.fill("#prospect_name", prospect)
		page.fill("#tax_id", self.tax_id)
		page.fill("#website", f"https://www.{self.domain}")
		page.fill("#contact_name", "Rina Wijaya")
		page.fill("#contact_email", f"rina@{self.domain}")
		page.fill("#contact_phone", self.phone)
		page.fill("#city", "Bandung")
		page.fill("#expected_amount", "150000000")
		page.fill("#expected_closing", add_days(nowdate(), 60))
		page.select_option("#item_code", self.item)
		page.fill("#qty", "3")
		page.fill("#notes", "Butuh 3 lisensi tahun ini")
		page.click(".btn-register-deal")

	def test_a_manager_invites_a_partner_user_from_the_sales_partner_form(self):
		partner = make_sales_partner()
		frappe.db.commit()
		email = f"undangan-{frappe.generate_hash(length=8)}@example.com"
		desk = new_page(self.browser, self.server)
		log_in(desk, self.server, self.manager, self.password)
		desk.goto(self.server.url(f"/app/sales-partner/{quote(partner)}"))
		desk.wait_for_function(
			"() => window.cur_frm && cur_frm.doc.name && !document.querySelector('.freeze')"
		)
		desk.locator('.page-actions button:has-text("Invite Partner User")').click()
		desk.wait_for_function(
			"() => window.cur_dialog && cur_dialog.display && cur_dialog.fields_dict.email"
		)
		desk.evaluate(
			f"() => cur_dialog.set_value('email', {frappe.as_json(email)})"
			".then(() => cur_dialog.set_value('first_name', 'Dewi'))"
			".then(() => cur_dialog.set_value('last_name', 'Lestari'))"
		)
		desk.wait_for_timeout(300)
		screenshot(desk, "partner-00-invite-from-desk")
		desk.locator(".modal.show .btn-primary:visible").click()
		desk.wait_for_function("() => !window.cur_dialog || !cur_dialog.display")
		desk.close()
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("User", email, "user_type"), "Website User")
		self.assertEqual(partner_of(email), partner)
		frappe.db.rollback()

	def test_a_partner_registers_a_deal_and_follows_it(self):
		page = self.page

		# the partner logs in and lands on the portal
		self.log_in_to_portal(page, self.partner_user)
		screenshot(page, "partner-01-portal")

		# registers a deal
		self.register(page, self.prospect)
		page.wait_for_selector(".register-success:visible")
		screenshot(page, "partner-02-registered")
		frappe.db.rollback()  # a fresh snapshot: the server committed the registration
		registration = frappe.db.get_value(
			"Deal Registration", {"sales_partner": self.partner, "prospect_name": self.prospect}, "name"
		)
		self.assertTrue(registration)
		page.wait_for_selector(f'tr[data-name="{registration}"]')
		self.assertEqual(frappe.db.get_value("Deal Registration", registration, "status"), "Submitted")

		# registers it again (same NPWP): refused, with the reason
		self.register(page, self.prospect + " Tbk")
		error = page.wait_for_selector(".register-error:visible")
		self.assertIn(registration, error.text_content())
		screenshot(page, "partner-03-duplicate-refused")
		frappe.db.rollback()
		self.assertEqual(frappe.db.count("Deal Registration", {"tax_id": self.tax_id}), 1)

		# a channel manager approves it in desk, picking the Sales Person
		desk = new_page(self.browser, self.server)
		log_in(desk, self.server, self.manager, self.password)
		desk.goto(self.server.url(f"/app/deal-registration/{quote(registration)}"))
		# the desk's first page of this browser: v16 redirects /app to /desk and loads its bundles first
		# (once timed out at Playwright's default 30 s on a loaded machine)
		desk.wait_for_function(
			"() => window.cur_frm && cur_frm.doc.name && !document.querySelector('.freeze')", timeout=90_000
		)
		desk.wait_for_timeout(500)
		desk.locator(".actions-btn-group:visible > button").click()
		desk.locator('.actions-btn-group:visible .dropdown-item:has-text("Approve")').click()
		desk.wait_for_function(
			"() => window.cur_dialog && cur_dialog.display && cur_dialog.fields_dict.sales_person"
		)
		desk.evaluate(
			f"() => cur_dialog.set_value('sales_person', {frappe.as_json(self.sales_person)})"
			".then(() => cur_dialog.set_value('reason', 'Prospek baru, silakan lanjutkan'))"
		)
		close_suggestions(desk)
		desk.wait_for_timeout(500)
		screenshot(desk, "partner-04-manager-approves")
		desk.locator(".modal.show .btn-primary:visible").click()
		desk.wait_for_function(
			"() => cur_frm.doc.status === 'Approved' && !document.querySelector('.freeze')"
		)
		desk.wait_for_timeout(500)
		screenshot(desk, "partner-05-approved-in-desk")
		desk.close()
		frappe.db.rollback()
		opportunity = frappe.db.get_value("Deal Registration", registration, "opportunity")
		self.assertTrue(opportunity)

		# another partner registering the same prospect is refused while the approval protects it
		other = new_page(self.browser, self.server)
		self.log_in_to_portal(other, self.other_user)
		self.register(other, self.prospect)
		error = other.wait_for_selector(".register-error:visible")
		self.assertIn("Conflict", error.text_content())
		self.assertNotIn(self.partner, error.text_content())  # the other partner is not named
		screenshot(other, "partner-06-conflict-other-partner")
		other.close()

		# the partner sees the Opportunity and the commission forecast
		self.go(page, "/partner/registrations")
		page.wait_for_selector(f'tr[data-name="{registration}"] >> text={opportunity}')
		self.go(page, "/partner/opportunities")
		page.wait_for_selector(f'tr[data-name="{opportunity}"]')
		screenshot(page, "partner-07-opportunities")
		self.go(page, "/partner")
		[row] = partner_portal.commission(self.partner)
		self.assertGreater(row["forecast"], 0)
		forecast = partner_portal.money(row["forecast"], row["currency"])
		self.assertEqual(page.locator('[data-commission="forecast"]').first.text_content().strip(), forecast)
		screenshot(page, "partner-08-commission-forecast")

		# in the user's language: Indonesian
		frappe.db.set_value("User", self.partner_user, "language", "id")
		frappe.db.commit()
		frappe.clear_cache(user=self.partner_user)
		self.go(page, "/partner")
		page.wait_for_selector("text=Perkiraan Komisi")
		screenshot(page, "partner-09-portal-indonesian")
