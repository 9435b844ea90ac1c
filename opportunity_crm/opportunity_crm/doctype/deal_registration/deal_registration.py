"""Deal Registration: a Sales Partner's claim on a prospect. The rules live in
`opportunity_crm.channel.deal_registration`; the Workflow "Deal Registration" moves `status`."""

from frappe.model.document import Document

from opportunity_crm.channel import deal_registration, partner_access


class DealRegistration(Document):
	def before_validate(self):
		deal_registration.apply_decision(self)

	def validate(self):
		deal_registration.validate(self)

	def on_update(self):
		deal_registration.on_update(self)

	# what a save or insert hands back (REST and frappe.client answer with this object) is what its user
	# may read, as `getdoc` gives it: Frappe's write answers skip the field levels (partner_access)
	def insert(self, *args, **kwargs):
		result = super().insert(*args, **kwargs)
		partner_access.hand_back_readable(self)
		return result

	def save(self, *args, **kwargs):
		result = super().save(*args, **kwargs)
		partner_access.hand_back_readable(self)
		return result
