"""A throwaway MariaDB primary and its GTID read replica on loopback, holding a copy of the site's database,
for tests/test_read_replica.py.

The bench's own MariaDB usually runs without a binary log (`log_bin` is not dynamic: turning it on needs a
restart of a server other sites share), so the test does not replicate from it. It starts two `mariadbd`
processes of the same build instead, each with its own datadir and socket under one temporary folder:
the primary (binary log, server_id 1, ROW events) and the replica (server_id 2, `read_only`, replicating
with `MASTER_USE_GTID = slave_pos`). The site's database is copied into both (`mariadb-dump` of its committed
state, loaded in parallel with the binary log off), the site's database user is made on both, and the
replica starts from the primary's GTID position. `stop()` ends both processes and removes the folder.
"""

import os
import shutil
import subprocess
import tempfile
import time

import frappe

PRIMARY_PORT = 18950
REPLICA_PORT = 3316
REPLICATION_USER = "ocrm_repl"
SBIN = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")


def find_binary(*names: str) -> str | None:
	for name in names:
		found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))
		if found:
			return found
	return None


def missing_binaries() -> list[str]:
	wanted = {
		"server": ("mariadbd", "mysqld"),
		"install": ("mariadb-install-db", "mysql_install_db"),
		"client": ("mariadb", "mysql"),
		"dump": ("mariadb-dump", "mysqldump"),
	}
	return [" or ".join(names) for names in wanted.values() if not find_binary(*names)]


class ReplicaPair:
	def __init__(self, primary_port: int = PRIMARY_PORT, replica_port: int = REPLICA_PORT):
		self.ports = {"primary": primary_port, "replica": replica_port}
		self.server = find_binary("mariadbd", "mysqld")
		self.client = find_binary("mariadb", "mysql")
		self.processes: dict[str, subprocess.Popen] = {}
		self.folder = tempfile.mkdtemp(
			prefix="ocrm-replica-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None
		)

	def socket(self, role: str) -> str:
		return os.path.join(self.folder, f"{role}.sock")

	# ---- processes -------------------------------------------------------------------------------------
	def start(self, db_name: str, db_user: str, db_password: str) -> None:
		"""The site's database `db_name` in both servers, readable and writable by `db_user`."""
		try:
			self._start(db_name, db_user, db_password)
		except BaseException:
			self.stop()
			raise

	def _start(self, db_name: str, db_user: str, db_password: str) -> None:
		primary_dir = os.path.join(self.folder, "primary")
		subprocess.run(
			[
				find_binary("mariadb-install-db", "mysql_install_db"),
				"--no-defaults",
				f"--datadir={primary_dir}",
				"--auth-root-authentication-method=normal",
				"--skip-test-db",
				*(["--user=root"] if os.geteuid() == 0 else []),
			],
			check=True,
			capture_output=True,
		)
		shutil.copytree(primary_dir, os.path.join(self.folder, "replica"), symlinks=True)
		self._spawn("primary", 1, [f"--log-bin={primary_dir}/binlog", "--binlog-format=ROW"])
		self._spawn("replica", 2, ["--skip-slave-start", f"--relay-log={self.folder}/replica/relay"])
		for role in self.processes:
			self._wait_until_up(role)

		dump = os.path.join(self.folder, "site.sql")
		self._dump_site(db_name, db_user, db_password, dump)
		loads = []
		for role in ("primary", "replica"):
			self.sql(role, f"SET sql_log_bin = 0; CREATE DATABASE `{db_name}`")
			with open(dump, "rb") as source:
				loads.append(
					subprocess.Popen(
						[*self._client_args(role), "--init-command=SET sql_log_bin = 0", db_name],
						stdin=source,
						stdout=subprocess.DEVNULL,
						stderr=subprocess.PIPE,
					)
				)
		for load in loads:
			_out, err = load.communicate()
			if load.returncode:
				raise RuntimeError(f"loading the site's database failed: {err.decode()[-2000:]}")
		os.remove(dump)

		grants = "".join(
			f"CREATE USER '{db_user}'@'{host}' IDENTIFIED BY '{db_password}';"
			f"GRANT ALL PRIVILEGES ON `{db_name}`.* TO '{db_user}'@'{host}';"
			for host in ("localhost", "127.0.0.1")
		)
		for role in ("primary", "replica"):
			self.sql(role, "SET sql_log_bin = 0;" + grants)
		self.sql(
			"primary",
			"SET sql_log_bin = 0;"
			+ "".join(
				f"CREATE USER '{REPLICATION_USER}'@'{host}' IDENTIFIED BY '{REPLICATION_USER}';"
				f"GRANT REPLICATION SLAVE ON *.* TO '{REPLICATION_USER}'@'{host}';"
				for host in ("localhost", "127.0.0.1")
			),
		)
		position = self.value("primary", "SELECT @@gtid_binlog_pos")
		self.sql(
			"replica",
			f"SET GLOBAL gtid_slave_pos = '{position}';"
			f"CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {self.ports['primary']},"
			f" MASTER_USER = '{REPLICATION_USER}', MASTER_PASSWORD = '{REPLICATION_USER}',"
			" MASTER_USE_GTID = slave_pos;"
			"START SLAVE;"
			# the site's user has no READ ONLY ADMIN (nor SUPER): any write of it fails here with 1290
			"SET GLOBAL read_only = 1;",
		)
		self.wait_until_replicated()

	def _spawn(self, role: str, server_id: int, extra: list[str]) -> None:
		log = open(os.path.join(self.folder, f"{role}.err"), "wb")
		self.processes[role] = subprocess.Popen(
			[
				self.server,
				"--no-defaults",
				*(["--user=root"] if os.geteuid() == 0 else []),
				f"--datadir={self.folder}/{role}",
				f"--socket={self.socket(role)}",
				f"--pid-file={self.folder}/{role}.pid",
				"--bind-address=127.0.0.1",
				f"--port={self.ports[role]}",
				f"--server-id={server_id}",
				"--character-set-server=utf8mb4",
				"--collation-server=utf8mb4_unicode_ci",
				"--innodb-buffer-pool-size=128M",
				"--innodb-flush-log-at-trx-commit=0",
				"--sync-binlog=0",
				"--performance-schema=OFF",
				"--max-connections=50",
				*extra,
			],
			stdout=log,
			stderr=subprocess.STDOUT,
		)
		log.close()

	def _wait_until_up(self, role: str, timeout: float = 60) -> None:
		deadline = time.monotonic() + timeout
		while time.monotonic() < deadline:
			if self.processes[role].poll() is not None:
				break
			if (
				subprocess.run([*self._client_args(role), "-e", "SELECT 1"], capture_output=True).returncode
				== 0
			):
				return
			time.sleep(0.3)
		with open(os.path.join(self.folder, f"{role}.err")) as log:
			tail = log.read()[-2000:]
		raise RuntimeError(f"the {role} MariaDB on port {self.ports[role]} did not start:\n{tail}")

	def _dump_site(self, db_name: str, db_user: str, db_password: str, target: str) -> None:
		conf = frappe.conf
		where = (
			[f"--socket={conf.db_socket}"]
			if conf.db_socket
			else [f"--host={conf.db_host or '127.0.0.1'}", f"--port={conf.db_port or 3306}", "--protocol=TCP"]
		)
		with open(target, "wb") as out:
			done = subprocess.run(
				[
					find_binary("mariadb-dump", "mysqldump"),
					*where,
					f"--user={db_user}",
					f"--password={db_password}",
					"--single-transaction",
					"--quick",
					"--skip-lock-tables",
					"--no-tablespaces",
					"--skip-triggers",
					db_name,
				],
				stdout=out,
				stderr=subprocess.PIPE,
			)
		if done.returncode:
			raise RuntimeError(f"dumping the site's database failed: {done.stderr.decode()[-2000:]}")

	def stop(self) -> None:
		for process in self.processes.values():
			if process.poll() is None:
				process.terminate()
				try:
					process.wait(timeout=60)
				except subprocess.TimeoutExpired:
					process.kill()
					process.wait()
		self.processes = {}
		shutil.rmtree(self.folder, ignore_errors=True)

	# ---- SQL as root over each server's socket ----------------------------------------------------------
	def _client_args(self, role: str) -> list[str]:
		return [self.client, "--no-defaults", f"--socket={self.socket(role)}", "--user=root"]

	def sql(self, role: str, statements: str) -> list[list[str]]:
		done = subprocess.run(
			[*self._client_args(role), "--batch", "--skip-column-names", "-e", statements],
			capture_output=True,
		)
		if done.returncode:
			raise RuntimeError(f"{role}: {statements[:200]}: {done.stderr.decode()}")
		return [line.split("\t") for line in done.stdout.decode().splitlines()]

	def value(self, role: str, query: str) -> str:
		rows = self.sql(role, query)
		return rows[0][0] if rows else ""

	def status(self, role: str) -> dict[str, int]:
		"""The server's own counters (SHOW GLOBAL STATUS), the numeric ones."""
		return {name: int(value) for name, value in self.sql(role, "SHOW GLOBAL STATUS") if value.isdigit()}

	def pause(self) -> None:
		self.sql("replica", "STOP SLAVE SQL_THREAD")

	def resume(self) -> None:
		self.sql("replica", "START SLAVE SQL_THREAD")

	def wait_until_replicated(self, timeout: int = 60) -> None:
		position = self.value("primary", "SELECT @@gtid_binlog_pos")
		waited = self.value("replica", f"SELECT MASTER_GTID_WAIT('{position}', {timeout})")
		if waited != "0":
			raise RuntimeError(
				f"the replica did not reach {position}: "
				+ str(self.sql("replica", "SHOW SLAVE STATUS"))[:2000]
			)

	def general_log(self, role: str, on: bool) -> None:
		"""The server's general query log, in mysql.general_log; emptied when turned on."""
		if on:
			self.sql(
				role,
				"SET GLOBAL general_log = 0; TRUNCATE mysql.general_log;"
				"SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1",
			)
		else:
			self.sql(role, "SET GLOBAL general_log = 0")

	def logged_statements(self, role: str, user: str) -> list[str]:
		rows = self.sql(
			role,
			"SELECT REPLACE(REPLACE(CONVERT(argument USING utf8mb4), '\\n', ' '), '\\t', ' ')"
			f" FROM mysql.general_log WHERE command_type = 'Query' AND user_host LIKE '{user}[%'",
		)
		return [row[0] for row in rows]
