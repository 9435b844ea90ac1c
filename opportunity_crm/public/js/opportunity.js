// Opportunity form additions of opportunity_crm (ERPNext's own form script runs first).
frappe.ui.form.on("Opportunity", {
	setup(frm) {
		frm.set_query("sales_person", () => ({ filters: { enabled: 1, is_group: 0 } }));
	},

	refresh(frm) {
		show_split_credit_columns(frm);
		if (frm.is_new()) return;
		link_new_addresses_and_contacts_to_opportunity(frm);
		if (frm.doc.customer) {
			// It became a Customer already: a second one would be refused.
			frm.remove_custom_button(__("Customer"), __("Create"));
		}
		explain_refused_conversions(frm);
	},

	async sales_stage(frm) {
		if (!frm.doc.sales_stage || frm.doc.probability_overridden) return;
		const { message } = await frappe.db.get_value("Sales Stage", frm.doc.sales_stage, "probability");
		if (message) frm.set_value("probability", message.probability);
	},

	// ERPNext's handler of the same event points new Addresses/Contacts at the Lead or Customer; this one
	// runs after it.
	set_contact_link(frm) {
		if (!frm.is_new()) link_new_addresses_and_contacts_to_opportunity(frm);
	},
});

// The Sales Team grid of an Opportunity shows who, their share and whether it is overlay credit; the
// order's columns (contribution to net total, commission, incentives) mean nothing on an Opportunity. Only
// this form's copy of the Sales Team fields changes: a Customer's or an order's grid keeps ERPNext's.
const SPLIT_CREDIT_COLUMNS = { sales_person: 5, allocated_percentage: 3, overlay: 2 };

function show_split_credit_columns(frm) {
	const grid = frm.get_field("sales_team")?.grid;
	if (!grid) return;
	let changed = false;
	for (const df of frappe.meta.get_docfields("Sales Team", frm.doc.name)) {
		const columns = SPLIT_CREDIT_COLUMNS[df.fieldname];
		const in_list_view = columns ? 1 : 0;
		if (df.in_list_view !== in_list_view || (columns && df.columns !== columns)) {
			Object.assign(df, columns ? { in_list_view, columns } : { in_list_view });
			changed = true;
		}
	}
	if (changed) grid.reset_grid();
}

// The Address/Contact panel lists the Opportunity's own and its party's; "New Address" / "New Contact"
// link to the Opportunity itself, so they show on it (erpnext#42595) and follow it to its Customer.
function link_new_addresses_and_contacts_to_opportunity(frm) {
	frappe.dynamic_link = { doc: frm.doc, fieldname: "name", doctype: "Opportunity" };
}

// Create ▸ Customer / Quotation that the rules would refuse say why instead of opening a form that
// could not be saved (the server sends the rule's message with the form: overrides/opportunity.onload).
function explain_refused_conversions(frm) {
	const refusals = (frm.doc.__onload && frm.doc.__onload.opportunity_crm_refusals) || {};
	for (const [target, message] of Object.entries(refusals)) {
		if (target === "Customer" && frm.doc.customer) continue;
		if (!frm.custom_buttons[__(target)]) continue; // ERPNext offers no such button here
		frm.remove_custom_button(__(target), __("Create"));
		frm.add_custom_button(
			__(target),
			() => frappe.msgprint({ title: __("Not possible yet"), message, indicator: "red" }),
			__("Create")
		);
	}
}
