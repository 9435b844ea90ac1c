"""Values of the right shape: a plain value for a plain field, a list of rows for a table.

Frappe stores what it is given; ERPNext's controllers then fail on a list where a name was expected, as
a server error. Checking the shape first turns such input into a clear 4xx naming the field.
"""

import datetime
from decimal import Decimal

import frappe
from frappe import _
from frappe.model import table_fields

from opportunity_crm.exceptions import InvalidArgumentError

# what JSON gives, plus what a loaded Document holds in date, time and currency fields
# keys a document dict may carry that are not fields of its doctype
NOT_FIELDS = {"doctype", "name", "flags", "__islocal", "__unsaved", "docstatus", "idx"}
SCALARS = (str, int, float, bool, type(None), Decimal, datetime.date, datetime.time, datetime.timedelta)
# a Link names a record: Frappe v16 asserts a str or an int there (`BaseDocument.get_invalid_links`), a 500
# for anything else; v15 looked it up and refused it with a 417
LINK_TYPES = ("Link", "Dynamic Link")
NAMES = (str, int)


def check_document_shapes(doc) -> None:
	"""Every field of a Document (and of its rows) holds a value of its field type's shape."""
	for field in doc.meta.fields:
		value = doc.get(field.fieldname)
		if field.fieldtype in table_fields:
			for row in value or []:
				check_document_shapes(row)
		elif not isinstance(value, SCALARS):
			throw_wrong_shape(doc.doctype, field.fieldname)
		elif field.fieldtype in LINK_TYPES and value and not isinstance(value, NAMES):
			throw_not_a_name(doc.doctype, field.fieldname)


def check_value_shapes(doctype: str, values: dict, argument: str, refuse_unknown: bool = True) -> None:
	"""The same for a dict of values meant for `doctype`; keys that are no field of it are refused (or,
	without `refuse_unknown`, passed over as Frappe's REST API does)."""
	meta = frappe.get_meta(doctype)
	for key, value in values.items():
		if key in NOT_FIELDS:
			continue
		field = meta.get_field(key) if isinstance(key, str) else None
		if not field:
			if not refuse_unknown:
				continue
			frappe.throw(
				_("{0}: {1} has no field {2}.").format(argument, _(doctype), repr(key)[:140]),
				InvalidArgumentError,
			)
		if field.fieldtype in table_fields:
			if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
				frappe.throw(
					_("{0}: {1} must be a list of objects.").format(argument, key), InvalidArgumentError
				)
			for row in value:
				check_value_shapes(field.options, row, f"{argument}.{key}", refuse_unknown)
		elif not isinstance(value, SCALARS):
			throw_wrong_shape(doctype, key, argument)
		elif field.fieldtype in LINK_TYPES and value and not isinstance(value, NAMES):
			throw_not_a_name(doctype, key, argument)


def throw_wrong_shape(doctype: str, fieldname: str, argument: str | None = None) -> None:
	label = f"{argument}: {fieldname}" if argument else _("{0} (field {1})").format(_(doctype), fieldname)
	frappe.throw(
		_("{0} must be a single value, not a list or an object.").format(label), InvalidArgumentError
	)


def throw_not_a_name(doctype: str, fieldname: str, argument: str | None = None) -> None:
	label = f"{argument}: {fieldname}" if argument else _("{0} (field {1})").format(_(doctype), fieldname)
	frappe.throw(_("{0} must be the name of a record.").format(label), InvalidArgumentError)
