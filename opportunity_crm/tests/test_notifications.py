"""The partner channel's e-mails are the app's Notification records: made where missing, a site's edits kept,
and what the partner receives is what the record says."""

import email

import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.channel import deal_registration
from opportunity_crm.setup.notifications import NOTIFICATIONS, create_notifications
from opportunity_crm.tests.factories import make_user
from opportunity_crm.tests.test_deal_keys import make_registration
from opportunity_crm.tests.test_deal_registration import outgoing_email_account

REJECTED = "Deal Registration Rejected"


def subjects(registration: str, since: str) -> list[str]:
	"""The subjects of the mails queued about `registration` by this test (a name is reused after a
	rollback; a committed test elsewhere may have left mails under it)."""
	return [
		str(email.header.make_header(email.header.decode_header(email.message_from_string(m)["Subject"])))
		for m in frappe.get_all(
			"Email Queue",
			{
				"reference_doctype": "Deal Registration",
				"reference_name": registration,
				"creation": (">=", since),
			},
			pluck="message",
		)
	]


class TestNotifications(FrappeTestCase):
	def setUp(self):
		frappe.db.savepoint("test_notifications")
		self.since = frappe.utils.now()
		outgoing_email_account()

	def tearDown(self):
		frappe.db.rollback(save_point="test_notifications")
		frappe.cache.hdel("notifications", "Deal Registration")
		frappe.set_user("Administrator")

	def test_install_makes_the_missing_ones_and_keeps_a_sites_edits(self):
		names = [n["name"] for n in NOTIFICATIONS]
		self.assertEqual(
			frappe.get_all("Notification", {"name": ("in", names)}, pluck="name", order_by="name"),
			sorted(names),
		)
		edited = frappe.get_doc("Notification", REJECTED)
		edited.subject = "Sorry: {{ doc.name }}"
		edited.save()
		frappe.delete_doc("Notification", "Deal Registration Expired", force=True)

		create_notifications()  # what install and the patch run

		self.assertEqual(frappe.db.get_value("Notification", REJECTED, "subject"), "Sorry: {{ doc.name }}")
		self.assertTrue(frappe.db.exists("Notification", "Deal Registration Expired"))

	def test_the_partner_gets_what_the_record_says_in_their_language(self):
		notification = frappe.get_doc("Notification", REJECTED)
		notification.subject = "Sorry: {{ doc.name }}"
		notification.save()
		user = make_user()
		rejected = make_registration("Submitted", partner_user=user)
		deal_registration.reject(rejected, "Existing direct customer")
		self.assertEqual(subjects(rejected, self.since), [f"Sorry: {rejected}"])

		frappe.db.set_value("User", user, "language", "id")
		returned = make_registration("Submitted", partner_user=user)
		deal_registration.return_for_information(returned, "Add the tax id")
		source = "Deal Registration {0} ({1}) needs more information"
		self.assertNotEqual(frappe._(source, lang="id"), source)
		prospect = frappe.db.get_value("Deal Registration", returned, "prospect_name")
		self.assertEqual(
			subjects(returned, self.since), [frappe._(source, lang="id").format(returned, prospect)]
		)

		notification = frappe.get_doc("Notification", REJECTED)
		notification.enabled = 0
		notification.save()
		silent = make_registration("Submitted", partner_user=user)
		deal_registration.reject(silent, "Existing direct customer")
		self.assertEqual(subjects(silent, self.since), [])
