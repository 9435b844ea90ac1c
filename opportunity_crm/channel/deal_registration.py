"""Deal Registration: a Sales Partner's claim on a prospect, and the channel manager's decision on it.

The Workflow "Deal Registration" (`opportunity_crm.setup.workflow`) moves `status`: Draft → Submitted
(partner or staff) → Approved / Rejected / Returned (Channel Manager); Returned → Submitted again once the
partner has edited it; Approved → Converted / Expired (set by the system). Frappe's `validate_workflow`
refuses a move the user's roles do not allow; the rules of each move are here, called by the controller:

- `validate(doc)` on every save: defaults, the fields only staff set, the normalised keys, amounts and
  dates, and, when the status changes, the rules of the new state (conflicts at submit and at approval,
  a decision's reason and Sales Person, the protection window);
- `on_update(doc)` after a save that changed the status: approval creates the deal (`create_deal`), every
  decision leaves a timeline entry and tells the partner by e-mail.

`approve`, `reject` and `return_for_information` are the decisions with their Sales Person and reason:
they apply the workflow's action through Frappe's own `apply_workflow`, atomically; approving twice
creates nothing new.
"""

import frappe
from frappe import _
from frappe.model.workflow import apply_workflow, get_transitions, get_workflow
from frappe.utils import add_days, cint, escape_html, getdate, today

from opportunity_crm.base.atomic import atomic
from opportunity_crm.channel import deal_keys, prospect_lock
from opportunity_crm.channel.partner_access import may_read_registration
from opportunity_crm.channel.partner_users import is_staff, partner_of
from opportunity_crm.exceptions import DealRegistrationError, RegistrationConflictError

DOCTYPE = "Deal Registration"
# the partner may edit while the registration is in these states
PARTNER_EDITABLE = ("Draft", "Returned")
# the workflow's action for each decision
DECISIONS = {"Approved": "Approve", "Rejected": "Reject", "Returned": "Return"}
DONE = ("Approved", "Converted")
# set by staff or by the app, never by a partner
INTERNAL_FIELDS = (
	"sales_person",
	"decision_reason",
	"approved_on",
	"protected_until",
	"expiry_notice_sent",
	"lead",
	"opportunity",
)
DEFAULT_PROTECTION_DAYS = 90


def key_label(key: str) -> str:
	key = key if key.startswith("key_") else f"key_{key}"
	return {
		"key_tax_id": _("tax id"),
		"key_domain": _("domain or account"),
		"key_phone": _("phone"),
		"key_name": _("company name"),
	}.get(key, key)


# Saving ------------------------------------------------------------------------------------------------


def validate(doc) -> None:
	set_defaults(doc)
	keep_internal_fields(doc)
	set_keys(doc)
	check_values(doc)
	state = new_state(doc)
	if state == "Submitted":
		check_submission(doc)
	elif state == "Approved":
		check_approval(doc)
	elif state in ("Rejected", "Returned"):
		check_decision(doc)


def new_state(doc) -> str | None:
	"""The status the save moves to, or None when it stays (or the registration is new)."""
	before = doc.get_doc_before_save()
	if before is None or before.status == doc.status:
		return None
	return doc.status


def set_defaults(doc) -> None:
	if not doc.company:
		doc.company = frappe.defaults.get_user_default("Company") or frappe.defaults.get_global_default(
			"company"
		)
	if doc.is_new() and not is_staff():
		doc.partner_user = frappe.session.user
		doc.sales_partner = doc.sales_partner or partner_of(frappe.session.user)
	if not doc.currency and doc.company:
		doc.currency = frappe.get_cached_value("Company", doc.company, "default_currency")
	if not doc.country and doc.company:
		doc.country = frappe.get_cached_value("Company", doc.company, "country")


def keep_internal_fields(doc) -> None:
	"""A partner (no staff role) may not set what the channel manager or the app sets, nor move the
	registration to another user."""
	if is_staff():
		return
	before = doc.get_doc_before_save()
	decision = doc.flags.get("decision") or {}
	for fieldname in INTERNAL_FIELDS + (() if before is None else ("partner_user",)):
		if fieldname in decision:
			continue
		stored = before.get(fieldname) if before is not None else None
		if (doc.get(fieldname) or None) != (stored or None):
			frappe.throw(
				_("{0}: only a channel manager sets this field.").format(_(doc.meta.get_label(fieldname))),
				DealRegistrationError,
				title=_("Not allowed"),
			)


def set_keys(doc) -> None:
	"""The four normalised keys of the prospect (`deal_keys`)."""
	deal_keys.set_keys_from_sources(doc)


def check_values(doc) -> None:
	if doc.expected_amount is not None and doc.expected_amount < 0:
		throw_field(doc, "expected_amount", _("{0} cannot be negative."))
	for row in doc.items:
		if row.qty is not None and row.qty < 0:
			frappe.throw(
				_("Items, row {0}: Quantity cannot be negative.").format(row.idx), DealRegistrationError
			)
	if doc.address_line1 and not doc.city:
		throw_field(doc, "city", _("{0} is required with an address."))


def throw_field(doc, fieldname: str, message: str) -> None:
	frappe.throw(message.format(_(doc.meta.get_label(fieldname))), DealRegistrationError)


def check_submission(doc) -> None:
	if doc.expected_closing and getdate(doc.expected_closing) < getdate(today()):
		throw_field(doc, "expected_closing", _("{0} cannot be in the past."))
	check_conflicts(doc)


def check_approval(doc) -> None:
	if not doc.sales_person:
		throw_field(doc, "sales_person", _("{0} is required to approve: the deal's owner."))
	sales_person = frappe.db.get_value(
		"Sales Person", doc.sales_person, ["enabled", "is_group"], as_dict=True
	)
	if not sales_person or not sales_person.enabled or sales_person.is_group:
		throw_field(doc, "sales_person", _("{0} must be an enabled Sales Person who is not a group."))
	check_conflicts(doc)
	doc.approved_on = today()
	doc.protected_until = add_days(doc.approved_on, protection_days())
	doc.expiry_notice_sent = 0


def check_decision(doc) -> None:
	if not (doc.decision_reason or "").strip():
		throw_field(doc, "decision_reason", _("{0} is required: the partner is told why."))


def protection_days() -> int:
	return (
		cint(frappe.db.get_single_value("Opportunity CRM Settings", "registration_protection_days"))
		or DEFAULT_PROTECTION_DAYS
	)


# Matches and conflicts -----------------------------------------------------------------------------------


def find_matches(doc, locking: bool = False) -> list[dict]:
	"""Leads, Customers, Prospects, open Opportunities and live registrations sharing a key with the
	registration (`deal_keys.find_matches`, indexed look-ups), without the registration itself."""
	keys = {field: doc.get(field) for field in deal_keys.KEY_FIELDS if doc.get(field)}
	if not keys:
		return []
	matches = deal_keys.find_matches(keys, exclude=doc if doc.name else None, locking=locking)
	return [
		frappe._dict(match)
		for match in matches
		if not (match.get("doctype") == DOCTYPE and match.get("name") == doc.name)
	]


def is_protected(match) -> bool:
	"""An approved registration whose protection runs through today (as the match read it)."""
	if match.doctype != DOCTYPE or match.status != "Approved":
		return False
	return bool(match.protected_until) and getdate(match.protected_until) >= getdate(today())


def is_conflict(doc, match) -> bool:
	"""Another partner's protected registration."""
	return is_protected(match) and match.sales_partner != doc.sales_partner


def is_duplicate(doc, match) -> bool:
	"""The same partner's live registration for the same prospect."""
	return (
		match.doctype == DOCTYPE
		and match.sales_partner == doc.sales_partner
		and (match.status in ("Submitted", "Returned") or is_protected(match))
	)


def check_conflicts(doc) -> None:
	"""First approved wins, under concurrency too: the prospect's lock (`prospect_lock`), then the matches
	with the approved registrations read afresh (a locking read). Of two conflicting registrations
	approved at the same moment, the second waits for the first and sees it approved."""
	prospect_lock.lock_prospect(deal_keys.keys_of(doc))
	refuse_conflicts(doc, refresh_matches(doc, locking=True))


def refresh_matches(doc, locking: bool = False) -> list:
	matches = find_matches(doc, locking=locking)
	doc.set("matches", [])
	for match in matches:
		doc.append(
			"matches",
			{
				"match_doctype": match.doctype,
				"match_name": match.name,
				"match_key": key_label(match.get("key") or ""),
				"match_value": match.get("value"),
				"match_status": match.get("status"),
				"match_partner": match.get("sales_partner"),
				"conflict": int(is_conflict(doc, match)),
			},
		)
	doc.in_conflict = int(bool(matches))
	return matches


def refuse_conflicts(doc, matches: list) -> None:
	"""First approved wins: while another partner's approved registration protects the prospect, this
	one can be neither submitted nor approved; the same partner registers a prospect once."""
	for match in matches:
		if is_conflict(doc, match):
			until = frappe.format(match.protected_until, "Date")
			if is_staff():
				message = _(
					"Conflict: {0} is protected until {1} by Deal Registration {2} of Sales Partner {3}, "
					"approved first (same {4}: {5}). Another partner's registration is refused while it holds."
				).format(
					frappe.bold(doc.prospect_name),
					until,
					frappe.bold(match.name),
					frappe.bold(match.sales_partner),
					key_label(match.key),
					match.value,
				)
			else:
				message = _(
					"Conflict: {0} is already registered by another partner and protected until {1} "
					"(same {2}: {3}). Your registration cannot be accepted while that one holds."
				).format(frappe.bold(doc.prospect_name), until, key_label(match.key), match.value)
			frappe.throw(message, RegistrationConflictError, title=_("Registration conflict"))
		if is_duplicate(doc, match):
			frappe.throw(
				_(
					"{0} is already registered by your partner as Deal Registration {1} ({2}; same {3}: {4})."
					" Update that registration instead."
				).format(
					frappe.bold(doc.prospect_name),
					frappe.bold(match.name),
					_(match.status),
					key_label(match.key),
					match.value,
				),
				RegistrationConflictError,
				title=_("Already registered"),
			)


# After saving ------------------------------------------------------------------------------------------


def on_update(doc) -> None:
	state = new_state(doc)
	if state == "Approved" and not doc.opportunity:
		create_deal(doc)
	if state in DECISIONS:
		record_decision(doc, state)


def create_deal(doc) -> None:
	"""The Lead (reused when one with the same key has no Opportunity yet) with the prospect's Address and
	Contact, converted by the app's own conversion into the Opportunity of the partner and the Sales
	Person; the three link to each other."""
	from opportunity_crm.opportunities.lead_conversion import convert_lead

	lead = reusable_lead(doc) or make_lead(doc)
	link_contact(doc, lead)
	link_address(doc, lead)
	opportunity = convert_lead(lead, doc.company, doc.sales_partner, doc.sales_person)
	fill_opportunity(doc, opportunity)
	doc.db_set({"lead": lead, "opportunity": opportunity}, update_modified=False)
	note = _("From Deal Registration {0} of Sales Partner {1}, approved on {2}.").format(
		doc.name, doc.sales_partner, frappe.format(doc.approved_on, "Date")
	)
	for doctype, name in (("Lead", lead), ("Opportunity", opportunity)):
		frappe.get_doc(doctype, name).add_comment("Info", note)


def reusable_lead(doc) -> str | None:
	"""A Lead matching the registration (strongest key first) that has no Opportunity yet; or the Lead
	holding the contact's e-mail (ERPNext keeps a Lead's e-mail unique), when it has none."""
	order = {field: index for index, field in enumerate(deal_keys.KEY_FIELDS)}
	leads = sorted(
		(match for match in find_matches(doc) if match.doctype == "Lead"),
		key=lambda match: order.get(
			match.key if str(match.key).startswith("key_") else f"key_{match.key}", 9
		),
	)
	candidates = [match.name for match in leads]
	if doc.contact_email:
		candidates += frappe.get_all("Lead", filters={"email_id": doc.contact_email}, pluck="name")
	for lead in dict.fromkeys(candidates):
		if not frappe.db.get_value("Lead", lead, "disabled") and not frappe.db.exists(
			"Opportunity", {"lead": lead}
		):
			return lead
	if doc.contact_email:
		taken = frappe.db.get_value("Lead", {"email_id": doc.contact_email}, "name")
		if taken:
			frappe.throw(
				_(
					"Contact E-mail {0} belongs to Lead {1}, which already has Opportunity {2}: "
					"correct the e-mail or work the existing Opportunity."
				).format(
					frappe.bold(doc.contact_email),
					frappe.bold(taken),
					frappe.bold(frappe.db.get_value("Opportunity", {"lead": taken})),
				),
				RegistrationConflictError,
			)
	return None


def make_lead(doc) -> str:
	lead = frappe.new_doc("Lead")
	lead.update(
		{
			"company_name": doc.prospect_name,
			"first_name": doc.contact_name or doc.prospect_name,
			"email_id": doc.contact_email,
			"phone": doc.contact_phone,
			"website": doc.website,
			"city": doc.city,
			"country": doc.country,
			"company": doc.company,
		}
	)
	lead.insert()
	return lead.name


def linked(doctype: str, lead: str) -> list[str]:
	return frappe.get_all(
		"Dynamic Link",
		filters={"parenttype": doctype, "link_doctype": "Lead", "link_name": lead},
		pluck="parent",
	)


def link_contact(doc, lead: str) -> None:
	"""The registration's contact, linked to the Lead (ERPNext may have made it from the Lead already)."""
	contacts = linked("Contact", lead)
	if doc.contact_email:
		if frappe.db.exists(
			"Contact Email", {"parent": ("in", contacts or [""]), "email_id": doc.contact_email}
		):
			return
	elif contacts:
		return
	contact = frappe.new_doc("Contact")
	contact.update({"first_name": doc.contact_name or doc.prospect_name, "company_name": doc.prospect_name})
	if doc.contact_email:
		contact.append("email_ids", {"email_id": doc.contact_email, "is_primary": 1})
	if doc.contact_phone:
		contact.append("phone_nos", {"phone": doc.contact_phone, "is_primary_phone": 1})
	contact.append("links", {"link_doctype": "Lead", "link_name": lead})
	contact.insert(ignore_permissions=True)


def link_address(doc, lead: str) -> None:
	if not doc.address_line1:
		return
	if frappe.db.exists(
		"Address",
		{
			"name": ("in", linked("Address", lead) or [""]),
			"address_line1": doc.address_line1,
			"city": doc.city,
		},
	):
		return
	address = frappe.new_doc("Address")
	address.update(
		{
			"address_title": doc.prospect_name,
			"address_type": "Office",
			"address_line1": doc.address_line1,
			"city": doc.city,
			"country": doc.country,
		}
	)
	address.append("links", {"link_doctype": "Lead", "link_name": lead})
	address.insert(ignore_permissions=True)


def fill_opportunity(doc, name: str) -> None:
	"""The wish list, the amount and the expected closing of the registration."""
	opportunity = frappe.get_doc("Opportunity", name)
	for row in doc.items:
		if row.item_code:
			opportunity.append(
				"items",
				{
					"item_code": row.item_code,
					"qty": row.qty or 1,
					"description": row.description,
					"rate": selling_rate(row.item_code),
				},
			)
	if doc.expected_amount:
		opportunity.opportunity_amount = doc.expected_amount
	if doc.currency:
		opportunity.currency = doc.currency
	if doc.expected_closing:
		opportunity.expected_closing = doc.expected_closing
	opportunity.save()


def selling_rate(item_code: str) -> float:
	"""The item's price in the default selling price list, else 0: a wish list, priced by the Quotation."""
	price_list = frappe.db.get_single_value("Selling Settings", "selling_price_list")
	return (
		price_list
		and frappe.db.get_value(
			"Item Price", {"item_code": item_code, "price_list": price_list, "selling": 1}, "price_list_rate"
		)
	) or 0


def record_decision(doc, state: str) -> None:
	"""A timeline entry with the reason. The partner's e-mail is the Notification "Deal Registration
	<state>" that the app ships (setup/notifications.py): Frappe sends it when the status changes.

	The partner reads the registration's timeline (Frappe's `get_docinfo` returns every comment of a
	document its reader may open), so the entry says only what the partner may know: the decision, the
	Opportunity and the protection. The Lead and the Sales Person stay in their fields on permission
	level 1, which only the channel team reads."""
	reason = (doc.decision_reason or "").strip()
	if state == "Approved":
		text = _("Approved: Opportunity {0}, protected until {1}.").format(
			doc.opportunity, frappe.format(doc.protected_until, "Date")
		)
	elif state == "Rejected":
		text = _("Rejected.")
	else:
		text = _("Returned for more information.")
	if reason:
		text += " " + _("Reason: {0}").format(escape_html(reason))
	doc.add_comment("Info", text)


# Decisions ----------------------------------------------------------------------------------------------


def submit(name: str) -> dict:
	"""Draft or Returned → Submitted, with the conflict check."""
	with atomic():
		lock_prospect_of(name)
		doc = frappe.get_doc(DOCTYPE, name, for_update=True)
		if doc.status != "Submitted":
			require_action(doc, "Submit")
			apply_workflow(doc, "Submit")
	return result(doc)


def approve(name: str, sales_person: str, reason: str | None = None) -> dict:
	return decide(name, "Approved", sales_person=sales_person, reason=reason)


def reject(name: str, reason: str) -> dict:
	return decide(name, "Rejected", reason=reason)


def return_for_information(name: str, reason: str) -> dict:
	return decide(name, "Returned", reason=reason)


def decide(name: str, state: str, sales_person: str | None = None, reason: str | None = None) -> dict:
	"""Apply the workflow's action for `state` with its Sales Person and reason, all or nothing. A
	registration already in that state (approved or converted, for an approval) is left as it is."""
	with atomic():
		if state == "Approved":
			lock_prospect_of(name)
		doc = frappe.get_doc(DOCTYPE, name, for_update=True)
		if doc.status == state or (state == "Approved" and doc.status in DONE):
			return result(doc)
		if state == "Approved":
			frappe.has_permission("Opportunity", "create", throw=True)
		decision = {"decision_reason": (reason or "").strip() or None}
		if sales_person:
			decision["sales_person"] = sales_person
		# `apply_workflow` reloads the document from the database; its flags stay, and `before_validate`
		# of the controller puts the decision on it, so the state and its reason are saved together.
		doc.flags.decision = decision
		require_action(doc, DECISIONS[state])
		apply_workflow(doc, DECISIONS[state])
	return result(doc)


def lock_prospect_of(name: str) -> None:
	"""The prospect's lock before the registration's own row lock: the order every check takes them in
	when it can (a desk save locks its row first; `deal_keys.approved_lookup` keeps that safe too)."""
	prospect_lock.lock_prospect(frappe.db.get_value(DOCTYPE, name, deal_keys.KEY_FIELDS, as_dict=True) or {})


def require_action(doc, action: str) -> None:
	"""The workflow offers `action` here to this user: else say why (the state, or the role)."""
	workflow = get_workflow(DOCTYPE)
	offered = [t for t in workflow.transitions if t.state == doc.status and t.action == action]
	if not offered:
		frappe.throw(
			_("Deal Registration {0} is {1}: {2} is not possible from this state.").format(
				frappe.bold(doc.name), _(doc.status), _(action)
			),
			DealRegistrationError,
		)
	if not any(t.action == action for t in get_transitions(doc, workflow)):
		frappe.throw(
			_("{0} a Deal Registration: only a user with the role {1} may.").format(
				_(action), ", ".join(sorted({_(t.allowed) for t in offered}))
			),
			frappe.PermissionError,
		)


def apply_decision(doc) -> None:
	"""The decision the caller gave (`decide`), on the document `apply_workflow` reloaded."""
	for fieldname, value in (doc.flags.get("decision") or {}).items():
		doc.set(fieldname, value)


def result(doc) -> dict:
	"""What the caller learns; a partner's saved document holds only the fields it may read (the Lead is
	the channel team's: None to a partner, `partner_access.hand_back_readable`)."""
	return {
		"name": doc.name,
		"status": doc.status,
		"lead": doc.get("lead"),
		"opportunity": doc.get("opportunity"),
		"protected_until": str(doc.protected_until) if doc.get("protected_until") else None,
	}


# Permissions --------------------------------------------------------------------------------------------


def has_permission(doc, ptype=None, user=None, debug=False) -> bool:
	"""A partner's registrations are their own partner's, and theirs to change only while Draft or
	Returned (the stored status: a submit changes it in the same save). Staff: Frappe's rules alone.

	True (no objection) or False, never None: Frappe v16's `has_controller_permissions` denies on any
	falsy answer, None included (v15 read None as "no opinion"); see `opportunity_crm.opportunities.permissions`."""
	user = user or frappe.session.user
	if is_staff(user):
		return True
	# a partner session: its own partner's registrations only (the same rule as the list's condition)
	if not may_read_registration(doc, user):
		return False
	if ptype in ("write", "delete", "cancel", "submit") and not doc.is_new():
		stored = frappe.db.get_value(DOCTYPE, doc.name, "status")
		if stored and stored not in PARTNER_EDITABLE:
			return False
	return True
