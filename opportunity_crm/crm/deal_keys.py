"""The keys a Deal Registration is matched on, and the matching.

Four normalised keys say "the same prospect" whatever way it was typed: the tax id (NPWP), the e-mail or
web domain, the phone number and the company name. Leads, Customers and Prospects (custom fields) and Deal
Registrations store them in indexed columns (`KEY_FIELDS`), set on every save (`set_keys`, from each
doctype's own fields: `KEY_SOURCES`) and backfilled for what existed before (`backfill_keys`).
`find_matches` looks them up: equality on an indexed column, one `UNION ALL` query per table, never a scan.

The normalisation exists only here, in Python: the backfill computes the keys in Python (chunks of 1,000
rows, one bulk UPDATE per chunk) rather than in SQL, where folding accents and removing legal forms the
same way is not possible.
"""

import re
import unicodedata
from urllib.parse import urlsplit

import frappe
from frappe.utils import today

from opportunity_crm.constants.deal_keys import FREE_MAIL_DOMAINS, LEGAL_FORMS, MULTI_LABEL_SUFFIXES

KEY_FIELDS = ("key_tax_id", "key_domain", "key_phone", "key_name")

# Where each doctype keeps what its keys come from: `set_keys`' argument -> the field (a tuple: the first
# one that is set). The save hooks and the backfill both read this.
KEY_SOURCES = {
	"Lead": {
		"email": "email_id",
		"website": "website",
		"phone": ("phone", "mobile_no"),
		"company_name": "company_name",
	},
	"Customer": {
		"tax_id": "tax_id",
		"email": "email_id",
		"website": "website",
		"phone": "mobile_no",
		"company_name": "customer_name",
	},
	"Prospect": {"website": "website", "company_name": "company_name"},
}

# An Opportunity still open: not lost, closed or won (a won one's Customer matches by itself).
CLOSED_OPPORTUNITY_STATUSES = ("Lost", "Closed", "Converted")
# A registration that holds its prospect: waiting for a decision, or approved and still protected.
PENDING_REGISTRATION_STATUSES = ("Submitted", "Returned")

# At most this many records per key and table: a check stays a few index reads even for a common name.
MAX_MATCHES_PER_KEY = 100

MIN_TAX_ID_DIGITS = 6
MIN_PHONE_DIGITS = 6


# Normalisers ----------------------------------------------------------------------------------------------


def normalise_tax_id(value) -> str | None:
	"""Digits only. Indonesia's 16-digit NPWP of a company is its 15-digit NPWP with a leading 0, so
	`0` + 15 digits becomes the 15 digits: 01.234.567.8-901.000 and 0012345678901000 are one key."""
	digits = re.sub(r"\D", "", str(value or ""))
	if len(digits) == 16 and digits.startswith("0"):
		digits = digits[1:]
	return digits if len(digits) >= MIN_TAX_ID_DIGITS else None


def email_domain(email_or_url) -> str | None:
	"""The registrable domain of an e-mail address or a web address, in lower case, without `www.`:
	`Sales@Mail.Acme.co.id` and `https://www.acme.co.id/about` are both `acme.co.id`. None for a free-mail
	domain (gmail.com, yahoo.co.id…) and for what is not a domain."""
	text = str(email_or_url or "").strip().lower()
	if not text:
		return None
	if "@" in text and "/" not in text.split("@")[0]:
		host = text.rsplit("@", 1)[1]
	else:
		host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
	host = host.strip(". ")
	labels = [label for label in host.split(".") if label]
	if len(labels) < 2 or not all(re.fullmatch(r"[a-z0-9-]+", label) for label in labels):
		return None
	if labels[0] == "www":
		labels = labels[1:]
	size = 3 if ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES else 2
	if len(labels) < size:
		return None
	domain = ".".join(labels[-size:])
	return None if domain in FREE_MAIL_DOMAINS else domain


def phone_digits(value) -> str | None:
	"""Digits only, without the country or trunk prefix: +62 812-3456-789, 62812 3456 789, 0062 812… and
	0812-3456-789 are all 8123456789."""
	digits = re.sub(r"\D", "", str(value or ""))
	for prefix in ("0062", "62", "0"):
		if digits.startswith(prefix):
			digits = digits[len(prefix) :]
			break
	return digits if len(digits) >= MIN_PHONE_DIGITS else None


def company_key(name) -> str | None:
	"""The company name in lower case, accents folded, without punctuation, spaces or legal forms
	(`LEGAL_FORMS`, wherever they stand): "PT. Maju Jaya (Persero) Tbk", "MAJU JAYA, P.T." and
	"Maju-Jaya" are all `majujaya`."""
	text = unicodedata.normalize("NFKD", str(name or ""))
	text = "".join(char for char in text if not unicodedata.combining(char)).lower()
	words = re.sub(r"[^a-z0-9]+", " ", text).split()
	# letters spelled out with dots or spaces ("P.T.", "C V") are one word
	merged, letters = [], ""
	for word in words:
		if len(word) == 1 and word.isalpha():
			letters += word
			continue
		if letters:
			merged.append(letters)
			letters = ""
		merged.append(word)
	if letters:
		merged.append(letters)
	return "".join(word for word in merged if word not in LEGAL_FORMS) or None


# Keys of a document ---------------------------------------------------------------------------------------


def compute_keys(tax_id=None, email=None, website=None, phone=None, company_name=None) -> dict:
	"""The four keys. The domain comes from the website, else from the e-mail address."""
	return {
		"key_tax_id": normalise_tax_id(tax_id),
		"key_domain": email_domain(website) or email_domain(email),
		"key_phone": phone_digits(phone),
		"key_name": company_key(company_name),
	}


def set_keys(doc, tax_id=None, email=None, website=None, phone=None, company_name=None) -> None:
	"""Set the four key fields of `doc`."""
	doc.update(
		compute_keys(tax_id=tax_id, email=email, website=website, phone=phone, company_name=company_name)
	)


def source_values(doctype: str, row) -> dict:
	"""`set_keys`' arguments, read from a Lead, Customer or Prospect (a document or a dict)."""
	values = {}
	for argument, fields in KEY_SOURCES[doctype].items():
		fields = fields if isinstance(fields, tuple) else (fields,)
		values[argument] = next((row.get(field) for field in fields if row.get(field)), None)
	return values


def set_keys_from_sources(doc) -> None:
	"""Lead, Customer and Prospect validate: their keys from their own fields."""
	set_keys(doc, **source_values(doc.doctype, doc))


def keys_of(doc) -> dict:
	"""The keys stored on a document (for `find_matches`)."""
	return {field: doc.get(field) for field in KEY_FIELDS}


# Backfill -------------------------------------------------------------------------------------------------


def backfill_keys(chunk: int = 1000) -> dict[str, int]:
	"""Set the keys of every Lead, Customer and Prospect saved before they existed (install and the patch
	`backfill_deal_keys`): in Python, a chunk of `chunk` rows at a time in `name` order (keyset
	pagination), one bulk UPDATE of the rows whose keys change per chunk and a commit; `modified` is left
	as it was. Return the rows changed per doctype (a second run: none)."""
	return {doctype: backfill_doctype_keys(doctype, chunk) for doctype in KEY_SOURCES}


def backfill_doctype_keys(doctype: str, chunk: int = 1000) -> int:
	sources = sorted(
		{
			field
			for fields in KEY_SOURCES[doctype].values()
			for field in (fields if isinstance(fields, tuple) else (fields,))
		}
	)
	columns = ", ".join(f"`{field}`" for field in ("name", *sources, *KEY_FIELDS))
	changed, last = 0, ""
	while True:
		rows = frappe.db.sql(
			f"select {columns} from `tab{doctype}` where name > %s order by name limit %s",
			(last, chunk),
			as_dict=True,
		)
		if not rows:
			return changed
		updates = {}
		for row in rows:
			keys = compute_keys(**source_values(doctype, row))
			if any((row.get(field) or None) != keys[field] for field in KEY_FIELDS):
				updates[row.name] = keys
		update_keys(doctype, updates)
		frappe.db.commit()
		changed += len(updates)
		last = rows[-1].name


def update_keys(doctype: str, updates: dict[str, dict]) -> None:
	"""One UPDATE of the rows `updates` names ({name: keys}), joined to their new keys by primary key.
	(`frappe.db.bulk_update` writes CASE WHEN name = … per field, which MariaDB evaluates row by row: the
	backfill of 200,000 rows took 102 s with it, 31 s with this; benchmarks/deal_conflicts.py.)"""
	if not updates:
		return
	columns = ("name", *KEY_FIELDS)
	first = "select " + ", ".join(f"%s as `{column}`" for column in columns)
	rest = " union all select " + ", ".join(["%s"] * len(columns))
	values = [value for name, keys in updates.items() for value in (name, *(keys[f] for f in KEY_FIELDS))]
	frappe.db.sql(
		f"""update `tab{doctype}` t join ({first}{rest * (len(updates) - 1)}) k on k.name = t.name
		set {", ".join(f"t.`{field}` = k.`{field}`" for field in KEY_FIELDS)}""",
		values,
	)


# Matching -------------------------------------------------------------------------------------------------

# Which keys each table can hold (Leads have no tax id, Prospects only a website and a name).
TABLE_KEYS = {
	"Lead": ("key_domain", "key_phone", "key_name"),
	"Customer": KEY_FIELDS,
	"Prospect": ("key_domain", "key_name"),
	"Deal Registration": KEY_FIELDS,
}

# What a match shows, per doctype: title, status, sales partner (SQL over the table aliased `t`).
MATCH_COLUMNS = {
	"Lead": ("ifnull(nullif(t.company_name, ''), t.lead_name)", "t.status", "null"),
	"Customer": ("t.customer_name", "if(t.disabled, 'Disabled', 'Active')", "t.default_sales_partner"),
	"Deal Registration": ("t.prospect_name", "t.status", "t.sales_partner"),
}


def find_matches(keys: dict, exclude=None) -> list[dict]:
	"""The Leads, Customers, open Opportunities (through their party's keys) and live Deal Registrations
	(waiting for a decision, or approved and protected until today or later) that share a key with `keys`
	(a dict of `KEY_FIELDS`; empty ones are ignored). One dict per record and key (at most
	`MAX_MATCHES_PER_KEY` per key and table): doctype, name, title, key (the key field), value, status,
	sales_partner.

	`exclude`: records not to report: a Deal Registration's name or document (then also its Lead and
	Opportunity), or (doctype, name) pairs."""
	keys = {field: keys.get(field) for field in KEY_FIELDS if keys.get(field)}
	if not keys:
		return []
	excluded = excluded_records(exclude)
	matches, seen = [], set()
	for sql, values in match_queries(keys):
		for row in frappe.db.sql(sql, values, as_dict=True):
			identity = (row.doctype, row.name, row.key)
			if (row.doctype, row.name) in excluded or identity in seen:
				continue
			seen.add(identity)
			matches.append(row)
	return matches


def match_queries(keys: dict) -> list[tuple[str, dict]]:
	"""The queries of `find_matches`: one per table, a `UNION ALL` of one equality on an indexed key column
	per key, so each part is an index lookup (`ref`; EXPLAIN shows no full scan: test_deal_keys and
	benchmarks/deal_conflicts.py). An OR of the keys in one WHERE would leave it to the optimiser to merge
	the indexes (index_merge union) or, on a small or skewed table, to scan it."""
	values = {
		**keys,
		"today": today(),
		"closed": CLOSED_OPPORTUNITY_STATUSES,
		"pending": PENDING_REGISTRATION_STATUSES,
	}
	queries = []
	for doctype in ("Lead", "Customer"):
		parts = [direct_lookup(doctype, field) for field in TABLE_KEYS[doctype] if field in keys]
		if parts:
			queries.append((" union all ".join(parts), values))

	parts = [
		opportunity_lookup(party, field)
		for party in KEY_SOURCES
		for field in TABLE_KEYS[party]
		if field in keys
	]
	if parts:
		queries.append((" union all ".join(parts), values))

	if frappe.db.table_exists("Deal Registration"):
		parts = [
			direct_lookup(
				"Deal Registration",
				field,
				"and (t.status in %(pending)s or (t.status = 'Approved' and t.protected_until >= %(today)s))",
			)
			for field in TABLE_KEYS["Deal Registration"]
			if field in keys
		]
		queries.append((" union all ".join(parts), values))
	return queries


def direct_lookup(doctype: str, field: str, condition: str = "") -> str:
	title, status, partner = MATCH_COLUMNS[doctype]
	return f"""(select '{doctype}' as doctype, t.name, {title} as title, {status} as status,
		{partner} as sales_partner, '{field}' as `key`, t.`{field}` as value
		from `tab{doctype}` t where t.`{field}` = %({field})s {condition}
		limit {MAX_MATCHES_PER_KEY})"""


def opportunity_lookup(party: str, field: str) -> str:
	"""The open Opportunities of the Leads / Customers / Prospects with the key: the party by its key's
	index, then its Opportunities by `opportunity_crm_party` (party_name, opportunity_from)."""
	return f"""(select 'Opportunity' as doctype, o.name, o.title, o.status, o.sales_partner,
		'{field}' as `key`, p.`{field}` as value
		from `tab{party}` p straight_join `tabOpportunity` o
			on o.party_name = p.name and o.opportunity_from = '{party}'
		where p.`{field}` = %({field})s and o.status not in %(closed)s
		limit {MAX_MATCHES_PER_KEY})"""


def excluded_records(exclude) -> set[tuple[str, str]]:
	if not exclude:
		return set()
	if isinstance(exclude, str):
		exclude = frappe.db.get_value(
			"Deal Registration", exclude, ["name", "lead", "opportunity"], as_dict=True
		) or {"name": exclude}
		exclude = frappe._dict(exclude, doctype="Deal Registration")
	if isinstance(exclude, dict) or hasattr(exclude, "doctype"):
		records = {(exclude.get("doctype"), exclude.get("name"))}
		if exclude.get("doctype") == "Deal Registration":
			records |= {("Lead", exclude.get("lead")), ("Opportunity", exclude.get("opportunity"))}
		return records
	if isinstance(exclude, tuple) and len(exclude) == 2 and isinstance(exclude[0], str):
		return {exclude}
	return {tuple(record) for record in exclude}
