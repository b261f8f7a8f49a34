"""bench/exam: the exam player's requests on a large bank, against a trivial Django view.

Seeds a bank of published questions (default 50,000, split between both certifications and
across their domains by weight, 4–6 choices, some multiple response) and a learner, then serves
the app under gunicorn (one sync worker, 127.0.0.1, DEBUG=0) and times over HTTP: starting a
SAA-C03 mock exam, a question page, saving an answer (htmx and plain), submitting, and the score
report. Each is reported as the ratio of its median to the median of a trivial view served by the
same worker in the same run (the two are interleaved, so drift hits both). A second pass through
Django's test client counts the SQL queries of each request. Run: bench/exam [--questions N]
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from io import StringIO
from pathlib import Path
from urllib.parse import urlencode

from _setup import ROOT, django_with_fresh_database

HOST = "127.0.0.1"
CERTIFICATION = "SAA-C03"
PASSWORD = "bench-learner-pass-8472"
START_FORM = {"certification": CERTIFICATION, "timing": "standard"}
MULTIPLE_SHARE = 7  # one question in seven is multiple response

# A bench-only settings module and URLconf: the app's own URLs plus one trivial view.
BENCH_SETTINGS = """\
from examsite.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
STATIC_ROOT = {static_root!r}
"""
BENCH_URLS = """\
from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    return HttpResponse("ok")


urlpatterns = [path("bench-trivial/", trivial), path("", include("examsite.urls"))]
"""


# --- Seeding ------------------------------------------------------------------------------------


def seed_bank(total: int) -> int:
    """`total` published questions, half per certification, split by domain weight."""
    from django.db import transaction

    from notes.models import Certification
    from questions.models import Choice, ChoiceSpec, Question, validate_choice_set
    from questions.scoring import apportion

    certifications = list(Certification.objects.prefetch_related("domains__task_statements"))
    per_certification = apportion(total, {c.pk: 1 for c in certifications})
    questions: list[Question] = []
    choice_sets: list[list[tuple[str, bool, str]]] = []
    serial = 0
    for certification in certifications:
        domains = list(certification.domains.all())
        quota = apportion(per_certification[certification.pk], {d.pk: d.weight for d in domains})
        for domain in domains:
            statements = list(domain.task_statements.all())
            for i in range(quota[domain.pk]):
                serial += 1
                kind, select, count = _shape(serial)
                choices = [
                    (
                        f"Option {n} for question {serial}: use service {n} with setting {i % 97}",
                        n <= select,
                        f"Why option {n} is {'right' if n <= select else 'wrong'} here.",
                    )
                    for n in range(1, count + 1)
                ]
                validate_choice_set(
                    kind=kind,
                    select_count=select,
                    choices=[ChoiceSpec(text, correct) for text, correct, _ in choices],
                )
                questions.append(
                    Question(
                        key=f"bench-{certification.code.lower()}-{serial}",
                        certification=certification,
                        domain=domain,
                        task_statement=statements[i % len(statements)] if statements else None,
                        kind=kind,
                        select_count=select,
                        stem=(
                            f"A company runs workload {serial} in domain {domain.number} and "
                            "needs it to **scale** without losing data. The team wants the "
                            "least operational overhead and must keep costs predictable.\n\n"
                            + (
                                f"Which {select} options meet these requirements?"
                                if select > 1
                                else "Which solution meets these requirements?"
                            )
                        ),
                        explanation=(
                            f"The keyed answer for question {serial} meets every requirement; "
                            "the others each miss one (overhead, durability or cost)."
                        ),
                        origin=Question.Origin.AUTHORED,
                        status=Question.Status.PUBLISHED,
                    )
                )
                choice_sets.append(choices)
    with transaction.atomic():
        Question.objects.bulk_create(questions, batch_size=2000)
        Choice.objects.bulk_create(
            [
                Choice(
                    question_id=question.pk,
                    position=position,
                    text=text,
                    is_correct=correct,
                    rationale=rationale,
                )
                for question, choices in zip(questions, choice_sets, strict=True)
                for position, (text, correct, rationale) in enumerate(choices, start=1)
            ],
            batch_size=5000,
        )
    return sum(len(choices) for choices in choice_sets)


def _shape(serial: int) -> tuple[str, int, int]:
    """(kind, select count, choice count): singles with 4 or 5 options; choose-2 with 5 and
    choose-3 with 6 options."""
    if serial % MULTIPLE_SHARE == 0:
        return ("multiple", 2, 5) if serial % 2 else ("multiple", 3, 6)
    return "single", 1, 4 + serial % 2


# --- HTTP client --------------------------------------------------------------------------------


@dataclass
class Browser:
    """Cookies and CSRF over plain http.client, one connection per request (gunicorn's sync
    worker closes it anyway). The app marks its cookies Secure; this jar sends them regardless,
    as a TLS-terminating proxy in front of the app would."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, data: dict | None = None, *, htmx: bool = False
    ) -> tuple[int, dict[str, str], bytes, float]:
        headers = {"Host": f"{HOST}:{self.port}", "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            data = dict(data or {})
            if htmx:
                headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            else:
                data["csrfmiddlewaretoken"] = self.cookies.get("csrftoken", "")
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, dict(response.headers), content, elapsed

    def expect(self, status: int, method: str, path: str, data=None, *, htmx=False):
        code, headers, content, elapsed = self.request(method, path, data, htmx=htmx)
        if code != status:
            raise SystemExit(
                f"{method} {path}: expected {status}, got {code} "
                f"{headers.get('Location', '')} {content[:300]!r}"
            )
        return headers, content, elapsed


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, pythonpath: list[Path]) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "examsite.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--pythonpath",
            ",".join(str(p) for p in pythonpath),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start listening within 30 s")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- Measuring ----------------------------------------------------------------------------------


@dataclass
class Samples:
    times: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(seconds)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


ATTEMPT_ID = re.compile(r"/attempts/(\d+)/q/1/$")


def measure_http(port: int, *, page_reps: int, start_reps: int) -> Samples:
    """Every measured request is paired with a trivial one just before it."""
    from questions.models import AttemptQuestion

    browser = Browser(port)
    samples = Samples()

    def timed(name: str, status: int, method: str, path: str, data=None, *, htmx=False):
        *_, baseline = browser.expect(200, "GET", "/bench-trivial/")
        samples.add("trivial view", baseline)
        headers, content, elapsed = browser.expect(status, method, path, data, htmx=htmx)
        samples.add(name, elapsed)
        return headers, content

    def start(name: str | None) -> int:
        if name is None:
            headers, *_ = browser.expect(302, "POST", "/attempts/mock/", START_FORM)
        else:
            headers, _ = timed(name, 302, "POST", "/attempts/mock/", START_FORM)
        match = ATTEMPT_ID.search(headers.get("Location", ""))
        if not match:
            raise SystemExit(f"exam start redirected to {headers.get('Location')!r}")
        return int(match.group(1))

    def first_choice(attempt_id: int) -> dict[int, int]:
        return {
            position: order[0]
            for position, order in AttemptQuestion.objects.filter(
                attempt_id=attempt_id
            ).values_list("position", "choice_order")
        }

    # Log in through the real form, CSRF included.
    _, page, _ = browser.expect(200, "GET", "/accounts/login/")
    if "csrftoken" not in browser.cookies or b"csrfmiddlewaretoken" not in page:
        raise SystemExit("the login page set no CSRF token")
    browser.expect(302, "POST", "/accounts/login/", {"username": "learner", "password": PASSWORD})
    if "sessionid" not in browser.cookies:
        raise SystemExit("logging in set no session cookie")

    # Warm-up: one whole attempt, untimed (imports, template compilation, SQLite page cache).
    for _ in range(5):
        browser.expect(200, "GET", "/bench-trivial/")
    warm = start(None)
    choices = first_choice(warm)
    browser.expect(200, "GET", f"/attempts/{warm}/q/1/")
    browser.expect(200, "POST", f"/attempts/{warm}/q/1/answer/", {"choice": choices[1]}, htmx=True)
    browser.expect(302, "POST", f"/attempts/{warm}/q/2/answer/", {"choice": choices[2]})
    browser.expect(302, "POST", f"/attempts/{warm}/submit/", {"confirm": "on"})
    browser.expect(200, "GET", f"/attempts/{warm}/report/")

    attempts = [start("exam start (POST)") for _ in range(start_reps)]
    attempt = attempts[0]
    choices = first_choice(attempt)
    total = len(choices)
    for rep in range(page_reps):
        position = rep % total + 1
        timed("question page (GET)", 200, "GET", f"/attempts/{attempt}/q/{position}/")
    for rep in range(page_reps):
        position = rep % total + 1
        path = f"/attempts/{attempt}/q/{position}/answer/"
        timed("answer save (htmx)", 200, "POST", path, {"choice": choices[position]}, htmx=True)
    for rep in range(page_reps):
        position = (rep + page_reps) % total + 1
        path = f"/attempts/{attempt}/q/{position}/answer/"
        timed("answer save (plain)", 302, "POST", path, {"choice": choices[position]})
    for attempt_id in attempts:
        timed("submit (POST)", 302, "POST", f"/attempts/{attempt_id}/submit/", {"confirm": "on"})
    for rep in range(page_reps):
        attempt_id = attempts[rep % len(attempts)]
        timed("report (GET)", 200, "GET", f"/attempts/{attempt_id}/report/")
    return samples


def count_queries(learner) -> dict[str, int]:
    """One of each request through Django's test client, counting its SQL queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from questions.models import AttemptQuestion

    client = Client(SERVER_NAME=HOST)
    client.force_login(learner)
    counts: dict[str, int] = {}

    def run(name: str, status: int, call: Callable):
        with CaptureQueriesContext(connection) as captured:
            response = call()
        if response.status_code != status:
            raise SystemExit(f"{name}: expected {status}, got {response.status_code}")
        counts[name] = len(captured)
        return response

    htmx = {"headers": {"HX-Request": "true"}}
    run("trivial view", 200, lambda: client.get("/bench-trivial/"))
    response = run(
        "exam start (POST)",
        302,
        lambda: client.post("/attempts/mock/", START_FORM),
    )
    attempt = int(ATTEMPT_ID.search(response["Location"]).group(1))
    order = dict(
        AttemptQuestion.objects.filter(attempt_id=attempt).values_list("position", "choice_order")
    )
    base = f"/attempts/{attempt}"
    run("question page (GET)", 200, lambda: client.get(f"{base}/q/2/"))
    run(
        "answer save (htmx)",
        200,
        lambda: client.post(f"{base}/q/2/answer/", {"choice": order[2][0]}, **htmx),
    )
    run(
        "answer save (plain)",
        302,
        lambda: client.post(f"{base}/q/3/answer/", {"choice": order[3][0]}),
    )
    run("submit (POST)", 302, lambda: client.post(f"{base}/submit/", {"confirm": "on"}))
    client.get(f"{base}/report/")  # consumes the "Submitted" message, like the HTTP loop mostly
    run("report (GET)", 200, lambda: client.get(f"{base}/report/"))
    return counts


ORDER = [
    "trivial view",
    "exam start (POST)",
    "question page (GET)",
    "answer save (htmx)",
    "answer save (plain)",
    "submit (POST)",
    "report (GET)",
]


def print_table(samples: Samples, queries: dict[str, int]) -> None:
    baseline = statistics.median(samples.times["trivial view"])
    print(f"{'request':<22}{'n':>5}{'median ms':>11}{'p90 ms':>9}{'ratio':>8}{'queries':>9}")
    for name in ORDER:
        times = samples.times[name]
        median = statistics.median(times)
        print(
            f"{name:<22}{len(times):>5}{median * 1000:>11.2f}{p90(times) * 1000:>9.2f}"
            f"{median / baseline:>8.1f}{queries.get(name, 0):>9}"
        )
    print(
        "ratio = median / median of the trivial view served by the same worker in this run; "
        "queries = one request in-process (test client), BEGIN/SAVEPOINT/COMMIT included"
    )


# --- Main ---------------------------------------------------------------------------------------


def configure_environment(moduledir: Path) -> None:
    """Production-like settings (DEBUG off) with the bench URLconf, for this process and the
    server it starts. HTTPS redirection is off: the bench talks plain HTTP on loopback."""
    static_root = moduledir / "static"
    (moduledir / "bench_settings.py").write_text(
        BENCH_SETTINGS.format(static_root=str(static_root)), encoding="utf-8"
    )
    (moduledir / "bench_urls.py").write_text(BENCH_URLS, encoding="utf-8")
    sys.path.insert(0, str(moduledir))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench_settings",
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS=f"{HOST},localhost",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="ERROR",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=50_000)
    parser.add_argument("--page-reps", type=int, default=30, help="per page GET / answer POST")
    parser.add_argument("--start-reps", type=int, default=10, help="exam starts (and submits)")
    args = parser.parse_args()
    if args.start_reps < 1 or args.page_reps < 1:
        parser.error("repetitions must be at least 1")
    if args.questions < 200:
        parser.error("a SAA-C03 mock exam needs a bank of at least 200 questions")

    moduledir = Path(tempfile.mkdtemp(prefix="examsite-bench-exam-"))
    workdir = None
    server = None
    try:
        configure_environment(moduledir)
        started = time.perf_counter()
        workdir = django_with_fresh_database()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection

        call_command("collectstatic", "--no-input", verbosity=0, stdout=StringIO())
        setup_seconds = time.perf_counter() - started

        started = time.perf_counter()
        choice_count = seed_bank(args.questions)
        learner = get_user_model().objects.create_user(username="learner", password=PASSWORD)
        seed_seconds = time.perf_counter() - started
        connection.close()  # the server process writes next; hold no SQLite connection open
        print(
            f"bank: {args.questions} published questions, {choice_count} choices; seeded in "
            f"{seed_seconds:.1f} s (migrate + catalog + collectstatic {setup_seconds:.1f} s)"
        )

        port = free_port()
        server = start_gunicorn(port, [moduledir, ROOT])
        started = time.perf_counter()
        samples = measure_http(port, page_reps=args.page_reps, start_reps=args.start_reps)
        http_seconds = time.perf_counter() - started
        stop(server)
        server = None
        print(
            f"served by gunicorn (1 sync worker, DEBUG=0) on {HOST}:{port}; "
            f"requests took {http_seconds:.1f} s"
        )
        queries = count_queries(learner)
        print_table(samples, queries)
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(moduledir, ignore_errors=True)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
