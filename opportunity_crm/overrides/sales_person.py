"""Sales Person events, each handler named for the rule it applies, and ERPNext's Employee ▸ Left."""

import frappe

from opportunity_crm.opportunities.people_who_leave import hand_over_customers


def hand_over_customers_of_who_leaves(doc, method=None):
	"""Being disabled: the Customers' teams follow the people still there (`opportunities/people_who_leave.py`).
	before_validate: ERPNext's own validate refuses to disable a Sales Person some Customer still names."""
	if not doc.enabled and not doc.is_new() and doc.has_value_changed("enabled"):
		hand_over_customers(doc.name)


@frappe.whitelist()
def deactivate_sales_person(status=None, employee=None):
	"""ERPNext's `employee.deactivate_sales_person` (the Employee form calls it when its status becomes
	Left) disables the Sales Person with `frappe.db.set_value`, past every event. The same, through the
	Sales Person's document, so that its Customers are handed over and ERPNext's own checks run."""
	if status != "Left":
		return
	sales_person = frappe.db.get_value("Sales Person", {"employee": employee})
	if not sales_person:
		return
	doc = frappe.get_doc("Sales Person", sales_person)
	if doc.enabled:
		doc.enabled = 0
		doc.flags.ignore_permissions = True  # as ERPNext's, which asks for none
		doc.save()
