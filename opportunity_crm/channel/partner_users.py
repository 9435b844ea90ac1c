"""Partner users: the people of a Sales Partner, as Frappe ties portal users to a party.

ERPNext ties a portal user to a Customer or Supplier through a Contact with the user's e-mail linked to
the party (Dynamic Link, `erpnext.portal.utils`). A partner user is the same for a Sales Partner:

- a Website User (no desk access) with the role "Partner User" (its home page is the partner portal,
  /partner);
- a Contact with the user's e-mail, linked to the Sales Partner, whose `user` is the user;
- a User Permission on that Sales Partner, applied to every doctype: Frappe's User Permissions, and the
  app's row-level access (`opportunity_crm.opportunities.permissions`), then limit whatever the user reads over REST,
  `frappe.client` and reports to the partner's records.

`partner_of(user)` is the one answer to "whose partner user is this": the Sales Partner of the user's
User Permission, for a user with the role. A user with permissions on several partners is nobody's
(None): the portal does not guess.
"""

import frappe
from frappe import _
from frappe.permissions import add_user_permission
from frappe.utils import validate_email_address

from opportunity_crm.constants.roles import INVITER_ROLES, PARTNER_USER, STAFF_ROLES
from opportunity_crm.exceptions import InvalidArgumentError, InviteConfirmationError, PartnerUserError

PORTAL_HOME = "/partner"


def is_staff(user: str | None = None) -> bool:
	"""A desk user who runs the partner channel (a partner session is a Partner User without it)."""
	return bool(set(frappe.get_roles(user or frappe.session.user)) & set(STAFF_ROLES))


def ensure_role() -> None:
	"""The role "Partner User" (no desk access; home page: the partner portal). Install and tests."""
	if frappe.db.exists("Role", PARTNER_USER):
		return
	frappe.get_doc(
		{"doctype": "Role", "role_name": PARTNER_USER, "desk_access": 0, "home_page": PORTAL_HOME}
	).insert(ignore_permissions=True)


def partner_of(user: str | None = None) -> str | None:
	"""The Sales Partner `user` (default: the session's user) works for, or None."""
	user = user or frappe.session.user
	if not user or user in ("Guest", "Administrator") or PARTNER_USER not in frappe.get_roles(user):
		return None
	partners = set(
		frappe.get_all(
			"User Permission",
			filters={"user": user, "allow": "Sales Partner", "apply_to_all_doctypes": 1},
			pluck="for_value",
		)
	)
	return partners.pop() if len(partners) == 1 else None


def require_inviter(sales_partner: str) -> None:
	"""The session's user may invite the people of `sales_partner`: write on it, or read on it and one of
	INVITER_ROLES (sales_partner.js shows the Invite button on the same rule). 403 otherwise."""
	from opportunity_crm.base.checks import require_record

	require_record("Sales Partner", sales_partner, "sales_partner", "read")
	if set(INVITER_ROLES) & set(frappe.get_roles()) or frappe.has_permission(
		"Sales Partner", "write", sales_partner
	):
		return
	frappe.throw(
		_(
			"sales_partner: inviting the people of Sales Partner {0} needs write on it, or the role Sales Manager or Channel Manager."
		).format(frappe.bold(sales_partner)),
		frappe.PermissionError,
	)


def invite(
	sales_partner: str,
	contact: str | None = None,
	email: str | None = None,
	first_name: str | None = None,
	last_name: str | None = None,
	confirm: bool = False,
) -> dict:
	"""Make the person a partner user of `sales_partner`: an existing `contact`, or a new Contact with
	`email` and `first_name` (`last_name`). Creates or reuses the Website User for the Contact's e-mail,
	gives it the role, links the Contact to the partner, adds the User Permission and sends Frappe's
	welcome mail to a new user. A second call changes nothing.

	An e-mail that is already someone's user elsewhere — a Customer's or Supplier's portal user, a desk
	user, another partner's user — is refused with who the user is (`InviteConfirmationError`), unless
	`confirm`: then the user also becomes this partner's (another partner's user moves: one user works for
	one partner).

	Returns {"user", "contact", "created": whether the user is new}."""
	if not frappe.db.exists("Sales Partner", sales_partner):
		frappe.throw(
			_("sales_partner: Sales Partner {0} does not exist.").format(frappe.bold(sales_partner)),
			frappe.DoesNotExistError,
		)
	if contact:
		if not frappe.db.exists("Contact", contact):
			frappe.throw(
				_("contact: Contact {0} does not exist.").format(frappe.bold(contact)),
				frappe.DoesNotExistError,
			)
		contact_doc = frappe.get_doc("Contact", contact)
		email = contact_doc.email_id
		if not email:
			frappe.throw(
				_(
					"Contact {0} has no e-mail address (field email_id): a partner user logs in with it."
				).format(frappe.bold(contact)),
				PartnerUserError,
			)
	else:
		if not email or not first_name:
			frappe.throw(
				_(
					"Give a Contact (contact), or the e-mail (email) and first name (first_name) of a new one."
				),
				InvalidArgumentError,
			)
		contact_doc = None
	email = email.strip().lower()
	if not validate_email_address(email):
		frappe.throw(_("email: {0} is not a valid e-mail address.").format(email), InvalidArgumentError)

	user, created = ensure_user(
		email, sales_partner, contact_doc or frappe._dict(first_name=first_name), confirm
	)
	if contact_doc is None:
		contact_doc = find_or_make_contact(email, first_name, last_name)
	link_contact(contact_doc, sales_partner, user)
	if confirm:
		leave_other_partners(user, contact_doc, sales_partner)
	if not frappe.db.exists(
		"User Permission",
		{"user": user, "allow": "Sales Partner", "for_value": sales_partner, "apply_to_all_doctypes": 1},
	):
		add_user_permission("Sales Partner", sales_partner, user, ignore_permissions=True)
	result = {"user": user, "contact": contact_doc.name, "created": created, "mail_sent": False}
	if created:
		result["mail_sent"] = send_welcome_mail(user)
		if not result["mail_sent"]:
			result["password_link"] = password_link(user)
	return result


def send_welcome_mail(user: str) -> bool:
	"""Frappe's welcome mail (a link to set the password), as the User form sends it. False without an
	outgoing Email Account: the user is still made, and Frappe's own message about the missing account is
	taken back (the inviter gets one message, with the link to hand over: `password_link`)."""
	doc = frappe.get_doc("User", user)
	# queued, not sent inside the request: the inviter does not wait on the mail server, and a mail
	# server that is down does not undo the invitation (Frappe's scheduler sends the Email Queue)
	doc.flags.delay_emails = True
	try:
		doc.send_welcome_mail_to_user()
		return True
	except frappe.OutgoingEmailError:
		frappe.clear_last_message()
		return False


def password_link(user: str) -> str:
	"""A one-time link for `user` to set a password (Frappe's reset key, the same the welcome mail holds;
	it expires as System Settings ▸ reset_password_link_expiry_duration says), for the inviter to hand
	over when no mail can go."""
	return frappe.get_doc("User", user).reset_password(send_email=False)


def ensure_user(email: str, sales_partner: str, person, confirm: bool = False) -> tuple[str, bool]:
	"""(user, created): the Website User of `email`, with the role. A user who is already someone's
	elsewhere is refused unless `confirm` (`refuse_unless_confirmed`)."""
	user = frappe.db.get_value("User", {"name": email}, "name") or frappe.db.get_value(
		"User", {"email": email}, "name"
	)
	if not confirm:
		refuse_unless_confirmed(email, user, sales_partner)
	if not user:
		doc = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": person.get("first_name") or email.split("@")[0],
				"last_name": person.get("last_name"),
				"user_type": "Website User",
				# the mail goes after the User Permission (invite)
				"send_welcome_email": 0,
				"roles": [{"role": PARTNER_USER}],
			}
		)
		doc.insert(ignore_permissions=True)
		return doc.name, True
	if PARTNER_USER not in frappe.get_roles(user):
		doc = frappe.get_doc("User", user)
		doc.flags.ignore_permissions = True
		doc.add_roles(PARTNER_USER)
	return user, False


def refuse_unless_confirmed(email: str, user: str | None, sales_partner: str) -> None:
	"""Refuse, saying who the person is, an e-mail that belongs elsewhere: a desk user (a User Permission on
	the partner would also narrow what they see on the desk), another partner's user, or a Customer's or
	Supplier's person (their Contact is linked to it: its portal user, or one it may become). Inviting
	this partner's own user again is no question."""
	if user and frappe.db.exists(
		"User Permission", {"user": user, "allow": "Sales Partner", "for_value": sales_partner}
	):
		return
	if user and frappe.db.get_value("User", user, "user_type") != "Website User":
		who = _("{0} is a desk user (System User) of this site.").format(frappe.bold(user))
	elif user and (other := other_partners(user, sales_partner)):
		who = _("{0} is already a partner user of Sales Partner {1}.").format(
			frappe.bold(user), frappe.bold(other[0])
		)
	elif party := portal_party(email, user):
		who = (
			_("{0} is a portal user of {1} {2}.") if user else _("{0} is the e-mail of a contact of {1} {2}.")
		).format(frappe.bold(email), _(party.link_doctype), frappe.bold(party.link_name))
	else:
		return
	frappe.throw(
		who
		+ " "
		+ _(
			"Invite a partner's people with their own e-mail address; to make this user a partner user of "
			"{0} anyway, confirm the invitation (confirm)."
		).format(frappe.bold(sales_partner)),
		InviteConfirmationError,
		title=_("Confirm the invitation"),
	)


def portal_party(email: str, user: str | None = None):
	"""The Customer or Supplier a Contact of `email` (or of `user`) is linked to — ERPNext's tie of a portal
	user to its party — or None."""
	contacts = set(frappe.get_all("Contact Email", filters={"email_id": email}, pluck="parent"))
	if user:
		contacts |= set(frappe.get_all("Contact", filters={"user": user}, pluck="name"))
	if not contacts:
		return None
	return frappe.db.get_value(
		"Dynamic Link",
		{
			"parenttype": "Contact",
			"parent": ("in", list(contacts)),
			"link_doctype": ("in", ("Customer", "Supplier")),
		},
		["link_doctype", "link_name"],
		as_dict=True,
		order_by="link_doctype, link_name",
	)


def leave_other_partners(user: str, contact, sales_partner: str) -> None:
	"""A confirmed invite moves another partner's user: its User Permissions on other partners go, and its
	Contact is no longer linked to them."""
	for name in frappe.get_all(
		"User Permission",
		filters={"user": user, "allow": "Sales Partner", "for_value": ("!=", sales_partner)},
		pluck="name",
	):
		frappe.delete_doc("User Permission", name, ignore_permissions=True, force=True)
	contact.reload()
	kept = [
		link
		for link in contact.links
		if not (link.link_doctype == "Sales Partner" and link.link_name != sales_partner)
	]
	if len(kept) != len(contact.links):
		contact.set("links", kept)
		contact.flags.ignore_permissions = True
		contact.save()


def remove_partner_user_permissions() -> None:
	"""Uninstall: the User Permissions on Sales Partners that invitations gave partner users (the users and
	their Contacts stay: people, their history; without the role they see nothing)."""
	users = frappe.get_all("Has Role", filters={"role": PARTNER_USER, "parenttype": "User"}, pluck="parent")
	if users:
		frappe.db.delete(
			"User Permission", {"user": ("in", users), "allow": "Sales Partner", "apply_to_all_doctypes": 1}
		)


def other_partners(user: str, sales_partner: str) -> list[str]:
	return frappe.get_all(
		"User Permission",
		filters={"user": user, "allow": "Sales Partner", "for_value": ("!=", sales_partner)},
		pluck="for_value",
	)


def find_or_make_contact(email: str, first_name: str, last_name: str | None):
	from frappe.contacts.doctype.contact.contact import get_contact_name

	name = get_contact_name(email)
	if name:
		return frappe.get_doc("Contact", name)
	contact = frappe.get_doc({"doctype": "Contact", "first_name": first_name, "last_name": last_name})
	contact.add_email(email, is_primary=True)
	return contact.insert(ignore_permissions=True)


def link_contact(contact, sales_partner: str, user: str) -> None:
	"""Link the Contact to the partner (Dynamic Link) and to the user, where it is not yet."""
	# fresh: a new user's insert has just updated the Contact of its e-mail (Frappe's `create_contact`)
	contact.reload()
	changed = False
	if not any(
		link.link_doctype == "Sales Partner" and link.link_name == sales_partner for link in contact.links
	):
		contact.append("links", {"link_doctype": "Sales Partner", "link_name": sales_partner})
		changed = True
	if contact.user != user:
		contact.user = user
		changed = True
	if changed:
		contact.flags.ignore_permissions = True
		contact.save()
