"""A `before_request` check of REST writes to the doctypes the app has rules for.

Frappe validates a document's links before any document hook runs, and fails with a server error on a
list or an object where a name belongs (`{"company": ["x"]}`). Checking the shape of the request body
first answers such input with a 417 that names the field.
"""

import json
from urllib.parse import unquote

import frappe
from frappe import _

from opportunity_crm.crm.field_shapes import check_value_shapes
from opportunity_crm.exceptions import InvalidArgumentError

GUARDED_DOCTYPES = {
	"Opportunity",
	"Customer",
	"Quotation",
	"Sales Order",
	"Sales Partner",
	"Address",
	"Contact",
}


def check_resource_write():
	request = getattr(frappe.local, "request", None)
	if not request or request.method not in ("POST", "PUT", "PATCH"):
		return
	doctype = resource_doctype(request.path)
	if doctype not in GUARDED_DOCTYPES:
		return
	body = request_body()
	if not isinstance(body, dict):
		frappe.throw(
			_("The body of a {0} write must be a JSON object.").format(_(doctype)), InvalidArgumentError
		)
	check_value_shapes(doctype, body, "body", refuse_unknown=False)


def resource_doctype(path: str) -> str | None:
	parts = [unquote(part) for part in path.strip("/").split("/")]
	for marker in ("resource", "document"):  # /api/resource/X (v1), /api/v2/document/X
		if marker in parts[:3] and parts.index(marker) + 1 < len(parts):
			return parts[parts.index(marker) + 1]
	return None


def request_body():
	data = frappe.local.form_dict.get("data")
	if isinstance(data, str):
		try:
			return json.loads(data)
		except ValueError:
			return None
	return data if data is not None else dict(frappe.local.form_dict)
