from opportunity_crm.forecasting.movement import backfill_dates, ensure_movement_indexes
from opportunity_crm.setup.install import create_custom_fields


def execute():
	"""`last_moved_on` and `stage_moved_on` are new on Opportunity: create them (the app's custom fields, as
	install does) and the open deals' index over them, then give every Opportunity its dates from the
	movement log, one grouped UPDATE per chunk of Opportunities (17 s over 500,000 Opportunities and
	5,000,000 movements: docs/performance-movement-report.md)."""
	create_custom_fields()
	ensure_movement_indexes()
	backfill_dates()
