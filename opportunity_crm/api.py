"""Whitelisted methods: POST /api/method/opportunity_crm.api.<name>, also callable from desk.

Each checks permission on the record it starts from and hands over to the domain function; every
refusal is a Frappe validation error (HTTP 4xx) and leaves nothing half-written.

Every method here is declared with `@api_method()` (never `@frappe.whitelist` alone), with a type
annotation on each argument and a default on each optional one:

	@api_method()
	def convert_lead(lead: str, company: str | None = None) -> dict: ...

`api_method` whitelists it (POST only unless `methods=` says otherwise) and keeps the contract of the
module, before the method's own code runs:

- an argument the signature does not have, including `flags` / `ignore_permissions` that Frappe would
  drop silently, is refused: `InvalidArgumentError` (417) naming it;
- a required argument that is not given: `InvalidArgumentError` (417) naming it, not a TypeError (500);
- a value of another type than the annotation: Frappe's `FrappeTypeError` (417) naming the argument,
  from Frappe's own check of whitelisted methods (`frappe.whitelist` wraps each in
  `frappe.utils.typing_validations.validate_argument_types`, run in a request and in tests); `api_method`
  adds only the two checks Frappe lacks, by name (unknown and missing arguments), after it;
- a deadlock runs the whole call again from a clean state (`base.atomic.run_retrying`), up to three
  times; then, or on a lock wait timeout, `BusyError` (409).

`test_rest_contract` checks every whitelisted function of this module for it, over HTTP.
"""

import copy
import functools
import inspect

import frappe
from frappe import _

from opportunity_crm.base.atomic import run_retrying
from opportunity_crm.base.checks import require_enabled, require_record
from opportunity_crm.exceptions import InvalidArgumentError
from opportunity_crm.opportunities import (
	bulk_conversion,
	customer_conversion,
	lead_conversion,
	opportunity_creation,
)

# keys Frappe puts in a request's arguments itself (`cmd`: the method's path), never the caller's
FRAPPE_KEYS = {"cmd"}
# keys Frappe's `get_newargs` drops from a request's arguments without a word
DROPPED_BY_FRAPPE = ("flags", "ignore_permissions")


def api_method(methods: tuple[str, ...] = ("POST",)):
	"""Whitelist a method of this module with its argument checks and its deadlock retry (see the
	module's docstring)."""

	def decorate(method):
		signature = inspect.signature(method)

		@functools.wraps(method)
		def wrapper(*args, **kwargs):
			arguments = check_arguments(method, signature, args, kwargs)
			# each attempt gets its own copy: a failed one may have changed what it was given
			return run_retrying(lambda: method(**copy.deepcopy(arguments)))

		# Frappe passes a request's arguments on by the signature, dropping those it does not name:
		# `**kwargs` makes it pass them all, so that an unknown one can be refused by name.
		wrapper.__signature__ = signature.replace(
			parameters=[
				*signature.parameters.values(),
				inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD),
			]
		)
		# Frappe's own type check (`validate_argument_types`, added by `frappe.whitelist`) reads the
		# annotations `functools.wraps` copied; not the return's: a request argument named "return" would
		# be checked against it and fail with a 500 (Frappe looks up a parameter of that name).
		wrapper.__annotations__ = {
			name: annotation for name, annotation in method.__annotations__.items() if name != "return"
		}
		wrapper.opportunity_crm_api_method = True
		return frappe.whitelist(methods=list(methods))(wrapper)

	return decorate


def check_arguments(method, signature: inspect.Signature, args: tuple, kwargs: dict) -> dict:
	"""The arguments by name, once none is unknown or missing (Frappe has checked their types)."""
	parameters = signature.parameters
	given = {key: value for key, value in kwargs.items() if key not in FRAPPE_KEYS or key in parameters}
	unknown = [key for key in given if key not in parameters] + dropped_by_frappe(kwargs, parameters)
	if unknown:
		throw_argument_error(_("{0}: unknown argument {1}. It takes {2}."), method, unknown, parameters)
	try:
		arguments = dict(signature.bind_partial(*args, **given).arguments)
	except TypeError as e:
		frappe.throw(
			_("{0}: invalid arguments ({1}).").format(method.__name__, e),
			InvalidArgumentError,
			title=_("Invalid argument"),
		)
	missing = [
		name
		for name, parameter in parameters.items()
		if parameter.default is parameter.empty and name not in arguments
	]
	if missing:
		throw_argument_error(_("{0}: missing argument {1}. It takes {2}."), method, missing, parameters)
	return arguments


def dropped_by_frappe(kwargs: dict, parameters) -> list[str]:
	"""`flags` / `ignore_permissions` of the request this call comes straight from."""
	form = getattr(frappe.local, "form_dict", None) or {}
	dropped = [key for key in DROPPED_BY_FRAPPE if key in form and key not in parameters]
	if not dropped or not getattr(frappe.local, "request", None):
		return []
	from_request = {key for key in form if key not in dropped} - FRAPPE_KEYS == set(kwargs) - FRAPPE_KEYS
	return dropped if from_request else []


def throw_argument_error(message: str, method, names: list, parameters) -> None:
	frappe.throw(
		message.format(method.__name__, ", ".join(repr(name)[:60] for name in names), ", ".join(parameters)),
		InvalidArgumentError,
		title=_("Invalid argument"),
	)


@api_method()
def convert_lead(
	lead: str, company: str | None = None, sales_partner: str | None = None, sales_person: str | None = None
) -> dict:
	"""Create the Opportunity of a Lead and link every Address and Contact of the Lead to it."""
	# The Lead's existence and state are checked where it is locked; read permission on it by ERPNext's
	# mapper, which loads it.
	return {"opportunity": lead_conversion.convert_lead(lead, company, sales_partner, sales_person)}


@api_method()
def create_opportunity(opportunity: dict | str, addresses: list | str, contacts: list | str) -> dict:
	"""Insert an Opportunity with new (dicts) or existing (names) Addresses and Contacts, atomically."""
	return {
		"opportunity": opportunity_creation.create_opportunity(
			parse_json_argument(opportunity, "opportunity"),
			parse_json_argument(addresses, "addresses"),
			parse_json_argument(contacts, "contacts"),
		)
	}


@api_method()
def create_customer(opportunity: str, customer: str | None = None) -> dict:
	"""Turn an Opportunity into a Customer (a new one, or the existing `customer`)."""
	require_record("Opportunity", opportunity, "opportunity", "write")
	if customer:
		require_record("Customer", customer, "customer", "write")
		require_enabled("Customer", customer, "customer")
	return {"customer": customer_conversion.create_customer(opportunity, customer)}


@api_method()
def bulk_convert_leads(
	leads: list | str,
	company: str | None = None,
	sales_partner: str | None = None,
	sales_person: str | None = None,
) -> dict:
	"""Convert the given Leads in a background job (Lead list ▸ Actions ▸ Convert to Opportunity). Its
	progress and its summary (converted, skipped with the existing Opportunity, failed with the reason)
	reach the user in real time."""
	leads = parse_json_argument(leads, "leads")
	if not isinstance(leads, list) or not leads or not all(isinstance(lead, str) for lead in leads):
		frappe.throw(_("leads must be a non-empty list of Lead names."), InvalidArgumentError)
	frappe.has_permission("Opportunity", "create", throw=True)
	options = {"company": company, "sales_partner": sales_partner, "sales_person": sales_person}
	return {"job_id": bulk_conversion.enqueue_conversion(list(dict.fromkeys(leads)), **options)}


def parse_json_argument(value, argument: str):
	if isinstance(value, str):
		try:
			return frappe.parse_json(value)
		except ValueError:
			frappe.throw(_("{0} is not valid JSON.").format(argument), InvalidArgumentError)
	return value


# Data health
# -----------
# The actions of the Opportunity Data Health report: each resolves one row of history (records stock
# ERPNext wrote before the app) that breaks a rule, through the rules, all or nothing.

from opportunity_crm.opportunities import data_health


@api_method()
def merge_lead_opportunity(opportunity: str) -> dict:
	"""Merge an extra Opportunity of a Lead into the Lead's Opportunity (Rename ▸ Merge); when none is the
	Lead's yet, the one the install chooses becomes it first. Returns {"merged", "into", "designated"}."""
	require_record("Opportunity", opportunity, "opportunity", "write")
	return data_health.merge_lead_opportunity(opportunity)


@api_method()
def merge_customer_opportunities(customer: str) -> dict:
	"""Merge the Opportunities that claim a Customer into the Customer's own Opportunity (field
	Opportunity). Returns {"merged", "into"}."""
	require_record("Customer", customer, "customer", "read")
	return data_health.merge_customer_opportunities(customer)


@api_method()
def link_party_addresses_and_contacts(opportunity: str) -> dict:
	"""Link every Address and Contact of the Opportunity's party (Lead, Customer, Prospect) to it.
	Returns {"opportunity", "party", "linked": {"Address": n, "Contact": m}}."""
	require_record("Opportunity", opportunity, "opportunity", "write")
	return data_health.link_party_addresses_and_contacts(opportunity)


# People change
# -------------


@api_method()
def reassign_sales_person(opportunities: list | str, sales_person: str) -> dict:
	"""Give the selected Opportunities to another (enabled, individual) Sales Person, each through its
	rules and the user's row-level access (Opportunity list ▸ Actions ▸ Reassign Sales Person). Returns
	{"reassigned": [{opportunity, from}], "skipped": [{opportunity, reason}], "failed": [...]}."""
	from opportunity_crm.opportunities import reassignment

	opportunities = parse_json_argument(opportunities, "opportunities")
	if (
		not isinstance(opportunities, list)
		or not opportunities
		or not all(isinstance(name, str) for name in opportunities)
	):
		frappe.throw(_("opportunities must be a non-empty list of Opportunity names."), InvalidArgumentError)
	require_record("Sales Person", sales_person, "sales_person", "read")
	return reassignment.reassign(list(dict.fromkeys(opportunities)), sales_person)


# Partner users and the partner portal
# ------------------------------------
# A partner user is a Website User of one Sales Partner (channel/partner_users.py); the portal's methods act
# only on that partner's records, whatever they are given (channel/partner_portal.py).


@api_method()
def invite_partner_user(
	sales_partner: str,
	contact: str | None = None,
	email: str | None = None,
	first_name: str | None = None,
	last_name: str | None = None,
	confirm: bool = False,
) -> dict:
	"""Make a Contact of the partner (or a new one: email, first_name, last_name) a partner user: a
	Website User with the role "Partner User", the Contact linked to the partner, a User Permission on
	the partner, and Frappe's welcome mail (Sales Partner ▸ Invite Partner User; write on the Sales Partner,
	or a Sales Manager or Channel Manager). Returns {"user", "contact", "created", "mail_sent"}, and
	"password_link" (a one-time link to set the password, to hand over) when a new user's mail could not go
	(no outgoing Email Account); a second call changes nothing. The e-mail of a desk user, another partner's
	user or a Customer's or Supplier's person is refused (417, `InviteConfirmationError`, saying who it
	is) unless `confirm` is 1."""
	from opportunity_crm.channel import partner_users

	partner_users.require_inviter(sales_partner)
	if contact:
		require_record("Contact", contact, "contact", "read")
	return partner_users.invite(sales_partner, contact, email, first_name, last_name, confirm)


@api_method()
def register_deal(registration: dict | str) -> dict:
	"""Partner portal: register a deal for the user's partner and submit it (the conflict check refuses a
	duplicate with the reason). Returns {"name", "status"}."""
	from opportunity_crm.channel import partner_portal

	return partner_portal.register_deal(parse_json_argument(registration, "registration"))


@api_method()
def update_partner_opportunity(
	opportunity: str,
	next_step: str | None = None,
	expected_closing: str | None = None,
	notes: str | None = None,
) -> dict:
	"""Partner portal: the next step, expected closing date and notes of one of the partner's
	Opportunities (nothing else). Returns the fields the portal shows."""
	from opportunity_crm.channel import partner_portal

	return partner_portal.update_opportunity(opportunity, next_step, expected_closing, notes)


# Deal registration: the channel manager's decisions
# --------------------------------------------------
# Each applies the Workflow "Deal Registration"'s action (Frappe's `apply_workflow`: the user's roles
# decide) with its Sales Person and reason, all or nothing; the partner is told by e-mail.


@api_method()
def submit_deal_registration(name: str) -> dict:
	"""Draft or Returned → Submitted, after the conflict check. Returns {"name", "status", ...}."""
	from opportunity_crm.channel import deal_registration

	require_record("Deal Registration", name, "name", "write")
	return deal_registration.submit(name)


@api_method()
def approve_deal_registration(name: str, sales_person: str, reason: str | None = None) -> dict:
	"""Approve: the conflict check again, then the Lead (made or reused) converted into the Opportunity of
	the partner and `sales_person`. Approving twice creates nothing new. Returns {"name", "status",
	"lead", "opportunity", "protected_until"}."""
	from opportunity_crm.channel import deal_registration

	require_record("Deal Registration", name, "name", "read")
	require_record("Sales Person", sales_person, "sales_person", "read")
	return deal_registration.approve(name, sales_person, reason)


@api_method()
def reject_deal_registration(name: str, reason: str) -> dict:
	"""Reject, with the reason the partner is told."""
	from opportunity_crm.channel import deal_registration

	require_record("Deal Registration", name, "name", "read")
	return deal_registration.reject(name, reason)


@api_method()
def return_deal_registration(name: str, reason: str) -> dict:
	"""Return for more information, with what is missing; the partner edits and submits again."""
	from opportunity_crm.channel import deal_registration

	require_record("Deal Registration", name, "name", "read")
	return deal_registration.return_for_information(name, reason)
