"""People change: a Sales Person who left (disabled) or became a group never blocks an order, and the open
Opportunities of someone who left can be handed over in bulk, within the row-level access rules."""

import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.exceptions import InvalidSalesPersonError
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	make_employee,
	make_lead,
	make_sales_order,
	make_sales_order_from_quotation,
	make_sales_person,
	make_submitted_quotation,
	make_user,
)


def leave(sales_person: str) -> None:
	"""What ERPNext does when the Employee behind a Sales Person leaves: the Sales Person is disabled."""
	doc = frappe.get_doc("Sales Person", sales_person)
	doc.enabled = 0
	doc.save()


def team_of(doc) -> dict:
	return {row.sales_person: row.allocated_percentage for row in doc.sales_team}


class TestPeopleChange(FrappeTestCase):
	def tearDown(self):
		frappe.set_user("Administrator")

	def test_a_sales_person_who_left_never_blocks_an_order(self):
		person = make_sales_person()
		opportunity = convert(make_lead(), sales_person=person)
		add_wish(opportunity)
		quotation = make_submitted_quotation(opportunity)
		leave(person)

		customer = api.create_customer(opportunity)["customer"]
		order = make_sales_order_from_quotation(quotation.name)
		order.submit()

		self.assertNotIn(person, team_of(frappe.get_doc("Customer", customer)))
		self.assertNotIn(person, team_of(order))
		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "sales_person"), person)

	def converted_with_team(self, team: dict) -> tuple[str, str]:
		"""An Opportunity with `team` ({person: share}, the first its Sales Person), made a Customer: the
		Customer takes the team. Returns (opportunity, customer)."""
		people = list(team)
		opportunity = convert(make_lead(), sales_person=people[0])
		doc = frappe.get_doc("Opportunity", opportunity)
		doc.set(
			"sales_team", [{"sales_person": p, "allocated_percentage": share} for p, share in team.items()]
		)
		doc.save()
		add_wish(opportunity)
		customer = api.create_customer(opportunity)["customer"]
		self.assertEqual(team_of(frappe.get_doc("Customer", customer)), team)
		return opportunity, customer

	def assertOrdersGoThrough(self, opportunity: str, customer: str) -> None:
		"""ERPNext's Quotation ▸ Sales Order and a Sales Order made directly both submit."""
		from_quotation = make_sales_order_from_quotation(make_submitted_quotation(opportunity).name)
		from_quotation.submit()
		direct = make_sales_order(customer)
		direct.insert()
		direct.submit()
		self.assertEqual((from_quotation.docstatus, direct.docstatus), (1, 1))

	def test_who_leaves_the_customers_team_alone_leaves_it_empty_and_orders_go_through(self):
		person = make_sales_person()
		opportunity, customer = self.converted_with_team({person: 100})

		leave(person)

		self.assertEqual(team_of(frappe.get_doc("Customer", customer)), {})
		self.assertOrdersGoThrough(opportunity, customer)

	def test_who_leaves_a_split_hands_the_share_to_the_others_still_there(self):
		leaving, staying = make_sales_person(), make_sales_person()
		opportunity, customer = self.converted_with_team({leaving: 60, staying: 40})

		leave(leaving)

		self.assertEqual(team_of(frappe.get_doc("Customer", customer)), {staying: 100})
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{
					"reference_doctype": "Customer",
					"reference_name": customer,
					"content": ("like", f"%{leaving}%"),
				},
			)
		)
		self.assertOrdersGoThrough(opportunity, customer)

	def test_who_leaves_after_a_reassignment_hands_the_share_to_the_opportunitys_new_owner(self):
		leaving, staying, successor = make_sales_person(), make_sales_person(), make_sales_person()
		opportunity, customer = self.converted_with_team({leaving: 60, staying: 40})
		api.reassign_sales_person([opportunity], successor)

		leave(leaving)

		self.assertEqual(team_of(frappe.get_doc("Customer", customer)), {staying: 40, successor: 60})
		self.assertOrdersGoThrough(opportunity, customer)

	def test_an_employee_who_left_hands_over_through_erpnexts_employee_form(self):
		"""The Employee form's status Left calls ERPNext's `deactivate_sales_person`, which the app routes
		through the Sales Person's document."""
		leaving = make_sales_person(employee=make_employee(make_user("Sales User")))
		staying = make_sales_person()
		opportunity, customer = self.converted_with_team({leaving: 50, staying: 50})
		employee = frappe.db.get_value("Sales Person", leaving, "employee")

		# what Frappe's request handler runs for that call: the last override of the method, if any
		method = "erpnext.setup.doctype.employee.employee.deactivate_sales_person"
		method = (frappe.get_hooks("override_whitelisted_methods").get(method) or [method])[-1]
		frappe.get_attr(method)(employee=employee, status="Left")

		self.assertEqual(frappe.db.get_value("Sales Person", leaving, "enabled"), 0)
		self.assertEqual(team_of(frappe.get_doc("Customer", customer)), {staying: 100})
		self.assertOrdersGoThrough(opportunity, customer)

	def test_a_sales_person_turned_into_a_group_never_blocks_an_order(self):
		person = make_sales_person()
		opportunity = convert(make_lead(), sales_person=person)
		add_wish(opportunity)
		api.create_customer(opportunity)
		frappe.db.set_value("Sales Person", person, "is_group", 1)

		order = make_sales_order_from_quotation(make_submitted_quotation(opportunity).name)
		order.submit()
		self.assertEqual(order.docstatus, 1)

	def test_an_order_takes_the_opportunitys_person_only_into_an_empty_team(self):
		person, chosen = make_sales_person(), make_sales_person()
		opportunity = convert(make_lead(), sales_person=person)
		add_wish(opportunity)
		api.create_customer(opportunity)
		from erpnext.selling.doctype.quotation.quotation import make_sales_order

		order = make_sales_order(make_submitted_quotation(opportunity).name)
		order.delivery_date = frappe.utils.add_days(frappe.utils.nowdate(), 7)
		order.set("sales_team", [{"sales_person": chosen, "allocated_percentage": 100}])
		order.insert()
		self.assertEqual(team_of(order), {chosen: 100})

		order = make_sales_order_from_quotation(make_submitted_quotation(opportunity).name)
		self.assertEqual(team_of(order), {person: 100})

	def test_reassign_the_open_opportunities_of_someone_who_left(self):
		person, successor = make_sales_person(), make_sales_person()
		open_ones = [convert(make_lead(), sales_person=person) for _ in range(2)]
		lost = convert(make_lead(), sales_person=person)
		frappe.db.set_value("Opportunity", lost, "status", "Lost")
		leave(person)

		summary = api.reassign_sales_person([*open_ones, lost], successor)

		self.assertEqual({row["opportunity"] for row in summary["reassigned"]}, set(open_ones))
		self.assertEqual([row["opportunity"] for row in summary["skipped"]], [lost])
		for name in open_ones:
			self.assertEqual(frappe.db.get_value("Opportunity", name, "sales_person"), successor)
			self.assertTrue(
				frappe.db.exists(
					"Comment",
					{
						"reference_doctype": "Opportunity",
						"reference_name": name,
						"content": ("like", f"%reassigned%{successor}%"),
					},
				)
			)
		self.assertEqual(frappe.db.get_value("Opportunity", lost, "sales_person"), person)

	def test_reassign_refuses_a_group_or_a_disabled_successor(self):
		opportunity = convert(make_lead())
		with self.assertRaises(InvalidSalesPersonError):
			api.reassign_sales_person([opportunity], make_sales_person(is_group=1))
		with self.assertRaises(InvalidSalesPersonError):
			api.reassign_sales_person([opportunity], make_sales_person(enabled=0))

	def test_reassign_stays_within_the_row_level_access(self):
		"""A team lead may reassign within their team; an Opportunity outside it fails, named."""
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
		user = make_user("Sales User")
		lead_person = make_sales_person(is_group=1, employee=make_employee(user))
		member, other_member = make_sales_person(parent=lead_person), make_sales_person(parent=lead_person)
		mine = convert(make_lead(), sales_person=member)
		elsewhere = convert(make_lead(), sales_person=make_sales_person())

		frappe.set_user(user)
		summary = api.reassign_sales_person([mine, elsewhere], other_member)
		frappe.set_user("Administrator")

		self.assertEqual([row["opportunity"] for row in summary["reassigned"]], [mine])
		self.assertEqual([row["opportunity"] for row in summary["failed"]], [elsewhere])
		self.assertNotEqual(frappe.db.get_value("Opportunity", elsewhere, "sales_person"), other_member)
