// Sales Partner form: invite one of the partner's people to the partner portal (a Website User tied to
// this partner; opportunity_crm.api.invite_partner_user).
frappe.ui.form.on("Sales Partner", {
	refresh(frm) {
		// who may invite: write on the Sales Partner, or a Sales Manager / Channel Manager (the same rule as
		// the server's, partner_users.may_invite)
		const may_invite = frm.has_perm("write") || frappe.user.has_role(["Sales Manager", "Channel Manager"]);
		if (frm.is_new() || !may_invite) return;
		frm.add_custom_button(__("Invite Partner User"), () => invite_partner_user(frm));
	},
});

function invite_partner_user(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Invite Partner User"),
		fields: [
			{
				fieldname: "contact",
				fieldtype: "Link",
				options: "Contact",
				label: __("Contact"),
				description: __("A Contact linked to this Sales Partner, with an e-mail address."),
				get_query: () => ({
					query: "frappe.contacts.doctype.contact.contact.contact_query",
					filters: { link_doctype: "Sales Partner", link_name: frm.doc.name },
				}),
			},
			{ fieldtype: "Section Break", label: __("Or a new Contact") },
			{ fieldname: "email", fieldtype: "Data", options: "Email", label: __("Email") },
			{ fieldname: "first_name", fieldtype: "Data", label: __("First Name") },
			{ fieldname: "last_name", fieldtype: "Data", label: __("Last Name") },
		],
		primary_action_label: __("Invite"),
		primary_action(values) {
			if (!values.contact && !(values.email && values.first_name)) {
				frappe.msgprint(__("Pick a Contact, or give the e-mail and first name of a new one."));
				return;
			}
			const args = { sales_partner: frm.doc.name };
			for (const key of ["contact", "email", "first_name", "last_name"]) {
				if (values[key]) args[key] = values[key];
			}
			send_invite(frm, dialog, args);
		},
	});
	dialog.show();
}

// The e-mail of someone who is already a user elsewhere (a desk user, another partner's user, a Customer's
// or Supplier's person) is refused with who it is: the channel manager reads it and confirms, or not.
function send_invite(frm, dialog, args) {
	frappe.call({
		method: "opportunity_crm.api.invite_partner_user",
		args,
		freeze: true,
		error_handlers: {
			InviteConfirmationError(r) {
				const messages = JSON.parse(r._server_messages || "[]").map(
					(m) => JSON.parse(m).message
				);
				frappe.confirm(
					messages.join("<br>") + "<br><br>" + __("Invite this user anyway?"),
					() => send_invite(frm, dialog, { ...args, confirm: 1 })
				);
			},
		},
		callback(r) {
			dialog.hide();
			const result = r.message;
			if (result.password_link) {
				// no outgoing Email Account: one message, and the link the inviter hands over
				show_password_link(result);
			} else {
				frappe.show_alert({
					message: result.created
						? __("{0} is invited: the welcome e-mail is on its way.", [result.user])
						: __("{0} is a partner user of {1}.", [result.user, frm.doc.name]),
					indicator: "green",
				});
			}
			frm.reload_doc();
		},
	});
}

function show_password_link(result) {
	const link = frappe.utils.escape_html(result.password_link);
	frappe.msgprint({
		title: __("Hand over the password link"),
		indicator: "orange",
		message:
			__(
				"{0} is invited. This site has no outgoing Email Account, so no e-mail was sent: give {0} this one-time link to set a password (it works once).",
				[frappe.utils.escape_html(result.user)]
			) +
			`<p class="mt-3"><input class="form-control ocrm-password-link" readonly value="${link}"></p>`,
	});
}
