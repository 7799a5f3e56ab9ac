"""``kaproom music``: the clinic's music library from the command line.

Names are fixed (clinic scripts use them)::

    kaproom music import FOLDER [--json]
    kaproom music list [--json]
    kaproom music set TRACK [--lyrics none|some|sung] [--language CODE] [--intensity 1-5] [--note TEXT]
    kaproom music playlist PROTOCOL PHASE [--json] [--set TRACK ...] [--no-lyrics] [--no-sung LANG] [--avoid X]

The library holds no health information, so none of them asks for a sign-in.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kaproom.cli.common import EXIT_ERROR, EXIT_OK, open_workspace, refuse, shown
from kaproom.domain.music import (
    LYRICS_WORDS,
    MusicPreferences,
    check_intensity,
    normalise_language,
    normalise_lyrics,
)
from kaproom.services.music_library import MusicLibrary
from kaproom.services.music_playlists import find_phase, phase_plan, save_phase_playlist
from kaproom.store.music import LibraryTrack

EXIT_PROBLEMS = 1  # the import ran, and some files could not be used (they are listed)


def minutes_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "?:??"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def track_json(track: LibraryTrack) -> dict[str, object]:
    return {"id": track.id, "path": track.path, "title": track.title, "artist": track.artist, "album": track.album,
            "duration": track.duration, "loudness": track.loudness, "loudness_source": track.loudness_source,
            "gain_db": round(track.facts.gain_db, 2), "lyrics": track.lyrics, "language": track.language,
            "intensity": track.intensity, "note": track.note, "missing": track.missing, "problem": track.problem,
            "size": track.size, "content_hash": track.content_hash}


def _progress_printer() -> tuple[object, bool]:
    tty = sys.stderr.isatty()

    def progress(done: int, total: int, path: Path) -> None:
        if tty:
            print(f"\r{done}/{total} {shown(path.name)[:60]:<60}", end="", file=sys.stderr, flush=True)
        elif done and done % 100 == 0:
            print(f"{done}/{total} files read", file=sys.stderr)
    return progress, tty


def cmd_import(args: argparse.Namespace) -> int:
    folder = Path(args.folder).expanduser()
    if not folder.is_dir():
        return refuse(ValueError(f"{folder} is not a folder of music files"))
    with open_workspace(args) as workspace:
        library = MusicLibrary(workspace.store)
        progress, tty = _progress_printer()
        report = library.import_folder(folder, None if args.json else progress)  # type: ignore[arg-type]
    if tty and not args.json:
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        return EXIT_PROBLEMS if report.problem_count else EXIT_OK
    print(f"Music imported from {shown(report.folder)}: {report.added} added, {report.updated} updated, "
          f"{report.unchanged} unchanged, {report.moved} moved" +
          (f", {report.now_missing} now missing" if report.now_missing else "") + ".")
    for warning in report.warnings:
        print(f"warning: {shown(warning)}", file=sys.stderr)
    if report.problem_count:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.counts.items()))
        print(f"{report.problem_count} files not used ({kinds}):")
        for problem in report.problems:
            print(f"  {problem.kind}: {shown(problem.path)}: {shown(problem.reason)}")
        hidden = report.problem_count - len(report.problems)
        if hidden:
            print(f"  and {hidden} more (--json lists the first {len(report.problems)} too)")
    return EXIT_PROBLEMS if report.problem_count else EXIT_OK


def _loudness_words(track: LibraryTrack) -> str:
    if track.loudness is None:
        return "not measured"
    return f"{track.loudness:.1f} LUFS" + (" (ReplayGain)" if track.loudness_source == "replaygain" else "")


def cmd_list(args: argparse.Namespace) -> int:
    with open_workspace(args) as workspace:
        tracks = MusicLibrary(workspace.store).all()
    if args.json:
        print(json.dumps([track_json(t) for t in tracks], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not tracks:
        print("The music library is empty. Add the clinic's music with: kaproom music import FOLDER")
        return EXIT_OK
    for t in tracks:
        state = "MISSING " if t.missing else ("CANNOT PLAY " if t.problem else "")
        lyrics = LYRICS_WORDS.get(t.lyrics, t.lyrics) + (f" ({t.language})" if t.language else "")
        intensity = f"intensity {t.intensity}" if t.intensity is not None else "intensity not set"
        who = f"{shown(t.artist)} - " if t.artist else ""
        print(f"{t.id:>5}  {state}{who}{shown(t.title)}  {minutes_seconds(t.duration)}  {_loudness_words(t)}  "
              f"lyrics: {lyrics}  {intensity}" + (f"  note: {shown(t.note)}" if t.note else ""))
        if t.missing or t.problem:
            print(f"       {shown(t.path)}" + (f": {shown(t.problem)}" if t.problem else ""))
    missing = sum(1 for t in tracks if t.missing)
    print(f"{len(tracks)} tracks" + (f", {missing} missing (moved or deleted; import their new folder)"
                                     if missing else "") + ".")
    return EXIT_OK


def cmd_set(args: argparse.Namespace) -> int:
    facts: dict[str, object] = {}
    try:
        if args.lyrics is not None:
            facts["lyrics"] = normalise_lyrics(args.lyrics)
        if args.language is not None:
            facts["language"] = normalise_language(args.language)
        if args.intensity is not None:
            facts["intensity"] = check_intensity(args.intensity)
    except ValueError as exc:
        return refuse(exc)
    if args.note is not None:
        facts["note"] = args.note.strip()
    if not facts:
        return refuse(ValueError("nothing to set: give --lyrics, --language, --intensity or --note"))
    with open_workspace(args) as workspace:
        track = MusicLibrary(workspace.store).tracks.set_facts(args.track, **facts)
    print(f"{track.id}  {shown(track.title)}: lyrics {LYRICS_WORDS.get(track.lyrics, track.lyrics)}"
          + (f" ({track.language})" if track.language else "")
          + (f", intensity {track.intensity}" if track.intensity is not None else "")
          + (f", note: {shown(track.note)}" if track.note else ""))
    return EXIT_OK


def cmd_playlist(args: argparse.Namespace) -> int:
    prefs = MusicPreferences(no_lyrics=args.no_lyrics, no_sung_languages=tuple(args.no_sung or ()),
                             avoid=tuple(args.avoid or ()))
    with open_workspace(args) as workspace:
        protocol = workspace.protocol(args.protocol)
        phase = find_phase(protocol, args.phase)
        if args.set:
            try:
                saved = save_phase_playlist(workspace.store, workspace.playlists_dir, protocol, phase, args.set)
            except ValueError as exc:
                return refuse(exc)
            if not args.json:
                print(f"Saved {shown(saved)}")
        plan = phase_plan(workspace.store, workspace.playlists_dir, protocol, phase, prefs)
    if args.json:
        print(json.dumps(plan.as_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{shown(protocol.name)}, {shown(plan.phase_name)}: {shown(plan.playlist or 'no music')}"
          + (f" ({shown(plan.path)})" if plan.path else ""))
    for number, planned in enumerate(plan.tracks, start=1):
        facts = planned.entry.facts
        details = []
        if facts is not None and facts.intensity is not None:
            details.append(f"intensity {facts.intensity}")
        if facts is not None and facts.lyrics:
            details.append(LYRICS_WORDS[facts.lyrics] + (f" ({facts.language})" if facts.language else ""))
        if facts is not None and facts.loudness is not None:
            details.append(f"{facts.gain_db:+.1f} dB")
        if not planned.in_library:
            details.append("not in the library")
        state = f"SKIPPED ({planned.skipped}) " if planned.skipped else ""
        print(f"{number:>3}. {state}{shown(planned.entry.display_title)}  {minutes_seconds(planned.entry.duration)}"
              + (f"  {', '.join(details)}" if details else ""))
    for problem in plan.problems:
        print(f"problem: {shown(problem)}", file=sys.stderr)
    print(plan.summary())
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("music", parents=[common], help="the clinic's music library (import, list, set, playlist)")
    p.set_defaults(func=lambda _args: (p.print_help(), EXIT_ERROR)[1])
    actions = p.add_subparsers(dest="music_action", metavar="ACTION")
    q = actions.add_parser("import", parents=[common], help="read a folder of music files into the library")
    q.add_argument("folder", metavar="FOLDER")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=cmd_import)
    q = actions.add_parser("list", parents=[common], help="the library's tracks, with loudness, lyrics, intensity")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=cmd_list)
    q = actions.add_parser("set", parents=[common], help="set a track's lyrics, language, intensity or note")
    q.add_argument("track", metavar="TRACK", type=int, help="the track's number (kaproom music list)")
    q.add_argument("--lyrics", metavar="none|some|sung")
    q.add_argument("--language", metavar="CODE", help="language of the sung words, e.g. en, de")
    q.add_argument("--intensity", type=int, metavar="1-5", help="1 calm .. 5 intense")
    q.add_argument("--note", metavar="TEXT")
    q.set_defaults(func=cmd_set)
    q = actions.add_parser("playlist", parents=[common],
                           help="a phase's playlist as the session would play it (--set builds it from the library)")
    q.add_argument("protocol", metavar="PROTOCOL", help="the protocol's id (e.g. lozenge-3h)")
    q.add_argument("phase", metavar="PHASE", help="the phase's id or name (e.g. deep)")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.add_argument("--set", metavar="TRACK", type=int, nargs="+",
                   help="save these library tracks, in this order, as the phase's playlist (XSPF)")
    q.add_argument("--no-lyrics", action="store_true", help="as for a client who asked for no lyrics")
    q.add_argument("--no-sung", metavar="LANG", action="append", help="as for a client: no sung words in LANG")
    q.add_argument("--avoid", metavar="TITLE_OR_PATH", action="append", help="as for a client: avoid this track")
    q.set_defaults(func=cmd_playlist)
