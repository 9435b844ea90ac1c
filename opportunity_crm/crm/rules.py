"""The Opportunity rules, each in one place. Every check raises a subclass of `OpportunityRuleError`
with a message that names the record, the field and the rule."""

import frappe
from frappe import _

from opportunity_crm.crm.party_links import count_linked_records
from opportunity_crm.exceptions import (
	DuplicateCustomerError,
	DuplicateOpportunityError,
	InvalidSalesPersonError,
	MissingAddressOrContactError,
)


def ensure_lead_has_no_other_opportunity(
	lead: str, opportunity: str | None = None, lock: bool = True
) -> None:
	"""A Lead has at most one Opportunity.

	With `lock` (inside an Opportunity insert or save) the read is a locking one: it sees an Opportunity
	that a concurrent conversion committed a moment ago, which a plain read in an older REPEATABLE READ
	snapshot would miss. Opportunity inserts are already serialised by their naming series lock, taken
	before validate, so this gap lock cannot interleave with another insert's. Take it nowhere earlier:
	a gap lock on the `lead` index held while waiting for the series would deadlock concurrent
	conversions of different Leads. The unique index on `Opportunity.lead` stays the last word.
	"""
	existing = frappe.db.get_value(
		"Opportunity", {"lead": lead, "name": ("!=", opportunity or "")}, "name", for_update=lock
	)
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


def add_sales_person(doc, sales_person: str) -> None:
	"""Put a Sales Person in a `sales_team` table (Customer, Sales Order) unless it is there already:
	100 % in an empty team, 0 % beside an existing team so that its split still adds up to 100 %."""
	if any(row.sales_person == sales_person for row in doc.get("sales_team")):
		return
	doc.append(
		"sales_team",
		{"sales_person": sales_person, "allocated_percentage": 0 if doc.get("sales_team") else 100},
	)
