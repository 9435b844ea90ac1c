import frappe


def onload(doc, method=None):
	"""The form learns the Lead's Opportunity (a Lead has at most one)."""
	opportunity = frappe.db.get_value("Opportunity", {"lead": doc.name})
	if opportunity:
		doc.set_onload("opportunity", opportunity)
