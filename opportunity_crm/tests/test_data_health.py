"""The Opportunity Data Health report lists the history that breaks a rule, each row with its resolution,
and its actions resolve the mechanical ones through the rules.

History is what stock ERPNext wrote before the app was installed. The app's hooks refuse to write it
now, so each test writes the rows the app would not with `frappe.db.set_value` / `frappe.db.delete`
(no hooks), starting from complete records made through the app; each place says which stock ERPNext
behaviour it stands for.
"""

import frappe
from frappe.desk.query_report import run
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.exceptions import InvalidArgumentError
from opportunity_crm.opportunities import data_health
from opportunity_crm.opportunities.history import choose_lead_opportunity
from opportunity_crm.opportunities.rules import require_address_and_contact
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	make_customer,
	make_lead,
	make_sales_order_from_quotation,
	make_sales_partner,
	make_submitted_quotation,
	make_user,
)

REPORT = "Opportunity Data Health"


def problems(problem: str) -> dict[str, dict]:
	"""The report's rows of one problem, by record (no cap: the test site holds other tests' history)."""
	rows, _truncated = data_health.get_problems(problem=problem, limit=100_000)
	return {row.record: row for row in rows}


def problems_of_company(company: str) -> set[str]:
	rows, _truncated = data_health.get_problems(company, data_health.LEAD_OPPORTUNITIES, limit=100_000)
	return {row.record for row in rows}


def unlink_lead(opportunity: str) -> None:
	"""Stock ERPNext has no `Opportunity.lead`: where a Lead had several Opportunities, the install
	links only one of them, and on a site where the app came later none may be linked yet."""
	frappe.db.set_value("Opportunity", opportunity, "lead", None, update_modified=False)


def second_opportunity(lead: str) -> tuple[str, str]:
	"""(older, newer): two Opportunities of one Lead, as stock ERPNext allowed; the newer one is the
	Lead's (`lead` set), the older one is history."""
	older = convert(lead)
	unlink_lead(older)
	return older, convert(lead)


class TestLeadWithSeveralOpportunities(FrappeTestCase):
	def test_the_extra_opportunity_is_listed_and_merged_into_the_leads(self):
		lead = make_lead()
		extra, main = second_opportunity(lead)

		row = problems(data_health.LEAD_OPPORTUNITIES)[extra]
		self.assertEqual((row.record_doctype, row.status), ("Opportunity", "Open"))
		self.assertIn(lead, row.related)
		self.assertIn(main, row.resolution)
		self.assertEqual(
			(row.action, row.action_method, row.action_argument),
			(f"Merge into {main}", "merge_lead_opportunity", extra),
		)

		result = api.merge_lead_opportunity(extra)

		self.assertEqual(result, {"merged": [extra], "into": main, "designated": None})
		self.assertFalse(frappe.db.exists("Opportunity", extra))
		self.assertNotIn(extra, problems(data_health.LEAD_OPPORTUNITIES))
		# the rule holds: the Lead has one Opportunity, and it is the Lead's
		self.assertEqual(
			frappe.get_all("Opportunity", {"opportunity_from": "Lead", "party_name": lead}, pluck="name"),
			[main],
		)
		self.assertEqual(frappe.db.get_value("Opportunity", main, "lead"), lead)

	def test_when_none_is_the_leads_the_one_the_install_chooses_becomes_it_first(self):
		lead = make_lead()
		older, newer = second_opportunity(lead)
		unlink_lead(newer)
		chosen = choose_lead_opportunity(lead)
		other = newer if chosen == older else older

		rows = problems(data_health.LEAD_OPPORTUNITIES)
		self.assertNotIn(chosen, rows)
		self.assertIn(chosen, rows[other].resolution)
		self.assertEqual(rows[other].action, f"Merge into {chosen}")

		result = api.merge_lead_opportunity(other)

		self.assertEqual(result, {"merged": [other], "into": chosen, "designated": chosen})
		self.assertEqual(frappe.db.get_value("Opportunity", chosen, "lead"), lead)
		self.assertFalse(frappe.db.exists("Opportunity", other))
		self.assertNotIn(other, problems(data_health.LEAD_OPPORTUNITIES))

	def test_a_merge_the_rules_refuse_leaves_both(self):
		"""Two Opportunities of one Lead that each became a Customer: merging would give one Opportunity
		two Customers, so the merge is refused with the rule's message and nothing moves."""
		lead = make_lead()
		extra, main = second_opportunity(lead)
		api.create_customer(main)
		api.create_customer(extra)

		with self.assertRaises(frappe.ValidationError) as refused:
			api.merge_lead_opportunity(extra)
		self.assertIn("at most one Customer", str(refused.exception))
		self.assertTrue(frappe.db.exists("Opportunity", extra))
		self.assertIn(extra, problems(data_health.LEAD_OPPORTUNITIES))


class TestOpportunityWithoutAddressOrContact(FrappeTestCase):
	def test_the_partys_addresses_and_contacts_are_linked(self):
		lead = make_lead(addresses=2, contacts=1)
		opportunity = convert(lead)
		# Stock ERPNext does not link the Lead's Addresses and Contacts to its Opportunity.
		frappe.db.delete("Dynamic Link", {"link_doctype": "Opportunity", "link_name": opportunity})

		row = problems(data_health.MISSING_ADDRESS_OR_CONTACT)[opportunity]
		self.assertEqual((row.status, row.action_method), ("Open", "link_party_addresses_and_contacts"))
		self.assertIn("no linked Address and no Contact", row.details)
		self.assertIn(f"Link the Addresses and Contacts of Lead {lead}", row.resolution)

		result = api.link_party_addresses_and_contacts(opportunity)

		self.assertEqual(result["linked"], {"Address": 2, "Contact": 1})
		self.assertNotIn(opportunity, problems(data_health.MISSING_ADDRESS_OR_CONTACT))
		require_address_and_contact(opportunity, "Quotation")  # the rule holds: no error

	def test_without_any_on_the_party_the_resolution_says_to_add_them(self):
		opportunity = convert(make_lead(addresses=0, contacts=1))
		frappe.db.set_value("Opportunity", opportunity, "status", "Lost")  # every status is listed

		row = problems(data_health.MISSING_ADDRESS_OR_CONTACT)[opportunity]
		self.assertEqual((row.status, row.action), ("Lost", ""))
		self.assertIn("Address: add one on the Opportunity", row.resolution)
		with self.assertRaises(InvalidArgumentError):
			api.link_party_addresses_and_contacts(convert(make_lead(addresses=0, contacts=0)))


class TestCustomerClaimedBySeveralOpportunities(FrappeTestCase):
	def test_the_others_are_merged_into_the_customers_opportunity(self):
		lead = make_lead()
		converted = convert(lead)
		customer = api.create_customer(converted)["customer"]
		unlink_lead(converted)
		other = convert(lead)
		# Stock ERPNext marks every Opportunity of a Lead Converted when the Lead becomes a Customer.
		frappe.db.set_value("Opportunity", other, "status", "Converted")

		row = problems(data_health.CUSTOMER_CLAIMED)[customer]
		self.assertEqual(row.record_doctype, "Customer")
		self.assertIn(converted, row.related)
		self.assertIn(other, row.related)
		self.assertIn(f"Keep Opportunity {converted}", row.resolution)
		self.assertEqual(
			(row.action, row.action_method, row.action_argument),
			(f"Merge into {converted}", "merge_customer_opportunities", customer),
		)

		result = api.merge_customer_opportunities(customer)

		self.assertEqual(result, {"merged": [other], "into": converted})
		self.assertNotIn(customer, problems(data_health.CUSTOMER_CLAIMED))
		# the rules hold: one Opportunity ↔ one Customer, and the Lead's Opportunity is the kept one
		self.assertEqual(frappe.db.get_value("Customer", customer, "opportunity_name"), converted)
		self.assertEqual(
			frappe.db.get_value("Opportunity", converted, ["customer", "lead"]), (customer, lead)
		)
		self.assertEqual(set(data_health.get_customer_claims(customer)), {converted})

	def test_without_an_opportunity_of_its_own_the_resolution_says_to_choose_one(self):
		lead = make_lead()
		first, second = second_opportunity(lead)
		customer = make_customer(customer_name=f"PT {lead}")
		# Stock ERPNext's Lead ▸ Create ▸ Customer names the Lead only, and marks its Opportunities
		# Converted.
		frappe.db.set_value("Customer", customer, {"lead_name": lead, "opportunity_name": None})
		for opportunity in (first, second):
			frappe.db.set_value("Opportunity", opportunity, "status", "Converted")

		row = problems(data_health.CUSTOMER_CLAIMED)[customer]
		self.assertEqual(row.action, "")
		self.assertIn("Choose the Opportunity the Customer came from", row.resolution)
		with self.assertRaises(InvalidArgumentError):
			api.merge_customer_opportunities(customer)


class TestSalesOrderForAnotherCustomer(FrappeTestCase):
	def test_an_order_of_another_customers_opportunity_is_listed_until_it_is_cancelled(self):
		opportunity = convert(make_lead())
		add_wish(opportunity)
		customer = api.create_customer(opportunity)["customer"]
		quotation = make_submitted_quotation(opportunity)
		order = make_sales_order_from_quotation(quotation.name)
		order.submit()
		other = make_customer()
		# Stock ERPNext has no `Sales Order.opportunity`, and lets an order of a Quotation be for another
		# Customer than the Quotation's Opportunity.
		frappe.db.set_value("Sales Order", order.name, {"customer": other, "opportunity": None})

		row = problems(data_health.ORDER_FOR_OTHER_CUSTOMER)[order.name]
		self.assertEqual((row.record_doctype, row.action), ("Sales Order", ""))
		self.assertIn(f"through Quotation {quotation.name}", row.details)
		self.assertIn(f"Amend it for Customer {customer}", row.resolution)
		self.assertIn(opportunity, row.related)

		frappe.get_doc("Sales Order", order.name).cancel()
		self.assertNotIn(order.name, problems(data_health.ORDER_FOR_OTHER_CUSTOMER))


class TestDataHealthReport(FrappeTestCase):
	def test_the_report_runs_for_its_roles_only(self):
		extra, _main = second_opportunity(make_lead())
		manager = make_user("Sales Manager")
		frappe.set_user(manager)
		try:
			result = run(REPORT, filters={"problem": data_health.LEAD_OPPORTUNITIES})
		finally:
			frappe.set_user("Administrator")
		self.assertIn(extra, {row["record"] for row in result["result"]})
		self.assertEqual(
			[column["fieldname"] for column in result["columns"]],
			[
				"problem",
				"record_doctype",
				"record",
				"status",
				"company",
				"related",
				"details",
				"resolution",
				"action",
			],
		)

		frappe.set_user(make_user("Sales User"))
		try:
			with self.assertRaises(frappe.PermissionError):
				run(REPORT, filters={})
		finally:
			frappe.set_user("Administrator")

	def test_the_users_permissions_and_the_company_filter_apply(self):
		extra, _main = second_opportunity(make_lead())
		self.assertNotIn(extra, problems_of_company("No Such Company"))
		self.assertIn(extra, problems_of_company(frappe.db.get_value("Opportunity", extra, "company")))

		# a Sales Manager limited to another Sales Partner (a User Permission) does not see it
		manager = make_user("Sales Manager")
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": manager,
				"allow": "Sales Partner",
				"for_value": make_sales_partner(),
			}
		).insert(ignore_permissions=True)
		frappe.set_user(manager)
		try:
			rows = run(REPORT, filters={"problem": data_health.LEAD_OPPORTUNITIES})["result"]
		finally:
			frappe.set_user("Administrator")
		self.assertNotIn(extra, {row["record"] for row in rows})

	def test_the_rows_are_capped_and_the_report_says_so(self):
		second_opportunity(make_lead())
		second_opportunity(make_lead())
		rows, truncated = data_health.get_problems(problem=data_health.LEAD_OPPORTUNITIES, limit=1)
		self.assertEqual((len(rows), truncated), (1, [data_health.LEAD_OPPORTUNITIES]))

	def test_an_unknown_problem_is_refused(self):
		with self.assertRaises(InvalidArgumentError):
			data_health.get_problems(problem="Something else")

	def test_actions_check_permission(self):
		extra, _main = second_opportunity(make_lead())
		frappe.set_user(make_user("Accounts User"))
		try:
			with self.assertRaises(frappe.PermissionError):
				api.merge_lead_opportunity(extra)
		finally:
			frappe.set_user("Administrator")
		self.assertTrue(frappe.db.exists("Opportunity", extra))
