"""The prospect's lock (`channel.prospect_lock`): one MariaDB user-level lock per key value, held until the
transaction ends, waited for by any other connection that checks the same prospect."""

import frappe
from frappe.database import get_db
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.base.atomic import atomic
from opportunity_crm.channel import prospect_lock
from opportunity_crm.channel.prospect_lock import lock_name, lock_prospect
from opportunity_crm.exceptions import BusyError


def holder(name: str) -> int | None:
	"""The connection id that holds the user-level lock `name` (None: free)."""
	return frappe.db.sql("select is_used_lock(%s)", name)[0][0]


class TestProspectLock(FrappeTestCase):
	def setUp(self):
		token = frappe.generate_hash(length=10)
		self.keys = {"key_domain": f"maju-{token}.co.id", "key_name": f"maju{token}", "key_phone": None}
		self.names = [
			lock_name("key_domain", self.keys["key_domain"]),
			lock_name("key_name", self.keys["key_name"]),
		]
		self.me = frappe.db.sql("select connection_id()")[0][0]

	def tearDown(self):
		frappe.db.rollback()

	def other_connection(self):
		conf = frappe.local.conf
		db = get_db(
			socket=conf.db_socket,
			host=conf.db_host,
			port=conf.db_port,
			user=conf.db_user or conf.db_name,
			password=conf.db_password,
			cur_db_name=conf.db_name,
		)
		db.connect()
		self.addCleanup(db.close)
		return db

	def test_one_lock_per_key_value_held_until_the_rollback(self):
		lock_prospect(self.keys)
		self.assertEqual([holder(name) for name in self.names], [self.me, self.me])
		with self.assertRaises(ZeroDivisionError), atomic():  # a savepoint's rollback keeps them
			lock_prospect(self.keys)
			1 / 0  # noqa: B018
		self.assertEqual([holder(name) for name in self.names], [self.me, self.me])
		frappe.db.rollback()
		self.assertEqual([holder(name) for name in self.names], [None, None])
		self.assertEqual(prospect_lock.held_locks(), set())

	def test_the_lock_of_a_key_value_is_the_same_whichever_registration_takes_it(self):
		self.assertEqual(lock_name("key_domain", "acme.co.id"), lock_name("key_domain", "acme.co.id"))
		self.assertNotEqual(lock_name("key_domain", "acme.co.id"), lock_name("key_name", "acme.co.id"))
		self.assertLessEqual(len(lock_name("key_name", "x" * 140)), 64)  # MariaDB's limit for lock names

	def test_another_connection_checking_the_same_prospect_waits_then_is_told_busy(self):
		other = self.other_connection()
		# another registration of the prospect, sharing only its domain, is being checked
		self.assertEqual(other.sql("select get_lock(%s, 0)", self.names[0])[0][0], 1)
		timeout = prospect_lock.LOCK_TIMEOUT
		prospect_lock.LOCK_TIMEOUT = 1
		try:
			with self.assertRaises(BusyError) as busy:
				lock_prospect(self.keys)
		finally:
			prospect_lock.LOCK_TIMEOUT = timeout
		self.assertEqual(busy.exception.http_status_code, 409)
		self.assertIn("same prospect", str(busy.exception))
		frappe.db.rollback()

		other.sql("select release_lock(%s)", self.names[0])
		lock_prospect(self.keys)  # free again: taken at once
		self.assertEqual(holder(self.names[0]), self.me)

	def test_another_prospect_does_not_wait(self):
		other = self.other_connection()
		self.assertEqual(other.sql("select get_lock(%s, 0)", lock_name("key_domain", "other.co.id"))[0][0], 1)
		lock_prospect(self.keys)
		self.assertEqual([holder(name) for name in self.names], [self.me, self.me])
