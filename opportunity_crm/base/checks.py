"""Checks of the records a conversion starts from, shared by the API and the bulk job."""

import frappe
from frappe import _

from opportunity_crm.exceptions import DisabledRecordError, InvalidArgumentError


def require_record(doctype: str, name: str, argument: str, ptype: str) -> None:
	if not name or not isinstance(name, str):
		frappe.throw(
			_("{0} is required: the name of a {1}.").format(argument, _(doctype)), InvalidArgumentError
		)
	if not frappe.db.exists(doctype, name):
		frappe.throw(
			_("{0}: {1} {2} does not exist.").format(argument, _(doctype), frappe.bold(name)),
			frappe.DoesNotExistError,
		)
	frappe.has_permission(doctype, ptype, name, throw=True)


def require_enabled(doctype: str, name: str, argument: str, for_update: bool = False) -> None:
	"""The record exists (404 otherwise) and is not disabled: one query, optionally locking the row."""
	if not name or not isinstance(name, str):
		frappe.throw(
			_("{0} is required: the name of a {1}.").format(argument, _(doctype)), InvalidArgumentError
		)
	disabled = frappe.db.get_value(doctype, name, "disabled", for_update=for_update)
	if disabled is None:
		frappe.throw(
			_("{0}: {1} {2} does not exist.").format(argument, _(doctype), frappe.bold(name)),
			frappe.DoesNotExistError,
		)
	if disabled:
		frappe.throw(
			_("{0}: {1} {2} is disabled; enable it before converting.").format(
				argument, _(doctype), frappe.bold(name)
			),
			DisabledRecordError,
		)
