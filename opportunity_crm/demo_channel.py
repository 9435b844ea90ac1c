"""The demo's partner channel (`demo.generate` calls it after the quarter's story): a portal user for each
company partner, invited the way a Channel Manager invites one (`channel.partner_users.invite`), and Deal
Registrations made by those users and decided through the Workflow, one or more in every state:

- Draft (not submitted yet), Submitted and waiting, Submitted and in conflict with the waiting one (another
  partner's, the same tax id), Returned for more information, Rejected;
- Approved (the Lead and the Opportunity of the partner are made), Expired (approved, its protection
  ended: the daily job's `expire_one`), Converted (approved, and its Opportunity became a Customer).
"""

import random

import frappe
from frappe.utils import add_days, getdate, nowdate

from opportunity_crm import api
from opportunity_crm.channel import deal_expiry, deal_registration, partner_users

DOCTYPE = "Deal Registration"
PROSPECTS = (
	"Toko Bangunan Sumber Rejeki",
	"UD Tani Subur Makmur",
	"CV Sinar Terang Elektrik",
	"Apotek Sehat Sentosa",
	"Koperasi Nelayan Bahari",
	"Bengkel Motor Jaya Abadi",
	"Klinik Pratama Medika",
	"Toko Kain Cahaya Batik",
)
# (partner index, what happens to the registration): the order they are made in
PLAN = (
	(0, "Draft"),
	(1, "Submitted"),  # waiting for the Channel Manager ...
	(2, "In Conflict"),  # ... and another partner's with the same tax id
	(0, "Approved"),
	(1, "Returned"),
	(2, "Rejected"),
	(1, "Expired"),
	(2, "Converted"),
)
PARTNER_USERS = (("Andi", "Saputra"), ("Rina", "Lestari"), ("Eko", "Pratama"))


def generate(rng: random.Random, story) -> dict:
	partners = [p for p in story.partners if p.startswith("PT ")]
	users = [invite(partner, *person) for partner, person in zip(partners, PARTNER_USERS, strict=False)]
	today = getdate(nowdate())
	made = {"partner_users": len(users), "registrations": {}}
	# a second demo on the same site registers other prospects (the same partner may not register one
	# twice): the n-th run's names, domains, tax ids and phones differ; the first run's are the plain ones
	run = frappe.db.count(DOCTYPE, {"sales_partner": ("in", partners)}) // len(PLAN)
	if run:
		rng = random.Random(f"{rng.random()}-{run}")
	previous = None
	for number, ((index, state), prospect) in enumerate(zip(PLAN, PROSPECTS, strict=True)):
		values = prospect_values(
			rng, f"{prospect} {run + 1}" if run else prospect, number, story.horizon, today
		)
		if state == "In Conflict":
			values["tax_id"] = previous["tax_id"]
		name = register(users[index], values, submit=state != "Draft")
		decide(name, state, rng.choice(story.people), today)
		made["registrations"][state] = made["registrations"].get(state, 0) + 1
		previous = values
	return made


def invite(partner: str, first_name: str, last_name: str) -> str:
	"""As Sales Partner ▸ Invite Partner User does; the user is made first, so that no welcome mail is
	queued for a demo address (`invite` mails only the users it makes)."""
	email = f"{first_name.lower()}@{partner.lower().removeprefix('pt ').replace(' ', '-')}.example.com"
	partner_users.ensure_user(email, partner, frappe._dict(first_name=first_name, last_name=last_name))
	return partner_users.invite(partner, email=email, first_name=first_name, last_name=last_name)["user"]


def prospect_values(rng: random.Random, prospect: str, number: int, horizon, today) -> dict:
	domain = prospect.lower().split(" ", 1)[1].replace(" ", "") + ".co.id"
	digits = f"{rng.randint(10**11, 10**12 - 1)}"
	return {
		"prospect_name": prospect,
		"tax_id": f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}.{digits[8]}-{digits[9:12]}.000",
		"website": f"https://www.{domain}",
		"contact_name": f"{rng.choice(('Ibu', 'Bapak'))} {rng.choice(('Hendra', 'Yuni', 'Slamet', 'Ayu'))}",
		"contact_email": f"pembelian@{domain}",
		"contact_phone": f"+62 81{number} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
		"address_line1": f"Jl. Pahlawan No. {rng.randint(1, 200)}",
		"city": rng.choice(("Bekasi", "Bogor", "Malang", "Solo", "Palembang")),
		"country": "Indonesia",
		"expected_amount": rng.randint(20, 300) * 1_000_000,
		"expected_closing": add_days(today, rng.randint(14, (horizon - today).days)),
		"notes": "Pelanggan lama kami, butuh penawaran sebelum akhir kuartal.",
	}


def register(user: str, values: dict, submit: bool = True) -> str:
	"""A registration made, and submitted, by the partner user (as the portal does)."""
	session = frappe.session.user
	frappe.set_user(user)
	try:
		doc = frappe.get_doc({"doctype": DOCTYPE, **values}).insert()
		if submit:
			deal_registration.submit(doc.name)
	finally:
		frappe.set_user(session)
	return doc.name


def decide(name: str, state: str, sales_person: str, today) -> None:
	if state in ("Approved", "Expired", "Converted"):
		deal_registration.approve(name, sales_person)
	if state == "Returned":
		deal_registration.return_for_information(name, "Mohon lengkapi NPWP dan alamat gudang.")
	elif state == "Rejected":
		deal_registration.reject(name, "Pelanggan ini sudah dilayani langsung oleh tim kami.")
	elif state == "Expired":
		frappe.db.set_value(DOCTYPE, name, "protected_until", add_days(today, -1), update_modified=False)
		deal_expiry.expire_one(name)
	elif state == "Converted":
		api.create_customer(frappe.db.get_value(DOCTYPE, name, "opportunity"))
