"""What a desk user sees, in a real browser (Debian's headless Chromium driven by Playwright), with the
services a production bench runs: gunicorn, Frappe's socket.io server (node, apps/frappe/socketio.js)
and a background worker (`bench worker`).

- The Opportunity CRM workspace renders both number cards with their figures.
- The Opportunity Pipeline report's group-by select says what it is.
- Lead list ▸ Actions ▸ Convert to Opportunity runs in the worker, the browser receives its progress in
  real time, and the summary dialog shows converted, skipped and failed.

The browser is told the socket.io port through this site's `socketio_port` (restored afterwards), and
gunicorn runs with DEV_SERVER=1 so that the desk connects to that port directly (nginx proxies it in
production). gunicorn is pinned to the site, so that socket.io's session check (a request to the page's
origin, 127.0.0.1, without the site's name) reaches it. Screenshots go to test-artifacts/browser/.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import quote

import frappe
from frappe.installer import update_site_config
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from opportunity_crm.tests.browser import ARTIFACTS, log_in, new_page, screenshot, start_browser
from opportunity_crm.tests.factories import convert, make_lead, make_user
from opportunity_crm.tests.live_server import LiveServer, free_port
from opportunity_crm.tests.test_deadlocks import delete_leads

SITE_ENV = "OPPORTUNITY_CRM_BROWSER_SITE"
# the queue the bulk conversion is enqueued on: the bench's queues are shared by every site on it, and a
# worker on the others would run other sites' jobs too
WORKER_QUEUES = ("--queue", "long")


def site_application():
	"""gunicorn's app (`module:site_application()`): Frappe's, with statics, serving one site whatever
	the Host header says."""
	import frappe.app

	frappe.app._site = os.environ[SITE_ENV]
	return frappe.app.application_with_statics()


def start_service(name: str, command: list[str], cwd: str, env: dict | None = None) -> subprocess.Popen:
	"""A service in a process group of its own, so that stopping it stops the children it forks; its
	output goes to test-artifacts/browser/`name`.log."""
	with open(os.path.join(ARTIFACTS, f"{name}.log"), "w") as log:
		return subprocess.Popen(
			command,
			cwd=cwd,
			env={**os.environ, **(env or {})},
			stdout=log,
			stderr=subprocess.STDOUT,
			start_new_session=True,
		)


def stop_service(process: subprocess.Popen | None) -> None:
	if not process or process.poll() is not None:
		return
	os.killpg(process.pid, signal.SIGTERM)
	try:
		process.wait(timeout=20)
	except subprocess.TimeoutExpired:
		os.killpg(process.pid, signal.SIGKILL)
		process.wait()


def wait_for_port(port: int, process: subprocess.Popen, seconds: int = 30) -> None:
	deadline = time.monotonic() + seconds
	while time.monotonic() < deadline:
		if process.poll() is not None:
			raise RuntimeError(f"{process.args} exited before listening")
		with socket.socket() as s:
			if s.connect_ex(("127.0.0.1", port)) == 0:
				return
		time.sleep(0.2)
	raise RuntimeError(f"{process.args} did not listen on {port} within {seconds} s")


class TestBrowserDesk(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.password = frappe.generate_hash(length=16)
		cls.user = make_user("System Manager", "Sales Manager", "Sales User")
		update_password(cls.user, cls.password)
		frappe.db.commit()
		os.makedirs(ARTIFACTS, exist_ok=True)

		site = frappe.local.site
		bench = os.path.dirname(os.path.abspath(frappe.local.sites_path))
		cls.socketio_port = free_port()
		# the site's own file, not get_site_config(), which merges common_site_config.json in
		with open(frappe.get_site_path("site_config.json")) as f:
			cls.previous_socketio_port = json.load(f).get("socketio_port")
		cls.socketio = cls.worker = cls.server = cls.playwright = cls.browser = None
		update_site_config("socketio_port", cls.socketio_port)
		try:
			# Frappe's socket.io server (FRAPPE_SITE: the site of a connection from 127.0.0.1)
			cls.socketio = start_service(
				"socketio",
				["node", os.path.join("apps", "frappe", "socketio.js")],
				cwd=bench,
				env={"FRAPPE_SOCKETIO_PORT": str(cls.socketio_port), "FRAPPE_SITE": site},
			)
			wait_for_port(cls.socketio_port, cls.socketio)
			# `bench worker --queue long` is this command run from the sites folder
			cls.worker = start_service(
				"worker",
				[sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "worker", *WORKER_QUEUES],
				cwd=frappe.local.sites_path,
			)
			cls.server = LiveServer(workers=2, statics=True)
			cls.server.app = "opportunity_crm.tests.test_browser_desk:site_application()"
			os.environ.update({SITE_ENV: site, "DEV_SERVER": "1"})
			try:
				cls.server.start()
			finally:
				os.environ.pop(SITE_ENV)
				os.environ.pop("DEV_SERVER")

			cls.playwright, cls.browser = start_browser()
			cls.page = new_page(cls.browser, cls.server, site_header=False)
			log_in(cls.page, cls.server, cls.user, cls.password)
		except Exception:
			cls.stop_services()
			raise

	@classmethod
	def stop_services(cls):
		if cls.browser:
			cls.browser.close()
		if cls.playwright:
			cls.playwright.stop()
		if cls.server:
			cls.server.stop()
		stop_service(cls.worker)
		stop_service(cls.socketio)
		update_site_config("socketio_port", cls.previous_socketio_port or "None")  # "None" removes it
		# and this process's copy: update_site_config leaves "None" there
		frappe.local.conf.socketio_port = frappe.get_site_config().get("socketio_port")

	@classmethod
	def tearDownClass(cls):
		cls.stop_services()
		super().tearDownClass()

	def setUp(self):
		self.leads = []

	def tearDown(self):
		if self.leads:
			delete_leads(self.leads)

	def shot(self, name: str) -> None:
		screenshot(self.page, name)

	def go(self, path: str) -> None:
		self.page.goto(self.server.url(path))

	def lead(self, **kwargs) -> str:
		self.leads.append(make_lead(**kwargs))
		return self.leads[-1]

	def test_the_workspace_shows_both_number_cards_with_their_figures(self):
		opportunity = frappe.get_doc("Opportunity", convert(self.lead()))
		opportunity.opportunity_amount = 10_000_000
		opportunity.save()
		frappe.db.commit()

		self.go("/app/opportunity-crm")
		for label in ("Open Pipeline (Weighted)", "Converted This Month"):
			card = self.page.locator(f'.number-widget-box:has(.widget-title:has-text("{label}"))')
			card.locator(".widget-content .number").wait_for()
			self.assertRegex(card.locator(".number").inner_text(), r"\d")
		self.page.wait_for_timeout(500)
		self.shot("10-workspace-number-cards")

	def test_the_pipeline_reports_group_by_says_what_it_is(self):
		self.go("/app/query-report/Opportunity Pipeline")
		self.page.wait_for_selector(".dt-row:visible")
		group_by = self.page.locator('.page-form select[data-fieldname="group_by"]')
		self.assertEqual(group_by.evaluate("el => el.selectedOptions[0].text"), "Group by Sales Stage")
		self.assertEqual(group_by.input_value(), "Sales Stage")  # the value the report reads is unchanged

		group_by.select_option("Sales Person")
		self.page.wait_for_selector('.dt-cell__content:visible >> text="Sales Person"')
		self.assertEqual(group_by.evaluate("el => el.selectedOptions[0].text"), "Group by Sales Person")
		self.page.wait_for_timeout(2000)  # the chart animates in
		self.shot("11-pipeline-report-group-by")

	def test_lead_list_converts_in_the_worker_with_realtime_progress_and_a_summary(self):
		fresh = [self.lead(addresses=1, contacts=1) for _ in range(2)]
		already = self.lead()
		existing = convert(already)
		disabled = self.lead(disabled=1)
		leads = [*fresh, already, disabled]
		frappe.db.commit()

		self.go(f"/app/lead?name={quote(json.dumps(['in', leads]))}")
		self.page.wait_for_function("() => window.cur_list?.data?.length == 4")
		# the progress the job publishes, as the browser receives it over socket.io
		self.page.evaluate(
			"() => { window.conversion_progress = [];"
			" frappe.realtime.on('progress', (data) => conversion_progress.push(data)); }"
		)
		self.page.wait_for_function("() => frappe.realtime.socket.connected")
		self.page.wait_for_timeout(500)
		self.page.locator(".list-row-container:visible .list-row-checkbox").first.wait_for()
		for checkbox in self.page.locator(".list-row-container:visible .list-row-checkbox").all():
			checkbox.check()
		self.page.locator(".actions-btn-group:visible > button").click()
		self.page.locator(
			'.actions-btn-group:visible .dropdown-item:has-text("Convert to Opportunity")'
		).click()

		# the job waits in the queue behind whatever the bench's other sites queued
		title = self.page.locator(".modal.show .modal-title", has_text=re.compile(r"^Converted \d+, skipped"))
		title.wait_for(timeout=180_000)
		self.assertEqual(title.inner_text(), "Converted 2, skipped 1, failed 1")
		self.page.wait_for_timeout(500)
		self.shot("12-bulk-conversion-summary")
		progress = self.page.evaluate("() => conversion_progress")
		self.assertTrue(progress, "no progress reached the browser")
		self.assertEqual(progress[-1]["percent"], 100)
		self.assertEqual(progress[-1]["title"], "Converting Leads to Opportunities")

		# the dialog's links are the database's truth, committed by the worker
		frappe.db.rollback()
		for lead in fresh:
			opportunity = frappe.db.get_value("Opportunity", {"lead": lead})
			self.assertTrue(opportunity)
			self.page.wait_for_selector(f'.modal.show a:has-text("{opportunity}")')
		self.page.wait_for_selector(f'.modal.show a:has-text("{existing}")')
		self.assertFalse(frappe.db.exists("Opportunity", {"lead": disabled}))
