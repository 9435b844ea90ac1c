import frappe

from opportunity_crm.opportunities.rules import (
	ensure_quotation_matches_opportunity,
	require_address_and_contact,
)


def belong_to_its_opportunity(doc, method=None):
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
	if not doc.opportunity:
		return
	if not doc.referral_sales_partner:
		doc.referral_sales_partner = frappe.db.get_value("Opportunity", doc.opportunity, "sales_partner")
	# A new Quotation, one whose Opportunity, party or company changed, and one being submitted, belongs
	# to its Opportunity (checked before ERPNext's own checks, whatever flags are set). A Quotation of
	# history is left as it is until then.
	changed = doc.is_new() or any(
		doc.has_value_changed(field) for field in ("opportunity", "quotation_to", "party_name", "company")
	)
	if changed or doc._action == "submit":
		ensure_quotation_matches_opportunity(doc)


def require_address_and_contact_of_its_opportunity(doc, method=None):
	if doc.opportunity and (doc.is_new() or doc.has_value_changed("opportunity")):
		require_address_and_contact(doc.opportunity, "Quotation")
