import frappe

from opportunity_crm.setup.install import ensure_access_indexes


def execute():
	"""A salesperson's list page reads the newest Opportunities of their Sales Team rows by an index on
	(sales_person, parenttype, modified | creation) (`opportunities.newest_page`): the indexes, and each
	Opportunity's team rows given its `modified` where a `db_set` moved the Opportunity's alone (from now on
	`sales_team.keep_rows_modified_with_the_opportunity` keeps them so)."""
	ensure_access_indexes()
	frappe.db.sql(
		"""update `tabSales Team` `st` join `tabOpportunity` `o` on `o`.`name` = `st`.`parent`
		set `st`.`modified` = `o`.`modified`
		where `st`.`parenttype` = 'Opportunity' and `st`.`parentfield` = 'sales_team'
		and `st`.`modified` <> `o`.`modified`"""
	)
