import frappe
from frappe import _

from opportunity_crm.base.atomic import atomic
from opportunity_crm.base.field_shapes import check_value_shapes
from opportunity_crm.exceptions import InvalidArgumentError
from opportunity_crm.opportunities.party_links import add_links
from opportunity_crm.opportunities.rules import require_address_and_contact


def create_opportunity(opportunity: dict, addresses: list, contacts: list) -> str:
	"""Insert an Opportunity with new or existing Addresses and Contacts linked to it, all or nothing."""
	if not isinstance(opportunity, dict):
		throw_invalid(_("opportunity must be an object with the fields of an Opportunity."))
	check_value_shapes("Opportunity", opportunity, "opportunity")
	address_specs = parse_specs("Address", "addresses", addresses)
	contact_specs = parse_specs("Contact", "contacts", contacts)

	with atomic():
		doc = frappe.get_doc({**opportunity, "doctype": "Opportunity"})
		doc.insert()
		for doctype, specs in (("Address", address_specs), ("Contact", contact_specs)):
			link_or_create(doctype, specs, doc.name)
		require_address_and_contact(doc.name, "Opportunity")

	return doc.name


def parse_specs(doctype: str, argument: str, specs) -> list:
	"""Check a list of names of existing records and/or dicts of new ones before anything is written."""
	if specs is None:
		return []
	if not isinstance(specs, list):
		throw_invalid(_("{0} must be a list of {1} names or objects.").format(argument, _(doctype)))

	seen = set()
	for spec in specs:
		if isinstance(spec, str):
			if not spec.strip() or not frappe.db.exists(doctype, spec):
				throw_invalid(_("{0}: {1} {2} does not exist.").format(argument, _(doctype), repr(spec)))
			if spec in seen:
				throw_invalid(_("{0}: {1} {2} is listed twice.").format(argument, _(doctype), repr(spec)))
			frappe.has_permission(doctype, "read", spec, throw=True)
			seen.add(spec)
		elif isinstance(spec, dict):
			if spec.get("doctype", doctype) != doctype:
				throw_invalid(_("{0}: each object must be a {1}.").format(argument, _(doctype)))
			check_value_shapes(doctype, spec, argument)
			if spec.get("name"):
				throw_invalid(
					_(
						"{0}: a new {1} cannot be given a name; pass the name alone to link an existing one."
					).format(argument, _(doctype))
				)
		else:
			throw_invalid(_("{0}: each item must be a {1} name or object.").format(argument, _(doctype)))
	return specs


def link_or_create(doctype: str, specs: list, opportunity: str) -> None:
	existing = [(doctype, spec) for spec in specs if isinstance(spec, str)]
	add_links(existing, "Opportunity", opportunity)
	for spec in specs:
		if isinstance(spec, dict):
			doc = frappe.get_doc({**spec, "doctype": doctype})
			doc.append("links", {"link_doctype": "Opportunity", "link_name": opportunity})
			doc.insert()


def throw_invalid(message: str) -> None:
	frappe.throw(message, InvalidArgumentError, title=_("Invalid argument"))
