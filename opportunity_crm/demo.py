"""Realistic Indonesian sample data, deterministic by seed, through the same documents and rules a desk
user goes through:

    bench --site SITE execute opportunity_crm.demo.generate --kwargs "{'leads': 100, 'seed': 42}"

Sales Partners (individuals and companies), a Sales Person tree, Leads with 1 to 5 Addresses and Contacts,
Opportunities with a wish list, Customers, Quotations and Sales Orders. Also for demos and screenshots.
"""

import random

import frappe
from frappe.utils import add_days, nowdate

from opportunity_crm import api

FIRST = [
	"Budi",
	"Siti",
	"Agus",
	"Dewi",
	"Rudi",
	"Sri",
	"Andi",
	"Rina",
	"Joko",
	"Wati",
	"Eko",
	"Putri",
	"Bayu",
]
LAST = [
	"Santoso",
	"Wijaya",
	"Saputra",
	"Lestari",
	"Hidayat",
	"Kusuma",
	"Pratama",
	"Nugroho",
	"Utami",
	"Halim",
]
WORDS = [
	"Maju",
	"Jaya",
	"Sejahtera",
	"Makmur",
	"Abadi",
	"Sentosa",
	"Mandiri",
	"Nusantara",
	"Bersama",
	"Cahaya",
]
TRADES = ["Logistik", "Tekstil", "Pangan", "Konstruksi", "Elektronik", "Farmasi", "Perkebunan", "Kopi"]
CITIES = [
	("Jakarta", "DKI Jakarta"),
	("Bandung", "Jawa Barat"),
	("Surabaya", "Jawa Timur"),
	("Medan", "Sumatera Utara"),
	("Semarang", "Jawa Tengah"),
	("Makassar", "Sulawesi Selatan"),
	("Denpasar", "Bali"),
	("Yogyakarta", "DI Yogyakarta"),
]
STREETS = [
	"Jl. Sudirman",
	"Jl. Thamrin",
	"Jl. Gatot Subroto",
	"Jl. Diponegoro",
	"Jl. Ahmad Yani",
	"Jl. Merdeka",
]
SERVICES = ["Jasa Implementasi ERP", "Lisensi Perangkat Lunak", "Pelatihan Pengguna", "Dukungan Tahunan"]
STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review"]


def generate(leads: int = 50, seed: int = 42) -> dict:
	"""Make `leads` Leads and what follows from them; return the counts of what was made."""
	rng = random.Random(seed)
	made = {"leads": 0, "opportunities": 0, "customers": 0, "quotations": 0, "sales_orders": 0}
	partners = [
		sales_partner(f"PT Mitra {w} {t}", "Company") for w, t in zip(WORDS[:3], TRADES, strict=False)
	]
	partners += [
		sales_partner(f"Bapak {f} {last}", "Individual") for f, last in zip(FIRST[:3], LAST, strict=False)
	]
	people = sales_person_tree()
	items = [service(name) for name in SERVICES]

	for _ in range(leads):
		first, last = rng.choice(FIRST), rng.choice(LAST)
		org = f"PT {rng.choice(WORDS)} {rng.choice(TRADES)} {rng.choice(WORDS)}"
		lead = frappe.get_doc(
			{
				"doctype": "Lead",
				"first_name": first,
				"last_name": last,
				"company_name": org,
				"mobile_no": f"+62 812 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
			}
		).insert()
		made["leads"] += 1
		for _ in range(rng.randint(1, 5)):
			address(lead.name, org, rng)
		# ERPNext may have made the Lead's first Contact already (CRM Settings ▸ auto creation)
		contacts = rng.randint(1, 5)
		existing = frappe.db.count(
			"Dynamic Link", {"link_doctype": "Lead", "link_name": lead.name, "parenttype": "Contact"}
		)
		for _ in range(max(0, contacts - existing)):
			contact(lead.name, rng)
		if rng.random() > 0.7:
			continue

		opportunity = api.convert_lead(
			lead.name, sales_partner=rng.choice(partners), sales_person=rng.choice(people)
		)["opportunity"]
		doc = frappe.get_doc("Opportunity", opportunity)
		doc.sales_stage = rng.choice(STAGES)
		doc.opportunity_amount = rng.randint(5, 500) * 1_000_000
		doc.append("items", {"item_code": rng.choice(items), "qty": rng.randint(1, 10), "rate": 2_500_000})
		doc.save()
		made["opportunities"] += 1
		if rng.random() > 0.5:
			continue

		api.create_customer(opportunity)
		made["customers"] += 1
		if rng.random() > 0.6:
			continue
		quotation = frappe.get_attr("erpnext.crm.doctype.opportunity.opportunity.make_quotation")(opportunity)
		quotation.insert()
		quotation.submit()
		made["quotations"] += 1
		if rng.random() > 0.5:
			continue
		order = frappe.get_attr("erpnext.selling.doctype.quotation.quotation.make_sales_order")(
			quotation.name
		)
		order.delivery_date = add_days(nowdate(), rng.randint(7, 60))
		order.insert()
		made["sales_orders"] += 1

	frappe.db.commit()
	return made


def sales_partner(name: str, kind: str) -> str:
	if not frappe.db.exists("Sales Partner", name):
		frappe.get_doc(
			{
				"doctype": "Sales Partner",
				"partner_name": name,
				"partner_kind": kind,
				"territory": frappe.db.get_value("Territory", {"is_group": 1}, "name"),
				"commission_rate": 5,
			}
		).insert()
	return name


def sales_person_tree() -> list[str]:
	"""Two regional teams with three salespeople each; returns the salespeople."""
	root = frappe.db.get_value("Sales Person", {"is_group": 1, "parent_sales_person": ("is", "not set")})
	people = []
	for team, members in (("Tim Jakarta", FIRST[:3]), ("Tim Surabaya", FIRST[3:6])):
		if not frappe.db.exists("Sales Person", team):
			frappe.get_doc(
				{
					"doctype": "Sales Person",
					"sales_person_name": team,
					"is_group": 1,
					"parent_sales_person": root,
				}
			).insert()
		for member in members:
			name = f"{member} ({team.split()[-1]})"
			if not frappe.db.exists("Sales Person", name):
				frappe.get_doc(
					{"doctype": "Sales Person", "sales_person_name": name, "parent_sales_person": team}
				).insert()
			people.append(name)
	return people


def service(name: str) -> str:
	if not frappe.db.exists("Item", name):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": name,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name"),
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert()
	return name


def address(lead: str, org: str, rng: random.Random) -> None:
	city, state = rng.choice(CITIES)
	frappe.get_doc(
		{
			"doctype": "Address",
			"address_title": org,
			"address_type": rng.choice(["Billing", "Office", "Shipping", "Warehouse"]),
			"address_line1": f"{rng.choice(STREETS)} No. {rng.randint(1, 250)}",
			"city": city,
			"state": state,
			"country": "Indonesia",
			"links": [{"link_doctype": "Lead", "link_name": lead}],
		}
	).insert()


def contact(lead: str, rng: random.Random) -> None:
	first, last = rng.choice(FIRST), rng.choice(LAST)
	frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": first,
			"last_name": last,
			"designation": rng.choice(["Direktur", "Manajer Pembelian", "Staf Keuangan", "Kepala Gudang"]),
			"links": [{"link_doctype": "Lead", "link_name": lead}],
		}
	).insert()
