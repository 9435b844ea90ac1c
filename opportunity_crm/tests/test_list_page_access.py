"""The desk's Opportunity list page under row-level access (issue 19, item 3): the per-row form of the
condition for the list's first page and the own-first count give the same Opportunities as the named form,
and what row-level access keeps across requests (the settings, a user's Sales Persons) follows the
documents it comes from."""

import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.opportunities import permissions
from opportunity_crm.tests.factories import convert, make_lead, make_sales_person, make_salesperson_user
from opportunity_crm.tests.test_split_credit import forget_cached_restrictions, with_team

SETTINGS = "Opportunity CRM Settings"
PER_ROW = "`st`.`parent` = `tabOpportunity`.`name`"


def as_request(cmd: str, **form) -> None:
	"""The request's `form_dict` as Frappe's API sets it for a call of `cmd`."""
	frappe.local.form_dict = frappe._dict(cmd=cmd, doctype="Opportunity", **form)
	forget_cached_restrictions()


def list_page(names: list[str], page_length: int) -> list[str]:
	"""The desk's first page of the list (newest first), among `names`."""
	from frappe.desk.reportview import get_list

	as_request(
		"frappe.desk.reportview.get_list",
		fields='["`tabOpportunity`.`name`"]',
		filters=frappe.as_json([["Opportunity", "name", "in", names]]),
		order_by="`tabOpportunity`.`modified` desc",
		start=0,
		page_length=page_length,
	)
	return [row.name for row in get_list()]


def list_count(names: list[str], limit: int) -> int:
	"""The desk's capped count, through the method Frappe's handler runs for it (the app's override)."""
	as_request(
		"frappe.desk.reportview.get_count",
		filters=frappe.as_json([["Opportunity", "name", "in", names]]),
		fields="[]",
		distinct="false",
		limit=limit,
	)
	method = frappe.get_attr(frappe.override_whitelisted_method("frappe.desk.reportview.get_count"))
	return frappe.call(method, **frappe.local.form_dict)


def make_deals_of_a_salesperson() -> frappe._dict:
	"""A salesperson (user and Sales Person) and, oldest to newest: 3 Opportunities of theirs (`own`), 2 of
	another Sales Person with them in the Sales Team, 60 / 40 (`team`), 2 of the other alone (`others`)."""
	user, person = make_salesperson_user()
	other = make_sales_person()
	own = [convert(make_lead(), sales_person=person) for _ in range(3)]
	team = []
	for _ in range(2):
		name = convert(make_lead(), sales_person=other)
		with_team(name, (other, 60), (person, 40))
		team.append(name)
	others = [convert(make_lead(), sales_person=other) for _ in range(2)]
	return frappe._dict(user=user, person=person, own=own, team=team, others=others)


class TestListPageAccess(FrappeTestCase):
	def setUp(self):
		frappe.db.set_single_value(SETTINGS, "enable_row_level_access", 1)
		self.addCleanup(forget_cached_restrictions)
		self.addCleanup(lambda: setattr(frappe.local, "form_dict", frappe._dict()))
		deals = make_deals_of_a_salesperson()
		self.user, self.person = deals.user, deals.person
		self.own, self.team, self.others = deals.own, deals.team, deals.others
		self.names = self.own + self.team + self.others
		frappe.set_user(self.user)

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_the_list_page_reads_the_same_opportunities_per_row(self):
		# the user's 3 own among the site's newest: a page of 3 is read row by row; of 4, with the names
		pages = {}
		for page_length, per_row in ((3, True), (4, False)):
			with self.subTest(page_length=page_length):
				pages[page_length] = list_page(self.names, page_length)
				condition = permissions.opportunity_conditions(self.user)
				self.assertEqual(PER_ROW in condition, per_row, condition)
		# the same pages as the named form gives
		self.assertEqual(pages, {n: self.named_page(self.names, n) for n in (3, 4)})

	def test_a_user_none_of_whose_deals_are_sampled_gets_the_named_form(self):
		"""Neither the site's newest (a sample of 2) nor the 2 from the newest they may read (their two team
		deals) hold one of their own: the page takes the named form, and is the same page."""
		self.addCleanup(setattr, permissions, "NEWEST_SAMPLE", permissions.NEWEST_SAMPLE)
		permissions.NEWEST_SAMPLE = 2
		frappe.set_user("Administrator")
		names = self.names + [convert(make_lead(), sales_person=make_sales_person()) for _ in range(2)]
		frappe.set_user(self.user)
		listed = list_page(names, 1)
		self.assertNotIn(PER_ROW, permissions.opportunity_conditions(self.user))
		self.assertEqual(listed, [self.team[1]])
		self.assertEqual(listed, self.named_page(names, 1))

	def named_page(self, names: list[str], page_length: int) -> list[str]:
		"""The first page newest first, with the condition every other query gets (the named form)."""
		frappe.local.form_dict = frappe._dict()
		forget_cached_restrictions()
		self.assertNotIn(PER_ROW, permissions.opportunity_conditions(self.user))
		return frappe.get_list(
			"Opportunity",
			filters={"name": ("in", names)},
			order_by="`tabOpportunity`.`modified` desc",
			pluck="name",
			limit=page_length,
		)

	def test_a_user_whose_deals_are_older_than_the_sites_newest_is_read_from_their_newest(self):
		"""The site's newest (a sample of 3 here) are none of the user's: the page is still read row by row,
		from the newest Opportunity the user may read, and is the page the named form gives."""
		self.addCleanup(setattr, permissions, "NEWEST_SAMPLE", permissions.NEWEST_SAMPLE)
		permissions.NEWEST_SAMPLE = 3
		frappe.set_user("Administrator")
		later = [convert(make_lead(), sales_person=make_sales_person()) for _ in range(3)]
		frappe.set_user(self.user)
		names = self.names + later
		listed = list_page(names, 1)
		condition = permissions.opportunity_conditions(self.user)
		self.assertIn(PER_ROW, condition)
		self.assertIn("`tabOpportunity`.`modified` <=", condition)
		# the newest the user may read: the second Opportunity they are in the Sales Team of
		self.assertEqual(listed, [self.team[1]])
		self.assertEqual(listed, self.named_page(names, 1))

	def test_the_per_row_condition_matches_the_named_one(self):
		forget_cached_restrictions()
		restrictions = permissions.get_restrictions(self.user)
		frappe.set_user("Administrator")
		for form in ("", "per row"):
			condition = permissions.restrictions_condition(restrictions, form=form)
			with self.subTest(form=form):
				matched = frappe.db.sql_list(
					f"select `name` from `tabOpportunity` where {condition} and `name` in %(names)s",
					{"names": self.names},
				)
				self.assertEqual(set(matched), set(self.own + self.team))

	def test_the_count_counts_the_own_first_and_stays_exact(self):
		# own 3, team 2: capped at 2 the own answer; at 4 and 1001 the whole condition
		for limit, expected in ((2, 2), (3, 3), (4, 4), (1001, 5)):
			with self.subTest(limit=limit):
				self.assertEqual(list_count(self.names, limit), expected)
		frappe.set_user("Administrator")
		outsider, _person = make_salesperson_user()
		frappe.set_user(outsider)
		self.assertEqual(list_count(self.names, 1001), 0)

	def test_the_kept_sales_persons_follow_the_employee_and_the_tree(self):
		frappe.set_user("Administrator")
		self.assertEqual(permissions.get_sales_persons(self.user), [self.person])
		employee = frappe.db.get_value("Sales Person", self.person, "employee")

		frappe.db.set_value("Employee", employee, "user_id", None)  # no document event: still kept
		self.assertEqual(permissions.get_sales_persons(self.user), [self.person])
		frappe.get_doc("Employee", employee).save()  # saved: forgotten, read again
		self.assertIsNone(permissions.get_sales_persons(self.user))

		lead_user, lead = make_salesperson_user(is_group=1)
		self.assertEqual(permissions.get_sales_persons(lead_user), [lead])
		below = make_sales_person(parent=lead)  # a new Sales Person below the lead's
		self.assertEqual(set(permissions.get_sales_persons(lead_user)), {lead, below})

	def test_the_switch_is_read_from_the_cached_settings_and_follows_them(self):
		frappe.db.set_single_value(SETTINGS, "enable_row_level_access", 0)
		self.assertFalse(permissions.is_enabled())
		frappe.db.set_single_value(SETTINGS, "enable_row_level_access", 1)
		self.assertTrue(permissions.is_enabled())
		queries = []
		original = frappe.db.sql
		frappe.db.sql = lambda query, *args, **kwargs: (
			queries.append(query) or original(query, *args, **kwargs)
		)
		try:
			permissions.is_enabled()
			permissions.is_enabled()
		finally:
			frappe.db.sql = original
		self.assertEqual(queries, [])
