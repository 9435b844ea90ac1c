"""First approval wins under load: two channel managers approve two conflicting Deal Registrations (two
partners, one prospect) at the same moment, over HTTP against gunicorn (4 workers), round after round.

The server sees only committed rows: each round's registrations are committed, and everything the rounds
made (registrations, Leads, Opportunities, Contacts, Addresses, users, partners) is deleted at the end."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import frappe
import requests
from frappe.model.workflow import apply_workflow
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.setup import workflow
from opportunity_crm.tests.factories import make_sales_partner, make_sales_person, make_user
from opportunity_crm.tests.live_server import LiveServer
from opportunity_crm.tests.test_deal_registration import make_partner_user, prospect

DOCTYPE = "Deal Registration"
ROUNDS = 20


class TestConcurrentApprovals(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		workflow.ensure()
		cls.managers = [make_user("Channel Manager", "Sales Manager") for _ in range(2)]
		cls.partners = [make_sales_partner("Company") for _ in range(2)]
		cls.partner_users = [make_partner_user(partner) for partner in cls.partners]
		cls.sales_person = make_sales_person()
		frappe.db.commit()
		cls.made = {"User": cls.managers + cls.partner_users, "Sales Partner": cls.partners}
		cls.made["Sales Person"] = [cls.sales_person]
		cls.server = LiveServer(workers=4).start()
		cls.sessions = [cls.server.session(manager) for manager in cls.managers]

	@classmethod
	def tearDownClass(cls):
		cls.server.stop()
		delete_committed(cls.made)
		super().tearDownClass()

	def register_both(self) -> tuple[list[str], dict]:
		"""The same prospect (tax id, website, phone, company name without its legal form) registered and
		submitted by each partner's user, each with the contact person it knows there and the name as it
		wrote it: both wait for a decision."""
		values = prospect()
		names = []
		for index, user in enumerate(self.partner_users):
			contact = {
				"prospect_name": prospect_name(values, index),
				"contact_name": f"{values['contact_name']} {index}",
				"contact_email": email(values, index),
			}
			frappe.set_user(user)
			try:
				doc = frappe.get_doc({"doctype": DOCTYPE, **values, **contact}).insert()
				apply_workflow(doc, "Submit")
			finally:
				frappe.set_user("Administrator")
			names.append(doc.name)
		frappe.db.commit()
		self.made.setdefault(DOCTYPE, []).extend(names)
		return names, values

	def approve_at_once(self, names: list[str]) -> list[requests.Response]:
		"""Each manager approves one of the two, released at the same moment."""
		url = self.server.url("/api/method/opportunity_crm.api.approve_deal_registration")
		start = threading.Barrier(len(names))

		def approve(index: int) -> requests.Response:
			payload = {"name": names[index], "sales_person": self.sales_person}
			start.wait()
			return self.sessions[index].post(url, json=payload, timeout=120)

		with ThreadPoolExecutor(max_workers=len(names)) as pool:
			return list(pool.map(approve, range(len(names))))

	def test_of_two_conflicting_approvals_at_once_exactly_one_wins_every_round(self):
		winners = []
		for round_ in range(ROUNDS):
			names, values = self.register_both()
			responses = self.approve_at_once(names)
			frappe.db.rollback()  # a new snapshot: what the server committed

			with self.subTest(round=round_):
				codes = [response.status_code for response in responses]
				self.assertEqual(sorted(codes), [200, 417], [r.text[:300] for r in responses])
				won = codes.index(200)
				winner, loser = names[won], names[1 - won]
				winners.append(won)
				refused = responses[1 - won].json()
				self.assertEqual(refused["exc_type"], "RegistrationConflictError")
				message = " ".join(json.loads(m)["message"] for m in json.loads(refused["_server_messages"]))
				self.assertIn(winner, message)  # staff are told which registration won, and whose
				self.assertIn(self.partners[won], message)

				self.assertEqual(
					{name: frappe.db.get_value(DOCTYPE, name, "status") for name in names},
					{winner: "Approved", loser: "Submitted"},
				)
				lead, opportunity = frappe.db.get_value(DOCTYPE, winner, ["lead", "opportunity"])
				self.assertEqual(frappe.db.get_value(DOCTYPE, loser, ["lead", "opportunity"]), (None, None))
				emails = [email(values, index) for index in (0, 1)]
				self.assertEqual(frappe.get_all("Lead", {"email_id": ("in", emails)}, pluck="name"), [lead])
				opportunities = frappe.get_all("Opportunity", {"party_name": lead}, pluck="name")
				self.assertEqual(opportunities, [opportunity])
				self.assertEqual(
					frappe.db.get_value("Opportunity", opportunity, "sales_partner"), self.partners[won]
				)
				contacts = frappe.get_all(
					"Contact Email", {"email_id": ("in", emails)}, pluck="parent", distinct=True
				)
				self.assertEqual(len(contacts), 1)
				addresses = frappe.get_all(
					"Address",
					{"address_title": ("in", [prospect_name(values, index) for index in (0, 1)])},
					pluck="name",
				)
				self.assertEqual(len(addresses), 1)
				self.made.setdefault("Opportunity", []).append(opportunity)
				self.made.setdefault("Lead", []).append(lead)
				self.made.setdefault("Contact", []).extend(contacts)
				self.made.setdefault("Address", []).extend(addresses)
		print(
			f"\n{ROUNDS} rounds of two approvals at once: first manager won {winners.count(0)}, "
			f"second {winners.count(1)}"
		)


def prospect_name(values: dict, index: int) -> str:
	"""How partner `index` wrote the prospect's name: "PT Maju …", "PT Maju … Tbk" (one company key)."""
	return values["prospect_name"] + ("", " Tbk")[index]


def email(values: dict, index: int) -> str:
	"""The e-mail of partner `index`'s contact at the prospect (siti0@…, siti1@…: one domain)."""
	return values["contact_email"].replace("siti@", f"siti{index}@")


def delete_committed(made: dict) -> None:
	"""Delete what the test committed, the records that point to others first."""
	frappe.db.rollback()
	order = (DOCTYPE, "Opportunity", "Lead", "Contact", "Address", "User", "Sales Partner", "Sales Person")
	for doctype in order:
		for name in made.get(doctype, []):
			if frappe.db.exists(doctype, name):
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
	frappe.db.commit()
