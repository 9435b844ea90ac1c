// Opportunity list ▸ Actions ▸ Reassign Sales Person: hand the selected Opportunities to someone else.
(() => {
	const settings = (frappe.listview_settings["Opportunity"] =
		frappe.listview_settings["Opportunity"] || {});
	const erpnext_onload = settings.onload;

	settings.onload = function (listview) {
		if (erpnext_onload) erpnext_onload(listview);
		if (!frappe.model.can_write("Opportunity")) return;

		listview.page.add_actions_menu_item(__("Reassign Sales Person"), () => {
			const opportunities = listview.get_checked_items(true);
			if (!opportunities.length) return;
			const dialog = new frappe.ui.Dialog({
				title: __("Reassign {0} Opportunities", [opportunities.length]),
				fields: [
					{
						fieldname: "sales_person",
						fieldtype: "Link",
						options: "Sales Person",
						label: __("New Sales Person"),
						reqd: 1,
						get_query: () => ({ filters: { enabled: 1, is_group: 0 } }),
					},
				],
				primary_action_label: __("Reassign"),
				primary_action({ sales_person }) {
					dialog.hide();
					frappe.call({
						method: "opportunity_crm.api.reassign_sales_person",
						args: { opportunities, sales_person },
						freeze: true,
						callback: ({ message }) => {
							show_reassignment_summary(message);
							listview.refresh();
						},
					});
				},
			});
			dialog.show();
		});
	};

	function show_reassignment_summary(summary) {
		const link = (name) => opportunity_crm.form_link("Opportunity", name);
		opportunity_crm.show_bulk_summary(
			__("Reassigned {0}, skipped {1}, failed {2}", [
				summary.reassigned.length,
				summary.skipped.length,
				summary.failed.length,
			]),
			[
				...summary.reassigned.map((r) => [
					link(r.opportunity),
					__("Reassigned"),
					__("from {0}", [frappe.utils.escape_html(r.from || "-")]),
				]),
				...summary.skipped.map((r) => [
					link(r.opportunity),
					__("Skipped"),
					frappe.utils.escape_html(r.reason),
				]),
				...summary.failed.map((r) => [
					link(r.opportunity),
					__("Failed"),
					frappe.utils.escape_html(r.reason),
				]),
			]
		);
	}
})();
