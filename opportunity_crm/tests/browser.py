"""What the browser tests share: Debian's Chromium driven by Playwright against a LiveServer, a login as a
desk user, and screenshots kept in test-artifacts/browser/ in the app folder."""

import os

import frappe

CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 30_000
ARTIFACTS = os.path.join(os.path.dirname(frappe.get_app_path("opportunity_crm")), "test-artifacts", "browser")
CHROMIUM_ARGS = [
	"--no-sandbox",
	"--disable-gpu",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
]


def start_browser():
	"""(playwright, browser): Chromium, headless. Raises, naming the package, when Chromium is missing."""
	if not os.path.exists(CHROMIUM):
		raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (the browser tests need it)")
	from playwright.sync_api import sync_playwright

	# not emptied: every browser test keeps its screenshots here
	os.makedirs(ARTIFACTS, exist_ok=True)
	playwright = sync_playwright().start()
	try:
		return playwright, playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
	except Exception:
		playwright.stop()
		raise


def new_page(browser, server, width: int = 1400, height: int = 1000, site_header: bool = True):
	"""A page with the default timeout; `site_header` names the site for a LiveServer serving several."""
	headers = {"X-Frappe-Site-Name": server.site} if site_header else None
	page = browser.new_page(viewport={"width": width, "height": height}, extra_http_headers=headers)
	page.set_default_timeout(TIMEOUT)
	return page


def log_in(page, server, user: str, password: str) -> None:
	"""Log in through the login page and wait for the desk's session."""
	page.goto(server.url("/login"))
	page.fill("#login_email", user)
	page.fill("#login_password", password)
	page.click(".btn-login")
	# optional chaining: the predicate may run on the login page, before `frappe.session` exists
	page.wait_for_function("() => window.frappe?.session?.user && frappe.session.user !== 'Guest'")


def open_browser(test_class, width: int = 1400, height: int = 1000) -> None:
	"""The test site served by a LiveServer, Chromium and a page on it: `server`, `playwright`, `browser`
	and `page` of the test class (setUpClass)."""
	from opportunity_crm.tests.live_server import LiveServer

	test_class.server = LiveServer(workers=2, statics=True).start()
	test_class.playwright, test_class.browser = start_browser()
	test_class.page = new_page(test_class.browser, test_class.server, width, height)


def close_browser(test_class) -> None:
	"""What `open_browser` started (tearDownClass)."""
	test_class.browser.close()
	test_class.playwright.stop()
	test_class.server.stop()


def screenshot(page, name: str) -> None:
	page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"))


def close_suggestions(page) -> None:
	"""Take the focus out of the open dialog's fields and wait until no Link field's suggestion list is
	open: a Link field opens its list when it gets the focus (a dialog focuses its first field), and the
	list can cover the dialog's buttons."""
	page.evaluate("() => document.activeElement && document.activeElement.blur()")
	page.wait_for_function(
		"() => ![...document.querySelectorAll('.modal.show .awesomplete > ul')]"
		".some(ul => !ul.hidden && ul.offsetParent !== null)"
	)
