"""ERPNext's desk mappers (Create ▸ …), checked before the new form opens.

The same rules hold on save through the doc_events; checking here too saves the user from filling in a
form that would be refused. Each wrapper hands over to ERPNext's own mapper unchanged.
"""

import frappe
from erpnext.crm.doctype.lead import lead as erpnext_lead
from erpnext.crm.doctype.opportunity import opportunity as erpnext_opportunity

from opportunity_crm.crm.rules import (
	ensure_lead_has_no_other_opportunity,
	ensure_opportunity_has_no_other_customer,
	require_address_and_contact,
)


@frappe.whitelist()
def make_opportunity_from_lead(source_name, target_doc=None):
	ensure_lead_has_no_other_opportunity(source_name, lock=False)
	return erpnext_lead.make_opportunity(source_name, target_doc)


@frappe.whitelist()
def make_customer_from_opportunity(source_name, target_doc=None):
	ensure_opportunity_has_no_other_customer(source_name, lock=False)
	require_address_and_contact(source_name, "Customer")
	return erpnext_opportunity.make_customer(source_name, target_doc)


@frappe.whitelist()
def make_quotation_from_opportunity(source_name, target_doc=None):
	require_address_and_contact(source_name, "Quotation")
	return erpnext_opportunity.make_quotation(source_name, target_doc)
