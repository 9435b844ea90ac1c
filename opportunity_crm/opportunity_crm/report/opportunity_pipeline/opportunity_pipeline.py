"""Opportunity Pipeline: count, amount, weighted amount and conversions, grouped by Sales Partner, Sales
Partner Kind (Individual / Company), Sales Person, Sales Stage or Company. One query; the user's
permissions (row-level access included) apply. Converted is won, as everywhere (`opportunities/won.py`: it became a
Customer or got a Sales Order, or ERPNext set it Converted).
Amounts are in the company's currency: the sums of `base_opportunity_amount` and `base_weighted_amount`
(defined once, in `opportunity_crm.forecasting.probability`)."""

import frappe
from frappe import _
from frappe.utils import flt

from opportunity_crm.opportunities.permissions import match_condition
from opportunity_crm.opportunities.won import won_sql

# Group By -> the grouped column
GROUPS = {
	"Sales Partner": "`tabOpportunity`.`sales_partner`",
	"Sales Partner Kind": "`partner`.`partner_kind`",
	"Sales Person": "`tabOpportunity`.`sales_person`",
	"Sales Stage": "`tabOpportunity`.`sales_stage`",
	"Company": "`tabOpportunity`.`company`",
}
# the table a group's column comes from, when it is not the Opportunity's
GROUP_JOINS = {
	"Sales Partner Kind": "left join `tabSales Partner` `partner` "
	"on `partner`.`name` = `tabOpportunity`.`sales_partner`",
}
# a group that is not a doctype shows as text
GROUP_FIELDTYPES = {"Sales Partner Kind": "Data"}
FILTER_FIELDS = ("company", "status", "sales_partner", "sales_person", "sales_stage")


def execute(filters=None):
	filters = frappe._dict(filters or {})
	group_by = filters.get("group_by") or "Sales Stage"
	if group_by not in GROUPS:
		frappe.throw(_("Group By must be one of: {0}").format(", ".join(_(g) for g in GROUPS)))

	rows = get_rows(filters, group_by)
	return get_columns(group_by), rows, None, get_chart(rows, group_by), get_summary(rows, filters)


def get_rows(filters, group_by: str) -> list[dict]:
	group_column = GROUPS[group_by]
	conditions, values = ["1=1"], {}
	for field in FILTER_FIELDS:
		if filters.get(field):
			conditions.append(f"`tabOpportunity`.`{field}` = %({field})s")
			values[field] = filters[field]
	if filters.get("from_date"):
		conditions.append("`tabOpportunity`.`transaction_date` >= %(from_date)s")
		values["from_date"] = filters.from_date
	if filters.get("to_date"):
		conditions.append("`tabOpportunity`.`transaction_date` <= %(to_date)s")
		values["to_date"] = filters.to_date

	rows = frappe.db.sql(
		f"""
		select
			{group_column} as `group_value`,
			count(*) as `count`,
			sum(`tabOpportunity`.`base_opportunity_amount`) as `amount`,
			sum(`tabOpportunity`.`base_weighted_amount`) as `weighted_amount`,
			sum({won_sql("`tabOpportunity`")}) as `converted`
		from `tabOpportunity`
		{GROUP_JOINS.get(group_by, "")}
		where {" and ".join(conditions)} {match_condition("Opportunity")}
		group by {group_column}
		order by `amount` desc
		""",
		values,
		as_dict=True,
	)
	for row in rows:
		row.conversion_rate = flt(row.converted * 100 / row.count, 1) if row.count else 0
		row.weighted_amount = flt(row.weighted_amount, 2)
	return rows


def get_columns(group_by: str) -> list[dict]:
	return [
		{
			"fieldname": "group_value",
			"label": _(group_by),
			"fieldtype": GROUP_FIELDTYPES.get(group_by, "Link"),
			"options": None if group_by in GROUP_FIELDTYPES else group_by,
			"width": 220,
		},
		{"fieldname": "count", "label": _("Opportunities"), "fieldtype": "Int", "width": 120},
		{"fieldname": "amount", "label": _("Amount"), "fieldtype": "Currency", "width": 160},
		{
			"fieldname": "weighted_amount",
			"label": _("Weighted Amount"),
			"fieldtype": "Currency",
			"width": 160,
		},
		{"fieldname": "converted", "label": _("Converted"), "fieldtype": "Int", "width": 110},
		{
			"fieldname": "conversion_rate",
			"label": _("Conversion Rate (%)"),
			"fieldtype": "Percent",
			"width": 150,
		},
	]


def get_summary(rows: list[dict], filters: dict) -> list[dict]:
	"""The totals, above the table (a summed total row would average the conversion rates), in the
	currency of the Company filtered on (else the user's)."""
	count = sum(row.count for row in rows)
	converted = sum(row.converted for row in rows)
	company = filters.get("company") or frappe.defaults.get_user_default("Company")
	currency = frappe.get_cached_value("Company", company, "default_currency")
	return [
		{"label": _("Opportunities"), "value": count, "datatype": "Int", "indicator": "Blue"},
		{
			"label": _("Amount"),
			"value": sum(flt(row.amount) for row in rows),
			"datatype": "Currency",
			"currency": currency,
		},
		{
			"label": _("Weighted Amount"),
			"value": sum(flt(row.weighted_amount) for row in rows),
			"datatype": "Currency",
			"currency": currency,
			"indicator": "Green",
		},
		{"label": _("Converted"), "value": converted, "datatype": "Int"},
		{
			"label": _("Conversion Rate (%)"),
			"value": flt(converted * 100 / count, 1) if count else 0,
			"datatype": "Percent",
		},
	]


def get_chart(rows: list[dict], group_by: str) -> dict:
	return {
		"data": {
			"labels": [row.group_value or _("Not Set") for row in rows],
			"datasets": [
				{"name": _("Amount"), "values": [row.amount for row in rows]},
				{"name": _("Weighted Amount"), "values": [row.weighted_amount for row in rows]},
			],
		},
		"type": "bar",
		"fieldtype": "Currency",
		"title": _("Pipeline by {0}").format(_(group_by)),
	}
