import json

import frappe
from frappe.desk.doctype.number_card.number_card import get_result
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.tests.factories import convert, default_company, make_lead


def card_value(name: str) -> float:
	"""The card's figure as the desk shows it: its filters plus its dynamic filters, which the browser
	evaluates (the user's default Company)."""
	card = frappe.get_doc("Number Card", name)
	dynamic = [
		[doctype, field, operator, frappe.defaults.get_user_default("Company")]
		for doctype, field, operator, expression in json.loads(card.dynamic_filters_json)
		if "get_user_default" in expression
	]
	return get_result(card, json.loads(card.filters_json) + dynamic)


class TestWorkspace(FrappeTestCase):
	def test_number_cards_count_the_users_company(self):
		frappe.defaults.set_user_default("Company", default_company())
		weighted_before = card_value("Open Pipeline Weighted Amount")
		converted_before = card_value("Opportunities Converted This Month")

		opportunity = frappe.get_doc("Opportunity", convert(make_lead()))
		opportunity.opportunity_amount = 1000
		opportunity.save()  # Prospecting: 10 %
		api.create_customer(convert(make_lead()))

		self.assertEqual(card_value("Open Pipeline Weighted Amount") - weighted_before, 100)
		self.assertEqual(card_value("Opportunities Converted This Month") - converted_before, 1)
