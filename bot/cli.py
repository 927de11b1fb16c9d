"""`python -m bot COMMAND`: a thin layer over the functions the bot itself uses, so staff tools and the bot agree.

Each command's docstring is its help text. Domain errors become exit codes here and nowhere else.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from bot.content.loader import Content, load_content
from bot.core.clock import Clock, system_clock
from bot.core.problems import Problem
from bot.settings import Settings, SettingsError

Command = Callable[[argparse.Namespace, Settings, Clock], int]
COMMANDS: dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None]]] = {}


def command(configure: Callable[[argparse.ArgumentParser], None] = lambda p: None) -> Callable[[Command], Command]:
    def register(func: Command) -> Command:
        COMMANDS[func.__name__.removeprefix("cmd_")] = (func, configure)
        return func

    return register


def _load(settings: Settings, clock: Clock, *, quiet: bool = False) -> Content | None:
    content, problems = load_content(settings.flows_dir, settings.resources_dir, today=clock().date())
    if content is None or not quiet:
        _print_problems(problems, sys.stderr if content is not None else sys.stdout)
    return content


def _print_problems(problems: Sequence[Problem], out: object) -> None:
    for problem in problems:
        print(problem, file=out)  # type: ignore[call-overload]  # a text stream


@command()
def cmd_check(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Validate flows/ and resources/: one line per problem (file:line:col), exit 1 on errors.

    Example: python -m bot check
    """
    from bot.directory.coverage import coverage, report

    content, problems = load_content(settings.flows_dir, settings.resources_dir, today=clock().date())
    _print_problems(problems, sys.stdout)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if content is not None:
        cells = coverage(content.directory)
        for line in report(cells):
            print(line)
        empty = [c for c in cells if c.empty]
        for cell in empty:
            print(
                f"{settings.resources_dir.name}: error: coverage: nothing serves {cell.group} x {cell.need}; add a "
                "sourced service (or a card that routes through 211 or the hotline)"
            )
        if empty:
            print(f"{len(empty)} coverage errors, {warnings} warnings: fix the errors above", file=sys.stderr)
            return 1
        print(
            f"ok: {len(content.flows.nodes)} nodes in {len(content.flows.flow_names)} flows, "
            f"{len(content.directory)} services, {len(content.languages)} languages; {warnings} warnings",
            file=sys.stderr,
        )
        return 0
    print(
        f"{errors} errors, {warnings} warnings: fix the errors above; the bot keeps running the last good "
        "version until then",
        file=sys.stderr,
    )
    return 1


def _chat_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", default="", help="start in this language (en, fr, es, tl)")


@command(_chat_args)
def cmd_chat(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Talk to the real flows in this terminal: type a number for a button, words, or /menu, /language, /quit.

    Example: python -m bot chat --lang fr       (or pipe a script: printf '2\\nbed tonight\\n' | python -m bot chat)
    """
    from bot.channels.console import chat

    content = _load(settings, clock, quiet=True)
    if content is None:
        return 1
    zone = ZoneInfo(settings.timezone)
    interactive = sys.stdin.isatty()

    def prompt() -> None:
        if interactive:
            sys.stdout.write("\n> ")
            sys.stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends a preview quietly
        chat(
            content,
            sys.stdin,
            sys.stdout,
            language=args.lang,
            echo=not interactive,
            clock=lambda: clock().astimezone(zone),
            prompt=prompt,
            settings=settings,
        )
    return 0


def _search_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help='what a person might write, e.g. "bed tonight"')
    parser.add_argument("--lang", default="en")
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print a JSON list (id, name, categories, score)")


@command(_search_args)
def cmd_search(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Search the resource directory as the bot does, best first.

    Example: python -m bot search "shleter tonight" --lang en --limit 3 --json
    """
    from bot.directory import cards
    from bot.directory.search import hits_as_json, search

    content = _load(settings, clock, quiet=True)
    if content is None:
        return 1
    now = clock().astimezone(ZoneInfo(settings.timezone))
    hits = search(content.directory, args.query, lang=args.lang, now=now, limit=args.limit)
    if args.json:
        rows = hits_as_json(hits)
        for row, hit in zip(rows, hits, strict=True):  # staff see where each fact comes from and when
            row.setdefault("sources", list(hit.resource.sources))
            row.setdefault("verified", hit.resource.verified)
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print(content.text("search_none", args.lang))
    for hit in hits:
        print(f"[{hit.score:.2f}] {hit.resource.id}\n{cards.card(content.directory, hit.resource, args.lang, now)}\n")
    return 0


def _verify_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--done",
        metavar="ID",
        action="append",
        default=[],
        help="record that you checked this service's facts at its source today (repeatable)",
    )
    parser.add_argument("--date", default="", help="the day you checked, YYYY-MM-DD (default: today)")
    parser.add_argument("--all", action="store_true", help="list every service, not only those due")


@command(_verify_args)
def cmd_verify(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """List the services due for re-checking at their source (oldest first, with links), or record a check.

    A service is due when its facts were last checked more than 12 months ago, or never with a date. After you
    check the facts on the service's own page (and fix any that changed), record it:
    Example: python -m bot verify            then   python -m bot verify --done alberta-211
    """
    from datetime import date as Date

    from bot.staff.verify import NotFound, due, record_check

    content = _load(settings, clock, quiet=True)
    if content is None:
        return 1
    today = clock().astimezone(ZoneInfo(settings.timezone)).date()
    if args.done:
        try:
            checked = Date.fromisoformat(args.date) if args.date else today
        except ValueError:
            print(f"--date {args.date!r} is not a date; write it as YYYY-MM-DD", file=sys.stderr)
            return 2
        if checked > today:
            print(f"--date {checked} is in the future", file=sys.stderr)
            return 2
        for rid in args.done:
            resource = content.directory.get(rid)
            if resource is None:
                print(f"no service with id '{rid}'; `python -m bot verify --all` lists them", file=sys.stderr)
                return 1
            file = settings.resources_dir.parent / resource.path
            try:
                file.write_text(record_check(file.read_text(encoding="utf-8"), rid, checked), encoding="utf-8")
            except NotFound as exc:
                print(f"{resource.path}:{resource.line}: {exc}", file=sys.stderr)
                return 1
            print(f"{resource.path}:{resource.line}: {rid} verified {checked.isoformat()}")
        return 0
    listed = due(content.directory, today, everything=args.all)
    for item in listed:
        print("\n".join(item.lines()))
    print(
        f"{len(listed)} of {len(content.directory)} services " + ("listed" if args.all else "due for re-checking"),
        file=sys.stderr,
    )
    return 0


def _run_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--watch", action="store_true", help="reload flows and resources when their files change")


@command(_run_args)
def cmd_run(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Run the Telegram bot: long polling, or a webhook when WEBHOOK_URL is set.

    Example: TELEGRAM_BOT_TOKEN=123:abc python -m bot run
    """
    from bot.channels.telegram import serving as telegram
    from bot.channels.telegram import warmline

    settings.require_token()
    try:
        handoff = warmline.from_settings(settings)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    from bot.channels.web import config as web_config
    from bot.channels.web import server as web

    # WEB_PORT set: the web chat over the bot's one runtime (one store, content and hook); with WARMLINE_CHAT_ID,
    # its people reach the same warm line (else the web's talk screen says where the supporters are)
    wanted = web_config.wanted_beside_telegram(settings)
    beside = web.beside(settings, warm_line=bool(settings.warmline_chat_ids)) if wanted else None
    return int(telegram.run(settings, watch=args.watch, handoff=handoff, beside=beside) or 0)


@command()
def cmd_web(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Serve the web chat (the same flows in a browser, with a quick exit) on WEB_HOST:WEB_PORT.

    Example: WEB_PORT=8080 python -m bot web      (then open http://127.0.0.1:8080/?lang=fr; docs/web-chat.md)
    """
    from bot.channels.web import server

    return server.run(settings, clock=clock)


def _graph_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("flow", nargs="?", help="draw only this flow (its links to other flows as stubs)")
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write to FILE instead of printing; a .md file gets a ```mermaid fence that GitHub renders",
    )
    parser.add_argument("--svg", metavar="FILE", help="also draw an SVG with Graphviz's dot, when installed")


@command(_graph_args)
def cmd_graph(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Draw the flows as a Mermaid flowchart: every node, every button and jump, search and handoff outcomes.

    Example: python -m bot graph --out docs/flows.md      (or: python -m bot graph work --svg work.svg)
    """
    import shutil
    import subprocess
    from pathlib import Path

    from bot.content.flows import read_flows
    from bot.content.validation import check_flows
    from bot.core.problems import has_errors
    from bot.staff import graph

    flows, problems = read_flows(settings.flows_dir)
    problems += [] if has_errors(problems) else check_flows(flows)
    if has_errors(problems):
        _print_problems([p for p in problems if p.is_error], sys.stderr)
        print("fix the errors above first (python -m bot check), then draw again", file=sys.stderr)
        return 1
    if args.flow and args.flow not in flows.flow_names:
        print(f"there is no flow named {args.flow!r}; the flows are: {', '.join(flows.flow_names)}", file=sys.stderr)
        return 2
    if args.svg:
        if shutil.which("dot") is None:
            print(
                "Graphviz's dot is not installed (apt install graphviz), so no SVG was drawn; "
                "drawing the Mermaid diagram only.",
                file=sys.stderr,
            )
        else:
            drawn = subprocess.run(
                ["dot", "-Tsvg", "-o", args.svg],
                input=graph.dot(flows, args.flow),
                text=True,
                capture_output=True,
                check=False,
            )
            if drawn.returncode != 0:
                print(f"dot could not draw the SVG: {drawn.stderr.strip()}", file=sys.stderr)
                return 1
            print(f"wrote {args.svg}", file=sys.stderr)
    if not args.out:
        sys.stdout.write(graph.mermaid(flows, args.flow))
        return 0
    out = Path(args.out)
    drawing = graph.markdown(flows, args.flow) if out.suffix == ".md" else graph.mermaid(flows, args.flow)
    out.write_text(drawing, encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _stats_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=7, help="how many days, up to today (default 7)")
    parser.add_argument("--csv", metavar="FILE", help="also write one row per day, one column per counter")
    parser.add_argument("--png", metavar="FILE", help="also draw a bar chart of conversations and handoffs")


@command(_stats_args)
def cmd_stats(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Anonymous daily counts: conversations, doors chosen, searches without a match, handoffs, waits.

    Example: python -m bot stats --days 90 --csv counts.csv --png counts.png
    """
    import asyncio
    from datetime import timedelta
    from pathlib import Path

    from bot.staff import stats
    from bot.store.database import DB_FILE, Store, StoreError
    from bot.store.keys import SecretKeyError

    if args.days < 1:
        print("--days must be 1 or more", file=sys.stderr)
        return 2
    today = clock().astimezone(ZoneInfo(settings.timezone)).date()
    counts: list[tuple[str, str, int]] = []
    if (settings.data_dir / DB_FILE).is_file():

        async def read() -> list[tuple[str, str, int]]:
            async with await Store.open(settings.data_dir) as store:
                return await store.counts(since=today - timedelta(days=args.days - 1))

        try:
            counts = asyncio.run(read())
        except (StoreError, SecretKeyError) as exc:
            print(f"cannot read the counts: {exc}", file=sys.stderr)
            return 1
    else:
        print(
            f"no database at {settings.data_dir / DB_FILE} yet (set BOT_DATA_DIR to the bot's data folder)",
            file=sys.stderr,
        )
    print(stats.report_text(counts, today, days=args.days))
    if args.csv:
        Path(args.csv).write_text(stats.csv_text(counts, today, days=args.days), encoding="utf-8")
        print(f"wrote {args.csv}", file=sys.stderr)
    if args.png:
        Path(args.png).write_bytes(stats.chart_png(counts, today=today, days=args.days))
        print(f"wrote {args.png}", file=sys.stderr)
    return 0


def _test_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="FILE_OR_FOLDER",
        help="conversation files or folders (default: tests/conversations/ and flows/tests/)",
    )


@command(_test_args)
def cmd_test(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Play the conversation tests (send this, tap that, expect this) against the current flows; exit 1 on failure.

    Example: python -m bot test                      (every file in tests/conversations/ and flows/tests/)
             python -m bot test tests/conversations/es-doors.yaml
    """
    from pathlib import Path

    from bot.content.flows import display_path
    from bot.staff.rehearsal import conversation_files, default_paths, run_file

    content = _load(settings, clock, quiet=True)
    if content is None:
        print(
            "The flows or resources have errors (listed above), so no conversation could be played: "
            "fix them first (python -m bot check).",
            file=sys.stderr,
        )
        return 1
    files = conversation_files([Path(p) for p in args.paths] if args.paths else default_paths(settings.flows_dir))
    if not files:
        print("No conversation files found: name a file or folder, or add tests/conversations/*.yaml.")
        return 1
    failed = 0
    for path in files:
        failures = run_file(content, path)
        failed += bool(failures)
        print(f"{'FAIL' if failures else 'ok  '} {display_path(path)}")
        for failure in failures:
            print(f"  {failure}")
    print(f"{len(files)} conversations, {failed} failed" + ("" if failed else ": all passed"))
    return 1 if failed else 0


def _review_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="", help="write to this file, keeping the notes above its marker line")


@command(_review_args)
def cmd_review(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Write the translation review: every sentence the bot says, per language, beside the English.

    Example: python -m bot review --out docs/translation-review.md
    """
    from pathlib import Path

    from bot.content.flows import display_path, read_flows
    from bot.content.wording import load_avoid_list
    from bot.conversation.dangerwords import FILE, load_danger_words
    from bot.conversation.safety import EMPTY
    from bot.core.problems import has_errors
    from bot.staff.review import notes_of, review_markdown

    flows, problems = read_flows(settings.flows_dir)
    danger, danger_path = EMPTY, settings.flows_dir / FILE
    if danger_path.is_file():
        danger, found = load_danger_words(danger_path, display_path(danger_path), flows.config.languages)
        problems += found
    if has_errors(problems):
        _print_problems(problems, sys.stdout)
        return 1
    avoid, _ = load_avoid_list(settings.flows_dir)
    out = Path(args.out) if args.out else None
    notes = notes_of(out.read_text()) if out is not None and out.is_file() else "# Translation review\n"
    text = review_markdown(flows, avoid, notes, danger)
    if out is None:
        print(text)
        return 0
    out.write_text(text)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m bot", description="Calgary Support Navigator")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, (func, configure) in COMMANDS.items():
        doc = (func.__doc__ or "").strip()
        child = sub.add_parser(
            name, help=doc.splitlines()[0], description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        configure(child)
    return top


def main(argv: Sequence[str] | None = None, *, clock: Clock = system_clock) -> int:
    """Run one command; `clock` is the time every command sees (tests pin it)."""
    args = parser().parse_args(argv)
    if not args.command:
        parser().print_help()
        return 2
    try:
        settings = Settings.from_environ()
        return COMMANDS[args.command][0](args, settings, clock)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
