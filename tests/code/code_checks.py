#!/usr/bin/env python3
"""Checks of the code itself, run by ctest (tests/CMakeLists.txt, label "code"):

  code_checks.py layering BUILD_DIR  the include graph of ARCHITECTURE.md's layout table, three ways:
                                     every #include "module/..." of a module is one it may use; the
                                     build's per-module include views hold exactly those modules;
                                     and through a view a header of a module it may not use does not
                                     preprocess (a header of one it may use does).
  code_checks.py sizes               no file of ours past 800 lines, no function past 80.
  code_checks.py readmes             every module's README.md names each of its headers.
  code_checks.py format              clang-format --dry-run --Werror over every C++ file of ours.
  code_checks.py tidy BUILD_DIR      clang-tidy (.clang-tidy's checks) over every product source,
                                     with the build's compile_commands.json.

Each prints file:line and what is wrong, and exits 1 on any finding.
"""
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# ARCHITECTURE.md, "Layout": what each module may include of ours. cmd/ and tests/ see everything.
MAY_USE = {
    "events": [],
    "config": ["events"],
    "workflows": ["events", "config"],
    "projections": ["events", "config"],
    "engine": ["events", "config", "workflows", "projections"],
    "connectors": ["events", "config", "projections", "engine"],
}
# The nevers: the pure core (events/, workflows/) does no I/O and reads no clock.
PURE = ["events", "workflows"]
PURE_NEVER_INCLUDES = ["rocksdb/", "librdkafka/", "spdlog/", "httplib.h", "fstream", "iostream", "filesystem",
                       "thread", "ctime", "sys/", "unistd.h"]
PURE_NEVER_SAYS = ["system_clock", "steady_clock", "high_resolution_clock", "std::time(", "getenv", "fopen"]


def our_files(patterns=("*.cc", "*.h")):
    try:
        out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
        return [ROOT / f for f in out.stdout.split()]
    except (OSError, subprocess.CalledProcessError):  # not a checkout: every file under the modules
        files = []
        for top in [*MAY_USE, "cmd", "tests"]:
            for pattern in patterns:
                files += sorted((ROOT / top).rglob(pattern))
        return files


def module_of(path):
    top = path.relative_to(ROOT).parts[0]
    return top if top in MAY_USE else None


def layout_table():
    """The "may use" column of ../shared/ARCHITECTURE.md's layout table, when it is there."""
    doc = ROOT.parent / "shared" / "ARCHITECTURE.md"
    if not doc.exists():
        return None
    table = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`(\w+)/`\s*\|[^|]*\|\s*([^|]*)\|", line)
        if m and m.group(1) in MAY_USE:
            uses = m.group(2).strip()
            if uses.startswith("nothing"):
                table[m.group(1)] = []
            elif uses.startswith("all of the above"):
                order = list(MAY_USE)
                table[m.group(1)] = order[: order.index(m.group(1))]
            else:
                table[m.group(1)] = [u.strip().split()[0] for u in uses.split(",") if u.strip()]
    return table


def check_layering(build_dir):
    problems = []
    table = layout_table()
    if table is not None:
        for module, uses in MAY_USE.items():
            if sorted(table.get(module, [])) != sorted(uses):
                problems.append(f"ARCHITECTURE.md: {module}/ may use {table.get(module)}, this check says {uses}")
    # 1. What the sources say.
    include = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
    for path in our_files():
        module = module_of(path)
        if module is None:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            m = include.match(line)
            if m:
                target = m.group(1)
                top = target.split("/")[0]
                if top in MAY_USE and top != module and top not in MAY_USE[module]:
                    problems.append(f"{path.relative_to(ROOT)}:{n}: includes {target}; {module}/ may use "
                                    f"{', '.join(MAY_USE[module]) or 'nothing of ours'}")
                if module in PURE and any(target.startswith(x) or target == x for x in PURE_NEVER_INCLUDES):
                    problems.append(f"{path.relative_to(ROOT)}:{n}: includes <{target}>: {module}/ does no I/O")
            if module in PURE:
                code = line.split("//")[0]
                for word in PURE_NEVER_SAYS:
                    if word in code:
                        problems.append(f"{path.relative_to(ROOT)}:{n}: {word}: {module}/ reads no clock, "
                                        "environment or file")
    # 2. The build's views: exactly the module and what it may use.
    views = Path(build_dir) / "views"
    for module, uses in MAY_USE.items():
        have = sorted(p.name for p in (views / module).iterdir()) if (views / module).is_dir() else None
        if have != sorted([module, *uses]):
            problems.append(f"{views / module}: holds {have}, expected {sorted([module, *uses])}")
    # 3. Through each view: a header of a module it may not use does not preprocess, one of a
    # module it may use does (so the refusal is the view's, not a broken probe).
    commands = json.loads((Path(build_dir) / "compile_commands.json").read_text())
    flags_of = {}
    for c in commands:
        module = module_of(Path(c["file"]))
        if module and module not in flags_of:
            args = shlex.split(c["command"])
            keep = [a for a in args[1:] if a.startswith(("-I", "-isystem", "-D", "-std"))]
            flags_of[module] = (args[0], keep)
    probe = Path(build_dir) / "layering-probe.cc"
    for module in MAY_USE:
        compiler, flags = flags_of[module]
        for other in MAY_USE:
            if other == module:
                continue
            header = sorted(p.name for p in (ROOT / other).glob("*.h"))[0]
            probe.write_text(f'#include "{other}/{header}"\n')
            r = subprocess.run([compiler, *flags, "-E", str(probe), "-o", os.devnull], capture_output=True,
                               text=True)
            allowed = other in MAY_USE[module]
            refused = r.returncode != 0 and f"{other}/{header}" in r.stderr
            if allowed and r.returncode != 0:
                problems.append(f"{module}/ may use {other}/, but {other}/{header} does not preprocess through its "
                                f"view: {r.stderr.strip()[:300]}")
            if not allowed and not refused:
                problems.append(f"{module}/ may not use {other}/, yet {other}/{header} "
                                f"{'preprocesses' if r.returncode == 0 else 'fails otherwise'} through its view")
    probe.unlink(missing_ok=True)
    return problems


# ---- sizes --------------------------------------------------------------------------------------

def strip_comments_and_strings(src):
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif c == "R" and src.startswith('R"', i) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', src[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = ")" + m.group(1) + '"'
            j = src.find(end, i)
            j = n if j < 0 else j + len(end)
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            j += 1
        else:
            out.append(c)
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", src[i:j]))
        i = j
    return "".join(out)


def function_lengths(path):
    """(lines, first line, signature) of every function body at namespace or class scope."""
    s = strip_comments_and_strings(path.read_text(encoding="utf-8", errors="replace"))
    stack, last, found = [], 0, []
    for i, c in enumerate(s):
        if c == "{":
            head = s[last:i]
            in_function = any(kind == "function" for kind, _, _ in stack)
            kind = "other"
            h = head.strip()
            if not in_function:
                if re.search(r"\b(namespace|class|struct|union|enum)\b[^()]*$", h) or h.startswith("extern"):
                    kind = "scope"
                elif ")" in h and not re.search(r"=\s*$", h) and not re.match(r"^(if|for|while|switch)\b", h):
                    kind = "function"
            first = s.count("\n", 0, last + len(head) - len(head.lstrip())) + 1
            stack.append((kind, first, h.split("\n")[0][:80]))
            last = i + 1
        elif c == "}":
            if stack:
                kind, first, signature = stack.pop()
                if kind == "function":
                    found.append((s.count("\n", 0, i) + 1 - first + 1, first, signature))
            last = i + 1
        elif c == ";" and not any(kind == "function" for kind, _, _ in stack):
            last = i + 1
    return found


def check_sizes(max_file=800, max_function=80):
    problems = []
    for path in our_files():
        rel = path.relative_to(ROOT)
        lines = path.read_text(encoding="utf-8", errors="replace").count("\n")
        if lines > max_file:
            problems.append(f"{rel}: {lines} lines, more than {max_file}: it holds two ideas")
        for n, first, signature in function_lengths(path):
            if n > max_function:
                problems.append(f"{rel}:{first}: {signature}: {n} lines, more than {max_function}")
    return problems


def check_readmes():
    problems = []
    for module in [*MAY_USE, "cmd/jiayuan"]:
        readme = ROOT / module / "README.md"
        text = readme.read_text(encoding="utf-8") if readme.exists() else ""
        for header in sorted((ROOT / module).rglob("*.h")):
            name = header.relative_to(ROOT / module).as_posix()
            if name not in text:
                problems.append(f"{module}/README.md: does not name {name}")
    return problems


# ---- clang-format, clang-tidy ---------------------------------------------------------------------

def check_format():
    files = [str(f) for f in our_files()]
    r = subprocess.run(["clang-format", "--dry-run", "--Werror", *files], capture_output=True, text=True)
    return [line for line in r.stderr.splitlines() if "error:" in line] if r.returncode != 0 else []


def tidy_cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jiayuan" / "clang-tidy"


def check_tidy(build_dir):
    """clang-tidy over every product source. A source's findings are kept under a key of what
    decides them (the preprocessed translation unit, .clang-tidy, clang-tidy's version), so an
    unchanged source is not analysed again (CI keeps ~/.cache as it keeps ccache's)."""
    commands = json.loads((Path(build_dir) / "compile_commands.json").read_text())
    entries = [c for c in commands if module_of(Path(c["file"])) or "/cmd/" in c["file"]]
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True).stdout
    config = (ROOT / ".clang-tidy").read_text()
    cache = tidy_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)

    def tidy(entry):
        args = shlex.split(entry["command"])
        out = args.index("-o")
        pre = subprocess.run([*args[:out], *args[out + 2:], "-E", "-P", "-o", "-"], cwd=entry["directory"],
                             capture_output=True)
        key = hashlib.sha256(pre.stdout + config.encode() + version.encode()).hexdigest()
        kept = cache / key
        if pre.returncode == 0 and kept.exists():
            return kept.read_text().splitlines(), True
        r = subprocess.run(["clang-tidy", "--quiet", "-p", str(build_dir), "--extra-arg=-Wno-unknown-warning-option",
                            entry["file"]], capture_output=True, text=True)
        found = [line for line in r.stdout.splitlines() if re.search(r": (warning|error): ", line)]
        if r.returncode != 0 and not found:
            found = [f"{entry['file']}: clang-tidy failed: {(r.stderr or r.stdout).strip()[:400]}"]
        if pre.returncode == 0:
            kept.write_text("\n".join(found))
        return found, False

    problems, reused = [], 0
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for i, (found, cached) in enumerate(pool.map(tidy, entries), 1):
            problems += found
            reused += cached
            if i % 20 == 0 or i == len(entries):
                print(f"clang-tidy: {i}/{len(entries)} sources ({reused} unchanged since a run before)",
                      file=sys.stderr, flush=True)
    # A header's finding is reported once, by whichever source included it; views name it by the
    # view's path, so each is shown by its path in the source tree.
    def where(finding):
        path, sep, rest = finding.partition(":")
        path = os.path.normpath(os.path.join(build_dir, path))
        view = os.path.join(os.path.normpath(build_dir), "views") + os.sep
        if path.startswith(view):
            path = str(ROOT / Path(path[len(view):]).relative_to(Path(path[len(view):]).parts[0]))
        return os.path.relpath(path, ROOT) + sep + rest

    return sorted({where(p) for p in problems})


def main(argv):
    what = argv[1] if len(argv) > 1 else ""
    checks = {
        "layering": lambda: check_layering(argv[2]),
        "sizes": check_sizes,
        "readmes": check_readmes,
        "format": check_format,
        "tidy": lambda: check_tidy(argv[2]),
    }
    if what not in checks:
        print(__doc__, file=sys.stderr)
        return 2
    problems = checks[what]()
    for p in problems:
        print(p)
    print(f"{what}: {len(problems)} problem(s)" if problems else f"{what}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
