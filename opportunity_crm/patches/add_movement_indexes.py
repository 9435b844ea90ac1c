from opportunity_crm.forecasting.movement import ensure_movement_indexes


def execute():
	"""The Pipeline Movement report's covering index on the movement log (company, moved_on, and every column
	its period statement reads): one ALTER TABLE, a few minutes over millions of rows (benchmark 10)."""
	ensure_movement_indexes()
