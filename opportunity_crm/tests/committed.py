"""What a test commits, it puts back, so that the modules pass in any order and leave the site as they
found it. Tests that talk HTTP (a server sees only committed rows) commit settings and API keys; these
helpers note the committed value first and register a cleanup that restores it and commits.

`case` is a test class (in `setUpClass`: restored after `tearDownClass`) or a test (restored after it)."""

import frappe
from frappe.utils.password import get_decrypted_password, remove_encrypted_password, set_encrypted_password


def on_cleanup(case, function) -> None:
	if isinstance(case, type):
		case.addClassCleanup(function)
	else:
		case.addCleanup(function)


def keep_settings(case, doctype: str, *fields: str) -> None:
	"""Restore the Single `doctype`'s `fields` to their committed values after `case`."""
	before = {field: frappe.db.get_single_value(doctype, field) for field in fields}

	def restore():
		frappe.db.rollback()
		for field, value in before.items():
			frappe.db.set_single_value(doctype, field, value)
		frappe.db.commit()
		frappe.clear_cache(doctype=doctype)

	on_cleanup(case, restore)


def keep_row_level_access(case) -> None:
	keep_settings(case, "Opportunity CRM Settings", "enable_row_level_access")


def keep_api_keys(case, user: str):
	"""Restore `user`'s API key and secret (none, or the ones they had) after `case` (None: the caller runs
	the returned function when done)."""
	key = frappe.db.get_value("User", user, "api_key")
	secret = get_decrypted_password("User", user, "api_secret", raise_exception=False) if key else None

	def restore():
		frappe.db.rollback()
		frappe.db.set_value("User", user, "api_key", key, update_modified=False)
		if secret:
			set_encrypted_password("User", user, secret, "api_secret")
		else:
			remove_encrypted_password("User", user, "api_secret")
		frappe.db.commit()

	if case is not None:
		on_cleanup(case, restore)
	return restore
