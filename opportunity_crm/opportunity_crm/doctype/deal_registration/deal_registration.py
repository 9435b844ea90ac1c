"""Deal Registration: a Sales Partner's claim on a prospect. The rules live in
`opportunity_crm.crm.deal_registration`; the Workflow "Deal Registration" moves `status`."""

from frappe.model.document import Document

from opportunity_crm.crm import deal_registration


class DealRegistration(Document):
	def before_validate(self):
		deal_registration.apply_decision(self)

	def validate(self):
		deal_registration.validate(self)

	def on_update(self):
		deal_registration.on_update(self)
