from opportunity_crm.setup.install import ensure_access_indexes


def execute():
	"""Row-level access's Sales Person index holds `company` too (permissions.ACCESS_INDEXES): a
	salesperson's list count then reads the index alone. The former index, its prefix, is dropped."""
	ensure_access_indexes()
