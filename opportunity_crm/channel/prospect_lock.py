"""One lock for one prospect: the conflict check of a Deal Registration, at submit and at approval, holds it.

A prospect is what its keys say (`deal_keys.KEY_FIELDS`): the lock is a MariaDB user-level lock
(`GET_LOCK`) per key value, taken in sorted order (two checks that share two keys never wait for each
other crosswise) and held until the transaction ends: released after its commit or rollback (Frappe's
`after_commit` / `after_rollback`), or by MariaDB when the connection closes. Two registrations that share
any key, the same prospect as `find_matches` sees it, are checked one after the other; registrations of
other prospects do not wait.

The lock alone is not enough under REPEATABLE READ: the request's snapshot was taken at its first read,
before the lock, and a plain read after it would not see the approval the lock's previous holder just
committed. The check therefore reads the approved registrations with a locking read
(`deal_keys.find_matches(..., locking=True)`), which reads the newest committed rows.
"""

import hashlib

import frappe
from frappe import _

from opportunity_crm.channel.deal_keys import KEY_FIELDS
from opportunity_crm.exceptions import BusyError

# Seconds to wait for a prospect another check holds (an approval creates a Lead, an Opportunity, a
# Contact and an Address: a few seconds at most); then the caller gets 409 and may repeat.
LOCK_TIMEOUT = 30
PREFIX = "opportunity_crm:"  # + 40 hexadecimal digits: 56 characters


def lock_name(field: str, value: str) -> str:
	"""The user-level lock of one key value: MariaDB names are at most 64 characters, and are shared by
	every database of the server, so the site is part of the hash."""
	digest = hashlib.sha1(f"{frappe.local.site}\n{field}\n{value}".encode()).hexdigest()
	return PREFIX + digest


def lock_prospect(keys: dict) -> None:
	"""Hold the locks of the prospect's keys (a dict of `KEY_FIELDS`; empty ones are ignored) until the
	transaction ends. Locks the transaction holds already are not taken again."""
	held = held_locks()
	names = sorted({lock_name(field, keys[field]) for field in KEY_FIELDS if keys.get(field)} - held)
	for name in names:
		if frappe.db.sql("select get_lock(%s, %s)", (name, LOCK_TIMEOUT))[0][0] != 1:
			frappe.throw(
				_("Another registration of the same prospect is being checked; please repeat in a moment."),
				BusyError,
				title=_("Busy"),
			)
		if not held:
			frappe.db.after_commit.add(release_prospect_locks)
			frappe.db.after_rollback.add(release_prospect_locks)
		held.add(name)


def held_locks() -> set[str]:
	"""The prospect locks this connection holds (they belong to the connection, as MariaDB's do)."""
	if not hasattr(frappe.local, "opportunity_crm_prospect_locks"):
		frappe.local.opportunity_crm_prospect_locks = set()
	return frappe.local.opportunity_crm_prospect_locks


def release_prospect_locks() -> None:
	held = held_locks()
	for name in sorted(held):
		frappe.db.sql("select release_lock(%s)", (name,))
	held.clear()
