"""Real deadlocks, forced: a conversion locks the Lead row, then waits for the naming-series row of the
Opportunity (`tabSeries`), which a raw connection of the site's database user holds `FOR UPDATE`; that
connection then asks for the Lead row. InnoDB breaks the cycle by rolling back the lighter transaction:
the holder first writes a few hundred rows (undo), so the conversion is the victim. Every test checks
that InnoDB really counted the deadlocks (`Innodb_deadlocks`).

Everything here commits (the server and the job run in processes of their own); each test deletes what
it made.
"""

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import frappe
import requests
from erpnext.crm.doctype.lead.lead import make_opportunity
from frappe.model.naming import NamingSeries
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.base.atomic import ATTEMPTS, run_retrying
from opportunity_crm.exceptions import BusyError
from opportunity_crm.tests.factories import make_lead
from opportunity_crm.tests.live_server import LiveServer, generate_keys

HEAVY_ROWS = 300  # undo records that make the holder the heavier transaction
WAIT = 60  # seconds to wait for a lock wait to show


class Holder:
	"""A transaction of its own on a raw connection (the site's database user), outside Frappe."""

	def __init__(self):
		self.connection = frappe.db.get_connection()
		self.id = self.connection.thread_id()
		self.cursor = self.connection.cursor()
		self.thread = None

	def execute(self, query: str, values=None):
		self.cursor.execute(query, values)
		return self.cursor.fetchall()

	def begin_heavy(self) -> None:
		"""Start a transaction with HEAVY_ROWS rows written: InnoDB rolls back the lighter side of a
		deadlock, and this one must not be it. (Rows of its own in `tabSeries`, rolled back at the end.)"""
		self.execute("start transaction")
		prefix = f"ocrm-deadlock-{frappe.generate_hash(length=8)}-"
		self.cursor.executemany(
			"insert into `tabSeries` (`name`, `current`) values (%s, 0)",
			[(f"{prefix}{n}",) for n in range(HEAVY_ROWS)],
		)

	def lock_lead(self, lead: str) -> None:
		self.execute("select `name` from `tabLead` where `name` = %s for update", (lead,))

	def lock_series_in_background(self, key: str) -> None:
		"""Ask for the series row FOR UPDATE; the answer may wait for the holder before this one."""
		self.thread = threading.Thread(
			target=self.execute,
			args=("select `current` from `tabSeries` where `name` = %s for update", (key,)),
		)
		self.thread.start()

	def rollback(self) -> None:
		self.connection.rollback()

	def close(self) -> None:
		try:
			self.connection.rollback()
		finally:
			self.connection.close()


class Monitor:
	"""What the other connections of the site's database user are waiting for (PROCESSLIST shows the
	statement a connection waits in)."""

	def __init__(self):
		self.connection = frappe.db.get_connection()
		self.connection.autocommit(True)
		self.cursor = self.connection.cursor()

	def waiting(self, table: str, key: str, exclude=()) -> list[int]:
		self.cursor.execute(
			"""select `id` from information_schema.processlist
			where `id` != connection_id() and `info` like %s and `info` like %s and `info` like %s""",
			(f"%`{table}`%", f"%{key}%", "%for update%"),
		)
		return [row[0] for row in self.cursor.fetchall() if row[0] not in exclude]

	def wait_for(self, table: str, key: str, exclude=(), only=None, failure: str = "") -> None:
		deadline = time.monotonic() + WAIT
		while time.monotonic() < deadline:
			waiting = self.waiting(table, key, exclude)
			if waiting if only is None else only in waiting:
				return
			time.sleep(0.02)
		raise AssertionError(f"no connection waited for {table} {key} within {WAIT} s: {failure}")

	def deadlocks(self) -> int:
		self.cursor.execute("show global status like 'Innodb_deadlocks'")
		return int(self.cursor.fetchone()[1])

	def close(self) -> None:
		self.connection.close()


def opportunity_series_key(lead: str) -> str:
	"""The `tabSeries` row that naming the Lead's Opportunity locks (present, so that it is locked as a
	row and not as a gap)."""
	key = NamingSeries(make_opportunity(lead).naming_series).get_prefix()
	frappe.db.sql("insert ignore into `tabSeries` (`name`, `current`) values (%s, 0)", (key,))
	frappe.db.commit()
	return key


def make_the_conversion_a_victim(monitor: Monitor, lead: str, key: str, times: int, gate: Holder) -> list:
	"""Deadlock the conversion of `lead` `times` times in a row, then let it go.

	`gate` holds the Lead row when the conversion starts, so that the conversion queues for it. Each
	round, a new heavy holder takes the series row (queuing behind the previous holder), the previous
	holder lets the Lead go, the conversion takes the Lead and waits for the series row, and the new
	holder asks for the Lead: a cycle, which InnoDB breaks by rolling the conversion back. The holder
	then has the Lead, and the conversion's retry (if any) queues for it as the first attempt did."""
	holders = [gate]
	for round_ in range(1, times + 1):
		monitor.wait_for("tabLead", lead, exclude=[h.id for h in holders], failure=f"attempt {round_}")
		holder = Holder()
		holders.append(holder)
		holder.begin_heavy()
		holder.lock_series_in_background(key)
		deadline = time.monotonic() + WAIT
		while holder.thread.is_alive() and holder.id not in monitor.waiting("tabSeries", key):
			assert time.monotonic() < deadline, "the holder neither got nor waited for the series row"
			time.sleep(0.02)
		holders[-2].rollback()  # the conversion gets the Lead, the new holder the series row
		holder.thread.join(WAIT)
		assert not holder.thread.is_alive(), "the holder did not get the series row"
		monitor.wait_for("tabSeries", key, exclude=[h.id for h in holders], failure=f"attempt {round_}")
		try:
			holder.lock_lead(lead)  # the cycle: InnoDB rolls back the conversion, the holder gets the Lead
		except Exception as e:
			raise AssertionError(f"InnoDB rolled back the holder, not the conversion: {e}") from e
	holders[-1].rollback()
	return holders


def delete_leads(leads: list[str]) -> None:
	"""Delete the Leads, their Opportunities and the Addresses and Contacts made for them; commit."""
	frappe.db.rollback()
	opportunities = frappe.get_all("Opportunity", {"party_name": ("in", leads)}, pluck="name")
	linked = frappe.get_all(
		"Dynamic Link",
		filters={
			"link_doctype": "Lead",
			"link_name": ("in", leads),
			"parenttype": ("in", ("Address", "Contact")),
		},
		fields=["parenttype", "parent"],
		distinct=True,
	)
	for opportunity in opportunities:
		frappe.delete_doc("Opportunity", opportunity, force=True, ignore_permissions=True)
	for lead in leads:
		frappe.delete_doc("Lead", lead, force=True, ignore_permissions=True)
	for row in linked:
		frappe.delete_doc(row.parenttype, row.parent, force=True, ignore_permissions=True)
	frappe.db.commit()


class DeadlockTestCase(FrappeTestCase):
	def setUp(self):
		self.leads = []
		self.holders = []
		self.monitor = Monitor()
		self.addCleanup(self.monitor.close)

	def tearDown(self):
		for holder in self.holders:
			holder.close()
		delete_leads(self.leads)

	def lead(self) -> str:
		lead = make_lead()
		frappe.db.commit()
		self.leads.append(lead)
		return lead

	def gate(self, lead: str) -> Holder:
		"""A holder of the Lead row: the conversion started next queues for it."""
		holder = Holder()
		self.holders.append(holder)
		holder.execute("start transaction")
		holder.lock_lead(lead)
		return holder

	def force_deadlocks(self, lead: str, key: str, times: int, gate: Holder) -> None:
		before = self.monitor.deadlocks()
		self.holders += make_the_conversion_a_victim(self.monitor, lead, key, times, gate)[1:]
		self.assertGreaterEqual(self.monitor.deadlocks() - before, times, "InnoDB counted no deadlock")


class TestApiDeadlocks(DeadlockTestCase):
	"""convert_lead over HTTP (gunicorn) as a deadlock victim: retried, or 409; never a 500."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.server = LiveServer(workers=1).start()
		api_key, api_secret = generate_keys("Administrator", cls)
		cls.headers = {"Host": cls.server.site, "Authorization": f"token {api_key}:{api_secret}"}
		cls.pool = ThreadPoolExecutor(max_workers=1)

	@classmethod
	def tearDownClass(cls):
		cls.pool.shutdown()
		cls.server.stop()
		super().tearDownClass()

	def convert_in_background(self, lead: str):
		url = self.server.url("/api/method/opportunity_crm.api.convert_lead")
		return self.pool.submit(requests.post, url, json={"lead": lead}, headers=self.headers, timeout=180)

	def opportunities(self, lead: str) -> list[str]:
		frappe.db.rollback()  # a fresh snapshot: what the server committed
		return frappe.get_all("Opportunity", {"lead": lead}, pluck="name")

	def test_a_deadlock_victim_is_retried_and_answers_200_with_one_opportunity(self):
		lead = self.lead()
		key = opportunity_series_key(lead)
		gate = self.gate(lead)

		response = self.convert_in_background(lead)
		self.force_deadlocks(lead, key, 1, gate)
		response = response.result()

		self.assertEqual(response.status_code, 200, response.text[:2000])
		self.assertEqual(self.opportunities(lead), [response.json()["message"]["opportunity"]])

	def test_a_call_that_stays_a_deadlock_victim_answers_409_and_writes_nothing(self):
		lead = self.lead()
		key = opportunity_series_key(lead)
		gate = self.gate(lead)

		response = self.convert_in_background(lead)
		self.force_deadlocks(lead, key, ATTEMPTS, gate)
		response = response.result()

		self.assertEqual(response.status_code, 409, response.text[:2000])
		self.assertEqual(response.json()["exc_type"], "BusyError")
		self.assertIn("repeat the call", response.json()["_server_messages"])
		self.assertEqual(self.opportunities(lead), [])


class TestRetryStartsClean(DeadlockTestCase):
	def test_a_deadlock_victim_runs_again_from_a_clean_state(self):
		# This process is the victim: what its first attempt queued for the commit, sent to the message
		# log, set in the flags or the response must not outlive it.
		lead = self.lead()
		key = opportunity_series_key(lead)
		holder = Holder()
		self.holders.append(holder)
		holder.begin_heavy()
		holder.execute("select `current` from `tabSeries` where `name` = %s for update", (key,))
		this_connection = frappe.db.sql("select connection_id()")[0][0]
		holder_errors = []
		monitor = Monitor()  # the holder's thread's own (frappe.db is bound to this thread)
		self.addCleanup(monitor.close)

		def holder_side():
			try:
				monitor.wait_for("tabSeries", key, only=this_connection)
				holder.lock_lead(lead)  # the cycle: InnoDB rolls this process's transaction back
				monitor.wait_for("tabLead", lead, only=this_connection)  # the second attempt queues
				holder.rollback()
			except Exception as e:
				holder_errors.append(e)

		attempts, committed = [], []

		def call() -> int:
			attempt = len(attempts) + 1
			attempts.append(attempt)
			frappe.db.after_commit.add(lambda: committed.append(attempt))
			frappe.publish_realtime(
				"opportunity_crm_test", {"attempt": attempt}, user=frappe.session.user, after_commit=True
			)
			frappe.msgprint(f"attempt {attempt}")
			if attempt == 1:
				frappe.flags.opportunity_crm_first_attempt = True
				frappe.local.response["opportunity_crm_first_attempt"] = True
			frappe.db.get_value("Lead", lead, "name", for_update=True)
			frappe.db.sql("select `current` from `tabSeries` where `name` = %s for update", (key,))
			return attempt

		thread = threading.Thread(target=holder_side)
		thread.start()
		deadlocks = self.monitor.deadlocks()
		frappe.local.message_log = []
		self.assertEqual(run_retrying(call), 2)
		thread.join(WAIT)

		self.assertEqual(holder_errors, [])
		self.assertGreaterEqual(self.monitor.deadlocks() - deadlocks, 1, "InnoDB counted no deadlock")
		self.assertEqual([m["message"] for m in frappe.local.message_log], ["attempt 2"])
		self.assertNotIn("opportunity_crm_first_attempt", frappe.flags)
		self.assertNotIn("opportunity_crm_first_attempt", frappe.local.response)
		self.assertEqual([p[1] for p in frappe.local._realtime_log], [{"attempt": 2}])
		frappe.db.commit()
		self.assertEqual(committed, [2])
		frappe.local.message_log = []


class TestLockWaitTimeout(DeadlockTestCase):
	def test_a_lock_wait_timeout_answers_busy_and_leaves_the_callers_transaction_as_it_was(self):
		# A lock wait timeout rolls back only the statement (innodb_rollback_on_timeout is off by default):
		# the conversion's savepoint still exists and is rolled back to, the caller's work stays.
		lead = self.lead()
		key = opportunity_series_key(lead)
		holder = Holder()
		self.holders.append(holder)
		holder.execute("start transaction")
		holder.execute("select `current` from `tabSeries` where `name` = %s for update", (key,))
		callers_lead = make_lead()  # written before the call, not committed
		timeout = frappe.db.sql("select @@session.innodb_lock_wait_timeout")[0][0]
		frappe.db.sql("set session innodb_lock_wait_timeout = 1")
		try:
			with self.assertRaises(BusyError):
				api.convert_lead(lead)
		finally:
			frappe.db.sql("set session innodb_lock_wait_timeout = %s", (timeout,))

		self.assertTrue(frappe.db.exists("Lead", callers_lead))
		self.assertFalse(frappe.db.exists("Opportunity", {"lead": lead}))


class TestBulkConversionDeadlocks(DeadlockTestCase):
	"""The bulk job, in a process of its own (`bench execute`), with a deadlock on a Lead in the middle:
	its summary is what the database holds afterwards."""

	def run_job_in_background(self, leads: list[str]) -> subprocess.Popen:
		return subprocess.Popen(
			[
				sys.executable,
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"--site",
				frappe.local.site,
				"execute",
				"opportunity_crm.opportunities.bulk_conversion.convert_leads",
				"--kwargs",
				repr({"leads": leads}),
			],
			cwd=frappe.local.sites_path,
			stdout=subprocess.PIPE,
			stderr=subprocess.PIPE,
			text=True,
		)

	def summary_of(self, job: subprocess.Popen) -> dict:
		stdout, stderr = job.communicate(timeout=300)
		self.assertEqual(job.returncode, 0, stderr[-3000:])
		return json.loads(stdout.strip().splitlines()[-1])

	def assertSummaryIsTheDatabase(self, summary: dict, leads: list[str]) -> None:
		frappe.db.rollback()  # a fresh snapshot: what the job committed
		in_database = dict(
			frappe.get_all("Opportunity", {"lead": ("in", leads)}, ["lead", "name"], as_list=True)
		)
		self.assertEqual({row["lead"]: row["opportunity"] for row in summary["converted"]}, in_database)
		for row in summary["failed"]:
			self.assertNotIn(row["lead"], in_database)
		self.assertEqual(len(summary["converted"]) + len(summary["failed"]), len(leads))

	def test_a_lead_picked_as_deadlock_victim_is_converted_again(self):
		leads = [self.lead() for _ in range(5)]
		middle = leads[2]
		key = opportunity_series_key(middle)
		gate = self.gate(middle)

		job = self.run_job_in_background(leads)
		self.force_deadlocks(middle, key, ATTEMPTS - 1, gate)
		summary = self.summary_of(job)

		self.assertEqual([row["lead"] for row in summary["converted"]], leads)
		self.assertEqual(summary["failed"], [])
		self.assertSummaryIsTheDatabase(summary, leads)

	def test_a_lead_that_stays_a_deadlock_victim_is_reported_failed_and_the_others_converted(self):
		leads = [self.lead() for _ in range(5)]
		middle = leads[2]
		key = opportunity_series_key(middle)
		gate = self.gate(middle)

		job = self.run_job_in_background(leads)
		self.force_deadlocks(middle, key, ATTEMPTS, gate)
		summary = self.summary_of(job)

		self.assertEqual([row["lead"] for row in summary["converted"]], leads[:2] + leads[3:])
		self.assertEqual([row["lead"] for row in summary["failed"]], [middle])
		self.assertIn("deadlock", summary["failed"][0]["reason"])
		self.assertSummaryIsTheDatabase(summary, leads)
