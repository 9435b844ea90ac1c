"""Errors of the Opportunity rules. All are Frappe validation errors: HTTP 417 over REST, and the
class name is the response's `exc_type`."""

import frappe


class OpportunityRuleError(frappe.ValidationError):
	"""Base class of every rule opportunity_crm enforces."""


class DuplicateOpportunityError(OpportunityRuleError):
	"""The Lead already has an Opportunity."""


class DuplicateCustomerError(OpportunityRuleError):
	"""The Opportunity already became a Customer, or the Customer already belongs to an Opportunity."""


class MissingAddressOrContactError(OpportunityRuleError):
	"""The Opportunity has no linked Address or no linked Contact."""


class InvalidSalesPersonError(OpportunityRuleError):
	"""The Sales Person is a group or disabled."""


class OpportunityMismatchError(OpportunityRuleError):
	"""A Quotation or Sales Order does not match its Opportunity (company, customer)."""


class ReadOnlyFieldError(OpportunityRuleError):
	"""A field that only a conversion may set was set directly."""


class InvalidArgumentError(OpportunityRuleError):
	"""An argument of an `opportunity_crm.api` method is missing, of the wrong type or unknown."""


class DisabledRecordError(OpportunityRuleError):
	"""A disabled Lead or Customer was given to a conversion."""


class MergeConflictError(OpportunityRuleError):
	"""A Rename ▸ Merge would leave two records claiming what a rule allows only one of."""


class FixedPartyError(OpportunityRuleError):
	"""The party or company of an Opportunity with submitted Quotations or Sales Orders was changed."""


class BusyError(frappe.ValidationError):
	"""The database stayed locked by concurrent work after retries; the call may be repeated."""

	http_status_code = 409


class SalesTeamError(OpportunityRuleError):
	"""An Opportunity's sales team breaks a split-credit rule (100 %, duplicate, Sales Person in the team)."""


class MissingSalesPersonOrPartnerError(OpportunityRuleError):
	"""Opportunity CRM Settings require a Sales Person or Sales Partner on an open Opportunity."""


class PartnerUserError(OpportunityRuleError):
	"""A partner user cannot be invited as asked (no e-mail, a desk user, another partner's user), or a
	partner user asked for something outside their partner (a field partners may not change)."""


class DealRegistrationError(OpportunityRuleError):
	"""A Deal Registration's values break a rule (amount, dates, a decision without its reason or Sales
	Person, a field only a channel manager sets)."""


class RegistrationConflictError(OpportunityRuleError):
	"""The prospect is protected by another partner's approved Deal Registration, or the same partner
	already has a live registration for it."""


class InviteConfirmationError(PartnerUserError):
	"""The invited e-mail is already someone's user elsewhere (a Customer's or Supplier's portal user, a
	desk user, another partner's user): the invite goes ahead only when the channel manager confirms it
	(`confirm`)."""
