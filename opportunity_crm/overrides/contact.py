"""Contact: an Opportunity that has a Quotation, a Sales Order or a Customer keeps a linked Contact."""

from opportunity_crm.opportunities.link_rules import check_deleted, check_merged, check_unlinked


def keep_the_last_link_of_an_opportunity(doc, method=None):
	check_unlinked(doc)


def refuse_deleting_the_last_of_an_opportunity(doc, method=None):
	check_deleted(doc)


def refuse_merging_away_the_last_of_an_opportunity(doc, method=None, old=None, new=None, merge=False):
	check_merged(doc, new, merge)
