"""The site served by gunicorn on loopback, for tests that talk HTTP as an integrator does.

Records the tests create must be committed to be seen by the server, and the server's writes are
committed: these tests make their own uniquely named records.
"""

import os
import socket
import subprocess
import sys
import time

import frappe
import requests


def free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


class LiveServer:
	def __init__(self, workers: int = 4, statics: bool = False):
		self.site = frappe.local.site
		self.port = free_port()
		self.base_url = f"http://127.0.0.1:{self.port}"
		self.workers = workers
		# a browser also needs /assets and /files, which nginx serves in production
		self.app = "frappe.app:application_with_statics()" if statics else "frappe.app:application"
		self.process = None
		self.restore_keys = []  # run by stop()

	def start(self) -> "LiveServer":
		gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
		self.process = subprocess.Popen(
			[
				gunicorn,
				"--bind",
				f"127.0.0.1:{self.port}",
				"--workers",
				str(self.workers),
				"--timeout",
				"120",
				"--preload",
				"--log-level",
				"warning",
				self.app,
			],
			cwd=frappe.local.sites_path,
			stdout=subprocess.DEVNULL,
			stderr=subprocess.DEVNULL,
		)
		deadline = time.monotonic() + 90
		while time.monotonic() < deadline:
			try:
				if requests.get(self.url("/api/method/ping"), headers={"Host": self.site}, timeout=5).ok:
					return self
			except requests.ConnectionError:
				pass
			if self.process.poll() is not None:
				raise RuntimeError("gunicorn exited before serving")
			time.sleep(0.3)
		self.stop()
		raise RuntimeError("gunicorn did not answer within 90 s")

	def stop(self) -> None:
		"""Stop gunicorn; the API keys its sessions were given go (committed)."""
		while self.restore_keys:
			self.restore_keys.pop()()
		if self.process and self.process.poll() is None:
			self.process.terminate()
			try:
				self.process.wait(timeout=20)
			except subprocess.TimeoutExpired:
				self.process.kill()

	def url(self, path: str) -> str:
		return self.base_url + path

	def session(self, user: str) -> requests.Session:
		"""A session authenticated as `user` with a fresh API key and secret (token auth)."""
		api_key, api_secret = generate_keys(user, None, self.restore_keys)
		session = requests.Session()
		session.headers.update({"Host": self.site, "Authorization": f"token {api_key}:{api_secret}"})
		return session


def generate_keys(user: str, case, restorers: list | None = None) -> tuple[str, str]:
	"""API keys for `user`, committed (the server must see them). `case` (a test class or test) puts the
	old ones back after it; without one, the function that does so is added to `restorers`."""
	from opportunity_crm.tests.committed import keep_api_keys

	restore = keep_api_keys(case, user)
	if restorers is not None:
		restorers.append(restore)
	doc = frappe.get_doc("User", user)
	api_secret = frappe.generate_hash(length=15)
	doc.api_key = doc.api_key or frappe.generate_hash(length=15)
	doc.api_secret = api_secret
	doc.flags.ignore_permissions = True
	doc.save()
	frappe.db.commit()
	return doc.api_key, api_secret
