"""Pipeline movement: one `Opportunity Movement` row per change of an Opportunity's Sales Stage, amount,
expected closing date, forecast category or Sales Person, when it becomes won (`opportunities/won.py`), per status
change to Lost or Closed, and per creation (a new deal).

`record_movements(doc)` runs in Opportunity.on_change, which Frappe runs after every insert and save and
after every `db_set` (ERPNext's Quotation and Sales Order set the status that way), so every path that
changes these fields through the document is seen: the form, REST, the app's reassignment, ERPNext's
declare_enquiry_lost, its auto-close job, a Sales Order's submit. It compares the document with what it was
before the change and writes every row of one change in ONE insert, in the same transaction: a rollback of
the change leaves no row. A save that changes none of the fields costs no query at all.

Each Opportunity carries the log's two dates of it (`LAST_MOVED`: its last movement; `STAGE_MOVED`: its
last New or Stage movement, when it entered its stage), two hidden read-only custom fields kept in the
transaction of the rows, so that the Pipeline Movement report reads each open deal's own row instead of
two index look-ups in the log per deal (benchmark 10). An insert takes them in its own INSERT (`validate`
dates the document and its New row alike); a save or `db_set` that writes rows costs one UPDATE more, a
set-based change one UPDATE ... WHERE more; nothing else writes them (a save puts back what the row holds,
whatever the form sent). A merge keeps the surviving Opportunity's own dates (the merged one's rows join
its log); `refresh_dates` recomputes them from the log (the backfill, and whoever rewrites `moved_on`).

Directions are decided when the row is written and stored, so that a later edit of a stage's probability
does not rewrite history:
- Stage: Forward / Back when the new stage's probability (`Sales Stage.probability`, the app's custom field
  that already orders the funnel: ERPNext's stages get 10 %…80 % in funnel order) is higher / lower than
  the old one's; a stage set where there was none is Forward, a stage removed is Back; two stages of the
  same probability are neither.
- Won: once per Opportunity, when it becomes won (`opportunities/won.py`: a Customer, a Sales Order or ERPNext's
  Converted, whichever comes first; a merge that brings a won deal's rows brings its Won row).
- Amount: Up / Down by the amount in the company's currency (the report adds those).
- Closing Date: Pushed (later) / Pulled (earlier), when both dates are set.
"""

import frappe
from frappe.query_builder.terms import ParameterizedValueWrapper
from frappe.utils import flt, getdate, now_datetime
from pypika.terms import PseudoColumn, Term

from opportunity_crm.base.chunks import BACKFILL_CHUNK, add_indexes, run_counted, update_in_chunks
from opportunity_crm.opportunities.permissions import (
	NO_OBJECTION,
	get_restrictions,
	opportunity_conditions,
	opportunity_is_allowed,
)
from opportunity_crm.opportunities.won import is_won

DOCTYPE = "Opportunity Movement"
STATE_FLAG = "opportunity_crm_movement_state"
STAMP_FLAG = "opportunity_crm_moved_on"  # the insert's date, given to the document and its New row
# the Opportunity's custom fields (constants/custom_fields.py) that hold the log's dates of it
LAST_MOVED = "last_moved_on"  # its last movement
STAGE_MOVED = "stage_moved_on"  # its last movement of these kinds: when it entered its current stage
STAGE_KINDS = ("New", "Stage")
INSERT = object()  # marks the change that created the Opportunity
AMOUNT_COLUMNS = ("from_amount", "to_amount", "from_base_amount", "to_base_amount")  # NOT NULL, as Currency
# status the Opportunity reaches -> kind of the row; Won is written when it becomes won (`opportunities/won.py`)
STATUS_KINDS = {"Lost": "Lost", "Closed": "Closed"}
COLUMNS = (
	"opportunity",
	"company",
	"kind",
	"direction",
	"moved_on",
	"moved_by",
	"sales_person",
	"from_sales_person",
	"from_stage",
	"to_stage",
	"from_closing_date",
	"to_closing_date",
	"from_forecast_category",
	"to_forecast_category",
	"from_status",
	"to_status",
	"currency",
	"from_amount",
	"to_amount",
	"from_base_amount",
	"to_base_amount",
)


# The movement table's composite indexes (`search_index` in the doctype JSON gives single columns only):
# - the Pipeline Movement report's period: the columns its period statement filters on as equalities or
#   lists (company, Sales Person, kind, direction), then the date range, then every other column it reads:
#   MariaDB reads a few ranges of this index per Sales Person, in the order of its GROUP BY, and no table
#   row (without it the statement scans the table: benchmark 10, docs/performance-movement-report.md);
# - each Opportunity's movements, and its last one (open deals' last change, a deletion's rows);
# - when an Opportunity entered its stage: its last New or Stage row.
MOVEMENT_INDEXES = {
	DOCTYPE: {
		"opportunity_crm_period": (
			"company",
			"sales_person",
			"kind",
			"direction",
			"moved_on",
			"opportunity",
			"from_base_amount",
			"to_base_amount",
		),
		"opportunity_moved_on_index": ("opportunity", "moved_on"),
		"opportunity_kind_moved_on_index": ("opportunity", "kind", "moved_on"),
	}
}


# The open deals' statement of the Pipeline Movement report, from the Opportunity's own columns: the
# columns it filters on (status, company, and converted_on: not won), then every column it reads. MariaDB
# reads a few ranges of this index and no table row: 0.13-0.21 s for 83,000 open deals of 500,000 where
# the table scan took 0.3-0.6 s (benchmark 10).
OPEN_DEAL_INDEXES = {
	"Opportunity": {
		"opportunity_crm_open_deals": (
			"status",
			"company",
			"converted_on",
			"sales_person",
			"creation",
			LAST_MOVED,
			STAGE_MOVED,
		),
	}
}


def ensure_movement_indexes() -> None:
	"""Called on install, by the patches and when the doctype is synced (its `on_doctype_update`). The
	Opportunity's index once it has the dates' columns (the custom fields come after the doctype sync of an
	upgrade: the patch that adds them makes it)."""
	add_indexes(MOVEMENT_INDEXES)
	if frappe.db.has_column("Opportunity", LAST_MOVED) and frappe.db.has_column("Opportunity", STAGE_MOVED):
		add_indexes(OPEN_DEAL_INDEXES)


def state_of(doc) -> dict:
	"""The values the movement log watches, normalised (empty -> None, dates as dates, amounts as floats)."""
	return {
		"sales_stage": doc.get("sales_stage") or None,
		"opportunity_amount": flt(doc.get("opportunity_amount")),
		"base_opportunity_amount": flt(doc.get("base_opportunity_amount")),
		"expected_closing": getdate(doc.get("expected_closing")) if doc.get("expected_closing") else None,
		"forecast_category": doc.get("forecast_category") or None,
		"sales_person": doc.get("sales_person") or None,
		"status": doc.get("status") or None,
		"won": is_won(doc.get("status"), doc.get("converted_on")),
	}


def date_the_document(doc) -> None:
	"""In `validate`: an insert takes its New row's date in its own INSERT (no UPDATE after it); a save
	keeps the dates its row holds, whatever the document brought (a form opened before a move, a REST
	call): only the movement log writes them."""
	if doc.is_new():
		doc.flags[STAMP_FLAG] = now_datetime()
		doc.set(LAST_MOVED, doc.flags[STAMP_FLAG])
		doc.set(STAGE_MOVED, doc.flags[STAMP_FLAG])
		return
	previous = doc.get_doc_before_save()
	if previous:
		doc.set(LAST_MOVED, previous.get(LAST_MOVED))
		doc.set(STAGE_MOVED, previous.get(STAGE_MOVED))


def record_movements(doc) -> None:
	"""Write the rows for what changed in `doc` since it was loaded (or since the last call for the same
	change: ERPNext's `set_status` calls `db_set` twice, and each runs on_change)."""
	if doc.flags.in_delete:
		return  # Frappe runs on_change when deleting too
	if doc.flags.opportunity_crm_fold_into:
		return  # an intake's second Opportunity of a Lead, merged into the Lead's one: not a new deal
	# Which change this is: the insert (Frappe keeps `in_insert` set while it runs on_update / on_change
	# after one), or the save / db_set that loaded `previous_doc`.
	previous_doc = doc.get_doc_before_save()
	change = INSERT if doc.flags.in_insert else previous_doc
	seen = doc.flags.get(STATE_FLAG)
	if seen and seen[0] is change:
		before = seen[1]
	elif change is INSERT or previous_doc is None:
		before = None
	else:
		before = state_of(previous_doc)
	after = state_of(doc)
	doc.flags[STATE_FLAG] = (change, after)
	if before == after:
		return
	rows = changes(doc, before, after)
	if not rows:
		return
	stamp = doc.flags.get(STAMP_FLAG) if change is INSERT else None
	moved_on = stamp or now_datetime()
	insert_rows(rows, moved_on)
	if not stamp:  # the insert wrote the dates already
		set_dates(doc, moved_on, any(r["kind"] in STAGE_KINDS for r in rows))


def set_dates(doc, moved_on, stage: bool) -> None:
	"""The Opportunity's dates after rows dated `moved_on`: one UPDATE (not `modified`), and the same on the
	document in memory, so that a later save of it writes them unchanged."""
	fields = {LAST_MOVED: moved_on, **({STAGE_MOVED: moved_on} if stage else {})}
	opportunity = frappe.qb.DocType("Opportunity")
	query = frappe.qb.update(opportunity).where(opportunity.name == doc.name)
	for field, value in fields.items():
		query = query.set(opportunity[field], value)
		doc.set(field, value)
	query.run()


def changes(doc, before: dict | None, after: dict) -> list[dict]:
	def row(kind, direction=None, **values):
		return {
			"kind": kind,
			"direction": direction,
			"sales_person": after["sales_person"],
			"from_sales_person": before["sales_person"] if before else None,
			**values,
		}

	common = {"opportunity": doc.name, "company": doc.get("company"), "currency": doc.get("currency")}
	if before is None:
		rows = [
			row(
				"New",
				to_stage=after["sales_stage"],
				to_closing_date=after["expected_closing"],
				to_forecast_category=after["forecast_category"],
				to_status=after["status"],
				to_amount=after["opportunity_amount"],
				to_base_amount=after["base_opportunity_amount"],
			)
		]
		return [{**common, **r} for r in rows]

	rows = []
	if before["sales_stage"] != after["sales_stage"]:
		rows.append(
			row(
				"Stage",
				stage_direction(before["sales_stage"], after["sales_stage"]),
				from_stage=before["sales_stage"],
				to_stage=after["sales_stage"],
			)
		)
	if before["opportunity_amount"] != after["opportunity_amount"]:
		rows.append(
			row(
				"Amount",
				up_or_down(before, after),
				from_amount=before["opportunity_amount"],
				to_amount=after["opportunity_amount"],
				from_base_amount=before["base_opportunity_amount"],
				to_base_amount=after["base_opportunity_amount"],
			)
		)
	if before["expected_closing"] != after["expected_closing"]:
		direction = None
		if before["expected_closing"] and after["expected_closing"]:
			direction = "Pushed" if after["expected_closing"] > before["expected_closing"] else "Pulled"
		rows.append(
			row(
				"Closing Date",
				direction,
				from_closing_date=before["expected_closing"],
				to_closing_date=after["expected_closing"],
			)
		)
	if before["forecast_category"] != after["forecast_category"]:
		rows.append(
			row(
				"Forecast Category",
				from_forecast_category=before["forecast_category"],
				to_forecast_category=after["forecast_category"],
			)
		)
	if before["sales_person"] != after["sales_person"]:
		rows.append(row("Sales Person"))
	if (
		after["won"]
		and not before["won"]
		and not frappe.db.exists(DOCTYPE, {"opportunity": doc.name, "kind": "Won"})
	):
		# a Customer, a Sales Order or an ordered Quotation, whichever came first: one Won row per
		# Opportunity (a merge brings the merged one's rows, its win included)
		rows.append(
			row(
				"Won",
				from_status=before["status"],
				to_status=after["status"],
				to_stage=after["sales_stage"],  # the stage it was won at
			)
		)
	if before["status"] != after["status"] and after["status"] in STATUS_KINDS:
		rows.append(
			row(
				STATUS_KINDS[after["status"]],
				from_status=before["status"],
				to_status=after["status"],
				to_stage=after["sales_stage"],  # the stage it was won, lost or closed at
			)
		)
	return [{**common, **r} for r in rows]


def stage_direction(from_stage: str | None, to_stage: str | None) -> str | None:
	if not from_stage:
		return "Forward"
	if not to_stage:
		return "Back"
	before, after = stage_probability(from_stage), stage_probability(to_stage)
	if after == before:
		return None
	return "Forward" if after > before else "Back"


def stage_probability(stage: str) -> float:
	return flt(frappe.get_cached_value("Sales Stage", stage, "probability"))


def up_or_down(before: dict, after: dict) -> str | None:
	"""By the amount in the company's currency; by the Opportunity's own amount when both are equal there
	(no exchange rate yet)."""
	for field in ("base_opportunity_amount", "opportunity_amount"):
		if after[field] != before[field]:
			return "Up" if after[field] > before[field] else "Down"
	return None


def insert_rows(rows: list[dict], moved_on=None) -> None:
	"""One INSERT for the rows of one change, through the query builder (no document per row: a log row has
	no rules of its own, and a `Document.insert` per row would validate each of its links with a query on
	every save of the Opportunity form). `creation`, `modified`, `owner` and `modified_by` are set as an
	insert would set them; `name` comes from the doctype's autoincrement sequence, as `Document.insert`
	takes it (integer keys in time order: the table grows at its end, and its indexes stay small)."""
	moved_on, user = moved_on or now_datetime(), frappe.session.user
	table = frappe.qb.DocType(DOCTYPE)
	columns = ("name", "creation", "modified", "owner", "modified_by", *COLUMNS)
	query = frappe.qb.into(table).columns(*columns)
	sequence = PseudoColumn("nextval(`opportunity_movement_id_seq`)")
	for r in rows:
		r.update(moved_on=moved_on, moved_by=user)
		values = [r.get(c) for c in COLUMNS]
		values = [0 if v is None and c in AMOUNT_COLUMNS else v for c, v in zip(COLUMNS, values, strict=True)]
		query = query.insert(sequence, moved_on, moved_on, user, user, *values)
	query.run()


# field of a set-based change -> (kind, column before, column after)
SET_BASED = {
	"forecast_category": ("Forecast Category", "from_forecast_category", "to_forecast_category"),
	"sales_person": ("Sales Person", "from_sales_person", "sales_person"),
}


def record_set_based_change(field: str, value, criterion) -> None:
	"""For an UPDATE of `tabOpportunity` that sets `field` to `value` where `criterion` (a query-builder
	term on `frappe.qb.DocType("Opportunity")`) holds: one row per Opportunity it will change, in ONE
	INSERT ... SELECT, and their `LAST_MOVED` in one UPDATE ... WHERE. Call it right before the UPDATE, in
	its transaction (e.g. a Sales Stage's new forecast category taken by the Opportunities that follow it)."""
	kind, from_column, to_column = SET_BASED[field]
	opportunity = frappe.qb.DocType("Opportunity")
	table = frappe.qb.DocType(DOCTYPE)
	moved_on, user = now_datetime(), frappe.session.user
	after_person = value if field == "sales_person" else opportunity.sales_person
	before = {
		"name": PseudoColumn("nextval(`opportunity_movement_id_seq`)"),
		"creation": moved_on,
		"modified": moved_on,
		"owner": user,
		"modified_by": user,
		"opportunity": opportunity.name,
		"company": opportunity.company,
		"kind": kind,
		"moved_on": moved_on,
		"moved_by": user,
		"sales_person": after_person,
		"from_sales_person": opportunity.sales_person,
		from_column: opportunity[field],
		to_column: value,
		"currency": opportunity.currency,
		**dict.fromkeys(AMOUNT_COLUMNS, 0),
	}
	changes = (opportunity[field] != value) | opportunity[field].isnull()
	(
		frappe.qb.into(table)
		.columns(*before)
		.from_(opportunity)
		.select(*(ParameterizedValueWrapper(v) if not isinstance(v, Term) else v for v in before.values()))
		.where(criterion & changes)
		.run()
	)
	# neither kind is a stage move: only the last movement's date
	frappe.qb.update(opportunity).set(opportunity[LAST_MOVED], moved_on).where(criterion & changes).run()


# The dates from the log: the backfill, and whoever rewrites `moved_on` ------------------------------------

# Each Opportunity of `{opportunities}` (a condition on `o`) and its dates from its movement rows (of
# `{movements}`, the same condition on `m.opportunity`), NULL without any: one grouped UPDATE, its derived
# table read from the (opportunity, kind, moved_on) index alone. Only what differs is written.
STAGE_KINDS_SQL = ", ".join(f"'{kind}'" for kind in STAGE_KINDS)
REFRESH_DATES = f"""
	update `tabOpportunity` o
	left join (
		select m.opportunity, max(m.moved_on) as last_moved_on,
			max(if(m.kind in ({STAGE_KINDS_SQL}), m.moved_on, null)) as stage_moved_on
		from `tab{DOCTYPE}` m
		where {{movements}}
		group by m.opportunity
	) log on log.opportunity = o.name
	set o.`{LAST_MOVED}` = log.last_moved_on, o.`{STAGE_MOVED}` = log.stage_moved_on
	where {{opportunities}}
		and not (o.`{LAST_MOVED}` <=> log.last_moved_on and o.`{STAGE_MOVED}` <=> log.stage_moved_on)
"""


def refresh_dates(opportunities: list[str]) -> int:
	"""Recompute the dates of these Opportunities from their movement rows (after `moved_on` was rewritten:
	the demo's story, tests that backdate a deal); return how many changed."""
	if not opportunities:
		return 0
	return run_counted(
		REFRESH_DATES.format(opportunities="o.name in %(names)s", movements="m.opportunity in %(names)s"),
		{"names": tuple(opportunities)},
	)


def refresh_dates_between(lo: str, hi: str) -> int:
	"""`refresh_dates` of the Opportunities named in (lo, hi]."""
	between = "{} > %(lo)s and {} <= %(hi)s"
	return run_counted(
		REFRESH_DATES.format(
			opportunities=between.format("o.name", "o.name"),
			movements=between.format("m.opportunity", "m.opportunity"),
		),
		{"lo": lo, "hi": hi},
	)


def backfill_dates(chunk: int = BACKFILL_CHUNK) -> int:
	"""Give every Opportunity its dates from the log (the patch that added the fields; install, where a
	log is kept): one grouped UPDATE and one commit per chunk of `chunk` Opportunities in `name` order.
	Return how many changed (a second run: none). Nothing to do while the log is empty."""
	if not frappe.db.sql(f"select 1 from `tab{DOCTYPE}` limit 1"):
		return 0
	ensure_movement_indexes()  # the derived table reads (opportunity, kind, moved_on)
	return update_in_chunks(refresh_dates_between, chunk)


def forget(opportunity: str) -> None:
	"""A deleted Opportunity takes its movements with it."""
	frappe.db.delete(DOCTYPE, {"opportunity": opportunity})


# Row-level access: a movement is seen by whoever sees its Opportunity ----------------------------------


def movement_conditions(user: str | None = None, doctype: str | None = None) -> str:
	conditions = opportunity_conditions(user)
	if not conditions:
		return ""
	return (
		f"`tab{DOCTYPE}`.`opportunity` in (select `tabOpportunity`.`name` from `tabOpportunity`"
		f" where {conditions})"
	)


def movement_has_permission(doc, ptype=None, user=None, debug=False) -> bool:
	restrictions = get_restrictions(user or frappe.session.user)
	if not restrictions:
		return NO_OBJECTION
	opportunity = frappe.db.get_value(
		"Opportunity", doc.opportunity, ["name", "sales_person", "sales_partner"], as_dict=True
	)
	return bool(opportunity) and opportunity_is_allowed(opportunity, restrictions)
