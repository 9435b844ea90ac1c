"""Split credit: an Opportunity's sales team, in ERPNext's own Sales Team rows (`Opportunity.sales_team`).

The rules, each in one function below (the Opportunity hooks in `overrides/opportunity.py` call them):

- A team is optional. When an Opportunity has one, its **revenue rows** (Overlay Credit unticked) add up to
  100 %; **overlay rows** (a specialist, a manager) carry any share from 0 to 100 % each and do not count
  toward the 100. Every row's share is between 0 and 100 %.
- A Sales Person appears once in a team, and each one put in is an enabled individual (not a group): the
  rule of `Opportunity.sales_person` (`rules.validate_sales_person`). A row that was saved before keeps
  its person when that person later leaves (is disabled): people change, the history stays.
- `sales_person` stays the one individual the Opportunity belongs to, and is one of the revenue rows. A
  team with one revenue row and no Sales Person gives it that row's person; changing the Sales Person
  (by hand or Opportunity list ▸ Actions ▸ Reassign Sales Person) hands the previous owner's revenue row to
  the new one unless the new one is in the team already.

What goes to the Customer and the Sales Order (`transaction_team`): the revenue rows only. ERPNext's
Customer (`Customer.validate`) and its selling controller (`SellingController.calculate_contribution`, run
by Sales Order, Sales Invoice and Delivery Note) require the shares of *every* row of their team to add up
to 100 and compute each row's contribution and incentives from its share, so an overlay row there would
make a stock order fail its 100 % check or pay commission on more than the order. Overlay credit is the
pipeline's (forecast, row-level access), and stays on the Opportunity; the `overlay` field shows only in an
Opportunity's team.
"""

import frappe
from frappe import _
from frappe.utils import flt, get_datetime

from opportunity_crm.constants.opportunity_status import CLOSED_STATUSES
from opportunity_crm.exceptions import (
	InvalidSalesPersonError,
	MissingSalesPersonOrPartnerError,
	SalesTeamError,
)
from opportunity_crm.opportunities import intake
from opportunity_crm.opportunities.rules import (
	add_sales_person,
	is_active_sales_person,
	validate_sales_person,
)

FULL_CREDIT = 100


def revenue_rows(doc) -> list:
	"""The rows of `doc.sales_team` that count toward the 100 %."""
	return [row for row in doc.get("sales_team") or [] if not row.get("overlay")]


# before_validate --------------------------------------------------------------------------------------


def follow_sales_person(doc) -> None:
	"""Keep `sales_person` and the team together before the rules check them (see the module)."""
	team = doc.get("sales_team") or []
	if not team:
		return
	previous = doc.get_doc_before_save()
	if (
		previous
		and previous.sales_person
		and doc.sales_person
		and doc.sales_person != previous.sales_person
		and not any(row.sales_person == doc.sales_person for row in team)
	):
		for row in revenue_rows(doc):
			if row.sales_person == previous.sales_person:
				row.sales_person = doc.sales_person  # the new owner takes the previous owner's share
				row.contact_no = None
				row.commission_rate = None
				break
	revenue = revenue_rows(doc)
	if not doc.sales_person and len(revenue) == 1 and revenue[0].sales_person:
		doc.sales_person = revenue[0].sales_person


# validate ---------------------------------------------------------------------------------------------


def throw(message: str, title: str) -> None:
	frappe.throw(message, SalesTeamError, title=title)


def validate_team(doc) -> None:
	"""The split-credit rules of the module, on every save of an Opportunity that has a team."""
	team = doc.get("sales_team") or []
	if not team:
		return
	previous = doc.get_doc_before_save()
	saved_members = {row.sales_person for row in previous.get("sales_team") or []} if previous else set()
	rows_of = {}
	for row in team:
		if not (0 <= flt(row.allocated_percentage) <= FULL_CREDIT):
			throw(
				_(
					"Sales Team row {0}: Contribution (%) (field allocated_percentage) is {1}: each row's share is between 0 and 100 %."
				).format(row.idx, flt(row.allocated_percentage)),
				_("Invalid share"),
			)
		if not row.sales_person:
			continue  # Frappe's mandatory check names the empty Sales Person
		if row.sales_person in rows_of:
			throw(
				_(
					"Sales Team row {0}: Sales Person {1} is already in row {2}: a person appears once in an Opportunity's Sales Team (field sales_team)."
				).format(row.idx, frappe.bold(row.sales_person), rows_of[row.sales_person]),
				_("Duplicate Sales Person"),
			)
		rows_of[row.sales_person] = row.idx
		if row.sales_person not in saved_members:
			ensure_active_member(row)

	revenue = revenue_rows(doc)
	total = flt(sum(flt(row.allocated_percentage) for row in revenue), 2)
	if total != FULL_CREDIT:
		throw(
			_(
				"The revenue rows of the Sales Team (field sales_team, Overlay Credit unticked) add up to {0} %: they must add up to 100 %. Overlay rows do not count toward it."
			).format(total),
			_("Split does not add up"),
		)
	if not doc.sales_person:
		throw(
			_(
				"This Opportunity has a Sales Team but no Sales Person (field sales_person): set the individual it belongs to, one of the team's revenue rows."
			),
			_("Sales Person missing"),
		)
	if doc.sales_person not in {row.sales_person for row in revenue}:
		throw(
			_(
				"Sales Person {0} (field sales_person) is not a revenue row of the Sales Team (field sales_team): the individual an Opportunity belongs to is in its team, with Overlay Credit unticked."
			).format(frappe.bold(doc.sales_person)),
			_("Sales Person not in the team"),
		)


def ensure_active_member(row) -> None:
	"""A new member is an enabled individual, as `Opportunity.sales_person` is (the same rule)."""
	try:
		validate_sales_person(row.sales_person)
	except InvalidSalesPersonError as refusal:
		frappe.clear_last_message()
		frappe.throw(
			_("Sales Team row {0}: {1}").format(row.idx, str(refusal)),
			SalesTeamError,
			title=_("Invalid Sales Person"),
		)


def require_sales_person_and_partner(doc) -> None:
	"""Opportunity CRM Settings ▸ Require Sales Person / Require Sales Partner: a forecast needs an owner.

	When a setting is on, an open Opportunity (not Lost, Closed or Converted) must have that field when it
	is **inserted**, and an open one that has it cannot have it **removed**. That is all: an existing
	Opportunity that lacks one (history, or one made before the setting was switched on) is listed by the
	Opportunity Data Health report and never blocked. Editing its other fields, setting it Lost, closing
	it, ERPNext's auto-close job, status updates, Quotations and Sales Orders all go through as before.
	ERPNext's intake (incoming e-mail, the website contact form) has nobody to choose an owner: its new
	Opportunities are listed, not refused, so that no message is lost.
	"""
	if doc.status in CLOSED_STATUSES or intake.is_intake(doc):
		return
	required = required_fields()
	if not required:
		return
	previous = None if doc.is_new() else doc.get_doc_before_save()
	for fieldname, label in required:
		if doc.get(fieldname):
			continue
		if doc.is_new() or (previous and previous.get(fieldname)):
			frappe.throw(
				_(
					"An open Opportunity needs a {0} (field {1}): Opportunity CRM Settings require one on every open Opportunity."
				).format(_(label), fieldname),
				MissingSalesPersonOrPartnerError,
				title=_("{0} required").format(_(label)),
			)


def required_fields() -> list[tuple[str, str]]:
	"""[(fieldname, label)] of the Opportunity fields the settings require. From Frappe's document cache
	(cleared when the settings are saved or set, and after a rollback): no statement on an insert or save
	(benchmarks/save_cost.py; it was 2 per request)."""
	settings = frappe.get_cached_doc("Opportunity CRM Settings")
	fields = [("sales_person", "Sales Person"), ("sales_partner", "Sales Partner")]
	return [(fieldname, label) for fieldname, label in fields if settings.get(f"require_{fieldname}")]


# conversion -------------------------------------------------------------------------------------------


def transaction_team(opportunity: str, sales_person: str | None) -> list[dict]:
	"""The sales team a Customer or Sales Order takes from an Opportunity: its revenue rows (which add up to
	100 %), or, without a team, its Sales Person at 100 %. Someone who left (disabled) or became a group is
	never put into a new team: an Opportunity whose split names one gives no team (the shares of the others
	would not add up to 100; the user sets the order's team), one without a team gives none."""
	rows = frappe.get_all(
		"Sales Team",
		filters={
			"parenttype": "Opportunity",
			"parentfield": "sales_team",
			"parent": opportunity,
			"overlay": 0,
		},
		fields=["sales_person", "allocated_percentage", "commission_rate"],
		order_by="idx",
	)
	if not rows:
		rows = (
			[frappe._dict(sales_person=sales_person, allocated_percentage=FULL_CREDIT)]
			if sales_person
			else []
		)
	if not all(is_active_sales_person(row.sales_person) for row in rows):
		return []
	return [{key: value for key, value in row.items() if value is not None and value != ""} for row in rows]


def give_team_to_customer(customer, opportunity: str, sales_person: str | None) -> None:
	"""A Customer without a team takes the Opportunity's split; one with a team keeps it, and the
	Opportunity's people join it at 0 %, so that its split still adds up to 100 %."""
	team = transaction_team(opportunity, sales_person)
	if not customer.get("sales_team"):
		for row in team:
			customer.append("sales_team", row)
		return
	for row in team:
		add_sales_person(customer, row["sales_person"])  # 0 % beside the existing team


def give_team_to_order(order, opportunity: str, sales_person: str | None) -> None:
	"""A new Sales Order takes the Opportunity's split unless it has a team already (set by the user, or by
	ERPNext from the Customer, which took the Opportunity's split when it was converted)."""
	if order.get("sales_team"):
		return
	for row in transaction_team(opportunity, sales_person):
		order.append("sales_team", row)


# on_change --------------------------------------------------------------------------------------------


def keep_rows_modified_with_the_opportunity(doc) -> None:
	"""The team's rows carry the Opportunity's `modified`, as Frappe's save writes it on every child row; a
	`db_set` (ERPNext sets the status so from a Quotation or a Sales Order) moves the Opportunity's alone.
	A restricted salesperson's list page finds the newest Opportunities they are in the team of by the rows'
	(sales_person, parenttype, modified) index (`opportunities.newest_page`). A save costs nothing here (its
	rows are written with its time already); a `db_set` of an Opportunity with a team, one UPDATE."""
	rows = doc.get("sales_team") or []
	modified = get_datetime(doc.modified)
	if not rows or all(row.modified and get_datetime(row.modified) == modified for row in rows):
		return
	frappe.db.sql(
		"""update `tabSales Team` set `modified` = %s
		where `parent` = %s and `parenttype` = 'Opportunity' and `parentfield` = 'sales_team'""",
		(doc.modified, doc.name),
	)
	for row in rows:
		row.modified = doc.modified
