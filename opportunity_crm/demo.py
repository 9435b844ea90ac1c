"""A believable quarter of an Indonesian distributor, deterministic by seed, made through the same documents
and rules a desk user goes through, and dated in the past the way ERPNext's own demo and the suite's
history (`tests/history.py`) date theirs: documents carry their past dates (`transaction_date`), and what
the app stamps with "now" (the movement log's `moved_on`, `converted_on`, `creation`) is moved back to the
day of the story it belongs to, right after each step.

    bench --site SITE execute opportunity_crm.demo.load --kwargs "{'leads': 20, 'seed': 42}"

What it makes (`generate`; `load` makes it once per site):
- Sales Partners (companies and individuals), a Sales Person tree of two teams, each salesperson with a
  target for every fiscal year of the story, spread by a Monthly Distribution;
- Leads with Addresses and Contacts; most become Opportunities during the last twelve weeks, with a wish
  list, a Sales Team (a third split 60/40, some with an overlay row), and a story week by week: stage
  moves forward and back, amounts up and down, closing dates pushed; then won (a submitted Quotation,
  the Customer and a submitted Sales Order), lost, quoted and still open, or open; open deals close over
  this quarter and the next;
- a weekly forecast snapshot for each of those weeks (`forecasting.forecast.take_snapshot`, taken when the story
  reaches its day);
- the partner channel (`demo_channel`): partner users and Deal Registrations in every state.
"""

import calendar
import random
from contextlib import contextmanager

import frappe
from frappe.utils import add_days, add_months, get_last_day, getdate, nowdate

from opportunity_crm import api
from opportunity_crm.forecasting import forecast, movement

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


WEEKS = 12  # of history before today
DISTRIBUTION = "Musiman Distributor"
# a distributor's year: quiet after the new year, busy before Lebaran and at the year's end (sums to 100)
SEASON = (7, 7, 8, 9, 8, 7, 8, 8, 9, 9, 9, 11)
OUTCOMES = ("open", "quoted", "won", "lost")
LOST_REASONS = ("Harga terlalu tinggi", "Memilih pesaing", "Anggaran ditunda")
DEMO_MARK = "opportunity_crm_demo"  # a global default: the seed the site's demo was made with


def load(leads: int = 20, seed: int = 42) -> dict:
	"""The demo, once per site (dev/up calls it on every run): returns what was made, or what a previous
	run made."""
	if frappe.db.get_default(DEMO_MARK):
		return {"already_loaded": frappe.db.get_default(DEMO_MARK)}
	made = generate(leads=leads, seed=seed)
	frappe.db.set_default(DEMO_MARK, f"leads={leads} seed={seed}")
	frappe.db.commit()
	return made


def generate(leads: int = 20, seed: int = 42, commit: bool = True) -> dict:
	"""Make `leads` Leads and the quarter that follows from them (see the module); return the counts of
	what was made. Commits, unless told not to (the test rolls back what it made)."""
	from opportunity_crm import demo_channel

	rng = random.Random(seed)
	mute = frappe.flags.mute_emails
	frappe.flags.mute_emails = True
	try:
		story = Story(rng)
		story.plan(leads)
		story.run()
		channel = demo_channel.generate(rng, story)
		story.snapshot(story.days[-1])  # today's, after the channel's deals
		made = {**story.made, **channel, "lead_names": story.lead_names}
	finally:
		frappe.flags.mute_emails = mute
	if commit:
		frappe.db.commit()
	return made


def quarter_end(day, quarters_ahead: int = 0):
	first = getdate(day).replace(day=1, month=3 * ((getdate(day).month - 1) // 3) + 1)
	return get_last_day(add_months(first, 3 * quarters_ahead + 2))


class Story:
	"""The quarter, planned first (every draw of the seed's random numbers, in one order), then played week
	by week: each week's steps in plan order, then that week's forecast snapshot."""

	def __init__(self, rng: random.Random):
		self.rng = rng
		self.today = getdate(nowdate())
		self.days = [add_days(self.today, -7 * (WEEKS - week)) for week in range(WEEKS + 1)]
		self.horizon = quarter_end(self.today, 1)  # open deals close by the end of next quarter
		self.company = default_company()
		self.steps: dict[int, list] = {week: [] for week in range(WEEKS + 1)}
		self.plans: list[tuple] = []  # (week, lead, deal): what `plan` drew
		self.won_today = 0
		self.lead_names: list[str] = []  # the Leads made, in order
		self.minute = 0
		self.made = dict.fromkeys(
			(
				"leads",
				"opportunities",
				"customers",
				"quotations",
				"sales_orders",
				"won",
				"lost",
				"split_teams",
				"stage_moves",
				"snapshots",
				"targets",
			),
			0,
		)
		fiscal_years(self.days[0], self.horizon)
		self.partners = [
			sales_partner(f"PT Mitra {w} {t}", "Company") for w, t in zip(WORDS[:3], TRADES, strict=False)
		]
		self.partners += [
			sales_partner(f"Bapak {f} {last}", "Individual") for f, last in zip(FIRST[:3], LAST, strict=False)
		]
		self.people = sales_person_tree()
		self.made["targets"] = targets(self.people, fiscal_years(self.days[0], self.horizon), rng)
		self.items = [service(name) for name in SERVICES]
		for reason in LOST_REASONS:
			if not frappe.db.exists("Opportunity Lost Reason", reason):
				frappe.get_doc({"doctype": "Opportunity Lost Reason", "lost_reason": reason}).insert()

	# planning: every random draw happens here, in lead order

	def plan(self, leads: int) -> None:
		rng = self.rng
		# the first four deals end each way, so that even a small demo shows every outcome
		first = rng.sample(OUTCOMES, k=len(OUTCOMES))
		for number in range(leads):
			week = rng.randint(0, WEEKS - 3)
			lead = {
				"first_name": rng.choice(FIRST),
				"last_name": rng.choice(LAST),
				"company_name": f"PT {rng.choice(WORDS)} {rng.choice(TRADES)} {rng.choice(WORDS)}",
				"mobile_no": f"+62 812 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
				"addresses": [address_values(rng) for _ in range(rng.randint(1, 2))],
				"contacts": [contact_values(rng) for _ in range(rng.randint(1, 2))],
			}
			if rng.random() < 0.3 and number >= len(first):
				self.plans.append((week, lead, None))
				self.steps[week].append(lambda lead=lead: self.new_lead(lead))
				continue
			deal = self.plan_deal(week, first[number] if number < len(first) else None)
			self.plans.append((week, lead, deal))
			self.steps[week].append(lambda lead=lead, deal=deal: self.new_deal(lead, deal))
			for move_week, kind, value in deal["moves"]:
				self.steps[move_week].append(
					lambda deal=deal, kind=kind, value=value: self.move(deal, kind, value)
				)

	def plan_deal(self, week: int, outcome: str | None = None) -> dict:
		rng = self.rng
		drawn = rng.choices(OUTCOMES, weights=(40, 20, 25, 15))[0]
		outcome = outcome or drawn
		person = rng.choice(self.people)
		team = [{"sales_person": person, "allocated_percentage": 100}]
		split = rng.random()
		if split < 0.35:
			other = rng.choice([p for p in self.people if p != person])
			team = [
				{"sales_person": person, "allocated_percentage": 60},
				{"sales_person": other, "allocated_percentage": 40},
			]
		elif split < 0.5:
			other = rng.choice([p for p in self.people if p != person])
			team.append({"sales_person": other, "allocated_percentage": 50, "overlay": 1})
		stage = rng.randint(0, 1)
		amount = rng.randint(5, 500) * 1_000_000
		end = rng.randint(week + 2, WEEKS) if outcome in ("won", "lost") else WEEKS
		if outcome == "won" and not self.won_today:
			end = self.won_today = WEEKS  # one deal is won today: this month's conversions are never empty
		closing = (
			add_days(self.days[end], rng.randint(0, 10))
			if outcome in ("won", "lost")
			else add_days(self.today, rng.randint(3, (self.horizon - self.today).days))
		)
		deal = {
			"outcome": outcome,
			"partner": rng.choice(self.partners),
			"person": person,
			"team": team,
			"stage": STAGES[stage],
			"amount": amount,
			"item": rng.choice(self.items),
			"qty": rng.randint(1, 10),
			"closing": closing,
			"moves": [],
		}
		# stage moves between the first week and the end, mostly forward
		for move_week in sorted(rng.sample(range(week + 1, end + 1), k=min(rng.randint(1, 3), end - week))):
			stage = max(0, min(len(STAGES) - 1, stage + (-1 if rng.random() < 0.2 else 1)))
			deal["moves"].append((move_week, "stage", STAGES[stage]))
		if rng.random() < 0.35:
			factor = rng.choice((0.8, 0.9, 1.1, 1.25))
			deal["moves"].append((rng.randint(week + 1, end), "amount", round(amount * factor, -6)))
		if outcome in ("open", "quoted") and rng.random() < 0.4:
			# first expected a month earlier, pushed when the customer asked for time
			deal["first_closing"] = add_days(closing, -30)
			deal["moves"].append((rng.randint(week + 1, WEEKS), "push", closing))
		if outcome in ("quoted", "won"):
			deal["moves"].append((rng.randint(week + 1, end), "quote", None))
		if outcome in ("won", "lost"):
			deal["moves"].append((end, outcome, rng.choice(LOST_REASONS)))
		deal["moves"].sort(
			key=lambda move: (move[0], ("stage", "amount", "push", "quote", "won", "lost").index(move[1]))
		)
		return deal

	# playing

	def run(self) -> None:
		for week, day in enumerate(self.days):
			for step in self.steps[week]:
				with self.dated(day):
					step()
			if week < WEEKS:
				self.snapshot(day)

	def snapshot(self, day) -> None:
		forecast.take_snapshot(day, commit=False)
		self.made["snapshots"] += 1

	@contextmanager
	def dated(self, day):
		"""Run a step of the story on `day`: what the app stamped with now goes back to that day (today's
		steps keep their time: a stamp later today would be in the future)."""
		self.day = day
		last = frappe.db.sql("select ifnull(max(name), 0) from `tabOpportunity Movement`")[0][0]
		yield
		if day == self.today:
			return
		self.minute += 1
		stamp = f"{day} {8 + self.minute // 60 % 10:02d}:{self.minute % 60:02d}:00"
		frappe.db.sql(
			"""update `tabOpportunity Movement` set moved_on = %(stamp)s, creation = %(stamp)s,
			modified = %(stamp)s where name > %(last)s""",
			{"stamp": stamp, "last": last},
		)
		# and the dates the Opportunities keep of their log
		movement.refresh_dates(
			frappe.db.sql_list(
				"select distinct opportunity from `tabOpportunity Movement` where name > %(last)s",
				{"last": last},
			)
		)

	def backdate(self, doctype: str, name: str) -> None:
		if self.day == self.today:
			return
		frappe.db.sql(
			f"update `tab{doctype}` set creation = %(stamp)s, modified = %(stamp)s where name = %(name)s",
			{"stamp": f"{self.day} 08:00:00", "name": name},
		)

	def new_lead(self, values: dict) -> str:
		lead = frappe.get_doc(
			{
				"doctype": "Lead",
				"company": self.company,
				**{k: v for k, v in values.items() if k not in ("addresses", "contacts")},
			}
		).insert()
		self.made["leads"] += 1
		self.lead_names.append(lead.name)
		for row in values["addresses"]:
			address(lead.name, values["company_name"], row)
		# ERPNext may have made the Lead's first Contact already (CRM Settings ▸ auto creation)
		existing = frappe.db.count(
			"Dynamic Link", {"link_doctype": "Lead", "link_name": lead.name, "parenttype": "Contact"}
		)
		for row in values["contacts"][existing:]:
			contact(lead.name, row)
		self.backdate("Lead", lead.name)
		return lead.name

	def new_deal(self, lead_values: dict, deal: dict) -> None:
		lead = self.new_lead(lead_values)
		name = api.convert_lead(
			lead, company=self.company, sales_partner=deal["partner"], sales_person=deal["person"]
		)["opportunity"]
		doc = frappe.get_doc("Opportunity", name)
		doc.transaction_date = self.day
		doc.sales_stage = deal["stage"]
		doc.opportunity_amount = deal["amount"]
		doc.expected_closing = deal.get("first_closing") or deal["closing"]
		doc.append("items", {"item_code": deal["item"], "qty": deal["qty"], "rate": 2_500_000})
		doc.set("sales_team", [])
		for row in deal["team"]:
			doc.append("sales_team", row)
		doc.save()
		deal["name"] = name
		self.backdate("Opportunity", name)
		self.made["opportunities"] += 1
		self.made["split_teams"] += len(deal["team"]) > 1

	def move(self, deal: dict, kind: str, value) -> None:
		name = deal["name"]
		if kind == "quote":
			quotation = frappe.get_attr("erpnext.crm.doctype.opportunity.opportunity.make_quotation")(name)
			quotation.transaction_date = self.day
			quotation.valid_till = max(add_days(self.day, 30), add_days(self.today, 30))
			quotation.insert()
			quotation.submit()
			deal["quotation"] = quotation.name
			self.made["quotations"] += 1
			return
		if kind == "won":
			self.win(deal)
			return
		doc = frappe.get_doc("Opportunity", name)
		if kind == "lost":
			doc.declare_enquiry_lost([{"lost_reason": value}], [], _lost_detail(value))
			self.made["lost"] += 1
			return
		if kind == "stage":
			doc.sales_stage = value
			self.made["stage_moves"] += 1
		elif kind == "amount":
			doc.opportunity_amount = value
		elif kind == "push":
			doc.expected_closing = value
		doc.save()

	def win(self, deal: dict) -> None:
		"""Quotation ▸ Sales Order: ERPNext makes the Lead's Customer, the app links it to the Opportunity
		and dates the conversion (`converted_on`), the order is submitted."""
		order = frappe.get_attr("erpnext.selling.doctype.quotation.quotation.make_sales_order")(
			deal["quotation"]
		)
		order.transaction_date = self.day
		order.delivery_date = add_days(self.day, 14)
		order.insert()
		order.submit()
		frappe.db.set_value("Opportunity", deal["name"], "converted_on", self.day, update_modified=False)
		customer = frappe.db.get_value("Opportunity", deal["name"], "customer")
		if customer:
			self.backdate("Customer", customer)
		self.made["customers"] += bool(customer)
		self.made["sales_orders"] += 1
		self.made["won"] += 1


def _lost_detail(reason: str) -> str:
	return {
		"Harga terlalu tinggi": "Pelanggan memilih penawaran yang lebih murah.",
		"Memilih pesaing": "Pesaing lokal menawarkan pengiriman lebih cepat.",
	}.get(reason, "Proyek ditunda ke tahun anggaran berikutnya.")


def default_company() -> str:
	return (
		frappe.defaults.get_user_default("Company")
		or frappe.defaults.get_global_default("company")
		or frappe.get_all("Company", pluck="name", limit=1)[0]
	)


def fiscal_years(start, end) -> list[str]:
	"""The Fiscal Years of the calendar years from `start` to `end`, made where the site has none."""
	names = []
	for year in range(getdate(start).year, getdate(end).year + 1):
		name = frappe.db.get_value("Fiscal Year", {"year_start_date": f"{year}-01-01"})
		if not name:
			name = (
				frappe.get_doc(
					{
						"doctype": "Fiscal Year",
						"year": str(year) if not frappe.db.exists("Fiscal Year", str(year)) else f"FY {year}",
						"year_start_date": f"{year}-01-01",
						"year_end_date": f"{year}-12-31",
					}
				)
				.insert()
				.name
			)
		names.append(name)
	return names


def monthly_distribution() -> str:
	if not frappe.db.exists("Monthly Distribution", DISTRIBUTION):
		frappe.get_doc(
			{
				"doctype": "Monthly Distribution",
				"distribution_id": DISTRIBUTION,
				"percentages": [
					{"month": calendar.month_name[month], "percentage_allocation": share}
					for month, share in enumerate(SEASON, start=1)
				],
			}
		).insert()
	return DISTRIBUTION


def targets(people: list[str], years: list[str], rng: random.Random) -> int:
	"""A yearly target for each salesperson and fiscal year, spread by the distributor's season."""
	distribution = monthly_distribution()
	made = 0
	for person in people:
		amount = rng.randint(12, 30) * 100_000_000
		doc = frappe.get_doc("Sales Person", person)
		have = {row.fiscal_year for row in doc.targets}
		for year in years:
			if year not in have:
				doc.append(
					"targets", {"fiscal_year": year, "target_amount": amount, "distribution_id": distribution}
				)
				made += 1
		if len(doc.targets) > len(have):
			doc.save()
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


def address_values(rng: random.Random) -> dict:
	city, state = rng.choice(CITIES)
	return {
		"address_type": rng.choice(["Billing", "Office", "Shipping", "Warehouse"]),
		"address_line1": f"{rng.choice(STREETS)} No. {rng.randint(1, 250)}",
		"city": city,
		"state": state,
	}


def contact_values(rng: random.Random) -> dict:
	return {
		"first_name": rng.choice(FIRST),
		"last_name": rng.choice(LAST),
		"designation": rng.choice(["Direktur", "Manajer Pembelian", "Staf Keuangan", "Kepala Gudang"]),
	}


def address(lead: str, org: str, values: dict) -> None:
	frappe.get_doc(
		{
			"doctype": "Address",
			"address_title": org,
			"country": "Indonesia",
			"links": [{"link_doctype": "Lead", "link_name": lead}],
			**values,
		}
	).insert()


def contact(lead: str, values: dict) -> None:
	frappe.get_doc(
		{"doctype": "Contact", "links": [{"link_doctype": "Lead", "link_name": lead}], **values}
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
