import frappe
from frappe import _

from opportunity_crm.crm import intake, merges
from opportunity_crm.crm.audit import record_conversion
from opportunity_crm.crm.customer_conversion import link_party_customer
from opportunity_crm.crm.field_shapes import check_document_shapes
from opportunity_crm.crm.party_links import copy_links
from opportunity_crm.crm.probability import apply_stage_probability
from opportunity_crm.crm.rules import (
	ensure_lead_has_no_other_opportunity,
	ensure_opportunity_has_no_other_customer,
	ensure_party_is_fixed_once_ordered,
	find_other_opportunity_of_lead,
	require_address_and_contact,
	validate_sales_person,
)
from opportunity_crm.exceptions import OpportunityRuleError, ReadOnlyFieldError
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
	set_lead(doc)
	ensure_party_is_fixed_once_ordered(doc)

	if doc.sales_person and (doc.is_new() or doc.has_value_changed("sales_person")):
		validate_sales_person(doc.sales_person)

	apply_stage_probability(doc)


def set_lead(doc) -> None:
	"""`lead` is the Lead the Opportunity comes from, set when it is created and when its party changes.

	An Opportunity saved with its party unchanged keeps the `lead` it has: on a site with history, a Lead
	may have had several Opportunities before the app was installed; one of them is the Lead's (install
	chooses it), the others keep `lead` empty and stay usable (edit, close, lose, quote).
	"""
	previous = doc.get_doc_before_save()
	if previous and (previous.opportunity_from, previous.party_name) == (
		doc.opportunity_from,
		doc.party_name,
	):
		doc.lead = previous.lead
		return

	doc.lead = doc.party_name if doc.opportunity_from == "Lead" and doc.party_name else None
	if not doc.lead:
		return
	if intake.is_intake(doc):
		existing = find_other_opportunity_of_lead(doc.lead, doc.name)
		if existing:
			doc.lead = None
			doc.flags.opportunity_crm_fold_into = existing
			return
	ensure_lead_has_no_other_opportunity(doc.lead, doc.name)


def after_insert(doc, method=None):
	"""An Opportunity starts with the Addresses and Contacts of its Lead (or Customer, Prospect)."""
	if doc.flags.opportunity_crm_fold_into:
		intake.fold_into(doc.name, doc.flags.opportunity_crm_fold_into)
		return
	if doc.opportunity_from and doc.party_name:
		copy_links(
			doc.opportunity_from,
			doc.party_name,
			"Opportunity",
			doc.name,
			new_target=True,
			ignore_permissions=doc.flags.ignore_permissions,
		)
	if doc.lead:
		record_conversion(("Lead", doc.lead), ("Opportunity", doc.name))
		# Lead ▸ Create ▸ Customer may have come first: that Customer is this Opportunity's.
		link_party_customer(doc.name, quiet=True)


def on_trash(doc, method=None):
	"""Deleting an Opportunity leaves its Addresses and Contacts; only their links to it go."""
	frappe.db.delete("Dynamic Link", {"link_doctype": "Opportunity", "link_name": doc.name})


def before_rename(doc, method=None, old=None, new=None, merge=False):
	merges.check_opportunity_merge(doc, old, new, merge)


def after_rename(doc, method=None, old=None, new=None, merge=False):
	merges.complete_opportunity_merge(doc, old, new, merge)


def onload(doc, method=None):
	"""The form learns which Create ▸ buttons the rules would refuse, and why, so that it says so before
	opening a form that could not be saved (`public/js/opportunity.js`)."""
	doc.set_onload("opportunity_crm_refusals", conversion_refusals(doc))


def conversion_refusals(doc) -> dict[str, str]:
	"""{target doctype: the rule's message} for each conversion the rules refuse right now."""
	checks = {
		"Customer": lambda: (
			ensure_opportunity_has_no_other_customer(doc.name, lock=False),
			require_address_and_contact(doc.name, "Customer"),
		),
		"Quotation": lambda: require_address_and_contact(doc.name, "Quotation"),
	}
	refusals = {}
	for target, check in checks.items():
		try:
			check()
		except OpportunityRuleError as refusal:
			refusals[target] = str(refusal)
			frappe.clear_last_message()
	return refusals
