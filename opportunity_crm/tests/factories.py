"""Small factories for the suite: each call makes fresh, uniquely named records."""

import frappe
from frappe.utils import add_days, nowdate

from opportunity_crm import api


def unique(prefix: str) -> str:
	return f"{prefix} {frappe.generate_hash(length=8)}"


def default_company() -> str:
	return (
		frappe.defaults.get_global_default("company") or frappe.get_all("Company", pluck="name", limit=1)[0]
	)


def fiscal_year(year: int) -> str:
	"""The Fiscal Year of the calendar year `year`, made (in the test's transaction) when the site has none:
	tests build the years they need from today, not from a year written in them."""
	start = f"{year}-01-01"
	existing = frappe.db.get_value("Fiscal Year", {"year_start_date": start}, "name")
	if existing:
		return existing
	name = str(year) if not frappe.db.exists("Fiscal Year", str(year)) else unique(f"_OCRM {year}")
	return (
		frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": name,
				"year_start_date": start,
				"year_end_date": f"{year}-12-31",
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_lead(addresses: int = 1, contacts: int = 1, **values) -> str:
	"""A Lead with `addresses` Addresses and `contacts` Contacts linked to it (ERPNext's automatic
	contact creation from the Lead is switched off for the insert, so the counts are exact)."""
	name = unique("Budi")
	lead = frappe.get_doc(
		{
			"doctype": "Lead",
			"first_name": name,
			"company_name": f"PT {name}",
			"company": default_company(),
			**values,
		}
	)
	lead.flags.ignore_permissions = True
	auto_contact = frappe.db.get_single_value("CRM Settings", "auto_creation_of_contact")
	frappe.db.set_single_value("CRM Settings", "auto_creation_of_contact", 0)
	try:
		lead.insert()
	finally:
		frappe.db.set_single_value("CRM Settings", "auto_creation_of_contact", auto_contact)
	for _ in range(addresses):
		make_address("Lead", lead.name)
	for _ in range(contacts):
		make_contact("Lead", lead.name)
	return lead.name


def make_address(link_doctype: str | None = None, link_name: str | None = None) -> str:
	address = frappe.get_doc(
		{
			"doctype": "Address",
			"address_title": unique("Kantor"),
			"address_type": "Office",
			"address_line1": "Jl. Sudirman 1",
			"city": "Jakarta",
			"country": "Indonesia",
		}
	)
	if link_doctype:
		address.append("links", {"link_doctype": link_doctype, "link_name": link_name})
	return address.insert(ignore_permissions=True).name


def make_contact(link_doctype: str | None = None, link_name: str | None = None) -> str:
	contact = frappe.get_doc({"doctype": "Contact", "first_name": unique("Siti")})
	if link_doctype:
		contact.append("links", {"link_doctype": link_doctype, "link_name": link_name})
	return contact.insert(ignore_permissions=True).name


def make_sales_person(
	is_group: int = 0, enabled: int = 1, parent: str | None = None, employee: str | None = None
) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Sales Person",
				"sales_person_name": unique("Agus"),
				"parent_sales_person": parent
				or frappe.db.get_value(
					"Sales Person", {"is_group": 1, "parent_sales_person": ("is", "not set")}
				)
				or "Sales Team",
				"is_group": is_group,
				"enabled": enabled,
				"employee": employee,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_user(*roles: str) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "User",
				"email": f"{frappe.generate_hash(length=10)}@example.com",
				"first_name": unique("Pengguna"),
				"send_welcome_email": 0,
				"roles": [{"role": role} for role in roles],
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_employee(user: str) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Employee",
				"first_name": unique("Karyawan"),
				"gender": "Male",
				"date_of_birth": "1990-01-01",
				"date_of_joining": "2020-01-01",
				"company": default_company(),
				"user_id": user,
				"status": "Active",
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_salesperson_user(parent: str | None = None, is_group: int = 0) -> tuple[str, str]:
	"""A desk user who is a Sales Person (Sales Person → Employee → User): (user, sales person)."""
	user = make_user("Sales User")
	return user, make_sales_person(is_group=is_group, parent=parent, employee=make_employee(user))


def make_sales_partner(partner_kind: str | None = None) -> str:
	values = {
		"doctype": "Sales Partner",
		"partner_name": unique("Mitra"),
		"territory": frappe.db.get_value("Territory", {"is_group": 1}, "name"),
		"commission_rate": 5,
	}
	if partner_kind:
		values["partner_kind"] = partner_kind
	return frappe.get_doc(values).insert(ignore_permissions=True).name


def make_item() -> str:
	item_code = unique("Jasa Konsultasi")
	frappe.get_doc(
		{
			"doctype": "Item",
			"item_code": item_code,
			"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name"),
			"stock_uom": "Nos",
			"is_stock_item": 0,
		}
	).insert(ignore_permissions=True)
	return item_code


def make_customer(**values) -> str:
	return (
		frappe.get_doc({"doctype": "Customer", "customer_name": unique("CV Sejahtera"), **values})
		.insert(ignore_permissions=True)
		.name
	)


def convert(lead: str, with_team: bool = True, **kwargs) -> str:
	"""Convert a Lead with the API, with a fresh Sales Partner and Sales Person unless told otherwise."""
	if with_team:
		kwargs.setdefault("sales_partner", make_sales_partner())
		kwargs.setdefault("sales_person", make_sales_person())
	return api.convert_lead(lead, **kwargs)["opportunity"]


def add_wish(opportunity: str, item_code: str | None = None, rate: float = 1000) -> None:
	"""Put one item on the Opportunity's wish list."""
	doc = frappe.get_doc("Opportunity", opportunity)
	doc.append("items", {"item_code": item_code or make_item(), "qty": 2, "rate": rate})
	doc.save()


def make_submitted_quotation(opportunity: str):
	from erpnext.crm.doctype.opportunity.opportunity import make_quotation

	quotation = make_quotation(opportunity)
	quotation.insert()
	quotation.submit()
	return quotation


def make_sales_order_from_quotation(quotation: str):
	from erpnext.selling.doctype.quotation.quotation import make_sales_order

	sales_order = make_sales_order(quotation)
	sales_order.delivery_date = add_days(nowdate(), 7)
	return sales_order.insert()


def make_sales_order(customer: str, company: str | None = None, opportunity: str | None = None):
	return frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": customer,
			"company": company or default_company(),
			"opportunity": opportunity,
			"transaction_date": nowdate(),
			"delivery_date": add_days(nowdate(), 7),
			"items": [{"item_code": make_item(), "qty": 1, "rate": 100}],
		}
	)


def linked_parents(link_doctype: str, link_name: str, parenttype: str) -> set[str]:
	return set(
		frappe.get_all(
			"Dynamic Link",
			filters={"link_doctype": link_doctype, "link_name": link_name, "parenttype": parenttype},
			pluck="parent",
		)
	)


def row_counts() -> dict[str, int]:
	"""Row counts of what a refused call must leave unchanged."""
	return {
		doctype: frappe.db.count(doctype)
		for doctype in ("Opportunity", "Customer", "Address", "Contact", "Dynamic Link", "Sales Order")
	}
