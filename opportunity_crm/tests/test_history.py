"""Installing the app on a site with years of history made by STOCK ERPNext.

setUpClass builds a second site from the clean ERPNext database that `.ci/run` keeps, seeds it with stock
ERPNext while the app is NOT installed there (`opportunity_crm.tests.history.seed`: none of the app's hooks
run), runs the real `install-app`, then checks it in a process of its own (`history.check`). The tests
assert on what that process saw. The site is dropped afterwards (set OPPORTUNITY_CRM_KEEP_HISTORY_SITE=1 to
keep it for a look).
"""

import json
import os
import subprocess
import sys

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_bench_path, now

from opportunity_crm.tests import history

CLEAN_DB = os.path.join(get_bench_path(), ".opportunity_crm_ci", "erpnext-clean.sql.gz")


def bench(*args: str, timeout: int = 900) -> str:
	"""A bench command (as `bench ...` runs it), from the sites folder; its output; fails loudly."""
	done = subprocess.run(
		[sys.executable, "-m", "frappe.utils.bench_helper", "frappe", *args],
		cwd=os.path.join(get_bench_path(), "sites"),
		capture_output=True,
		text=True,
		timeout=timeout,
	)
	if done.returncode:
		raise AssertionError(f"bench {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
	return done.stdout


def on_site(site: str, function: str, **kwargs) -> dict:
	"""Run opportunity_crm.tests.history.<function> on `site` in a process of its own; its JSON result."""
	done = subprocess.run(
		[sys.executable, "-m", "opportunity_crm.tests.history", site, function, json.dumps(kwargs)],
		cwd=os.path.join(get_bench_path(), "sites"),
		capture_output=True,
		text=True,
		timeout=900,
	)
	lines = [line for line in done.stdout.splitlines() if line.startswith(history.MARKER)]
	if done.returncode or not lines:
		raise AssertionError(
			f"history.{function} on {site} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
		)
	return json.loads(lines[-1][len(history.MARKER) :])


class TestInstallOnHistory(FrappeTestCase):
	site = None
	seeded = None
	checked = None

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if not os.path.exists(CLEAN_DB):
			raise AssertionError(
				f"test_history needs the clean ERPNext database {CLEAN_DB}: `bash .ci/run` makes it once."
			)
		cls.site = f"history-{frappe.local.site}"
		root_password = os.environ.get("DB_ROOT_PASSWORD") or frappe.conf.get("root_password") or "root"
		cls.root_password = root_password
		if os.path.isdir(os.path.join(get_bench_path(), "sites", cls.site)):
			bench("drop-site", cls.site, "--force", "--no-backup", "--db-root-password", root_password)
		bench(
			"new-site",
			cls.site,
			"--source_sql",
			CLEAN_DB,
			"--db-root-password",
			root_password,
			"--admin-password",
			"admin",
			"--mariadb-user-host-login-scope=localhost",
		)
		cls.seeded = on_site(cls.site, "seed")
		cls.seeded["installed_at"] = now()
		bench("--site", cls.site, "install-app", "opportunity_crm")
		cls.checked = on_site(cls.site, "check", seeded=cls.seeded)
		print(f"\nHistory site {cls.site}: rows before install -> after install -> after ERPNext's jobs")
		after, jobs = cls.checked["counts_after_install"], cls.checked["counts_after_jobs"]
		for key, before in cls.seeded["counts"].items():
			print(f"  {key}: {before} -> {after.get(key)} -> {jobs.get(key)}")
		for key in set(after) - set(cls.seeded["counts"]):
			print(f"  {key}: (no column) -> {after[key]} -> {jobs.get(key)}")

	@classmethod
	def tearDownClass(cls):
		if cls.site and not os.environ.get("OPPORTUNITY_CRM_KEEP_HISTORY_SITE"):
			bench("drop-site", cls.site, "--force", "--no-backup", "--db-root-password", cls.root_password)
		super().tearDownClass()

	def opportunities(self, key: str) -> list[str]:
		return self.seeded["opportunities"][key]

	def test_every_opportunity_gets_the_addresses_and_contacts_of_its_party(self):
		self.assertEqual(self.checked["missing_party_links"], [])
		self.assertEqual(self.checked["links_out_of_order"], [])
		for key in ("two_open", "customer", "prospect", "ordered_beats_open"):
			for name in self.opportunities(key):
				kinds = {link.split(" ", 1)[0] for link in self.checked["links"][name]}
				self.assertEqual(kinds, {"Address", "Contact"}, f"{key}: {name}")
		self.assertEqual(self.seeded["counts"]["Dynamic Link to Opportunity"], 0)
		self.assertGreater(self.checked["counts_after_install"]["Dynamic Link to Opportunity"], 0)

	def test_each_lead_gets_its_furthest_opportunity_and_the_others_stay_history(self):
		for key, index in history.EXPECTED_CHOICE.items():
			lead, names = self.seeded["leads"][key], self.opportunities(key)
			seen = self.checked["leads"][key]
			expected = names[index]
			self.assertEqual(seen["holder"], expected, key)
			self.assertEqual(seen["chosen"], expected, f"choose_lead_opportunity, {key}")
			self.assertEqual(
				seen["lead_of"], {name: lead if name == expected else None for name in names}, key
			)

	def test_the_choice_for_one_lead_is_the_backfills(self):
		expected = self.opportunities("quoted_beats_oldest")[1]
		self.assertEqual(self.checked["designate"], {"chosen": expected, "designated": expected})

	def test_customers_are_linked_both_ways(self):
		links = self.checked["customer_links"]
		customers = self.seeded["customers"]
		# made by ERPNext from the Opportunity (Customer.opportunity_name only)
		for key in ("customer_beats_quoted", "single_customer"):
			name = self.opportunities(key)[history.EXPECTED_CHOICE[key]]
			customer = customers[f"{key}:{name}"]
			self.assertEqual(links[name], {"opportunity.customer": customer, "customer naming it": customer})
		# made from the Lead (Lead ▸ Customer before or after the Opportunity; Quotation ▸ Sales Order)
		for key in ("customer_before", "customer_after", "ordered_beats_open"):
			name = self.opportunities(key)[history.EXPECTED_CHOICE[key]]
			self.assertEqual(
				links[name],
				{"opportunity.customer": customers[key], "customer naming it": customers[key]},
				key,
			)
		# history Opportunities and those of a Customer did not become one
		for name in self.opportunities("customer") + self.opportunities("quoted_beats_oldest")[:1]:
			self.assertEqual(links[name], {"opportunity.customer": None, "customer naming it": None}, name)

	def test_a_second_run_changes_nothing(self):
		self.assertEqual(set(self.checked["second_run"].values()), {0}, self.checked["second_run"])
		self.assertTrue(self.checked["second_run_changed_nothing"])

	def test_the_lead_and_history_opportunities_can_be_edited_closed_lost_and_quoted(self):
		self.assertEqual(len(self.checked["actions"]), len(history.ACTION_TARGETS))
		for name, outcomes in self.checked["actions"].items():
			self.assertEqual(outcomes, dict.fromkeys(history.ACTIONS, "ok"), name)

	def test_erpnexts_scheduled_jobs_run_through(self):
		self.assertEqual(
			self.checked["jobs"],
			dict.fromkeys([*history.SCHEDULED_JOBS, *history.APP_JOBS, "retry_failed_transactions"], "ok"),
		)
		self.assertEqual(self.checked["error_logs"], [])
		self.assertGreater(self.checked["snapshot_rows"], 0)  # the weekly forecast snapshot of history

	def test_auto_close_closes_the_replied_history(self):
		replied = [self.opportunities("replied_history")[1], self.opportunities("customer")[1]]
		self.assertEqual(set(self.checked["replied_before"]), set(replied))
		self.assertEqual(self.checked["statuses_after_jobs"], dict.fromkeys(replied, "Closed"))
		# ERPNext's job sets the status with db_set: the movement log has the close and the category it
		# imposes, and the forecast drops it
		self.assertEqual(
			self.checked["after_auto_close"],
			{
				name: {"movements": ["Closed", "Forecast Category"], "counts_as_pipeline": False}
				for name in replied
			},
		)

	def test_history_gets_its_forecast_categories_and_matching_keys(self):
		categories = self.checked["forecast_categories"]
		self.assertEqual(len(categories), self.seeded["counts"]["Opportunity"])
		self.assertEqual({name: pair for name, pair in categories.items() if pair[0] != pair[1]}, {})
		self.assertEqual(self.checked["keys_missing"], {"Lead": [], "Customer": [], "Prospect": []})

	def test_the_other_jobs_did_their_work(self):
		self.assertEqual(self.checked["expired_quotation_status"], "Expired")
		self.assertEqual(self.checked["event_opportunity_status"], "Open")
		# ERPNext's bulk Quotation ▸ Sales Order, retried after install, goes through the app's rules
		self.assertEqual(
			self.checked["bulk_retried"],
			{quotation: {"status": "Success", "error": ""} for quotation in self.seeded["bulk_failed"]},
		)
		self.assertEqual(
			self.checked["counts_after_jobs"]["Sales Order"], self.seeded["counts"]["Sales Order"] + 2
		)
