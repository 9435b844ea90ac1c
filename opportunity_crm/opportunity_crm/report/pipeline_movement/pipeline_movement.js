const DRILLABLE = [
	"new_deals",
	"forward",
	"back",
	"pushed",
	"amount_up",
	"amount_down",
	"won",
	"lost",
	"closed",
	"open_deals",
	"avg_days_in_stage",
	"stale",
];

frappe.query_reports["Pipeline Movement"] = {
	onload() {
		// the app's workspace, not the module of the report's doctype (Opportunity: CRM)
		frappe.breadcrumbs.add("Opportunity CRM");
	},

	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
		},
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -6),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		{
			fieldname: "sales_person",
			label: __("Sales Person or Team"),
			fieldtype: "Link",
			options: "Sales Person",
		},
		{
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			options: [
				{ value: "Sales Person", label: __("Group by {0}", [__("Sales Person")]) },
				{ value: "Parent Team", label: __("Group by {0}", [__("Parent Team")]) },
			],
			default: "Sales Person",
			reqd: 1,
		},
		{
			fieldname: "stale_days",
			label: __("Stale After (Days)"),
			fieldtype: "Int",
			default: 14,
			reqd: 1,
		},
	],

	// Drill-down: each number opens the Opportunity list filtered to the Opportunities behind it.
	formatter(value, row, column, data, default_formatter) {
		const formatted = default_formatter(value, row, column, data);
		if (!data || !DRILLABLE.includes(column.fieldname) || !value) return formatted;
		const group = frappe.utils.escape_html(data.group_value || "");
		return `<a class="pipeline-movement-drill" data-group="${group}" data-column="${column.fieldname}"
			onclick="frappe.query_reports['Pipeline Movement'].drill_down(this); return false;"
			href="#">${formatted}</a>`;
	},

	drill_down(link) {
		frappe.call({
			method: "opportunity_crm.opportunity_crm.report.pipeline_movement.pipeline_movement.drill_down",
			args: {
				filters: frappe.query_report.get_filter_values(),
				group_value: link.dataset.group || null,
				column: link.dataset.column,
			},
			callback({ message }) {
				const names = message || [];
				if (!names.length) {
					frappe.msgprint(__("No Opportunities"));
					return;
				}
				if (names.length >= 1000) {
					frappe.show_alert({ message: __("Showing the first {0} Opportunities", [names.length]) });
				}
				frappe.route_options = { name: ["in", names] };
				frappe.set_route("List", "Opportunity", "List");
			},
		});
	},
};
