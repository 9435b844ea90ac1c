"""Deal Registration: its Workflow by role, the conflict rules at submit and at approval, and the approval
that creates (exactly once) the Lead and the Opportunity."""

import email

import frappe
from frappe.model.workflow import WorkflowPermissionError, WorkflowTransitionError, apply_workflow
from frappe.permissions import add_user_permission
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today

from opportunity_crm import api
from opportunity_crm.channel import deal_registration
from opportunity_crm.exceptions import DealRegistrationError, RegistrationConflictError
from opportunity_crm.setup import workflow
from opportunity_crm.setup.install import ensure_test_outgoing_email_account
from opportunity_crm.tests.factories import (
	default_company,
	make_item,
	make_lead,
	make_sales_partner,
	make_sales_person,
	make_user,
	unique,
)

DOCTYPE = "Deal Registration"


def make_partner_user(sales_partner: str) -> str:
	"""A Website User of `sales_partner`: role Partner User and a User Permission on the Sales Partner."""
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": f"mitra-{frappe.generate_hash(length=10)}@example.com",
			"first_name": unique("Mitra"),
			"user_type": "Website User",
			"send_welcome_email": 0,
			"roles": [{"role": "Partner User"}],
		}
	).insert(ignore_permissions=True)
	add_user_permission("Sales Partner", sales_partner, user.name, ignore_permissions=True)
	return user.name


def connections(doctype: str, name: str) -> dict[str, int]:
	"""What the form's Connections tab counts (see test_dashboards)."""
	from frappe.desk.notifications import get_open_count

	try:
		found = get_open_count(doctype, name)["count"]["external_links_found"]
	finally:
		frappe.db.set_execution_timeout(0)
	return {row["doctype"]: row["count"] for row in found}


def outgoing_email_account() -> None:
	"""A default outgoing Email Account (the suite's `before_tests` makes it; a module run alone too)."""
	ensure_test_outgoing_email_account()


def prospect(**values) -> dict:
	"""A prospect of its own: every key unique unless given."""
	token = frappe.generate_hash(length=8)
	digits = str(int(token, 16))[-9:].rjust(9, "7")
	return {
		"prospect_name": f"PT Maju {token}",
		"tax_id": f"01.{digits[:3]}.{digits[3:6]}.{digits[6]}-{digits[7:]}0.000",
		"website": f"https://www.maju-{token}.co.id",
		"contact_name": unique("Siti"),
		"contact_email": f"siti@maju-{token}.co.id",
		"contact_phone": f"+62 812 {digits[:4]} {digits[4:8]}",
		"address_line1": "Jl. Thamrin 10",
		"city": "Jakarta",
		"country": "Indonesia",
		"expected_amount": 50_000_000,
		"expected_closing": add_days(today(), 30),
		**values,
	}


class DealRegistrationCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		workflow.ensure()
		outgoing_email_account()
		cls.manager = make_user("Channel Manager", "Sales Manager")
		cls.sales_user = make_user("Sales User")

	def setUp(self):
		self.partner = make_sales_partner("Company")
		self.partner_user = make_partner_user(self.partner)
		self.other_partner = make_sales_partner("Company")
		self.other_user = make_partner_user(self.other_partner)
		self.sales_person = make_sales_person()

	def tearDown(self):
		frappe.set_user("Administrator")

	def register(self, user: str | None = None, submit: bool = True, items: list | None = None, **values):
		"""A registration made (and submitted) by a partner user: the partner's own unless told."""
		user = user or self.partner_user
		frappe.set_user(user)
		try:
			doc = frappe.get_doc({"doctype": DOCTYPE, **prospect(**values)})
			for row in items or []:
				doc.append("items", row)
			doc.insert()
			if submit:
				apply_workflow(doc, "Submit")
		finally:
			frappe.set_user("Administrator")
		return frappe.get_doc(DOCTYPE, doc.name)

	def as_manager(self, call, *args, **kwargs):
		frappe.set_user(self.manager)
		try:
			return call(*args, **kwargs)
		finally:
			frappe.set_user("Administrator")

	def approve(self, name: str, reason: str | None = None) -> dict:
		return self.as_manager(api.approve_deal_registration, name, self.sales_person, reason)

	def mails(self, name: str) -> list:
		"""(recipients, subject, text) of the e-mails queued about the registration."""
		out = []
		for queue in frappe.get_all(
			"Email Queue",
			filters={"reference_doctype": DOCTYPE, "reference_name": name},
			fields=["name", "message"],
			order_by="creation",
		):
			message = email.message_from_string(queue.message)
			text = " ".join(
				part.get_payload(decode=True).decode()
				for part in message.walk()
				if part.get_content_type() in ("text/plain", "text/html")
			)
			recipients = frappe.get_all("Email Queue Recipient", {"parent": queue.name}, pluck="recipient")
			subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
			out.append((recipients, subject, text))
		return out


class TestDealRegistrationWorkflow(DealRegistrationCase):
	def test_workflow_is_installed_once_with_its_roles(self):
		workflow.ensure()
		workflow.ensure()
		self.assertEqual(frappe.db.count("Workflow", {"document_type": DOCTYPE, "is_active": 1}), 1)
		wf = frappe.get_doc("Workflow", "Deal Registration")
		self.assertEqual(wf.workflow_state_field, "status")
		self.assertIn(
			("Submitted", "Approve", "Approved", "Channel Manager"),
			[(t.state, t.action, t.next_state, t.allowed) for t in wf.transitions],
		)
		self.assertTrue(frappe.db.exists("Role", "Channel Manager"))
		self.assertEqual(frappe.db.get_value("Role", "Partner User", "desk_access"), 0)

	def test_partner_submits_manager_returns_partner_resubmits_manager_approves(self):
		doc = self.register(submit=False)
		self.assertEqual(
			(doc.status, doc.partner_user, doc.sales_partner), ("Draft", self.partner_user, self.partner)
		)
		self.assertEqual(doc.company, default_company())

		frappe.set_user(self.partner_user)
		apply_workflow(doc, "Submit")
		self.assertEqual(doc.status, "Submitted")
		# a partner decides nothing and no longer edits once it is submitted
		self.assertRaises(
			WorkflowTransitionError, apply_workflow, frappe.get_doc(DOCTYPE, doc.name), "Approve"
		)
		doc = frappe.get_doc(DOCTYPE, doc.name)
		doc.notes = "more"
		self.assertRaises(frappe.PermissionError, doc.save)
		# nor moves the status by hand
		doc = frappe.get_doc(DOCTYPE, doc.name)
		frappe.set_user("Administrator")

		# a Sales User reads, and decides nothing
		frappe.set_user(self.sales_user)
		self.assertTrue(frappe.has_permission(DOCTYPE, "read", doc.name))
		self.assertRaises(frappe.PermissionError, api.approve_deal_registration, doc.name, self.sales_person)
		frappe.set_user("Administrator")

		self.as_manager(api.return_deal_registration, doc.name, "Which department buys?")
		doc = frappe.get_doc(DOCTYPE, doc.name)
		self.assertEqual((doc.status, doc.decision_reason), ("Returned", "Which department buys?"))

		frappe.set_user(self.partner_user)
		doc.notes = "IT department"
		doc.save()
		apply_workflow(doc, "Submit")
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value(DOCTYPE, doc.name, "status"), "Submitted")

		result = self.approve(doc.name, "Good fit")
		self.assertEqual(result["status"], "Approved")
		comments = frappe.get_all(
			"Comment",
			filters={"reference_doctype": DOCTYPE, "reference_name": doc.name},
			pluck="content",
		)
		for text in ("Submitted", "Returned", "Approved", "Which department buys?", "Good fit"):
			self.assertTrue(any(text in (c or "") for c in comments), text)
		# no Version log: Frappe hands every Version of a document to whoever may read it (get_docinfo), the
		# partner included, with the internal fields' changes (test_partner_containment)
		self.assertFalse(frappe.get_meta(DOCTYPE).track_changes)

	def test_a_partner_cannot_set_what_the_channel_manager_sets(self):
		frappe.set_user(self.partner_user)
		# Sales Person and the matching keys are on permission level 1, the staff's: Frappe drops a
		# partner's value, and never shows it to them
		doc = frappe.get_doc({"doctype": DOCTYPE, **prospect(), "sales_person": self.sales_person})
		doc.insert()
		self.assertIsNone(frappe.db.get_value(DOCTYPE, doc.name, "sales_person"))
		self.assertTrue(frappe.db.get_value(DOCTYPE, doc.name, "key_name"))  # set by the server
		permitted = frappe.get_doc(DOCTYPE, doc.name).permitted_fieldnames
		self.assertFalse(
			{"sales_person", "key_tax_id", "key_domain", "key_phone", "key_name"} & set(permitted)
		)
		doc = frappe.get_doc({"doctype": DOCTYPE, **prospect(), "status": "Approved"})
		self.assertRaises(WorkflowPermissionError, doc.insert)

	def test_a_partner_sees_only_its_partners_registrations(self):
		mine = self.register(submit=False)
		theirs = self.register(user=self.other_user, submit=False)
		frappe.set_user(self.partner_user)
		names = frappe.get_list(DOCTYPE, pluck="name")
		self.assertIn(mine.name, names)
		self.assertNotIn(theirs.name, names)
		self.assertFalse(frappe.has_permission(DOCTYPE, "read", theirs.name))
		# the matches (other records, other partners) are not a partner's to read
		self.assertNotIn("matches", frappe.get_doc(DOCTYPE, mine.name).permitted_fieldnames)

	def test_values_are_checked_naming_the_field(self):
		with self.assertRaisesRegex(DealRegistrationError, "Expected Amount"):
			self.register(submit=False, expected_amount=-1)
		with self.assertRaisesRegex(DealRegistrationError, "Expected Closing"):
			self.register(expected_closing=add_days(today(), -1))
		# a draft may keep a past date; the submit refuses it
		self.assertEqual(self.register(submit=False, expected_closing=add_days(today(), -1)).status, "Draft")

	def test_reject_and_return_need_a_reason_and_tell_the_partner(self):
		doc = self.register()
		with self.assertRaisesRegex(DealRegistrationError, "Decision Reason"):
			self.as_manager(api.reject_deal_registration, doc.name, "  ")
		self.assertEqual(frappe.db.get_value(DOCTYPE, doc.name, "status"), "Submitted")
		self.as_manager(api.reject_deal_registration, doc.name, "Existing direct customer")
		self.assertEqual(frappe.db.get_value(DOCTYPE, doc.name, "status"), "Rejected")
		self.as_manager(api.reject_deal_registration, doc.name, "Existing direct customer")  # no second mail
		mails = self.mails(doc.name)
		self.assertEqual(len(mails), 1)
		recipients, subject, text = mails[0]
		self.assertEqual(recipients, [self.partner_user])
		self.assertIn("rejected", subject)
		self.assertIn("Existing direct customer", text)

		returned = self.register()
		self.as_manager(api.return_deal_registration, returned.name, "Add the tax id")
		recipients, subject, text = self.mails(returned.name)[0]
		self.assertEqual(recipients, [self.partner_user])
		self.assertIn("Add the tax id", text)


class TestDealRegistrationConflicts(DealRegistrationCase):
	def assert_conflict(self, first: dict, second: dict, key: str):
		"""Partner A's approved registration protects the prospect: partner B's, sharing only `key`,
		is refused at submit with the reason; partner A's own Draft is not (another prospect's)."""
		approved = self.register(**first)
		self.approve(approved.name)
		with self.assertRaises(RegistrationConflictError) as refused:
			self.register(user=self.other_user, **second)
		message = str(refused.exception)
		self.assertIn(key, message)
		self.assertIn("another partner", message)
		self.assertNotIn(self.partner, message)  # a partner is not told who
		return approved

	def test_conflict_on_the_tax_id(self):
		self.assert_conflict({"tax_id": "01.234.567.8-901.000"}, {"tax_id": "012345678901000"}, "tax id")

	def test_conflict_on_the_email_domain(self):
		domain = f"acme-{frappe.generate_hash(length=6)}.co.id"
		self.assert_conflict(
			{"website": f"https://www.{domain}", "contact_email": f"a@{domain}"},
			{"website": "", "contact_email": f"b@sales.{domain}"},
			"domain or account",
		)

	def test_conflict_on_the_phone(self):
		number = "81" + str(int(frappe.generate_hash(length=8), 16))[-8:]
		self.assert_conflict({"contact_phone": f"+62 {number}"}, {"contact_phone": f"0{number}"}, "phone")

	def test_conflict_on_the_name_without_legal_form(self):
		name = f"Sinar {frappe.generate_hash(length=6)}"
		self.assert_conflict(
			{"prospect_name": f"PT {name} Tbk"}, {"prospect_name": f"CV. {name.upper()}"}, "company name"
		)

	def test_a_prospect_without_an_opportunity_is_matched(self):
		token = frappe.generate_hash(length=8)
		existing = frappe.get_doc(
			{
				"doctype": "Prospect",
				"company_name": f"Toko Kue {token}",
				"website": f"https://www.instagram.com/tokokue{token}",
			}
		).insert(ignore_permissions=True)
		doc = self.register(prospect_name=f"CV Toko Kue {token}", website=f"instagram.com/TokoKue{token}/")
		self.assertEqual(doc.status, "Submitted")  # a match to look at, not another partner's claim
		self.assertTrue(doc.in_conflict)
		self.assertEqual(
			{(m.match_doctype, m.match_name, m.match_key, m.conflict) for m in doc.matches},
			{
				("Prospect", existing.name, "domain or account", 0),
				("Prospect", existing.name, "company name", 0),
			},
		)

	def test_shared_platform_accounts_are_no_conflict(self):
		token = frappe.generate_hash(length=8)
		self.approve(self.register(website=f"https://tokokue{token}.blogspot.com").name)
		doc = self.register(user=self.other_user, website=f"https://bengkel{token}.blogspot.com")
		self.assertEqual(doc.status, "Submitted")
		self.assertFalse(doc.in_conflict)
		doc = self.register(user=self.other_user, website=f"instagram.com/tokokue{token}")
		self.assertEqual(doc.status, "Submitted")
		self.assertFalse(doc.in_conflict)

	def test_free_mail_domains_are_no_conflict(self):
		self.approve(self.register(contact_email="budi.a@gmail.com", website="").name)
		doc = self.register(user=self.other_user, contact_email="siti.b@gmail.com", website="")
		self.assertEqual(doc.status, "Submitted")

	def test_first_approval_wins_and_the_second_is_refused_naming_the_first(self):
		first = self.register(tax_id="02.111.222.3-444.000")
		second = self.register(user=self.other_user, tax_id="02.111.222.3-444.000")
		self.assertEqual(second.status, "Submitted")  # both wait: the channel manager sees both
		self.assertEqual(
			{(m.match_doctype, m.match_name) for m in second.matches if m.match_doctype == DOCTYPE},
			{(DOCTYPE, first.name)},
		)
		self.assertTrue(second.in_conflict)
		self.approve(first.name)
		leads, opportunities = frappe.db.count("Lead"), frappe.db.count("Opportunity")
		with self.assertRaises(RegistrationConflictError) as refused:
			self.approve(second.name)
		self.assertIn(first.name, str(refused.exception))
		self.assertIn(self.partner, str(refused.exception))  # the channel manager is told who
		self.assertEqual(frappe.db.get_value(DOCTYPE, second.name, "status"), "Submitted")
		self.assertEqual((frappe.db.count("Lead"), frappe.db.count("Opportunity")), (leads, opportunities))

	def test_protection_ends_with_its_window(self):
		first = self.register(tax_id="03.111.222.3-444.000")
		self.approve(first.name)
		frappe.db.set_value(DOCTYPE, first.name, "protected_until", add_days(today(), -1))
		self.assertEqual(
			self.register(user=self.other_user, tax_id="03.111.222.3-444.000").status, "Submitted"
		)

	def test_the_same_partner_registers_a_prospect_once_while_it_is_live(self):
		first = self.register(tax_id="04.111.222.3-444.000")
		with self.assertRaisesRegex(RegistrationConflictError, first.name):
			self.register(tax_id="04.111.222.3-444.000")
		self.as_manager(api.reject_deal_registration, first.name, "Too early")
		self.assertEqual(self.register(tax_id="04.111.222.3-444.000").status, "Submitted")


class TestDealRegistrationApproval(DealRegistrationCase):
	def counts(self) -> tuple:
		return tuple(frappe.db.count(doctype) for doctype in ("Lead", "Opportunity", "Address", "Contact"))

	def test_approval_makes_one_lead_and_one_opportunity_with_address_contact_partner_and_person(self):
		item = make_item()
		doc = self.register(items=[{"item_code": item, "qty": 3, "description": "Lisensi"}])
		before = self.counts()
		result = self.approve(doc.name, "Welcome")
		self.assertEqual(tuple(b + 1 for b in before), self.counts())
		again = self.approve(doc.name)
		self.assertEqual(again, result)
		self.assertEqual(tuple(b + 1 for b in before), self.counts())

		doc.reload()
		self.assertEqual(
			(doc.status, doc.lead, doc.opportunity), ("Approved", result["lead"], result["opportunity"])
		)
		self.assertEqual(getdate(doc.approved_on), getdate(today()))
		self.assertEqual(
			getdate(doc.protected_until), getdate(add_days(today(), deal_registration.protection_days()))
		)

		lead = frappe.get_doc("Lead", doc.lead)
		self.assertEqual((lead.company_name, lead.email_id), (doc.prospect_name, doc.contact_email))
		opportunity = frappe.get_doc("Opportunity", doc.opportunity)
		self.assertEqual(
			(opportunity.party_name, opportunity.lead, opportunity.sales_partner, opportunity.sales_person),
			(doc.lead, doc.lead, self.partner, self.sales_person),
		)
		self.assertEqual([(row.item_code, row.qty) for row in opportunity.items], [(item, 3)])
		self.assertEqual(getdate(opportunity.expected_closing), getdate(doc.expected_closing))
		self.assertEqual(opportunity.opportunity_amount, doc.expected_amount)
		for doctype in ("Address", "Contact"):
			for party, name in (("Lead", doc.lead), ("Opportunity", doc.opportunity)):
				self.assertEqual(
					frappe.db.count(
						"Dynamic Link", {"parenttype": doctype, "link_doctype": party, "link_name": name}
					),
					1,
					(doctype, party),
				)
		for party, name in (("Lead", doc.lead), ("Opportunity", doc.opportunity)):
			self.assertTrue(
				frappe.db.exists(
					"Comment",
					{
						"reference_doctype": party,
						"reference_name": name,
						"content": ("like", f"%{doc.name}%"),
					},
				)
			)
		# the Connections of the Lead, the Opportunity and the Sales Partner show the registration
		for doctype, name in (
			("Lead", doc.lead),
			("Opportunity", doc.opportunity),
			("Sales Partner", self.partner),
		):
			self.assertEqual(connections(doctype, name).get(DOCTYPE), 1, doctype)
		mails = self.mails(doc.name)
		self.assertEqual(len(mails), 1)
		recipients, subject, text = mails[0]
		self.assertEqual(recipients, [self.partner_user])
		self.assertIn("approved", subject)
		self.assertIn("Welcome", text)

	def test_approval_reuses_the_matching_lead_without_an_opportunity(self):
		tax_id = "05.111.222.3-444.000"
		name = f"Karya {frappe.generate_hash(length=6)}"
		existing = make_lead(addresses=0, contacts=0, company_name=f"PT {name}")
		doc = self.register(prospect_name=f"{name}, PT", tax_id=tax_id)
		self.assertIn(("Lead", existing), {(m.match_doctype, m.match_name) for m in doc.matches})
		leads = frappe.db.count("Lead")
		result = self.approve(doc.name)
		self.assertEqual(result["lead"], existing)
		self.assertEqual(frappe.db.count("Lead"), leads)
		self.assertEqual(frappe.db.get_value("Opportunity", result["opportunity"], "lead"), existing)

	def test_approval_needs_an_individual_sales_person_and_leaves_nothing_when_refused(self):
		doc = self.register()
		before = self.counts()
		group = make_sales_person(is_group=1)
		with self.assertRaisesRegex(DealRegistrationError, "Sales Person"):
			self.as_manager(api.approve_deal_registration, doc.name, group)
		self.assertEqual(self.counts(), before)
		self.assertEqual(frappe.db.get_value(DOCTYPE, doc.name, "status"), "Submitted")
		self.assertFalse(self.mails(doc.name))

	def test_protection_days_come_from_the_settings(self):
		settings = frappe.get_single("Opportunity CRM Settings")
		old = settings.registration_protection_days
		frappe.db.set_single_value("Opportunity CRM Settings", "registration_protection_days", 30)
		try:
			doc = self.register()
			self.approve(doc.name)
			self.assertEqual(
				getdate(frappe.db.get_value(DOCTYPE, doc.name, "protected_until")),
				getdate(add_days(today(), 30)),
			)
		finally:
			frappe.db.set_single_value("Opportunity CRM Settings", "registration_protection_days", old)
