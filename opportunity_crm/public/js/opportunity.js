// Opportunity form additions of opportunity_crm (ERPNext's own form script runs first).
frappe.ui.form.on("Opportunity", {
	setup(frm) {
		frm.set_query("sales_person", () => ({ filters: { enabled: 1, is_group: 0 } }));
	},

	refresh(frm) {
		if (frm.is_new()) return;
		link_new_addresses_and_contacts_to_opportunity(frm);
		if (frm.doc.customer) {
			// It became a Customer already: a second one would be refused.
			frm.remove_custom_button(__("Customer"), __("Create"));
		}
	},

	// ERPNext's handler of the same event points new Addresses/Contacts at the Lead or Customer; this one
	// runs after it.
	set_contact_link(frm) {
		if (!frm.is_new()) link_new_addresses_and_contacts_to_opportunity(frm);
	},
});

// The Address/Contact panel lists the Opportunity's own and its party's; "New Address" / "New Contact"
// link to the Opportunity itself, so they show on it (erpnext#42595) and follow it to its Customer.
function link_new_addresses_and_contacts_to_opportunity(frm) {
	frappe.dynamic_link = { doc: frm.doc, fieldname: "name", doctype: "Opportunity" };
}
