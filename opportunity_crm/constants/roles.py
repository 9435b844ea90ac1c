"""Role names, one home each: the two roles the app makes (install creates them where missing, uninstall
removes them) and the ERPNext and Frappe roles its rules name."""

CHANNEL_MANAGER = "Channel Manager"
PARTNER_USER = "Partner User"
SALES_MANAGER = "Sales Manager"
SALES_USER = "Sales User"
SYSTEM_MANAGER = "System Manager"

# Desk roles that run the partner channel: they read and decide every Deal Registration. A partner session
# is a Partner User with none of them.
STAFF_ROLES = (CHANNEL_MANAGER, SALES_MANAGER, SYSTEM_MANAGER)
# Who may invite a partner's people besides those who may edit the Sales Partner: ERPNext leaves the Sales
# Partner read-only to a Sales Manager (its master is the Sales Master Manager's), yet onboarding a partner
# is a sales manager's or channel manager's job.
INVITER_ROLES = (SALES_MANAGER, CHANNEL_MANAGER)
# Who reads every Opportunity, Customer, Quotation and Sales Order when row-level access is on.
UNRESTRICTED_ROLES = (SALES_MANAGER, SYSTEM_MANAGER)
