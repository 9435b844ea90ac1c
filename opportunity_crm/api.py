"""Whitelisted methods: POST /api/method/opportunity_crm.api.<name>, also callable from desk.

Each checks permission on the record it starts from and hands over to the domain function; every
refusal is a Frappe validation error (HTTP 4xx) and leaves nothing half-written.
"""

import functools
import random
import time

import frappe
from frappe import _

from opportunity_crm.crm import customer_conversion, lead_conversion, opportunity_creation
from opportunity_crm.exceptions import BusyError, DisabledRecordError, InvalidArgumentError

ATTEMPTS = 3


def retry_when_busy(method):
	"""Run the call again when MariaDB picked it as a deadlock victim (which rolls the whole transaction
	back, so a retry starts clean); after the last attempt, or on a lock wait timeout, answer 409."""

	@functools.wraps(method)
	def wrapper(*args, **kwargs):
		for attempt in range(1, ATTEMPTS + 1):
			try:
				return method(*args, **kwargs)
			except frappe.QueryDeadlockError:
				frappe.db.rollback()
				if attempt == ATTEMPTS:
					break
				time.sleep(random.uniform(0.05, 0.2) * attempt)
			except frappe.QueryTimeoutError:
				break
		frappe.throw(
			_("The records are busy with another conversion; please repeat the call."),
			BusyError,
			title=_("Busy"),
		)

	return wrapper


@frappe.whitelist(methods=["POST"])
@retry_when_busy
def convert_lead(
	lead: str, company: str | None = None, sales_partner: str | None = None, sales_person: str | None = None
) -> dict:
	"""Create the Opportunity of a Lead and link every Address and Contact of the Lead to it."""
	require_record("Lead", lead, "lead", "read")
	require_enabled("Lead", lead, "lead")
	return {"opportunity": lead_conversion.convert_lead(lead, company, sales_partner, sales_person)}


@frappe.whitelist(methods=["POST"])
@retry_when_busy
def create_opportunity(opportunity: dict | str, addresses: list | str, contacts: list | str) -> dict:
	"""Insert an Opportunity with new (dicts) or existing (names) Addresses and Contacts, atomically."""
	return {
		"opportunity": opportunity_creation.create_opportunity(
			parse_json_argument(opportunity, "opportunity"),
			parse_json_argument(addresses, "addresses"),
			parse_json_argument(contacts, "contacts"),
		)
	}


@frappe.whitelist(methods=["POST"])
@retry_when_busy
def create_customer(opportunity: str, customer: str | None = None) -> dict:
	"""Turn an Opportunity into a Customer (a new one, or the existing `customer`)."""
	require_record("Opportunity", opportunity, "opportunity", "write")
	if customer:
		require_record("Customer", customer, "customer", "write")
		require_enabled("Customer", customer, "customer")
	return {"customer": customer_conversion.create_customer(opportunity, customer)}


def require_record(doctype: str, name: str, argument: str, ptype: str) -> None:
	if not name or not isinstance(name, str):
		frappe.throw(
			_("{0} is required: the name of a {1}.").format(argument, _(doctype)), InvalidArgumentError
		)
	if not frappe.db.exists(doctype, name):
		frappe.throw(
			_("{0}: {1} {2} does not exist.").format(argument, _(doctype), frappe.bold(name)),
			frappe.DoesNotExistError,
		)
	frappe.has_permission(doctype, ptype, name, throw=True)


def require_enabled(doctype: str, name: str, argument: str) -> None:
	if frappe.db.get_value(doctype, name, "disabled"):
		frappe.throw(
			_("{0}: {1} {2} is disabled; enable it before converting.").format(
				argument, _(doctype), frappe.bold(name)
			),
			DisabledRecordError,
		)


def parse_json_argument(value, argument: str):
	if isinstance(value, str):
		try:
			return frappe.parse_json(value)
		except ValueError:
			frappe.throw(_("{0} is not valid JSON.").format(argument), InvalidArgumentError)
	return value
