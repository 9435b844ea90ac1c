"""A restricted salesperson's list page read through the indexes (`opportunities.newest_page`, issue 19
item 3): the desk's `reportview.get`, through the method Frappe's handler runs for it, gives the pages the
ordinary condition gives, narrowed to the user's newest names when those make a whole page and read again
the ordinary way when they do not (filters, a shared Opportunity); a `db_set` that moves an Opportunity
moves its Sales Team rows with it."""

import frappe
from frappe.share import add as share
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.opportunities import permissions
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	make_lead,
	make_sales_person,
	make_submitted_quotation,
)
from opportunity_crm.tests.test_list_page_access import make_deals_of_a_salesperson
from opportunity_crm.tests.test_split_credit import forget_cached_restrictions

SETTINGS = "Opportunity CRM Settings"
PER_ROW = "`st`.`parent` = `tabOpportunity`.`name`"


def narrowed(query: str) -> bool:
	"""The page query narrowed to the newest names (the row-level rule beside them, in its per-row form);
	the ordinary forms hold one or the other (a team's names, or the rule per row)."""
	return "`tabOpportunity`.`name` in (" in query and PER_ROW in query


class TestNewestPage(FrappeTestCase):
	def setUp(self):
		frappe.db.set_single_value(SETTINGS, "enable_row_level_access", 1)
		self.addCleanup(forget_cached_restrictions)
		self.addCleanup(lambda: setattr(frappe.local, "form_dict", frappe._dict()))
		# the site's newest (a sample of 2) hold none of the user's own: the page is not read row by row
		self.addCleanup(setattr, permissions, "NEWEST_SAMPLE", permissions.NEWEST_SAMPLE)
		permissions.NEWEST_SAMPLE = 2
		# oldest to newest: own 0-2, team 0-1 (another's, the user in the Sales Team), others 0-1
		deals = make_deals_of_a_salesperson()
		self.user, self.own, self.team, self.others = deals.user, deals.own, deals.team, deals.others
		frappe.set_user(self.user)

	def tearDown(self):
		frappe.set_user("Administrator")

	def page(self, page_length: int, start: int = 0, order: str = "modified", filters=None) -> list[str]:
		"""The desk's list page, through the method Frappe's handler runs for `reportview.get`; the SQL it
		ran is kept in `self.statements`."""
		frappe.local.form_dict = frappe._dict(
			cmd="frappe.desk.reportview.get",
			doctype="Opportunity",
			fields='["`tabOpportunity`.`name`", "`tabOpportunity`.`title`"]',
			filters=frappe.as_json(filters or []),
			order_by=f"`tabOpportunity`.`{order}` desc",
			start=start,
			page_length=page_length,
			view="List",
			group_by="",
		)
		forget_cached_restrictions()
		method = frappe.get_attr(frappe.override_whitelisted_method("frappe.desk.reportview.get"))
		self.statements = []
		original = frappe.db.sql
		frappe.db.sql = lambda query, *args, **kwargs: (
			self.statements.append(str(query)) or original(query, *args, **kwargs)
		)
		try:
			data = frappe.call(method, **frappe.local.form_dict)
		finally:
			frappe.db.sql = original
		if not data:
			return []
		at = data["keys"].index("name")
		return [row[at] for row in data["values"]]

	def page_queries(self) -> list[str]:
		# v15 names the columns `tabOpportunity`.`title`, v16 `title` FROM `tabOpportunity`
		return [query for query in self.statements if "`title`" in query and "`tabOpportunity`" in query]

	def test_the_newest_page_is_read_by_the_names_the_indexes_give(self):
		# newest first, the user's: team 1, team 0, own 2, own 1, own 0
		self.assertEqual(self.page(3), [self.team[1], self.team[0], self.own[2]])
		queries = self.page_queries()
		self.assertEqual(len(queries), 1, queries)  # the page was whole: not read again
		self.assertTrue(narrowed(queries[0]), queries[0])
		self.assertEqual(self.page(2, start=3), [self.own[1], self.own[0]])
		self.assertTrue(narrowed(self.page_queries()[0]))

	def test_frappe_16s_order_by_creation_is_served_too(self):
		# created oldest to newest as set up (the team's save changed `modified`, not `creation`)
		self.assertEqual(self.page(3, order="creation"), [self.team[1], self.team[0], self.own[2]])
		self.assertTrue(narrowed(self.page_queries()[0]))

	def test_a_filter_that_leaves_the_names_short_reads_the_page_again(self):
		# not team 1: the names (team 1, team 0, own 2) give 2 rows; read again, the ordinary way
		listed = self.page(3, filters=[["Opportunity", "name", "!=", self.team[1]]])
		self.assertEqual(listed, [self.team[0], self.own[2], self.own[1]])
		queries = self.page_queries()
		self.assertEqual(len(queries), 2, queries)
		self.assertFalse(narrowed(queries[1]), queries[1])

	def test_a_shared_older_opportunity_never_completes_a_short_page(self):
		"""Frappe adds the user's shared documents to the condition with an OR: a shared Opportunity older
		than the names fills the third row of the narrowed query, which is then not whole (a row that is not
		one of the names): the page is read again and own 1, newer than the shared one, is on it."""
		frappe.set_user("Administrator")
		shared = convert(make_lead(), sales_person=make_sales_person())
		frappe.db.set_value("Opportunity", shared, "modified", "2000-01-01 00:00:00", update_modified=False)
		share("Opportunity", shared, user=self.user, read=1)
		frappe.set_user(self.user)
		listed = self.page(3, filters=[["Opportunity", "name", "!=", self.team[1]]])
		self.assertEqual(listed, [self.team[0], self.own[2], self.own[1]])
		self.assertEqual(len(self.page_queries()), 2)

	def test_a_db_set_moves_the_team_rows_with_the_opportunity(self):
		frappe.set_user("Administrator")
		doc = frappe.get_doc("Opportunity", self.team[0])
		doc.db_set("title", "Moved by db_set")  # as ERPNext sets the status from a Quotation
		rows = team_rows_modified(self.team[0])
		self.assertEqual(set(rows), {frappe.db.get_value("Opportunity", self.team[0], "modified")})
		frappe.set_user(self.user)
		self.assertEqual(self.page(1), [self.team[0]])
		self.assertTrue(narrowed(self.page_queries()[0]))

	def test_erpnexts_quotation_moves_the_team_rows_with_the_opportunity(self):
		"""ERPNext's own flow: a Quotation made from the Opportunity (`make_quotation`) and submitted sets the
		Opportunity's status by `db_set`; its team rows follow, and it heads the member's page."""
		frappe.set_user("Administrator")
		add_wish(self.team[0])
		before = frappe.db.get_value("Opportunity", self.team[0], "modified")
		make_submitted_quotation(self.team[0])
		self.assertEqual(frappe.db.get_value("Opportunity", self.team[0], "status"), "Quotation")
		modified = frappe.db.get_value("Opportunity", self.team[0], "modified")
		self.assertGreater(modified, before)
		self.assertEqual(set(team_rows_modified(self.team[0])), {modified})
		frappe.set_user(self.user)
		self.assertEqual(self.page(1), [self.team[0]])

	def test_the_patch_aligns_team_rows_an_earlier_db_set_left_behind(self):
		"""History from before the app kept them in step: an Opportunity whose `modified` a `db_set` moved
		alone (written here as that db_set left it); the patch gives its team rows the Opportunity's."""
		from opportunity_crm.patches.index_team_members_newest_first import execute

		frappe.set_user("Administrator")
		frappe.db.set_value(
			"Opportunity", self.team[0], "modified", frappe.utils.now(), update_modified=False
		)
		modified = frappe.db.get_value("Opportunity", self.team[0], "modified")
		self.assertNotIn(modified, team_rows_modified(self.team[0]))
		execute()
		self.assertEqual(set(team_rows_modified(self.team[0])), {modified})
		frappe.set_user(self.user)
		self.assertEqual(self.page(1), [self.team[0]])

	def test_a_user_with_fewer_opportunities_than_the_page_gets_the_ordinary_page(self):
		self.assertEqual(self.page(20), [*reversed(self.team), *reversed(self.own)])
		queries = self.page_queries()
		self.assertEqual(len(queries), 1)
		self.assertFalse(narrowed(queries[0]), queries[0])


def team_rows_modified(opportunity: str) -> list:
	return frappe.get_all(
		"Sales Team", filters={"parenttype": "Opportunity", "parent": opportunity}, pluck="modified"
	)
