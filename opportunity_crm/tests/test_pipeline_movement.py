"""Pipeline movement: every change of stage, amount, closing date, forecast category, Sales Person and every
win, loss and closing is one `Opportunity Movement` row, written in the transaction of the change, on the
app's paths and ERPNext's; the Pipeline Movement report counts them per Sales Person and team."""

import frappe
from erpnext.crm.doctype.opportunity.opportunity import auto_close_opportunity
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_to_date, now_datetime, nowdate

from opportunity_crm import api
from opportunity_crm.forecasting.movement import LAST_MOVED, STAGE_MOVED, refresh_dates, refresh_dates_between
from opportunity_crm.opportunity_crm.report.pipeline_movement.pipeline_movement import drill_down, execute
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	default_company,
	make_lead,
	make_sales_order_from_quotation,
	make_sales_person,
	make_salesperson_user,
	make_submitted_quotation,
	make_user,
)


def stage(probability: float) -> str:
	name = f"_OCRM Stage {frappe.generate_hash(length=6)}"
	frappe.get_doc({"doctype": "Sales Stage", "stage_name": name, "probability": probability}).insert()
	return name


def movements(opportunity: str, **filters) -> list[frappe._dict]:
	return frappe.get_all(
		"Opportunity Movement",
		filters={"opportunity": opportunity, **filters},
		fields=["*"],
		order_by="name",
	)


def kinds(opportunity: str) -> list[tuple]:
	return [(m.kind, m.direction) for m in movements(opportunity)]


def backdate(opportunity: str, days: int) -> None:
	"""As if the Opportunity and all its movements were `days` old (and the dates it keeps of them)."""
	then = add_to_date(now_datetime(), days=-days)
	frappe.db.set_value("Opportunity Movement", {"opportunity": opportunity}, "moved_on", then)
	frappe.db.set_value("Opportunity", opportunity, "creation", then, update_modified=False)
	refresh_dates([opportunity])


class TestPipelineMovement(FrappeTestCase):
	def opportunity(self, sales_person: str | None = None) -> frappe._dict:
		name = convert(make_lead(), **({"sales_person": sales_person} if sales_person else {}))
		return frappe.get_doc("Opportunity", name)

	def test_a_new_opportunity_is_one_new_deal(self):
		doc = self.opportunity()
		(row,) = movements(doc.name)
		self.assertEqual(
			(row.kind, row.to_stage, row.sales_person), ("New", doc.sales_stage, doc.sales_person)
		)
		self.assertEqual((row.company, row.moved_by), (doc.company, frappe.session.user))

	def test_a_save_that_changes_none_of_the_fields_writes_nothing(self):
		doc = self.opportunity()
		doc.to_discuss = "met on Monday"
		doc.save()
		self.assertEqual(kinds(doc.name), [("New", None)])

	def test_stage_moves_forward_and_back_by_the_stages_probability(self):
		low, high, same = stage(30), stage(70), stage(70)
		doc = self.opportunity()
		for to in (low, high, same, low):
			doc.sales_stage = to
			doc.save()
		self.assertEqual(
			kinds(doc.name),
			[("New", None), ("Stage", "Forward"), ("Stage", "Forward"), ("Stage", None), ("Stage", "Back")],
		)
		last = movements(doc.name)[-1]
		self.assertEqual((last.from_stage, last.to_stage), (same, low))

	def test_closing_date_pushed_and_pulled(self):
		doc = self.opportunity()
		for date in (add_days(nowdate(), 10), add_days(nowdate(), 40), add_days(nowdate(), 20)):
			doc.expected_closing = date
			doc.save()
		self.assertEqual(
			kinds(doc.name)[1:],
			[("Closing Date", None), ("Closing Date", "Pushed"), ("Closing Date", "Pulled")],
		)
		self.assertEqual(str(movements(doc.name)[-1].from_closing_date), add_days(nowdate(), 40))

	def test_amount_up_and_down_with_the_company_currency_amounts(self):
		doc = self.opportunity()
		doc.opportunity_amount = 1000
		doc.save()
		doc.opportunity_amount = 400
		doc.save()
		up, down = movements(doc.name, kind="Amount")
		self.assertEqual(
			(up.direction, up.from_amount, up.to_amount, up.to_base_amount), ("Up", 0, 1000, 1000)
		)
		self.assertEqual((down.direction, down.from_base_amount, down.to_base_amount), ("Down", 1000, 400))

	def test_a_change_of_several_fields_is_one_row_each(self):
		doc = self.opportunity()
		doc.update({"sales_stage": stage(90), "opportunity_amount": 5, "expected_closing": nowdate()})
		doc.save()
		self.assertEqual(
			sorted(kinds(doc.name)),
			sorted([("New", None), ("Stage", "Forward"), ("Amount", "Up"), ("Closing Date", None)]),
		)

	def test_the_apps_reassignment_records_the_sales_person_before_and_after(self):
		doc = self.opportunity()
		newcomer = make_sales_person()
		summary = api.reassign_sales_person([doc.name], newcomer)
		self.assertEqual(len(summary["reassigned"]), 1)
		(row,) = movements(doc.name, kind="Sales Person")
		self.assertEqual((row.from_sales_person, row.sales_person), (doc.sales_person, newcomer))

	def test_a_forecast_category_change_is_recorded(self):
		doc = self.opportunity()
		doc.forecast_category = "Commit" if doc.get("forecast_category") != "Commit" else "Best Case"
		doc.save()
		(row,) = movements(doc.name, kind="Forecast Category")
		self.assertEqual(row.to_forecast_category, doc.forecast_category)

	def test_a_set_based_change_records_one_row_per_opportunity_it_changes(self):
		from opportunity_crm.forecasting.movement import record_set_based_change

		first, second = self.opportunity(), self.opportunity()
		newcomer = make_sales_person()
		opportunity = frappe.qb.DocType("Opportunity")
		criterion = opportunity.name.isin([first.name, second.name])
		record_set_based_change("sales_person", newcomer, criterion)
		frappe.qb.update(opportunity).set(opportunity.sales_person, newcomer).where(criterion).run()
		for doc in (first, second):
			(row,) = movements(doc.name, kind="Sales Person")
			self.assertEqual((row.from_sales_person, row.sales_person), (doc.sales_person, newcomer))
		record_set_based_change("sales_person", newcomer, criterion)  # nothing left to change
		self.assertEqual(len(movements(first.name, kind="Sales Person")), 1)

	def test_an_email_folded_into_the_leads_opportunity_is_not_a_new_deal(self):
		from frappe.email.receive import InboundMail

		from opportunity_crm.tests.test_intake import (
			PULL_JOB,
			RAW_MAIL,
			commit_hooks,
			in_job,
			lead_with_opportunity,
			sales_inbox,
		)

		_lead, opportunity, email = lead_with_opportunity()
		new_deals = frappe.db.count("Opportunity Movement", {"kind": "New"})
		raw = RAW_MAIL.format(
			sender=email, subject="Minta penawaran", message_id=frappe.generate_hash(length=12), body="Halo."
		)
		with in_job(PULL_JOB):
			InboundMail(raw, sales_inbox()).process()
		commit_hooks()
		self.assertEqual(kinds(opportunity), [("New", None)])
		self.assertEqual(frappe.db.count("Opportunity Movement", {"kind": "New"}), new_deals)

	def test_a_stages_new_forecast_category_is_recorded_for_each_opportunity_that_follows_it(self):
		name = stage(50)
		frappe.db.set_value("Sales Stage", name, "forecast_category", "Pipeline")
		doc = self.opportunity()
		doc.sales_stage = name
		doc.save()
		sales_stage = frappe.get_doc("Sales Stage", name)
		sales_stage.forecast_category = "Commit"
		sales_stage.save()
		(row,) = movements(doc.name, kind="Forecast Category")
		self.assertEqual((row.from_forecast_category, row.to_forecast_category), ("Pipeline", "Commit"))

	def test_won_once_when_it_becomes_a_customer_not_again_when_its_order_is_submitted(self):
		"""One definition of won (`opportunities/won.py`): the Customer makes it won, as it makes its forecast
		category Closed; ERPNext's Converted, set when the order is submitted, is the same win."""
		doc = self.opportunity()
		add_wish(doc.name)
		api.create_customer(doc.name)
		(won,) = movements(doc.name, kind="Won")
		self.assertEqual((won.from_status, won.to_status), ("Open", "Open"))
		quotation = make_submitted_quotation(doc.name)
		make_sales_order_from_quotation(quotation.name).submit()
		self.assertEqual(frappe.db.get_value("Opportunity", doc.name, "status"), "Converted")
		self.assertEqual(len(movements(doc.name, kind="Won")), 1)

	def test_won_when_erpnext_sets_it_converted(self):
		"""ERPNext's Quotation sets Converted with `db_set` (`set_status(update=True)`)."""
		doc = self.opportunity()
		doc.db_set("status", "Converted")
		(won,) = movements(doc.name, kind="Won")
		self.assertEqual((won.from_status, won.to_status), ("Open", "Converted"))
		self.assertEqual(frappe.db.get_value("Opportunity", doc.name, "forecast_category"), "Closed")

	def test_lost_through_erpnexts_declare_enquiry_lost(self):
		doc = self.opportunity()
		doc.declare_enquiry_lost([], [], detailed_reason="went with a competitor")
		(lost,) = movements(doc.name, kind="Lost")
		self.assertEqual((lost.from_status, lost.to_status), ("Open", "Lost"))

	def test_closed_by_erpnexts_auto_close_job(self):
		doc = self.opportunity()
		frappe.db.set_value("Opportunity", doc.name, "status", "Replied", update_modified=False)
		# ERPNext's job compares with the database's clock (SQL NOW()), which may differ from Python's
		database_now = frappe.db.sql("select now()")[0][0]
		frappe.db.set_value(
			"Opportunity", doc.name, "modified", add_days(database_now, -60), update_modified=False
		)
		auto_close_opportunity()
		self.assertEqual(frappe.db.get_value("Opportunity", doc.name, "status"), "Closed")
		(closed,) = movements(doc.name, kind="Closed")
		self.assertEqual((closed.from_status, closed.to_status), ("Replied", "Closed"))

	def test_written_in_the_same_transaction_as_the_save(self):
		doc = self.opportunity()
		frappe.db.savepoint("before_move")
		doc.sales_stage = stage(95)
		doc.save()
		self.assertEqual(len(movements(doc.name)), 2)
		frappe.db.rollback(save_point="before_move")
		self.assertEqual(kinds(doc.name), [("New", None)])

	def test_deleting_an_opportunity_deletes_its_movements(self):
		doc = self.opportunity()
		frappe.delete_doc("Opportunity", doc.name)
		self.assertEqual(movements(doc.name), [])

	def test_nobody_creates_edits_or_deletes_a_movement(self):
		for role in ("Sales Manager", "Sales User", "System Manager"):
			user = make_user(role)
			self.assertTrue(frappe.has_permission("Opportunity Movement", "read", user=user))
			for ptype in ("create", "write", "delete"):
				self.assertFalse(
					frappe.has_permission("Opportunity Movement", ptype, user=user), (role, ptype)
				)


def dates(opportunity: str) -> tuple:
	"""The Opportunity's last movement and when it entered its stage, as it keeps them."""
	return tuple(frappe.db.get_value("Opportunity", opportunity, [LAST_MOVED, STAGE_MOVED]))


def moved_on(opportunity: str, kind: str):
	(row,) = movements(opportunity, kind=kind)
	return row.moved_on


class TestMovementDates(FrappeTestCase):
	"""The dates the Opportunity keeps of its log (`last_moved_on`, `stage_moved_on`, which the report reads)
	follow every path that writes movement rows, in the same transaction."""

	def opportunity(self) -> frappe._dict:
		return frappe.get_doc("Opportunity", convert(make_lead()))

	def test_an_insert_is_dated_by_its_new_row(self):
		doc = self.opportunity()
		created = moved_on(doc.name, "New")
		self.assertEqual(dates(doc.name), (created, created))
		self.assertEqual((doc.get(LAST_MOVED), doc.get(STAGE_MOVED)), (created, created))

	def test_a_save_that_moves_the_deal_dates_it_and_its_document(self):
		doc = self.opportunity()
		created = moved_on(doc.name, "New")
		doc.opportunity_amount = 1000
		doc.save()
		amount = moved_on(doc.name, "Amount")
		self.assertEqual(dates(doc.name), (amount, created))  # not a stage move
		self.assertEqual((doc.get(LAST_MOVED), doc.get(STAGE_MOVED)), (amount, created))
		doc.sales_stage = stage(60)
		doc.save()
		staged = moved_on(doc.name, "Stage")
		self.assertGreaterEqual(staged, amount)
		self.assertEqual(dates(doc.name), (staged, staged))
		self.assertEqual((doc.get(LAST_MOVED), doc.get(STAGE_MOVED)), (staged, staged))

	def test_a_save_that_moves_nothing_keeps_the_dates_whatever_the_document_brought(self):
		doc = self.opportunity()
		created = moved_on(doc.name, "New")
		doc.to_discuss = "met on Monday"
		doc.set(LAST_MOVED, None)  # e.g. a REST call that sends the read-only fields
		doc.set(STAGE_MOVED, add_days(now_datetime(), -100))
		doc.save()
		self.assertEqual(dates(doc.name), (created, created))
		self.assertEqual((doc.get(LAST_MOVED), doc.get(STAGE_MOVED)), (created, created))

	def test_a_db_set_of_the_status_dates_the_deal(self):
		doc = self.opportunity()
		created = moved_on(doc.name, "New")
		doc.db_set("status", "Lost")
		lost = moved_on(doc.name, "Lost")
		self.assertEqual(dates(doc.name), (lost, created))
		self.assertEqual(doc.get(LAST_MOVED), lost)

	def test_a_set_based_change_dates_the_deals_it_changes_only(self):
		from opportunity_crm.forecasting.movement import record_set_based_change

		first, second = self.opportunity(), self.opportunity()
		newcomer = make_sales_person()
		opportunity = frappe.qb.DocType("Opportunity")
		criterion = opportunity.name == first.name
		record_set_based_change("sales_person", newcomer, criterion)
		frappe.qb.update(opportunity).set(opportunity.sales_person, newcomer).where(criterion).run()
		self.assertEqual(
			dates(first.name), (moved_on(first.name, "Sales Person"), moved_on(first.name, "New"))
		)
		created = moved_on(second.name, "New")
		self.assertEqual(dates(second.name), (created, created))

	def test_the_backfill_takes_them_from_the_log(self):
		"""One chunk of the patch's backfill: the last movement, the last New or Stage movement; none for an
		Opportunity without movements (history from before the app: the report dates it from its creation)."""
		history = self.opportunity()
		frappe.db.delete("Opportunity Movement", {"opportunity": history.name})
		doc = self.opportunity()
		doc.sales_stage = stage(60)
		doc.save()
		doc.opportunity_amount = 1000
		doc.save()
		now = now_datetime().replace(microsecond=0)
		for kind, days in (("New", 30), ("Stage", 10), ("Amount", 2)):
			frappe.db.set_value(
				"Opportunity Movement",
				{"opportunity": doc.name, "kind": kind},
				"moved_on",
				add_to_date(now, days=-days),
			)
		opportunity = frappe.qb.DocType("Opportunity")
		frappe.qb.update(opportunity).set(opportunity[LAST_MOVED], now).set(
			opportunity[STAGE_MOVED], now
		).where(opportunity.name.isin([history.name, doc.name])).run()
		self.assertGreaterEqual(refresh_dates_between("", max(history.name, doc.name)), 2)
		self.assertEqual(dates(doc.name), (add_to_date(now, days=-2), add_to_date(now, days=-10)))
		self.assertEqual(dates(history.name), (None, None))
		self.assertEqual(refresh_dates_between("", max(history.name, doc.name)), 0)  # a second run

	def test_a_merge_keeps_the_surviving_opportunitys_own_dates(self):
		from opportunity_crm.tests.test_merges import history_duplicate, merge

		lead = make_lead()
		merged = convert(lead)
		kept = history_duplicate(lead)
		backdate(kept, 20)
		own = dates(kept)
		frappe.get_doc("Opportunity", merged).update({"opportunity_amount": 1000}).save()  # moved today
		merge("Opportunity", merged, kept)
		self.assertEqual(len(movements(kept, kind="Amount")), 1)  # the merged one's rows joined its log
		self.assertEqual(dates(kept), own)


class TestPipelineMovementReport(FrappeTestCase):
	"""A team of two (a, b) under `team`; what each did today, counted by hand."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.company = default_company()
		cls.team = make_sales_person(is_group=1)
		cls.a = make_sales_person(parent=cls.team)
		cls.user_b, cls.b = make_salesperson_user(parent=cls.team)
		s40, s60 = stage(40), stage(60)

		def opportunity(person, **changes):
			doc = frappe.get_doc("Opportunity", convert(make_lead(), sales_person=person))
			for values in changes.get("saves", []):
				doc.update(values)
				doc.save()
			return doc

		# a: opp1 forward twice, amount up 1000, closing date pushed
		cls.opp1 = opportunity(
			cls.a,
			saves=[
				{"sales_stage": s40, "opportunity_amount": 1000, "expected_closing": add_days(nowdate(), 5)},
				{"sales_stage": s60, "expected_closing": add_days(nowdate(), 30)},
			],
		)
		# a: opp2 forward, amount up 3000, then back, amount down 2000, then lost
		cls.opp2 = opportunity(
			cls.a,
			saves=[
				{"sales_stage": s60, "opportunity_amount": 3000},
				{"sales_stage": s40, "opportunity_amount": 1000},
			],
		)
		cls.opp2.declare_enquiry_lost([], [])
		# b: opp3 amount up 500; opp4 a month old, nothing since
		cls.opp3 = opportunity(cls.b, saves=[{"opportunity_amount": 500}])
		cls.opp4 = opportunity(cls.b)
		backdate(cls.opp4.name, 30)

	def run_report(self, **filters):
		filters = {"company": self.company, "sales_person": self.team, "to_date": nowdate(), **filters}
		rows = execute(filters)[1]
		return {row.group_value: row for row in rows}

	def test_numbers_equal_a_hand_count(self):
		rows = self.run_report()
		self.assertEqual(set(rows), {self.a, self.b})
		a, b = rows[self.a], rows[self.b]
		self.assertEqual(
			(a.new_deals, a.forward, a.back, a.pushed, a.amount_up, a.amount_down, a.won, a.lost),
			(2, 2, 1, 1, 4000, 2000, 0, 1),
		)
		self.assertEqual((a.open_deals, a.stale), (1, 0))
		self.assertEqual(
			(b.new_deals, b.forward, b.back, b.pushed, b.amount_up, b.amount_down, b.won, b.lost),
			(1, 0, 0, 0, 500, 0, 0, 0),
		)
		self.assertEqual((b.open_deals, b.stale), (2, 1))
		self.assertAlmostEqual(b.avg_days_in_stage, 15, delta=0.2)  # (30 + 0) / 2

	def test_every_number_drills_down_to_its_opportunities(self):
		filters = {"company": self.company, "sales_person": self.team, "to_date": nowdate()}
		self.assertEqual(set(drill_down(filters, self.a, "forward")), {self.opp1.name, self.opp2.name})
		self.assertEqual(drill_down(filters, self.a, "back"), [self.opp2.name])
		self.assertEqual(drill_down(filters, self.a, "pushed"), [self.opp1.name])
		self.assertEqual(drill_down(filters, self.a, "lost"), [self.opp2.name])
		self.assertEqual(set(drill_down(filters, self.b, "amount_up")), {self.opp3.name})
		self.assertEqual(drill_down(filters, self.b, "stale"), [self.opp4.name])
		self.assertEqual(set(drill_down(filters, self.b, "open_deals")), {self.opp3.name, self.opp4.name})

	def test_a_team_rolls_up_its_members(self):
		rows = self.run_report(group_by="Parent Team")
		self.assertEqual(set(rows), {self.team})
		team = rows[self.team]
		self.assertEqual(
			(team.new_deals, team.forward, team.back, team.amount_up, team.amount_down, team.lost),
			(3, 2, 1, 4500, 2000, 1),
		)
		self.assertEqual((team.open_deals, team.stale), (3, 1))
		self.assertEqual(set(self.run_report(sales_person=self.b)), {self.b})

	def test_the_period_and_the_stale_threshold_are_filters(self):
		month_ago = self.run_report(
			from_date=add_days(nowdate(), -31), to_date=add_days(nowdate(), -29), stale_days=40
		)
		self.assertEqual(month_ago[self.b].new_deals, 1)  # opp4, created a month ago
		self.assertEqual(month_ago[self.b].stale, 0)  # not stale at 40 days
		self.assertEqual(month_ago[self.a].new_deals, 0)  # its deals are new today

	def test_a_restricted_salesperson_sees_only_their_own_movements(self):
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
		frappe.local.request_cache.clear()
		frappe.set_user(self.user_b)
		try:
			rows = self.run_report()
			seen = set(frappe.get_list("Opportunity Movement", pluck="opportunity"))
			others = frappe.get_all("Opportunity Movement", {"opportunity": self.opp1.name}, pluck="name")
			may_read_others = frappe.has_permission("Opportunity Movement", "read", doc=others[0])
		finally:
			frappe.set_user("Administrator")
			frappe.local.request_cache.clear()
		self.assertEqual(set(rows), {self.b})
		self.assertEqual(rows[self.b].new_deals, 1)
		self.assertEqual(seen, {self.opp3.name, self.opp4.name})  # the movement list too
		self.assertFalse(may_read_others)
