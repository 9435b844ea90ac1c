from opportunity_crm.channel.deal_keys import backfill_keys, ensure_registration_key_indexes


def execute():
	"""The matching keys changed form: the domain is the registrable domain of the Public Suffix List or a
	shared platform's account, the phone is E.164. Every Lead, Customer, Prospect and Deal Registration is
	keyed again (only rows whose keys change are written); Deal Registration gets its (key, status) indexes
	for the conflict check's locking read."""
	ensure_registration_key_indexes()
	backfill_keys()
