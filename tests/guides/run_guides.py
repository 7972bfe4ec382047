#!/usr/bin/env python3
"""Runs every command of the guides in docs/guides/ as a newcomer would, so that a guide cannot rot.

    python3 tests/guides/run_guides.py [GUIDE-NAME ...]

For each guide (docs/guides/*.md, or the ones named), in a fresh empty working directory with its own HOME:
  * a fenced block marked ```sh server is the guide's "start the server" step: it runs in the background (its
    process is stopped when the guide ends) and the next blocks wait for GET /health/ready;
  * every other ```sh block runs, in order, in ONE bash session (variables carry over from block to block) with
    `set -eu`: a command that fails fails the guide. Blocks in any other language (```json, ```text) are shown
    to the reader and not run.
  * `strongroom` is the executable built in this work tree (src/Strongroom/bin/Release/net10.0/strongroom.dll), and
    `aws` is the AWS CLI v2 (/usr/bin/aws), as a newcomer on Debian has them.
  * the address the guides use, 127.0.0.1:4566 (the server's default), becomes a free port, and 4567 (a second
    server in the backup guide) another, so the run shares the machine with other servers.
  * a guide whose text says `needs: postgresql` gets a throw-away PostgreSQL (tests/e2e/python/databases.py) and
    the PGHOST, PGPORT, PGUSER, PGPASSWORD variables the guide tells its reader to set.

Guides run side by side (STRONGROOM_GUIDES_JOBS, default 3), each report printed whole. The last line is
`guides: N passed, N failed` (one count per guide); exit status 0 iff none failed.
"""

import concurrent.futures
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
GUIDES = os.path.join(ROOT, "docs", "guides")
DLL = os.path.join(ROOT, "src", "Strongroom", "bin", "Release", "net10.0", "strongroom.dll")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e", "python"))

FENCE = re.compile(r"^```([A-Za-z0-9_-]*)[ \t]*([A-Za-z0-9_ -]*)\n(.*?)^```[ \t]*$", re.S | re.M)
GUIDE_TIMEOUT = 300  # seconds for one guide, all its blocks


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def blocks(text):
    """(kind, code) for each fenced block: kind is 'server', 'sh' or None (shown, not run)."""
    for match in FENCE.finditer(text):
        language, tags, code = match.group(1), match.group(2).split(), match.group(3)
        if language in ("sh", "bash", "shell"):
            yield ("server" if "server" in tags else "sh"), code
        else:
            yield None, code


def wait_ready(url, proc, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/health/ready", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_guide(path, out):
    """Runs one guide; its report goes to the list `out` (printed in one piece, guides run side by side)."""

    def say(text=""):
        out.append(text)

    name = os.path.splitext(os.path.basename(path))[0]
    text = open(path, encoding="utf-8").read()
    work = tempfile.mkdtemp(prefix=f"strongroom-guide-{name}-")
    home = os.path.join(work, "home")
    cwd = os.path.join(work, "cwd")
    bindir = os.path.join(work, "bin")
    for d in (home, cwd, bindir):
        os.makedirs(d)
    with open(os.path.join(bindir, "strongroom"), "w") as f:
        f.write(f'#!/bin/sh\nexec dotnet "{DLL}" "$@"\n')
    os.chmod(os.path.join(bindir, "strongroom"), 0o755)
    ports = {"4566": str(free_port()), "4567": str(free_port())}

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRONGROOM_", "PG"))}
    env.update(HOME=home, PATH=bindir + ":" + env.get("PATH", "/usr/bin:/bin"), AWS_PAGER="", AWS_EC2_METADATA_DISABLED="true",
               LC_ALL="C.UTF-8", LANG="C.UTF-8", DOTNET_CLI_TELEMETRY_OPTOUT="1")
    database = None
    servers = []
    started = time.monotonic()
    try:
        if re.search(r"^needs: .*\bpostgresql\b", text, re.M):
            from databases import SUPERUSER_PASSWORD, Postgres
            database = Postgres()  # initialised and started
            env.update(PGHOST="127.0.0.1", PGPORT=str(database.port), PGUSER="postgres", PGPASSWORD=SUPERUSER_PASSWORD)

        script = ["set -eu"]
        for kind, code in blocks(text):
            if kind is None:
                continue
            for guide_port, port in ports.items():
                code = code.replace("127.0.0.1:" + guide_port, "127.0.0.1:" + port)
            if kind == "server":
                # Runs when the shell reaches it: a marker line makes the shell wait for the runner's go-ahead.
                index = len(servers)
                servers.append(code)
                script.append(f"echo '@@server {index}'; read -r _go < \"$GUIDE_GO\"")
            else:
                script.append(f"echo '$ ' {shlex_quote(first_line(code))}")
                script.append(code)
        script.append("echo '@@done'")
        say(f"--- {name}: {os.path.relpath(path, ROOT)} (work directory {work})")
        fifo = os.path.join(work, "go")
        os.mkfifo(fifo)
        shell = subprocess.Popen(["bash", "-c", "\n".join(script)], cwd=cwd, env=dict(env, GUIDE_GO=fifo), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, start_new_session=True)
        watchdog = threading.Timer(GUIDE_TIMEOUT, stop, [shell])
        watchdog.start()
        done = False
        for line in shell.stdout:
            if line.startswith("@@server "):
                code = servers[int(line.split()[1])]
                log = open(os.path.join(work, f"server-{line.split()[1]}.log"), "w")
                proc = subprocess.Popen(["bash", "-c", code], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
                servers[int(line.split()[1])] = proc
                url = "http://127.0.0.1:" + (re.search(r"127\.0\.0\.1:(\d+)", code).group(1) if re.search(r"127\.0\.0\.1:(\d+)", code) else ports["4566"])
                ready = wait_ready(url, proc)
                say(f"  [server {'ready' if ready else 'DID NOT START'} at {url}]")
                if not ready:
                    log.flush()
                    say(open(log.name).read()[-3000:])
                    break
                with open(fifo, "w") as go:
                    go.write("go\n")
                continue
            if line.strip() == "@@done":
                done = True
                continue
            say("  " + line.rstrip("\n"))
        watchdog.cancel()
        try:
            status = shell.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop(shell)
            status = shell.wait()
        ok = done and status == 0
        say(f"--- {name}: {'passed' if ok else 'FAILED (exit status %s)' % status} in {time.monotonic() - started:.1f} s")
        return ok
    finally:
        for proc in servers:
            if isinstance(proc, subprocess.Popen):
                stop(proc)
        if database is not None:
            database.destroy()
        if ok_to_remove(work):
            shutil.rmtree(work, ignore_errors=True)


def ok_to_remove(path):
    return os.environ.get("STRONGROOM_GUIDES_KEEP") != "1" and path.startswith(tempfile.gettempdir())


def first_line(code):
    lines = [line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return (lines[0] + (" …" if len(lines) > 1 else "")) if lines else ""


def shlex_quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def main(argv):
    if not os.path.exists(DLL):
        print(f"the executable is not built: {DLL} (dotnet build Strongroom.slnx -c Release)")
        print("guides: 0 passed, 1 failed")
        return 1
    paths = sorted(glob.glob(os.path.join(GUIDES, "*.md")))
    paths = [p for p in paths if os.path.basename(p) != "README.md"]
    if argv:
        paths = [p for p in paths if os.path.splitext(os.path.basename(p))[0] in argv]
    def one(path):
        out = []
        try:
            ok = run_guide(path, out)
        except Exception as e:  # a broken runner step is that guide's failure; the other guides still run
            out.append(f"--- {os.path.basename(path)}: FAILED ({type(e).__name__}: {e})")
            ok = False
        return ok, out

    passed = failed = 0
    # Guides are independent (own directory, HOME, ports, server, database): a few at a time, reports whole.
    jobs = int(os.environ.get("STRONGROOM_GUIDES_JOBS", "3"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for ok, out in pool.map(one, paths):
            print("\n".join(out), flush=True)
            passed += ok
            failed += not ok
    if not paths:
        failed += 1
        print("no guide found in docs/guides/")
    print(f"guides: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
