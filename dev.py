#!/usr/bin/env python3
"""The shop's two commands, on a machine that has only Python 3.11+.

    python3 dev.py start   set up, load the demo shop, serve it on 127.0.0.1:8000
                           with a Celery worker and beat; Ctrl-C stops everything
    python3 dev.py test    set up and run the whole test suite (extra arguments go to pytest)

Both create .venv and install the pinned requirements when they change.
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
ADDRESS = os.environ.get("SHOP_ADDRESS", "127.0.0.1:8000")


def run(*args: str, **kwargs) -> None:
    subprocess.run(args, cwd=ROOT, check=True, **kwargs)


def ensure_environment(requirements: str) -> None:
    """Create .venv and install `requirements` unless the same file is installed already."""
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256()
    for name in ("requirements.txt", requirements):
        wanted.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == wanted.hexdigest():
        return
    print(f"Installing {requirements} ...", flush=True)
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements)
    stamp.write_text(wanted.hexdigest())


def manage(*args: str) -> None:
    run(str(PYTHON), "manage.py", *args)


def start() -> int:
    ensure_environment("requirements.txt")
    manage("migrate", "--no-input")
    manage("demo_setup")
    celery = [str(VENV / "bin" / "celery"), "-A", "preorder_shop"]
    commands = {
        "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [*celery, "beat", "--loglevel", "INFO"],
        "web": [str(PYTHON), "manage.py", "runserver", ADDRESS],
    }
    running = {name: subprocess.Popen(command, cwd=ROOT) for name, command in commands.items()}
    processes = list(running.values())
    # A supervisor's SIGTERM stops everything the same way Ctrl-C does; SIGINT too when started
    # in the background, where the shell hands it over ignored.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(f"\nThe shop: http://{ADDRESS}/   Seller admin: http://{ADDRESS}/admin/   Ctrl-C stops all.\n", flush=True)
    try:
        while running["web"].poll() is None:
            time.sleep(0.5)
            for name in ("worker", "beat"):
                if running[name].poll() is not None:
                    # As systemd's Restart=always would: the outbox keeps what waited meanwhile.
                    print(f"The {name} stopped (exit {running[name].returncode}); starting it again.", file=sys.stderr)
                    time.sleep(2)
                    running[name] = subprocess.Popen(commands[name], cwd=ROOT)
                    processes.append(running[name])
        print("The web server stopped; stopping the rest.", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


def test(pytest_args: list[str]) -> int:
    ensure_environment("requirements-dev.txt")
    return subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"start", "test"}:
        print(__doc__)
        return 2
    if sys.argv[1] == "start":
        return start()
    return test(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
