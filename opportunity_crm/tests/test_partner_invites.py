"""Inviting someone who is already a user elsewhere: a Customer's portal user, a desk user, another partner's
user. Refused with who it is, leaving nothing changed; done only when the channel manager confirms."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.data import sha256_hash

from opportunity_crm import api
from opportunity_crm.channel.partner_users import invite, partner_of
from opportunity_crm.constants.roles import PARTNER_USER as ROLE
from opportunity_crm.exceptions import InviteConfirmationError
from opportunity_crm.tests.factories import make_customer, make_sales_partner, make_user, unique


def make_customer_portal_user(customer: str) -> tuple[str, str]:
	"""(user, contact): a Website User tied to `customer` as ERPNext ties portal users (a Contact with the
	user's e-mail, linked to the Customer), with the role Customer."""
	email = f"budi-{frappe.generate_hash(length=8)}@pelanggan.co.id"
	contact = frappe.get_doc({"doctype": "Contact", "first_name": unique("Budi")})
	contact.add_email(email, is_primary=True)
	contact.append("links", {"link_doctype": "Customer", "link_name": customer})
	contact.insert(ignore_permissions=True)
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": contact.first_name,
			"user_type": "Website User",
			"send_welcome_email": 0,
			"roles": [{"role": "Customer"}],
		}
	).insert(ignore_permissions=True)
	return user.name, contact.name


def state(user: str, contact: str | None = None) -> dict:
	"""What an invite changes: the user's role, User Permissions and the Contact's partner links."""
	return {
		"partner_role": ROLE in frappe.get_roles(user),
		"partners": sorted(
			frappe.get_all("User Permission", {"user": user, "allow": "Sales Partner"}, pluck="for_value")
		),
		"contact_partners": sorted(
			frappe.get_all(
				"Dynamic Link",
				{"parenttype": "Contact", "parent": contact, "link_doctype": "Sales Partner"},
				pluck="link_name",
			)
		)
		if contact
		else [],
	}


class TestPartnerInvites(FrappeTestCase):
	def setUp(self):
		self.partner = make_sales_partner("Company")
		self.customer = make_customer()

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_a_customers_portal_user_is_refused_naming_the_customer(self):
		user, contact = make_customer_portal_user(self.customer)
		before = state(user, contact)

		with self.assertRaises(InviteConfirmationError) as refused:
			api.invite_partner_user(self.partner, email=user, first_name="Budi")

		message = str(refused.exception)
		self.assertIn("portal user", message)
		self.assertIn(self.customer, message)
		self.assertEqual(state(user, contact), before)
		self.assertEqual(before["partners"], [])

		# the same person picked as the Contact
		with self.assertRaises(InviteConfirmationError):
			api.invite_partner_user(self.partner, contact=contact)
		self.assertEqual(state(user, contact), before)

	def test_a_customers_contact_without_a_user_is_refused_too(self):
		email = f"sari-{frappe.generate_hash(length=8)}@pelanggan.co.id"
		contact = frappe.get_doc({"doctype": "Contact", "first_name": unique("Sari")})
		contact.add_email(email, is_primary=True)
		contact.append("links", {"link_doctype": "Customer", "link_name": self.customer})
		contact.insert(ignore_permissions=True)

		with self.assertRaises(InviteConfirmationError) as refused:
			api.invite_partner_user(self.partner, email=email, first_name="Sari")

		self.assertIn(self.customer, str(refused.exception))
		self.assertFalse(frappe.db.exists("User", email))

	def test_a_confirmed_invite_of_a_customers_portal_user_goes_ahead(self):
		user, contact = make_customer_portal_user(self.customer)

		result = api.invite_partner_user(self.partner, email=user, first_name="Budi", confirm=True)

		self.assertEqual((result["user"], result["created"]), (user, False))
		self.assertEqual(
			state(user, contact),
			{"partner_role": True, "partners": [self.partner], "contact_partners": [self.partner]},
		)
		self.assertEqual(partner_of(user), self.partner)
		# inviting the partner's own user again asks nothing
		self.assertEqual(api.invite_partner_user(self.partner, email=user, first_name="Budi")["user"], user)

	def test_a_desk_user_is_refused_unless_confirmed(self):
		desk_user = make_user("Sales User")

		with self.assertRaises(InviteConfirmationError) as refused:
			invite(self.partner, email=desk_user, first_name="Agus")
		self.assertIn("desk user", str(refused.exception))
		self.assertEqual(state(desk_user)["partners"], [])

		invite(self.partner, email=desk_user, first_name="Agus", confirm=True)
		self.assertEqual(state(desk_user)["partners"], [self.partner])

	def test_another_partners_user_is_refused_and_moves_when_confirmed(self):
		other = make_sales_partner("Company")
		email = f"rina-{frappe.generate_hash(length=8)}@mitra.co.id"
		user = invite(other, email=email, first_name="Rina")["user"]
		contact = frappe.db.get_value("Contact", {"user": user})

		with self.assertRaises(InviteConfirmationError) as refused:
			invite(self.partner, email=email, first_name="Rina")
		self.assertIn(other, str(refused.exception))
		self.assertEqual(partner_of(user), other)

		invite(self.partner, email=email, first_name="Rina", confirm=True)

		# one user, one partner: the other partner's permission and Contact link are gone
		self.assertEqual(
			state(user, contact),
			{"partner_role": True, "partners": [self.partner], "contact_partners": [self.partner]},
		)
		self.assertEqual(partner_of(user), self.partner)

	def test_a_user_of_no_organisation_is_invited_without_a_question(self):
		email = f"tono-{frappe.generate_hash(length=8)}@example.com"
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": "Tono",
				"user_type": "Website User",
				"send_welcome_email": 0,
			}
		).insert(ignore_permissions=True)

		self.assertEqual(invite(self.partner, email=email, first_name="Tono")["user"], email)
		self.assertEqual(partner_of(email), self.partner)

	# who invites, and without mail ---------------------------------------------------------------------

	def test_a_sales_manager_invites_without_write_on_the_sales_partner(self):
		manager = make_user("Sales Manager")
		# ERPNext leaves the Sales Partner read-only to a Sales Manager
		self.assertFalse(frappe.has_permission("Sales Partner", "write", self.partner, user=manager))
		frappe.set_user(manager)
		email = f"dewi-{frappe.generate_hash(length=8)}@mitra.co.id"
		result = api.invite_partner_user(self.partner, email=email, first_name="Dewi")
		frappe.set_user("Administrator")
		self.assertEqual(partner_of(result["user"]), self.partner)

	def test_a_sales_user_may_not_invite(self):
		frappe.set_user(make_user("Sales User"))
		email = f"eko-{frappe.generate_hash(length=8)}@mitra.co.id"
		with self.assertRaises(frappe.PermissionError):
			api.invite_partner_user(self.partner, email=email, first_name="Eko")
		frappe.set_user("Administrator")
		self.assertFalse(frappe.db.exists("User", email))

	def test_without_outgoing_mail_the_inviter_gets_one_set_password_link(self):
		# no default outgoing Email Account (in the test's transaction, rolled back)
		frappe.db.set_value("Email Account", {"default_outgoing": 1}, "default_outgoing", 0)
		# Frappe caches the account per request, and makes a dummy one while mails are muted
		frappe.local.outgoing_email_account = {}
		muted, frappe.flags.mute_emails = frappe.flags.mute_emails, False
		self.addCleanup(setattr, frappe.flags, "mute_emails", muted)
		self.addCleanup(setattr, frappe.local, "outgoing_email_account", {})
		frappe.clear_messages()
		email = f"sari-{frappe.generate_hash(length=8)}@mitra.co.id"
		result = invite(self.partner, email=email, first_name="Sari")
		self.assertFalse(result["mail_sent"])
		link = result["password_link"]
		self.assertIn("/update-password?key=", link)
		# the link's key is the user's reset key: the partner sets a password with it
		key = link.split("key=", 1)[1]
		self.assertEqual(frappe.db.get_value("User", result["user"], "reset_password_key"), sha256_hash(key))
		# and nothing else is said: no "Please setup default outgoing Email Account" beside it
		self.assertEqual(frappe.message_log, [])
		# a second invitation of the same person makes no new link
		self.assertNotIn("password_link", invite(self.partner, email=email, first_name="Sari"))
