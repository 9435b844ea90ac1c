"""One row of a forecast snapshot (`opportunity_crm.forecasting.forecast.take_snapshot` writes them, set-based)."""

import frappe
from frappe.model.document import Document

# One row per day, company, person, partner and month; empty values are '' (a NULL would not be unique).
UNIQUE_KEY = ("snapshot_date", "company", "sales_person", "sales_partner", "period")


class OpportunityForecastSnapshot(Document):
	pass


def on_doctype_update():
	frappe.db.add_unique("Opportunity Forecast Snapshot", list(UNIQUE_KEY), "opportunity_crm_snapshot_key")
