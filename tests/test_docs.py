"""The docs say what is true: every command they name exists, every link between them (and to pictures and
files in the repository) resolves, every environment variable the settings read is in the operations guide's
table, and every scheduled job is in its jobs table with how often it runs."""

import ast
import datetime
import re
from pathlib import Path

from celery.schedules import crontab
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OPERATIONS = ROOT / "docs" / "operations.md"
IMAGES = ROOT / "docs" / "img"
IMAGE_MAX_BYTES = 200 * 1024

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)\)")
MANAGE_COMMAND = re.compile(r"manage\.py[ \t]+([a-z][a-z0-9_]*)")
DEV_COMMAND = re.compile(r"dev\.py[ \t]+([a-z][a-z0-9_-]*)")
# env("NAME"), env.bool("NAME"), env.db("NAME") ... in preorder_shop/settings.py
ENV_READ = re.compile(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
BACKTICKED_NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _prose(text: str) -> str:
    """The text without code blocks and inline code, where a link is only an example."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _section(text: str, heading: str) -> str:
    """The text under a `## heading`, up to the next heading of the same level."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def _table_rows(text: str) -> list[list[str]]:
    """The body rows of every Markdown table in `text`, as lists of cells."""
    rows = []
    for block in re.findall(r"(?:^\|.*\|[ \t]*\n?)+", text, re.MULTILINE):
        lines = block.strip().splitlines()
        for line in lines[2:]:  # after the header and its |---| line
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors, seen = set(), {}
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t]*#*$", FENCE.sub("", _text(path)), re.MULTILINE):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _dev_subcommands() -> set[str]:
    """What dev.py accepts as its first argument: the strings sys.argv[1] is checked against, or argparse's."""
    tree = ast.parse(_text(ROOT / "dev.py"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and "sys.argv[1]" in ast.unparse(node.left):
            for comparator in node.comparators:
                if isinstance(comparator, ast.Set | ast.List | ast.Tuple):
                    names |= {item.value for item in comparator.elts if isinstance(item, ast.Constant)}
        if isinstance(node, ast.Call):
            if getattr(node.func, "attr", "") == "add_parser" and node.args and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
            for keyword in node.keywords:
                if keyword.arg == "choices" and isinstance(keyword.value, ast.Set | ast.List | ast.Tuple):
                    names |= {item.value for item in keyword.value.elts if isinstance(item, ast.Constant)}
    return names


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _when(schedule) -> str:
    """How the jobs table says how often a beat entry runs."""
    if isinstance(schedule, datetime.timedelta):
        schedule = schedule.total_seconds()
    if isinstance(schedule, int | float):
        if schedule == 60:
            return "every minute"
        if schedule % 60 == 0:
            return f"every {int(schedule // 60)} minutes"
        return f"every {schedule:g} seconds"
    assert isinstance(schedule, crontab), f"{schedule!r}: describe this kind of schedule in _when()"
    minute, hour, weekday, day, month = (
        str(getattr(schedule, f"_orig_{field}"))
        for field in ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
    )
    at = f"{int(hour):02d}:{int(minute):02d}" if hour.isdigit() and minute.isdigit() else None
    if (weekday, day, month) == ("*", "*", "*"):
        if hour == "*" and minute == "*":
            return "every minute"
        if hour == "*" and minute.startswith("*/"):
            return f"every {minute[2:]} minutes"
        if hour == "*" and minute.isdigit():
            return f"hourly, at :{int(minute):02d}"
        if at:
            return f"daily, {at}"
    if (weekday, month) == ("*", "*") and day.isdigit() and at:
        return f"monthly, on the {_ordinal(int(day))}, {at}"
    raise AssertionError(f"{schedule!r}: describe this schedule in _when() and in the jobs table")


def test_every_command_the_docs_name_exists():
    django_commands = set(get_commands())
    dev_commands = _dev_subcommands()
    assert dev_commands >= {"start", "test"}, dev_commands
    missing = []
    named = 0
    for path in DOCS:
        text = _text(path)
        for command in MANAGE_COMMAND.findall(text):
            named += 1
            if command not in django_commands:
                missing.append(f"{_relative(path)}: manage.py {command}")
        for command in DEV_COMMAND.findall(text):
            named += 1
            if command not in dev_commands:
                missing.append(f"{_relative(path)}: dev.py {command}")
    assert named > 10, "the docs name hardly any command: is the pattern still right?"
    assert not missing, "commands the docs name that do not exist:\n" + "\n".join(missing)


def test_every_relative_link_in_the_docs_resolves():
    broken = []
    checked = 0
    for path in DOCS:
        for target in LINK.findall(_prose(_text(path))):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
                continue
            checked += 1
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.exists():
                broken.append(f"{_relative(path)}: {target} (no such file)")
            elif not linked.is_relative_to(ROOT):
                broken.append(f"{_relative(path)}: {target} (outside the repository)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{_relative(path)}: {target} (no such heading in {_relative(linked)})")
    assert checked > 10, "the docs link hardly anything: is the pattern still right?"
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_every_picture_in_docs_img_is_shown_and_small():
    linked = {
        (path.parent / target).resolve()
        for path in DOCS
        for target in LINK.findall(_prose(_text(path)))
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)
    }
    pictures = sorted(IMAGES.glob("*.png"))
    assert pictures, "docs/img holds no pictures"
    unused = [picture.name for picture in pictures if picture.resolve() not in linked]
    assert not unused, f"pictures no doc shows: {unused}"
    large = [
        f"{picture.name}: {picture.stat().st_size // 1024} KB"
        for picture in pictures
        if picture.stat().st_size > IMAGE_MAX_BYTES
    ]
    assert not large, f"pictures over {IMAGE_MAX_BYTES // 1024} KB: {large}"


def test_every_environment_variable_of_the_settings_is_in_the_operations_table():
    read = set(ENV_READ.findall(_text(ROOT / "preorder_shop" / "settings.py")))
    assert len(read) > 30, f"found only {sorted(read)} in settings.py: is the pattern still right?"
    section = _section(_text(OPERATIONS), "Environment variables")
    shop_table, *_other_tables = re.split(r"\n(?=For the test suite)", section, maxsplit=1)
    documented = {name for row in _table_rows(shop_table) for name in BACKTICKED_NAME.findall(row[0])}
    assert not read - documented, f"read in settings.py, missing from docs/operations.md: {sorted(read - documented)}"
    assert not documented - read, f"in docs/operations.md, not read by settings.py: {sorted(documented - read)}"


def test_every_scheduled_job_is_in_the_jobs_table_with_its_task_and_how_often():
    schedule = settings.CELERY_BEAT_SCHEDULE
    rows = _table_rows(_section(_text(OPERATIONS), "Scheduled jobs"))
    table = {row[0].strip("`"): row for row in rows}
    assert set(table) == set(schedule), (
        f"beat entries missing from docs/operations.md: {sorted(set(schedule) - set(table))}; "
        f"rows for no beat entry: {sorted(set(table) - set(schedule))}"
    )
    for name, entry in schedule.items():
        _entry, task, when, what = table[name]
        assert task.strip("`") == entry["task"], f"{name}: the table says {task}, the schedule {entry['task']}"
        assert _when(entry["schedule"]) in when.lower(), f"{name}: '{when}' does not say {_when(entry['schedule'])}"
        assert what, f"{name}: say what the job does"
