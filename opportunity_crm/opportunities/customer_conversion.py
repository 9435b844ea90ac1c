"""An Opportunity becomes a Customer.

Whatever creates or links the Customer (the API, Opportunity ▸ Create ▸ Customer, Lead ▸ Create ▸
Customer, a Sales Order made from a Quotation addressed to a Lead), the Customer hooks call
`prepare_customer_link` on validate and `complete_customer_link` after the write, so every path links the
same way.
"""

import frappe
from erpnext.crm.doctype.opportunity.opportunity import make_customer
from frappe.utils import getdate, nowdate

from opportunity_crm.base.atomic import atomic
from opportunity_crm.base.audit import record_conversion
from opportunity_crm.base.document_writes import set_through_document
from opportunity_crm.constants.opportunity_status import GIVEN_UP_STATUSES
from opportunity_crm.exceptions import OpportunityRuleError
from opportunity_crm.opportunities.party_links import copy_links
from opportunity_crm.opportunities.rules import (
	ensure_customer_has_no_other_opportunity,
	ensure_opportunity_has_no_other_customer,
	require_address_and_contact,
)
from opportunity_crm.opportunities.sales_team import give_team_to_customer


def create_customer(opportunity: str, customer: str | None = None) -> str:
	"""Turn an Opportunity into a new Customer, or link an existing one; return the Customer's name."""
	with atomic():
		# Locks the Opportunity: conversions of one Opportunity queue up here.
		if ensure_opportunity_has_no_other_customer(opportunity, customer):
			return customer  # already done: a repeated call changes nothing

		if customer:
			doc = frappe.get_doc("Customer", customer, for_update=True)
			ensure_customer_has_no_other_opportunity(doc, opportunity)
			doc.opportunity_name = opportunity
			doc.save()
		else:
			doc = make_customer(opportunity)
			doc.insert()

	return doc.name


def link_party_customer(opportunity: str, customer: str | None = None, quiet: bool = False) -> str | None:
	"""An Opportunity of a Lead or a Prospect whose party already became a Customer elsewhere (Lead ▸
	Create ▸ Customer, Prospect ▸ Create ▸ Customer, the Customer ERPNext makes when a Quotation is
	ordered): that Customer is the Opportunity's, linked both ways through the conversion and its rules.

	`customer` narrows it to one Customer; `quiet` leaves them unlinked when a rule refuses (the Sales Order
	will ask again and refuse with the rule's message). Returns the Opportunity's Customer, if any."""
	values = frappe.db.get_value(
		"Opportunity", opportunity, ["customer", "opportunity_from", "party_name"], as_dict=True
	)
	if not values or values.customer:
		return values.customer if values else None
	party_field = PARTY_FIELDS.get(values.opportunity_from)
	if not party_field or not values.party_name:
		return None
	filters = {party_field: values.party_name, "opportunity_name": ("is", "not set")}
	if customer:
		filters["name"] = customer
	candidate = frappe.db.get_value("Customer", filters, "name", order_by="creation asc")
	if not candidate:
		return None
	if not quiet:
		return create_customer(opportunity, candidate)
	try:
		with atomic():
			return create_customer(opportunity, candidate)
	except (OpportunityRuleError, frappe.PermissionError):
		frappe.clear_last_message()
		return None


# Customer fields that name the party a Customer was made from
PARTY_FIELDS = {"Lead": "lead_name", "Prospect": "prospect_name"}


def find_opportunity_of_new_customer(customer) -> str | None:
	"""The Opportunity a new Customer made from a Lead or a Prospect belongs to: the Lead's Opportunity, or
	the only open, unconverted Opportunity of the Prospect (with several, the Sales Order decides)."""
	if customer.lead_name:
		return frappe.db.get_value("Opportunity", {"lead": customer.lead_name})
	if customer.prospect_name:
		candidates = frappe.get_all(
			"Opportunity",
			filters={
				"opportunity_from": "Prospect",
				"party_name": customer.prospect_name,
				"customer": ("is", "not set"),
				"status": ("not in", GIVEN_UP_STATUSES),
			},
			pluck="name",
			limit=2,
		)
		if len(candidates) == 1:
			return candidates[0]
	return None


def prepare_customer_link(customer) -> None:
	"""Check the rules and fill the Customer from its Opportunity (runs in Customer.validate)."""
	opportunity = frappe.db.get_value(
		"Opportunity",
		customer.opportunity_name,
		["name", "customer", "opportunity_from", "party_name", "sales_partner", "sales_person"],
		as_dict=True,
		for_update=True,
	)
	if not opportunity:
		return  # Frappe's link validation reports an Opportunity that does not exist

	ensure_opportunity_has_no_other_customer(opportunity.name, customer.name)
	require_address_and_contact(opportunity.name, "Customer")

	if opportunity.opportunity_from == "Lead" and not customer.lead_name:
		customer.lead_name = opportunity.party_name
	if opportunity.sales_partner and not customer.default_sales_partner:
		customer.default_sales_partner = opportunity.sales_partner
	# its split credit (revenue rows) or its Sales Person, only while those people are enabled
	give_team_to_customer(customer, opportunity.name, opportunity.sales_person)

	customer.flags.opportunity_crm_link_to = opportunity.name


def complete_customer_link(customer) -> str | None:
	"""Point the Opportunity at its Customer and link its Addresses and Contacts to the Customer
	(runs in Customer.on_update, once the Customer row exists); return the Opportunity it converted."""
	opportunity = customer.flags.pop("opportunity_crm_link_to", None)
	if not opportunity:
		return None
	mark_converted(opportunity, {"customer": customer.name})
	copy_links(
		"Opportunity",
		opportunity,
		"Customer",
		customer.name,
		ignore_permissions=customer.flags.ignore_permissions,
	)
	lead = [("Lead", customer.lead_name)] if customer.lead_name else []
	record_conversion(("Opportunity", opportunity), ("Customer", customer.name), *lead)
	return opportunity


def mark_converted(opportunity: str, values: dict | None = None) -> None:
	"""Date the conversion (a Customer, or a first Sales Order) once, with `values` (the Customer), through
	the Opportunity's document: its events set the forecast category (Closed), write the movement log's Won
	row and a Version, as a save would."""
	values = dict(values or {})
	if not frappe.db.get_value("Opportunity", opportunity, "converted_on", for_update=True):
		values["converted_on"] = getdate(nowdate())
	set_through_document("Opportunity", opportunity, values)
