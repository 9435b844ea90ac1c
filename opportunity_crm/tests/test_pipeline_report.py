import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.opportunity_crm.report.opportunity_pipeline.opportunity_pipeline import execute
from opportunity_crm.tests.factories import (
	convert,
	default_company,
	make_lead,
	make_sales_order,
	make_sales_partner,
	make_sales_person,
	make_salesperson_user,
)


def statements_run(action) -> int:
	"""How many statements `action` sent to the database, as MariaDB counts them for this session."""

	def questions() -> int:
		return int(frappe.db.sql("show session status like 'Questions'")[0][1])

	before = questions()
	reading = questions() - before  # the SHOW STATUS itself
	before = questions()
	action()
	return questions() - before - reading


class TestPipelineReport(FrappeTestCase):
	"""Fixed data under one fresh Sales Partner, counted by hand."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.partner = make_sales_partner()
		cls.budi, cls.siti = make_sales_person(), make_sales_person()

		def opportunity(person, amount, stage, customer=False, order=False):
			name = convert(make_lead(), sales_partner=cls.partner, sales_person=person)
			doc = frappe.get_doc("Opportunity", name)
			doc.update({"opportunity_amount": amount, "sales_stage": stage})
			doc.save()
			if customer or order:
				created = api.create_customer(name)["customer"]
				if order:
					make_sales_order(created, opportunity=name).insert()
			return name

		# Budi: 100 at 10 %, 200 at 50 % (became a Customer), 300 at 80 % (and a Sales Order)
		opportunity(cls.budi, 100, "Prospecting")
		opportunity(cls.budi, 200, "Identifying Decision Makers", customer=True)
		opportunity(cls.budi, 300, "Negotiation/Review", order=True)
		# Siti: 1000 at 20 %
		opportunity(cls.siti, 1000, "Qualification")

	def rows(self, **filters):
		columns, data, _message, chart, self.summary = execute(
			{"company": default_company(), "sales_partner": self.partner, **filters}
		)
		return {row.group_value: row for row in data}, columns, chart

	def test_grouped_by_sales_person_matches_the_hand_count(self):
		rows, columns, chart = self.rows(group_by="Sales Person")

		budi, siti = rows[self.budi], rows[self.siti]
		self.assertEqual((budi.count, budi.amount, budi.weighted_amount), (3, 600, 10 + 100 + 240))
		self.assertEqual((budi.converted, budi.conversion_rate), (2, 66.7))
		self.assertEqual((siti.count, siti.amount, siti.weighted_amount, siti.converted), (1, 1000, 200, 0))
		self.assertEqual(
			[c["fieldname"] for c in columns],
			["group_value", "count", "amount", "weighted_amount", "converted", "conversion_rate"],
		)
		self.assertEqual(chart["type"], "bar")
		totals = {card["label"]: card["value"] for card in self.summary}
		self.assertEqual(
			totals,
			{
				"Opportunities": 4,
				"Amount": 1600,
				"Weighted Amount": 550,
				"Converted": 2,
				"Conversion Rate (%)": 50,
			},
		)
		self.assertEqual(len(chart["data"]["labels"]), 2)

	def test_each_grouping_adds_up_to_the_same_totals(self):
		for group_by in ("Sales Partner", "Sales Partner Kind", "Sales Person", "Sales Stage", "Company"):
			with self.subTest(group_by=group_by):
				rows, _columns, _chart = self.rows(group_by=group_by)
				self.assertEqual(sum(r.count for r in rows.values()), 4)
				self.assertEqual(sum(r.amount for r in rows.values()), 1600)
				self.assertEqual(sum(r.weighted_amount for r in rows.values()), 550)
				self.assertEqual(sum(r.converted for r in rows.values()), 2)

	def test_grouped_by_sales_partner_kind(self):
		frappe.db.savepoint("partner_kind")  # its Opportunities would change the others' hand counts
		try:
			person = make_sales_person()
			for kind, amount, stage in (
				("Individual", 50, "Prospecting"),
				("Individual", 30, "Negotiation/Review"),
				("Company", 70, "Qualification"),
			):
				partner = make_sales_partner(partner_kind=kind)
				doc = frappe.get_doc(
					"Opportunity", convert(make_lead(), sales_partner=partner, sales_person=person)
				)
				doc.update({"opportunity_amount": amount, "sales_stage": stage})
				doc.save()
			columns, data, _message, chart, _summary = execute(
				{"company": default_company(), "sales_person": person, "group_by": "Sales Partner Kind"}
			)
			rows = {row.group_value: row for row in data}
			self.assertEqual(set(rows), {"Individual", "Company"})
			self.assertEqual((rows["Individual"].count, rows["Individual"].amount), (2, 80))
			self.assertEqual(rows["Individual"].weighted_amount, 5 + 24)
			self.assertEqual((rows["Company"].count, rows["Company"].amount), (1, 70))
			self.assertEqual((columns[0]["label"], columns[0]["fieldtype"]), ("Sales Partner Kind", "Data"))
			self.assertEqual(chart["title"], "Pipeline by Sales Partner Kind")
		finally:
			frappe.db.rollback(save_point="partner_kind")

	def test_filters_narrow_the_rows(self):
		rows, _columns, _chart = self.rows(group_by="Sales Stage", sales_person=self.siti)
		self.assertEqual(list(rows), ["Qualification"])
		rows, _columns, _chart = self.rows(group_by="Sales Stage", from_date="2999-01-01")
		self.assertEqual(rows, {})

	def test_the_report_runs_one_query_whatever_the_rows(self):
		"""Every statement the report sends to MariaDB, counted by the server (the session's `Questions`),
		with Frappe's caches warm: one, and still one with more Opportunities in more groups."""
		self.rows(group_by="Sales Person")  # warms the caches (meta, defaults, settings)
		self.assertEqual(statements_run(lambda: self.rows(group_by="Sales Person")), 1)

		frappe.db.savepoint("more_rows")
		try:
			for _ in range(3):
				convert(make_lead(), sales_partner=self.partner, sales_person=make_sales_person())
			rows, _columns, _chart = self.rows(group_by="Sales Person")
			self.assertEqual(len(rows), 5)
			self.assertEqual(statements_run(lambda: self.rows(group_by="Sales Person")), 1)
		finally:
			frappe.db.rollback(save_point="more_rows")

	def test_row_level_access_applies(self):
		frappe.db.savepoint("row_level_access")  # its Opportunity would change the others' hand counts
		try:
			self.check_row_level_access()
		finally:
			frappe.set_user("Administrator")
			frappe.db.rollback(save_point="row_level_access")

	def check_row_level_access(self):
		user, person = make_salesperson_user()
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
		frappe.set_user(user)
		try:
			rows, _columns, _chart = self.rows(group_by="Sales Person")
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(rows, {})  # none of this partner's Opportunities is theirs

		convert(make_lead(), sales_partner=self.partner, sales_person=person)
		frappe.set_user(user)
		try:
			rows, _columns, _chart = self.rows(group_by="Sales Person")
		finally:
			frappe.set_user("Administrator")
		self.assertEqual({name: row.count for name, row in rows.items()}, {person: 1})
