"""Rename ▸ Merge of Opportunities, Customers and Leads keeps the rules (`before_rename` / `after_rename`).

Frappe's merge points every link at the surviving record, then deletes the merged one. Links that the
rules make one-to-one (`Opportunity.lead`, `Opportunity.customer` ↔ `Customer.opportunity_name`) would end
up doubled or one-sided: a merge that would break a rule is refused before anything moves, naming the
rule; one that keeps them is completed so that both sides agree.
"""

import frappe
from frappe import _

from opportunity_crm.base.document_writes import set_through_document
from opportunity_crm.exceptions import MergeConflictError

OPPORTUNITY_FIELDS = ["name", "company", "opportunity_from", "party_name", "lead", "customer"]


# Opportunity ------------------------------------------------------------------------------------------


def check_opportunity_merge(doc, old: str, new: str, merge: bool) -> None:
	if not merge:
		return
	merged = frappe.db.get_value("Opportunity", old, OPPORTUNITY_FIELDS, as_dict=True)
	kept = frappe.db.get_value("Opportunity", new, OPPORTUNITY_FIELDS, as_dict=True)
	if not merged or not kept:
		return  # Frappe reports a missing record
	if (merged.opportunity_from, merged.party_name, merged.company) != (
		kept.opportunity_from,
		kept.party_name,
		kept.company,
	) and not doc.flags.opportunity_crm_intake_fold:
		refuse(
			_(
				"Opportunity {0} cannot be merged into Opportunity {1}: they are for different parties or companies, and an Opportunity's Quotations and Sales Orders belong to its own party and company."
			).format(frappe.bold(old), frappe.bold(new))
		)
	if merged.customer and kept.customer and merged.customer != kept.customer:
		refuse(
			_(
				"Opportunity {0} became Customer {1} and Opportunity {2} became Customer {3}: an Opportunity becomes at most one Customer (field Customer), so they cannot be merged."
			).format(
				frappe.bold(old), frappe.bold(merged.customer), frappe.bold(new), frappe.bold(kept.customer)
			)
		)


def complete_opportunity_merge(doc, old: str, new: str, merge: bool) -> None:
	"""The surviving Opportunity takes over the Lead link and the Customer of the merged one."""
	if not merge:
		return
	merged = frappe.db.get_value("Opportunity", old, ["lead", "customer", "converted_on"], as_dict=True)
	if not merged:
		return
	kept = frappe.db.get_value(
		"Opportunity",
		new,
		["lead", "customer", "converted_on", "opportunity_from", "party_name"],
		as_dict=True,
	)
	values = {}
	if merged.lead and not kept.lead and kept.opportunity_from == "Lead" and kept.party_name == merged.lead:
		values["lead"] = merged.lead
	if merged.customer and not kept.customer:
		values["customer"] = merged.customer
		values["converted_on"] = kept.converted_on or merged.converted_on
	if not values:
		return
	# The merged row goes right after this hook; free its unique values first (no event: it is deleted).
	frappe.db.set_value("Opportunity", old, {"lead": None, "customer": None}, update_modified=False)
	# the kept one through its document: a Customer taken over makes it won (forecast category, movement
	# log, Version)
	set_through_document("Opportunity", new, values)


# Customer ---------------------------------------------------------------------------------------------


def check_customer_merge(doc, old: str, new: str, merge: bool) -> None:
	if not merge:
		return
	merged, kept = opportunity_of_customer(old), opportunity_of_customer(new)
	if merged and kept and merged != kept:
		refuse(
			_(
				"Customer {0} belongs to Opportunity {1} and Customer {2} to Opportunity {3}: a Customer belongs to at most one Opportunity and an Opportunity becomes at most one Customer, so they cannot be merged. Merge the Opportunities first."
			).format(frappe.bold(old), frappe.bold(merged), frappe.bold(new), frappe.bold(kept))
		)


def complete_customer_merge(doc, old: str, new: str, merge: bool) -> None:
	"""After the links moved, the surviving Customer and its Opportunity point at each other."""
	if not merge:
		return
	opportunity = frappe.db.get_value("Opportunity", {"customer": new}, "name")
	if opportunity and not frappe.db.get_value("Customer", new, "opportunity_name"):
		set_through_document("Customer", new, {"opportunity_name": opportunity})


def opportunity_of_customer(customer: str) -> str | None:
	return frappe.db.get_value("Opportunity", {"customer": customer}, "name") or frappe.db.get_value(
		"Customer", customer, "opportunity_name"
	)


# Lead -------------------------------------------------------------------------------------------------


def check_lead_merge(doc, old: str, new: str, merge: bool) -> None:
	if not merge:
		return
	merged = frappe.db.get_value("Opportunity", {"lead": old}, "name")
	kept = frappe.db.get_value("Opportunity", {"lead": new}, "name")
	if merged and kept:
		refuse(
			_(
				"Lead {0} has Opportunity {1} and Lead {2} has Opportunity {3}: a Lead has at most one Opportunity (field Lead), so they cannot be merged. Merge Opportunity {1} into Opportunity {3} first, or set it Lost."
			).format(frappe.bold(old), frappe.bold(merged), frappe.bold(new), frappe.bold(kept))
		)


def refuse(message: str) -> None:
	frappe.throw(message, MergeConflictError, title=_("Merge refused"))
