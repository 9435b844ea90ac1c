"""/partner/opportunities: the partner's Opportunities (stage, amount, expected closing, next step) and
what the partner may change of them (opportunity_crm.api.update_partner_opportunity)."""

from opportunity_crm.crm import partner_portal

no_cache = 1


def get_context(context):
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
