from opportunity_crm.forecasting.forecast import ensure_forecast_indexes
from opportunity_crm.forecasting.forecast_category import backfill_forecast_categories
from opportunity_crm.setup.install import create_custom_fields, set_default_stage_forecast_categories


def execute():
	"""`forecast_category` is new: ERPNext's standard stages get theirs, then every Opportunity the one its
	status or stage gives it, as a save would. The fields are made first (idempotent), whatever order the
	patches run in."""
	create_custom_fields()
	set_default_stage_forecast_categories()
	backfill_forecast_categories()
	ensure_forecast_indexes()
