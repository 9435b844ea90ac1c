"""ERPNext's intake keeps what it is sent: an e-mail or a website message from a Lead that already has its
Opportunity reaches that Opportunity; a desk path that would make a second one refuses with the rule."""

from contextlib import contextmanager

import frappe
from erpnext.crm.doctype.opportunity.opportunity import make_opportunity_from_communication
from frappe.email.receive import InboundMail
from frappe.handler import execute_cmd
from frappe.tests.utils import FrappeTestCase
from frappe.utils import set_request

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


PULL_JOB = "frappe.email.doctype.email_account.email_account.pull_from_email_account"
CONTACT_FORM = "frappe.www.contact.send_message"


@contextmanager
def in_job(method: str):
	"""What Frappe's `execute_job` records while a background job runs: its method."""
	frappe.local.job = frappe._dict(method=method)
	try:
		yield
	finally:
		del frappe.local.job


def post_method(method: str, **form) -> None:
	"""A POST /api/method/<method> as Frappe's handler runs it (`override_whitelisted_methods` applied)."""
	set_request(method="POST", path=f"/api/method/{method}")
	frappe.local.request_ip = "127.0.0.1"  # Frappe's rate limit of the contact form counts by it
	frappe.local.form_dict = frappe._dict(cmd=method, **form)
	try:
		execute_cmd(method)
	finally:
		frappe.local.request = frappe.local.request_ip = None
		frappe.local.form_dict = frappe._dict()


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

		with in_job(PULL_JOB):
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

		with in_job(PULL_JOB):
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
		post_method(CONTACT_FORM, sender=email, message=message, subject="Website Query")
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

	def test_another_apps_insert_with_the_intakes_flags_is_refused_with_the_rule(self):
		"""Only ERPNext's intake is folded: the same flags from anywhere else (another app's import, a
		job of its own) get the rule's refusal, and nothing is merged behind their back."""
		lead, _opportunity, email = lead_with_opportunity()
		second = frappe.get_doc(
			{
				"doctype": "Opportunity",
				"opportunity_from": "Lead",
				"party_name": lead,
				"company": default_company(),
				"contact_email": email,
			}
		)
		second.flags.ignore_mandatory = True
		with in_job("other_app.tasks.import_enquiries"), self.assertRaises(DuplicateOpportunityError):
			second.insert(ignore_permissions=True)
		frappe.set_user("Guest")
		try:
			with self.assertRaises(DuplicateOpportunityError):
				frappe.get_doc({**second.as_dict(), "name": None}).insert(ignore_permissions=True)
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(frappe.db.count("Opportunity", {"party_name": lead}), 1)
