"""Keep or remove __pycache__ in the base image? Size against interpreter start + import time.

Copies a representative set of pure-Python packages (standard library packages a service
imports, plus the third-party packages this interpreter has) into a temporary prefix, then
measures, with and without compiled bytecode:
  - bytes on disk (sources vs __pycache__),
  - wall time of `python -c "import …"` (a fresh interpreter each time, median of N runs);
    without pyc with -B (what every start pays when the files cannot
    be written, and what the first start of every new container pays when they can).
Run: python3 bench/pycache.py [runs]
"""
import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

STDLIB = ["email", "http", "json", "asyncio", "xml", "logging", "concurrent", "urllib", "unittest", "importlib", "tomllib", "sqlite3", "argparse.py", "_pydecimal.py", "dataclasses.py", "typing.py", "inspect.py", "ssl.py", "socket.py", "subprocess.py", "pathlib.py", "zipfile.py", "tarfile.py", "csv.py", "pprint.py", "textwrap.py", "datetime.py", "_strptime.py", "calendar.py", "uuid.py", "secrets.py", "hmac.py", "base64.py", "shlex.py", "glob.py", "fnmatch.py", "tempfile.py", "shutil.py", "gzip.py", "bz2.py", "lzma.py", "string.py", "difflib.py", "configparser.py", "optparse.py", "gettext.py", "locale.py", "platform.py", "pydoc.py", "ast.py", "dis.py", "opcode.py", "tokenize.py", "token.py", "traceback.py", "linecache.py", "contextlib.py", "functools.py", "threading.py", "queue.py", "selectors.py", "signal.py", "numbers.py", "fractions.py", "statistics.py", "random.py", "bisect.py", "heapq.py", "copy.py", "weakref.py", "enum.py", "decimal.py", "colorsys.py", "mimetypes.py", "ipaddress.py", "quopri.py"]
THIRD_PARTY = ["yaml", "pygments", "jwt", "cryptography", "requests", "urllib3", "idna", "certifi", "charset_normalizer", "jinja2", "markupsafe", "blinker", "six", "packaging", "pkg_resources", "setuptools"]


def copy_tree(src: str, dst: str) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "test", "tests", "idle_test")
    if os.path.isdir(src):
        shutil.copytree(src, dst, ignore=ignore)
    else:
        shutil.copy2(src, dst)


def du(root: str, pyc: bool) -> int:
    total = 0
    for d, _, files in os.walk(root):
        in_cache = "__pycache__" in d.split(os.sep)
        if in_cache != pyc:
            continue
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    return total


def time_import(lib: str, modules: list[str], runs: int, env: dict[str, str]) -> float:
    code = f"import sys; sys.path.insert(0, {lib!r}); " + "; ".join(f"import {m}" for m in modules)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-B", "-c", code], check=True, env=env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    stdlib = sysconfig.get_paths()["stdlib"]
    with tempfile.TemporaryDirectory() as tmp:
        lib = os.path.join(tmp, "lib")
        os.makedirs(lib)
        modules = []
        for name in STDLIB:
            src = os.path.join(stdlib, name)
            if os.path.exists(src):
                copy_tree(src, os.path.join(lib, name))
                modules.append(name.removesuffix(".py"))
        for name in THIRD_PARTY:
            spec = importlib.util.find_spec(name)
            if spec and spec.origin and spec.origin.endswith(".py"):
                src = os.path.dirname(spec.origin) if spec.submodule_search_locations else spec.origin
                dst = os.path.join(lib, os.path.basename(src))
                if not os.path.exists(dst):
                    copy_tree(src, dst)
                    modules.append(name)
        # import what the interpreter can import; a package missing a C part is skipped
        ok = [m for m in modules if subprocess.run([sys.executable, "-I", "-B", "-c", f"import sys; sys.path.insert(0, {lib!r}); import {m}"], capture_output=True).returncode == 0]
        env = dict(os.environ)
        # -B: nothing is written, so "without" stays without; the two trees are measured
        # alternately so that the load of a shared machine hits both alike.
        nopyc_lib = os.path.join(tmp, "nopyc")
        shutil.copytree(lib, nopyc_lib)
        compileall.compile_dir(lib, quiet=1, workers=1)
        empty, no_pyc, with_pyc = [], [], []
        for _ in range(runs):
            empty.append(time_import(lib, [], 1, env))
            no_pyc.append(time_import(nopyc_lib, ok, 1, env))
            with_pyc.append(time_import(lib, ok, 1, env))
        empty, no_pyc, with_pyc = (statistics.median(x) for x in (empty, no_pyc, with_pyc))
        src_bytes, pyc_bytes = du(lib, False), du(lib, True)
        print(f"python {sys.version.split()[0]}, {len(ok)} modules/packages imported, median of {runs} runs")
        print(f"sources: {src_bytes / 1e6:.1f} MB, __pycache__: {pyc_bytes / 1e6:.1f} MB ({pyc_bytes / src_bytes:.0%} of the sources)")
        print(f"interpreter start, no imports: {empty * 1000:.0f} ms")
        print(f"start + imports with pyc:      {with_pyc * 1000:.0f} ms")
        print(f"start + imports without pyc:   {no_pyc * 1000:.0f} ms ({no_pyc / with_pyc:.1f}x; +{(no_pyc - with_pyc) * 1000:.0f} ms per start)")


if __name__ == "__main__":
    main()
