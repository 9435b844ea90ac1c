import frappe

from opportunity_crm.base.document_writes import set_through_document
from opportunity_crm.channel.deal_expiry import convert_registrations
from opportunity_crm.channel.deal_keys import set_keys_from_sources
from opportunity_crm.opportunities import merges
from opportunity_crm.opportunities.customer_conversion import (
	complete_customer_link,
	find_opportunity_of_new_customer,
	prepare_customer_link,
)
from opportunity_crm.opportunities.rules import ensure_customer_stays_with_its_opportunity


def fill_prospect(doc, method=None, source_doc=None):
	"""ERPNext's Prospect ▸ Customer mapper (also used when a Prospect's Quotation is ordered) does not
	fill `Customer.prospect_name`; fill it, so the Customer can find the Prospect's Opportunity."""
	if source_doc is not None and source_doc.doctype == "Prospect" and not doc.prospect_name:
		doc.prospect_name = source_doc.name


def keep_opportunity_read_only(doc, method=None):
	ensure_customer_stays_with_its_opportunity(doc)


def belong_to_its_opportunity(doc, method=None):
	previous = doc.get_doc_before_save()
	opportunity_before = previous.opportunity_name if previous else None
	# A Customer made from a Lead or a Prospect (Lead ▸ Create ▸ Customer, Prospect ▸ Create ▸ Customer,
	# ERPNext's Quotation ▸ Sales Order for a Lead or a Prospect) belongs to its Opportunity.
	if not doc.opportunity_name and (
		doc.is_new() or doc.has_value_changed("lead_name") or doc.has_value_changed("prospect_name")
	):
		doc.opportunity_name = find_opportunity_of_new_customer(doc)

	if doc.opportunity_name and doc.opportunity_name != opportunity_before:
		prepare_customer_link(doc)


def set_matching_keys(doc, method=None):
	"""The keys Deal Registrations are matched on, from the name, tax id, website, e-mail and mobile."""
	set_keys_from_sources(doc)


def complete_the_link(doc, method=None):
	opportunity = complete_customer_link(doc)
	if opportunity:
		convert_registrations(opportunity)  # a partner's approved registration of it is Converted


def free_its_opportunity(doc, method=None):
	"""Free the Opportunity, so that it may become a Customer again (through its document: Version)."""
	for opportunity in frappe.get_all("Opportunity", filters={"customer": doc.name}, pluck="name"):
		set_through_document("Opportunity", opportunity, {"customer": None})


def refuse_merges_that_break_a_rule(doc, method=None, old=None, new=None, merge=False):
	merges.check_customer_merge(doc, old, new, merge)


def complete_the_merge(doc, method=None, old=None, new=None, merge=False):
	merges.complete_customer_merge(doc, old, new, merge)
