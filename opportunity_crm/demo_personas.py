"""One user per persona on a demo site (dev/up calls `make_personas` after the demo data):

- a Sales Manager (ERPNext's Sales Manager and Sales User roles);
- a restricted salesperson: Sales User, an Employee linked to the user and to the demo's Sales Person
  "Budi (Jakarta)", with Opportunity CRM Settings ▸ row-level access switched on, so he sees his own deals;
- a Channel Manager with no other role;
- a partner user of "PT Mitra Maju Logistik" (the demo invites it; made here when the demo did not run).

Each gets `password`, or a new random one; a second run keeps the users and sets the passwords again.
Returns [{persona, email, password}] for dev/up to print.
"""

import frappe
from frappe.utils.password import update_password

DOMAIN = "sinar-nusantara.example.com"
SALES_PERSON = "Budi (Jakarta)"
PARTNER = "PT Mitra Maju Logistik"
PARTNER_USER = "andi@mitra-maju-logistik.example.com"


def make_personas(password: str | None = None) -> list[dict]:
	from opportunity_crm.demo import default_company, sales_partner, sales_person_tree

	sales_person_tree()
	sales_partner(PARTNER, "Company")
	people = [
		("Sales Manager", desk_user(f"manajer@{DOMAIN}", "Maya", "Wijaya", ("Sales Manager", "Sales User"))),
		(
			"Salesperson (row-level access: own deals)",
			salesperson(f"budi@{DOMAIN}", "Budi", "Santoso", default_company()),
		),
		(
			"Channel Manager (only that role)",
			desk_user(f"kanal@{DOMAIN}", "Sri", "Kusuma", ("Channel Manager",)),
		),
		("Partner user (portal /partner)", partner_user()),
	]
	result = []
	for persona, user in people:
		secret = password or frappe.generate_hash(length=12)
		update_password(user, secret)
		result.append({"persona": persona, "email": user, "password": secret})
	frappe.db.commit()
	return result


def desk_user(email: str, first_name: str, last_name: str, roles: tuple) -> str:
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first_name,
				"last_name": last_name,
				"send_welcome_email": 0,
				"language": "en",
				"roles": [{"role": role} for role in roles],
			}
		).insert(ignore_permissions=True)
	return email


def salesperson(email: str, first_name: str, last_name: str, company: str) -> str:
	"""Sales Person → Employee → User, and row-level access on."""
	desk_user(email, first_name, last_name, ("Sales User",))
	employee = frappe.db.get_value("Employee", {"user_id": email})
	if not employee:
		employee = (
			frappe.get_doc(
				{
					"doctype": "Employee",
					"first_name": first_name,
					"last_name": last_name,
					"gender": "Male",
					"date_of_birth": "1990-04-12",
					"date_of_joining": "2022-01-03",
					"company": company,
					"user_id": email,
					"status": "Active",
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
	if frappe.db.get_value("Sales Person", SALES_PERSON, "employee") != employee:
		doc = frappe.get_doc("Sales Person", SALES_PERSON)
		doc.employee = employee
		doc.save(ignore_permissions=True)
	settings = frappe.get_single("Opportunity CRM Settings")
	if not settings.enable_row_level_access:
		settings.enable_row_level_access = 1
		settings.save(ignore_permissions=True)
	return email


def partner_user() -> str:
	if frappe.db.exists("User", PARTNER_USER):
		return PARTNER_USER
	from opportunity_crm.demo_channel import invite

	return invite(PARTNER, "Andi", "Saputra")
