"""The keys a Deal Registration is matched on, and the matching.

Four normalised keys say "the same prospect" whatever way it was typed: the tax id (NPWP), the registrable
domain of the website or e-mail address (Public Suffix List; on a shared platform the account, at a
free-mail provider the address), the phone number in E.164 and the company name. Leads, Customers and Prospects (custom fields) and Deal
Registrations store them in indexed columns (`KEY_FIELDS`), set on every save (`set_keys`, from each
doctype's own fields: `KEY_SOURCES`) and backfilled for what existed before (`backfill_keys`).
`find_matches` looks them up: equality on an indexed column, one `UNION ALL` query per table, never a scan.

The normalisation exists only here, in Python: the backfill computes the keys in Python (chunks of 1,000
rows, one bulk UPDATE per chunk) rather than in SQL, where folding accents and removing legal forms the
same way is not possible.
"""

import functools
import re
import unicodedata
from urllib.parse import parse_qs, unquote, urlsplit

import frappe
import phonenumbers
from frappe.utils import today
from publicsuffixlist import PublicSuffixList

from opportunity_crm.constants.deal_keys import (
	FREE_MAIL_DOMAINS,
	LEGAL_FORMS,
	NO_ACCOUNT_PLATFORMS,
	PATH_ACCOUNT_PLATFORMS,
	PLATFORM_ALIASES,
	PLATFORM_PAGES,
	SUBDOMAIN_ACCOUNT_PLATFORMS,
)
from opportunity_crm.constants.opportunity_status import CLOSED_STATUSES

KEY_FIELDS = ("key_tax_id", "key_domain", "key_phone", "key_name")

# Where each doctype keeps what its keys come from: `set_keys`' argument -> the field (a tuple: the first
# one that is set). The save hooks and the backfill both read this.
# `country` and `company` say where a phone number typed without its country code is (`phone_region`).
KEY_SOURCES = {
	"Lead": {
		"email": "email_id",
		"website": "website",
		"phone": ("phone", "mobile_no"),
		"company_name": "company_name",
		"country": "country",
		"company": "company",
	},
	"Customer": {
		"tax_id": "tax_id",
		"email": "email_id",
		"website": "website",
		"phone": "mobile_no",
		"company_name": "customer_name",
	},
	"Prospect": {"website": "website", "company_name": "company_name"},
	"Deal Registration": {
		"tax_id": "tax_id",
		"email": "contact_email",
		"website": "website",
		"phone": "contact_phone",
		"company_name": "prospect_name",
		"country": "country",
		"company": "company",
	},
}

# The parties an Opportunity can be of (`Opportunity.opportunity_from`) that carry keys.
PARTIES = ("Lead", "Customer", "Prospect")

# An Opportunity still open: not lost, closed or won (a won one's Customer matches by itself).
# A registration that holds its prospect: waiting for a decision, or approved and still protected.
PENDING_REGISTRATION_STATUSES = ("Submitted", "Returned")

# At most this many records per key and table: a check stays a few index reads even for a common name.
MAX_MATCHES_PER_KEY = 100

MIN_TAX_ID_DIGITS = 6
KEY_LENGTH = 140


# Normalisers ----------------------------------------------------------------------------------------------


def normalise_tax_id(value) -> str | None:
	"""Digits only. Indonesia's 16-digit NPWP of a company is its 15-digit NPWP with a leading 0, so
	`0` + 15 digits becomes the 15 digits: 01.234.567.8-901.000 and 0012345678901000 are one key."""
	digits = re.sub(r"\D", "", str(value or ""))
	if len(digits) == 16 and digits.startswith("0"):
		digits = digits[1:]
	return digits if len(digits) >= MIN_TAX_ID_DIGITS else None


@functools.cache
def public_suffix_list() -> PublicSuffixList:
	"""The Public Suffix List as the `publicsuffixlist` package ships it (ICANN and private sections),
	read from the package's own file: nothing is fetched, ever. A domain under a suffix the list does not
	know (`acme.local`) is no domain."""
	return PublicSuffixList(accept_unknown=False)


def registrable_domain(host) -> str | None:
	"""The domain a registrant holds: `shop.acme.co.id` is `acme.co.id`, `tokokue.blogspot.com` is itself
	(blogspot.com is a suffix of the list's private section). None for a public suffix or not a host."""
	host = str(host or "").strip(". ").lower()
	try:
		host = host.encode("idna").decode("ascii")
	except UnicodeError:
		return None
	labels = host.split(".")
	if len(labels) < 2 or not all(re.fullmatch(r"[a-z0-9-]+", label) for label in labels):
		return None
	return public_suffix_list().privatesuffix(host)


def domain_key(email_or_url) -> str | None:
	"""The key of an e-mail address (`email_key`) or of a web address (`website_key`)."""
	text = str(email_or_url or "").strip()
	if "@" in text and "/" not in text.split("@")[0]:
		return email_key(text)
	return website_key(text)


def email_key(email) -> str | None:
	"""The registrable domain of an e-mail address: `Sales@Mail.Acme.co.id` is `acme.co.id`. At a free-mail
	provider (gmail.com, yahoo.co.id…) the address is a person's own: the key is the whole address."""
	local, _at, host = str(email or "").strip().lower().rpartition("@")
	domain = registrable_domain(host)
	if not domain or not local:
		return None
	if domain not in FREE_MAIL_DOMAINS:
		return domain
	return f"{local}@{domain}" if re.fullmatch(r"[a-z0-9._%+-]+", local) else None


def website_key(url) -> str | None:
	"""The registrable domain of a web address: `https://www.acme.co.id/about` is `acme.co.id`. On a shared
	platform (`constants.deal_keys`) the key is the account, or nothing: `instagram.com/TokoKue/` is
	`instagram.com/tokokue`, `tokokue.wordpress.com` itself; `instagram.com`, `instagram.com/p/…` or a
	short link name no one."""
	text = str(url or "").strip().lower()
	if not text:
		return None
	try:
		parts = urlsplit(text if "//" in text else f"//{text}")
		host = parts.hostname or ""
	except ValueError:
		return None
	domain = registrable_domain(host)
	if not domain or domain.startswith(("www.", "m.")):
		return None  # a shared platform's own site (www.blogspot.com), no one's account
	platform = PLATFORM_ALIASES.get(domain, domain)
	if platform in NO_ACCOUNT_PLATFORMS or platform in FREE_MAIL_DOMAINS:
		return None
	if platform in SUBDOMAIN_ACCOUNT_PLATFORMS:
		account = host.strip(".")[: -len(domain)].strip(".").rpartition(".")[2]
		return f"{account}.{platform}" if account and account not in ("www", "m") else None
	if platform in PATH_ACCOUNT_PLATFORMS:
		account = path_account(parts.path, parts.query, PATH_ACCOUNT_PLATFORMS[platform])
		return f"{platform}/{account}" if account else None
	return domain


def path_account(path: str, query: str, prefixes: tuple) -> str | None:
	"""The account in a platform's path: the first segment (without a leading `@`), after one of
	`prefixes` when the platform has them (`company/tokokue`) unless it is a handle (`@tokokue`); None for
	the platform's own pages."""
	segments = [unquote(segment) for segment in path.split("/") if segment]
	if prefixes and not (segments and segments[0].startswith("@")):
		if len(segments) < 2 or segments[0] not in prefixes:
			return None
		prefix, segment = segments[0] + "/", segments[1]
	else:
		prefix, segment = "", segments[0] if segments else ""
	if segment == "profile.php":  # facebook.com/profile.php?id=100012345
		profile = parse_qs(query).get("id", [""])[0]
		return f"profile.php?id={profile}" if profile.isdigit() else None
	account = segment.removeprefix("@")
	if not account or segment in PLATFORM_PAGES or not re.fullmatch(r"[\w.-]+", account):
		return None
	return prefix + account


def phone_key(value, region: str | None = None) -> str | None:
	"""The number in E.164 (`+6281234567890`), parsed by `phonenumbers` with `region` (ISO 3166 code:
	`phone_region`) for a number typed without its country code; None for a number that is not valid
	there. `0812-3456-7890`, `+62 812 3456 7890`, `62 812…` and `0062 812…` are one key in Indonesia; a
	United States `620-231-4567` stays `+16202314567`."""
	text = str(value or "").strip()
	if not re.search(r"\d", text):
		return None
	candidates = [text]
	digits = re.sub(r"[^\d+]", "", text)
	if digits.startswith("00"):  # the international prefix most countries dial, typed before the code
		candidates.append("+" + digits[2:])
	for candidate in candidates:
		try:
			number = phonenumbers.parse(candidate, region)
		except phonenumbers.NumberParseException:
			continue
		if phonenumbers.is_valid_number(number):
			return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
	return None


def phone_region(country: str | None = None, company: str | None = None) -> str | None:
	"""The region a phone number without a country code is read in: the record's Country, else its
	Company's, else the default Company's (as its ISO code, `ID`)."""
	default_company = frappe.defaults.get_global_default("company")
	for source in (
		country,
		company and frappe.db.get_value("Company", company, "country", cache=True),
		default_company and frappe.db.get_value("Company", default_company, "country", cache=True),
	):
		code = source and frappe.db.get_value("Country", source, "code", cache=True)
		if code:
			return code.upper()
	return None


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


def compute_keys(
	tax_id=None, email=None, website=None, phone=None, company_name=None, country=None, company=None
) -> dict:
	"""The four keys. The domain comes from the website, else from the e-mail address; the phone is read
	in the region of `country`, else of `company` (`phone_region`)."""
	keys = {
		"key_tax_id": normalise_tax_id(tax_id),
		"key_domain": domain_key(website) or domain_key(email),
		"key_phone": phone_key(phone, phone_region(country, company)) if phone else None,
		"key_name": company_key(company_name),
	}
	# a key longer than its column (Data, 140) is no real address or name: no key rather than an error
	return {field: key if key and len(key) <= KEY_LENGTH else None for field, key in keys.items()}


def set_keys(doc, **values) -> None:
	"""Set the four key fields of `doc` from `compute_keys`' arguments."""
	doc.update(compute_keys(**values))


def source_values(doctype: str, row) -> dict:
	"""`set_keys`' arguments, read from a Lead, Customer, Prospect or Deal Registration (a document or a
	dict)."""
	values = {}
	for argument, fields in KEY_SOURCES[doctype].items():
		fields = fields if isinstance(fields, tuple) else (fields,)
		values[argument] = next((row.get(field) for field in fields if row.get(field)), None)
	return values


def set_keys_from_sources(doc) -> None:
	"""Lead, Customer, Prospect and Deal Registration validate: their keys from their own fields."""
	set_keys(doc, **source_values(doc.doctype, doc))


def keys_of(doc) -> dict:
	"""The keys stored on a document (for `find_matches`)."""
	return {field: doc.get(field) for field in KEY_FIELDS}


# Backfill -------------------------------------------------------------------------------------------------


def backfill_keys(chunk: int = 1000) -> dict[str, int]:
	"""Set the keys of every Lead, Customer, Prospect and Deal Registration saved before they existed, or
	before their form changed (install and the patches `backfill_deal_keys`, `rekey_deal_keys`): in
	Python, a chunk of `chunk` rows at a time in `name` order (keyset pagination), one bulk UPDATE of the
	rows whose keys change per chunk and a commit; `modified` is left as it was. Return the rows changed
	per doctype (a second run: none)."""
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

# What a match shows, per doctype: title, status, sales partner, protected until (SQL over the table
# aliased `t`).
MATCH_COLUMNS = {
	"Lead": ("ifnull(nullif(t.company_name, ''), t.lead_name)", "t.status", "null", "null"),
	"Customer": (
		"t.customer_name",
		"if(t.disabled, 'Disabled', 'Active')",
		"t.default_sales_partner",
		"null",
	),
	"Prospect": ("t.company_name", "null", "null", "null"),
	"Deal Registration": ("t.prospect_name", "t.status", "t.sales_partner", "t.protected_until"),
}

# (key, status) on Deal Registration: the locking read of the approved registrations with a key
# (`approved_lookup`) takes its locks on these entries only, never on a registration that is waiting for a
# decision (whose row its own approval holds while it waits for the prospect's lock).
REGISTRATION_KEY_INDEXES = {field: f"opportunity_crm_{field}_status" for field in KEY_FIELDS}


def ensure_registration_key_indexes() -> None:
	"""Create the (key, status) indexes of Deal Registration that do not exist yet (install, patch)."""
	for field, index in REGISTRATION_KEY_INDEXES.items():
		frappe.db.add_index("Deal Registration", [field, "status"], index)


def find_matches(keys: dict, exclude=None, locking: bool = False) -> list[dict]:
	"""The Leads, Customers, Prospects, open Opportunities (through their party's keys) and live Deal
	Registrations (waiting for a decision, or approved and protected until today or later) that share a
	key with `keys` (a dict of `KEY_FIELDS`; empty ones are ignored). One dict per record and key (at most
	`MAX_MATCHES_PER_KEY` per key and table): doctype, name, title, key (the key field), value, status,
	sales_partner, protected_until.

	`locking`: the approved registrations are read with a locking read, which sees the newest committed
	rows, not the transaction's snapshot: the conflict check does so under the prospect's lock
	(`prospect_lock`), to see an approval committed by the lock's previous holder.

	`exclude`: records not to report: a Deal Registration's name or document (then also its Lead and
	Opportunity), or (doctype, name) pairs."""
	keys = {field: keys.get(field) for field in KEY_FIELDS if keys.get(field)}
	if not keys:
		return []
	excluded = excluded_records(exclude)
	matches, seen = [], set()
	rows = []
	if locking:
		# first: these rows are the newest, and a registration seen again below keeps them
		for field in keys:
			rows += frappe.db.sql(approved_lookup(field), {**keys, "today": today()}, as_dict=True)
	for sql, values in match_queries(keys, approved=not locking):
		rows += frappe.db.sql(sql, values, as_dict=True)
	for row in rows:
		identity = (row.doctype, row.name, row.key)
		if (row.doctype, row.name) in excluded or identity in seen:
			continue
		seen.add(identity)
		matches.append(row)
	return matches


def match_queries(keys: dict, approved: bool = True) -> list[tuple[str, dict]]:
	"""The queries of `find_matches`: one per table, a `UNION ALL` of one equality on an indexed key column
	per key, so each part is an index lookup (`ref`; EXPLAIN shows no full scan: test_deal_keys and
	benchmarks/deal_conflicts.py). An OR of the keys in one WHERE would leave it to the optimiser to merge
	the indexes (index_merge union) or, on a small or skewed table, to scan it. `approved`: also the
	protected approved registrations (else `approved_lookup` reads them)."""
	values = {
		**keys,
		"today": today(),
		"closed": CLOSED_STATUSES,
		"pending": PENDING_REGISTRATION_STATUSES,
	}
	queries = []
	for doctype in PARTIES:
		parts = [direct_lookup(doctype, field) for field in TABLE_KEYS[doctype] if field in keys]
		if parts:
			queries.append((" union all ".join(parts), values))

	parts = [
		opportunity_lookup(party, field) for party in PARTIES for field in TABLE_KEYS[party] if field in keys
	]
	if parts:
		queries.append((" union all ".join(parts), values))

	if frappe.db.table_exists("Deal Registration"):
		live = "t.status in %(pending)s"
		if approved:
			live += " or (t.status = 'Approved' and t.protected_until >= %(today)s)"
		parts = [
			direct_lookup("Deal Registration", field, f"and ({live})")
			for field in TABLE_KEYS["Deal Registration"]
			if field in keys
		]
		queries.append((" union all ".join(parts), values))
	return queries


def direct_lookup(doctype: str, field: str, condition: str = "", index: str = "", lock: str = "") -> str:
	title, status, partner, protected_until = MATCH_COLUMNS[doctype]
	return f"""(select '{doctype}' as doctype, t.name, {title} as title, {status} as status,
		{partner} as sales_partner, '{field}' as `key`, t.`{field}` as value,
		{protected_until} as protected_until
		from `tab{doctype}` t {index} where t.`{field}` = %({field})s {condition}
		limit {MAX_MATCHES_PER_KEY} {lock})"""


def approved_lookup(field: str) -> str:
	"""The protected approved registrations with the key, by a locking read (`lock in share mode`) through
	the (key, status) index: equality on both columns, so the locks fall on approved registrations' rows
	and index gaps only."""
	index = REGISTRATION_KEY_INDEXES[field]
	forced = f"force index (`{index}`)" if has_registration_index(index) else ""
	return direct_lookup(
		"Deal Registration",
		field,
		"and t.status = 'Approved' and t.protected_until >= %(today)s",
		index=forced,
		lock="lock in share mode",
	)


# indexes seen on this process's database; an index is never dropped while the app is installed
KNOWN_INDEXES: set[tuple[str, str]] = set()


def has_registration_index(index: str) -> bool:
	"""The (key, status) index exists (a site not yet migrated reads without the hint)."""
	known = (frappe.local.site, index)
	if known not in KNOWN_INDEXES and frappe.db.has_index("tabDeal Registration", index):
		KNOWN_INDEXES.add(known)
	return known in KNOWN_INDEXES


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
