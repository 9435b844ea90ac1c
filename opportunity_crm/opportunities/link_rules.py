"""An Opportunity that has a Quotation, a Sales Order or a Customer keeps at least one linked Address and
one linked Contact (the rule `rules.require_address_and_contact` checks before each of them is made).

So no path may take its last one away: saving an Address/Contact without its link to the Opportunity (desk
form, REST, Data Import), deleting it, or merging it (Rename ▸ Merge) into a record that is not linked to
the Opportunity. Frappe's merge does not move the merged record's `links` to the target: it deletes the
record with them. An Opportunity with none of those documents may lose its links freely.
"""

import frappe
from frappe import _

from opportunity_crm.exceptions import MissingAddressOrContactError
from opportunity_crm.opportunities.party_links import count_linked_records


def check_unlinked(doc) -> None:
	"""Saving an Address/Contact (validate): the Opportunities whose link was removed keep another one."""
	previous = doc.get_doc_before_save()
	if not previous:
		return
	removed = linked_opportunities(previous) - linked_opportunities(doc)
	keep_last_links(doc, removed, "unlink")


def check_deleted(doc) -> None:
	"""Deleting an Address/Contact (on_trash), also the merged one at the end of a merge."""
	keep_last_links(doc, linked_opportunities(doc), "delete")


def check_merged(doc, new: str, merge: bool) -> None:
	"""Rename ▸ Merge of `doc` into `new` (before_rename): `doc` and its links go, `new` keeps its own."""
	if merge:
		keep_last_links(doc, linked_opportunities(doc), "merge", target=new)


def linked_opportunities(doc) -> set[str]:
	return {
		row.link_name for row in doc.get("links") or [] if row.link_doctype == "Opportunity" and row.link_name
	}


def keep_last_links(doc, opportunities: set[str], action: str, target: str | None = None) -> None:
	"""Refuse when `doc` is the last Address/Contact of an Opportunity that has one of the documents."""
	if not opportunities:
		return
	for opportunity, document in opportunities_with_documents(opportunities).items():
		# A locking read: two records unlinked at once cannot both count on the other one.
		if not count_linked_records("Opportunity", opportunity, exclude=doc.name, for_update=True)[
			doc.doctype
		]:
			refuse(doc, opportunity, document, action, target)


def opportunities_with_documents(opportunities: set[str]) -> dict[str, str]:
	"""Those of the Opportunities that have a Customer, or a Quotation or a Sales Order that is not
	cancelled, each with one of those documents ("Customer CUST-0001"), in one query."""
	opportunity = frappe.qb.DocType("Opportunity")
	quotation = frappe.qb.DocType("Quotation")
	sales_order = frappe.qb.DocType("Sales Order")
	first_quotation = (
		frappe.qb.from_(quotation)
		.select(quotation.name)
		.where((quotation.opportunity == opportunity.name) & (quotation.docstatus < 2))
		.limit(1)
	)
	first_sales_order = (
		frappe.qb.from_(sales_order)
		.select(sales_order.name)
		.where((sales_order.opportunity == opportunity.name) & (sales_order.docstatus < 2))
		.limit(1)
	)
	rows = (
		frappe.qb.from_(opportunity)
		.select(opportunity.name, opportunity.customer, first_sales_order, first_quotation)
		.where(opportunity.name.isin(sorted(opportunities)))
		.run()
	)
	found = {}
	for name, customer, sales_order_name, quotation_name in rows:
		for doctype, value in (
			("Customer", customer),
			("Sales Order", sales_order_name),
			("Quotation", quotation_name),
		):
			if value:
				found[name] = f"{_(doctype)} {frappe.bold(value)}"
				break
	return dict(sorted(found.items()))


def refuse(doc, opportunity: str, document: str, action: str, target: str | None) -> None:
	doctype, name, opportunity = _(doc.doctype), frappe.bold(doc.name), frappe.bold(opportunity)
	if action == "merge":
		message = _(
			"{0} {1} cannot be merged into {2}: it is the last {0} linked to Opportunity {3}, which has {4}, and {2} is not linked to that Opportunity (field Links). Link {2} to the Opportunity first."
		).format(doctype, name, frappe.bold(target), opportunity, document)
	elif action == "delete":
		message = _(
			"{0} {1} cannot be deleted: it is the last {0} linked to Opportunity {2}, which has {3} (field Links). Link another {0} to the Opportunity first."
		).format(doctype, name, opportunity, document)
	else:
		message = _(
			"The link of {0} {1} to Opportunity {2} cannot be removed (field Links): it is the last {0} linked to that Opportunity, which has {3}. Link another {0} to the Opportunity first."
		).format(doctype, name, opportunity, document)
	rule = _(
		"An Opportunity that has a Quotation, a Sales Order or a Customer keeps at least one linked Address and one linked Contact."
	)
	frappe.throw(f"{message} {rule}", MissingAddressOrContactError, title=_("Address or Contact missing"))
