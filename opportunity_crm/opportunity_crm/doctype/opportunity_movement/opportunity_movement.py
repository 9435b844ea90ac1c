"""Opportunity Movement: the app's log of how each Opportunity moved through the pipeline.

Rows are written only by `opportunity_crm.forecasting.movement`, in the transaction of the change; nobody creates,
edits or deletes them (the doctype's permissions are read-only)."""

import frappe
from frappe.model.document import Document


class OpportunityMovement(Document):
	pass


def on_doctype_update():
	"""The report reads a period through `moved_on` (its own index, `search_index` in the JSON), each open
	Opportunity's last movement through (`opportunity`, `moved_on`), which also serves look-ups by
	Opportunity alone, and when it entered its stage through (`opportunity`, `kind`, `moved_on`): without
	it, that look-up reads every movement of the Opportunity (measured: the open-deals query 5x slower
	at 600 movements per Opportunity)."""
	frappe.db.add_index("Opportunity Movement", ["opportunity", "moved_on"], "opportunity_moved_on_index")
	frappe.db.add_index(
		"Opportunity Movement", ["opportunity", "kind", "moved_on"], "opportunity_kind_moved_on_index"
	)
