"""The Opportunity rules, each in one place. Every check raises a subclass of `OpportunityRuleError`
with a message that names the record, the field and the rule."""

import frappe
from frappe import _

from opportunity_crm.exceptions import (
	DuplicateCustomerError,
	DuplicateOpportunityError,
	FixedPartyError,
	InvalidSalesPersonError,
	MissingAddressOrContactError,
	OpportunityMismatchError,
	ReadOnlyFieldError,
)
from opportunity_crm.opportunities.party_links import count_linked_records


def find_other_opportunity_of_lead(
	lead: str, opportunity: str | None = None, lock: bool = True
) -> str | None:
	"""The Opportunity that is already the Lead's (`Opportunity.lead`), other than `opportunity`.

	With `lock` (inside an Opportunity insert or save) the read is a locking one: it sees an Opportunity
	that a concurrent conversion committed a moment ago, which a plain read in an older REPEATABLE READ
	snapshot would miss. Opportunity inserts are already serialised by their naming series lock, taken
	before validate, so this gap lock cannot interleave with another insert's. Take it nowhere earlier:
	a gap lock on the `lead` index held while waiting for the series would deadlock concurrent
	conversions of different Leads. The unique index on `Opportunity.lead` stays the last word.
	"""
	return frappe.db.get_value(
		"Opportunity", {"lead": lead, "name": ("!=", opportunity or "")}, "name", for_update=lock
	)


def ensure_lead_has_no_other_opportunity(
	lead: str, opportunity: str | None = None, lock: bool = True
) -> None:
	"""A Lead has at most one Opportunity."""
	existing = find_other_opportunity_of_lead(lead, opportunity, lock)
	if existing:
		frappe.throw(
			_(
				"Lead {0} already has Opportunity {1}: a Lead can have at most one Opportunity (field Lead)."
			).format(frappe.bold(lead), frappe.bold(existing)),
			DuplicateOpportunityError,
			title=_("Lead already converted"),
		)


def ensure_opportunity_has_no_other_customer(
	opportunity: str, customer: str | None = None, lock: bool = True
) -> str | None:
	"""An Opportunity becomes at most one Customer; return the one it has (None, or `customer`).

	A locking read of the Opportunity's own row (a record lock, no gap): conversions of one Opportunity
	queue up on it and see each other's result."""
	existing = frappe.db.get_value("Opportunity", opportunity, "customer", for_update=lock)
	if existing and existing != customer:
		frappe.throw(
			_(
				"Opportunity {0} already became Customer {1}: an Opportunity can become at most one Customer (field Customer)."
			).format(frappe.bold(opportunity), frappe.bold(existing)),
			DuplicateCustomerError,
			title=_("Opportunity already converted"),
		)
	return existing


def ensure_customer_has_no_other_opportunity(customer, opportunity: str) -> None:
	"""A Customer (a loaded document) belongs to at most one Opportunity."""
	existing = customer.opportunity_name
	if existing and existing != opportunity:
		frappe.throw(
			_(
				"Customer {0} already belongs to Opportunity {1}: a Customer belongs to at most one Opportunity (field Opportunity)."
			).format(frappe.bold(customer.name), frappe.bold(existing)),
			DuplicateCustomerError,
			title=_("Customer already linked"),
		)


def require_address_and_contact(opportunity: str, target: str) -> None:
	"""An Opportunity needs at least one linked Address and one linked Contact to become `target`
	(a Quotation, a Sales Order or a Customer)."""
	counts = count_linked_records("Opportunity", opportunity)
	missing = [_(doctype) for doctype in ("Address", "Contact") if not counts[doctype]]
	if missing:
		frappe.throw(
			_(
				"Opportunity {0} cannot become a {1}: it needs at least one linked Address and one linked Contact, and it has no {2}."
			).format(frappe.bold(opportunity), _(target), _(" and no ").join(missing)),
			MissingAddressOrContactError,
			title=_("Address or Contact missing"),
		)


def validate_sales_person(sales_person: str) -> None:
	"""Opportunity.sales_person is an enabled Sales Person that is not a group."""
	values = frappe.db.get_value("Sales Person", sales_person, ["enabled", "is_group"], as_dict=True)
	if not values:
		return  # Frappe's link validation reports a name that does not exist
	if values.is_group:
		frappe.throw(
			_(
				"Sales Person {0} is a group: the Sales Person of an Opportunity must be an individual."
			).format(frappe.bold(sales_person)),
			InvalidSalesPersonError,
			title=_("Invalid Sales Person"),
		)
	if not values.enabled:
		frappe.throw(
			_("Sales Person {0} is disabled: the Sales Person of an Opportunity must be enabled.").format(
				frappe.bold(sales_person)
			),
			InvalidSalesPersonError,
			title=_("Invalid Sales Person"),
		)


def get_opportunity_customer(opportunity) -> str | None:
	"""The Customer an Opportunity's orders are for: the one it became, or the Customer it was for."""
	if opportunity.customer:
		return opportunity.customer
	if opportunity.opportunity_from == "Customer":
		return opportunity.party_name
	return None


def is_active_sales_person(sales_person: str | None) -> bool:
	"""Enabled and not a group: the only kind ERPNext accepts in a new sales team."""
	if not sales_person:
		return False
	values = frappe.db.get_value("Sales Person", sales_person, ["enabled", "is_group"], as_dict=True)
	return bool(values and values.enabled and not values.is_group)


def add_sales_person(doc, sales_person: str) -> None:
	"""Put a Sales Person in a `sales_team` table (Customer) unless it is there already: 100 % in an empty
	team, 0 % beside an existing team so that its split still adds up to 100 %. A person who left (disabled)
	or became a group is not added: people change, the records they worked on must still go through."""
	if any(row.sales_person == sales_person for row in doc.get("sales_team")):
		return
	if not is_active_sales_person(sales_person):
		return
	doc.append(
		"sales_team",
		{"sales_person": sales_person, "allocated_percentage": 0 if doc.get("sales_team") else 100},
	)


def ensure_party_is_fixed_once_ordered(opportunity) -> None:
	"""An Opportunity's party and company are fixed once it has submitted Quotations or Sales Orders:
	they are addressed to that party, for that company."""
	if opportunity.is_new() or not any(
		opportunity.has_value_changed(field) for field in ("opportunity_from", "party_name", "company")
	):
		return
	for doctype in ("Sales Order", "Quotation"):
		submitted = frappe.db.get_value(doctype, {"opportunity": opportunity.name, "docstatus": 1}, "name")
		if submitted:
			frappe.throw(
				_(
					"Opportunity {0} has submitted {1} {2}: its party (fields Opportunity From, Party) and its Company are fixed once it has submitted Quotations or Sales Orders."
				).format(frappe.bold(opportunity.name), _(doctype), frappe.bold(submitted)),
				FixedPartyError,
				title=_("Party is fixed"),
			)


def opportunity_values(name: str):
	"""What a Quotation's or Sales Order's checks read of their Opportunity, in one query."""
	return frappe.db.get_value(
		"Opportunity",
		name,
		["name", "company", "customer", "opportunity_from", "party_name"],
		as_dict=True,
	)


def ensure_same_company(transaction, opportunity) -> None:
	"""A Quotation or Sales Order belongs to an Opportunity of its own Company."""
	if opportunity.company != transaction.company:
		frappe.throw(
			_(
				"Opportunity {0} (field Opportunity) belongs to Company {1}, but this {2} is for Company {3}: a {2} belongs to an Opportunity of its own Company."
			).format(
				frappe.bold(opportunity.name),
				frappe.bold(opportunity.company),
				_(transaction.doctype),
				frappe.bold(transaction.company),
			),
			OpportunityMismatchError,
			title=_("Opportunity of another Company"),
		)


def ensure_quotation_matches_opportunity(quotation) -> None:
	"""A Quotation is addressed to its Opportunity's party (or the Customer it became), for its Company."""
	opportunity = opportunity_values(quotation.opportunity)
	if not opportunity:
		return  # Frappe's link validation reports an Opportunity that does not exist
	ensure_same_company(quotation, opportunity)
	parties = {(opportunity.opportunity_from, opportunity.party_name)}
	if opportunity.customer:
		parties.add(("Customer", opportunity.customer))
	if (quotation.quotation_to, quotation.party_name) not in parties:
		frappe.throw(
			_(
				"Opportunity {0} (field Opportunity) is for {1} {2}, but this Quotation is for {3} {4}: a Quotation is addressed to its Opportunity's party."
			).format(
				frappe.bold(opportunity.name),
				_(opportunity.opportunity_from),
				frappe.bold(opportunity.party_name),
				_(quotation.quotation_to or ""),
				frappe.bold(quotation.party_name),
			),
			OpportunityMismatchError,
			title=_("Opportunity of another party"),
		)


def ensure_customer_is_set_by_conversion_only(opportunity) -> None:
	"""`Opportunity.customer` (and `converted_on`) are written by a conversion, never by a save of the
	Opportunity. ERPNext's `Opportunity.map_fields` copies same-named fields of the Lead (`Lead.customer`)
	into empty ones: what the save brings is refused, what ERPNext copies is put back in
	`restore_conversion_fields`."""
	previous = opportunity.get_doc_before_save()
	customer_before = previous.customer if previous else None
	if (opportunity.customer or None) != (customer_before or None):
		frappe.throw(
			_(
				"Customer (field customer) of an Opportunity is set by converting it (Create ▸ Customer, or opportunity_crm.api.create_customer), not directly."
			),
			ReadOnlyFieldError,
			title=_("Read-only field"),
		)
	opportunity.flags.opportunity_crm_customer = customer_before
	opportunity.flags.opportunity_crm_converted_on = previous.converted_on if previous else None


def restore_conversion_fields(opportunity) -> None:
	opportunity.customer = opportunity.flags.opportunity_crm_customer
	opportunity.converted_on = opportunity.flags.opportunity_crm_converted_on


def ensure_customer_stays_with_its_opportunity(customer) -> None:
	"""`Customer.opportunity_name`, once set, is not moved to another Opportunity nor cleared."""
	previous = customer.get_doc_before_save()
	opportunity_before = previous.opportunity_name if previous else None
	if opportunity_before and customer.opportunity_name != opportunity_before:
		frappe.throw(
			_(
				"Customer {0} came from Opportunity {1} (field Opportunity); it cannot be moved to another Opportunity or detached."
			).format(frappe.bold(customer.name), frappe.bold(opportunity_before)),
			ReadOnlyFieldError,
			title=_("Read-only field"),
		)


def default_to_own_sales_person_and_partner(opportunity) -> None:
	"""A restricted user's Opportunity without a Sales Person / Sales Partner gets their own (the only
	partner they may access), so that they can open it again."""
	from opportunity_crm.opportunities.permissions import get_restrictions, own_sales_person

	restrictions = get_restrictions(frappe.session.user)
	if not restrictions:
		return
	if not opportunity.sales_person and restrictions.sales_persons:
		opportunity.sales_person = own_sales_person(frappe.session.user)
	if (
		not opportunity.sales_partner
		and restrictions.sales_partners
		and len(restrictions.sales_partners) == 1
	):
		opportunity.sales_partner = restrictions.sales_partners[0]
