"""Hand the open Opportunities of someone who left to another Sales Person (Opportunity list ▸ Actions ▸
Reassign Sales Person). Each Opportunity is saved through its rules and the user's row-level access, on
its own: one refusal does not stop the others. Each reassignment leaves a line in the timeline."""

import frappe
from frappe import _
from frappe.utils import get_fullname

from opportunity_crm.base.atomic import atomic
from opportunity_crm.constants.opportunity_status import CLOSED_STATUSES
from opportunity_crm.opportunities.rules import validate_sales_person


def reassign(opportunities: list[str], sales_person: str) -> dict:
	"""{"reassigned": [{opportunity, from}], "skipped": [{opportunity, reason}], "failed": [...]}"""
	validate_sales_person(sales_person)
	summary = {"reassigned": [], "skipped": [], "failed": []}
	for name in opportunities:
		try:
			with atomic():
				outcome = reassign_one(name, sales_person)
		except (frappe.ValidationError, frappe.PermissionError) as refusal:
			frappe.clear_last_message()
			summary["failed"].append({"opportunity": name, "reason": frappe.utils.strip_html(str(refusal))})
			continue
		summary["reassigned" if outcome.get("from") is not None else "skipped"].append(outcome)
	return summary


def reassign_one(name: str, sales_person: str) -> dict:
	doc = frappe.get_doc("Opportunity", name, for_update=True)
	doc.check_permission("write")
	if doc.status in CLOSED_STATUSES:
		return {"opportunity": name, "reason": _("it is {0}").format(_(doc.status))}
	if doc.sales_person == sales_person:
		return {"opportunity": name, "reason": _("it is already {0}'s").format(sales_person)}
	previous = doc.sales_person
	doc.sales_person = sales_person
	doc.save()
	doc.add_comment(
		"Info",
		_("{0} reassigned this Opportunity from Sales Person {1} to {2}").format(
			frappe.bold(get_fullname(frappe.session.user)),
			frappe.bold(previous or _("nobody")),
			frappe.bold(sales_person),
		),
	)
	return {"opportunity": name, "from": previous or ""}
