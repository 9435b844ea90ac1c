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


def generate(leads: int = 50, seed: int = 42, commit: bool = True) -> dict:
	"""Make `leads` Leads and what follows from them; return the counts of what was made. Commits, unless
	told not to (the test rolls back what it made)."""
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

	if commit:
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


# History in bulk ---------------------------------------------------------------------------------------


def generate_history(opportunities: int = 100_000, seed: int = 42, prefix: str = "HIS") -> dict:
	"""Years of history as STOCK ERPNext leaves it, written in bulk SQL (for the install benchmark and
	for trying the install on a big site): run it on a site WITHOUT opportunity_crm, then install the app.

	    bench --site SITE execute opportunity_crm.demo.generate_history --kwargs "{'opportunities': 100000}"

	Shaped like a live site: Leads with 1 or 2 Addresses and a Contact, a fifth of them never converted; about
	5 % of the converted Leads have 2 or 3 Opportunities (newer ones made later); 70 % of the Opportunities
	come from Leads, 25 % from Customers (5 % of the count, each with an Address and a Contact), 5 % from
	Prospects; 20 % are quoted (a submitted Quotation linked through its row, as ERPNext's mapper does for
	an Opportunity with items), 30 % of those ordered (a submitted Sales Order, for the Lead's Customer that
	ERPNext makes); 10 % of the others became a Customer (Opportunity ▸ Customer: `opportunity_name` and
	`lead_name`); 3 % of the Leads became a Customer directly (Lead ▸ Customer). Only ERPNext's own columns
	are written. Deterministic by seed; Python holds one chunk of 5,000 Leads at a time. Returns the
	counts."""
	history = HistoryWriter(opportunities, seed, prefix)
	history.write()
	return history.made


class HistoryWriter:
	CHUNK = 5_000  # Leads per flush

	def __init__(self, opportunities: int, seed: int, prefix: str):
		self.rng = random.Random(seed)
		self.prefix = prefix
		self.total = opportunities
		self.company = frappe.defaults.get_global_default("company")
		self.currency = frappe.get_cached_value("Company", self.company, "default_currency")
		self.stamp = frappe.utils.now_datetime()
		self.start = frappe.utils.add_days(self.stamp, -730)
		self.step = 730 * 24 * 3600 / max(opportunities, 1)  # seconds between two Opportunities
		self.rows: dict[str, list[dict]] = {}
		self.counter: dict[str, int] = {}
		self.made = dict.fromkeys(
			(
				"leads",
				"opportunities",
				"leads_with_several_opportunities",
				"customers",
				"quotations",
				"sales_orders",
				"addresses",
				"contacts",
			),
			0,
		)
		self.item = service(f"{prefix} Jasa Implementasi")
		self.customer_group = frappe.db.get_default("Customer Group") or "All Customer Groups"
		self.territory = frappe.db.get_default("Territory") or "All Territories"

	# the story of the site

	def write(self) -> None:
		lead_opportunities = self.total * 70 // 100
		customer_opportunities = self.total * 25 // 100
		prospect_opportunities = self.total - lead_opportunities - customer_opportunities
		customers = [self.party_customer(n) for n in range(max(1, self.total // 20))]
		prospects = [self.prospect(n) for n in range(max(1, self.total // 100))]
		self.flush()

		made, lead_number = 0, 0
		while made < lead_opportunities:
			lead_number += 1
			lead = self.lead(lead_number)
			roll = self.rng.random()
			if roll < 0.2:
				self.direct_lead_customer(lead, lead_number)  # maybe, and no Opportunity
				continue
			count = 1 if roll > 0.2 + 0.8 * 0.05 else (3 if roll < 0.204 else 2)
			count = min(count, lead_opportunities - made)
			self.made["leads_with_several_opportunities"] += count > 1
			self.lead_opportunities(lead, lead_number, count)
			made += count
			if lead_number % self.CHUNK == 0:
				self.flush()
		for n in range(customer_opportunities):
			self.opportunity("Customer", customers[n % len(customers)], self.rng.random() * self.total)
		for n in range(prospect_opportunities):
			self.opportunity("Prospect", prospects[n % len(prospects)], self.rng.random() * self.total)
		self.flush()

	def lead_opportunities(self, lead: dict, number: int, count: int) -> None:
		when = self.rng.random() * self.total
		lead_customer = None
		for n in range(count):
			opportunity = self.opportunity("Lead", lead["name"], when + n * self.rng.uniform(50, 2_000))
			if opportunity["ordered"]:
				lead_customer = lead_customer or self.customer(
					f"{lead['company_name']}", lead_name=lead["name"], key=f"L{number}"
				)
				self.sales_order(opportunity, lead_customer)
			elif not lead_customer and self.rng.random() < 0.1:
				lead_customer = self.customer(
					f"{lead['company_name']}",
					lead_name=lead["name"],
					opportunity_name=opportunity["name"],
					key=f"O{number}",
				)
		if not lead_customer:
			self.direct_lead_customer(lead, number)

	def direct_lead_customer(self, lead: dict, number: int) -> None:
		if self.rng.random() < 0.03:
			self.customer(lead["company_name"], lead_name=lead["name"], key=f"L{number}")

	# records

	def base(self, doctype: str, name: str | None = None, when: float | None = None, **values) -> dict:
		self.counter[doctype] = self.counter.get(doctype, 0) + 1
		stamp = (
			self.stamp
			if when is None
			else frappe.utils.add_to_date(self.start, seconds=min(when, self.total) * self.step)
		)
		row = {
			"name": name or f"{self.prefix}-{doctype.upper().replace(' ', '-')}-{self.counter[doctype]:08d}",
			"creation": stamp,
			"modified": stamp,
			"owner": "Administrator",
			"modified_by": "Administrator",
			"docstatus": 0,
			"idx": 0,
			**values,
		}
		self.rows.setdefault(doctype, []).append(row)
		return row

	def link(self, parenttype: str, parent: str, idx: int, link_doctype: str, link_name: str) -> None:
		self.base(
			"Dynamic Link",
			idx=idx,
			parent=parent,
			parenttype=parenttype,
			parentfield="links",
			link_doctype=link_doctype,
			link_name=link_name,
		)

	def addresses_and_contacts(self, doctype: str, name: str, title: str, addresses: int) -> None:
		for n in range(addresses):
			city, state = self.rng.choice(CITIES)
			address = self.base(
				"Address",
				address_title=title,
				address_type="Billing" if n == 0 else "Office",
				address_line1=f"{self.rng.choice(STREETS)} No. {self.rng.randint(1, 250)}",
				city=city,
				state=state,
				country="Indonesia",
			)
			self.link("Address", address["name"], 1, doctype, name)
		first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
		contact = self.base(
			"Contact", first_name=first, last_name=last, full_name=f"{first} {last}", status="Passive"
		)
		self.link("Contact", contact["name"], 1, doctype, name)
		self.made["addresses"] += addresses
		self.made["contacts"] += 1

	def lead(self, number: int) -> dict:
		first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
		org = f"PT {self.rng.choice(WORDS)} {self.rng.choice(TRADES)} {number}"
		lead = self.base(
			"Lead",
			name=f"{self.prefix}-LEAD-{number:08d}",
			naming_series="CRM-LEAD-.YYYY.-",
			first_name=first,
			last_name=last,
			lead_name=f"{first} {last}",
			company_name=org,
			title=org,
			status="Lead",
			company=self.company,
		)
		self.addresses_and_contacts("Lead", lead["name"], org, 1 + (self.rng.random() < 0.5))
		self.made["leads"] += 1
		return lead

	def party_customer(self, number: int) -> str:
		name = f"{self.prefix} Pelanggan {number:06d}"
		self.customer(name, key=f"P{number}", name=name)
		self.addresses_and_contacts("Customer", name, name, 1)
		return name

	def prospect(self, number: int) -> str:
		name = f"{self.prefix} Calon {number:06d}"
		self.base("Prospect", name=name, company_name=name, company=self.company)
		self.addresses_and_contacts("Prospect", name, name, 1)
		return name

	def customer(self, customer_name: str, key: str, name: str | None = None, **values) -> str:
		row = self.base(
			"Customer",
			name=name or f"{customer_name} ({key})",
			customer_name=customer_name,
			customer_type="Company",
			customer_group=self.customer_group,
			territory=self.territory,
			**values,
		)
		self.made["customers"] += 1
		return row["name"]

	def opportunity(self, party_type: str, party: str, when: float) -> dict:
		quoted = self.rng.random() < 0.2
		ordered = quoted and self.rng.random() < 0.3
		roll = self.rng.random()
		status = (
			"Converted"
			if ordered
			else "Quotation"
			if quoted
			else "Open"
			if roll < 0.7
			else "Lost"
			if roll < 0.8
			else "Closed"
			if roll < 0.95
			else "Replied"
		)
		amount = self.rng.randint(5, 500) * 1_000_000
		row = self.base(
			"Opportunity",
			when=when,
			naming_series="CRM-OPP-.YYYY.-",
			opportunity_from=party_type,
			party_name=party,
			customer_name=party,
			title=party,
			opportunity_type="Sales",
			status=status,
			company=self.company,
			transaction_date=frappe.utils.getdate(
				frappe.utils.add_to_date(self.start, seconds=min(when, self.total) * self.step)
			),
			currency=self.currency,
			conversion_rate=1,
			sales_stage=self.rng.choice(STAGES),
			probability=self.rng.choice([10, 20, 30, 40, 50, 60, 70, 80]),
			opportunity_amount=amount,
			base_opportunity_amount=amount,
		)
		self.made["opportunities"] += 1
		quotation = self.quotation(row, when) if quoted else None
		return {"name": row["name"], "ordered": ordered, "row": row, "quotation": quotation}

	def quotation(self, opportunity: dict, when: float) -> dict:
		quotation = self.base(
			"Quotation",
			when=when + 10,
			naming_series="SAL-QTN-.YYYY.-",
			docstatus=1,
			quotation_to=opportunity["opportunity_from"],
			party_name=opportunity["party_name"],
			customer_name=opportunity["party_name"],
			title=opportunity["party_name"],
			company=self.company,
			transaction_date=opportunity["transaction_date"],
			currency=self.currency,
			conversion_rate=1,
			selling_price_list="Standard Selling",
			price_list_currency=self.currency,
			plc_conversion_rate=1,
			order_type="Sales",
			status="Open",
			total=opportunity["opportunity_amount"],
			grand_total=opportunity["opportunity_amount"],
		)
		self.item_row("Quotation Item", quotation, "Opportunity", opportunity["name"], opportunity)
		self.made["quotations"] += 1
		return quotation

	def sales_order(self, opportunity: dict, customer: str) -> None:
		quotation = opportunity["quotation"]
		quotation["status"] = "Ordered"
		order = self.base(
			"Sales Order",
			when=None,
			naming_series="SAL-ORD-.YYYY.-",
			docstatus=1,
			customer=customer,
			customer_name=customer,
			title=customer,
			company=self.company,
			transaction_date=quotation["transaction_date"],
			delivery_date=quotation["transaction_date"],
			currency=self.currency,
			conversion_rate=1,
			selling_price_list="Standard Selling",
			price_list_currency=self.currency,
			plc_conversion_rate=1,
			order_type="Sales",
			status="To Deliver and Bill",
			total=quotation["total"],
			grand_total=quotation["grand_total"],
		)
		self.item_row("Sales Order Item", order, None, quotation["name"], opportunity["row"])
		self.made["sales_orders"] += 1

	def item_row(
		self, doctype: str, parent: dict, prevdoc_doctype, prevdoc_docname: str, source: dict
	) -> None:
		amount = source["opportunity_amount"]
		values = {
			"docstatus": 1,
			"idx": 1,
			"parent": parent["name"],
			"parenttype": doctype.removesuffix(" Item"),
			"parentfield": "items",
			"item_code": self.item,
			"item_name": self.item,
			"qty": 1,
			"stock_qty": 1,
			"rate": amount,
			"amount": amount,
			"base_rate": amount,
			"base_amount": amount,
			"uom": "Nos",
			"stock_uom": "Nos",
			"conversion_factor": 1,
			"prevdoc_docname": prevdoc_docname,
		}
		if prevdoc_doctype:
			values["prevdoc_doctype"] = prevdoc_doctype
		if doctype == "Sales Order Item":
			values["delivery_date"] = parent["delivery_date"]
		self.base(doctype, **values)

	def flush(self) -> None:
		for doctype, rows in self.rows.items():
			by_columns: dict[tuple, list] = {}
			for row in rows:
				by_columns.setdefault(tuple(row), []).append(row)
			for columns, same in by_columns.items():
				frappe.db.bulk_insert(
					doctype, list(columns), [[row[c] for c in columns] for row in same], chunk_size=2_000
				)
		self.rows = {}
		frappe.db.commit()
