import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields as _create_custom_fields
from frappe.custom.doctype.property_setter.property_setter import make_property_setter
from frappe.query_builder.functions import Min

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
	"""Fill `Opportunity.lead` and `Opportunity.customer` on a site that already has data.

	Where a Lead already has several Opportunities (possible in stock ERPNext), only the oldest one is
	linked, so that the unique index holds; the others keep `lead` empty.
	"""
	opportunity = frappe.qb.DocType("Opportunity")
	first_per_lead = (
		frappe.qb.from_(opportunity)
		.select(opportunity.party_name, Min(opportunity.creation).as_("first_creation"))
		.where((opportunity.opportunity_from == "Lead") & opportunity.party_name.isnotnull())
		.groupby(opportunity.party_name)
		.run(as_dict=True)
	)
	taken = set(frappe.get_all("Opportunity", filters={"lead": ("is", "set")}, pluck="lead"))
	for row in first_per_lead:
		if row.party_name in taken:
			continue
		name = frappe.db.get_value(
			"Opportunity",
			{"opportunity_from": "Lead", "party_name": row.party_name, "creation": row.first_creation},
		)
		frappe.db.set_value("Opportunity", name, "lead", row.party_name, update_modified=False)

	linked = set(frappe.get_all("Opportunity", filters={"customer": ("is", "set")}, pluck="customer"))
	customers = frappe.get_all(
		"Customer",
		filters={"opportunity_name": ("is", "set")},
		fields=["name", "opportunity_name"],
		order_by="creation asc",
	)
	for customer in customers:
		if customer.name in linked:
			continue
		if frappe.db.get_value("Opportunity", customer.opportunity_name, "customer") is None:
			frappe.db.set_value(
				"Opportunity", customer.opportunity_name, "customer", customer.name, update_modified=False
			)
			linked.add(customer.name)


def before_tests():
	"""Complete ERPNext's setup wizard (a Company, fiscal year, defaults) so the suite can run."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
