#!/usr/bin/env python3
"""The demo's page (GET /, examples/http_server/page.html) in a real browser.

Starts the demo server on 127.0.0.1 and a free port, opens the page in Debian's chromium,
headless, through chromium-driver and python3-selenium, clicks each of its buttons, and
checks what the page's JavaScript measured (window.iterjson_demo) and what it listed:

- the page loads and logs no console error, then or later;
- the EventSource on /feed?format=sse lists rows {"seq":N,"time_ms":T}, N counting up;
- the long-poll loop reaches X-Iterjson-Done with every piece but the last 64 KiB, and
  JSON.parse of the pieces joined is the expected array;
- /numbers streamed and one-shot are each read whole and parse, and the streamed run's
  first byte comes before the one-shot run's: each run is timed from its own request.
  A server that gathered the text first would send both at about the same time; the
  margin is the one-shot run's whole production (0.3 s or more), so a busy machine
  that delays chromium's read of the first chunk does not fail it (the ratio, once
  checked against 4x, fell to 2.25x when the encoder got faster and chromium waited
  for a CPU);
- /rows?format=ndjson gives every row, ids in order, the first exactly as generated.

Saves a screenshot of the page after the runs, prints what the browser measured, and exits
77 (a skip, to Meson) only when chromium is not installed.

usage: browser_test.py HTTP_SERVER SCREENSHOT_PNG [--without-rows]
(--without-rows: the server was built without SQLite, and has no /rows to read)
"""

import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
ORDERS = 20_000          # the server's generated table, all read by the rows section
COMPARE_LENGTH = 10_000_000  # /numbers?length= of the comparison: 78.9 MB of JSON, the page's default
LONGPOLL_LENGTH = 100_000
LONGPOLL_PIECE = 64 * 1024
TEST_SECONDS = 240       # the whole run, browser and server included
# The first of the orders the server generates, the same every time (orders.cpp).
FIRST_ORDER = ('{"id":1,"customer":"Jürgen Großmann","amount":429.89,"placed_at":"2024-01-01T00:00:37Z",'
               '"note":"leave at the door"}')


def numbers_text(length):
    return "[" + ",".join(map(str, range(length))) + "]"


class demo_server:
    """The server binary on a free port of 127.0.0.1, stopped with SIGTERM at the end."""

    def __init__(self, path):
        self.process = subprocess.Popen([path, "--port", "0", "--orders", str(ORDERS)], stdout=subprocess.PIPE)
        try:
            self.port = self._read_port(deadline=time.monotonic() + 30)
        except BaseException:
            self.stop()
            raise

    def _read_port(self, deadline):
        prefix = b"listening on 127.0.0.1:"
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.process.stdout], [], [], left)[0]:
                raise AssertionError("the server printed no `listening on` line in time")
            byte = os.read(self.process.stdout.fileno(), 1)  # unbuffered, so that select sees what is left
            if not byte:
                raise AssertionError(f"the server exited before listening: {line!r}")
            line += byte
        if not line.startswith(prefix):
            raise AssertionError(f"unexpected first line from the server: {line!r}")
        return int(line[len(prefix):])

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def start_browser(chromedriver, profile_dir):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1300", "--no-first-run", "--disable-extensions",
                     f"--user-data-dir={profile_dir}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


class page:
    """The page open in the browser, and every console line it logged."""

    def __init__(self, driver, url):
        self.driver = driver
        self.console = []
        driver.get(url)

    def demo(self, part):
        return self.driver.execute_script(f"return window.iterjson_demo.{part};")

    def take_console(self):
        self.console += self.driver.get_log("browser")
        return [entry for entry in self.console if entry["level"] == "SEVERE"]

    def wait_for(self, what, condition, seconds):
        deadline = time.monotonic() + seconds
        while not self.driver.execute_script(f"return {condition};"):
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {seconds} s ({condition})")
            time.sleep(0.1)

    def run_section(self, section, inputs, seconds):
        """Fills the section's inputs, clicks its button, waits until it is done, and returns
        what it recorded, None if nothing."""
        for input_id, value in inputs.items():
            self.driver.execute_script(f"document.getElementById('{input_id}').value = '{value}';")
        self.driver.execute_script(f"document.querySelector('#{section} button').click();")
        self.wait_for(section, f"document.getElementById('{section}').dataset.state !== 'running'", seconds)
        state = self.driver.execute_script(f"return document.getElementById('{section}').dataset.state;")
        status = self.driver.execute_script(f"return document.getElementById('{section}-status').textContent;")
        check(state == "done", f"{section} ended {state}: {status}")
        result = self.demo(section)
        check(result is not None, f"{section} recorded nothing: {status}")
        return result


failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAILED: {message}", flush=True)
    return condition


def check_feed(browser):
    browser.wait_for("the SSE list", "window.iterjson_demo.feed.rows >= 12", 30)
    feed = browser.demo("feed")
    check(feed["invalid"] == 0, f"{feed['invalid']} SSE rows were not the next row")
    items = browser.driver.execute_script(
        "return [...document.querySelectorAll('#feed-list li')].map((item) => item.textContent);")
    check(len(items) == 12, f"the SSE list shows {len(items)} rows, not its 12 latest")
    rows = [json.loads(item.split("  ", 1)[1]) for item in items]
    check(all(list(row) == ["seq", "time_ms"] for row in rows), f"SSE rows with other members: {rows}")
    seqs = [row["seq"] for row in rows]
    check(seqs == list(range(seqs[0], seqs[0] - len(seqs), -1)), f"the SSE list is not the latest rows in order: {seqs}")
    now_ms = time.time() * 1000
    check(all(abs(row["time_ms"] - now_ms) < 60_000 for row in rows), f"SSE rows with a time_ms far from now: {rows}")
    return feed


def check_longpoll(browser):
    result = browser.run_section("longpoll", {"longpoll-length": LONGPOLL_LENGTH}, 60)
    if result is None:
        return None
    size = len(numbers_text(LONGPOLL_LENGTH))
    pieces = math.ceil(size / LONGPOLL_PIECE)
    expected_sizes = [LONGPOLL_PIECE] * (pieces - 1) + [size - LONGPOLL_PIECE * (pieces - 1)]
    check(result["matches"], f"long-poll: JSON.parse of the pieces is not the array: {result}")
    check(result["piece_sizes"] == expected_sizes, f"long-poll pieces of {result['piece_sizes']} bytes, not {expected_sizes}")
    return result


def check_comparison(browser):
    result = browser.run_section("compare", {"compare-length": COMPARE_LENGTH}, 150)
    if result is None:
        return None
    size = len(numbers_text(COMPARE_LENGTH))
    for mode in ("stream", "oneshot"):
        run = result[mode]
        check(run["parsed"], f"{mode}: the body read is not the array")
        check(run["bytes"] == size, f"{mode}: {run['bytes']} bytes read, not {size}")
    streamed, oneshot = result["stream"]["first_byte_ms"], result["oneshot"]["first_byte_ms"]
    check(streamed < oneshot,
          f"the streamed first byte ({streamed:.1f} ms) did not come before the one-shot one ({oneshot:.1f} ms)")
    return result


def check_rows(browser):
    result = browser.run_section("rows", {"rows-limit": ORDERS}, 60)
    if result is None:
        return None
    check(result["count"] == ORDERS, f"/rows: {result['count']} rows read, not {ORDERS}")
    check(result["ids_in_order"], "/rows: ids not 1, 2, 3, ...")
    check(result["first_line"] == FIRST_ORDER, f"/rows: the first line is {result['first_line']}")
    return result


def report(compare, longpoll, rows):
    print("what the browser measured:")
    if compare:
        for mode, name in (("stream", "streamed"), ("oneshot", "one-shot")):
            run = compare[mode]
            print(f"  /numbers?length={compare['length']} {name}: first byte {run['first_byte_ms']:.1f} ms, "
                  f"last byte {run['last_byte_ms']:.1f} ms; ping median {run['ping_median_ms']:.1f} ms, "
                  f"max {run['ping_max_ms']:.1f} ms, {run['pings']} answered")
    if longpoll:
        print(f"  long-poll of {longpoll['length']} numbers: {longpoll['pieces']} pieces, {longpoll['bytes']} bytes, "
              f"{longpoll['ms']:.1f} ms")
    if rows:
        print(f"  /rows: {rows['count']} rows, the first after {rows['first_row_ms']:.1f} ms, "
              f"the last after {rows['last_row_ms']:.1f} ms")


def on_alarm(signum, frame):
    raise TimeoutError(f"the test took over {TEST_SECONDS} s")


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], ["--without-rows"]):
        print("\n".join(__doc__.strip().splitlines()[-2:]), file=sys.stderr)
        return 2
    server_path, screenshot = sys.argv[1], sys.argv[2]
    with_rows = len(sys.argv) == 3
    if shutil.which("chromium") is None:
        print("SKIP: chromium is not installed (scripts/install-deps.sh installs Debian's chromium, "
              "chromium-driver and python3-selenium)")
        return SKIP
    chromedriver = shutil.which("chromedriver")
    if chromedriver is None:
        print("chromium is installed but chromedriver is not: install chromium-driver (scripts/install-deps.sh)")
        return 1
    try:
        import selenium  # noqa: F401
    except ImportError:
        print(f"{sys.executable} has no selenium: install python3-selenium (scripts/install-deps.sh)")
        return 1
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_SECONDS)

    server = demo_server(server_path)
    driver = None
    try:
        with tempfile.TemporaryDirectory(prefix="iterjson-chromium-") as profile:
            driver = start_browser(chromedriver, profile)
            browser = page(driver, f"http://127.0.0.1:{server.port}/")
            check(driver.title == "iterjson: streaming JSON in the browser", f"the page's title is {driver.title!r}")
            check(not browser.take_console(), f"console errors on load: {browser.console}")
            check_feed(browser)
            longpoll = check_longpoll(browser)
            compare = check_comparison(browser)
            rows = check_rows(browser) if with_rows else None
            os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
            driver.execute_script("window.scrollTo(0, 0);")
            check(driver.save_screenshot(screenshot), f"no screenshot saved to {screenshot}")
            print(f"screenshot: {screenshot}")
            errors = browser.take_console()
            check(not errors, f"console errors: {errors}")
            report(compare, longpoll, rows)
            driver.quit()
            driver = None
    finally:
        if driver is not None:
            driver.quit()
        status = server.stop()
        check(status == 0, f"the server exited with {status} at SIGTERM")
        signal.alarm(0)
    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print("every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
