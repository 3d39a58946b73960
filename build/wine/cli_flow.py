"""The command line as a Windows user runs it, one process per command, under Windows Python in Wine.

The districts' demo database in the default place (%LOCALAPPDATA%\\Tianbao), check, sign, export Excel and PDF
into a folder whose name has Chinese and spaces, verify; a fresh city database imports the files and its
figures equal the districts'. Every command's redirected output must be UTF-8 and free of tracebacks, whatever
the ANSI code page. Run by ``windows_check.py``; it prints ``flow: N passed, N failed`` and exits 1 on a failure.

This deletes %LOCALAPPDATA%\\Tianbao: it runs only with ``--scratch-profile``, in the check's own Wine prefix.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2023Q2"
CITY = "520100"
DISTRICTS = [
    "520102",
    "520103",
    "520111",
    "520112",
    "520113",
    "520115",
    "520181",
    "520123",
    "520122",
    "520121",
    "GA0001",
]
AS_PDF = {"520103", "GA0001"}  # the city receives both kinds of file
PASSPHRASE = "tianbao-demo"
SEED_SENTENCE = "39项指标任务总体按计划推进，其中，11项季度指标均已完成，28项年度指标中26项按序推进、2项超额完成。"


class Failed(AssertionError):
    pass


class Result:
    def __init__(self, args: list[str], proc: subprocess.CompletedProcess[bytes]) -> None:
        self.args = args
        self.code = proc.returncode
        # Redirected output is UTF-8 whatever the code page: strict decoding is part of the check.
        try:
            self.out = proc.stdout.decode("utf-8")
            self.err = proc.stderr.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Failed(f"{args}: output is not UTF-8: {exc}; stdout={proc.stdout!r} stderr={proc.stderr!r}") from exc
        if "Traceback" in self.out + self.err:
            raise Failed(f"{args}: traceback\n{self.err}")

    def ok(self) -> Result:
        if self.code != 0:
            raise Failed(f"{self.args}: exit {self.code}\n{self.out}\n{self.err}")
        return self

    def json(self) -> Any:
        return json.loads(self.ok().out)


class Flow:
    def __init__(self, program: list[str], work: Path) -> None:
        self.program = program
        self.work = work
        self.passed = 0
        self.failed = 0
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TIANBAO_")}

    def run(self, *args: str | Path, env: dict[str, str] | None = None) -> Result:
        argv = [*self.program, *map(str, args)]
        proc = subprocess.run(
            argv, capture_output=True, stdin=subprocess.DEVNULL, env=env or self.env, cwd=self.work, timeout=300
        )
        return Result(argv, proc)

    def step(self, name: str, body: Callable[[], object]) -> None:
        start = time.monotonic()
        try:
            body()
        except Exception:
            self.failed += 1
            print(f"FAILED  {name}\n{traceback.format_exc()}", flush=True)
        else:
            self.passed += 1
            print(f"ok      {name} ({time.monotonic() - start:.1f} s)", flush=True)


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


def figures(check_json: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {i["code"]: (i["value"], i["status"]) for i in check_json["indicators"]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--code-page", type=int, required=True, help="the ANSI code page Wine must be running in")
    parser.add_argument("--scratch-profile", action="store_true", help="allow deleting %%LOCALAPPDATA%%\\Tianbao")
    parser.add_argument("program", nargs="*", help="the command to test (default: this Python with main.py)")
    args = parser.parse_args()
    if not args.scratch_profile:
        parser.error("--scratch-profile is required: the flow deletes %LOCALAPPDATA%\\Tianbao")
    program = args.program or [sys.executable, str(ROOT / "main.py")]

    # Output of this script goes to the harness through a pipe; it must not depend on the code page either.
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    code_page = ctypes.windll.kernel32.GetACP()  # type: ignore[attr-defined]
    print(f"ANSI code page {code_page}; program: {program}", flush=True)
    if code_page != args.code_page:
        print(f"flow: 0 passed, 1 failed (expected code page {args.code_page})")
        return 1

    data_dir = Path(os.environ["LOCALAPPDATA"]) / "Tianbao"
    shutil.rmtree(data_dir, ignore_errors=True)
    work = Path(os.environ["TEMP"]) / f"填报 检查 {code_page}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    flow = Flow(program, work)
    outbox = work / "报送 文件"
    inbox = work / "市级 收件箱"
    outbox.mkdir()
    inbox.mkdir()
    secret = work / "口令 文件.txt"
    # As Notepad on Windows 10 saved "UTF-8": with a byte-order mark and a line end.
    secret.write_bytes(("\ufeff" + PASSPHRASE + "\r\n").encode("utf-8"))
    keys = data_dir / "keys"
    city_db = work / "市级 汇总" / "city.db"
    city = ["--db", city_db, "--keys", keys]
    district: dict[str, Any] = {}

    def demo() -> None:
        out = flow.run("demo").ok().out
        check((data_dir / "tianbao.db").is_file(), f"no database in {data_dir}: {out}")
        check((keys / "city-ca.crt.pem").is_file(), f"no demo keys in {keys}")
        check(str(data_dir / "tianbao.db") in out, f"the demo does not name its database: {out}")

    def usage() -> None:
        bad = flow.run("check", "--unit", "520103", "--period", "2023Q5")
        check(bad.code == 2 and "报告期“2023Q5”格式不对" in bad.err and bad.out == "", f"usage error: {bad.err!r}")
        helped = flow.run("--help").ok()
        check("填报通" in helped.out and "自查" in helped.out, f"--help: {helped.out!r}")

    def self_check() -> None:
        text = flow.run("check", "--unit", "520103", "--period", PERIOD).ok().out
        check("云岩区" in text and "项指标" in text, f"check: {text}")
        data = flow.run("check", "--unit", CITY, "--period", PERIOD, "--json").json()
        check(data["summary"] == SEED_SENTENCE, f"city summary: {data['summary']}")
        district[CITY] = data

    def sign_and_export() -> None:
        for unit in DISTRICTS:
            flow.run("sign", "--unit", unit, "--period", PERIOD, "--passphrase-file", secret).ok()
            kind, suffix = ("--pdf", ".pdf") if unit in AS_PDF else ("--xlsx", ".xlsx")
            target = inbox / f"{unit} {PERIOD}{suffix}"
            flow.run("export", "--unit", unit, "--period", PERIOD, kind, target, "--passphrase-file", secret).ok()
            check(target.is_file(), f"{target} not written")
        both = ["--xlsx", outbox / "云岩区 2023年第二季度.xlsx", "--pdf", outbox / "云岩区 2023年第二季度.pdf"]
        env = {**flow.env, "TIANBAO_PASSPHRASE": PASSPHRASE}
        out = flow.run("export", "--unit", "520103", "--period", PERIOD, *both, env=env).ok().out
        check("云岩区 2023年第二季度.pdf" in out, f"export: {out}")

    def verify() -> None:
        files = sorted(inbox.iterdir()) + sorted(outbox.iterdir())
        results = flow.run("verify", *files, "--json").json()["results"]
        check(len(results) == len(DISTRICTS) + 2, f"verify: {results}")
        check(all(r["valid"] for r in results), f"verify: {results}")

    def file_held_open() -> None:
        target = outbox / "云岩区 2023年第二季度.xlsx"
        before = target.read_bytes()
        export = ["export", "--unit", "520103", "--period", PERIOD, "--xlsx", target]
        # Python opens files without FILE_SHARE_DELETE, as Excel does: the file cannot be replaced meanwhile.
        with target.open("rb"):
            held = flow.run(*export)
        check(held.code == 2, f"export over an open file: exit {held.code} {held.err!r}")
        check("正被其他程序打开" in held.err and target.name in held.err, f"message: {held.err!r}")
        check(target.read_bytes() == before, "the open file was changed")
        check(sorted(p.name for p in outbox.iterdir() if p.suffix == ".tmp") == [], "a temporary file was left")
        # A program that lets go while the export waits (a virus scanner, the indexer): the export succeeds.
        handle = target.open("rb")
        try:
            proc = subprocess.Popen(
                [*flow.program, *map(str, export)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=flow.env
            )
            deadline = time.monotonic() + 120
            while not list(outbox.glob(".*.tmp")) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            handle.close()
        _, err = proc.communicate(timeout=120)
        check(proc.returncode == 0, f"export after the file was closed: {err.decode('utf-8', 'replace')}")

    def city_imports() -> None:
        template = work / "模板 2023.json"
        flow.run("template", "export", template).ok()
        flow.run(*city, "template", "sign", template, "--passphrase-file", secret).ok()
        flow.run(*city, "template", "import", template).ok()
        results = flow.run(*city, "import", inbox, "--json").json()["results"]
        check(sorted(r["unit"] for r in results) == sorted(DISTRICTS), f"import: {results}")
        check({r["status"] for r in results} == {"accepted"}, f"import: {results}")
        # The city enters its own figures (indicators it does not aggregate) from a values sheet: CSV out and in.
        sheet = work / "市级 自填.csv"
        flow.run("values", "export", "--unit", CITY, "--period", PERIOD, sheet).ok()
        check(sheet.read_bytes().startswith(b"\xef\xbb\xbf"), "the values CSV has no UTF-8 byte-order mark")
        flow.run(*city, "values", "import", "--unit", CITY, "--period", PERIOD, sheet).ok()

    def city_equals_districts() -> None:
        data = flow.run(*city, "check", "--unit", CITY, "--period", PERIOD, "--json").json()
        check(data["summary"] == SEED_SENTENCE, f"city summary: {data['summary']}")
        check(figures(data) == figures(district[CITY]), "the city's figures differ from the districts' database")
        for unit in [*sorted(AS_PDF), "520102"]:
            mine = flow.run("check", "--unit", unit, "--period", PERIOD, "--json").json()
            theirs = flow.run(*city, "check", "--unit", unit, "--period", PERIOD, "--json").json()
            check(figures(mine) == figures(theirs), f"{unit}: the city's copy differs from the district's")

    flow.step("demo database in %LOCALAPPDATA%\\Tianbao", demo)
    flow.step("usage errors and --help in Chinese", usage)
    flow.step("check, text and JSON", self_check)
    flow.step("sign and export every district (passphrase file with BOM)", sign_and_export)
    flow.step("verify every file", verify)
    flow.step("export over a file another program holds open", file_held_open)
    flow.step("fresh city database imports the files", city_imports)
    flow.step("city figures equal the districts'", city_equals_districts)
    print(f"flow: {flow.passed} passed, {flow.failed} failed", flush=True)
    return 1 if flow.failed else 0


if __name__ == "__main__":
    sys.exit(main())
