#!/bin/sh
# The checks an image built from the bundled template must pass, run INSIDE the image, through
# its entrypoint (so the environment is activated): one script for both images — the real
# micromamba and conda-forge in the GitHub `template` job, the stand-in micromamba in the
# local end-to-end tests. POSIX sh only: the environment may have no python.
#
#   sh assert-image.sh [--import MODULE]... [--activated VAR]... [--package NAME]... [--pip MODULE]...
#
#   --import MODULE   `python -c "import MODULE"` succeeds
#   --activated VAR   an activation script of the environment set VAR (to an existing path)
#   --package NAME    a conda package NAME is installed (a conda-meta record)
#   --pip MODULE      MODULE was pip-installed on top by the image's user (an app Dockerfile)
# Always: not root and owning the prefix; the size manifest lists exactly the conda-meta
# records (what `micromamba list -p /opt/conda` lists); no package cache, no pip cache.
set -u
prefix=${CONDA_PREFIX:-/opt/conda}
failed=0
ok() { printf 'ok   %s\n' "$*"; }
bad() { printf 'FAIL %s\n' "$*"; failed=1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --import)
      if python -c "import $2" >/dev/null 2>&1; then ok "python -c 'import $2'"; else bad "python -c 'import $2'"; fi
      shift ;;
    --activated)
      eval "val=\${$2:-}"
      if [ -n "$val" ] && [ -e "$val" ]; then ok "$2=$val (set by an activation script)"; else bad "$2 is not set to an existing path (got '$val')"; fi
      shift ;;
    --package)
      if ls "$prefix/conda-meta/$2"-[0-9]*.json >/dev/null 2>&1; then ok "conda package $2 installed"; else bad "conda package $2 is not installed"; fi
      shift ;;
    --pip)
      if python -c "import $2" >/dev/null 2>&1; then ok "pip-installed $2 imports"; else bad "pip-installed $2 does not import"; fi
      shift ;;
    *) echo "assert-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

uid=$(id -u)
if [ "$uid" != 0 ]; then ok "runs as uid $uid (not root)"; else bad "runs as root"; fi
owner=$(stat -c %u "$prefix" "$prefix/conda-meta" | sort -u)
if [ "$owner" = "$uid" ]; then ok "the prefix belongs to uid $uid"; else bad "the prefix belongs to uid(s) $owner, not $uid"; fi
if [ -w "$prefix/lib" ] || [ -w "$prefix" ]; then ok "the prefix is writable by the image user"; else bad "the prefix is not writable"; fi

# The size manifest against the records micromamba list reads (name version build, sorted).
manifest="$prefix/etc/conda-image-action/sizes.json"
# A scratch directory the image user can write (a busybox /tmp is root's).
work=$(mktemp -d 2>/dev/null) || { work="$HOME/.assert-image.$$"; mkdir -p "$work"; }
if [ -r "$manifest" ]; then
  tr '{' '\n' < "$manifest" | sed -n 's/.*"name":"\([^"]*\)","version":"\([^"]*\)","build":"\([^"]*\)","size":\([0-9]*\).*/\1 \2 \3 \4/p' > "$work/sizes"
  cut -d' ' -f1-3 "$work/sizes" | sort > "$work/listed"
  : > "$work/records"
  for f in "$prefix"/conda-meta/*.json; do
    [ -e "$f" ] || continue
    nvb=$(basename "$f" .json); b=${nvb##*-}; nv=${nvb%-*}; v=${nv##*-}; n=${nv%-*}
    grep -q "\"version\": *\"$v\"" "$f" && grep -q "\"build\": *\"$b\"" "$f" || bad "conda-meta record $nvb does not say version $v build $b"
    echo "$n $v $b" >> "$work/records"
  done
  sort -o "$work/records" "$work/records"
  if [ -s "$work/records" ] && cmp -s "$work/listed" "$work/records"; then
    ok "sizes.json lists the $(wc -l < "$work/records") conda-meta records exactly"
  else
    bad "sizes.json differs from the conda-meta records:"; diff "$work/listed" "$work/records" | sed 's/^/     /'
  fi
  if awk '$4 <= 0 { z = 1 } END { exit !z }' "$work/sizes"; then bad "sizes.json has a package of size 0"; fi
else
  bad "no size manifest at $manifest"
fi

# No package cache, no pip cache, no package archives anywhere in the image.
if [ -z "$(ls -A "$prefix/pkgs" 2>/dev/null)" ]; then ok "no package cache ($prefix/pkgs)"; else bad "a package cache is left in $prefix/pkgs"; fi
left=$(find / -xdev \( -name '*.conda' -o -name '*.tar.bz2' -o -path '*/.cache/pip' -o -path '*/.cache/mamba' \) -print 2>/dev/null | head -n 5)
if [ -z "$left" ]; then ok "no package archives or pip cache"; else bad "caches or archives left: $left"; fi

rm -rf "$work"
if [ "$failed" = 0 ]; then echo "assert-image.sh: all checks passed"; else echo "assert-image.sh: FAILED"; fi
exit "$failed"
