const FORECAST_METHOD = "opportunity_crm.opportunity_crm.report.opportunity_forecast.opportunity_forecast";
// measures whose cells open the documents behind them
const DRILLABLE = ["achieved", "commit_amount", "best_case", "weighted_pipeline"];

frappe.query_reports["Opportunity Forecast"] = {
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
		},
		{
			fieldname: "period",
			label: __("Period"),
			fieldtype: "Select",
			options: [
				{ value: "Month", label: __("Month") },
				{ value: "Quarter", label: __("Quarter") },
			],
			default: "Month",
			reqd: 1,
		},
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			// this quarter and the next: the deals a sales manager is working on (as the server's default)
			default: frappe.datetime.quarter_start(),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: moment().add(1, "quarter").endOf("quarter").format(),
			reqd: 1,
		},
		{
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			options: ["Sales Person", "Sales Partner", "Company"].map((group) => ({
				value: group,
				label: __("Group by {0}", [__(group)]),
			})),
			default: "Sales Person",
			reqd: 1,
		},
		{
			fieldname: "value",
			label: __("Value"),
			fieldtype: "Select",
			options: [
				{ value: "All Measures", label: __("All Measures") },
				{ value: "target", label: __("Target") },
				{ value: "achieved", label: __("Achieved") },
				{ value: "commit_amount", label: __("Commit") },
				{ value: "best_case", label: __("Best Case") },
				{ value: "weighted_pipeline", label: __("Weighted Pipeline") },
				{ value: "gap", label: __("Gap") },
			],
			default: "All Measures",
			reqd: 1,
		},
		{
			fieldname: "compare_snapshot",
			label: __("Compare with Snapshot"),
			fieldtype: "Select",
			options: [""],
		},
	],

	onload(report) {
		// the app's workspace, not the module of the report's doctype (Opportunity: CRM)
		frappe.breadcrumbs.add("Opportunity CRM");
		// the snapshot dates that exist, newest first
		frappe.call(`${FORECAST_METHOD}.get_snapshot_dates`).then(({ message }) => {
			const filter = report.get_filter("compare_snapshot");
			filter.df.options = [""].concat(
				(message || []).map((date) => ({ value: date, label: frappe.datetime.str_to_user(date) }))
			);
			filter.refresh();
			// a date given in the route was set before its option existed: run again with it
			if (frappe.route_options?.compare_snapshot || filter.get_value()) {
				filter.set_input(frappe.route_options?.compare_snapshot || filter.get_value());
				report.refresh();
			}
		});
	},

	// Drill-down: a number of achieved, commit, best case or weighted pipeline opens the documents behind it.
	formatter(value, row, column, data, default_formatter) {
		const formatted = default_formatter(value, row, column, data);
		const [measure, period, change] = (column.fieldname || "").split("__");
		if (!data || change || !DRILLABLE.includes(measure) || !value || !data.group_value) return formatted;
		const args = encodeURIComponent(
			JSON.stringify({ group_value: data.group_value, period: period.replace("_", "-"), measure })
		);
		return `<a class="opportunity-forecast-drill" data-args="${args}">${formatted}</a>`;
	},

	drill_down(args) {
		frappe
			.call(`${FORECAST_METHOD}.drill_down`, {
				filters: frappe.query_report.get_filter_values(),
				...args,
			})
			.then(({ message }) => {
				if (!message || !message.names.length) return;
				if (message.names.length >= 1000 && message.doctype === "Opportunity") {
					frappe.show_alert(__("Showing the first {0} Opportunities", [message.names.length]));
				}
				frappe.route_options = { name: ["in", message.names] };
				frappe.set_route("List", message.doctype);
			});
	},
};

$(document).on("click", ".opportunity-forecast-drill", function (event) {
	event.preventDefault();
	const args = JSON.parse(decodeURIComponent($(this).attr("data-args")));
	frappe.query_reports["Opportunity Forecast"].drill_down(args);
});
