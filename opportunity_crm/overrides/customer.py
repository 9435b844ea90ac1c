import frappe
from frappe import _

from opportunity_crm.crm.customer_conversion import attach_to_opportunity, complete_attachment
from opportunity_crm.exceptions import ReadOnlyFieldError


def validate(doc, method=None):
	previous = doc.get_doc_before_save()
	opportunity_before = previous.opportunity_name if previous else None
	if opportunity_before and doc.opportunity_name != opportunity_before:
		frappe.throw(
			_(
				"Customer {0} came from Opportunity {1} (field Opportunity); it cannot be moved to another Opportunity or detached."
			).format(frappe.bold(doc.name), frappe.bold(opportunity_before)),
			ReadOnlyFieldError,
			title=_("Read-only field"),
		)

	# A Customer made from a Lead (Lead ▸ Create ▸ Customer, or ERPNext's Quotation ▸ Sales Order for a
	# Lead) belongs to the Lead's Opportunity.
	if not doc.opportunity_name and doc.lead_name and (doc.is_new() or doc.has_value_changed("lead_name")):
		doc.opportunity_name = frappe.db.get_value("Opportunity", {"lead": doc.lead_name})

	if doc.opportunity_name and doc.opportunity_name != opportunity_before:
		attach_to_opportunity(doc)


def on_update(doc, method=None):
	complete_attachment(doc)


def on_trash(doc, method=None):
	"""Free the Opportunity, so that it may become a Customer again."""
	frappe.db.set_value("Opportunity", {"customer": doc.name}, "customer", None)
