from contextlib import contextmanager

import frappe


@contextmanager
def atomic():
	"""Run a block as one unit: on any error, undo its writes (and only its writes), then re-raise.

	A savepoint rather than a rollback, so that a caller's own open transaction (a test, a desk action
	that did other work first) is left as it was.
	"""
	savepoint = "opportunity_crm_" + frappe.generate_hash(length=10)
	frappe.db.savepoint(savepoint)
	try:
		yield
	except BaseException:
		frappe.db.rollback(save_point=savepoint)
		raise
	else:
		frappe.db.release_savepoint(savepoint)
