import frappe
from frappe import _

from opportunity_crm.crm.audit import record_conversion
from opportunity_crm.crm.field_shapes import check_document_shapes
from opportunity_crm.crm.party_links import copy_links
from opportunity_crm.crm.probability import apply_stage_probability
from opportunity_crm.crm.rules import ensure_lead_has_no_other_opportunity, validate_sales_person
from opportunity_crm.exceptions import ReadOnlyFieldError
from opportunity_crm.permissions import fill_and_check_opportunity


def before_validate(doc, method=None):
	"""`customer` is written by the conversion only, never through a save of the Opportunity."""
	check_document_shapes(doc)
	previous = doc.get_doc_before_save()
	customer_before = previous.customer if previous else None
	if (doc.customer or None) != (customer_before or None):
		frappe.throw(
			_(
				"Customer (field customer) of an Opportunity is set by converting it (Create ▸ Customer, or opportunity_crm.api.create_customer), not directly."
			),
			ReadOnlyFieldError,
			title=_("Read-only field"),
		)
	doc.flags.opportunity_crm_customer = customer_before
	doc.flags.opportunity_crm_converted_on = previous.converted_on if previous else None


def validate(doc, method=None):
	# ERPNext's Opportunity.map_fields copies same-named fields from the Lead (Lead.customer, "From
	# Customer") into empty fields: put back the converted Customer, which only a conversion sets.
	doc.customer = doc.flags.opportunity_crm_customer
	doc.converted_on = doc.flags.opportunity_crm_converted_on  # also set by conversions only
	fill_and_check_opportunity(doc)

	doc.lead = doc.party_name if doc.opportunity_from == "Lead" else None
	if doc.lead:
		ensure_lead_has_no_other_opportunity(doc.lead, doc.name)

	if doc.sales_person and (doc.is_new() or doc.has_value_changed("sales_person")):
		validate_sales_person(doc.sales_person)

	apply_stage_probability(doc)


def after_insert(doc, method=None):
	"""An Opportunity starts with the Addresses and Contacts of its Lead (or Customer, Prospect)."""
	if doc.opportunity_from and doc.party_name:
		copy_links(doc.opportunity_from, doc.party_name, "Opportunity", doc.name, new_target=True)
	if doc.lead:
		record_conversion(("Lead", doc.lead), ("Opportunity", doc.name))


def on_trash(doc, method=None):
	"""Deleting an Opportunity leaves its Addresses and Contacts; only their links to it go."""
	frappe.db.delete("Dynamic Link", {"link_doctype": "Opportunity", "link_name": doc.name})
