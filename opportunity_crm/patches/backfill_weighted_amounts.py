from opportunity_crm.forecasting.probability import backfill_weighted_amounts


def execute():
	"""`base_weighted_amount` is new: give every Opportunity both weighted amounts, as a save would."""
	backfill_weighted_amounts()
