import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import nowdate

from opportunity_crm.forecasting.probability import backfill_weighted_amounts_between
from opportunity_crm.opportunity_crm.report.opportunity_pipeline.opportunity_pipeline import execute
from opportunity_crm.tests.factories import convert, default_company, make_lead, make_sales_partner
from opportunity_crm.tests.test_workspace import card_value

# What one unit of each currency is worth in the company's currency, today (offline: no rate service).
RATE_TO_USD = {"USD": 1, "IDR": 0.0000625}  # 16,000 IDR = 1 USD


def set_rate_to_company_currency(currency: str, rate: float) -> None:
	company_currency = frappe.get_cached_value("Company", default_company(), "default_currency")
	if currency == company_currency:
		return
	frappe.db.delete(
		"Currency Exchange", {"from_currency": currency, "to_currency": company_currency, "date": nowdate()}
	)
	frappe.get_doc(
		{
			"doctype": "Currency Exchange",
			"date": nowdate(),
			"from_currency": currency,
			"to_currency": company_currency,
			"exchange_rate": rate,
			"for_buying": 1,
			"for_selling": 1,
		}
	).insert(ignore_permissions=True)


class TestWeightedAmount(FrappeTestCase):
	"""One definition of the weighted amount; every total adds it up in the company's currency."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		company_currency = frappe.get_cached_value("Company", default_company(), "default_currency")
		if company_currency != "USD":
			raise AssertionError(f"the test site's company is in {company_currency}, the rates are to USD")
		frappe.db.set_value("Currency", "IDR", "enabled", 1)
		set_rate_to_company_currency("IDR", RATE_TO_USD["IDR"])
		frappe.defaults.set_user_default("Company", default_company())

	def opportunity(self, currency: str, amount: float, stage: str, partner: str | None = None):
		doc = frappe.get_doc(
			"Opportunity", convert(make_lead(), sales_partner=partner or make_sales_partner())
		)
		doc.update({"currency": currency, "opportunity_amount": amount, "sales_stage": stage})
		doc.save()
		return doc

	def test_report_number_card_and_hand_count_agree_across_currencies(self):
		card_before = card_value("Open Pipeline Weighted Amount")
		partner = make_sales_partner()

		usd = self.opportunity("USD", 1_000, "Prospecting", partner)  # 10 %
		idr = self.opportunity("IDR", 16_000_000, "Identifying Decision Makers", partner)  # 50 %

		# by hand, in USD: 1,000 x 10 % + 16,000,000 IDR (= 1,000 USD) x 50 %
		self.assertEqual(idr.conversion_rate, RATE_TO_USD["IDR"])
		self.assertEqual((usd.weighted_amount, usd.base_weighted_amount), (100, 100))
		self.assertEqual((idr.weighted_amount, idr.base_weighted_amount), (8_000_000, 500))
		hand_count = 100 + 500

		_columns, rows, _message, _chart, summary = execute(
			{"company": default_company(), "sales_partner": partner, "group_by": "Sales Partner"}
		)
		self.assertEqual([(row.count, row.amount, row.weighted_amount) for row in rows], [(2, 2_000, 600)])
		totals = {card["label"]: card for card in summary}
		self.assertEqual(totals["Weighted Amount"]["value"], hand_count)
		self.assertEqual(totals["Weighted Amount"]["currency"], "USD")

		self.assertEqual(card_value("Open Pipeline Weighted Amount") - card_before, hand_count)

	def test_a_new_stage_probability_moves_both_weighted_amounts(self):
		stage = frappe.get_doc(
			{
				"doctype": "Sales Stage",
				"stage_name": f"_OCRM Stage {frappe.generate_hash(length=6)}",
				"probability": 40,
			}
		).insert()
		idr = self.opportunity("IDR", 16_000_000, stage.name)
		self.assertEqual((idr.weighted_amount, idr.base_weighted_amount), (6_400_000, 400))

		stage.probability = 25
		stage.save()
		self.assertEqual(
			frappe.db.get_value("Opportunity", idr.name, ["weighted_amount", "base_weighted_amount"]),
			(4_000_000, 250),
		)

	def test_the_backfill_sets_what_a_save_sets_and_changes_nothing_twice(self):
		idr = self.opportunity("IDR", 16_000_000, "Identifying Decision Makers")
		# a row from before base_weighted_amount existed
		frappe.db.set_value(
			"Opportunity",
			idr.name,
			{"weighted_amount": 0, "base_weighted_amount": 0},
			update_modified=False,
		)
		modified = frappe.db.get_value("Opportunity", idr.name, "modified")
		before = frappe.db.sql("select max(name) from `tabOpportunity` where name < %s", idr.name)[0][0] or ""

		self.assertEqual(backfill_weighted_amounts_between(before, idr.name), 1)
		self.assertEqual(
			frappe.db.get_value(
				"Opportunity", idr.name, ["weighted_amount", "base_weighted_amount", "modified"]
			),
			(8_000_000, 500, modified),
		)
		self.assertEqual(backfill_weighted_amounts_between(before, idr.name), 0)
