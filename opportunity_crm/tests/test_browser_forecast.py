"""The forecast and the pipeline movement in a real browser (headless Chromium driven by Playwright, against
the site served by gunicorn, as in test_browser_walk).

Setup, through the app's own API and documents: a team (a group Sales Person) of A and B, an overlay
specialist C; Opportunities closing this month (M1) and next month (M2), one split 60 / 40 between A and B
with C as an overlay row, their forecast categories set by their stages and one by hand; a target on A with
a Monthly Distribution; a submitted Sales Order credited 50 / 50 through its Sales Team; a snapshot taken
last week; then this week's changes (an amount up, a stage moved forward, a closing date pushed, a new deal).

The walk, as a Sales Manager: the workspace links both reports; the Opportunity Forecast's team row sums its
members and its cells equal the hand count; a number opens the Opportunity list filtered to the
Opportunities behind it; the comparison with the snapshot shows what moved; the Pipeline Movement report
counts new, forward, pushed and amount up and opens the Opportunities behind a number; the Opportunity form
shows its Sales Team with the overlay row and its Movements under Connections. Then, as the restricted
salesperson A (Sales Person via Employee, row-level access on), the forecast shows A's numbers only.

Screenshots go to test-artifacts/browser/ in the app folder (forecast-*.png, movement-*.png).
"""

from urllib.parse import urlencode

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_months, add_to_date, get_first_day, get_last_day, getdate, nowdate
from frappe.utils.password import update_password

from opportunity_crm.forecasting import forecast, movement
from opportunity_crm.tests.browser import close_browser, log_in, open_browser, screenshot
from opportunity_crm.tests.factories import (
	convert,
	default_company,
	make_customer,
	make_item,
	make_lead,
	make_sales_partner,
	make_sales_person,
	make_salesperson_user,
	make_user,
	unique,
)
from opportunity_crm.tests.factories import (
	fiscal_year as fiscal_year_of,
)

# ERPNext's own stages, with the app's probabilities and forecast categories
PIPELINE, BEST_CASE, COMMIT = "Qualification", "Proposal/Price Quote", "Negotiation/Review"  # 20, 70, 80 %
SETTINGS = "Opportunity CRM Settings"


def cell_key(measure: str, month) -> str:
	return f"{measure}__{str(month)[:7].replace('-', '_')}"


class TestBrowserForecast(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.created = {"Opportunity": [], "Sales Order": [], "Monthly Distribution": []}
		cls.row_level_access = frappe.db.get_single_value(SETTINGS, "enable_row_level_access")
		try:
			cls.make_data()
		except Exception:
			frappe.db.rollback()
			cls.clean_up()
			raise
		open_browser(cls, width=1920, height=1000)

	@classmethod
	def make_data(cls):
		cls.company = default_company()
		today = getdate(nowdate())
		cls.m1, cls.m2 = get_first_day(today), get_first_day(add_months(today, 1))

		cls.password = frappe.generate_hash(length=16)
		cls.manager = make_user("Sales Manager", "Sales User")
		update_password(cls.manager, cls.password)
		cls.team = make_sales_person(is_group=1)
		cls.user_a, cls.a = make_salesperson_user(parent=cls.team)
		update_password(cls.user_a, cls.password)
		cls.b = make_sales_person(parent=cls.team)
		cls.c = make_sales_person()  # the specialist: overlay credit only
		cls.partner = make_sales_partner()

		def opportunity(person, closing, amount, stage, team=None, category=None):
			name = convert(make_lead(), sales_person=person, sales_partner=cls.partner)
			cls.created["Opportunity"].append(name)
			doc = frappe.get_doc("Opportunity", name)
			doc.update({"expected_closing": closing, "opportunity_amount": amount, "sales_stage": stage})
			for row in team or []:
				doc.append("sales_team", row)
			doc.save()
			if category:
				doc.forecast_category = category
				doc.save()
			return doc

		# O1: this month, split A 60 / B 40, C overlay 20 %; Commit by its stage
		cls.o1 = opportunity(
			cls.a,
			get_last_day(cls.m1),
			1_000_000,
			COMMIT,
			team=[
				{"sales_person": cls.a, "allocated_percentage": 60},
				{"sales_person": cls.b, "allocated_percentage": 40},
				{"sales_person": cls.c, "allocated_percentage": 20, "overlay": 1},
			],
		).name
		# O2: next month, B's, Best Case by its stage
		cls.o2 = opportunity(cls.b, add_days(cls.m2, 9), 2_000_000, BEST_CASE).name
		# O3: this month, A's, a Pipeline stage but Commit by hand
		cls.o3 = opportunity(cls.a, get_last_day(cls.m1), 500_000, PIPELINE, category="Commit").name

		# A's target: 12,000,000 this fiscal year, 25 % of it this month (Monthly Distribution)
		months = [getdate(f"2001-{m:02d}-01").strftime("%B") for m in range(1, 13)]
		this_month = cls.m1.strftime("%B")
		distribution = frappe.get_doc(
			{
				"doctype": "Monthly Distribution",
				"distribution_id": unique("Musim"),
				"percentages": [
					{"month": m, "percentage_allocation": 25 if m == this_month else 75 / 11} for m in months
				],
			}
		).insert()
		cls.created["Monthly Distribution"].append(distribution.name)
		# this calendar year's Fiscal Year, made when the site has none (it stays, as ERPNext's own
		# auto_create_fiscal_year would leave it): the suite runs in any year
		fiscal_year = fiscal_year_of(cls.m1.year)
		person = frappe.get_doc("Sales Person", cls.a)
		person.append(
			"targets",
			{"fiscal_year": fiscal_year, "target_amount": 12_000_000, "distribution_id": distribution.name},
		)
		person.save()

		# achieved: a submitted Sales Order of 800,000 today, credited A 50 / B 50 through its Sales Team
		order = frappe.get_doc(
			{
				"doctype": "Sales Order",
				"customer": make_customer(),
				"company": cls.company,
				"transaction_date": nowdate(),
				"delivery_date": add_days(nowdate(), 7),
				"items": [{"item_code": make_item(), "qty": 1, "rate": 800_000}],
				"sales_team": [
					{"sales_person": cls.a, "allocated_percentage": 50},
					{"sales_person": cls.b, "allocated_percentage": 50},
				],
			}
		).insert()
		order.submit()
		cls.created["Sales Order"].append(order.name)

		# all that happened last week: its movements before the Pipeline Movement's period, and a snapshot
		last_week = add_to_date(None, days=-10)
		for name in (cls.o1, cls.o2, cls.o3):
			frappe.db.set_value("Opportunity Movement", {"opportunity": name}, "moved_on", last_week)
			frappe.db.set_value("Opportunity", name, "creation", last_week, update_modified=False)
		movement.refresh_dates([cls.o1, cls.o2, cls.o3])  # the dates they keep of their log
		cls.snapshot_date = getdate(add_days(today, -7))
		while frappe.db.exists(forecast.SNAPSHOT_DOCTYPE, {"snapshot_date": cls.snapshot_date}):
			cls.snapshot_date = getdate(add_days(cls.snapshot_date, -1))
		forecast.take_snapshot(cls.snapshot_date, commit=False)

		# this week: O2's amount up, O3's stage forward, O1's closing date pushed to next month, a new deal
		doc = frappe.get_doc("Opportunity", cls.o2)
		doc.opportunity_amount = 2_500_000
		doc.save()
		doc = frappe.get_doc("Opportunity", cls.o3)
		doc.sales_stage = BEST_CASE
		doc.save()
		doc = frappe.get_doc("Opportunity", cls.o1)
		doc.expected_closing = add_days(cls.m2, 14)
		doc.save()
		cls.o4 = opportunity(cls.a, add_days(cls.m2, 19), 300_000, PIPELINE).name

		frappe.db.set_single_value(SETTINGS, "enable_row_level_access", 1)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		close_browser(cls)
		frappe.db.rollback()
		cls.clean_up()
		super().tearDownClass()

	@classmethod
	def clean_up(cls):
		"""Committed records that would count in other tests' reports: the order, the Opportunities (their
		movements go with them), the Sales Persons (their target with them), the snapshot, the setting."""
		frappe.set_user("Administrator")
		for name in cls.created["Sales Order"]:
			order = frappe.get_doc("Sales Order", name)
			if order.docstatus == 1:
				order.cancel()
			frappe.delete_doc("Sales Order", name, force=True, ignore_permissions=True)
		for name in cls.created["Opportunity"]:
			frappe.delete_doc("Opportunity", name, force=True, ignore_permissions=True)
		for name in ("a", "b", "c", "team"):
			if getattr(cls, name, None):
				frappe.delete_doc("Sales Person", getattr(cls, name), force=True, ignore_permissions=True)
		for name in cls.created["Monthly Distribution"]:
			frappe.delete_doc("Monthly Distribution", name, force=True, ignore_permissions=True)
		if getattr(cls, "snapshot_date", None):
			frappe.db.delete(forecast.SNAPSHOT_DOCTYPE, {"snapshot_date": cls.snapshot_date})
		frappe.db.set_single_value(SETTINGS, "enable_row_level_access", cls.row_level_access or 0)
		frappe.db.commit()

	# helpers ------------------------------------------------------------------------------------------

	def shot(self, name: str) -> None:
		screenshot(self.page, name)

	def go(self, path: str, **query) -> None:
		self.page.goto(self.server.url(path + (f"?{urlencode(query)}" if query else "")))

	def open_report(self, report: str, **filters) -> None:
		self.go(f"/app/query-report/{report}", **filters)
		self.page.wait_for_selector(f'.page-title:visible >> text="{report}"')
		self.page.wait_for_function(
			"() => frappe.query_report?.data?.length && !frappe.query_report.loading"
			" && document.querySelector('.dt-row[data-row-index]')"
		)
		self.page.wait_for_timeout(2500)  # the chart animates in

	def rows(self) -> dict:
		return {row["group_value"]: row for row in self.page.evaluate("() => frappe.query_report.data")}

	def cell(self, group_value: str, fieldname: str):
		"""The cell of the report's table for (row, column): its shown text, and its locator."""
		index = self.page.evaluate(
			"""([group, field]) => {
				const report = frappe.query_report;
				const row = report.data.findIndex((d) => d.group_value == group);
				const column = report.datatable.datamanager.getColumns()
					.find((c) => c.id == field);
				return [row, column ? column.colIndex : -1];
			}""",
			[group_value, fieldname],
		)
		self.assertGreaterEqual(min(index), 0, f"{group_value} {fieldname} not in the report")
		row, column = index
		return self.page.locator(f".dt-scrollable .dt-cell--col-{column}.dt-cell--row-{row}")

	def assertCell(self, group_value: str, fieldname: str, expected: float) -> None:
		"""The report's value is the hand count, and the table shows it."""
		self.assertAlmostEqual(self.rows()[group_value][fieldname], expected, places=2, msg=fieldname)
		text = self.cell(group_value, fieldname).inner_text()
		digits = "".join(ch for ch in text if ch.isdigit())
		shown = int(abs(expected))
		self.assertIn(digits, {str(shown), f"{shown}00"}, f"{fieldname}: {text!r}")

	def list_names(self) -> set:
		self.page.wait_for_function("() => window.cur_list?.doctype == 'Opportunity' && cur_list.data")
		self.page.wait_for_timeout(1500)
		return set(self.page.evaluate("() => cur_list.data.map((d) => d.name)"))

	# the walk -----------------------------------------------------------------------------------------

	def test_a_sales_manager_and_a_salesperson_read_the_forecast_and_the_movement(self):
		page = self.page
		log_in(page, self.server, self.manager, self.password)
		# full width (the user's toggle, kept in this browser only), so that the screenshots show every column
		page.evaluate("() => { localStorage.container_fullwidth = true; }")
		m1, m2, a, b, team = self.m1, self.m2, self.a, self.b, self.team
		forecast_filters = {
			"company": self.company,
			"period": "Month",
			"from_date": str(m1),
			"to_date": str(get_last_day(m2)),
		}

		# the workspace links both reports (Reports card)
		self.go("/app/opportunity-crm")
		for report in ("Opportunity Forecast", "Pipeline Movement"):
			page.locator(f'.widget.links-widget-box a:has-text("{report}")').wait_for()
		self.shot("forecast-01-workspace")
		page.locator('.widget.links-widget-box a:has-text("Opportunity Forecast")').click()
		page.wait_for_selector('.page-title:visible >> text="Opportunity Forecast"')

		# the forecast: the team row sums its members, the cells equal the hand count
		self.open_report("Opportunity Forecast", **forecast_filters)
		rows = self.rows()
		self.assertLessEqual({team, a, b}, set(rows))
		self.assertEqual(rows[a]["indent"], rows[team]["indent"] + 1)
		for field in rows[team]:
			if "__" in field and not field.startswith("gap__"):
				self.assertAlmostEqual(
					rows[team][field], rows[a][field] + rows[b][field], places=2, msg=field
				)
		# the gap only against a target: the team's from its own sums; none for b, who has no target
		for field in (f for f in rows[team] if f.startswith("gap__")):
			period = field.removeprefix("gap__")
			target = rows[team][f"target__{period}"]
			if target:
				expected = target - rows[team][f"achieved__{period}"] - rows[team][f"commit_amount__{period}"]
				self.assertAlmostEqual(rows[team][field], expected, places=2, msg=field)
			else:
				self.assertIsNone(rows[team][field], field)
			self.assertIsNone(rows[b][field], field)
		commit = {
			(a, m1): 500_000,  # O3, Commit by hand (its stage says Best Case)
			(a, m2): 600_000,  # 60 % of O1 (pushed to next month)
			(b, m2): 400_000,  # 40 % of O1; C's overlay 20 % counts for no one
			(team, m1): 500_000,
			(team, m2): 1_000_000,
		}
		for (person, month), amount in commit.items():
			self.assertCell(person, cell_key("commit_amount", month), amount)
		self.assertCell(team, cell_key("best_case", m2), 1_000_000 + 2_500_000)  # O1 + O2
		self.assertCell(a, cell_key("target", m1), 3_000_000)  # 25 % of 12,000,000
		self.assertCell(a, cell_key("achieved", m1), 400_000)  # 50 % of the order
		self.assertCell(team, cell_key("achieved", m1), 800_000)
		self.assertCell(a, cell_key("weighted_pipeline", m2), 480_000 + 60_000)  # 60 % of 800,000; O4 at 20 %
		self.assertCell(b, cell_key("weighted_pipeline", m2), 320_000 + 1_750_000)  # 40 % of O1; O2 at 70 %
		self.assertCell(a, cell_key("gap", m1), 3_000_000 - 400_000 - 500_000)
		self.shot("forecast-02-report")

		# a number opens the Opportunity list filtered to the Opportunities behind it
		self.cell(team, cell_key("best_case", m2)).locator("a.opportunity-forecast-drill").click()
		self.assertEqual(self.list_names(), {self.o1, self.o2})
		self.shot("forecast-03-drill-down")

		# compared with last week's snapshot: O1 moved from this month to next, O2 grew by 500,000
		self.open_report(
			"Opportunity Forecast",
			**forecast_filters,
			value="commit_amount",
			compare_snapshot=str(self.snapshot_date),
		)
		page.wait_for_function(
			f"() => frappe.query_report.get_filter_value('compare_snapshot') == '{self.snapshot_date}'"
			" && frappe.query_report.columns.some((c) => c.fieldname.endsWith('__change'))"
		)
		page.wait_for_timeout(2500)
		self.assertCell(team, cell_key("commit_amount", m1) + "__change", -1_000_000)
		self.assertCell(team, cell_key("commit_amount", m2) + "__change", 1_000_000)
		self.assertCell(team, cell_key("commit_amount", "total") + "__change", 0)
		self.shot("forecast-04-compared-with-snapshot")
		self.open_report(
			"Opportunity Forecast",
			**forecast_filters,
			value="best_case",
			compare_snapshot=str(self.snapshot_date),
		)
		page.wait_for_function(
			"() => frappe.query_report.columns.some((c) => c.fieldname.startsWith('best_case__'))"
		)
		page.wait_for_timeout(1000)
		# O2's amount up 500,000, and B's 40 % of O1 moved in from this month
		self.assertCell(b, cell_key("best_case", m2) + "__change", 500_000 + 400_000)

		# the Pipeline Movement of this week, for the team
		today = getdate(nowdate())
		self.open_report(
			"Pipeline Movement",
			company=self.company,
			from_date=str(add_days(today, -6)),
			to_date=str(today),
			sales_person=team,
		)
		rows = self.rows()
		self.assertEqual(set(rows), {a, b})
		expected = {
			a: {"new_deals": 1, "forward": 2, "back": 0, "pushed": 1, "amount_up": 300_000},  # O4; O3, O4; O1
			b: {"new_deals": 0, "forward": 0, "back": 0, "pushed": 0, "amount_up": 500_000},  # O2
		}
		for person, counts in expected.items():
			for column, value in counts.items():
				self.assertEqual(rows[person][column], value, f"{person} {column}")
		self.assertCell(a, "forward", 2)
		self.assertCell(b, "amount_up", 500_000)
		self.assertEqual(rows[a]["open_deals"], 3)  # O1, O3, O4
		self.shot("movement-01-report")
		self.cell(a, "forward").locator("a.pipeline-movement-drill").click()
		self.assertEqual(self.list_names(), {self.o3, self.o4})
		self.shot("movement-02-drill-down")

		# the Opportunity form: its Sales Team with the overlay row, its Movements under Connections
		self.go(f"/app/opportunity/{self.o1}")
		page.wait_for_function(
			f"() => window.cur_frm?.doc?.name == '{self.o1}' && !document.querySelector('.freeze')"
		)
		team_rows = page.evaluate(
			"() => cur_frm.doc.sales_team.map((r) => [r.sales_person, r.allocated_percentage, r.overlay])"
		)
		self.assertEqual(sorted(team_rows), sorted([[a, 60, 0], [b, 40, 0], [self.c, 20, 1]]))
		grid = page.locator('.frappe-control[data-fieldname="sales_team"]')
		grid.scroll_into_view_if_needed()
		grid.locator(".grid-body .data-row").first.wait_for()
		self.assertEqual(grid.locator(".grid-body .rows > .grid-row").count(), 3)
		page.wait_for_timeout(500)
		self.shot("forecast-05-opportunity-sales-team")
		page.locator('.form-tabs .nav-link:visible:has-text("Connections")').click()
		movements = frappe.db.count("Opportunity Movement", {"opportunity": self.o1})
		page.wait_for_selector('.form-documents .form-link-title:visible:has-text("Movements")')
		page.wait_for_selector(
			f'.document-link[data-doctype="Opportunity Movement"]:visible .count:has-text("{movements}")'
		)
		page.wait_for_timeout(500)
		self.shot("movement-03-opportunity-connections")
		# ... which open the Opportunity's movement log
		page.locator('.document-link[data-doctype="Opportunity Movement"] .badge-link').click()
		page.wait_for_function(
			f"() => window.cur_list?.doctype == 'Opportunity Movement' && cur_list.data?.length == {movements}"
		)
		self.assertEqual(set(page.evaluate("() => cur_list.data.map((d) => d.opportunity)")), {self.o1})
		page.wait_for_timeout(1000)
		self.shot("movement-04-opportunity-movements")

		# the restricted salesperson sees only their own numbers
		page.context.clear_cookies()
		log_in(page, self.server, self.user_a, self.password)
		page.evaluate("() => { localStorage.container_fullwidth = true; }")
		self.open_report("Opportunity Forecast", **forecast_filters)
		mine = self.rows()
		self.assertEqual(set(mine), {a})
		self.assertCell(a, cell_key("commit_amount", m1), 500_000)
		self.assertCell(a, cell_key("commit_amount", m2), 600_000)
		self.assertCell(a, cell_key("target", m1), 3_000_000)
		# the order credits A without coming from A's Opportunities: A's own row counts it, as the manager's
		self.assertCell(a, cell_key("achieved", m1), 400_000)
		self.shot("forecast-06-restricted-salesperson")
