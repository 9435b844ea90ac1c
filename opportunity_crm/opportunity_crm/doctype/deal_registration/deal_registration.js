// Deal Registration: the Workflow's actions (Actions menu) are Frappe's own. A channel manager's decision
// (Approve, Reject, Return) asks for its Sales Person and reason in a dialog and goes through
// opportunity_crm.api, which applies the same action with them, all or nothing. (Frappe v16's menu first
// reads the Workflow's `enable_action_confirmation`: the roles that act here have read on Workflow,
// setup/role_permissions.py.)

const DECISION_METHODS = {
	Approve: "opportunity_crm.api.approve_deal_registration",
	Reject: "opportunity_crm.api.reject_deal_registration",
	Return: "opportunity_crm.api.return_deal_registration",
};

frappe.ui.form.on("Deal Registration", {
	refresh(frm) {
		show_conflicts(frm);
		for (const [label, doctype, name] of [
			[__("Lead"), "Lead", frm.doc.lead],
			[__("Opportunity"), "Opportunity", frm.doc.opportunity],
		]) {
			if (name) {
				frm.add_custom_button(label, () => frappe.set_route("Form", doctype, name), __("View"));
			}
		}
	},

	before_workflow_action(frm) {
		const action = frm.selected_workflow_action;
		if (!DECISION_METHODS[action]) return; // Submit: Frappe applies it, the server checks conflicts
		frappe.dom.unfreeze();
		// the promise stays pending: the dialog applies the action itself, Frappe's call must not run
		return new Promise(() => ask_decision(frm, action));
	},
});

function ask_decision(frm, action) {
	const approving = action === "Approve";
	const dialog = new frappe.ui.Dialog({
		title: __("{0}: {1}", [__(action), frm.doc.prospect_name]),
		fields: [
			{
				fieldname: "sales_person",
				fieldtype: "Link",
				label: __("Sales Person"),
				options: "Sales Person",
				reqd: approving ? 1 : 0,
				hidden: approving ? 0 : 1,
				default: frm.doc.sales_person,
				get_query: () => ({ filters: { is_group: 0, enabled: 1 } }),
			},
			{
				fieldname: "reason",
				fieldtype: "Small Text",
				label: __("Reason (the partner is told)"),
				reqd: approving ? 0 : 1,
			},
		],
		primary_action_label: __(action),
		primary_action(values) {
			const args = { name: frm.doc.name, reason: values.reason || null };
			if (approving) args.sales_person = values.sales_person;
			frappe.call({ method: DECISION_METHODS[action], args, freeze: true }).then(() => {
				dialog.hide();
				frm.reload_doc();
			});
		},
	});
	dialog.show();
}

function show_conflicts(frm) {
	const conflicts = (frm.doc.matches || []).filter((row) => row.conflict);
	if (conflicts.length) {
		frm.dashboard.set_headline_alert(
			__("Conflict: {0} is protected by another partner's approved registration ({1}).", [
				frappe.utils.escape_html(frm.doc.prospect_name || ""),
				conflicts.map((row) => frappe.utils.escape_html(row.match_name)).join(", "),
			]),
			"red"
		);
	} else if ((frm.doc.matches || []).length) {
		const records = new Set(frm.doc.matches.map((row) => `${row.match_doctype}/${row.match_name}`));
		frm.dashboard.set_headline_alert(
			__("{0} existing records share a key with this prospect: see Matches.", [records.size]),
			"orange"
		);
	}
}
