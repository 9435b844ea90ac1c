"""Opportunity's controller: ERPNext's, with one method done cheaper (issue 19; docs/performance.md).

ERPNext's `Opportunity.map_fields` runs in every `validate`: for every column of the Opportunity that is
empty it asks the database whether the party's doctype has a standard field of that name
(`frappe.db.field_exists`, a `tabDocField` query that nothing caches), and reads that one field from the
party when it does. About 40 statements per save, 12 of them for the app's own columns.

`map_fields` below keeps ERPNext's rule, field for field: a column empty on the Opportunity (`not
doc.get(column)`), present as a standard field (a `DocField` row, not a Custom Field) of the party's
doctype, gets the party's value (None when the party is not found); a field the party's table has no
column for is skipped, as ERPNext's failing `get_value` skips it. It asks the party's cached meta instead
of `tabDocField`, and reads all found fields in one `get_value`: 1 statement instead of ~40. Whatever
it does not handle that way (a single or virtual party doctype, a failing read) goes to ERPNext's own
method. `tests/test_opportunity_controller.py` compares the two on Opportunities from a Lead, a Customer
and a Prospect.

How it is hooked (hooks.py): Frappe 16 composes `OpportunityMapFields` with ERPNext's class
(`extend_doctype_class`, which other apps' extensions of Opportunity compose with); Frappe 15 has only
`override_doctype_class`, which takes `Opportunity` below, ERPNext's class with the mixin first. That is
how HRMS overrides ERPNext's Employee (`hrms.overrides.employee_master.EmployeeMaster`).
"""

import frappe
from erpnext.crm.doctype.opportunity.opportunity import Opportunity as ERPNextOpportunity
from frappe.model import data_fieldtypes


class OpportunityMapFields:
	def map_fields(self):
		"""ERPNext's `Opportunity.map_fields`, from the party's cached meta and with one read (see the
		module)."""
		party_doctype = self.opportunity_from
		if not party_doctype:
			return  # no DocField has an empty parent: ERPNext copies nothing either
		try:
			party_meta = frappe.get_meta(party_doctype)
		except frappe.DoesNotExistError:
			frappe.clear_last_message()
			return  # no such doctype, so no DocField of it (the link check names the error)
		if party_meta.issingle or party_meta.get("is_virtual"):
			return super().map_fields()

		columns = []
		for column in self.meta.get_valid_columns():
			if self.get(column):
				continue
			field = party_meta.get_field(column)
			if not field or field.get("is_custom_field"):
				continue  # not in tabDocField: ERPNext's field_exists says no
			if field.fieldtype in data_fieldtypes and not field.get("is_virtual"):
				columns.append(column)
			# else no column on the party's table: ERPNext's get_value fails and it skips the field
		if not columns:
			return
		try:
			values = frappe.db.get_value(party_doctype, self.party_name, columns, as_dict=True)
		except Exception:
			return super().map_fields()
		for column in columns:
			self.set(column, values.get(column) if values else None)


class Opportunity(OpportunityMapFields, ERPNextOpportunity):
	"""The controller Frappe 15 takes (`override_doctype_class`); Frappe 16 builds its own from the
	mixin (`extend_doctype_class`)."""
