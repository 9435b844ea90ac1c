"""/partner: the partner's overview (counts and commission)."""

import frappe

from opportunity_crm.channel import partner_portal

no_cache = 1


def get_context(context):
	# the page's reads go to the site's read replica when it has one; get_context itself stays plain:
	# Frappe passes `context` only to a function whose own signature names it (getfullargspec)
	read_page(context)


@frappe.read_only()
def read_page(context):
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
