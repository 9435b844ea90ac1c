from opportunity_crm.setup.install import create_custom_fields


def execute():
	create_custom_fields()
