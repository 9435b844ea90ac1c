"""/partner/registrations: the partner's Deal Registrations with their status, and a form to register a
deal (opportunity_crm.api.register_deal)."""

import frappe

from opportunity_crm.channel import partner_portal

no_cache = 1


def get_context(context):
	# the page's reads go to the site's read replica when it has one; get_context itself stays plain:
	# Frappe passes `context` only to a function whose own signature names it (getfullargspec)
	read_page(context)


@frappe.read_only()
def read_page(context):
	partner = partner_portal.page_context(context, "/partner/registrations")
	context.rows = [
		{
			**row,
			"expected_amount": partner_portal.money(row.expected_amount, row.currency),
			"expected_closing": partner_portal.date(row.expected_closing),
			"protected_until": partner_portal.date(row.protected_until),
		}
		for row in partner_portal.registrations(partner)
	]
	context.items = frappe.get_all(
		"Item",
		filters={"is_sales_item": 1, "disabled": 0, "has_variants": 0},
		fields=["name", "item_name"],
		order_by="item_name",
		limit=500,
		ignore_permissions=True,
	)
	company = frappe.defaults.get_global_default("company")
	context.default_currency = company and frappe.get_cached_value("Company", company, "default_currency")
	context.default_country = frappe.db.get_default("country")
