import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields as _create_custom_fields
from frappe.custom.doctype.property_setter.property_setter import make_property_setter

from opportunity_crm.constants.custom_fields import (
	CUSTOM_FIELDS,
	DEFAULT_STAGE_PROBABILITIES,
	PROPERTY_SETTERS,
)


def after_install():
	create_custom_fields()
	backfill_links()
	set_default_stage_probabilities()
	# New installs start with row-level access on; a site that upgrades gets the settings doctype with
	# the switch off (its default), so nobody loses access by surprise.
	frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)


def before_uninstall():
	delete_custom_fields()


def create_custom_fields():
	"""Create or update the app's custom fields and property setters; safe to run any number of times."""
	_create_custom_fields(CUSTOM_FIELDS, ignore_validate=True, update=True)
	for setter in PROPERTY_SETTERS:
		make_property_setter(
			setter["doctype"],
			setter["fieldname"],
			setter["property"],
			setter["value"],
			setter["property_type"],
			validate_fields_for_doctype=False,
		)
	frappe.db.sql(
		"update `tabSales Partner` set partner_kind = 'Company' where ifnull(partner_kind, '') = ''"
	)


def delete_custom_fields():
	"""Remove the app's custom fields and property setters. The columns and their values stay, as Frappe
	leaves them."""
	for doctype, fields in CUSTOM_FIELDS.items():
		frappe.db.delete(
			"Custom Field", {"dt": doctype, "fieldname": ("in", [field["fieldname"] for field in fields])}
		)
		frappe.clear_cache(doctype=doctype)
	for setter in PROPERTY_SETTERS:
		frappe.db.delete(
			"Property Setter",
			{
				"doc_type": setter["doctype"],
				"field_name": setter["fieldname"],
				"property": setter["property"],
			},
		)
		frappe.clear_cache(doctype=setter["doctype"])


def set_default_stage_probabilities():
	"""Give ERPNext's standard Sales Stages a probability where the site has none; create missing ones."""
	for stage, probability in DEFAULT_STAGE_PROBABILITIES.items():
		if not frappe.db.exists("Sales Stage", stage):
			frappe.get_doc(
				{"doctype": "Sales Stage", "stage_name": stage, "probability": probability}
			).insert(ignore_permissions=True)
		elif not frappe.db.get_value("Sales Stage", stage, "probability"):
			frappe.db.set_value("Sales Stage", stage, "probability", probability, update_modified=False)


def backfill_links():
	"""Fill `Opportunity.lead` and `Opportunity.customer` on a site that already has data: one read per
	table, then one UPDATE per chunk of rows, however many Opportunities the site has.

	Where a Lead already has several Opportunities (possible in stock ERPNext), only the oldest one is
	linked, so that the unique index holds; the others keep `lead` empty. Likewise a Customer is linked
	only to an Opportunity that has none yet.
	"""
	opportunities = frappe.get_all(
		"Opportunity",
		filters={"opportunity_from": "Lead", "party_name": ("is", "set")},
		fields=["name", "party_name", "lead", "customer"],
		order_by="creation asc, name asc",
	)
	taken = {row.lead for row in opportunities if row.lead}
	first_of_lead = {}
	for row in opportunities:
		if not row.lead and row.party_name not in taken:
			first_of_lead.setdefault(row.party_name, row.name)
	set_lead_from_party(list(first_of_lead.values()))

	has_customer = {
		name: customer
		for name, customer in frappe.get_all("Opportunity", fields=["name", "customer"], as_list=True)
	}
	linked = {customer for customer in has_customer.values() if customer}
	customer_of = {}
	for customer in frappe.get_all(
		"Customer",
		filters={"opportunity_name": ("is", "set")},
		fields=["name", "opportunity_name"],
		order_by="creation asc",
	):
		opportunity = customer.opportunity_name
		if opportunity in has_customer and not has_customer[opportunity] and customer.name not in linked:
			customer_of.setdefault(opportunity, customer.name)
			linked.add(customer.name)
	for opportunity, customer in customer_of.items():
		frappe.db.set_value("Opportunity", opportunity, "customer", customer, update_modified=False)


def set_lead_from_party(names: list[str], chunk: int = 1000) -> None:
	"""`lead` = `party_name` for the given Opportunities, a chunk per statement."""
	opportunity = frappe.qb.DocType("Opportunity")
	for start in range(0, len(names), chunk):
		(
			frappe.qb.update(opportunity)
			.set(opportunity.lead, opportunity.party_name)
			.where(opportunity.name.isin(names[start : start + chunk]))
			.run()
		)


def before_tests():
	"""Complete ERPNext's setup wizard (a Company, fiscal year, defaults) so the suite can run."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
