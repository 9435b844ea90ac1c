from opportunity_crm.setup.install import grant_role_permissions


def execute():
	grant_role_permissions()
