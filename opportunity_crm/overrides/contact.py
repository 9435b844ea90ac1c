"""Contact: an Opportunity that has a Quotation, a Sales Order or a Customer keeps a linked Contact."""

from opportunity_crm.crm.link_rules import check_deleted, check_merged, check_unlinked


def validate(doc, method=None):
	check_unlinked(doc)


def on_trash(doc, method=None):
	check_deleted(doc)


def before_rename(doc, method=None, old=None, new=None, merge=False):
	check_merged(doc, new, merge)
