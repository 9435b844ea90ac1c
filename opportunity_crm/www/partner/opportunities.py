"""/partner/opportunities: the partner's Opportunities (stage, amount, expected closing, next step) and
what the partner may change of them (opportunity_crm.api.update_partner_opportunity)."""

import frappe

from opportunity_crm.channel import partner_portal

no_cache = 1


def get_context(context):
	# the page's reads go to the site's read replica when it has one; get_context itself stays plain:
	# Frappe passes `context` only to a function whose own signature names it (getfullargspec)
	read_page(context)


@frappe.read_only()
def read_page(context):
	partner = partner_portal.page_context(context, "/partner/opportunities")
	context.rows = [
		{
			**row,
			"amount": partner_portal.money(row.opportunity_amount, row.currency),
			"closing": partner_portal.date(row.expected_closing),
			"closing_value": str(row.expected_closing or ""),
		}
		for row in partner_portal.opportunities(partner)
	]
