"""The partner's commission: forecast + earned against a hand count, one deal in each state (issue 16,
item 9). A deal is in the forecast while it is open, and earned once a Sales Order is submitted; never
both."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, nowdate

from opportunity_crm import api
from opportunity_crm.channel import partner_portal
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	make_lead,
	make_sales_order,
	make_sales_order_from_quotation,
	make_sales_partner,
	make_submitted_quotation,
)

RATE = 10


def deal(partner: str, amount: float, probability: float = 40) -> str:
	"""An Opportunity of the partner with one wish (2 x 1,000) and a probability typed by hand."""
	name = convert(make_lead(), sales_partner=partner)
	add_wish(name)
	doc = frappe.get_doc("Opportunity", name)
	doc.opportunity_amount = amount
	doc.probability = probability
	doc.expected_closing = add_days(nowdate(), 30)
	doc.save()
	return name


class TestPartnerCommission(FrappeTestCase):
	def test_forecast_and_earned_are_a_hand_count(self):
		partner = make_sales_partner()
		frappe.db.set_value("Sales Partner", partner, "commission_rate", RATE)

		# open: weighted 1,000,000 x 40 % = 400,000; its forecast 40,000
		deal(partner, 1_000_000)
		# a Sales Order made directly (net 1 x 100), submitted: earned 10, out of the forecast
		direct = deal(partner, 5_000_000)
		customer = api.create_customer(direct)["customer"]
		order = make_sales_order(customer, opportunity=direct).insert()
		order.submit()
		# Quotation (2 x 1,000) ▸ Sales Order, submitted: earned 200, out of the forecast
		quoted = deal(partner, 7_000_000)
		order = make_sales_order_from_quotation(make_submitted_quotation(quoted).name)
		order.submit()
		# converted to a Customer, no order yet: in neither
		api.create_customer(deal(partner, 11_000_000))
		# lost: in neither
		frappe.get_doc("Opportunity", deal(partner, 13_000_000)).declare_enquiry_lost([], [], "Harga")

		[row] = partner_portal.commission(partner)
		self.assertEqual(row["weighted"], 400_000)
		self.assertEqual(row["forecast"], 40_000)
		self.assertEqual(row["earned"], 210)
		self.assertEqual(row["forecast"] + row["earned"], 40_210)
		self.assertEqual(partner_portal.dashboard(partner)["open_opportunities"], 1)

	def test_a_deal_moves_from_the_forecast_to_earned_with_its_order(self):
		partner = make_sales_partner()
		frappe.db.set_value("Sales Partner", partner, "commission_rate", RATE)
		name = deal(partner, 2_000_000, probability=50)
		[row] = partner_portal.commission(partner)
		self.assertEqual((row["forecast"], row["earned"]), (100_000, 0))
		order = make_sales_order_from_quotation(make_submitted_quotation(name).name)
		order.submit()
		[row] = partner_portal.commission(partner)
		self.assertEqual((row["forecast"], row["earned"]), (0, 200))
