"""10. The row-level access condition of a salesperson at 1M Opportunities: the forms it has had, side by side,
on the two tables it reads, as MariaDB plans them.

    ../env/bin/python ../apps/opportunity_crm/benchmarks/access_condition.py [--rows N] [--keep]

Makes a scratch database (`ocrm_bench_access`, dropped at the end unless --keep) holding only
`tabOpportunity` and `tabSales Team` with the columns and indexes a site has for this query (the primary
key, the app's (sales_person, modified) and (sales_partner, modified), ERPNext's Sales Team indexes on
`parent` and `sales_person`), filled in bulk (MariaDB's sequence engine): N Opportunities (default
1,000,000) over 30 Sales Persons, a Sales Team of two revenue rows on 10 % of them (the owner and the next
Sales Person). Then, for a salesperson (1 Sales Person: 33,000 own, 3,300 team memberships elsewhere) and
for a team lead (10 Sales Persons: 330,000 own, 33,000 memberships), it times what a list and a report run
with the condition (count; first page by `modified`; a sum per Sales Person over a closing-date window):
- `names`: the form permissions.py writes, `sales_person in (…) or name in (<names>)`, the names of the
  Opportunities of other Sales Persons the user's are in the team of, looked up first (that look-up is
  timed with it) and inlined up to 10,000, else `exists`;
- `names (all)`: the same with every team membership named (the user's own Opportunities' too), as before;
- `exists`: the fallback past 10,000, a correlated `exists` on Sales Team;
- `semijoin`: `name in (select … from (<own> union <team>) …)`, a semi-join MariaDB drives from the
  derived table (a primary-key look-up per allowed Opportunity);
- `or in`: `sales_person in (…) or name in (select parent from Sales Team …)`: the team's subquery is
  materialized once and probed per Opportunity the scan reads;
each the median of 3 runs after one warm-up, the buffer pool holding both tables. Not run by CI.
Frappe's own layers (permission hooks, reportview) are not in the measurement: the condition is.
Measured: benchmarks/results/access-condition.txt (summed up in permissions.py `sales_person_condition`).
"""

import argparse
import statistics
import time

import pymysql

DB = "ocrm_bench_access"
PERSONS = 30


def connect(database=None):
	return pymysql.connect(host="127.0.0.1", user="root", password="root", database=database, autocommit=True)


def load(rows: int) -> None:
	with connect() as conn, conn.cursor() as cur:
		cur.execute(f"drop database if exists {DB}")
		cur.execute(f"create database {DB} character set utf8mb4 collate utf8mb4_unicode_ci")
		cur.execute(f"use {DB}")
		cur.execute(
			"""create table `tabOpportunity` (
			`name` varchar(140) not null primary key, `modified` datetime(6), `status` varchar(140),
			`sales_person` varchar(140), `sales_partner` varchar(140), `expected_closing` date,
			`opportunity_amount` decimal(21,9),
			key `opportunity_crm_sales_person` (`sales_person`, `modified`),
			key `opportunity_crm_sales_partner` (`sales_partner`, `modified`)) engine=InnoDB"""
		)
		cur.execute(
			"""create table `tabSales Team` (
			`name` varchar(140) not null primary key, `parent` varchar(140), `parentfield` varchar(140),
			`parenttype` varchar(140), `sales_person` varchar(140), `allocated_percentage` decimal(21,9),
			key `parent` (`parent`), key `sales_person` (`sales_person`)) engine=InnoDB"""
		)
		cur.execute(
			f"""insert into `tabOpportunity`
			select concat('CRM-OPP-', lpad(seq, 8, '0')),
				now(6) - interval (seq mod 700) day - interval seq second,
				elt(seq mod 4 + 1, 'Open', 'Quotation', 'Replied', 'Lost'),
				concat('SP ', (seq div 7) mod {PERSONS}),
				if(seq mod 5 = 0, concat('Partner ', seq mod 20), null),
				curdate() - interval 360 day + interval (seq mod 720) day,
				1000 + seq mod 9000
			from seq_1_to_{rows}"""
		)
		for share, offset in ((60, 0), (40, 1)):
			cur.execute(
				f"""insert into `tabSales Team`
				select concat('ST-', seq, '-', {offset}), concat('CRM-OPP-', lpad(seq, 8, '0')),
					'sales_team', 'Opportunity', concat('SP ', ((seq div 7) + {offset}) mod {PERSONS}), {share}
				from seq_1_to_{rows} where seq mod 10 = 0"""
			)
		cur.execute("analyze table `tabOpportunity`, `tabSales Team`")


def quoted(values) -> str:
	return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def team_filter(persons: str, alias: str = "st") -> str:
	return (
		f"`{alias}`.`parenttype` = 'Opportunity' and `{alias}`.`parentfield` = 'sales_team'"
		f" and `{alias}`.`sales_person` in ({persons})"
	)


def conditions(cur, persons: list[str]) -> dict:
	p = quoted(persons)
	own = f"`tabOpportunity`.`sales_person` in ({p})"

	def named(query: str):
		cur.execute(query + " limit 10001")
		teams = [row[0] for row in cur.fetchall()]
		if len(teams) > 10_000:
			return exists()
		return f"({own} or `tabOpportunity`.`name` in ({quoted(teams)}))" if teams else own

	def names_all():
		return named(f"select distinct `parent` from `tabSales Team` `st` where {team_filter(p)}")

	def names():
		return named(
			"select distinct `st`.`parent` from `tabSales Team` `st` left join `tabOpportunity` `o`"
			f" on `o`.`name` = `st`.`parent` where {team_filter(p)}"
			f" and (`o`.`sales_person` is null or `o`.`sales_person` not in ({p}))"
		)

	def exists():
		return (
			f"({own} or exists (select 1 from `tabSales Team` `st` where `st`.`parent` = "
			f"`tabOpportunity`.`name` and {team_filter(p)}))"
		)

	def semijoin():
		return (
			"`tabOpportunity`.`name` in (select `allowed`.`name` from ("
			f"select `o`.`name` from `tabOpportunity` `o` where `o`.`sales_person` in ({p})"
			f" union select `st`.`parent` from `tabSales Team` `st` where {team_filter(p)}) `allowed`)"
		)

	def or_in():
		return (
			f"({own} or `tabOpportunity`.`name` in (select `st`.`parent` from `tabSales Team` `st`"
			f" where {team_filter(p)}))"
		)

	return {
		"names": names,
		"names (all)": names_all,
		"exists": exists,
		"semijoin": semijoin,
		"or in": or_in,
	}


QUERIES = {
	"count": "select count(*) from `tabOpportunity` where {c}",
	"first page": "select `name` from `tabOpportunity` where {c} order by `modified` desc limit 20",
	"report": (
		"select `sales_person`, sum(`opportunity_amount`) from `tabOpportunity` where {c}"
		" and `expected_closing` between curdate() - interval 150 day and curdate() + interval 180 day"
		" and `status` != 'Lost' group by `sales_person`"
	),
}


def measure(cur, build, query: str, runs: int = 3) -> tuple[float, object]:
	times, result = [], None
	for i in range(runs + 1):
		start = time.perf_counter()
		cur.execute(query.format(c=build()))
		result = cur.fetchall()
		if i:
			times.append((time.perf_counter() - start) * 1000)
	return statistics.median(times), result


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--rows", type=int, default=1_000_000)
	parser.add_argument("--keep", action="store_true")
	parser.add_argument("--reuse", action="store_true")
	args = parser.parse_args()
	if not args.reuse:
		started = time.perf_counter()
		load(args.rows)
		print(f"loaded {args.rows:,} Opportunities in {time.perf_counter() - started:.0f} s")
	users = {"salesperson (1)": ["SP 3"], "team lead (10)": [f"SP {i}" for i in range(10)]}
	with connect(DB) as conn, conn.cursor() as cur:
		for user, persons in users.items():
			forms = conditions(cur, persons)
			for label, query in QUERIES.items():
				row, results = [], set()
				for form, build in forms.items():
					ms, result = measure(cur, build, query)
					results.add(repr(sorted(result, key=repr)) if label != "first page" else repr(result))
					row.append(f"{form} {ms:8.1f} ms")
				same = "same rows" if len(results) == 1 else "ROWS DIFFER"
				print(f"{user:16} {label:11} " + " | ".join(row) + f"  ({same})")
			cur.execute("explain " + QUERIES["count"].format(c=forms["semijoin"]()))
			for line in cur.fetchall():
				print("   ", line)
	if not args.keep:
		with connect() as conn, conn.cursor() as cur:
			cur.execute(f"drop database if exists {DB}")


if __name__ == "__main__":
	main()
