"""Opportunity events, each handler named for the rule it applies (hooks.py lists them in order)."""

import frappe

from opportunity_crm.base.audit import record_conversion
from opportunity_crm.base.field_shapes import check_document_shapes
from opportunity_crm.exceptions import OpportunityRuleError
from opportunity_crm.forecasting import movement
from opportunity_crm.forecasting.forecast_category import apply_stage_forecast_category, follow_status
from opportunity_crm.forecasting.probability import apply_stage_probability
from opportunity_crm.opportunities import intake, merges, sales_team
from opportunity_crm.opportunities.customer_conversion import link_party_customer
from opportunity_crm.opportunities.party_links import copy_links
from opportunity_crm.opportunities.permissions import ensure_within_row_level_access
from opportunity_crm.opportunities.rules import (
	default_to_own_sales_person_and_partner,
	ensure_customer_is_set_by_conversion_only,
	ensure_lead_has_no_other_opportunity,
	ensure_opportunity_has_no_other_customer,
	ensure_party_is_fixed_once_ordered,
	find_other_opportunity_of_lead,
	require_address_and_contact,
	restore_conversion_fields,
	validate_sales_person,
)

# before_validate ----------------------------------------------------------------------------------------


def check_field_shapes(doc, method=None):
	check_document_shapes(doc)


def keep_customer_read_only(doc, method=None):
	ensure_customer_is_set_by_conversion_only(doc)


def keep_sales_person_in_its_team(doc, method=None):
	sales_team.follow_sales_person(doc)


# validate -----------------------------------------------------------------------------------------------


def keep_conversion_fields(doc, method=None):
	restore_conversion_fields(doc)


def keep_within_row_level_access(doc, method=None):
	default_to_own_sales_person_and_partner(doc)
	ensure_within_row_level_access(doc)


def fix_party_once_ordered(doc, method=None):
	ensure_party_is_fixed_once_ordered(doc)


def require_an_active_individual_sales_person(doc, method=None):
	if doc.sales_person and (doc.is_new() or doc.has_value_changed("sales_person")):
		validate_sales_person(doc.sales_person)


def require_a_sales_team_split_of_100_percent(doc, method=None):
	sales_team.validate_team(doc)


def require_sales_person_and_partner_when_settings_say_so(doc, method=None):
	sales_team.require_sales_person_and_partner(doc)


def follow_stage_probability(doc, method=None):
	apply_stage_probability(doc)


def follow_stage_forecast_category(doc, method=None):
	apply_stage_forecast_category(doc)


def keep_movement_dates(doc, method=None):
	"""The movement log's dates of the deal: an insert's New row, else what the row holds
	(`movement.date_the_document`)."""
	movement.date_the_document(doc)


def set_lead(doc, method=None) -> None:
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


# after_insert, on_trash, rename, onload -------------------------------------------------------------


def start_from_its_party(doc, method=None):
	"""An Opportunity starts with the Addresses and Contacts of its Lead (or Customer, Prospect), and with
	the Customer its Lead already became; an intake's second Opportunity of a Lead is folded instead."""
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
		# Lead ▸ Create ▸ Customer may have come first: that Customer is this Opportunity's. One look-up
		# here; the conversion reads more only when there is such a Customer.
		if frappe.db.exists("Customer", {"lead_name": doc.lead, "opportunity_name": ("is", "not set")}):
			link_party_customer(doc.name, quiet=True)


def unlink_addresses_and_contacts(doc, method=None):
	"""Deleting an Opportunity leaves its Addresses and Contacts; only their links to it go."""
	frappe.db.delete("Dynamic Link", {"link_doctype": "Opportunity", "link_name": doc.name})


def forget_its_movements(doc, method=None):
	movement.forget(doc.name)


# on_change: after every insert, save and db_set ----------------------------------------------------------


def log_pipeline_movement(doc, method=None):
	"""One Opportunity Movement row per change of stage, amount, closing date, forecast category, Sales
	Person or won/lost/closed status, in the same transaction (`opportunity_crm.forecasting.movement`)."""
	movement.record_movements(doc)


def keep_team_rows_modified_with_it(doc, method=None):
	sales_team.keep_rows_modified_with_the_opportunity(doc)


def refuse_merges_that_break_a_rule(doc, method=None, old=None, new=None, merge=False):
	merges.check_opportunity_merge(doc, old, new, merge)


def complete_the_merge(doc, method=None, old=None, new=None, merge=False):
	merges.complete_opportunity_merge(doc, old, new, merge)


def explain_refused_conversions(doc, method=None):
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


# on_change ----------------------------------------------------------------------------------------------


def follow_status_forecast_category(doc, method=None):
	"""After `db_set` / `set_status` too (ERPNext's Quotation marks an Opportunity Lost or Converted so)."""
	follow_status(doc)
