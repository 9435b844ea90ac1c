"""Partner users and the partner portal: the invitation, the portal's pages and actions, the commission,
and the permission matrix (partners x records x paths, over HTTP against the site served by gunicorn)."""

import json

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, nowdate

from opportunity_crm import api
from opportunity_crm.channel import partner_portal
from opportunity_crm.channel.partner_users import invite, partner_of
from opportunity_crm.constants.roles import PARTNER_USER as ROLE
from opportunity_crm.exceptions import InvalidArgumentError, PartnerUserError
from opportunity_crm.tests.committed import keep_row_level_access
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	make_contact,
	make_lead,
	make_sales_order,
	make_sales_partner,
	make_submitted_quotation,
	make_user,
)
from opportunity_crm.tests.live_server import LiveServer


def make_partner_contact(partner: str) -> tuple[str, str]:
	"""(contact, email): a Contact of the partner with a fresh e-mail address."""
	email = f"mitra-{frappe.generate_hash(length=10)}@example.com"
	contact = frappe.get_doc(frappe.get_doc("Contact", make_contact("Sales Partner", partner)))
	contact.add_email(email, is_primary=True)
	contact.save(ignore_permissions=True)
	return contact.name, email


def outgoing_email_account() -> str | None:
	"""A default outgoing Email Account, in the test's transaction (Frappe skips the SMTP check in tests);
	None when the site has one."""
	if frappe.db.exists("Email Account", {"default_outgoing": 1}):
		return None
	return (
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": "Portal Test Outgoing",
				"email_id": "portal-test@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "localhost",
				"no_smtp_authentication": 1,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_partner_user(partner: str) -> str:
	contact, _email = make_partner_contact(partner)
	return invite(partner, contact)["user"]


def partner_opportunity(partner: str, amount: float = 10_000_000, stage: str | None = None) -> str:
	name = convert(make_lead(), sales_partner=partner)
	add_wish(name)
	doc = frappe.get_doc("Opportunity", name)
	doc.opportunity_amount = amount
	doc.expected_closing = add_days(nowdate(), 30)
	if stage:
		doc.sales_stage = stage
	doc.save()
	return name


class TestPartnerUsers(FrappeTestCase):
	def test_invite_makes_a_website_user_tied_to_the_partner_once(self):
		partner = make_sales_partner()
		contact, email = make_partner_contact(partner)
		account = outgoing_email_account()
		queued = frappe.db.count("Email Queue")

		# muted: queued, not sent (sending in a test commits the transaction, this Email Account with it)
		frappe.flags.mute_emails = True
		try:
			result = invite(partner, contact)
		finally:
			frappe.flags.mute_emails = False
			if account:  # gone before another test sends a mail through it
				frappe.delete_doc("Email Account", account, force=True, ignore_permissions=True)

		user = frappe.get_doc("User", result["user"])
		self.assertTrue(result["created"])
		self.assertTrue(result["mail_sent"])
		self.assertEqual(user.name, email)
		self.assertEqual(user.user_type, "Website User")
		self.assertIn(ROLE, frappe.get_roles(user.name))
		self.assertEqual(frappe.db.get_value("Role", ROLE, "desk_access"), 0)
		self.assertEqual(frappe.db.get_value("Contact", contact, "user"), user.name)
		self.assertTrue(
			frappe.db.exists(
				"User Permission",
				{
					"user": user.name,
					"allow": "Sales Partner",
					"for_value": partner,
					"apply_to_all_doctypes": 1,
				},
			)
		)
		self.assertEqual(partner_of(user.name), partner)
		# Frappe's welcome mail (new_user template), with its link to set a password
		self.assertEqual(frappe.db.count("Email Queue"), queued + 1)
		self.assertTrue(user.reset_password_key)

		counts = {d: frappe.db.count(d) for d in ("User", "User Permission", "Contact", "Dynamic Link")}
		again = invite(partner, contact)
		self.assertEqual(again, {**result, "created": False, "mail_sent": False})
		self.assertEqual(
			{d: frappe.db.count(d) for d in ("User", "User Permission", "Contact", "Dynamic Link")}, counts
		)
		self.assertEqual(frappe.db.count("Email Queue"), queued + 1)

	def test_invite_a_new_contact_by_email(self):
		partner = make_sales_partner()
		email = f"baru-{frappe.generate_hash(length=8)}@example.com"
		result = invite(partner, email=email.upper(), first_name="Dewi", last_name="Lestari")
		self.assertEqual(result["user"], email)
		links = frappe.get_all(
			"Dynamic Link",
			{"parenttype": "Contact", "parent": result["contact"]},
			["link_doctype", "link_name"],
		)
		self.assertIn({"link_doctype": "Sales Partner", "link_name": partner}, links)
		self.assertEqual(frappe.db.get_value("Contact", result["contact"], "email_id"), email)

	def test_refusals(self):
		partner, other = make_sales_partner(), make_sales_partner()
		with self.assertRaises(InvalidArgumentError):
			invite(partner)
		with self.assertRaisesRegex(PartnerUserError, "email_id"):
			invite(partner, make_contact("Sales Partner", partner))
		desk_user = make_user("Sales User")
		with self.assertRaisesRegex(PartnerUserError, "desk user"):
			invite(partner, email=desk_user, first_name="Budi")
		self.assertIsNone(partner_of(desk_user))
		user = make_partner_user(partner)
		with self.assertRaisesRegex(PartnerUserError, partner):
			invite(other, email=user, first_name="Budi")
		self.assertEqual(partner_of(user), partner)

	def test_the_desk_action_needs_write_on_the_sales_partner(self):
		partner = make_sales_partner()
		contact, _email = make_partner_contact(partner)
		frappe.set_user(make_user("Sales User"))
		try:
			with self.assertRaises(frappe.PermissionError):
				api.invite_partner_user(partner, contact)
		finally:
			frappe.set_user("Administrator")
		self.assertTrue(api.invite_partner_user(partner, contact)["created"])


class TestPartnerPortal(FrappeTestCase):
	"""Two partners, each with a partner user and records; what each user reaches of the other's."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		keep_row_level_access(cls)  # committed below: put back after the class
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
		cls.partners, cls.users, cls.records = [], {}, {}
		for rate in (5, 10):
			partner = make_sales_partner()
			frappe.db.set_value("Sales Partner", partner, "commission_rate", rate)
			user = make_partner_user(partner)
			cls.partners.append(partner)
			cls.users[partner] = user
			cls.records[partner] = cls.make_records(partner, user)
		frappe.db.commit()
		cls.server = LiveServer(workers=2).start()
		cls.sessions = {partner: cls.server.session(user) for partner, user in cls.users.items()}

	@classmethod
	def tearDownClass(cls):
		cls.server.stop()
		super().tearDownClass()

	@classmethod
	def make_records(cls, partner: str, user: str) -> dict[str, str]:
		records = {"Sales Partner": partner}
		records["Opportunity"] = opportunity = partner_opportunity(partner, stage="Proposal/Price Quote")
		records["open Opportunity"] = partner_opportunity(partner, 4_000_000)
		records["Quotation"] = make_submitted_quotation(opportunity).name
		customer = api.create_customer(opportunity)["customer"]
		sales_order = make_sales_order(customer, opportunity=opportunity).insert()
		sales_order.submit()
		records["Sales Order"] = sales_order.name
		records["Opportunity file"] = cls.attach("Opportunity", opportunity)
		registration = frappe.get_doc(
			{
				"doctype": "Deal Registration",
				"sales_partner": partner,
				"partner_user": user,
				"prospect_name": f"PT Rahasia {frappe.generate_hash(length=8)}",
			}
		)
		registration.flags.ignore_permissions = True
		registration.insert()
		records["Deal Registration"] = registration.name
		records["Deal Registration file"] = cls.attach("Deal Registration", registration.name)
		return records

	@staticmethod
	def attach(doctype: str, name: str) -> str:
		file = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"rahasia-{frappe.generate_hash(length=8)}.txt",
				"is_private": 1,
				"attached_to_doctype": doctype,
				"attached_to_name": name,
				"content": f"secret of {name}",
			}
		)
		file.insert(ignore_permissions=True)
		return file.name

	# paths: (session, doctype, name) -> whether the record reached the user ----------------------------

	def get(self, session, path, **params):
		return session.get(self.server.url(path), params=params, allow_redirects=False)

	def post(self, session, method, **data):
		return session.post(self.server.url(f"/api/method/{method}"), json=data)

	def portal_page(self, session, doctype, name):
		pages = {
			"Opportunity": "/partner/opportunities",
			"open Opportunity": "/partner/opportunities",
			"Quotation": "/partner/orders",
			"Sales Order": "/partner/orders",
			"Deal Registration": "/partner/registrations",
			"Sales Partner": "/partner",
		}
		if doctype not in pages:
			return None
		response = self.get(session, pages[doctype])
		return response.status_code == 200 and name in response.text

	def resource_list(self, session, doctype, name):
		doctype = self.real_doctype(doctype)
		response = self.get(
			session,
			f"/api/resource/{doctype}",
			filters=json.dumps([["name", "=", name]]),
			limit_page_length=0,
		)
		return response.ok and name in {row["name"] for row in response.json()["data"]}

	def resource_get(self, session, doctype, name):
		response = self.get(session, f"/api/resource/{self.real_doctype(doctype)}/{name}")
		return response.ok and response.json()["data"]["name"] == name

	def client_get_list(self, session, doctype, name):
		response = self.post(
			session,
			"frappe.client.get_list",
			doctype=self.real_doctype(doctype),
			filters={"name": name},
			fields=["name"],
		)
		return response.ok and name in {row["name"] for row in response.json()["message"]}

	def client_get(self, session, doctype, name):
		response = self.post(session, "frappe.client.get", doctype=self.real_doctype(doctype), name=name)
		return response.ok and response.json()["message"]["name"] == name

	def client_get_value(self, session, doctype, name):
		response = self.post(
			session,
			"frappe.client.get_value",
			doctype=self.real_doctype(doctype),
			filters={"name": name},
			fieldname="name",
		)
		return response.ok and (response.json().get("message") or {}).get("name") == name

	def form_load(self, session, doctype, name):
		response = self.get(
			session, "/api/method/frappe.desk.form.load.getdoc", doctype=self.real_doctype(doctype), name=name
		)
		return response.ok

	def report(self, session, doctype, name):
		"""The pipeline report grouped by Sales Partner: does the other partner's row show?"""
		if doctype not in ("Opportunity", "open Opportunity"):
			return None
		partner = frappe.db.get_value("Opportunity", name, "sales_partner")
		response = self.post(
			session,
			"frappe.desk.query_report.run",
			report_name="Opportunity Pipeline",
			filters={"group_by": "Sales Partner"},
		)
		return response.ok and partner in response.text

	def file_download(self, session, doctype, name):
		if not doctype.endswith("file"):
			return None
		file_url = frappe.db.get_value("File", name, "file_url")
		response = self.get(session, file_url)
		return response.status_code == 200 and "secret of" in response.text

	def erpnext_portal(self, session, doctype, name):
		"""ERPNext's customer portal (/quotations, /orders) and print view."""
		routes = {"Quotation": "quotations", "Sales Order": "orders"}
		if doctype not in routes:
			return None
		seen = self.get(session, f"/{routes[doctype]}/{name}").status_code == 200
		printview = self.get(session, "/printview", doctype=doctype, name=name)
		return seen or (printview.status_code == 200 and name in printview.text)

	def app_api(self, session, doctype, name):
		"""The portal's own write: updating the other partner's Opportunity."""
		if doctype not in ("Opportunity", "open Opportunity"):
			return None
		response = self.post(
			session, "opportunity_crm.api.update_partner_opportunity", opportunity=name, next_step="x"
		)
		return response.ok

	@staticmethod
	def real_doctype(doctype: str) -> str:
		return "File" if doctype.endswith("file") else doctype.replace("open ", "")

	PATHS = (
		"portal_page",
		"resource_list",
		"resource_get",
		"client_get_list",
		"client_get",
		"client_get_value",
		"form_load",
		"report",
		"file_download",
		"erpnext_portal",
		"app_api",
	)

	def test_permission_matrix(self):
		leaks, rows = [], []
		for partner in self.partners:
			session = self.sessions[partner]
			for owner in self.partners:
				for doctype, name in self.records[owner].items():
					for path in self.PATHS:
						seen = getattr(self, path)(session, doctype, name)
						if seen is None:
							continue
						own = owner == partner
						rows.append((path, doctype, "own" if own else "other", seen))
						if seen and not own:
							leaks.append((self.users[partner], path, doctype, name))
		print_matrix(rows)
		print(f"partner portal matrix: {len(rows)} checks, {len(leaks)} leaks")
		frappe.db.rollback()  # the denied writes wrote nothing; nothing of this test's is pending
		self.assertEqual(leaks, [])
		# the portal shows each partner all of their own records, and the files of their registrations
		denied_own = [
			(path, doctype)
			for path, doctype, whose, seen in rows
			if whose == "own"
			and not seen
			and (path == "portal_page" or (path == "file_download" and doctype == "Deal Registration file"))
		]
		self.assertEqual(denied_own, [])

	def test_guests_go_to_the_login_and_others_are_refused(self):
		response = self.server_get("/partner/opportunities")
		self.assertIn(response.status_code, (301, 302, 303, 307))
		self.assertIn("/login?redirect-to=%2Fpartner%2Fopportunities", response.headers["Location"])
		desk_user = make_user("Sales Manager")
		frappe.db.commit()
		response = self.server.session(desk_user).get(self.server.url("/partner"), allow_redirects=False)
		self.assertEqual(response.status_code, 403)

	def server_get(self, path):
		import requests

		return requests.get(self.server.url(path), headers={"Host": self.server.site}, allow_redirects=False)

	def test_the_portal_sends_only_its_fields(self):
		partner = self.partners[0]
		self.assertEqual(
			{key for row in partner_portal.opportunities(partner) for key in row},
			set(partner_portal.OPPORTUNITY_FIELDS),
		)
		html = self.get(self.sessions[partner], "/partner/opportunities").text
		sales_person = frappe.db.get_value(
			"Opportunity", self.records[partner]["Opportunity"], "sales_person"
		)
		self.assertNotIn(sales_person, html)

	def test_commission_forecast_and_earned(self):
		partner = self.partners[1]
		rate = 10
		# the "Opportunity" became a Customer with a submitted Sales Order: earned, not forecast
		# (test_partner_commission counts each state by hand)
		weighted = flt(
			frappe.db.get_value(
				"Opportunity", self.records[partner]["open Opportunity"], "base_weighted_amount"
			)
		)
		sales_order = frappe.get_doc("Sales Order", self.records[partner]["Sales Order"])
		expected_earned = (
			sales_order.total_commission
			if sales_order.sales_partner == partner and sales_order.total_commission
			else sales_order.base_net_total * rate / 100
		)
		[row] = partner_portal.commission(partner)
		self.assertGreater(weighted, 0)
		self.assertAlmostEqual(row["forecast"], weighted * rate / 100, places=2)
		self.assertAlmostEqual(row["earned"], expected_earned, places=2)
		self.assertGreater(row["earned"], 0)
		html = self.get(self.sessions[partner], "/partner").text
		self.assertIn(partner_portal.money(row["forecast"], row["currency"]), html)

	def test_partners_change_only_what_partners_know(self):
		partner = self.partners[0]
		session = self.sessions[partner]
		name = self.records[partner]["open Opportunity"]
		before = frappe.db.get_value("Opportunity", name, ["opportunity_amount", "sales_stage"], as_dict=True)
		closing = add_days(nowdate(), 45)
		response = self.post(
			session,
			"opportunity_crm.api.update_partner_opportunity",
			opportunity=name,
			next_step="Demo minggu depan",
			expected_closing=closing,
			notes="Butuh 10 lisensi",
		)
		self.assertEqual(response.status_code, 200, response.text)
		frappe.db.rollback()
		after = frappe.db.get_value(
			"Opportunity",
			name,
			["partner_next_step", "partner_notes", "expected_closing", "opportunity_amount", "sales_stage"],
			as_dict=True,
		)
		self.assertEqual(
			(after.partner_next_step, after.partner_notes), ("Demo minggu depan", "Butuh 10 lisensi")
		)
		self.assertEqual(str(after.expected_closing), closing)
		self.assertEqual(
			(after.opportunity_amount, after.sales_stage), (before.opportunity_amount, before.sales_stage)
		)
		# any other field: refused by name (417), over the portal's method and over REST (403)
		response = self.post(
			session, "opportunity_crm.api.update_partner_opportunity", opportunity=name, opportunity_amount=1
		)
		self.assertEqual(response.status_code, 417, response.text)
		self.assertIn("opportunity_amount", response.text)
		response = session.put(
			self.server.url(f"/api/resource/Opportunity/{name}"), json={"opportunity_amount": 1}
		)
		self.assertEqual(response.status_code, 403, response.text)
		response = self.post(
			session,
			"opportunity_crm.api.update_partner_opportunity",
			opportunity=name,
			expected_closing="soon",
		)
		self.assertEqual(response.status_code, 417, response.text)
		self.assertIn("expected_closing", response.text)
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Opportunity", name, "opportunity_amount"), before.opportunity_amount
		)

	def test_partners_cannot_move_or_decide_their_registrations_over_rest(self):
		partner, other = self.partners
		session = self.sessions[partner]
		name = self.records[partner]["Deal Registration"]
		fields = ["sales_partner", "status", "protected_until", "opportunity", "sales_person"]
		before = frappe.db.get_value("Deal Registration", name, fields, as_dict=True)
		for change in (
			{"sales_partner": other},
			{"status": "Approved"},
			{"opportunity": self.records[other]["Opportunity"]},
		):
			with self.subTest(change=change):
				response = session.put(
					self.server.url(f"/api/resource/Deal Registration/{name}"), json=change
				)
				frappe.db.rollback()
				self.assertEqual(
					frappe.db.get_value("Deal Registration", name, fields, as_dict=True),
					before,
					(change, response.status_code, response.text[:300]),
				)

	def test_register_a_deal_from_the_portal(self):
		partner = self.partners[0]
		prospect = f"PT Portal {frappe.generate_hash(length=8)}"
		response = self.post(
			self.sessions[partner],
			"opportunity_crm.api.register_deal",
			registration={"prospect_name": prospect, "expected_amount": 5_000_000, "sales_partner": "x"},
		)
		# sales_partner is not the partner's to set
		self.assertEqual(response.status_code, 417, response.text)
		self.assertIn("sales_partner", response.text)
		for bad in ({"expected_amount": "banyak"}, {"expected_closing": "segera"}, {"items": [{"qty": 1}]}):
			with self.subTest(bad=bad):
				response = self.post(
					self.sessions[partner],
					"opportunity_crm.api.register_deal",
					registration={"prospect_name": prospect, **bad},
				)
				self.assertEqual(response.status_code, 417, response.text)
				self.assertIn(next(iter(bad)), response.text)
		response = self.post(
			self.sessions[partner],
			"opportunity_crm.api.register_deal",
			registration={"prospect_name": prospect, "expected_amount": 5_000_000},
		)
		self.assertEqual(response.status_code, 200, response.text)
		name = response.json()["message"]["name"]
		frappe.db.rollback()
		registration = frappe.db.get_value(
			"Deal Registration", name, ["sales_partner", "partner_user", "status"], as_dict=True
		)
		self.assertEqual(
			registration,
			{"sales_partner": partner, "partner_user": self.users[partner], "status": "Submitted"},
		)
		self.assertIn(name, self.get(self.sessions[partner], "/partner/registrations").text)
		self.assertNotIn(name, self.get(self.sessions[self.partners[1]], "/partner/registrations").text)


def print_matrix(rows) -> None:
	"""Paths x records: for each path and kind of record, how many of the user's own records it reached
	(allowed/denied) and how many of the other partner's."""
	kinds = list(dict.fromkeys(row[1] for row in rows))
	table = {}
	for path, doctype, whose, seen in rows:
		cell = table.setdefault((path, doctype), {"own": [0, 0], "other": [0, 0]})
		cell[whose][0 if seen else 1] += 1
	print("\npartner portal permission matrix: own allowed/denied, other partner's allowed/denied")
	widths = [max(len(kind), 11) for kind in kinds]
	print(" " * 17 + " ".join(kind.ljust(width) for kind, width in zip(kinds, widths, strict=True)))
	for path in dict.fromkeys(row[0] for row in rows):
		cells = []
		for kind, width in zip(kinds, widths, strict=True):
			cell = table.get((path, kind))
			text = f"{cell['own'][0]}/{cell['own'][1]} {cell['other'][0]}/{cell['other'][1]}" if cell else "-"
			cells.append(text.ljust(width))
		print(path.ljust(17) + " ".join(cells).rstrip())
