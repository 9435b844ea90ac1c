import frappe

from opportunity_crm.crm.rules import require_address_and_contact


def before_validate(doc, method=None):
	if not doc.opportunity:
		# ERPNext's make_quotation sets `opportunity` only for an Opportunity without items; otherwise
		# the link is on the rows.
		doc.opportunity = next(
			(
				row.prevdoc_docname
				for row in doc.items
				if row.prevdoc_doctype == "Opportunity" and row.prevdoc_docname
			),
			None,
		)
	if doc.opportunity and not doc.referral_sales_partner:
		doc.referral_sales_partner = frappe.db.get_value("Opportunity", doc.opportunity, "sales_partner")


def validate(doc, method=None):
	if doc.opportunity and (doc.is_new() or doc.has_value_changed("opportunity")):
		require_address_and_contact(doc.opportunity, "Quotation")
