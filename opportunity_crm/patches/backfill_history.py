from opportunity_crm.setup.install import backfill_history


def execute():
	"""Link what was made before this version (or while the app was not installed), as install does."""
	backfill_history()
