"""The app's reports and the partner portal's pages read from a MariaDB read replica (issue 19, item 5).

Frappe sends the work of a `frappe.read_only()` function to a replica when the site has `read_from_replica`,
`replica_host` and `replica_db_port` (`frappe.connect_replica`: the request's `frappe.db` becomes a
connection to the replica until the function returns). The test starts its own GTID primary and replica
(tests/replica_pair.py: two `mariadbd` on loopback, a copy of this site's database in both, the replica
`read_only`), points this process's site at them, and proves from the servers' own records that:
- each report (Opportunity Pipeline, Opportunity Forecast, Pipeline Movement, Opportunity Data Health),
  run the way the desk runs it (`frappe.desk.query_report.run`), and each partner portal page
  (/partner, /partner/opportunities, /partner/orders, /partner/registrations) runs its SELECTs on the
  replica (its Com_select counter and general log) and none of its reads of the app's data on the primary
  (the primary's general log);
- with replication paused (STOP SLAVE SQL_THREAD) an Opportunity committed on the primary is missing from
  the report and the portal until replication resumes;
- nothing is written while they run: the replica is `read_only` (a write of the site's user fails there
  with 1290, which the test shows) and its Com_insert/update/delete counters do not move.
"""

import json
import re

import frappe
from frappe.database import get_db
from frappe.desk.query_report import run as run_report
from frappe.tests.utils import FrappeTestCase
from frappe.utils import nowdate, set_request
from frappe.website.serve import get_response_without_exception_handling

from opportunity_crm.tests.factories import default_company, make_sales_partner
from opportunity_crm.tests.replica_pair import ReplicaPair, missing_binaries
from opportunity_crm.tests.test_partner_portal import make_partner_user, partner_opportunity

REPLICA_KEYS = ("db_host", "db_port", "db_socket", "read_from_replica", "replica_host", "replica_db_port")
WRITES = (
	"Com_insert",
	"Com_insert_select",
	"Com_update",
	"Com_update_multi",
	"Com_delete",
	"Com_delete_multi",
	"Com_replace",
	"Com_replace_select",
	"Com_create_table",
	"Com_drop_table",
	"Com_alter_table",
)
PAGES = ("/partner", "/partner/opportunities", "/partner/orders", "/partner/registrations")
# the tables whose rows a report or a page shows: a read of one of them on the primary is a read the
# replica should have served
APP_TABLES = (
	"`tabOpportunity`",
	"tabOpportunity ",
	"`tabOpportunity Movement`",
	"`tabDeal Registration`",
	"`tabQuotation`",
	"`tabSales Order`",
	"`tabSales Partner`",
	"`tabOpportunity Forecast Snapshot`",
)

# Frappe's path resolver asks each website-generator doctype (ERPNext's Sales Partner is one) whether it
# owns the route, before the page runs: Frappe's read, outside the page's code
FRAPPE_ROUTING = re.compile(r"WHERE `route` ?= ?'")


def new_request() -> None:
	"""What a new HTTP request starts with: Frappe keeps `local.replica_db`/`local.primary_db` for the rest of
	a request after its first `read_only` call (and switches no more), then drops `frappe.local`."""
	for attribute in ("replica_db", "primary_db"):
		if hasattr(frappe.local, attribute):
			delattr(frappe.local, attribute)


class TestReadReplica(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if frappe.conf.db_type not in (None, "mariadb"):
			raise cls.skipTest(
				cls, "the replica test starts MariaDB servers; this site is on " + frappe.conf.db_type
			)
		missing = missing_binaries()
		if missing:
			raise cls.skipTest(
				cls, "no MariaDB server binaries to start a replica with: " + ", ".join(missing)
			)
		# v16 names the site's database user `db_user`; v15 uses the database's name
		cls.db_name, cls.db_password = frappe.conf.db_name, frappe.conf.db_password
		cls.db_user = frappe.conf.get("db_user") or cls.db_name
		cls.pair = ReplicaPair()
		cls.pair.start(cls.db_name, cls.db_user, cls.db_password)
		cls.addClassCleanup(cls.pair.stop)
		# this process's site, as a site_config would set it: the primary and its replica
		cls.site_db, cls.saved_conf = frappe.local.db, {key: frappe.conf.get(key) for key in REPLICA_KEYS}
		cls.addClassCleanup(cls.back_to_the_site_database)
		frappe.conf.update(
			db_host="127.0.0.1",
			db_port=cls.pair.ports["primary"],
			db_socket=None,
			read_from_replica=1,
			replica_host="127.0.0.1",
			replica_db_port=cls.pair.ports["replica"],
		)
		frappe.local.db = get_db(
			host="127.0.0.1",
			port=cls.pair.ports["primary"],
			user=cls.db_user,
			password=cls.db_password,
			cur_db_name=cls.db_name,
		)
		frappe.set_user("Administrator")
		# what the reports and the pages show, committed on the primary (a throwaway copy of the site)
		cls.company = default_company()
		cls.partner = make_sales_partner()
		cls.partner_user = make_partner_user(cls.partner)
		cls.opportunity = partner_opportunity(cls.partner, 5_000_000)
		frappe.db.commit()
		cls.pair.wait_until_replicated()

	@classmethod
	def back_to_the_site_database(cls):
		frappe.set_user("Administrator")
		new_request()
		frappe.local.db.close()
		frappe.local.db = cls.site_db
		for key, value in cls.saved_conf.items():
			if value is None:
				frappe.conf.pop(key, None)
			else:
				frappe.conf[key] = value
		# Redis and this process's caches hold documents of the copy (users, the partner, ...)
		frappe.clear_cache()

	def setUp(self):
		frappe.set_user("Administrator")
		new_request()

	# ---- helpers --------------------------------------------------------------------------------------
	def reports(self) -> dict[str, dict]:
		return {
			"Opportunity Pipeline": {"company": self.company, "group_by": "Sales Partner"},
			"Opportunity Forecast": {"company": self.company, "group_by": "Sales Partner"},
			"Pipeline Movement": {"company": self.company, "to_date": nowdate()},
			"Opportunity Data Health": {"company": self.company},
		}

	def run_report(self, name: str, filters: dict) -> dict:
		new_request()
		return run_report(name, filters=json.dumps(filters), ignore_prepared_report=True)

	def render(self, route: str) -> str:
		new_request()
		frappe.set_user(self.partner_user)
		try:
			set_request(method="GET", path=route)
			response = get_response_without_exception_handling(route)
			self.assertEqual(response.status_code, 200, route)
			return response.get_data(as_text=True)
		finally:
			frappe.set_user("Administrator")
			new_request()

	def observed(self, work):
		"""Run work(); what each server recorded meanwhile: counter deltas and the site user's statements."""
		before = {role: self.pair.status(role) for role in ("primary", "replica")}
		for role in ("primary", "replica"):
			self.pair.general_log(role, True)
		try:
			result = work()
		finally:
			for role in ("primary", "replica"):
				self.pair.general_log(role, False)
		seen = {"result": result}
		for role in ("primary", "replica"):
			after = self.pair.status(role)
			seen[role] = {
				"delta": {
					key: after[key] - before[role].get(key, 0) for key in after if key.startswith("Com_")
				},
				"statements": self.pair.logged_statements(role, self.db_user),
			}
		return frappe._dict(seen)

	def assertReadOnTheReplica(self, seen, what: str):
		replica, primary = seen["replica"], seen["primary"]
		self.assertGreater(replica["delta"]["Com_select"], 0, f"{what}: no SELECT on the replica")
		app_reads_on_primary = [
			statement
			for statement in primary["statements"]
			if any(t in statement for t in APP_TABLES) and not FRAPPE_ROUTING.search(statement)
		]
		self.assertEqual(app_reads_on_primary, [], f"{what}: read the app's data on the primary")
		self.assertTrue(
			any(any(t in statement for t in APP_TABLES) for statement in replica["statements"]),
			f"{what}: the replica's log has no read of the app's data",
		)
		self.assertEqual(
			{key: replica["delta"].get(key, 0) for key in WRITES if replica["delta"].get(key, 0)},
			{},
			f"{what}: wrote on the replica",
		)
		print(
			f"{what}: replica Com_select +{replica['delta']['Com_select']}"
			f" ({len(replica['statements'])} statements), primary Com_select +{primary['delta']['Com_select']}"
			f" ({len(primary['statements'])} statements, none on the app's tables)"
		)

	def pipeline_count(self) -> int:
		result = self.run_report(
			"Opportunity Pipeline",
			{"company": self.company, "sales_partner": self.partner, "group_by": "Sales Partner"},
		)
		return sum(
			row["count"]
			for row in result["result"]
			if isinstance(row, dict) and row.get("group_value") == self.partner
		)

	# ---- tests ----------------------------------------------------------------------------------------
	def test_the_replica_is_a_read_only_gtid_replica(self):
		self.assertEqual(self.pair.value("replica", "SELECT @@read_only"), "1")
		self.assertEqual(self.pair.value("primary", "SELECT @@log_bin"), "1")
		# the fixtures committed in setUpClass came through GTID replication
		position = self.pair.value("primary", "SELECT @@gtid_binlog_pos")
		self.assertNotEqual(position, "")
		self.assertEqual(self.pair.value("replica", "SELECT @@gtid_slave_pos"), position)
		self.assertEqual(
			self.pair.value(
				"replica",
				f"SELECT count(*) FROM `{self.db_name}`.`tabOpportunity` WHERE name = '{self.opportunity}'",
			),
			"1",
		)

		# a write of the site's user inside a read_only block fails on the replica: what a report or a page
		# would meet if it wrote there
		@frappe.read_only()
		def write():
			frappe.db.sql("update `tabSingles` set value = value where doctype = 'System Settings' limit 1")

		with self.assertRaises(Exception) as refused:
			write()
		self.assertIn("1290", str(refused.exception))

	def test_each_report_reads_from_the_replica(self):
		for name, filters in self.reports().items():
			with self.subTest(report=name):
				seen = self.observed(lambda name=name, filters=filters: self.run_report(name, filters))
				self.assertTrue(seen.result["result"] is not None)
				self.assertReadOnTheReplica(seen, name)

	def test_each_portal_page_reads_from_the_replica(self):
		for route in PAGES:
			with self.subTest(page=route):
				seen = self.observed(lambda route=route: self.render(route))
				if route == "/partner/opportunities":
					self.assertTrue(
						self.opportunity in seen.result, f"{route} does not list {self.opportunity}"
					)
				self.assertReadOnTheReplica(seen, route)

	def test_a_paused_replica_shows_the_reports_and_pages_as_they_were(self):
		count = self.pipeline_count()
		self.assertTrue(self.opportunity in self.render("/partner/opportunities"))
		self.pair.pause()
		try:
			new = partner_opportunity(self.partner, 1_000_000)
			frappe.db.commit()
			self.assertTrue(frappe.db.exists("Opportunity", new))  # on the primary
			self.assertEqual(self.pipeline_count(), count)
			self.assertFalse(new in self.render("/partner/opportunities"), "the paused replica shows " + new)
		finally:
			self.pair.resume()
		self.pair.wait_until_replicated()
		self.assertEqual(self.pipeline_count(), count + 1)
		self.assertTrue(new in self.render("/partner/opportunities"), "the replica does not show " + new)
