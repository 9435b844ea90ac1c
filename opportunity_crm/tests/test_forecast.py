import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import flt, getdate, nowdate

from opportunity_crm.forecasting import forecast
from opportunity_crm.forecasting.forecast_category import backfill_forecast_categories_between
from opportunity_crm.opportunity_crm.report.opportunity_forecast.opportunity_forecast import execute
from opportunity_crm.tests.factories import (
	convert,
	default_company,
	fiscal_year,
	make_customer,
	make_item,
	make_lead,
	make_sales_partner,
	make_sales_person,
	make_salesperson_user,
	unique,
)


def stage(category: str, probability: float = 50) -> str:
	name = unique("_OCRM Forecast Stage")
	frappe.get_doc(
		{
			"doctype": "Sales Stage",
			"stage_name": name,
			"probability": probability,
			"forecast_category": category,
		}
	).insert()
	return name


def opportunity(**values):
	doc = frappe.get_doc("Opportunity", convert(make_lead()))
	doc.update(values)
	doc.save()
	return doc


class TestForecastCategoryFollowsTheStage(FrappeTestCase):
	def test_a_new_opportunity_takes_the_category_of_its_stage(self):
		doc = opportunity(sales_stage=stage("Commit"))
		self.assertEqual((doc.forecast_category, doc.forecast_category_overridden), ("Commit", 0))
		self.assertEqual(
			frappe.db.get_value("Sales Stage", "Negotiation/Review", "forecast_category"), "Commit"
		)

	def test_the_category_follows_a_stage_change(self):
		doc = opportunity(sales_stage=stage("Pipeline"))
		doc.sales_stage = stage("Best Case")
		doc.save()
		self.assertEqual(doc.forecast_category, "Best Case")

	def test_a_category_chosen_by_hand_stays_when_the_stage_changes(self):
		doc = opportunity(sales_stage=stage("Pipeline"))
		doc.forecast_category = "Commit"
		doc.save()
		self.assertTrue(doc.forecast_category_overridden)
		doc.sales_stage = stage("Best Case")
		doc.save()
		self.assertEqual(doc.forecast_category, "Commit")
		# choosing the stage's value again makes it follow the stage again
		doc.forecast_category = "Best Case"
		doc.save()
		self.assertFalse(doc.forecast_category_overridden)

	def test_changing_a_stage_default_updates_the_opportunities_that_follow_it(self):
		shared = stage("Pipeline")
		following = opportunity(sales_stage=shared)
		chosen = opportunity(sales_stage=shared)
		chosen.forecast_category = "Commit"
		chosen.save()
		lost = opportunity(sales_stage=shared, status="Lost")

		sales_stage = frappe.get_doc("Sales Stage", shared)
		sales_stage.forecast_category = "Best Case"
		sales_stage.save()

		category = lambda doc: frappe.db.get_value("Opportunity", doc.name, "forecast_category")  # noqa: E731
		self.assertEqual(category(following), "Best Case")
		self.assertEqual(category(chosen), "Commit")
		self.assertEqual(category(lost), "Omitted")

	def test_lost_and_closed_are_omitted_and_a_reopened_one_follows_its_stage(self):
		doc = opportunity(sales_stage=stage("Commit"))
		doc.forecast_category = "Best Case"
		doc.save()
		doc.status = "Lost"
		doc.save()
		self.assertEqual(doc.forecast_category, "Omitted")
		doc.status = "Open"
		doc.save()
		self.assertEqual((doc.forecast_category, doc.forecast_category_overridden), ("Commit", 0))
		doc.status = "Closed"
		doc.save()
		self.assertEqual(doc.forecast_category, "Omitted")

	def test_a_status_set_with_db_set_is_followed(self):
		"""What ERPNext's Quotation does (`set_status(update=True)` → `db_set`)."""
		doc = opportunity(sales_stage=stage("Commit"))
		doc.db_set("status", "Lost")
		self.assertEqual(frappe.db.get_value("Opportunity", doc.name, "forecast_category"), "Omitted")
		doc.db_set("status", "Converted")
		self.assertEqual(frappe.db.get_value("Opportunity", doc.name, "forecast_category"), "Closed")

	def test_the_backfill_gives_each_opportunity_its_category(self):
		commit = stage("Commit")
		following = opportunity(sales_stage=commit)
		chosen = opportunity(sales_stage=commit)
		chosen.forecast_category = "Best Case"
		chosen.save()
		lost = opportunity(sales_stage=commit, status="Lost")
		names = sorted([following.name, chosen.name, lost.name])
		frappe.db.sql(
			"update `tabOpportunity` set forecast_category = null where name in %(names)s", {"names": names}
		)
		frappe.db.sql(
			"update `tabOpportunity` set forecast_category = 'Best Case' where name = %s", chosen.name
		)
		backfill_forecast_categories_between("", names[-1])
		category = lambda doc: frappe.db.get_value("Opportunity", doc.name, "forecast_category")  # noqa: E731
		self.assertEqual(
			(category(following), category(chosen), category(lost)), ("Commit", "Best Case", "Omitted")
		)
		self.assertEqual(backfill_forecast_categories_between("", names[-1]), 0)


# Dates relative to today: March of this year (Y) and of next year (N), two columns of the report
Y = getdate(nowdate()).year
N = Y + 1
FILTERS = {"period": "Month", "from_date": f"{Y}-01-01", "to_date": f"{N}-12-31", "value": "All Measures"}
THIS_MARCH, NEXT_MARCH = f"{Y}-03", f"{N}-03"


def day(month: str, day_of_month: int) -> str:
	return f"{month}-{day_of_month:02d}"


def key(month: str) -> str:
	"""The report's column suffix of a 'YYYY-MM' month (or 'YYYY-Qn' quarter)."""
	return month.replace("-", "_")


def report(**filters):
	columns, data, _message, chart, _summary = execute({**FILTERS, **filters})
	return {row["group_value"]: row for row in data}, columns, chart


class TestForecastReport(FrappeTestCase):
	"""Two years of data in March (this year's and next year's are two columns), a team of two, a partner,
	targets with and without a Monthly Distribution, a split and a submitted Sales Order; every number is
	checked against a hand count."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.company = default_company()
		cls.before = {group: report(group_by=group, company=cls.company)[0] for group in forecast.GROUPS}
		cls.team = make_sales_person(is_group=1)
		cls.a = make_sales_person(parent=cls.team)
		cls.b = make_sales_person(parent=cls.team)
		cls.partner = make_sales_partner()
		cls.commit, cls.best, cls.pipeline = (
			stage("Commit", 80),
			stage("Best Case", 60),
			stage("Pipeline", 20),
		)

		def make(person, closing, amount, sales_stage, **values):
			return opportunity(
				sales_person=person,
				sales_partner=cls.partner,
				expected_closing=closing,
				opportunity_amount=amount,
				sales_stage=sales_stage,
				**values,
			)

		cls.o1 = make(cls.a, day(THIS_MARCH, 10), 1000, cls.commit)  # commit 1000, weighted 800
		make(cls.b, day(NEXT_MARCH, 10), 2000, cls.best)  # best case 2000, weighted 1200 (next year's March)
		make(cls.a, day(THIS_MARCH, 20), 500, cls.pipeline)  # weighted 100
		make(cls.a, day(THIS_MARCH, 25), 700, cls.commit, status="Lost")  # nothing
		# split 60 / 40: A commit 600, weighted 480; B commit 400, weighted 320
		doc = make(cls.a, day(THIS_MARCH, 15), 1000, cls.commit)
		doc.set("sales_team", [])
		doc.append("sales_team", {"sales_person": cls.a, "allocated_percentage": 60})
		doc.append("sales_team", {"sales_person": cls.b, "allocated_percentage": 40})
		doc.save()

		# achieved: an order of 1000 in this year's March, 70 % A and 30 % B, through the partner
		order = frappe.get_doc(
			{
				"doctype": "Sales Order",
				"customer": make_customer(),
				"company": cls.company,
				"transaction_date": day(THIS_MARCH, 5),
				"delivery_date": day(THIS_MARCH, 30),
				"sales_partner": cls.partner,
				"items": [{"item_code": make_item(), "qty": 1, "rate": 1000}],
				"sales_team": [
					{"sales_person": cls.a, "allocated_percentage": 70},
					{"sales_person": cls.b, "allocated_percentage": 30},
				],
			}
		)
		order.insert()
		order.submit()

		# targets: A 12,000 for this year spread evenly (1,000 a month); B 12,000 with 25 % in March; the partner
		# 6,000 evenly (ERPNext requires a Monthly Distribution on the form; a row without one, imported
		# data, is spread evenly too: the partner's row is emptied below to prove it)
		def distribution(march):
			months = "January February March April May June July August September October November December"
			return (
				frappe.get_doc(
					{
						"doctype": "Monthly Distribution",
						"distribution_id": unique("Musim"),
						"percentages": [
							{
								"month": month,
								"percentage_allocation": march if month == "March" else (100 - march) / 11,
							}
							for month in months.split()
						],
					}
				)
				.insert()
				.name
			)

		year = fiscal_year(Y)  # this calendar year's, made when the site has none
		for doctype, name, amount, march in (
			("Sales Person", cls.a, 12000, 100 / 12),
			("Sales Person", cls.b, 12000, 25),
			("Sales Partner", cls.partner, 6000, 100 / 12),
		):
			doc = frappe.get_doc(doctype, name)
			doc.append(
				"targets",
				{"fiscal_year": year, "target_amount": amount, "distribution_id": distribution(march)},
			)
			doc.save()
		frappe.db.set_value(
			"Target Detail", {"parent": cls.partner, "parenttype": "Sales Partner"}, "distribution_id", None
		)

	def expected(self):
		return {
			self.a: {
				THIS_MARCH: {
					"target": 1000,
					"achieved": 700,
					"commit_amount": 1000 + 600,
					"best_case": 1000 + 600,
					"weighted_pipeline": 800 + 100 + 480,
				},
				NEXT_MARCH: {
					"target": 0,
					"achieved": 0,
					"commit_amount": 0,
					"best_case": 0,
					"weighted_pipeline": 0,
				},
			},
			self.b: {
				THIS_MARCH: {
					"target": 3000,
					"achieved": 300,
					"commit_amount": 400,
					"best_case": 400,
					"weighted_pipeline": 320,
				},
				NEXT_MARCH: {
					"target": 0,
					"achieved": 0,
					"commit_amount": 0,
					"best_case": 2000,
					"weighted_pipeline": 1200,
				},
			},
		}

	def assertCells(self, row, expected):
		for period, measures in expected.items():
			for measure, value in measures.items():
				key = f"{measure}__{period.replace('-', '_')}"
				self.assertAlmostEqual(flt(row.get(key)), value, places=2, msg=f"{measure} {period}")
			self.assertAlmostEqual(
				flt(row.get(f"gap__{period.replace('-', '_')}")),
				measures["target"] - measures["achieved"] - measures["commit_amount"],
				places=2,
			)

	def test_sales_person_rows_equal_a_hand_count_with_years_kept_apart(self):
		rows, columns, chart = report(group_by="Sales Person", company=self.company)
		fields = {column["fieldname"] for column in columns}
		self.assertTrue({f"commit_amount__{key(THIS_MARCH)}", f"commit_amount__{key(NEXT_MARCH)}"} <= fields)
		expected = self.expected()
		self.assertCells(rows[self.a], expected[self.a])
		self.assertCells(rows[self.b], expected[self.b])
		self.assertTrue(chart and chart["data"]["labels"])

	def test_a_teams_row_sums_its_members(self):
		rows = report(group_by="Sales Person", company=self.company)[0]
		expected = self.expected()
		team = {
			period: {
				measure: expected[self.a][period][measure] + expected[self.b][period][measure]
				for measure in expected[self.a][period]
			}
			for period in (THIS_MARCH, NEXT_MARCH)
		}
		self.assertCells(rows[self.team], team)
		self.assertEqual(rows[self.a]["indent"], rows[self.team]["indent"] + 1)

	def test_partner_rows_count_each_opportunity_once(self):
		rows = report(group_by="Sales Partner", company=self.company)[0]
		self.assertCells(
			rows[self.partner],
			{
				THIS_MARCH: {
					"target": 500,
					"achieved": 1000,
					"commit_amount": 1000 + 1000,
					"best_case": 1000 + 1000,
					"weighted_pipeline": 900 + 800,
				},
				NEXT_MARCH: {
					"target": 500 * 0,
					"achieved": 0,
					"commit_amount": 0,
					"best_case": 2000,
					"weighted_pipeline": 1200,
				},
			},
		)

	def test_company_row_grows_by_the_hand_count(self):
		rows = report(group_by="Company", company=self.company)[0]
		before = self.before["Company"].get(self.company, {})
		row = rows[self.company]
		added = {
			f"achieved__{key(THIS_MARCH)}": 1000,
			f"commit_amount__{key(THIS_MARCH)}": 1000 + 1000,
			f"weighted_pipeline__{key(THIS_MARCH)}": 900 + 800,
			f"best_case__{key(NEXT_MARCH)}": 2000,
			f"weighted_pipeline__{key(NEXT_MARCH)}": 1200,
		}
		for field, value in added.items():
			self.assertAlmostEqual(flt(row.get(field)) - flt(before.get(field)), value, places=2, msg=field)

	def test_quarters_and_a_single_value(self):
		rows, columns, _chart = report(
			group_by="Sales Person", company=self.company, period="Quarter", value="gap"
		)
		self.assertEqual(columns[1]["fieldname"].split("__")[0], "gap")
		a = self.expected()[self.a][THIS_MARCH]
		# Q1 of this year: A's evenly spread target gives 3,000
		self.assertAlmostEqual(
			flt(rows[self.a][f"gap__{Y}_Q1"]), 3000 - a["achieved"] - a["commit_amount"], places=2
		)

	def test_the_drill_down_lists_the_opportunities_behind_a_number(self):
		filters = frappe._dict({**FILTERS, "company": self.company, "group_by": "Sales Person"})
		names = forecast.opportunities_behind(filters, "Sales Person", self.team, THIS_MARCH, "commit_amount")
		self.assertIn(self.o1.name, names)
		self.assertEqual(len(names), 2)
		orders = forecast.orders_behind(filters, "Sales Person", self.a, THIS_MARCH)
		self.assertEqual(len(orders), 1)

	def test_a_restricted_salesperson_sees_only_their_numbers(self):
		user, own = make_salesperson_user()
		opportunity(  # April: the other tests count March
			sales_person=own,
			expected_closing=f"{Y}-04-11",
			opportunity_amount=300,
			sales_stage=self.commit,
		)
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
		frappe.set_user(user)
		try:
			rows = report(group_by="Sales Person", company=self.company)[0]
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(set(rows), {own})
		self.assertAlmostEqual(flt(rows[own][f"commit_amount__{Y}_04"]), 300, places=2)

	def test_a_restricted_salesperson_counts_every_order_that_credits_them(self):
		"""Achieved is every submitted order whose Sales Team credits the salesperson, as their manager sees
		it, one made without any of their Opportunities too (the Sales Order list still does not show it)."""
		user, own = make_salesperson_user()
		order = frappe.get_doc(  # May: the other tests count March and April; 800, half theirs, half B's
			{
				"doctype": "Sales Order",
				"customer": make_customer(),
				"company": self.company,
				"transaction_date": f"{Y}-05-07",
				"delivery_date": f"{Y}-05-30",
				"sales_partner": self.partner,
				"items": [{"item_code": make_item(), "qty": 1, "rate": 800}],
				"sales_team": [
					{"sales_person": own, "allocated_percentage": 50},
					{"sales_person": self.b, "allocated_percentage": 50},
				],
			}
		)
		order.insert()
		order.submit()
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
		frappe.set_user(user)
		try:
			persons = report(group_by="Sales Person", company=self.company)[0]
			partners = report(group_by="Sales Partner", company=self.company)[0]
			listed = frappe.get_list("Sales Order", filters={"name": order.name}, pluck="name")
		finally:
			frappe.set_user("Administrator")
		manager = report(group_by="Sales Person", company=self.company)[0]
		self.assertEqual(listed, [])
		self.assertEqual(set(persons), {own})
		self.assertAlmostEqual(flt(persons[own][f"achieved__{Y}_05"]), 400, places=2)
		self.assertAlmostEqual(flt(persons[own][f"achieved__{Y}_05"]), flt(manager[own][f"achieved__{Y}_05"]))
		self.assertIsNone(persons[own]["gap__total"])  # no target, no gap
		# by partner: the orders that credit them, whole (a partner's credit is 100 %); not the March order
		self.assertAlmostEqual(flt(partners[self.partner][f"achieved__{Y}_05"]), 800, places=2)
		self.assertAlmostEqual(flt(partners[self.partner]["achieved__total"]), 800, places=2)

	def test_the_snapshot_is_idempotent_and_the_report_compares_with_it(self):
		snapshot_day = day(THIS_MARCH, 1)
		stored = forecast.take_snapshot(snapshot_day, commit=False)
		first = frappe.get_all(
			"Opportunity Forecast Snapshot",
			filters={"snapshot_date": snapshot_day},
			fields=["company", "sales_person", "sales_partner", "period", "commit_amount", "target"],
			order_by="company, sales_person, sales_partner, period",
		)
		self.assertEqual(len(first), stored)
		self.assertEqual(forecast.take_snapshot(snapshot_day, commit=False), stored)
		again = frappe.get_all(
			"Opportunity Forecast Snapshot",
			filters={"snapshot_date": snapshot_day},
			fields=["company", "sales_person", "sales_partner", "period", "commit_amount", "target"],
			order_by="company, sales_person, sales_partner, period",
		)
		self.assertEqual(first, again)
		self.assertIn(snapshot_day, forecast.snapshot_dates())

		# the pipeline moves: A's committed deal grows by 250
		doc = frappe.get_doc("Opportunity", self.o1.name)
		doc.opportunity_amount = 1250
		doc.save()
		rows = report(group_by="Sales Person", company=self.company, compare_snapshot=snapshot_day)[0]
		self.assertAlmostEqual(flt(rows[self.a][f"commit_amount__{key(THIS_MARCH)}__change"]), 250, places=2)
		self.assertAlmostEqual(
			flt(rows[self.team][f"commit_amount__{key(THIS_MARCH)}__change"]), 250, places=2
		)
		self.assertAlmostEqual(flt(rows[self.b][f"commit_amount__{key(THIS_MARCH)}__change"]), 0, places=2)
		self.assertAlmostEqual(flt(rows[self.a][f"target__{key(THIS_MARCH)}__change"]), 0, places=2)
		doc.opportunity_amount = 1000
		doc.save()

	def test_bad_filters_are_refused_with_the_field_named(self):
		with self.assertRaisesRegex(frappe.ValidationError, "group_by"):
			execute({**FILTERS, "group_by": "Territory"})
		with self.assertRaisesRegex(frappe.ValidationError, "period"):
			execute({**FILTERS, "period": "Week"})
		with self.assertRaisesRegex(frappe.ValidationError, "from_date"):
			execute({**FILTERS, "from_date": "1900-01-01"})


class TestForecastAtScale(FrappeTestCase):
	def test_the_report_reads_from_the_replica_and_runs_as_a_prepared_report(self):
		"""`execute` is wrapped by `frappe.read_only()`; Frappe's prepared-report job (what a report becomes
		after a run over its 15 s threshold) produces the same rows as a direct run."""
		from frappe.core.doctype.prepared_report.prepared_report import generate_report
		from frappe.desk.query_report import get_prepared_report_result

		filters = {**FILTERS, "company": default_company(), "group_by": "Company"}
		prepared = frappe.get_doc(
			{
				"doctype": "Prepared Report",
				"report_name": "Opportunity Forecast",
				"filters": frappe.as_json(filters),
			}
		)
		prepared.flags.ignore_permissions = True
		prepared.db_insert()  # not insert(): its after_insert only enqueues the job run here
		generate_report(prepared.name)
		prepared.reload()
		self.assertEqual(prepared.status, "Completed", prepared.error_message)
		result = get_prepared_report_result(
			frappe.get_doc("Report", "Opportunity Forecast"), filters, prepared.name
		)
		self.assertEqual(len(result["result"]), len(execute(filters)[1]))

	def test_the_weekly_job_stores_todays_snapshot(self):
		"""The job as Frappe's scheduler runs it (its Scheduled Job Type, synced from the hooks; it commits):
		today's rows hold an open Opportunity closing this month. What it committed is deleted after."""
		job = frappe.get_doc(
			"Scheduled Job Type", {"method": "opportunity_crm.forecasting.forecast.take_weekly_snapshot"}
		)
		self.assertEqual(job.frequency, "Weekly")
		person = make_sales_person()
		lead = make_lead()
		opportunity = frappe.get_doc("Opportunity", convert(lead, sales_person=person))
		opportunity.update({"opportunity_amount": 1000, "expected_closing": nowdate()})
		opportunity.save()

		def clean_up():
			frappe.db.rollback()
			frappe.db.delete(forecast.SNAPSHOT_DOCTYPE, {"snapshot_date": nowdate()})
			frappe.delete_doc("Opportunity", opportunity.name, force=True, ignore_permissions=True)
			frappe.delete_doc("Lead", lead, force=True, ignore_permissions=True)
			frappe.delete_doc("Sales Person", person, force=True, ignore_permissions=True)
			frappe.db.commit()

		self.addCleanup(clean_up)
		job.execute()
		self.assertTrue(
			frappe.db.exists(forecast.SNAPSHOT_DOCTYPE, {"snapshot_date": nowdate(), "sales_person": person})
		)
