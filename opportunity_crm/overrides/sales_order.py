import frappe
from frappe import _

from opportunity_crm.crm.customer_conversion import mark_converted
from opportunity_crm.crm.rules import add_sales_person, get_opportunity_customer, require_address_and_contact
from opportunity_crm.exceptions import OpportunityMismatchError


def before_validate(doc, method=None):
	"""Carry the Opportunity, its Sales Partner and its Sales Person (before ERPNext computes the
	commission and the sales team's contribution)."""
	if not doc.opportunity:
		quotations = {row.prevdoc_docname for row in doc.items if row.prevdoc_docname}
		if quotations:
			doc.opportunity = frappe.db.get_value(
				"Quotation", {"name": ("in", sorted(quotations)), "opportunity": ("is", "set")}, "opportunity"
			)
	if not doc.opportunity:
		return

	sales_partner, sales_person = frappe.db.get_value(
		"Opportunity", doc.opportunity, ["sales_partner", "sales_person"]
	) or (None, None)
	if sales_partner and not doc.sales_partner:
		doc.sales_partner = sales_partner
	if sales_person:
		add_sales_person(doc, sales_person)


def validate(doc, method=None):
	if not doc.opportunity or not (doc.is_new() or doc.has_value_changed("opportunity")):
		return

	opportunity = frappe.db.get_value(
		"Opportunity",
		doc.opportunity,
		["name", "company", "customer", "opportunity_from", "party_name"],
		as_dict=True,
	)
	if not opportunity:
		return  # Frappe's link validation reports an Opportunity that does not exist

	if opportunity.company != doc.company:
		frappe.throw(
			_(
				"Opportunity {0} (field Opportunity) belongs to Company {1}, but this Sales Order is for Company {2}: a Sales Order belongs to an Opportunity of its own Company."
			).format(
				frappe.bold(opportunity.name), frappe.bold(opportunity.company), frappe.bold(doc.company)
			),
			OpportunityMismatchError,
			title=_("Opportunity of another Company"),
		)

	customer = get_opportunity_customer(opportunity)
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


def after_insert(doc, method=None):
	if doc.opportunity:
		mark_converted(doc.opportunity)
