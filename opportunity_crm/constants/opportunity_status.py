"""Plain data of ERPNext's Opportunity statuses, as the app reads them."""

# Given up: lost, or closed by hand or by ERPNext's auto-close.
GIVEN_UP_STATUSES = ("Lost", "Closed")

# An Opportunity in one of these is no longer worked: lost, closed by hand or by ERPNext's auto-close, or
# converted (ERPNext: a Quotation was ordered). Every other status is open.
CLOSED_STATUSES = (*GIVEN_UP_STATUSES, "Converted")

# An Opportunity is open while its status is one of these AND it is not won (`opportunities/won.py`: no
# `converted_on`, which the app sets when it becomes a Customer or gets a Sales Order). The workspace's card
# and shortcut, the Pipeline Movement report and the portal's open deals count the same ones.
OPEN_STATUSES = ("Open", "Quotation", "Replied")
