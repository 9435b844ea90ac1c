from opportunity_crm.setup.install import ensure_access_indexes


def execute():
	"""Composite indexes for row-level access and the reports; the single-column ones the custom fields had
	are dropped by the custom field update that runs before (create_custom_fields)."""
	ensure_access_indexes()
