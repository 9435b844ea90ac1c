from opportunity_crm.channel.deal_keys import set_keys_from_sources


def set_matching_keys(doc, method=None):
	"""The keys Deal Registrations are matched on, from the company name and website."""
	set_keys_from_sources(doc)
