import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields as _create_custom_fields
from frappe.custom.doctype.property_setter.property_setter import make_property_setter

from opportunity_crm.channel.deal_expiry import set_default_registration_days
from opportunity_crm.channel.deal_keys import backfill_keys, ensure_registration_key_indexes
from opportunity_crm.constants.custom_fields import (
	CUSTOM_FIELDS,
	DEFAULT_STAGE_FORECAST_CATEGORIES,
	DEFAULT_STAGE_PROBABILITIES,
	PROPERTY_SETTERS,
)
from opportunity_crm.forecasting.forecast import ensure_forecast_indexes
from opportunity_crm.forecasting.forecast_category import backfill_forecast_categories
from opportunity_crm.forecasting.movement import backfill_dates, ensure_movement_indexes
from opportunity_crm.forecasting.probability import backfill_weighted_amounts
from opportunity_crm.opportunities.history import backfill_history
from opportunity_crm.opportunities.permissions import ensure_access_indexes, remove_access_indexes
from opportunity_crm.setup.notifications import create_notifications


def after_install():
	create_custom_fields()
	ensure_access_indexes()
	backfill_history()
	set_default_stage_probabilities()
	backfill_weighted_amounts()
	set_default_stage_forecast_categories()
	backfill_forecast_categories()
	ensure_forecast_indexes()
	ensure_movement_indexes()
	backfill_dates()  # nothing to do on a first install: the log starts empty
	ensure_partner_user_role()
	ensure_deal_registration_workflow()
	grant_role_permissions()
	ensure_registration_key_indexes()
	backfill_keys()
	set_default_registration_days()
	create_notifications()
	ship_opportunity_list_columns()
	# New installs start with row-level access on; a site that upgrades gets the settings doctype with
	# the switch off (its default), so nobody loses access by surprise.
	frappe.db.set_single_value("Opportunity CRM Settings", "enable_row_level_access", 1)


def before_uninstall():
	"""Take away what install made (README, "Install"): the custom fields and property
	setters, the rules given to roles, the partner users' User Permissions, the Workflow and the roles, the
	partner channel's Notifications."""
	from opportunity_crm.channel.partner_users import remove_partner_user_permissions
	from opportunity_crm.setup import list_view, role_permissions, workflow
	from opportunity_crm.setup.notifications import delete_notifications

	delete_custom_fields()
	list_view.remove()
	role_permissions.revoke()
	remove_partner_user_permissions()
	workflow.remove()
	delete_notifications()


def after_uninstall():
	"""The row-level access indexes (those on ERPNext's own columns would outlive the app): after Frappe's
	uninstall has committed, since dropping an index ends the transaction."""
	remove_access_indexes()


def create_custom_fields():
	"""Create or update the app's custom fields and property setters; safe to run any number of times."""
	_create_custom_fields(CUSTOM_FIELDS, ignore_validate=True, update=True)
	for setter in PROPERTY_SETTERS:
		make_property_setter(
			setter["doctype"],
			setter["fieldname"],
			setter["property"],
			setter["value"],
			setter["property_type"],
			for_doctype=setter.get("for_doctype", False),
			validate_fields_for_doctype=False,
		)
	frappe.db.sql(
		"update `tabSales Partner` set partner_kind = 'Company' where ifnull(partner_kind, '') = ''"
	)


def delete_custom_fields():
	"""Remove the app's custom fields and property setters. The columns and their values stay, as Frappe
	leaves them."""
	for doctype, fields in CUSTOM_FIELDS.items():
		frappe.db.delete(
			"Custom Field", {"dt": doctype, "fieldname": ("in", [field["fieldname"] for field in fields])}
		)
		frappe.clear_cache(doctype=doctype)
	for setter in PROPERTY_SETTERS:
		frappe.db.delete(
			"Property Setter",
			{
				"doc_type": setter["doctype"],
				"doctype_or_field": "DocType" if setter.get("for_doctype") else "DocField",
				**({} if setter.get("for_doctype") else {"field_name": setter["fieldname"]}),
				"property": setter["property"],
			},
		)
		frappe.clear_cache(doctype=setter["doctype"])


def set_default_stage_probabilities():
	"""Give ERPNext's standard Sales Stages a probability where the site has none; create missing ones."""
	for stage, probability in DEFAULT_STAGE_PROBABILITIES.items():
		if not frappe.db.exists("Sales Stage", stage):
			frappe.get_doc(
				{"doctype": "Sales Stage", "stage_name": stage, "probability": probability}
			).insert(ignore_permissions=True)
		elif not frappe.db.get_value("Sales Stage", stage, "probability"):
			frappe.db.set_value("Sales Stage", stage, "probability", probability, update_modified=False)


def set_default_stage_forecast_categories():
	"""Give ERPNext's standard Sales Stages a forecast category where the site has none (the stages exist:
	`set_default_stage_probabilities` made the missing ones)."""
	for stage, category in DEFAULT_STAGE_FORECAST_CATEGORIES.items():
		if frappe.db.exists("Sales Stage", stage) and not frappe.db.get_value(
			"Sales Stage", stage, "forecast_category"
		):
			frappe.db.set_value("Sales Stage", stage, "forecast_category", category, update_modified=False)


def before_tests():
	"""Complete ERPNext's setup wizard (a Company, fiscal year, defaults) so the suite can run."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
	ensure_partner_user_role()
	ensure_deal_registration_workflow()
	ensure_test_outgoing_email_account()


def ensure_test_outgoing_email_account() -> None:
	"""A default outgoing Email Account for the suite, whatever order its modules run in: the partner
	channel's mails are queued in tests (Frappe sends nothing there), and without an account Frappe v16's
	stand-in sender has no address and fails."""
	if frappe.db.exists("Email Account", {"default_outgoing": 1}):
		return
	frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": "Opportunity CRM Tests Outgoing",
			"email_id": "opportunity-crm-tests@example.com",
			"enable_outgoing": 1,
			"default_outgoing": 1,
			"smtp_server": "localhost",
			"no_smtp_authentication": 1,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()


def ensure_deal_registration_workflow() -> None:
	"""The role Channel Manager and the Workflow of Deal Registrations (`setup.workflow`), where missing."""
	from opportunity_crm.setup import workflow

	workflow.ensure()


def ensure_partner_user_role() -> None:
	"""The role of partner users (`channel.partner_users`): a Website User's, no desk access."""
	from opportunity_crm.channel.partner_users import ensure_role

	ensure_role()


def grant_role_permissions() -> None:
	"""What the Channel Manager may do on ERPNext's doctypes, read on Workflow (`setup.role_permissions`);
	install and the patch of the same name."""
	from opportunity_crm.setup import role_permissions

	role_permissions.grant()


def ship_opportunity_list_columns() -> None:
	"""The Opportunity list's columns (Sales Partner, Sales Person, Weighted Amount), where the site has no
	List View Settings of its own (`setup.list_view`); install and the patch ship_opportunity_list_columns."""
	from opportunity_crm.setup import list_view

	list_view.ship()
