app_name = "opportunity_crm"
app_title = "Opportunity CRM"
app_publisher = "Opportunity CRM developers"
app_description = "Opportunity pipeline rules for ERPNext"
app_email = "dev@opportunity-crm.invalid"
app_license = "gpl-3.0"
required_apps = ["frappe/erpnext"]

# Install, uninstall and tests
# ----------------------------
after_install = "opportunity_crm.setup.install.after_install"
before_uninstall = "opportunity_crm.setup.install.before_uninstall"
before_tests = "opportunity_crm.setup.install.before_tests"

# ERPNext doctypes: controllers stay ERPNext's, the rules hook in here
# ----------------------------------------------------------------------
doc_events = {
	"Lead": {
		"onload": "opportunity_crm.overrides.lead.onload",
		"before_rename": "opportunity_crm.overrides.lead.before_rename",
	},
	"Opportunity": {
		"onload": "opportunity_crm.overrides.opportunity.onload",
		"before_validate": "opportunity_crm.overrides.opportunity.before_validate",
		"validate": "opportunity_crm.overrides.opportunity.validate",
		"after_insert": "opportunity_crm.overrides.opportunity.after_insert",
		"on_trash": "opportunity_crm.overrides.opportunity.on_trash",
		"before_rename": "opportunity_crm.overrides.opportunity.before_rename",
		"after_rename": "opportunity_crm.overrides.opportunity.after_rename",
	},
	"Customer": {
		"after_mapping": "opportunity_crm.overrides.customer.set_prospect",
		"validate": "opportunity_crm.overrides.customer.validate",
		"on_update": "opportunity_crm.overrides.customer.on_update",
		"on_trash": "opportunity_crm.overrides.customer.on_trash",
		"before_rename": "opportunity_crm.overrides.customer.before_rename",
		"after_rename": "opportunity_crm.overrides.customer.after_rename",
	},
	"Quotation": {
		"before_validate": "opportunity_crm.overrides.quotation.before_validate",
		"validate": "opportunity_crm.overrides.quotation.validate",
	},
	"Sales Stage": {
		"on_update": "opportunity_crm.crm.probability.follow_stage",
	},
	"Sales Order": {
		"after_mapping": "opportunity_crm.overrides.sales_order.after_mapping",
		"before_validate": "opportunity_crm.overrides.sales_order.before_validate",
		"after_insert": "opportunity_crm.overrides.sales_order.after_insert",
	},
	"Communication": {
		"before_insert": "opportunity_crm.overrides.communication.point_at_leads_opportunity",
	},
	"Address": {
		"validate": "opportunity_crm.overrides.address.validate",
		"on_trash": "opportunity_crm.overrides.address.on_trash",
		"before_rename": "opportunity_crm.overrides.address.before_rename",
	},
	"Contact": {
		"validate": "opportunity_crm.overrides.contact.validate",
		"on_trash": "opportunity_crm.overrides.contact.on_trash",
		"before_rename": "opportunity_crm.overrides.contact.before_rename",
	},
}

# Bad input to REST writes of the guarded doctypes gets a 417 naming the field, not a server error. A
# request hook because Frappe fails on it before any document event runs (see the module); it returns at
# once for every other request.
before_request = ["opportunity_crm.overrides.request_guard.check_resource_write"]

# Row-level access (Opportunity CRM Settings)
permission_query_conditions = {
	"Opportunity": "opportunity_crm.permissions.opportunity_conditions",
	"Quotation": "opportunity_crm.permissions.quotation_conditions",
	"Sales Order": "opportunity_crm.permissions.sales_order_conditions",
}

has_permission = {
	"Opportunity": "opportunity_crm.permissions.opportunity_has_permission",
	"Quotation": "opportunity_crm.permissions.quotation_has_permission",
	"Sales Order": "opportunity_crm.permissions.sales_order_has_permission",
}

override_doctype_dashboards = {
	"Opportunity": "opportunity_crm.overrides.dashboards.opportunity",
	"Sales Partner": "opportunity_crm.overrides.dashboards.sales_partner",
	"Sales Person": "opportunity_crm.overrides.dashboards.sales_person",
}

doctype_js = {
	"Opportunity": "public/js/opportunity.js",
	"Lead": "public/js/lead.js",
}

doctype_list_js = {
	"Lead": "public/js/lead_list.js",
	"Opportunity": "public/js/opportunity_list.js",
}
