"""A Sales Person who leaves (is disabled) blocks no order.

ERPNext refuses a Sales Order, Sales Invoice or Delivery Note whose Sales Team names a disabled Sales Person
(`SellingController.validate_sales_team`), and a new order of a Customer copies the Customer's team; ERPNext
also refuses to disable a Sales Person that a Customer's team still names. So when a Sales Person is being
disabled (`Sales Person.before_validate`, before ERPNext's check; ERPNext's Employee ▸ Left, which disables
with `set_value`, is routed through the document: `overrides/sales_person.py`), every Customer team that
names them follows the people still there, in the disabling transaction:

- the leaver's share goes to the Sales Person of the Customer's Opportunity, when that is someone else
  still there (after Opportunity list ▸ Actions ▸ Reassign Sales Person, the new owner);
- else it is shared among the team's other people still there, in proportion to their shares;
- else (nobody left in the team) the team is emptied: the next order takes the Opportunity's split, or the
  user sets one.

Each Customer is saved through its document (its rules, a Version) with a line in its timeline. The
Opportunities themselves keep the leaver's rows: that is history (`sales_team.py`), and the forecast and
row-level access read it; their open deals are handed over with the reassignment. Customers of people
disabled before this rule are handed over by a patch (`patches/hand_over_customers_of_who_left.py`).
"""

import frappe
from frappe import _
from frappe.utils import flt

from opportunity_crm.opportunities.rules import is_active_sales_person
from opportunity_crm.opportunities.sales_team import FULL_CREDIT


def hand_over_customers_of_disabled() -> list[str]:
	"""Every disabled Sales Person some Customer's team still names (a site's history): handed over."""
	people = frappe.get_all(
		"Sales Team",
		filters={"parenttype": "Customer", "parentfield": "sales_team"},
		pluck="sales_person",
		distinct=True,
	)
	disabled = frappe.get_all(
		"Sales Person", filters={"name": ("in", people or [""]), "enabled": 0}, pluck="name", order_by="name"
	)
	return [customer for person in disabled for customer in hand_over_customers(person)]


def hand_over_customers(sales_person: str) -> list[str]:
	"""Take `sales_person` out of every Customer's team (see the module). Returns the Customers changed."""
	customers = frappe.get_all(
		"Sales Team",
		filters={"parenttype": "Customer", "parentfield": "sales_team", "sales_person": sales_person},
		pluck="parent",
		distinct=True,
		order_by="parent",
	)
	for name in customers:
		customer = frappe.get_doc("Customer", name, for_update=True)
		heir = hand_over(customer, sales_person)
		customer.flags.ignore_permissions = True
		customer.save()
		customer.add_comment(
			"Info",
			_(
				"Sales Person {0} left (disabled): their share of this Customer's Sales Team went to {1}."
			).format(frappe.bold(sales_person), frappe.bold(heir or _("nobody (the team is now empty)"))),
		)
	return customers


def hand_over(customer, sales_person: str) -> str | None:
	"""Move the leaver's share in `customer.sales_team` (in memory); returns who took it, if anyone."""
	team = customer.get("sales_team") or []
	leaving = [row for row in team if row.sales_person == sales_person]
	share = sum(flt(row.allocated_percentage) for row in leaving)
	staying = [
		row for row in team if row.sales_person != sales_person and is_active_sales_person(row.sales_person)
	]
	customer.set("sales_team", [row for row in team if row.sales_person != sales_person])

	owner = opportunity_owner(customer)
	if owner == sales_person:
		owner = None  # still enabled in the database while being disabled
	if owner:
		row = next((row for row in staying if row.sales_person == owner), None)
		if not row:
			row = customer.append("sales_team", {"sales_person": owner, "allocated_percentage": 0})
		row.allocated_percentage = flt(row.allocated_percentage) + share
		heir = owner
	elif staying:
		share_out(staying, share)
		heir = ", ".join(row.sales_person for row in staying)
	else:
		customer.set("sales_team", [])
		heir = None
	if customer.get("sales_team"):
		fix_rounding(customer.sales_team)
	return heir


def opportunity_owner(customer) -> str | None:
	"""The Sales Person of the Customer's Opportunity, if still there."""
	if not customer.get("opportunity_name"):
		return None
	owner = frappe.db.get_value("Opportunity", customer.opportunity_name, "sales_person")
	return owner if is_active_sales_person(owner) else None


def share_out(rows: list, share: float) -> None:
	"""Add `share` to `rows` in proportion to their shares (evenly when they all have 0 %)."""
	total = sum(flt(row.allocated_percentage) for row in rows)
	for row in rows:
		weight = flt(row.allocated_percentage) / total if total else 1 / len(rows)
		row.allocated_percentage = flt(flt(row.allocated_percentage) + share * weight, 2)


def fix_rounding(team: list) -> None:
	"""ERPNext wants exactly 100: the last row with a share absorbs the rounding of the others."""
	rows_with_share = [row for row in team if flt(row.allocated_percentage)] or team
	last = rows_with_share[-1]
	others = sum(flt(row.allocated_percentage) for row in team if row is not last)
	last.allocated_percentage = flt(FULL_CREDIT - others, 2)
