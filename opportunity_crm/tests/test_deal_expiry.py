"""The end of an approved registration's protection. The daily job commits after each registration (that is
its rule), so these tests make uniquely named records and delete the registrations and their mail after."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from opportunity_crm.channel import deal_expiry
from opportunity_crm.channel.deal_keys import find_matches, normalise_tax_id
from opportunity_crm.opportunities.customer_conversion import create_customer
from opportunity_crm.setup.install import ensure_test_outgoing_email_account
from opportunity_crm.tests.factories import convert, make_lead, make_user
from opportunity_crm.tests.test_deal_keys import fresh_tax_id, make_registration


def mails(registration: str) -> list[str]:
	"""The e-mails queued about `registration`, oldest first."""
	return frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Deal Registration", "reference_name": registration},
		pluck="message",
		order_by="creation",
	)


def outgoing_email_account() -> None:
	"""A default outgoing Email Account (the suite's `before_tests` makes it; a module run alone too)."""
	ensure_test_outgoing_email_account()


class DealExpiryTestCase(FrappeTestCase):
	def setUp(self):
		outgoing_email_account()
		self.registrations = []
		self.addCleanup(self.delete_registrations)

	def registration(self, protected_until, opportunity=None, **values) -> str:
		name = make_registration(
			"Approved",
			protected_until=protected_until,
			approved_on=add_days(protected_until, -90),
			partner_user=values.pop("partner_user", None) or make_user(),
			opportunity=opportunity,
			tax_id=values.pop("tax_id", None) or fresh_tax_id(),
			**values,
		)
		self.registrations.append(name)
		return name

	def delete_registrations(self):
		frappe.db.rollback()
		for name in self.registrations:
			frappe.db.delete(
				"Email Queue", {"reference_doctype": "Deal Registration", "reference_name": name}
			)
			frappe.db.delete("Comment", {"reference_doctype": "Deal Registration", "reference_name": name})
			# the Notification's mail is also a Communication (an Automated Message) of the registration
			for communication in frappe.get_all(
				"Communication",
				{"reference_doctype": "Deal Registration", "reference_name": name},
				pluck="name",
			):
				frappe.delete_doc("Communication", communication, force=True, ignore_permissions=True)
			frappe.db.delete("Error Log", {"reference_doctype": "Deal Registration", "reference_name": name})
			frappe.db.delete("Deal Registration", name)
		frappe.db.commit()

	@staticmethod
	def status(name: str) -> str:
		return frappe.db.get_value("Deal Registration", name, "status")


class TestExpiryNotice(DealExpiryTestCase):
	def test_the_partner_is_told_once_before_the_protection_ends(self):
		soon = self.registration(add_days(today(), 3))
		later = self.registration(add_days(today(), 30))

		done = deal_expiry.expire_registrations()
		self.assertIn(soon, done["noticed"])
		self.assertNotIn(later, done["noticed"])
		self.assertEqual(frappe.db.get_value("Deal Registration", soon, "expiry_notice_sent"), 1)
		self.assertEqual(self.status(soon), "Approved")
		self.assertEqual(len(mails(soon)), 1)
		recipients = frappe.get_all(
			"Email Queue Recipient",
			filters={"parent": frappe.db.get_value("Email Queue", {"reference_name": soon})},
			pluck="recipient",
		)
		self.assertEqual(recipients, [frappe.db.get_value("Deal Registration", soon, "partner_user")])
		self.assertEqual(mails(later), [])

		done = deal_expiry.expire_registrations()
		self.assertNotIn(soon, done["noticed"])
		self.assertEqual(len(mails(soon)), 1)


class TestExpiry(DealExpiryTestCase):
	def test_an_unconverted_registration_expires_and_frees_the_prospect(self):
		tax_id = fresh_tax_id()
		opportunity = convert(make_lead())
		name = self.registration(add_days(today(), -1), opportunity=opportunity, tax_id=tax_id)
		protected = self.registration(today(), tax_id=fresh_tax_id())  # protected through today

		done = deal_expiry.expire_registrations()
		self.assertIn(name, done["expired"])
		self.assertNotIn(protected, done["expired"])
		self.assertEqual(self.status(name), "Expired")
		self.assertEqual(self.status(protected), "Approved")
		# free: no live registration holds the prospect any more
		self.assertNotIn(name, {m["name"] for m in find_matches({"key_tax_id": normalise_tax_id(tax_id)})})
		# the Opportunity stays, open, with a timeline entry
		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "status"), "Open")
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{
					"reference_doctype": "Opportunity",
					"reference_name": opportunity,
					"content": ("like", f"%{name}%"),
				},
			)
		)
		self.assertEqual(len(mails(name)), 1)  # the partner is told (no earlier notice: it was overdue)

		self.assertNotIn(name, deal_expiry.expire_registrations()["expired"])  # once
		frappe.db.delete("Comment", {"reference_doctype": "Opportunity", "reference_name": opportunity})
		frappe.db.commit()


class TestConverted(DealExpiryTestCase):
	def test_a_registration_becomes_converted_when_its_opportunity_becomes_a_customer(self):
		opportunity = convert(make_lead())
		name = self.registration(add_days(today(), 10), opportunity=opportunity)
		create_customer(opportunity)
		self.assertEqual(self.status(name), "Converted")  # at once, by the conversion's own path

	def test_a_converted_registration_is_not_expired(self):
		opportunity = convert(make_lead())
		create_customer(opportunity)
		# approved after the conversion (or before the app knew): the daily job converts it
		name = self.registration(add_days(today(), -5), opportunity=opportunity)
		# what its approval queued (on Frappe v16, the approval's Notification): the daily job adds nothing
		before = mails(name)

		done = deal_expiry.expire_registrations()
		self.assertIn(name, done["converted"])
		self.assertNotIn(name, done["expired"])
		self.assertEqual(self.status(name), "Converted")
		self.assertEqual(mails(name), before)


class TestOneFailureStopsNothing(DealExpiryTestCase):
	def test_a_registration_that_fails_is_rolled_back_logged_and_not_reported_done(self):
		first, locked, last = (self.registration(add_days(today(), -2)) for _ in range(3))
		frappe.db.commit()

		# another session holds the middle registration (a user saving it): the job cannot lock it
		other = frappe.database.get_db(
			host=frappe.conf.db_host,
			port=frappe.conf.db_port,
			user=frappe.conf.db_user or frappe.conf.db_name,
			password=frappe.conf.db_password,
			cur_db_name=frappe.conf.db_name,
		)
		other.connect()
		other.sql("select name from `tabDeal Registration` where name = %s for update", locked)
		frappe.db.sql("set session innodb_lock_wait_timeout = 1")
		try:
			done = deal_expiry.expire_registrations()
		finally:
			frappe.db.sql("set session innodb_lock_wait_timeout = default")
			other.rollback()
			other.close()

		self.assertIn(first, done["expired"])
		self.assertIn(last, done["expired"])
		self.assertIn(locked, done["failed"])
		self.assertNotIn(locked, done["expired"])
		self.assertEqual(self.status(first), "Expired")
		self.assertEqual(self.status(last), "Expired")
		self.assertEqual(self.status(locked), "Approved")  # nothing of it was kept
		self.assertEqual(mails(locked), [])
		self.assertTrue(
			frappe.db.exists(
				"Error Log", {"reference_doctype": "Deal Registration", "reference_name": locked}
			)
		)

		# the next run expires it
		self.assertIn(locked, deal_expiry.expire_registrations()["expired"])


class TestRegistrationSettings(FrappeTestCase):
	def test_the_notice_comes_within_the_protection_and_an_empty_window_is_the_default(self):
		frappe.db.savepoint("registration_settings")
		try:
			settings = frappe.get_single("Opportunity CRM Settings")
			settings.registration_protection_days = 10
			settings.registration_expiry_notice_days = 10
			with self.assertRaisesRegex(frappe.ValidationError, "Expiry Notice"):
				settings.save()
			settings = frappe.get_single("Opportunity CRM Settings")
			settings.registration_protection_days = 0
			settings.registration_expiry_notice_days = 7
			settings.save()
			self.assertEqual(
				frappe.db.get_single_value("Opportunity CRM Settings", "registration_protection_days"), 90
			)
		finally:
			frappe.db.rollback(save_point="registration_settings")
