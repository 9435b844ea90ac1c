"""Bad input in a REST write to the doctypes the app has rules for: a 417 that names the field, not a 500.

Why a `before_request` hook and not a document event: Frappe fails on such input before the first event
of the document runs.
- The REST handlers build the document from the body (`frappe/api/v1.py` and `v2.py`: `create_doc` /
  `update_doc` -> `Document.update`); a string, or a list of non-objects, in a table field (`{"items": "x"}`)
  raises a TypeError in `Document.append` before there is a document to hook into.
- `Document.insert` and `save` run `_validate_links` before `before_insert` / `before_validate`; an object in
  a Link field (`{"company": {"a": 1}}`) becomes the filters of its look-up, and the query fails (SQL error
  1054).
So the shape of the body is checked on the request, before Frappe's handler. Everything after that (a list
in a plain field, ERPNext's controllers) the documents' own events check (`check_document_shapes`).

Kept as a request hook (issue 17 asked whether a document event or Frappe's own type checks could take
over: in Frappe 15 and 16 neither runs before the failures above; `Document.extend` turns a string into
`append` calls that raise a ValueError, a 500). The hook runs for every request of the site, of every app:
it returns after a dict look-up and a prefix test unless the request is a create (POST /api/resource/X,
/api/v1/resource/X, /api/v2/document/X) or an update (PUT, or PATCH in v2, of .../X/NAME) of one of the
GUARDED_DOCTYPES. Measured (benchmarks/request_guard.py, v15, 2 busy cores): 2.4 µs for a page or a method
call, 4.6 µs for a REST write of another doctype, 77 µs for an Opportunity insert of 10 fields and a 3-row
Sales Team (108 µs as v1's `data=<json>`); a whole GET /api/method/ping took 18 ms in the same process.
"""

import json
import re

import frappe
from frappe import _

from opportunity_crm.base.field_shapes import check_value_shapes
from opportunity_crm.exceptions import InvalidArgumentError

GUARDED_DOCTYPES = frozenset(
	{"Opportunity", "Customer", "Quotation", "Sales Order", "Sales Partner", "Address", "Contact"}
)
# method -> whether it writes one document (.../X/NAME) rather than creating one (.../X)
WRITE_METHODS = {"POST": False, "PUT": True, "PATCH": True}
# Frappe's REST routes of documents; werkzeug's `request.path` is already decoded ("Sales Order")
DOCUMENT_ROUTE_PREFIXES = ("/api/resource/", "/api/v1/resource/", "/api/v2/document/")
DOCUMENT_ROUTE = re.compile(
	r"/api/(?:(?:v1/)?resource|(?P<v2>v2/document))/(?P<doctype>[^/]+)(?:/(?P<name>[^/].*?))?/?"
)


def check_resource_write():
	request = frappe.local.request
	writes_one = WRITE_METHODS.get(request.method)
	if writes_one is None or not request.path.startswith(DOCUMENT_ROUTE_PREFIXES):
		return
	route = DOCUMENT_ROUTE.fullmatch(request.path)
	if not route or route["doctype"] not in GUARDED_DOCTYPES or bool(route["name"]) != writes_one:
		return  # a method call (/api/method/...), another doctype, or a route Frappe answers itself
	doctype = route["doctype"]
	body = request_body(version_2=bool(route["v2"]))
	if not isinstance(body, dict):
		frappe.throw(
			_("The body of a {0} write must be a JSON object.").format(_(doctype)), InvalidArgumentError
		)
	check_value_shapes(doctype, body, "body", refuse_unknown=False)


def request_body(version_2: bool):
	"""What Frappe's handler will write: v2 takes the form dict, v1 its `data` key when there is one."""
	form_dict = frappe.local.form_dict
	if version_2:
		return dict(form_dict)
	data = form_dict.get("data")
	if isinstance(data, str):
		try:
			return json.loads(data)
		except ValueError:
			return None
	return data if data is not None else dict(form_dict)
