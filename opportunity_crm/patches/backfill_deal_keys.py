from opportunity_crm.channel.deal_expiry import set_default_registration_days
from opportunity_crm.channel.deal_keys import backfill_keys
from opportunity_crm.setup.install import create_custom_fields


def execute():
	"""The matching keys of Deal Registrations are new: give every Lead, Customer and Prospect its keys,
	as a save would, and the settings their default protection and notice days."""
	create_custom_fields()  # the key columns, whatever order the patches run in
	backfill_keys()
	set_default_registration_days()
