"""ERPNext's intake keeps what it is sent: an e-mail or a website message from a Lead that already has its
Opportunity reaches that Opportunity; a desk path that would make a second one refuses with the rule."""

import frappe
from erpnext.crm.doctype.opportunity.opportunity import make_opportunity_from_communication
from erpnext.templates.utils import send_message
from frappe.email.receive import InboundMail
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.exceptions import DuplicateOpportunityError
from opportunity_crm.tests.factories import convert, default_company, make_lead

RAW_MAIL = """From: {sender}
To: sales@example.com
Subject: {subject}
Date: Thu, 26 Nov 2026 09:00:00 +0700
Message-ID: <{message_id}@mail.example.com>
Content-Type: text/plain; charset="utf-8"

{body}
"""


def lead_with_opportunity() -> tuple[str, str, str]:
	email = f"{frappe.generate_hash(length=10)}@example.com"
	lead = make_lead(email_id=email)
	return lead, convert(lead), email


def sales_inbox() -> "frappe.model.document.Document":
	"""An Email Account whose incoming mail makes Opportunities (ERPNext's `append_to` doctype)."""
	name = "_OCRM Sales Inbox"
	if not frappe.db.exists("Email Account", name):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": "sales@example.com",
				"enable_incoming": 0,
				"enable_outgoing": 0,
				"append_to": "Opportunity",
			}
		).insert(ignore_permissions=True)
	return frappe.get_doc("Email Account", name)


def commit_hooks() -> None:
	"""What `frappe.db.commit()` runs before committing, without committing the test's transaction."""
	frappe.db.before_commit.run()


class TestIntake(FrappeTestCase):
	def tearDown(self):
		frappe.set_user("Administrator")

	def test_an_email_from_a_lead_with_an_opportunity_is_threaded_onto_it(self):
		lead, opportunity, email = lead_with_opportunity()
		opportunities = frappe.db.count("Opportunity")
		subject = f"Need a quote {frappe.generate_hash(length=6)}"
		raw = RAW_MAIL.format(
			sender=email, subject=subject, message_id=frappe.generate_hash(length=12), body="Kirim penawaran."
		)

		communication = InboundMail(raw, sales_inbox()).process()
		commit_hooks()

		self.assertEqual(
			(communication.reference_doctype, communication.reference_name), ("Opportunity", opportunity)
		)
		self.assertEqual(frappe.db.count("Opportunity"), opportunities)
		self.assertEqual(frappe.db.count("Opportunity", {"party_name": lead}), 1)
		self.assertFalse(frappe.db.exists("Unhandled Email", {"email_account": sales_inbox().name}))
		self.assertTrue(
			frappe.db.exists(
				"Communication",
				{"reference_doctype": "Opportunity", "reference_name": opportunity, "subject": subject},
			)
		)

	def test_an_email_from_an_unknown_sender_still_makes_its_lead_and_opportunity(self):
		email = f"{frappe.generate_hash(length=10)}@example.com"
		raw = RAW_MAIL.format(
			sender=email, subject="Halo", message_id=frappe.generate_hash(length=12), body="Halo."
		)

		communication = InboundMail(raw, sales_inbox()).process()
		commit_hooks()

		opportunity = frappe.get_doc("Opportunity", communication.reference_name)
		self.assertEqual(opportunity.opportunity_from, "Lead")
		self.assertEqual(opportunity.lead, opportunity.party_name)
		self.assertEqual(frappe.db.get_value("Lead", opportunity.lead, "email_id"), email)

	def test_a_website_message_from_a_lead_with_an_opportunity_reaches_it(self):
		lead, opportunity, email = lead_with_opportunity()
		opportunities = frappe.db.count("Opportunity")
		message = f"Mohon dihubungi {frappe.generate_hash(length=6)}"

		frappe.set_user("Guest")
		send_message(sender=email, message=message, subject="Website Query")
		frappe.set_user("Administrator")
		commit_hooks()

		self.assertEqual(frappe.db.count("Opportunity"), opportunities)
		self.assertTrue(
			frappe.db.exists(
				"Communication",
				{"reference_doctype": "Opportunity", "reference_name": opportunity, "content": message},
			)
		)
		self.assertEqual(frappe.db.count("Opportunity", {"party_name": lead}), 1)

	def test_communication_create_opportunity_refuses_a_second_one_with_the_rule(self):
		"""Communication ▸ Create ▸ Opportunity (a desk action): the message stays where it is."""
		lead, opportunity, email = lead_with_opportunity()
		communication = frappe.get_doc(
			{
				"doctype": "Communication",
				"subject": "Re: harga",
				"content": "Harga?",
				"sender": email,
				"sent_or_received": "Received",
				"reference_doctype": "Lead",
				"reference_name": lead,
			}
		).insert(ignore_permissions=True)

		with self.assertRaises(DuplicateOpportunityError) as refused:
			make_opportunity_from_communication(communication.name, default_company())
		self.assertIn(opportunity, str(refused.exception))
		self.assertTrue(frappe.db.exists("Communication", communication.name))
