"""An Opportunity becomes a Customer.

Whatever creates or links the Customer (the API, Opportunity ▸ Create ▸ Customer, Lead ▸ Create ▸
Customer, a Sales Order made from a Quotation addressed to a Lead), the Customer hooks call
`attach_to_opportunity` on validate and `complete_attachment` after the write, so every path links the
same way.
"""

import frappe
from erpnext.crm.doctype.opportunity.opportunity import make_customer
from frappe.utils import nowdate

from opportunity_crm.crm.atomic import atomic
from opportunity_crm.crm.audit import record_conversion
from opportunity_crm.crm.party_links import copy_links
from opportunity_crm.crm.rules import (
	add_sales_person,
	ensure_customer_has_no_other_opportunity,
	ensure_opportunity_has_no_other_customer,
	require_address_and_contact,
)


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


def attach_to_opportunity(customer) -> None:
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
	if opportunity.sales_person:
		add_sales_person(customer, opportunity.sales_person)

	customer.flags.opportunity_crm_attach = opportunity.name


def complete_attachment(customer) -> None:
	"""Point the Opportunity at its Customer and link its Addresses and Contacts to the Customer
	(runs in Customer.on_update, once the Customer row exists)."""
	opportunity = customer.flags.pop("opportunity_crm_attach", None)
	if not opportunity:
		return
	frappe.db.set_value("Opportunity", opportunity, "customer", customer.name)
	mark_converted(opportunity)
	copy_links("Opportunity", opportunity, "Customer", customer.name)
	lead = [("Lead", customer.lead_name)] if customer.lead_name else []
	record_conversion(("Opportunity", opportunity), ("Customer", customer.name), *lead)


def mark_converted(opportunity: str) -> None:
	"""Date the conversion (a Customer, or a first Sales Order), once: one conditional UPDATE."""
	table = frappe.qb.DocType("Opportunity")
	(
		frappe.qb.update(table)
		.set(table.converted_on, nowdate())
		.where((table.name == opportunity) & table.converted_on.isnull())
		.run()
	)
