"""Opportunity Movement: the app's log of how each Opportunity moved through the pipeline.

Rows are written only by `opportunity_crm.forecasting.movement`, in the transaction of the change; nobody creates,
edits or deletes them (the doctype's permissions are read-only)."""

from frappe.model.document import Document

from opportunity_crm.forecasting.movement import ensure_movement_indexes


class OpportunityMovement(Document):
	pass


def on_doctype_update():
	"""The composite indexes the report and the log's look-ups read (`movement.MOVEMENT_INDEXES`); `moved_on`
	alone is the JSON's `search_index`."""
	ensure_movement_indexes()
