"""/partner: the partner's overview (counts and commission)."""

from opportunity_crm.crm import partner_portal

no_cache = 1


def get_context(context):
	partner = partner_portal.page_context(context, "/partner")
	overview = partner_portal.dashboard(partner)
	context.registrations = sorted(overview["registrations"].items())
	context.counts = overview
	context.commission = [
		{
			"company": row["company"],
			"rate": row["rate"],
			"weighted": partner_portal.money(row["weighted"], row["currency"]),
			"forecast": partner_portal.money(row["forecast"], row["currency"]),
			"earned": partner_portal.money(row["earned"], row["currency"]),
		}
		for row in overview["commission"]
	]
