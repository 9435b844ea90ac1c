"""Whitelisted methods: POST /api/method/opportunity_crm.api.<name>, also callable from desk.

Each checks permission on the record it starts from and hands over to the domain function; every
refusal is a Frappe validation error (HTTP 4xx) and leaves nothing half-written.
"""

import functools
import random
import time

import frappe
from frappe import _

from opportunity_crm.crm import bulk_conversion, customer_conversion, lead_conversion, opportunity_creation
from opportunity_crm.crm.checks import require_enabled, require_record
from opportunity_crm.exceptions import BusyError, InvalidArgumentError

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
	# The Lead's existence and state are checked where it is locked; read permission on it by ERPNext's
	# mapper, which loads it.
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


@frappe.whitelist(methods=["POST"])
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
