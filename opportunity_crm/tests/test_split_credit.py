"""Split credit: an Opportunity's Sales Team (revenue rows add up to 100 %, overlay rows do not count), its
Sales Person in the team, the team going to the Customer and the Sales Order, the row-level access of a
team member, and the settings that require a Sales Person / Sales Partner on open Opportunities."""

import json

import frappe
import frappe.client
from erpnext.crm.doctype.opportunity.opportunity import auto_close_opportunity, set_multiple_status
from frappe.email.receive import InboundMail
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days

from opportunity_crm import api
from opportunity_crm.exceptions import MissingSalesPersonOrPartnerError, SalesTeamError
from opportunity_crm.opportunities import data_health
from opportunity_crm.opportunities.permissions import TEAM_NAMES_LIMIT, opportunity_conditions
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	make_lead,
	make_sales_order,
	make_sales_order_from_quotation,
	make_sales_partner,
	make_sales_person,
	make_salesperson_user,
	make_submitted_quotation,
)
from opportunity_crm.tests.test_intake import PULL_JOB, RAW_MAIL, commit_hooks, in_job, sales_inbox


def team_of(doc) -> dict:
	"""{sales person: share} of a document's team (overlay rows of an Opportunity included)."""
	return {row.sales_person: row.allocated_percentage for row in doc.sales_team}


def with_team(opportunity: str, *rows: tuple, sales_person: str | None = None):
	"""Save an Opportunity with the team `rows` ((person, share) or (person, share, overlay))."""
	doc = frappe.get_doc("Opportunity", opportunity)
	doc.set(
		"sales_team",
		[
			{"sales_person": row[0], "allocated_percentage": row[1], "overlay": row[2] if len(row) > 2 else 0}
			for row in rows
		],
	)
	if sales_person is not None:
		doc.sales_person = sales_person
	return doc.save()


def forget_cached_restrictions() -> None:
	"""`permissions.get_restrictions` is cached for a request; a test is one long request."""
	getattr(frappe.local, "request_cache", {}).clear()


class TestSplitCredit(FrappeTestCase):
	def setUp(self):
		self.owner = make_sales_person()
		self.opportunity = convert(make_lead(), sales_person=self.owner)

	def tearDown(self):
		frappe.set_user("Administrator")

	# the team's rules ---------------------------------------------------------------------------------

	def test_revenue_rows_add_up_to_100_percent(self):
		with self.assertRaises(SalesTeamError) as refused:
			with_team(self.opportunity, (self.owner, 60), (make_sales_person(), 30))
		self.assertIn("90", str(refused.exception))
		self.assertIn("100 %", str(refused.exception))
		self.assertIn("sales_team", str(refused.exception))

		partner = make_sales_person()
		doc = with_team(self.opportunity, (self.owner, 60), (partner, 40))
		self.assertEqual(team_of(doc), {self.owner: 60, partner: 40})

	def test_overlay_rows_do_not_count_toward_the_100_percent(self):
		specialist, manager = make_sales_person(), make_sales_person()
		doc = with_team(self.opportunity, (self.owner, 100), (specialist, 100, 1), (manager, 25, 1))
		self.assertEqual(team_of(doc), {self.owner: 100, specialist: 100, manager: 25})

		with self.assertRaises(SalesTeamError) as refused:
			with_team(self.opportunity, (self.owner, 100), (specialist, 150, 1))
		self.assertIn("row 2", str(refused.exception))
		self.assertIn("allocated_percentage", str(refused.exception))

		with self.assertRaises(SalesTeamError):  # an overlay row does not make up a short split
			with_team(self.opportunity, (self.owner, 50), (specialist, 50, 1))

	def test_a_person_appears_once_in_a_team(self):
		with self.assertRaises(SalesTeamError) as refused:
			with_team(self.opportunity, (self.owner, 100), (self.owner, 10, 1))
		self.assertIn("row 2", str(refused.exception))
		self.assertIn("row 1", str(refused.exception))
		self.assertIn(self.owner, str(refused.exception))

	def test_the_sales_person_is_a_revenue_row_of_the_team(self):
		other = make_sales_person()
		with self.assertRaises(SalesTeamError) as refused:
			with_team(self.opportunity, (other, 100))
		self.assertIn("sales_person", str(refused.exception))
		with self.assertRaises(SalesTeamError):  # an overlay row is not enough
			with_team(self.opportunity, (other, 100), (self.owner, 10, 1))

	def test_a_team_of_one_revenue_row_fills_an_empty_sales_person(self):
		opportunity = convert(make_lead(), with_team=False)
		person, specialist = make_sales_person(), make_sales_person()

		doc = with_team(opportunity, (person, 100), (specialist, 30, 1))

		self.assertEqual(doc.sales_person, person)
		two = convert(make_lead(), with_team=False)
		with self.assertRaises(SalesTeamError) as refused:  # which of two? the user says
			with_team(two, (person, 50), (specialist, 50))
		self.assertIn("sales_person", str(refused.exception))

	def test_an_opportunity_without_a_team_needs_none(self):
		doc = frappe.get_doc("Opportunity", self.opportunity)
		doc.save()
		self.assertEqual(doc.sales_team, [])
		self.assertEqual(doc.sales_person, self.owner)

	def test_members_are_enabled_individuals_and_may_leave_later(self):
		for person in (make_sales_person(is_group=1), make_sales_person(enabled=0)):
			with self.assertRaises(SalesTeamError) as refused:
				with_team(self.opportunity, (self.owner, 100), (person, 10, 1))
			self.assertIn("row 2", str(refused.exception))

		member = make_sales_person()
		with_team(self.opportunity, (self.owner, 70), (member, 30))
		frappe.db.set_value("Sales Person", member, "enabled", 0)  # the member left
		doc = frappe.get_doc("Opportunity", self.opportunity)
		doc.title = "Edited after a member left"
		doc.save()  # history stays as it was
		self.assertEqual(team_of(doc), {self.owner: 70, member: 30})

	def test_a_new_sales_person_takes_over_the_previous_owners_row(self):
		member, successor = make_sales_person(), make_sales_person()
		with_team(self.opportunity, (self.owner, 70), (member, 30))

		summary = api.reassign_sales_person([self.opportunity], successor)

		self.assertEqual([row["opportunity"] for row in summary["reassigned"]], [self.opportunity])
		doc = frappe.get_doc("Opportunity", self.opportunity)
		self.assertEqual(doc.sales_person, successor)
		self.assertEqual(team_of(doc), {successor: 70, member: 30})

	# conversion ----------------------------------------------------------------------------------------

	def test_the_revenue_split_goes_to_the_customer_and_the_sales_order(self):
		member, specialist = make_sales_person(), make_sales_person()
		with_team(self.opportunity, (self.owner, 60), (member, 40), (specialist, 50, 1))
		add_wish(self.opportunity)

		customer = api.create_customer(self.opportunity)["customer"]
		quotation = make_submitted_quotation(self.opportunity)
		from_quotation = make_sales_order_from_quotation(quotation.name)
		from_quotation.submit()  # ERPNext's own 100 % check on submit
		direct = make_sales_order(customer, opportunity=self.opportunity).insert()

		split = {self.owner: 60, member: 40}
		self.assertEqual(team_of(frappe.get_doc("Customer", customer)), split)
		for order in (from_quotation, direct):
			self.assertEqual(team_of(order), split)
			self.assertEqual(order.opportunity, self.opportunity)
		# the overlay stays on the Opportunity
		self.assertEqual(team_of(frappe.get_doc("Opportunity", self.opportunity)), {**split, specialist: 50})

	def test_a_team_set_on_the_sales_order_is_kept(self):
		member, chosen = make_sales_person(), make_sales_person()
		with_team(self.opportunity, (self.owner, 60), (member, 40))
		customer = api.create_customer(self.opportunity)["customer"]
		order = make_sales_order(customer, opportunity=self.opportunity)
		order.append("sales_team", {"sales_person": chosen, "allocated_percentage": 100})

		order.insert()

		self.assertEqual(team_of(order), {chosen: 100})

	def test_a_split_naming_someone_who_left_gives_no_team(self):
		member = make_sales_person()
		with_team(self.opportunity, (self.owner, 60), (member, 40))
		frappe.db.set_value("Sales Person", member, "enabled", 0)

		customer = api.create_customer(self.opportunity)["customer"]
		order = make_sales_order(customer, opportunity=self.opportunity).insert()

		self.assertEqual(team_of(frappe.get_doc("Customer", customer)), {})
		self.assertEqual(team_of(order), {})

	# row-level access ----------------------------------------------------------------------------------

	def test_a_team_member_sees_and_edits_the_opportunity(self):
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
		self.addCleanup(forget_cached_restrictions)
		forget_cached_restrictions()
		lead_user, team_lead = make_salesperson_user(is_group=1)
		user, person = make_salesperson_user(parent=team_lead)
		outsider, _outsider_person = make_salesperson_user()
		as_overlay = self.opportunity
		with_team(as_overlay, (self.owner, 100), (person, 10, 1))
		other_owner = make_sales_person()
		as_revenue = convert(make_lead(), sales_person=other_owner)
		with_team(as_revenue, (other_owner, 50), (person, 50))
		elsewhere = convert(make_lead())
		names = [as_overlay, as_revenue, elsewhere]

		for who, expected in ((user, {as_overlay, as_revenue}), (lead_user, {as_overlay, as_revenue})):
			frappe.set_user(who)
			with self.subTest(user=who):
				listed = set(frappe.get_list("Opportunity", filters={"name": ("in", names)}, pluck="name"))
				self.assertEqual(listed, expected)
				client_list = frappe.client.get_list(
					"Opportunity", filters={"name": ("in", names)}, limit_page_length=0
				)
				self.assertEqual({row["name"] for row in client_list}, expected)
				for name in names:
					for ptype in ("read", "write"):
						self.assertEqual(
							frappe.has_permission("Opportunity", ptype, doc=name),
							name in expected,
							(name, ptype),
						)
				self.assertEqual(frappe.client.get("Opportunity", as_overlay)["name"], as_overlay)
				with self.assertRaises(frappe.PermissionError):
					frappe.client.get("Opportunity", elsewhere)

		frappe.set_user(outsider)
		self.assertEqual(frappe.get_list("Opportunity", filters={"name": ("in", names)}, pluck="name"), [])

		frappe.set_user(user)  # a member (overlay) edits the Opportunity
		doc = frappe.get_doc("Opportunity", as_overlay)
		doc.title = "Edited by a team member"
		doc.save()
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Opportunity", as_overlay, "title"), "Edited by a team member")

	def test_the_team_condition_names_the_members_opportunities(self):
		"""A member's team Opportunities are named, so that MariaDB can merge the `sales_person` index with
		the primary key; past TEAM_NAMES_LIMIT memberships an `exists` on Sales Team takes over."""
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
		self.addCleanup(forget_cached_restrictions)
		forget_cached_restrictions()
		user, person = make_salesperson_user()
		self.assertEqual(opportunity_conditions(user), f"`tabOpportunity`.`sales_person` in ('{person}')")

		forget_cached_restrictions()
		with_team(self.opportunity, (self.owner, 60), (person, 40))
		self.assertEqual(
			opportunity_conditions(user),
			f"(`tabOpportunity`.`sales_person` in ('{person}')"
			f" or `tabOpportunity`.`name` in ('{self.opportunity}'))",
		)

		forget_cached_restrictions()
		frappe.db.bulk_insert(
			"Sales Team",
			["name", "parent", "parenttype", "parentfield", "sales_person", "allocated_percentage"],
			[
				(frappe.generate_hash(length=16), f"OPP-TEST-{i}", "Opportunity", "sales_team", person, 10)
				for i in range(TEAM_NAMES_LIMIT)
			],
		)
		condition = opportunity_conditions(user)
		self.assertIn("exists (select 1 from `tabSales Team`", condition)
		plan = frappe.db.sql(f"explain select `name` from `tabOpportunity` where {condition}", as_dict=True)
		team_steps = [step for step in plan if step.table == "st"]
		self.assertEqual(len(team_steps), 1, plan)
		self.assertNotEqual(team_steps[0].type, "ALL", plan)

	def test_the_team_condition_leaves_out_the_members_own_opportunities(self):
		"""A member's own Opportunities are matched by `sales_person`: their team rows are not named, so a
		salesperson with many split deals of their own stays on the named form (not `exists`)."""
		frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)
		self.addCleanup(forget_cached_restrictions)
		user, person = make_salesperson_user()
		with_team(self.opportunity, (person, 60), (self.owner, 40), sales_person=person)
		forget_cached_restrictions()
		self.assertEqual(opportunity_conditions(user), f"`tabOpportunity`.`sales_person` in ('{person}')")

		forget_cached_restrictions()
		with_team(self.opportunity, (person, 60), (self.owner, 40), sales_person=self.owner)
		self.assertEqual(
			opportunity_conditions(user),
			f"(`tabOpportunity`.`sales_person` in ('{person}')"
			f" or `tabOpportunity`.`name` in ('{self.opportunity}'))",
		)

	# settings: require a Sales Person / Sales Partner ---------------------------------------------------

	def require(self, **settings):
		for fieldname, value in settings.items():
			frappe.db.set_single_value("Opportunity CRM Settings", fieldname, value)
		self.addCleanup(
			lambda: [
				frappe.db.set_single_value("Opportunity CRM Settings", fieldname, 0) for fieldname in settings
			]
		)

	def missing_owner_rows(self) -> set[str]:
		rows, _truncated = data_health.get_problems(problem=data_health.MISSING_OWNER, limit=100_000)
		return {row.record for row in rows}

	def test_a_new_open_opportunity_needs_a_sales_person_when_required(self):
		history = convert(make_lead(), with_team=False)  # before the setting
		self.assertNotIn(history, self.missing_owner_rows())  # setting off: nothing listed

		self.require(require_sales_person=1)

		with self.assertRaises(MissingSalesPersonOrPartnerError) as refused:
			convert(make_lead(), with_team=False)
		self.assertIn("sales_person", str(refused.exception))
		self.assertTrue(convert(make_lead(), sales_person=make_sales_person()))
		# an open one cannot lose its Sales Person
		doc = frappe.get_doc("Opportunity", self.opportunity)
		doc.sales_person = None
		with self.assertRaises(MissingSalesPersonOrPartnerError):
			doc.save()
		# history is listed, not blocked
		self.assertIn(history, self.missing_owner_rows())
		self.assertNotIn(self.opportunity, self.missing_owner_rows())
		add_wish(history)  # an edit of the form
		make_submitted_quotation(history)  # Quotation making (ERPNext updates the status)
		set_multiple_status(json.dumps([history]), "Closed")  # the list's Set Status
		self.assertEqual(frappe.db.get_value("Opportunity", history, "status"), "Closed")
		self.assertNotIn(history, self.missing_owner_rows())  # closed: not pipeline any more

	def test_history_never_blocks_erpnexts_auto_close(self):
		history = convert(make_lead(), with_team=False)
		self.require(require_sales_person=1, require_sales_partner=1)
		frappe.db.set_value(
			"Opportunity",
			history,
			# ERPNext's auto-close compares with the database's clock (SQL NOW()), not Python's
			{"status": "Replied", "modified": add_days(frappe.db.sql("select now()")[0][0], -60)},
			update_modified=False,
		)
		self.assertIn(history, self.missing_owner_rows())

		auto_close_opportunity()

		self.assertEqual(frappe.db.get_value("Opportunity", history, "status"), "Closed")

	def test_a_new_open_opportunity_needs_a_sales_partner_when_required(self):
		self.require(require_sales_partner=1)

		with self.assertRaises(MissingSalesPersonOrPartnerError) as refused:
			convert(make_lead(), sales_person=make_sales_person(), sales_partner=None)
		self.assertIn("sales_partner", str(refused.exception))
		self.assertTrue(convert(make_lead(), sales_partner=make_sales_partner()))
		history = frappe.get_doc("Opportunity", self.opportunity)
		frappe.db.set_value("Opportunity", history.name, "sales_partner", None)  # history without one
		self.assertIn(history.name, self.missing_owner_rows())
		history.reload()
		history.title = "Still editable"
		history.save()

	def test_erpnexts_email_intake_is_listed_not_refused(self):
		"""An incoming e-mail has nobody to choose an owner: its Opportunity is made, and listed."""
		self.require(require_sales_person=1, require_sales_partner=1)
		email = f"{frappe.generate_hash(length=10)}@example.com"
		raw = RAW_MAIL.format(
			sender=email, subject="Penawaran", message_id=frappe.generate_hash(length=12), body="Halo."
		)

		with in_job(PULL_JOB):
			communication = InboundMail(raw, sales_inbox()).process()
		commit_hooks()

		self.assertEqual(communication.reference_doctype, "Opportunity")
		self.assertIn(communication.reference_name, self.missing_owner_rows())
