"""A Sales Order belongs to its Opportunity: its Quotations' Opportunity, of its own Company and Customer,
with at least one Address and Contact. Checked from `before_validate`, which Frappe runs on every save and
submit even when a caller set `flags.ignore_validate` (ERPNext's bulk Quotation ▸ Sales Order does)."""

import frappe
from frappe import _

from opportunity_crm.exceptions import OpportunityMismatchError
from opportunity_crm.opportunities.customer_conversion import link_party_customer
from opportunity_crm.opportunities.rules import (
	ensure_same_company,
	get_opportunity_customer,
	opportunity_values,
	require_address_and_contact,
)
from opportunity_crm.opportunities.sales_team import give_team_to_order

CHECKED_FIELDS = ("opportunity", "customer", "company")


def fill_and_check(doc) -> None:
	quotations_opportunity = opportunity_of_quotations(doc)
	if quotations_opportunity and not doc.opportunity:
		doc.opportunity = quotations_opportunity
	if not doc.opportunity:
		return
	if doc.is_new() or doc._action == "submit" or any(doc.has_value_changed(f) for f in CHECKED_FIELDS):
		check_opportunity(doc, quotations_opportunity)
	if doc.is_new():
		carry_partner_and_person(doc)


def link_the_quotations_customer(doc, source_doc) -> None:
	"""Quotation ▸ Sales Order: ERPNext has just made (or found) the Customer of a Lead's or a Prospect's
	Quotation. It belongs to the Quotation's Opportunity: link them now, through the conversion's rules, so
	that a refusal undoes the whole request and leaves no Customer behind."""
	if source_doc is None or source_doc.doctype != "Quotation" or not source_doc.get("opportunity"):
		return
	if doc.customer and source_doc.quotation_to in ("Lead", "Prospect"):
		link_party_customer(source_doc.opportunity, doc.customer)


def opportunity_of_quotations(doc) -> str | None:
	"""The Opportunity of the Quotations the order's rows come from; several Opportunities are refused."""
	quotations = sorted({row.prevdoc_docname for row in doc.items if row.get("prevdoc_docname")})
	if not quotations:
		return None
	opportunities = frappe.get_all(
		"Quotation",
		filters={"name": ("in", quotations), "opportunity": ("is", "set")},
		pluck="opportunity",
		distinct=True,
	)
	if len(opportunities) > 1:
		frappe.throw(
			_(
				"The Quotations of this Sales Order belong to different Opportunities ({0}): a Sales Order belongs to one Opportunity, its Quotations' (field Opportunity)."
			).format(", ".join(frappe.bold(name) for name in sorted(opportunities))),
			OpportunityMismatchError,
			title=_("Quotations of several Opportunities"),
		)
	return opportunities[0] if opportunities else None


def check_opportunity(doc, quotations_opportunity: str | None) -> None:
	if quotations_opportunity and doc.opportunity != quotations_opportunity:
		frappe.throw(
			_(
				"This Sales Order names Opportunity {0} (field Opportunity), but its Quotations belong to Opportunity {1}: a Sales Order's Opportunity is its Quotations' Opportunity."
			).format(frappe.bold(doc.opportunity), frappe.bold(quotations_opportunity)),
			OpportunityMismatchError,
			title=_("Opportunity of another Quotation"),
		)
	opportunity = opportunity_values(doc.opportunity)
	if not opportunity:
		return  # Frappe's link validation reports an Opportunity that does not exist
	ensure_same_company(doc, opportunity)

	customer = get_opportunity_customer(opportunity)
	if not customer and doc.customer:
		# The party became this Customer elsewhere (Lead ▸ Customer, Prospect ▸ Customer): link them.
		customer = link_party_customer(opportunity.name, doc.customer)
	if not customer:
		frappe.throw(
			_(
				"Opportunity {0} (field Opportunity) has not become a Customer yet: create its Customer before a Sales Order."
			).format(frappe.bold(opportunity.name)),
			OpportunityMismatchError,
			title=_("Opportunity without Customer"),
		)
	if customer != doc.customer:
		frappe.throw(
			_(
				"Opportunity {0} (field Opportunity) is for Customer {1}, but this Sales Order is for Customer {2}: a Sales Order belongs to an Opportunity of its own Customer."
			).format(frappe.bold(opportunity.name), frappe.bold(customer), frappe.bold(doc.customer)),
			OpportunityMismatchError,
			title=_("Opportunity of another Customer"),
		)

	require_address_and_contact(opportunity.name, "Sales Order")


def carry_partner_and_person(doc) -> None:
	"""A new order takes its Opportunity's Sales Partner, and its split credit (revenue rows) or its Sales
	Person as the team, unless the order has them already; a Sales Person who left (disabled) or became a
	group is not put in (before ERPNext computes the commission and the team's contribution)."""
	sales_partner, sales_person = frappe.db.get_value(
		"Opportunity", doc.opportunity, ["sales_partner", "sales_person"]
	) or (None, None)
	if sales_partner and not doc.sales_partner:
		doc.sales_partner = sales_partner
	give_team_to_order(doc, doc.opportunity, sales_person)
