"""/partner/orders: the Quotations and Sales Orders of the partner's Opportunities."""

import frappe

from opportunity_crm.channel import partner_portal

no_cache = 1


def get_context(context):
	# the page's reads go to the site's read replica when it has one; get_context itself stays plain:
	# Frappe passes `context` only to a function whose own signature names it (getfullargspec)
	read_page(context)


@frappe.read_only()
def read_page(context):
	partner = partner_portal.page_context(context, "/partner/orders")
	placed = partner_portal.orders(partner)
	context.sections = [
		(
			key,
			title,
			[
				{
					**row,
					"total": partner_portal.money(row.grand_total, row.currency),
					"date": partner_portal.date(row.transaction_date),
				}
				for row in placed[key]
			],
		)
		for key, title in (("quotations", "Quotations"), ("sales_orders", "Sales Orders"))
	]
