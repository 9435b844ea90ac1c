"""All or nothing, and what to do when MariaDB takes the "all" away.

`atomic()` runs a block inside a savepoint. Two lock errors end such a block:

- a deadlock (1213): InnoDB rolls back the victim's WHOLE transaction, savepoint and the caller's earlier
  work included, and releases its locks. There is nothing left to roll back to;
- a lock wait timeout (1205): by default (`innodb_rollback_on_timeout = OFF`) only the statement is rolled
  back and the savepoint still exists; with the option ON the whole transaction is gone, as above.

`run_retrying()` is the one place that reacts: when the transaction is gone and the call owned it (it
started with nothing written), it rolls Frappe's side back too (after-commit callbacks, queued realtime
messages, cached values), restores the request state the failed attempt changed (message log, flags,
response) and runs the call again; otherwise, and after the last attempt, it raises `BusyError` (409).
"""

import copy
import random
import time
from collections.abc import Callable
from contextlib import contextmanager

import frappe
from frappe import _
from pymysql.constants import ER

from opportunity_crm.exceptions import BusyError

ATTEMPTS = 3
LOST_MARK = "opportunity_crm_transaction_lost"


@contextmanager
def atomic():
	"""Run a block as one unit: on any error, undo its writes (and only its writes), then re-raise.

	A savepoint rather than a rollback, so that a caller's own open transaction (a test, a desk action
	that did other work first) is left as it was. After a deadlock the savepoint no longer exists (MariaDB
	rolled back everything): the error goes up as it is, and `transaction_lost()` says so.
	"""
	savepoint = "opportunity_crm_" + frappe.generate_hash(length=10)
	frappe.db.savepoint(savepoint)
	writes_before = frappe.db.transaction_writes
	try:
		yield
	except BaseException as error:
		undo(savepoint, error)
		if not transaction_lost(error):
			# Frappe zeroes its count of the transaction's writes on any statement that starts with
			# "rollback", savepoints included; the writes made before the savepoint are still pending, and
			# `run_retrying` reads the count to know whether a call owns its transaction
			frappe.db.transaction_writes = writes_before
		raise
	else:
		frappe.db.release_savepoint(savepoint)


def undo(savepoint: str, error: BaseException) -> None:
	if is_deadlock(error):
		return  # the savepoint went with the transaction; rolling back to it fails with 1305
	try:
		frappe.db.rollback(save_point=savepoint)
	except Exception as rollback_error:
		if error_code(rollback_error) != ER.SP_DOES_NOT_EXIST:
			raise
		# e.g. a lock wait timeout with innodb_rollback_on_timeout = ON: the transaction is gone too
		setattr(error, LOST_MARK, True)


def run_retrying(call: Callable, attempts: int = ATTEMPTS):
	"""Run `call()`; on a deadlock, start it again from a clean state, up to `attempts` times.

	A retry is only safe when the call owned its transaction: after a deadlock MariaDB has rolled back
	whatever the caller wrote before, and running the call again would commit it without that work. So a
	call that started with writes pending, a lock wait timeout (which already waited
	`innodb_lock_wait_timeout`) and the last deadlock all end in `BusyError`.
	"""
	owns_transaction = not frappe.db.transaction_writes
	state = RequestState()
	for attempt in range(1, attempts + 1):
		if owns_transaction and attempt == 1:
			# a fresh transaction, whose snapshot starts at the call's own first read: a call may lock a
			# row first (base.naming_lock) and must not see it through a snapshot the request took earlier
			frappe.db.rollback()
		try:
			return call()
		except Exception as error:
			if not is_busy(error):
				raise
			if owns_transaction or transaction_lost(error):
				frappe.db.rollback()  # Frappe's side: callbacks, realtime log, value cache
			state.restore()
			if not (transaction_lost(error) and owns_transaction and attempt < attempts):
				throw_busy(error)
			time.sleep(random.uniform(0.05, 0.2) * attempt)


def throw_busy(error: Exception) -> None:
	try:
		frappe.throw(
			_("The records are busy with another conversion; please repeat the call."),
			BusyError,
			title=_("Busy"),
		)
	except BusyError as busy:
		raise busy from error


def is_busy(error: BaseException) -> bool:
	"""A deadlock or a lock wait timeout, raised as such or anywhere in the error's chain."""
	return is_deadlock(error) or is_lock_wait_timeout(error)


def is_deadlock(error: BaseException) -> bool:
	return any(
		isinstance(e, frappe.QueryDeadlockError) or error_code(e) in (ER.LOCK_DEADLOCK, ER.CHECKREAD)
		for e in chain(error)
	)


def is_lock_wait_timeout(error: BaseException) -> bool:
	return any(
		isinstance(e, frappe.QueryTimeoutError) or error_code(e) == ER.LOCK_WAIT_TIMEOUT for e in chain(error)
	)


def transaction_lost(error: BaseException) -> bool:
	"""MariaDB rolled back the whole transaction: after a deadlock, or when `atomic()` found its
	savepoint gone."""
	return is_deadlock(error) or any(getattr(e, LOST_MARK, False) for e in chain(error))


def chain(error: BaseException):
	"""The error and those it was raised from (Frappe raises QueryDeadlockError from the driver's)."""
	seen = set()
	while error is not None and id(error) not in seen:
		seen.add(id(error))
		yield error
		error = error.__cause__ or error.__context__


# Frappe v15 talks to MariaDB through PyMySQL; v16 can also use mysqlclient (MySQLdb). Both raise errors
# whose args are (server error number, message).
DRIVER_MODULES = ("pymysql", "MySQLdb")


def error_code(error: BaseException) -> int | None:
	"""The server's error number of a MariaDB driver error, whichever driver raised it."""
	if type(error).__module__.split(".")[0] not in DRIVER_MODULES:
		return None
	if error.args and isinstance(error.args[0], int):
		return error.args[0]
	return None


class RequestState:
	"""What a call may leave behind in the request besides the database: restored before a retry (and
	before answering 409), so that the next attempt starts as the first one did."""

	def __init__(self):
		self.message_log = list(frappe.local.message_log)
		self.flags = {key: copy.copy(value) for key, value in frappe.local.flags.items()}
		self.response = {key: copy.copy(value) for key, value in frappe.local.response.items()}

	def restore(self) -> None:
		frappe.local.message_log = list(self.message_log)
		frappe.local.flags.clear()
		frappe.local.flags.update({key: copy.copy(value) for key, value in self.flags.items()})
		frappe.local.response.clear()
		frappe.local.response.update({key: copy.copy(value) for key, value in self.response.items()})
